//! entitle-core for JavaScript and TypeScript, compiled to WebAssembly with wasm-bindgen (the npm
//! package `entitle-core`).
//!
//! Every answer comes from entitle-core; this crate only converts between JavaScript values and the
//! core's types, and throws the core's typed errors as JavaScript errors carrying `reason` and
//! `details`. Values cross as plain JavaScript objects through serde-wasm-bindgen, without JSON text.

#![allow(
    clippy::missing_errors_doc,
    clippy::trivially_copy_pass_by_ref,
    reason = "the doc comments become the TypeScript declarations, which say what each method throws; \
              exported methods take `&self`"
)]

use entitle_audit::{LifecycleTable, matrix};
use entitle_core::{
    Action, ActionKind, ApprovalRules, Caller as CoreCaller, Duration, InvalidInput as CoreInvalid,
    Operation, Permission, PolicyRules, Principal, Rejection, Request as CoreRequest, RequestId,
    RequestStatus as Status, Role, Step as CoreStep, SubjectId, TRANSITIONS, Timestamp, Transition,
    VariantArray, authorize,
};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** A row of the transition table. */
export interface Transition {
  from: string;
  action: string;
  when: string;
  to: string;
  provenance: { documented: string } | { modelled: string };
}
/** The rule that let a caller act: "system", "approver", or {ownRequest: permission}, {administrator: role}, ... */
export type Authority = string | Record<string, string>;
/** A cell of the authority matrix. */
export interface MatrixEntry {
  status: string | null;
  actor: string;
  operation: string;
  cell: { decision: "allowed" | "notAuthorized" | "notFromStatus" } | { decision: "allowedIf"; when: string[] };
}
/** The next timed action a request waits for. */
export interface Deadline {
  at: number;
  action: string;
}
/** A caller's permissions, roles and approval stages (the conformance vectors' spelling). */
export interface CallerOptions {
  permissions?: string[];
  roles?: string[];
  approverOf?: number[];
  escalationApproverOf?: number[];
  onBehalfOfTarget?: boolean;
}
/** A caller in the conformance vectors' spelling. */
export interface CallerFields extends CallerOptions {
  principal: "workOrSchoolUser" | "personalAccount" | "application" | "system";
  id: string;
}
/** The policy of a submitted request; times in milliseconds. */
export interface SubmitOptions {
  approvalStages?: number;
  decisionTimeoutMs?: number;
  escalateAfterMs?: number;
  calloutOnCreated?: boolean;
  startsAt?: number;
}
"#;

/// The largest integer a JavaScript number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// A value of the core as a plain JavaScript value: objects, arrays, strings, numbers, `null`.
fn to_js(value: &impl Serialize) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(JsValue::from)
}

/// An `Error` named `name`, with the core's message and its typed reason in `reason` and `details`.
fn typed_error(name: &str, message: &str, typed: &impl Serialize) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name(name);
    let (reason, details) = match to_js(typed) {
        Ok(value) if value.is_string() => (value, JsValue::NULL),
        Ok(value) => {
            let keys = js_sys::Object::keys(&js_sys::Object::from(value.clone()));
            let key = keys.get(0);
            let details = js_sys::Reflect::get(&value, &key).unwrap_or(JsValue::NULL);
            (key, details)
        }
        Err(failure) => (JsValue::NULL, failure),
    };
    let _ = js_sys::Reflect::set(&error, &"reason".into(), &reason);
    let _ = js_sys::Reflect::set(&error, &"details".into(), &details);
    error.into()
}

fn rejected(rejection: &Rejection) -> JsValue {
    typed_error("Rejected", &rejection.to_string(), rejection)
}

fn invalid(error: &CoreInvalid) -> JsValue {
    typed_error("InvalidInput", &error.to_string(), error)
}

/// An `InvalidInput` error for a value the core has no type for (a principal, a permission, a role).
fn unknown(kind: &str, value: &str) -> JsValue {
    let error = js_sys::Error::new(&format!("unknown {kind} `{value}`"));
    error.set_name("InvalidInput");
    let _ = js_sys::Reflect::set(&error, &"reason".into(), &format!("unknown{kind}").into());
    let details = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&details, &"value".into(), &value.into());
    let _ = js_sys::Reflect::set(&error, &"details".into(), &details);
    error.into()
}

/// A JavaScript number of milliseconds as an instant.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "the number is checked to be a whole, non-negative, exactly representable integer first"
)]
fn instant(ms: f64) -> Result<Timestamp, JsValue> {
    if ms.is_finite() && ms >= 0.0 && ms.fract() == 0.0 && ms <= MAX_SAFE_INTEGER {
        Ok(Timestamp(ms as u64))
    } else {
        Err(unknown("instant", &ms.to_string()))
    }
}

