//! `entitle` for Python: entitle-core's lifecycle of an access package assignment request.
//!
//! Every answer comes from entitle-core; this module only converts between Python values and the
//! core's types, and raises the core's typed errors as Python exceptions.

#![allow(
    clippy::trivially_copy_pass_by_ref,
    clippy::wrong_self_convention,
    clippy::needless_pass_by_value,
    clippy::too_many_arguments,
    reason = "PyO3 methods take `&self`, arguments as Python passes them, and keyword arguments"
)]

use entitle_audit::{LifecycleTable, matrix};
use entitle_core::{
    Action, ActionKind, ApprovalRules, Caller as CoreCaller, Duration, Operation, Permission,
    PolicyRules, Principal, Rejection, Request as CoreRequest, RequestId, RequestStatus as Status,
    Role, Step as CoreStep, SubjectId, TRANSITIONS, Timestamp, VariantArray, authorize,
};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::Value;

create_exception!(
    entitle,
    EntitleError,
    PyException,
    "The base of the errors entitle raises."
);
create_exception!(
    entitle,
    Rejected,
    EntitleError,
    "The core refused an action: `reason` names why (`notAllowed`, `conditionNotMet`, \
     `unauthorized`, `stage`, ...), `details` holds the core's fields. A rejected action changes nothing."
);
create_exception!(
    entitle,
    InvalidInput,
    PyValueError,
    "Input entitle does not know: `reason` names the kind (`unknownStatus`, `unknownAction`, ...), \
     `details` the core's fields."
);

/// A serde value of the core as a Python object: dicts, lists, strings, ints, bools and `None`.
fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(flag) => flag.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(number) => match (number.as_u64(), number.as_i64()) {
            (Some(unsigned), _) => unsigned.into_pyobject(py)?.into_any(),
            (None, Some(signed)) => signed.into_pyobject(py)?.into_any(),
            (None, None) => number
                .as_f64()
                .unwrap_or_default()
                .into_pyobject(py)?
                .into_any(),
        },
        Value::String(text) => text.into_pyobject(py)?.into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(fields) => {
            let dict = PyDict::new(py);
            for (key, item) in fields {
                dict.set_item(key, to_py(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

/// Any serializable value of the core as a Python object.
fn serialized<'py>(py: Python<'py>, value: &impl serde::Serialize) -> PyResult<Bound<'py, PyAny>> {
    let value =
        serde_json::to_value(value).map_err(|error| EntitleError::new_err(error.to_string()))?;
    to_py(py, &value)
}

/// The one key of a typed reason, `{"notAllowed": {...}}`, and its fields.
fn typed_reason(value: Value) -> (String, Value) {
    match value {
        Value::Object(fields) if fields.len() == 1 => fields
            .into_iter()
            .next()
            .unwrap_or((String::new(), Value::Null)),
        Value::String(name) => (name, Value::Null),
        other => (String::new(), other),
    }
}

/// An error carrying the core's typed reason in `reason` and `details`.
fn typed_error(py: Python<'_>, error: PyErr, typed: &impl serde::Serialize) -> PyErr {
    let value = serde_json::to_value(typed).unwrap_or(Value::Null);
    let (reason, details) = typed_reason(value);
    let exception = error.value(py);
    let attached = exception
        .setattr("reason", reason)
        .and_then(|()| exception.setattr("details", to_py(py, &details)?));
    match attached {
        Ok(()) => error,
        Err(failure) => failure,
    }
}

fn rejected(py: Python<'_>, rejection: &Rejection) -> PyErr {
    typed_error(py, Rejected::new_err(rejection.to_string()), rejection)
}

fn invalid(py: Python<'_>, error: &entitle_core::InvalidInput) -> PyErr {
    typed_error(py, InvalidInput::new_err(error.to_string()), error)
}

/// A Python value whose JSON is `T`, read through the core's serde.
fn from_py<T: serde::de::DeserializeOwned>(value: &Bound<'_, PyAny>) -> PyResult<T> {
    let text: String = match value.extract::<String>() {
        Ok(text) => text,
        Err(_) => value
            .py()
            .import("json")?
            .call_method1("dumps", (value,))?
            .extract()?,
    };
    serde_json::from_str(&text).map_err(|error| InvalidInput::new_err(error.to_string()))
}

fn action(py: Python<'_>, name: &str) -> PyResult<ActionKind> {
    ActionKind::parse(name).map_err(|error| invalid(py, &error))
}

fn subject(py: Python<'_>, text: &str) -> PyResult<SubjectId> {
    SubjectId::parse(text).map_err(|error| invalid(py, &error))
}

/// The fine-grained status of a request, as the core knows it.
#[pyclass(module = "entitle", name = "RequestStatus", frozen, eq, hash)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct PyRequestStatus(Status);

#[pymethods]
impl PyRequestStatus {
    /// Parses a status, ignoring ASCII case and accepting Graph's aliases (`Cancelled`, `Fulfilled`).
    /// Raises `InvalidInput` (reason `unknownStatus`) for anything else.
    #[staticmethod]
    fn parse(py: Python<'_>, text: &str) -> PyResult<Self> {
        Status::parse(text)
            .map(Self)
            .map_err(|error| invalid(py, &error))
    }

    /// Every status, in lifecycle order.
    #[staticmethod]
    fn all() -> Vec<Self> {
        Status::VARIANTS.iter().copied().map(Self).collect()
    }

    /// The status's wire name, such as `PendingApproval`.
    #[getter]
    fn name(&self) -> &'static str {
        self.0.as_str()
    }

    /// Whether `cancel` is allowed from this status (by the transition table).
    #[getter]
    fn is_cancelable(&self) -> bool {
        self.0.is_cancelable()
    }

    /// Whether no action moves a request out of this status.
    #[getter]
    fn is_terminal(&self) -> bool {
        self.0.is_terminal()
    }

    /// Whether processing ended, so the request has a completion time.
    #[getter]
    fn is_completed(&self) -> bool {
        self.0.is_completed()
    }

    /// The coarse state this status reports (`state` in Graph v1.0), such as `pendingApproval`.
    #[getter]
    fn state(&self) -> &'static str {
        self.0.state().as_str()
    }

    fn __str__(&self) -> &'static str {
        self.0.as_str()
    }

    fn __repr__(&self) -> String {
        format!("RequestStatus('{}')", self.0.as_str())
    }
}

