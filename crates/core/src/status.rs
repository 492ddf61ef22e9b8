//! The fine-grained `status` of a request and the coarse `state` it reports alongside.

use alloc::string::String;

use serde::{Deserialize, Serialize};
use strum::{EnumCount, VariantArray};

use crate::error::InvalidInput;
use crate::provenance::{Decision, Provenance, Source};

/// The Graph API version whose spelling is wanted.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, VariantArray,
)]
pub enum ApiVersion {
    /// `v1.0`: `state` in lowerCamel, `status` in PascalCase.
    #[default]
    #[serde(rename = "v1.0")]
    V1,
    /// `beta`: `requestState` and `requestStatus`, both PascalCase.
    #[serde(rename = "beta")]
    Beta,
}

impl ApiVersion {
    /// The version's path segment, `v1.0` or `beta`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::V1 => "v1.0",
            Self::Beta => "beta",
        }
    }
}

/// The fine-grained processing status of a request (`status` in v1.0, `requestStatus` in beta).
///
/// Variants are in lifecycle order. Graph documents no closed list; these are every value it shows or
/// implies, each with its [`Provenance`].
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    VariantArray,
    EnumCount,
)]
#[serde(try_from = "String", into = "&'static str")]
pub enum RequestStatus {
    /// Submitted and accepted for processing; every create response shows it.
    Accepted,
    /// Paused while a custom extension at `assignmentRequestCreated` runs.
    WaitingForCallback,
    /// Waiting for the approvers of the current stage.
    PendingApproval,
    /// Waiting for the alternate approvers after the escalation time passed.
    PendingApprovalEscalated,
    /// Approved (or not needing approval) but waiting for its scheduled start.
    PendingNotBefore,
    /// Access is being assigned.
    Delivering,
    /// Access to every resource was assigned.
    Delivered,
    /// Access to some resources could not be assigned; can be reprocessed.
    PartiallyDelivered,
    /// Access could not be assigned; can be reprocessed.
    DeliveryFailed,
    /// An approver or a custom extension denied the request.
    Denied,
    /// No approver decided before the approval timeout.
    Expired,
    /// The requestor, an administrator or a custom extension cancelled the request.
    Canceled,
}

impl RequestStatus {
    /// The statuses from which Microsoft's `cancel` page allows cancelling, in its order.
    pub const DOCUMENTED_CANCELABLE: [Self; 4] = [
        Self::Accepted,
        Self::PendingApproval,
        Self::PendingNotBefore,
        Self::PendingApprovalEscalated,
    ];