fn action(name: &str) -> Result<ActionKind, JsValue> {
    ActionKind::parse(name).map_err(|error| invalid(&error))
}

fn subject(text: &str) -> Result<SubjectId, JsValue> {
    SubjectId::parse(text).map_err(|error| invalid(&error))
}

/// The fine-grained status of a request.
#[wasm_bindgen]
#[derive(Clone, Copy)]
pub struct RequestStatus(Status);

#[wasm_bindgen]
impl RequestStatus {
    /// Parses a status in any ASCII case, with Graph's aliases (`Cancelled`, `Fulfilled`). Throws
    /// `InvalidInput` (reason `unknownStatus`) for anything else.
    pub fn parse(text: &str) -> Result<Self, JsValue> {
        Status::parse(text)
            .map(Self)
            .map_err(|error| invalid(&error))
    }

    /// Every status, in lifecycle order.
    pub fn all() -> Vec<Self> {
        Status::VARIANTS.iter().copied().map(Self).collect()
    }

    /// The wire name, such as `PendingApproval`.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.0.as_str().to_owned()
    }

    /// Whether `cancel` is allowed from this status.
    #[wasm_bindgen(getter, js_name = isCancelable)]
    pub fn is_cancelable(&self) -> bool {
        self.0.is_cancelable()
    }

    /// Whether no action moves a request out of this status.
    #[wasm_bindgen(getter, js_name = isTerminal)]
    pub fn is_terminal(&self) -> bool {
        self.0.is_terminal()
    }

    /// Whether processing ended.
    #[wasm_bindgen(getter, js_name = isCompleted)]
    pub fn is_completed(&self) -> bool {
        self.0.is_completed()
    }

    /// The coarse state reported beside it, such as `pendingApproval`.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> String {
        self.0.state().as_str().to_owned()
    }

    /// Whether both name the same status.
    pub fn equals(&self, other: &RequestStatus) -> bool {
        self.0 == other.0
    }

    /// The wire name.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_text(&self) -> String {
        self.name()
    }
}

/// Whether a status string names a cancelable status; unknown text never does.
#[wasm_bindgen(js_name = isCancelable)]
pub fn is_cancelable(text: &str) -> bool {
    Status::is_cancelable_str(text)
}

/// A caller as JavaScript spells it: the conformance vectors' spelling.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct CallerFields {
    principal: String,
    id: String,
    permissions: Vec<String>,
    roles: Vec<String>,
    approver_of: Vec<u8>,
    escalation_approver_of: Vec<u8>,
    on_behalf_of_target: bool,
}

/// Who asks: a signed-in user, an application or the service itself.
#[wasm_bindgen]
#[derive(Clone, Copy)]
pub struct Caller(CoreCaller);

fn name_of<T: for<'de> Deserialize<'de>>(kind: &str, name: &str) -> Result<T, JsValue> {
    serde_wasm_bindgen::from_value(JsValue::from_str(name)).map_err(|_| unknown(kind, name))
}

#[wasm_bindgen]
impl Caller {
    /// A caller: `principal` is `workOrSchoolUser`, `personalAccount`, `application` or `system`;
    /// `options` may give `permissions` (Graph claim names), `roles` (such as `catalogOwner`),
    /// `approverOf` and `escalationApproverOf` (approval stages from 0) and `onBehalfOfTarget`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        principal: &str,
        id: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "CallerOptions")] options: Option<JsValue>,
    ) -> Result<Caller, JsValue> {
        let mut fields: CallerFields = match options {
            Some(options) if !options.is_undefined() && !options.is_null() => {
                serde_wasm_bindgen::from_value(options)?
            }
            _ => CallerFields::default(),
        };
        principal.clone_into(&mut fields.principal);
        id.clone_into(&mut fields.id);
        Self::build(fields)
    }

    /// The service's own engine: policy evaluation, timers and delivery.
    pub fn system() -> Caller {
        Self(CoreCaller::system())
    }

    /// A caller from an object spelled as in the conformance vectors.
    #[wasm_bindgen(js_name = fromObject)]
    pub fn from_object(
        #[wasm_bindgen(unchecked_param_type = "CallerFields")] fields: JsValue,
    ) -> Result<Caller, JsValue> {
        Self::build(serde_wasm_bindgen::from_value(fields)?)
    }

    fn build(fields: CallerFields) -> Result<Caller, JsValue> {
        let principal: Principal = name_of("principal", &fields.principal)?;
        let mut caller = CoreCaller::new(principal, subject(&fields.id)?);
        for name in &fields.permissions {
            let permission =
                Permission::from_name(name).ok_or_else(|| unknown("permission", name))?;
            caller = caller.with_permission(permission);
        }
        for name in &fields.roles {
            let role: Role = name_of("role", name)?;
            caller = caller.with_role(role);
        }
        caller.approver_of.primary = fields.approver_of.into_iter().collect();
        caller.approver_of.escalation = fields.escalation_approver_of.into_iter().collect();
        caller.on_behalf_of_target = fields.on_behalf_of_target;
        Ok(Self(caller))
    }

    /// The caller's kind.
    #[wasm_bindgen(getter, unchecked_return_type = "string")]
    pub fn principal(&self) -> JsValue {
        to_js(&self.0.principal).unwrap_or(JsValue::NULL)
    }

    /// The caller's object id.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.0.id.to_string()
    }
}

