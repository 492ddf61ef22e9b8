//! `status_parse`: arbitrary bytes as strings through every parser of entitle-core's wire values:
//! `RequestStatus::parse`, `RequestState::parse`, `ActionKind::parse`, `RequestId::parse` and
//! `SubjectId::parse`, and through serde for each.
//!
//! Each input is tried three ways: as (lossy) UTF-8 text; as the known wire name its first byte picks,
//! with its ASCII case flipped by the other bytes' bits (so that successful parses are common); and as a GUID whose digits are
//! the input's bytes. Where a parse succeeds, the value must round-trip (`parse(x.as_str()) == x`, every
//! `name_in(api)` and alias parses back, ids display in lowercase and parse back identical, serde
//! agrees with `parse`), `is_cancelable_str` must agree with `parse` then `is_cancelable`, and the text
//! must equal a known name ignoring ASCII case. Where it fails, the error must carry the text, the
//! text must match no known name, and the text must never be cancelable.

#![no_main]

use entitle_core::{
    ActionKind, ApiVersion, InvalidInput, RequestId, RequestState, RequestStatus, SubjectId,
    VariantArray,
};
use libfuzzer_sys::fuzz_target;

/// Every status's names, written out here: canonical, then aliases.
const STATUS_NAMES: &[(RequestStatus, &[&str])] = &[
    (RequestStatus::Accepted, &["Accepted"]),
    (RequestStatus::WaitingForCallback, &["WaitingForCallback"]),
    (RequestStatus::PendingApproval, &["PendingApproval"]),
    (
        RequestStatus::PendingApprovalEscalated,
        &["PendingApprovalEscalated"],
    ),
    (RequestStatus::PendingNotBefore, &["PendingNotBefore"]),
    (RequestStatus::Delivering, &["Delivering"]),
    (RequestStatus::Delivered, &["Delivered", "Fulfilled"]),
    (RequestStatus::PartiallyDelivered, &["PartiallyDelivered"]),
    (RequestStatus::DeliveryFailed, &["DeliveryFailed"]),
    (RequestStatus::Denied, &["Denied"]),
    (RequestStatus::Expired, &["Expired"]),
    (RequestStatus::Canceled, &["Canceled", "Cancelled"]),
];

/// The statuses `cancel` is documented to work from.
const CANCELABLE: [RequestStatus; 4] = [
    RequestStatus::Accepted,
    RequestStatus::PendingApproval,
    RequestStatus::PendingNotBefore,
    RequestStatus::PendingApprovalEscalated,
];

/// Every state's v1.0 name (beta's differs only in case).
const STATE_NAMES: &[(RequestState, &str)] = &[
    (RequestState::Submitted, "submitted"),
    (RequestState::PendingApproval, "pendingApproval"),
    (RequestState::Delivering, "delivering"),
    (RequestState::Delivered, "delivered"),
    (RequestState::DeliveryFailed, "deliveryFailed"),
    (RequestState::Denied, "denied"),
    (RequestState::Scheduled, "scheduled"),
    (RequestState::Canceled, "canceled"),
    (RequestState::PartiallyDelivered, "partiallyDelivered"),
    (RequestState::UnknownFutureValue, "unknownFutureValue"),
];

/// Every action's name.
const ACTION_NAMES: &[(ActionKind, &str)] = &[
    (ActionKind::Process, "process"),
    (ActionKind::ResumeContinue, "resumeContinue"),
    (ActionKind::ResumeDeny, "resumeDeny"),
    (ActionKind::ResumeCancel, "resumeCancel"),
    (ActionKind::Approve, "approve"),
    (ActionKind::Deny, "deny"),
    (ActionKind::Escalate, "escalate"),
    (ActionKind::Expire, "expire"),
    (ActionKind::ReachStart, "reachStart"),
    (ActionKind::Deliver, "deliver"),
    (ActionKind::DeliverPartially, "deliverPartially"),
    (ActionKind::FailDelivery, "failDelivery"),
    (ActionKind::Reprocess, "reprocess"),
    (ActionKind::Cancel, "cancel"),
];

/// The value serde decodes from `text` as a JSON string, if any.
fn from_json_string<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    let json = serde_json::to_string(text).expect("a string serializes");
    serde_json::from_str(&json).ok()
}