    /// The status's wire string in v1.0 (PascalCase, as in Graph's examples).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "Accepted",
            Self::WaitingForCallback => "WaitingForCallback",
            Self::PendingApproval => "PendingApproval",
            Self::PendingApprovalEscalated => "PendingApprovalEscalated",
            Self::PendingNotBefore => "PendingNotBefore",
            Self::Delivering => "Delivering",
            Self::Delivered => "Delivered",
            Self::PartiallyDelivered => "PartiallyDelivered",
            Self::DeliveryFailed => "DeliveryFailed",
            Self::Denied => "Denied",
            Self::Expired => "Expired",
            Self::Canceled => "Canceled",
        }
    }

    /// The status's wire string in the given API version: the same in both. The newest beta examples
    /// show `Delivered`, as v1.0 does; older ones wrote `Fulfilled`, which is still read as an
    /// [alias](Self::aliases) (D1).
    pub const fn name_in(self, api: ApiVersion) -> &'static str {
        let _ = api;
        self.as_str()
    }

    /// Other spellings Microsoft uses for a status, accepted when parsing.
    pub const fn aliases(self) -> &'static [&'static str] {
        match self {
            Self::Canceled => &["Cancelled"],
            Self::Delivered => &["Fulfilled"],
            _ => &[],
        }
    }

    /// Parses a status, ignoring ASCII case and accepting the [`aliases`](Self::aliases).
    ///
    /// # Errors
    /// [`InvalidInput::UnknownStatus`] for anything else.
    pub fn parse(text: &str) -> Result<Self, InvalidInput> {
        Self::VARIANTS
            .iter()
            .copied()
            .find(|status| {
                status.as_str().eq_ignore_ascii_case(text)
                    || status
                        .aliases()
                        .iter()
                        .any(|alias| alias.eq_ignore_ascii_case(text))
            })
            .ok_or_else(|| InvalidInput::UnknownStatus { value: text.into() })
    }

    /// The coarse state this status reports (`state` in v1.0, `requestState` in beta).
    pub const fn state(self) -> RequestState {
        match self {
            Self::Accepted | Self::WaitingForCallback => RequestState::Submitted,
            Self::PendingApproval | Self::PendingApprovalEscalated => RequestState::PendingApproval,
            Self::PendingNotBefore => RequestState::Scheduled,
            Self::Delivering => RequestState::Delivering,
            Self::Delivered => RequestState::Delivered,
            Self::PartiallyDelivered => RequestState::PartiallyDelivered,
            Self::DeliveryFailed => RequestState::DeliveryFailed,
            Self::Denied | Self::Expired => RequestState::Denied,
            Self::Canceled => RequestState::Canceled,
        }
    }

    /// Whether the request's processing has ended, so `completedDateTime` is set.
    ///
    /// `PartiallyDelivered` and `DeliveryFailed` are completed yet not [terminal](Self::is_terminal):
    /// `reprocess` can reopen them.
    pub const fn is_completed(self) -> bool {
        matches!(
            self,
            Self::Delivered
                | Self::PartiallyDelivered
                | Self::DeliveryFailed
                | Self::Denied
                | Self::Expired
                | Self::Canceled
        )
    }

    /// Whether no action can move a request out of this status. Derived from the transition table.
    pub fn is_terminal(self) -> bool {
        crate::ActionKind::VARIANTS
            .iter()
            .all(|action| crate::table::rows(self, *action).is_empty())
    }

    /// Whether the request waits for an approver: `PendingApproval` or `PendingApprovalEscalated`.
    pub const fn is_pending_approval(self) -> bool {
        matches!(self, Self::PendingApproval | Self::PendingApprovalEscalated)
    }

    /// Whether `cancel` is allowed from this status. Derived from the transition table.
    #[inline]
    pub const fn is_cancelable(self) -> bool {
        crate::table::has_cancel_row(self)
    }

    /// Whether a status string names a cancelable status. Unknown strings are never cancelable.
    pub fn is_cancelable_str(text: &str) -> bool {
        Self::parse(text).is_ok_and(Self::is_cancelable)
    }

    /// Where the status value comes from.
    pub const fn provenance(self) -> Provenance {
        match self {
            Self::Accepted => Provenance::Documented(Source::CreateApi),
            Self::WaitingForCallback => Provenance::Documented(Source::ResumeApi),
            Self::PendingApproval | Self::PendingApprovalEscalated => {
                Provenance::Documented(Source::CancelApi)
            }
            Self::PendingNotBefore => Provenance::Documented(Source::PowerShellExample),
            Self::Delivered => Provenance::Documented(Source::GetApi),
            Self::Delivering
            | Self::PartiallyDelivered
            | Self::DeliveryFailed
            | Self::Denied
            | Self::Canceled => Provenance::Modelled(Decision::StatusSpelling),
            Self::Expired => Provenance::Modelled(Decision::ApprovalExpiry),
        }
    }

    /// Where the pairing of this status with its [`state`](Self::state) comes from.
    pub const fn state_provenance(self) -> Provenance {
        match self {
            Self::Accepted => Provenance::Documented(Source::CreateApi),
            Self::PendingNotBefore => Provenance::Documented(Source::PowerShellExample),
            Self::Delivered => Provenance::Documented(Source::GetApi),
            Self::Expired => Provenance::Modelled(Decision::ApprovalExpiry),
            _ => Provenance::Modelled(Decision::StatusStatePairing),
        }
    }
}

named_enum!(RequestStatus);

/// The coarse state of a request: the v1.0 `accessPackageRequestState` enum, in its member order.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    VariantArray,
    EnumCount,
)]
#[serde(try_from = "String", into = "&'static str")]
pub enum RequestState {
    /// `submitted`.
    Submitted,
    /// `pendingApproval`.
    PendingApproval,
    /// `delivering`.
    Delivering,
    /// `delivered`.
    Delivered,
    /// `deliveryFailed`.
    DeliveryFailed,
    /// `denied`.
    Denied,
    /// `scheduled`.
    Scheduled,
    /// `canceled`.
    Canceled,
    /// `partiallyDelivered`.
    PartiallyDelivered,
    /// `unknownFutureValue`: the evolvable-enum sentinel; no status reports it.
    UnknownFutureValue,
}