/// An accepted action: the moved request, the deciding row and the authorizing rule.
#[wasm_bindgen]
pub struct Step(CoreStep);

#[wasm_bindgen]
impl Step {
    /// The request after the action.
    #[wasm_bindgen(getter)]
    pub fn request(&self) -> Request {
        Request(self.0.request)
    }

    /// The status after the action.
    #[wasm_bindgen(getter)]
    pub fn status(&self) -> RequestStatus {
        RequestStatus(self.0.request.status)
    }

    /// The status the request left.
    #[wasm_bindgen(getter, js_name = fromStatus)]
    pub fn from_status(&self) -> RequestStatus {
        RequestStatus(self.0.from())
    }

    /// The index of the deciding row in `transitions()`.
    #[wasm_bindgen(getter)]
    pub fn row(&self) -> usize {
        row_index(self.0.rule)
    }

    /// The deciding row, as in `transitions()`.
    #[wasm_bindgen(getter, unchecked_return_type = "Transition")]
    pub fn rule(&self) -> Result<JsValue, JsValue> {
        to_js(self.0.rule)
    }

    /// The rule that let the caller act, such as `"system"` or
    /// `{ownRequest: "EntitlementMgmt-SubjectAccess.ReadWrite"}`.
    #[wasm_bindgen(getter, unchecked_return_type = "Authority")]
    pub fn authority(&self) -> Result<JsValue, JsValue> {
        to_js(&self.0.authority)
    }
}

fn row_index(rule: &Transition) -> usize {
    TRANSITIONS
        .iter()
        .position(|row| row == rule)
        .unwrap_or(TRANSITIONS.len())
}

/// How `Request.submit` sets up the policy.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct SubmitOptions {
    approval_stages: Option<u8>,
    decision_timeout_ms: Option<u64>,
    escalate_after_ms: Option<u64>,
    callout_on_created: bool,
    starts_at: Option<u64>,
}

/// An access package assignment request; immutable, `apply` returns the moved one in a `Step`.
#[wasm_bindgen]
#[derive(Clone, Copy)]
pub struct Request(CoreRequest);

#[wasm_bindgen]
impl Request {
    /// A `userAdd` request `requestor` submitted for themselves at `now` (milliseconds since the Unix
    /// epoch). `options`: `approvalStages`, `decisionTimeoutMs` (14 days by default),
    /// `escalateAfterMs`, `calloutOnCreated`, `startsAt`.
    pub fn submit(
        id: &str,
        requestor: &str,
        now: f64,
        #[wasm_bindgen(unchecked_optional_param_type = "SubmitOptions")] options: Option<JsValue>,
    ) -> Result<Request, JsValue> {
        let options: SubmitOptions = match options {
            Some(options) if !options.is_undefined() && !options.is_null() => {
                serde_wasm_bindgen::from_value(options)?
            }
            _ => SubmitOptions::default(),
        };
        let id = RequestId::parse(id).map_err(|error| invalid(&error))?;
        let rules = PolicyRules {
            approval: options.approval_stages.map(|stages| ApprovalRules {
                stages,
                decision_timeout: options
                    .decision_timeout_ms
                    .map_or(Duration::days(14), Duration),
                escalate_after: options.escalate_after_ms.map(Duration),
            }),
            callout_on_created: options.callout_on_created,
        };
        CoreRequest::submit(
            id,
            subject(requestor)?,
            rules,
            options.starts_at.map(Timestamp),
            instant(now)?,
        )
        .map(Self)
        .map_err(|error| invalid(&error))
    }