/// Whether a status string names a cancelable status; unknown text never does.
#[pyfunction]
fn is_cancelable(text: &str) -> bool {
    Status::is_cancelable_str(text)
}

/// Who asks: a signed-in user, an application or the service itself, with the permissions, roles
/// and approval stages the adapter resolved for them.
#[pyclass(module = "entitle", name = "Caller", frozen, eq)]
#[derive(Clone, Copy, PartialEq, Eq)]
struct PyCaller(CoreCaller);

fn principal(name: &str) -> PyResult<Principal> {
    serde_json::from_value(Value::String(name.to_owned()))
        .map_err(|_| InvalidInput::new_err(format!("unknown principal `{name}`")))
}

#[pymethods]
impl PyCaller {
    /// A caller: `principal` is `workOrSchoolUser`, `personalAccount`, `application` or `system`;
    /// `permissions` Graph claim names; `roles` such as `catalogOwner`; `approver_of` and
    /// `escalation_approver_of` the approval stages (from 0) the caller approves.
    #[new]
    #[pyo3(signature = (principal, id, permissions = Vec::new(), roles = Vec::new(), approver_of = Vec::new(), escalation_approver_of = Vec::new(), on_behalf_of_target = false))]
    fn new(
        py: Python<'_>,
        principal: &str,
        id: &str,
        permissions: Vec<String>,
        roles: Vec<String>,
        approver_of: Vec<u8>,
        escalation_approver_of: Vec<u8>,
        on_behalf_of_target: bool,
    ) -> PyResult<Self> {
        let mut caller = CoreCaller::new(self::principal(principal)?, subject(py, id)?);
        for name in permissions {
            let permission = Permission::from_name(&name)
                .ok_or_else(|| InvalidInput::new_err(format!("unknown permission `{name}`")))?;
            caller = caller.with_permission(permission);
        }
        for name in roles {
            let role: Role = serde_json::from_value(Value::String(name.clone()))
                .map_err(|_| InvalidInput::new_err(format!("unknown role `{name}`")))?;
            caller = caller.with_role(role);
        }
        caller.approver_of.primary = approver_of.into_iter().collect();
        caller.approver_of.escalation = escalation_approver_of.into_iter().collect();
        caller.on_behalf_of_target = on_behalf_of_target;
        Ok(Self(caller))
    }

    /// The service's own engine: policy evaluation, timers and delivery.
    #[staticmethod]
    fn system() -> Self {
        Self(CoreCaller::system())
    }