impl RequestState {
    /// The v1.0 wire string (lowerCamel).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::PendingApproval => "pendingApproval",
            Self::Delivering => "delivering",
            Self::Delivered => "delivered",
            Self::DeliveryFailed => "deliveryFailed",
            Self::Denied => "denied",
            Self::Scheduled => "scheduled",
            Self::Canceled => "canceled",
            Self::PartiallyDelivered => "partiallyDelivered",
            Self::UnknownFutureValue => "unknownFutureValue",
        }
    }

    /// The beta `requestState` string (PascalCase).
    pub const fn beta_str(self) -> &'static str {
        match self {
            Self::Submitted => "Submitted",
            Self::PendingApproval => "PendingApproval",
            Self::Delivering => "Delivering",
            Self::Delivered => "Delivered",
            Self::DeliveryFailed => "DeliveryFailed",
            Self::Denied => "Denied",
            Self::Scheduled => "Scheduled",
            Self::Canceled => "Canceled",
            Self::PartiallyDelivered => "PartiallyDelivered",
            Self::UnknownFutureValue => "UnknownFutureValue",
        }
    }

    /// The wire string in the given API version.
    pub const fn name_in(self, api: ApiVersion) -> &'static str {
        match api {
            ApiVersion::V1 => self.as_str(),
            ApiVersion::Beta => self.beta_str(),
        }
    }

    /// Parses either spelling, ignoring ASCII case.
    ///
    /// # Errors
    /// [`InvalidInput::UnknownState`] for anything else.
    pub fn parse(text: &str) -> Result<Self, InvalidInput> {
        Self::VARIANTS
            .iter()
            .copied()
            .find(|state| state.as_str().eq_ignore_ascii_case(text))
            .ok_or_else(|| InvalidInput::UnknownState { value: text.into() })
    }
}