    /// A request from the core's JSON: an object, or its JSON text. Its invariants are checked; an
    /// inconsistent request throws `InvalidInput`.
    #[wasm_bindgen(js_name = fromJSON)]
    pub fn from_json(
        #[wasm_bindgen(unchecked_param_type = "object | string")] value: JsValue,
    ) -> Result<Request, JsValue> {
        let value = match value.as_string() {
            Some(text) => js_sys::JSON::parse(&text)?,
            None => value,
        };
        serde_wasm_bindgen::from_value(value)
            .map(Self)
            .map_err(|error| {
                let error = js_sys::Error::new(&error.to_string());
                error.set_name("InvalidInput");
                let _ = js_sys::Reflect::set(&error, &"reason".into(), &"malformedRequest".into());
                error.into()
            })
    }

    /// The request in the core's JSON, as an object (so `JSON.stringify(request)` writes it).
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "Record<string, unknown>")]
    pub fn to_json(&self) -> Result<JsValue, JsValue> {
        to_js(&self.0)
    }

    /// The request's id.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.0.id.to_string()
    }

    /// The current status.
    #[wasm_bindgen(getter)]
    pub fn status(&self) -> RequestStatus {
        RequestStatus(self.0.status)
    }

    /// The current (or last) approval stage, from 0.
    #[wasm_bindgen(getter, js_name = approvalStage)]
    pub fn approval_stage(&self) -> u8 {
        self.0.approval_stage
    }

    /// Decides `action` by `caller` at `now`; throws `Rejected` with the core's reason.
    pub fn apply(&self, action: &str, caller: &Caller, now: f64) -> Result<Step, JsValue> {
        let kind = self::action(action)?;
        self.0
            .apply(&Action::new(kind, caller.0), instant(now)?)
            .map(Step)
            .map_err(|rejection| rejected(&rejection))
    }

    /// Whether `caller` may cancel the request at `now`: what a Cancel button should show.
    #[wasm_bindgen(js_name = canCancel)]
    pub fn can_cancel(&self, caller: &Caller, now: f64) -> Result<bool, JsValue> {
        Ok(self.0.can_cancel(&caller.0, instant(now)?))
    }

    /// The rule that lets `caller` perform `action`, whatever the status; else throws `Rejected`
    /// with reason `unauthorized`.
    #[wasm_bindgen(unchecked_return_type = "Authority")]
    pub fn authorize(&self, action: &str, caller: &Caller) -> Result<JsValue, JsValue> {
        let kind = self::action(action)?;
        match authorize(Operation::Act(kind), &caller.0, self.0.parties()) {
            Ok(authority) => to_js(&authority),
            Err(denial) => Err(rejected(&Rejection::Unauthorized(denial))),
        }
    }

    /// The actions `caller` may perform at `now`, in lifecycle order.
    #[wasm_bindgen(js_name = permittedActions)]
    pub fn permitted_actions(&self, caller: &Caller, now: f64) -> Result<Vec<String>, JsValue> {
        Ok(self
            .0
            .permitted_actions(&caller.0, instant(now)?)
            .map(|kind| kind.as_str().to_owned())
            .collect())
    }

    /// The next timed action the service owes the request: `{at, action}`, or `null`.
    #[wasm_bindgen(js_name = nextDeadline, unchecked_return_type = "Deadline | null")]
    pub fn next_deadline(&self) -> Result<JsValue, JsValue> {
        to_js(&self.0.next_deadline())
    }

    /// Whether both are the same request in the same state.
    pub fn equals(&self, other: &Request) -> bool {
        self.0 == other.0
    }
}

/// The transition table: one object per row (`from`, `action`, `when`, `to`, `provenance`), in the
/// order rows are tried.
#[wasm_bindgen(unchecked_return_type = "Transition[]")]
pub fn transitions() -> Result<JsValue, JsValue> {
    to_js(&TRANSITIONS)
}

/// The authority matrix: one object per operation, actor (and status, for the actions and
/// `delete`), with its cell.
#[wasm_bindgen(js_name = authorityMatrix, unchecked_return_type = "MatrixEntry[]")]
pub fn authority_matrix() -> Result<JsValue, JsValue> {
    to_js(&matrix(&LifecycleTable::builtin()))
}

/// Every action name, in lifecycle order.
#[wasm_bindgen]
pub fn actions() -> Vec<String> {
    ActionKind::VARIANTS
        .iter()
        .map(|kind| kind.as_str().to_owned())
        .collect()
}

/// The version of entitle-core.
#[wasm_bindgen]
pub fn version() -> String {
    entitle_core::VERSION.to_owned()
}
