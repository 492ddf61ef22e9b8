//! The call a request makes to its policy's custom extension at `assignmentRequestCreated` (D10):
//! when it was sent and when the extension's callback resumed the request. Graph shows it as a
//! `customExtensionCalloutInstance` (v1.0 and beta) and a `customExtensionHandlerInstance` (beta).

use serde::{Deserialize, Serialize};

use crate::id::Guid;
use crate::request::Request;
use crate::status::RequestStatus;
use crate::time::Timestamp;

/// The key the callout's id is derived with from the request's.
const CALLOUT_KEY: u128 = 0x6a09_e667_f3bc_c908_b2fb_1366_ea95_7d3e;

/// One call to the custom extension, made when the request entered `WaitingForCallback`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Callout {
    /// When the request was sent to the extension.
    pub sent_at: Timestamp,
    /// When the extension's callback resumed the request (continued, denied or canceled it).
    pub resumed_at: Option<Timestamp>,
}

/// Where a callout stands, as Graph names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CalloutStatus {
    /// Sent; the request waits for the callback (v1.0 `waitingForCallback`, beta handler
    /// `requestSent`).
    WaitingForCallback,
    /// The callback arrived and resumed the request (v1.0 `callbackReceived`, beta handler
    /// `requestReceived`).
    CallbackReceived,
}

impl Callout {
    /// Where the callout stands.
    pub const fn status(&self) -> CalloutStatus {
        match self.resumed_at {
            None => CalloutStatus::WaitingForCallback,
            Some(_) => CalloutStatus::CallbackReceived,
        }
    }
}

impl CalloutStatus {
    /// The v1.0 `customExtensionCalloutInstanceStatus` member.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::WaitingForCallback => "waitingForCallback",
            Self::CallbackReceived => "callbackReceived",
        }
    }

    /// The beta `customExtensionHandlerInstance` status member.
    pub const fn handler_str(self) -> &'static str {
        match self {
            Self::WaitingForCallback => "requestSent",
            Self::CallbackReceived => "requestReceived",
        }
    }
}

impl Request {
    /// The callout after the request moved from `from` to `self.status` at `now`: a new one when it
    /// entered `WaitingForCallback`, the same one resumed when it left it.
    pub(crate) fn callout_after(&self, from: RequestStatus, now: Timestamp) -> Option<Callout> {
        if self.status == RequestStatus::WaitingForCallback {
            Some(Callout {
                sent_at: now,
                resumed_at: None,
            })
        } else if from == RequestStatus::WaitingForCallback {
            self.callout.map(|callout| Callout {
                resumed_at: Some(now),
                ..callout
            })
        } else {
            self.callout
        }
    }

    /// The id of the request's callout (the `customExtensionStageInstanceId` its callback names),
    /// derived from the request's id; `None` before the request made one.
    pub fn callout_id(&self) -> Option<Guid> {
        self.callout.map(|_| self.id.guid().derived(CALLOUT_KEY))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::ActionKind;
    use crate::actor::{Caller, Permission};
    use crate::id::{RequestId, SubjectId};
    use crate::policy::PolicyRules;
    use crate::request::Action;
    use crate::time::Duration;

    const T0: Timestamp = Timestamp(1_767_225_600_000);

    fn waiting() -> Request {
        let id = RequestId::new(Guid::from_u128(0x77));
        let requestor = SubjectId::new(Guid::from_u128(0x11));
        let rules = PolicyRules {
            approval: None,
            callout_on_created: true,
        };
        let mut request = Request::submit(id, requestor, rules, None, T0).unwrap();
        assert_eq!(request.callout, None);
        assert_eq!(request.callout_id(), None);
        request
            .apply_in_place(&Action::by_system(ActionKind::Process), T0)
            .unwrap();
        request
    }

    #[test]
    fn a_callout_is_sent_on_waiting_and_received_on_resume() {
        let mut request = waiting();
        assert_eq!(request.status, RequestStatus::WaitingForCallback);
        let callout = request.callout.unwrap();
        assert_eq!(callout.sent_at, T0);
        assert_eq!(callout.status(), CalloutStatus::WaitingForCallback);
        assert_eq!(
            request.callout_id(),
            Some(request.id.guid().derived(CALLOUT_KEY))
        );
        let extension = Caller::application(SubjectId::new(Guid::from_u128(0xe)))
            .with_permission(Permission::ReadWriteAll);
        let later = T0.after(Duration::hours(1));
        request
            .apply_in_place(&Action::new(ActionKind::ResumeContinue, extension), later)
            .unwrap();
        let callout = request.callout.unwrap();
        assert_eq!(callout.resumed_at, Some(later));
        assert_eq!(callout.status().as_str(), "callbackReceived");
        assert_eq!(callout.status().handler_str(), "requestReceived");
        // Later moves keep it as it was.
        request
            .apply_in_place(&Action::by_system(ActionKind::Deliver), later)
            .unwrap();
        assert_eq!(request.callout, Some(callout));
        assert_eq!(request.check(), Ok(()));
    }

    #[test]
    fn check_ties_the_callout_to_the_status() {
        let mut request = waiting();
        request.callout = None;
        assert!(request.check().is_err());
        let mut answered = waiting();
        answered.callout = Some(Callout {
            sent_at: T0,
            resumed_at: Some(T0),
        });
        assert!(answered.check().is_err());
        let mut without_extension = waiting();
        without_extension.status = RequestStatus::Delivering;
        without_extension.rules.callout_on_created = false;
        assert!(without_extension.check().is_err());
    }
}