/// The JSON string serde writes for `value`.
fn to_json_string<T: serde::Serialize>(value: &T) -> String {
    let json = serde_json::to_string(value).expect("a wire value serializes");
    serde_json::from_str(&json).expect("a wire value serializes to a JSON string")
}

fn check_status(text: &str) {
    let known = STATUS_NAMES
        .iter()
        .find(|(_, names)| names.iter().any(|name| name.eq_ignore_ascii_case(text)));
    let parsed = RequestStatus::parse(text);
    assert_eq!(
        from_json_string::<RequestStatus>(text),
        parsed.clone().ok(),
        "serde vs parse for status {text:?}"
    );
    match parsed {
        Ok(status) => {
            assert_eq!(known.map(|(s, _)| *s), Some(status), "status {text:?}");
            assert_eq!(RequestStatus::parse(status.as_str()), Ok(status));
            assert_eq!(status.to_string(), status.as_str());
            assert_eq!(to_json_string(&status), status.as_str());
            for api in ApiVersion::VARIANTS {
                assert_eq!(RequestStatus::parse(status.name_in(*api)), Ok(status));
            }
            for alias in status.aliases() {
                assert_eq!(RequestStatus::parse(alias), Ok(status));
            }
            assert_eq!(
                RequestStatus::is_cancelable_str(text),
                status.is_cancelable(),
                "is_cancelable_str({text:?})"
            );
            assert_eq!(status.is_cancelable(), CANCELABLE.contains(&status));
            assert_ne!(status.state(), RequestState::UnknownFutureValue);
            assert_eq!(
                RequestState::parse(status.state().as_str()),
                Ok(status.state())
            );
        }
        Err(error) => {
            assert!(
                known.is_none(),
                "{text:?} names {known:?} but did not parse"
            );
            assert_eq!(error, InvalidInput::UnknownStatus { value: text.into() });
            assert!(
                !RequestStatus::is_cancelable_str(text),
                "unknown status {text:?} is cancelable"
            );
        }
    }
}

fn check_state(text: &str) {
    let known = STATE_NAMES
        .iter()
        .find(|(_, name)| name.eq_ignore_ascii_case(text));
    let parsed = RequestState::parse(text);
    assert_eq!(
        from_json_string::<RequestState>(text),
        parsed.clone().ok(),
        "serde vs parse for state {text:?}"
    );
    match parsed {
        Ok(state) => {
            assert_eq!(known.map(|(s, _)| *s), Some(state), "state {text:?}");
            assert_eq!(RequestState::parse(state.as_str()), Ok(state));
            assert_eq!(RequestState::parse(state.beta_str()), Ok(state));
            for api in ApiVersion::VARIANTS {
                assert_eq!(RequestState::parse(state.name_in(*api)), Ok(state));
            }
            assert_eq!(to_json_string(&state), state.as_str());
            assert_eq!(state.to_string(), state.as_str());
        }
        Err(error) => {
            assert!(
                known.is_none(),
                "{text:?} names {known:?} but did not parse"
            );
            assert_eq!(error, InvalidInput::UnknownState { value: text.into() });
        }
    }
}

fn check_action(text: &str) {
    let known = ACTION_NAMES
        .iter()
        .find(|(_, name)| name.eq_ignore_ascii_case(text));
    let parsed = ActionKind::parse(text);
    assert_eq!(
        from_json_string::<ActionKind>(text),
        parsed.clone().ok(),
        "serde vs parse for action {text:?}"
    );
    assert_eq!(text.parse::<ActionKind>(), parsed);
    match parsed {
        Ok(action) => {
            assert_eq!(known.map(|(a, _)| *a), Some(action), "action {text:?}");
            assert_eq!(ActionKind::parse(action.as_str()), Ok(action));
            assert_eq!(to_json_string(&action), action.as_str());
            assert_eq!(action.to_string(), action.as_str());
        }
        Err(error) => {
            assert!(
                known.is_none(),
                "{text:?} names {known:?} but did not parse"
            );
            assert_eq!(error, InvalidInput::UnknownAction { value: text.into() });
        }
    }
}