    /// A caller from a dict spelled as in the conformance vectors (`principal`, `id`,
    /// `permissions`, `roles`, `approverOf`, `escalationApproverOf`, `onBehalfOfTarget`).
    #[staticmethod]
    fn from_dict(py: Python<'_>, fields: &Bound<'_, PyDict>) -> PyResult<Self> {
        let get = |key: &str| fields.get_item(key);
        let principal: String = get("principal")?.map_or(Ok(String::new()), |v| v.extract())?;
        let id: String = get("id")?.map_or(Ok(String::new()), |v| v.extract())?;
        let list = |key: &str| -> PyResult<Vec<String>> {
            get(key)?.map_or(Ok(Vec::new()), |v| v.extract())
        };
        let stages =
            |key: &str| -> PyResult<Vec<u8>> { get(key)?.map_or(Ok(Vec::new()), |v| v.extract()) };
        let on_behalf: bool = get("onBehalfOfTarget")?.map_or(Ok(false), |v| v.extract())?;
        Self::new(
            py,
            &principal,
            &id,
            list("permissions")?,
            list("roles")?,
            stages("approverOf")?,
            stages("escalationApproverOf")?,
            on_behalf,
        )
    }

    /// The caller's kind.
    #[getter]
    fn principal(&self) -> String {
        match serde_json::to_value(self.0.principal) {
            Ok(Value::String(name)) => name,
            _ => String::new(),
        }
    }

    /// The caller's object id.
    #[getter]
    fn id(&self) -> String {
        self.0.id.to_string()
    }

    fn __repr__(&self) -> String {
        format!("Caller('{}', '{}')", self.principal(), self.0.id)
    }
}

/// The result of an accepted action: the request as it is now, the row that moved it and the rule
/// that let the caller act.
#[pyclass(module = "entitle", name = "Step", frozen)]
struct PyStep(CoreStep);

#[pymethods]
impl PyStep {
    /// The request after the action.
    #[getter]
    fn request(&self) -> PyRequest {
        PyRequest(self.0.request)
    }

    /// The status after the action.
    #[getter]
    fn status(&self) -> PyRequestStatus {
        PyRequestStatus(self.0.request.status)
    }

    /// The status the request left.
    #[getter]
    fn from_status(&self) -> PyRequestStatus {
        PyRequestStatus(self.0.from())
    }

    /// The index of the deciding row in `transitions()`.
    #[getter]
    fn row(&self) -> usize {
        row_index(self.0.rule)
    }

    /// The deciding row, as in `transitions()`.
    #[getter]
    fn rule<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serialized(py, self.0.rule)
    }

    /// The rule that let the caller act, as the core serializes it (`"system"`,
    /// `{"ownRequest": "EntitlementMgmt-SubjectAccess.ReadWrite"}`, ...).
    #[getter]
    fn authority<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serialized(py, &self.0.authority)
    }

    fn __repr__(&self) -> String {
        format!("Step({} -> {})", self.0.from(), self.0.request.status)
    }
}

fn row_index(rule: &entitle_core::Transition) -> usize {
    TRANSITIONS
        .iter()
        .position(|row| row == rule)
        .unwrap_or(TRANSITIONS.len())
}

/// An access package assignment request. Immutable: `apply` returns the moved request in a `Step`.
#[pyclass(module = "entitle", name = "Request", frozen, eq)]
#[derive(Clone, Copy, PartialEq, Eq)]
struct PyRequest(CoreRequest);

#[pymethods]
impl PyRequest {
    /// A `userAdd` request `requestor` submitted for themselves at `now` (milliseconds since the
    /// Unix epoch). With `approval_stages`, the policy requires approval in that many stages, each
    /// waiting `decision_timeout_ms` (and escalating after `escalate_after_ms`, if given).
    #[staticmethod]
    #[pyo3(signature = (id, requestor, now, *, approval_stages = None, decision_timeout_ms = 14 * 86_400_000, escalate_after_ms = None, callout_on_created = false, starts_at = None))]
    fn submit(
        py: Python<'_>,
        id: &str,
        requestor: &str,
        now: u64,
        approval_stages: Option<u8>,
        decision_timeout_ms: u64,
        escalate_after_ms: Option<u64>,
        callout_on_created: bool,
        starts_at: Option<u64>,
    ) -> PyResult<Self> {
        let id = RequestId::parse(id).map_err(|error| invalid(py, &error))?;
        let rules = PolicyRules {
            approval: approval_stages.map(|stages| ApprovalRules {
                stages,
                decision_timeout: Duration(decision_timeout_ms),
                escalate_after: escalate_after_ms.map(Duration),
            }),
            callout_on_created,
        };
        CoreRequest::submit(
            id,
            subject(py, requestor)?,
            rules,
            starts_at.map(Timestamp),
            Timestamp(now),
        )
        .map(Self)
        .map_err(|error| invalid(py, &error))
    }