named_enum!(RequestState);

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn pending_approval_is_the_two_statuses_reporting_that_state() {
        for &status in RequestStatus::VARIANTS {
            assert_eq!(
                status.is_pending_approval(),
                status.state() == RequestState::PendingApproval,
                "{status}"
            );
        }
    }

    #[test]
    fn every_status_round_trips_through_its_wire_names() {
        for &status in RequestStatus::VARIANTS {
            for api in ApiVersion::VARIANTS {
                assert_eq!(RequestStatus::parse(status.name_in(*api)), Ok(status));
            }
            assert_eq!(
                RequestStatus::parse(&status.as_str().to_lowercase()),
                Ok(status)
            );
            assert_eq!(
                RequestStatus::parse(&status.as_str().to_uppercase()),
                Ok(status)
            );
            assert_eq!(status.to_string().parse::<RequestStatus>(), Ok(status));
        }
    }

    #[test]
    fn documented_spellings_parse() {
        use RequestStatus as S;
        for (text, status) in [
            ("accepted", S::Accepted),
            ("pendingApproval", S::PendingApproval),
            ("pendingNotBefore", S::PendingNotBefore),
            ("pendingApprovalEscalated", S::PendingApprovalEscalated),
            ("cancelled", S::Canceled),
            ("Cancelled", S::Canceled),
            ("canceled", S::Canceled),
            ("Fulfilled", S::Delivered),
            ("fulfilled", S::Delivered),
            ("WaitingForCallback", S::WaitingForCallback),
        ] {
            assert_eq!(RequestStatus::parse(text), Ok(status), "{text}");
        }
        assert_eq!(S::Delivered.name_in(ApiVersion::Beta), "Delivered");
        assert_eq!(S::Delivered.name_in(ApiVersion::V1), "Delivered");
    }

    #[test]
    fn unknown_statuses_are_typed_errors_and_never_cancelable() {
        for text in [
            "",
            "pending",
            "Approved",
            "Canceledd",
            " Accepted",
            "Accepted ",
            "Ac\u{0}cepted",
        ] {
            assert_eq!(
                RequestStatus::parse(text),
                Err(InvalidInput::UnknownStatus { value: text.into() })
            );
            assert!(!RequestStatus::is_cancelable_str(text), "{text:?}");
        }
        assert!(RequestStatus::is_cancelable_str("pendingApprovalEscalated"));
        assert!(!RequestStatus::is_cancelable_str("Delivered"));
    }

    #[test]
    fn the_cancelable_set_is_the_documented_one() {
        for &status in RequestStatus::VARIANTS {
            assert_eq!(
                status.is_cancelable(),
                RequestStatus::DOCUMENTED_CANCELABLE.contains(&status),
                "{status}"
            );
        }
    }

    #[test]
    fn terminal_statuses_are_completed_but_not_every_completed_one_is_terminal() {
        use RequestStatus as S;
        let terminal: alloc::vec::Vec<_> = S::VARIANTS
            .iter()
            .copied()
            .filter(|s| s.is_terminal())
            .collect();
        assert_eq!(terminal, [S::Delivered, S::Denied, S::Expired, S::Canceled]);
        for status in terminal {
            assert!(status.is_completed());
        }
        assert!(S::DeliveryFailed.is_completed() && !S::DeliveryFailed.is_terminal());
        assert!(S::PartiallyDelivered.is_completed() && !S::PartiallyDelivered.is_terminal());
    }

    #[test]
    fn statuses_pair_with_states_as_documented() {
        use RequestState as T;
        use RequestStatus as S;
        assert_eq!(S::Accepted.state(), T::Submitted);
        assert_eq!(S::PendingNotBefore.state(), T::Scheduled);
        assert_eq!(S::Delivered.state(), T::Delivered);
        assert_eq!(S::Canceled.state(), T::Canceled);
        assert_eq!(S::Expired.state(), T::Denied);
        for &status in S::VARIANTS {
            assert_ne!(status.state(), T::UnknownFutureValue);
        }
    }

    #[test]
    fn states_parse_in_both_spellings() {
        for &state in RequestState::VARIANTS {
            assert_eq!(RequestState::parse(state.as_str()), Ok(state));
            assert_eq!(RequestState::parse(state.beta_str()), Ok(state));
            assert_eq!(state.name_in(ApiVersion::Beta), state.beta_str());
        }
        assert_eq!(
            RequestState::as_str(RequestState::UnknownFutureValue),
            "unknownFutureValue"
        );
        assert!(matches!(
            RequestState::parse("expired"),
            Err(InvalidInput::UnknownState { .. })
        ));
    }

    #[test]
    fn serde_uses_wire_names() {
        let json = serde_json::to_string(&RequestStatus::PendingNotBefore).unwrap();
        assert_eq!(json, "\"PendingNotBefore\"");
        assert_eq!(
            serde_json::from_str::<RequestStatus>("\"cancelled\"").unwrap(),
            RequestStatus::Canceled
        );
        assert!(serde_json::from_str::<RequestStatus>("\"bogus\"").is_err());
        let json = serde_json::to_string(&RequestState::PartiallyDelivered).unwrap();
        assert_eq!(json, "\"partiallyDelivered\"");
        assert_eq!(
            serde_json::from_str::<RequestState>("\"Scheduled\"").unwrap(),
            RequestState::Scheduled
        );
        assert_eq!(serde_json::to_string(&ApiVersion::V1).unwrap(), "\"v1.0\"");
    }

    #[test]
    fn api_versions_are_named_by_their_path_segment() {
        assert_eq!(ApiVersion::V1.as_str(), "v1.0");
        assert_eq!(ApiVersion::Beta.as_str(), "beta");
        for &api in ApiVersion::VARIANTS {
            let json = serde_json::to_string(&api).unwrap();
            assert_eq!(json, alloc::format!("\"{}\"", api.as_str()));
            assert_eq!(serde_json::from_str::<ApiVersion>(&json).unwrap(), api);
        }
    }

    #[test]
    fn states_display_their_v1_names() {
        for &state in RequestState::VARIANTS {
            assert_eq!(state.to_string(), state.as_str());
            assert_eq!(state.to_string().parse::<RequestState>(), Ok(state));
        }
        assert_eq!(RequestState::PendingApproval.to_string(), "pendingApproval");
    }

    #[test]
    fn state_pairings_cite_the_document_that_shows_them() {
        use RequestStatus as S;
        for &status in S::VARIANTS {
            let expected = match status {
                S::Accepted => Provenance::Documented(Source::CreateApi),
                S::PendingNotBefore => Provenance::Documented(Source::PowerShellExample),
                S::Delivered => Provenance::Documented(Source::GetApi),
                S::Expired => Provenance::Modelled(Decision::ApprovalExpiry),
                _ => Provenance::Modelled(Decision::StatusStatePairing),
            };
            assert_eq!(status.state_provenance(), expected, "{status}");
        }
    }

    #[test]
    fn provenance_marks_documented_statuses() {
        use RequestStatus as S;
        for status in RequestStatus::DOCUMENTED_CANCELABLE {
            assert!(status.provenance().is_documented(), "{status}");
        }
        assert!(!S::Canceled.provenance().is_documented());
        assert!(S::Delivered.state_provenance().is_documented());
        assert!(!S::Expired.state_provenance().is_documented());
    }
}