/// The GUID value of `text` if it is a canonical hyphenated GUID, by a separate reading.
fn guid_value(text: &str) -> Option<u128> {
    let bytes = text.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    let mut value = 0u128;
    for (index, &byte) in bytes.iter().enumerate() {
        if matches!(index, 8 | 13 | 18 | 23) {
            if byte != b'-' {
                return None;
            }
        } else {
            let digit = match byte {
                b'0'..=b'9' => byte - b'0',
                b'a'..=b'f' => byte - b'a' + 10,
                b'A'..=b'F' => byte - b'A' + 10,
                _ => return None,
            };
            value = value << 4 | u128::from(digit);
        }
    }
    Some(value)
}

fn check_ids(text: &str) {
    let expected = guid_value(text);
    match RequestId::parse(text) {
        Ok(id) => {
            assert_eq!(Some(id.guid().as_u128()), expected, "request id {text:?}");
            let shown = id.to_string();
            assert_eq!(shown, text.to_ascii_lowercase());
            assert_eq!(RequestId::parse(&shown), Ok(id));
            assert_eq!(to_json_string(&id), shown);
            assert_eq!(from_json_string::<RequestId>(text), Some(id));
        }
        Err(error) => {
            assert_eq!(expected, None, "{text:?} is a GUID but did not parse");
            assert_eq!(
                error,
                InvalidInput::MalformedId {
                    kind: "request",
                    value: text.into()
                }
            );
            assert_eq!(from_json_string::<RequestId>(text), None);
        }
    }
    match SubjectId::parse(text) {
        Ok(id) => {
            assert_eq!(Some(id.guid().as_u128()), expected, "subject id {text:?}");
            let shown = id.to_string();
            assert_eq!(shown, text.to_ascii_lowercase());
            assert_eq!(SubjectId::parse(&shown), Ok(id));
            assert_eq!(SubjectId::new(id.guid()), id);
        }
        Err(error) => {
            assert_eq!(expected, None, "{text:?} is a GUID but did not parse");
            assert_eq!(
                error,
                InvalidInput::MalformedId {
                    kind: "subject",
                    value: text.into()
                }
            );
        }
    }
}

fn check(text: &str) {
    check_status(text);
    check_state(text);
    check_action(text);
    check_ids(text);
}

/// `name` with the ASCII case of character `i` flipped when bit `i` of `bits` is set.
fn flip_case(name: &str, bits: &[u8]) -> String {
    name.chars()
        .enumerate()
        .map(|(index, c)| {
            let flip = bits
                .get(index / 8)
                .is_some_and(|byte| byte & (1 << (index % 8)) != 0);
            if flip && c.is_ascii_lowercase() {
                c.to_ascii_uppercase()
            } else if flip && c.is_ascii_uppercase() {
                c.to_ascii_lowercase()
            } else {
                c
            }
        })
        .collect()
}

/// A GUID-shaped string whose 32 digits come from `bytes`: hex digits mostly, other bytes sometimes.
fn guid_shaped(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 22] = b"0123456789abcdefABCDEF";
    let mut text = String::with_capacity(36);
    let mut source = bytes.iter().copied();
    for index in 0..36 {
        let byte = source.next().unwrap_or(b'0');
        if matches!(index, 8 | 13 | 18 | 23) {
            text.push(if byte == b'_' { '_' } else { '-' });
        } else if byte >= 0xf0 {
            // Rarely a non-digit, ASCII or not.
            text.push(char::from(byte & 0x7f));
        } else {
            text.push(char::from(DIGITS[usize::from(byte) % DIGITS.len()]));
        }
    }
    text
}

fuzz_target!(|data: &[u8]| {
    // The input as text: valid UTF-8 as is, anything else lossily.
    let text = String::from_utf8_lossy(data);
    check(&text);

    // A known name chosen by the first byte, its ASCII case flipped by the other bytes' bits.
    if let Some((&pick, bits)) = data.split_first() {
        let names: Vec<&str> = STATUS_NAMES
            .iter()
            .flat_map(|(_, names)| names.iter().copied())
            .chain(STATE_NAMES.iter().map(|(_, name)| *name))
            .chain(ACTION_NAMES.iter().map(|(_, name)| *name))
            .collect();
        check(&flip_case(names[usize::from(pick) % names.len()], bits));
    }

    // A GUID-shaped string built from the input.
    check(&guid_shaped(data));
});