    /// A request from the core's JSON: a string, or the dict `to_dict` returns. Its invariants are
    /// checked; a request no sequence of actions could produce raises `InvalidInput`.
    #[staticmethod]
    fn from_json(value: &Bound<'_, PyAny>) -> PyResult<Self> {
        from_py(value).map(Self)
    }

    /// The request in the core's JSON.
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.0).map_err(|error| EntitleError::new_err(error.to_string()))
    }

    /// The request in the core's JSON, as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serialized(py, &self.0)
    }

    /// The request's id.
    #[getter]
    fn id(&self) -> String {
        self.0.id.to_string()
    }

    /// The current status.
    #[getter]
    fn status(&self) -> PyRequestStatus {
        PyRequestStatus(self.0.status)
    }

    /// The current (or last) approval stage, from 0.
    #[getter]
    fn approval_stage(&self) -> u8 {
        self.0.approval_stage
    }

    /// Decides `action` (such as `cancel`, `approve`, `reprocess`) by `caller` at `now`. Returns
    /// the `Step`; raises `Rejected` with the core's reason, and the request is unchanged.
    fn apply(
        &self,
        py: Python<'_>,
        action: &str,
        caller: PyRef<'_, PyCaller>,
        now: u64,
    ) -> PyResult<PyStep> {
        let kind = self::action(py, action)?;
        self.0
            .apply(&Action::new(kind, caller.0), Timestamp(now))
            .map(PyStep)
            .map_err(|rejection| rejected(py, &rejection))
    }

    /// Whether `caller` may cancel the request at `now`: what a Cancel button should show.
    fn can_cancel(&self, caller: PyRef<'_, PyCaller>, now: u64) -> bool {
        self.0.can_cancel(&caller.0, Timestamp(now))
    }

    /// Whether `caller` may ever perform `action` on this request, whatever its status: the
    /// authorization rule, or `Rejected` with reason `unauthorized` and the denial.
    fn authorize<'py>(
        &self,
        py: Python<'py>,
        action: &str,
        caller: PyRef<'_, PyCaller>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let kind = self::action(py, action)?;
        match authorize(Operation::Act(kind), &caller.0, self.0.parties()) {
            Ok(authority) => serialized(py, &authority),
            Err(denial) => Err(rejected(py, &Rejection::Unauthorized(denial))),
        }
    }

    /// The actions `caller` may perform at `now`, in lifecycle order.
    fn permitted_actions(&self, caller: PyRef<'_, PyCaller>, now: u64) -> Vec<&'static str> {
        self.0
            .permitted_actions(&caller.0, Timestamp(now))
            .map(ActionKind::as_str)
            .collect()
    }

    /// The next timed action the service owes the request: `{"at": ms, "action": name}`, or `None`.
    fn next_deadline<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serialized(py, &self.0.next_deadline())
    }

    fn __repr__(&self) -> String {
        format!("Request('{}', {})", self.0.id, self.0.status)
    }
}

/// The transition table: one dict per row (`from`, `action`, `when`, `to`, `provenance`), in the
/// order rows are tried.
#[pyfunction]
fn transitions(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    serialized(py, &TRANSITIONS)
}

/// The authority matrix: one dict per operation, actor (and status, for the actions and
/// `delete`), with the cell (`allowed`, `allowedIf`, `notAuthorized`, `notFromStatus`).
#[pyfunction]
fn authority_matrix(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    serialized(py, &matrix(&LifecycleTable::builtin()))
}

/// entitle-core's lifecycle of a Microsoft Entra access package assignment request.
#[pymodule]
fn entitle(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    module.add_class::<PyRequestStatus>()?;
    module.add_class::<PyCaller>()?;
    module.add_class::<PyRequest>()?;
    module.add_class::<PyStep>()?;
    module.add_function(wrap_pyfunction!(is_cancelable, module)?)?;
    module.add_function(wrap_pyfunction!(transitions, module)?)?;
    module.add_function(wrap_pyfunction!(authority_matrix, module)?)?;
    module.add("EntitleError", py.get_type::<EntitleError>())?;
    module.add("Rejected", py.get_type::<Rejected>())?;
    module.add("InvalidInput", py.get_type::<InvalidInput>())?;
    let actions: Vec<&str> = ActionKind::VARIANTS
        .iter()
        .map(|kind| kind.as_str())
        .collect();
    module.add("ACTIONS", actions)?;
    module.add("VERSION", entitle_core::VERSION)?;
    Ok(())
}
