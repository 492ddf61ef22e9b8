//! `graph_wire`: the Microsoft Graph wire types of entitle-graph: `datetime::parse`/`format`,
//! `request_type::parse` and `wire_name`, `EnumPreference::from_prefer`, the error `envelope`, and
//! the core `Request`'s serde with `RequestView::to_wire`.
//!
//! ## Input format
//!
//! Every input is used twice, and every check runs on every input, but the fixed table of request
//! type names (its order, spellings and serde), which no input changes, is checked once per process,
//! and `to_wire` is checked in every version and preference on a sample (below).
//!
//! 1. **As text** (lossy UTF-8): a `DateTimeOffset` for `datetime::parse`, a `requestType` name for
//!    `request_type::parse`, `Prefer` header values (one per line) for `EnumPreference::from_prefer`,
//!    the strings of an error envelope (`code`, `message`, `request-id`, `client-request-id`, separated
//!    by NUL characters), and the raw bytes as a stored `Request` for `serde_json`.
//! 2. **As a program**, read front to back (a read past the end yields zero): a date-time string built
//!    field by field (years 0000-9999, often 9999; every other field a quarter of the time at its
//!    largest valid value, else anywhere up to just past its range, offsets likewise, either sign;
//!    `T`/`t`/space, 0-10 fraction digits, `Z`/`z`/`±hh:mm`, rare junk); an instant for `format`
//!    (near 1970, 2026, 2000-02-29, the year-9999 limit, `u64::MAX`, or raw); a known `requestType`
//!    name (or `unknownFutureValue`, or the `Prefer` preference) with its ASCII case flipped by the
//!    next byte's bits, for `request_type::parse` and `from_prefer`; the envelope's date; then a
//!    `Request` built field by field (ids, any type, rules with 0-4 stages, any status and stage
//!    progress, optional instants), optionally repaired to satisfy `Request::check`, with an awkward
//!    justification.
//!
//! ## Properties
//!
//! - `datetime::parse` never panics and equals the oracle below on every text: RFC 3339
//!   `YYYY-MM-DD(T|t)HH:MM:SS[.d+](Z|z|±HH:MM)`, month 1-12, day within the month (Gregorian leap
//!   years), hour ≤ 23, minute and second ≤ 59, offset hours ≤ 23 and minutes ≤ 59, fraction truncated
//!   to milliseconds, and the instant from 1970-01-01T00:00:00Z up to (not including)
//!   10000-01-01T00:00:00Z, the instants `format` writes as RFC 3339. The oracle counts days with its
//!   own closed form, not Hinnant's algorithm.
//! - `format(t)` is `YYYY-MM-DDTHH:MM:SS.mmmZ`; `parse(format(t)) == t` for every `t` before year
//!   10000; past that `format` still writes (a longer year) and `parse` refuses it. Anything `parse`
//!   accepts formats to text that parses to the same instant.
//! - `request_type::parse`, for both API versions and both enum preferences, equals the oracle: a
//!   member whose v1.0 or beta name equals the text ignoring ASCII case, except `approverRemove` (past
//!   the v1.0 sentinel) in v1.0 without the opt-in, and `UserExtend` (beta's only) in v1.0;
//!   `unknownFutureValue` never parses; errors carry the text. A parsed type's `wire_name` parses back
//!   to it; `Display` and serde write the v1.0 name and serde reads it back; `wire_name` in v1.0 is
//!   `unknownFutureValue` exactly for `UserExtend`, and for `approverRemove` without the opt-in.
//! - `EnumPreference::from_prefer(values)` is `true` exactly when some value does (values are independent),
//!   equals `from_prefer` of the values joined with commas, and becomes `true` when
//!   `include-unknown-enum-members` is added; for header text (visible ASCII, space and tab, as the
//!   server passes it) it equals the oracle: some comma-separated element, trimmed of spaces and tabs,
//!   equals the preference ignoring ASCII case.
//! - `envelope(code, message, exchange)` is JSON of exactly `{"error": {"code", "message",
//!   "innerError": {"request-id", ["client-request-id"], "date"}}}` carrying the strings unchanged,
//!   `client-request-id` exactly when given, and `date == format(exchange.date)`.
//! - Any bytes deserializing as a `Request` pass `Request::check`, re-serialize (to text and to a
//!   `Value`) into JSON that deserializes to an equal value, and `RequestView::to_wire` for each version
//!   and preference (every pair on one input in [`ALL_WIRE_EVERY`] by hash, else the one pair the
//!   hash picks, since the eight `to_wire`s with their checks are the costliest part of an input)
//!   is an object with exactly that version's property names (`schedule` and `expiration` too, with their `@odata.type`), whose values are the request's: id, `wire_name`, the
//!   status's and state's names in that version, `format`ted instants (parsing back where `format`
//!   writes RFC 3339), the justification, no answers, `null` duration and recurrence,
//!   `isValidationOnly` false and no verified credentials in beta. A built request serialized and read back
//!   deserializes exactly when its `Request::check` passes, and then equals what was built.

#![no_main]

#[path = "common/bytes.rs"]
mod bytes;

use bytes::Bytes;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Once;

use entitle_core::{
    ApiVersion, ApprovalRules, AssignmentId, Callout, Duration, Effect, Guid, PolicyRules, Request,
    RequestId, RequestStatus, RequestType, Review, ReviewDecision, Stage, StageOutcome, SubjectId,
    Timestamp, VariantArray,
};
use entitle_graph::{
    EnumPreference, Exchange, INCLUDE_UNKNOWN_ENUM_MEMBERS, Moment, RequestView, datetime,
    envelope, request_type,
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const MS_DAY: u64 = 86_400_000;
/// 10000-01-01T00:00:00Z: the first instant `format` does not write as RFC 3339.
const END_OF_RFC3339: u64 = 253_402_300_800_000;
/// 2026-01-01T00:00:00Z.
const T0: u64 = 1_767_225_600_000;
/// 2000-02-29T00:00:00Z.
const LEAP_DAY: u64 = 951_782_400_000;

const PREFERENCES: [EnumPreference; 4] = [
    EnumPreference {
        include_unknown_members: false,
        beta_lower_camel: false,
    },
    EnumPreference {
        include_unknown_members: true,
        beta_lower_camel: false,
    },
    EnumPreference {
        include_unknown_members: false,
        beta_lower_camel: true,
    },
    EnumPreference {
        include_unknown_members: true,
        beta_lower_camel: true,
    },
];

// ---------------------------------------------------------------------------------------------------
// Date-times.
// ---------------------------------------------------------------------------------------------------

fn is_leap(year: u64) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn month_days(year: u64, month: u64) -> u64 {
    const DAYS: [u64; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let index = usize::try_from(month - 1).expect("a month is 1 to 12");
    DAYS[index] + u64::from(month == 2 && is_leap(year))
}

/// Days from 0000-01-01 to the first of January of `year` (proleptic Gregorian; year 0 is leap).
fn days_before_year(year: i128) -> i128 {
    365 * year + (year + 3) / 4 - (year + 99) / 100 + (year + 399) / 400
}

/// The oracle for `datetime::parse`: the instant `text` names, in ms since the epoch.
fn oracle_datetime(text: &str) -> Option<u64> {
    const SHAPE: &[u8; 19] = b"dddd-dd-ddTdd:dd:dd";
    let b = text.as_bytes();
    if b.len() < SHAPE.len() {
        return None;
    }
    for (&c, &s) in b.iter().zip(SHAPE) {
        let fits = match s {
            b'd' => c.is_ascii_digit(),
            b'T' => c == b'T' || c == b't',
            _ => c == s,
        };
        if !fits {
            return None;
        }
    }
    let number = |from: usize, to: usize| {
        b[from..to]
            .iter()
            .fold(0_u64, |n, d| n * 10 + u64::from(d - b'0'))
    };
    let (year, month, day) = (number(0, 4), number(5, 7), number(8, 10));
    let (hour, minute, second) = (number(11, 13), number(14, 16), number(17, 19));
    let mut rest = &b[19..];
    let mut millis = 0;
    if let Some(fraction) = rest.strip_prefix(b".") {
        let count = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if count == 0 {
            return None;
        }
        // The first three digits, padded with zeros.
        millis = fraction[..count]
            .iter()
            .chain(b"000")
            .take(3)
            .fold(0, |n, d| n * 10 + u64::from(d - b'0'));
        rest = &fraction[count..];
    }
    let offset_minutes: i128 = match rest {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2]
            if [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()) =>
        {
            let hours = i128::from((h1 - b'0') * 10 + (h2 - b'0'));
            let minutes = i128::from((m1 - b'0') * 10 + (m2 - b'0'));
            if hours > 23 || minutes > 59 {
                return None;
            }
            let magnitude = hours * 60 + minutes;
            if *sign == b'+' { magnitude } else { -magnitude }
        }
        _ => return None,
    };
    if !(1..=12).contains(&month) || day == 0 || day > month_days(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let day_of_year = (1..month).map(|m| month_days(year, m)).sum::<u64>() + day - 1;
    let days =
        days_before_year(i128::from(year)) - days_before_year(1970) + i128::from(day_of_year);
    let seconds =
        days * 86_400 + i128::from(hour * 3_600 + minute * 60 + second) - offset_minutes * 60;
    let ms = seconds * 1_000 + i128::from(millis);
    (0..i128::from(END_OF_RFC3339))
        .contains(&ms)
        .then(|| u64::try_from(ms).expect("in range"))
}

/// Whether `text` is `YYYY-MM-DDTHH:MM:SS.mmmZ` (with a year of 4 or more digits).
fn has_format_shape(text: &str) -> bool {
    let Some(year_len) = text.find('-') else {
        return false;
    };
    let (year, rest) = text.split_at(year_len);
    year.len() >= 4
        && year.bytes().all(|c| c.is_ascii_digit())
        && rest.len() == 20
        && rest
            .bytes()
            .zip(b"-dd-ddTdd:dd:dd.dddZ")
            .all(|(c, s)| match s {
                b'd' => c.is_ascii_digit(),
                _ => c == *s,
            })
}

fn check_format(at: Timestamp) {
    let text = datetime::format(at);
    assert!(has_format_shape(&text), "format({}) = {text:?}", at.0);
    if at.0 < END_OF_RFC3339 {
        assert_eq!(text.len(), 24, "format({}) = {text:?}", at.0);
        assert_eq!(
            datetime::parse(&text),
            Ok(at),
            "parse(format({})) = parse({text:?})",
            at.0
        );
        assert_eq!(oracle_datetime(&text), Some(at.0), "oracle of {text:?}");
    } else {
        assert!(
            datetime::parse(&text).is_err(),
            "parse accepts {text:?}, beyond RFC 3339"
        );
    }
}

fn check_datetime(text: &str) {
    let parsed = datetime::parse(text);
    assert_eq!(
        parsed.as_ref().ok().map(|t| t.0),
        oracle_datetime(text),
        "datetime::parse({text:?}) = {parsed:?}"
    );
    match parsed {
        Ok(at) => {
            let formatted = datetime::format(at);
            assert_eq!(
                datetime::parse(&formatted),
                Ok(at),
                "{text:?} parses to {}, formatted {formatted:?}, which does not parse back",
                at.0
            );
        }
        Err(error) => assert_eq!(error.value, text, "the error carries the text"),
    }
}

/// Two decimal digits of `n`.
fn two(text: &mut String, n: u8) {
    text.push(char::from(b'0' + n / 10 % 10));
    text.push(char::from(b'0' + n % 10));
}

/// A field's value: from a quarter of the bytes the largest valid value `edge`, else `byte % modulo`
/// (which also reaches just past the valid range).
fn field(bytes: &mut Bytes<'_>, edge: u8, modulo: u8) -> u8 {
    let byte = bytes.u8();
    if byte >= 0xc0 { edge } else { byte % modulo }
}

/// A date-time string built from `bytes`: usually well formed, often out of range or at an edge.
fn datetime_text(bytes: &mut Bytes<'_>) -> String {
    let mut text = String::new();
    let year = match bytes.u8() % 8 {
        0 => 1970,
        1 => 1969,
        2 => 2000,
        3 | 4 => 9999,
        5 => 0,
        _ => bytes.u16() % 10_000,
    };
    write!(text, "{year:04}-").expect("a String takes any text");
    two(&mut text, field(bytes, 12, 14));
    text.push('-');
    two(&mut text, field(bytes, 31, 33));
    let flags = bytes.u8();
    text.push(match flags & 7 {
        0 => 't',
        1 => ' ',
        _ => 'T',
    });
    two(&mut text, field(bytes, 23, 26));
    text.push(':');
    two(&mut text, field(bytes, 59, 61));
    text.push(':');
    two(&mut text, field(bytes, 59, 62));
    if flags & 8 != 0 {
        text.push('.');
        for _ in 0..bytes.u8() % 11 {
            text.push(char::from(b'0' + field(bytes, 9, 10)));
        }
    }
    match (flags >> 4) & 7 {
        0 => text.push('z'),
        1..=3 => {
            text.push(if flags & 0x10 != 0 { '+' } else { '-' });
            two(&mut text, field(bytes, 23, 26));
            text.push(':');
            two(&mut text, field(bytes, 59, 62));
        }
        4 => {
            // A malformed offset: one-digit hours.
            text.push('+');
            text.push(char::from(b'0' + bytes.u8() % 10));
            text.push_str(":00");
        }
        _ => text.push('Z'),
    }
    if flags & 0x80 != 0 && bytes.u8() < 32 {
        text.push(char::from(bytes.u8() & 0x7f));
    }
    text
}

/// An instant chosen from `bytes`, often at an edge.
fn instant(bytes: &mut Bytes<'_>) -> Timestamp {
    Timestamp(match bytes.u8() % 8 {
        0 => u64::from(bytes.u8()),
        1 => T0 + u64::from(bytes.u32()),
        2 => bytes.u64(),
        3 => END_OF_RFC3339 - 1 - u64::from(bytes.u16()),
        4 => END_OF_RFC3339 + u64::from(bytes.u16()),
        5 => u64::MAX - u64::from(bytes.u32()),
        6 => bytes.u64() % END_OF_RFC3339,
        _ => LEAP_DAY + (u64::from(bytes.u8()) * MS_DAY / 16),
    })
}

// ---------------------------------------------------------------------------------------------------
// requestType and Prefer.
// ---------------------------------------------------------------------------------------------------

/// Every member's v1.0 and beta names, written out here, in the core's member order.
const REQUEST_TYPES: &[(RequestType, &str, &str)] = &[
    (RequestType::NotSpecified, "notSpecified", "NotSpecified"),
    (RequestType::UserAdd, "userAdd", "UserAdd"),
    (RequestType::UserUpdate, "userUpdate", "UserUpdate"),
    (RequestType::UserRemove, "userRemove", "UserRemove"),
    (RequestType::AdminAdd, "adminAdd", "AdminAdd"),
    (RequestType::AdminUpdate, "adminUpdate", "AdminUpdate"),
    (RequestType::AdminRemove, "adminRemove", "AdminRemove"),
    (RequestType::SystemAdd, "systemAdd", "SystemAdd"),
    (RequestType::SystemUpdate, "systemUpdate", "SystemUpdate"),
    (RequestType::SystemRemove, "systemRemove", "SystemRemove"),
    (RequestType::OnBehalfAdd, "onBehalfAdd", "OnBehalfAdd"),
    (
        RequestType::ApproverRemove,
        "approverRemove",
        "ApproverRemove",
    ),
    (RequestType::UserExtend, "userExtend", "UserExtend"),
];

/// Whether v1.0 hides `kind` from a client with `preference`: beta's own member always, the member
/// past the sentinel without the opt-in.
fn hidden_in_v1(kind: RequestType, preference: EnumPreference) -> bool {
    kind == RequestType::UserExtend
        || (kind == RequestType::ApproverRemove && !preference.include_unknown_members)
}

fn oracle_request_type(
    text: &str,
    api: ApiVersion,
    preference: EnumPreference,
) -> Option<RequestType> {
    let (kind, _, _) = REQUEST_TYPES
        .iter()
        .find(|(_, v1, beta)| v1.eq_ignore_ascii_case(text) || beta.eq_ignore_ascii_case(text))?;
    let hidden = api == ApiVersion::V1 && hidden_in_v1(*kind, preference);
    (!hidden).then_some(*kind)
}

fn check_request_type(text: &str) {
    for &api in ApiVersion::VARIANTS {
        for preference in PREFERENCES {
            let parsed = request_type::parse(text, api, preference);
            assert_eq!(
                parsed.as_ref().ok().copied(),
                oracle_request_type(text, api, preference),
                "request_type::parse({text:?}, {api:?}, {preference:?})"
            );
            match parsed {
                Ok(kind) => {
                    let wire = request_type::wire_name(kind, api, preference);
                    assert_eq!(
                        request_type::parse(wire, api, preference),
                        Ok(kind),
                        "the wire name {wire:?} of {kind:?} in {api:?}, {preference:?}"
                    );
                    assert!(!"unknownFutureValue".eq_ignore_ascii_case(text));
                }
                Err(error) => assert_eq!(error.value, text, "the error carries the text"),
            }
        }
    }
}

/// The fixed facts of every member, checked once per input (cheap).
fn check_request_type_names() {
    assert_eq!(REQUEST_TYPES.len(), RequestType::VARIANTS.len());
    for (&(kind, v1, beta), &variant) in REQUEST_TYPES.iter().zip(RequestType::VARIANTS) {
        assert_eq!(kind, variant, "member order");
        assert_eq!(kind.as_str(), v1);
        assert_eq!(kind.beta_str(), beta);
        assert_eq!(kind.to_string(), v1);
        let json = serde_json::to_string(&kind).expect("serializes");
        assert_eq!(json, format!("\"{v1}\""));
        assert_eq!(serde_json::from_str::<RequestType>(&json).ok(), Some(kind));
        for preference in PREFERENCES {
            let hidden =
                request_type::wire_name(kind, ApiVersion::V1, preference) == "unknownFutureValue";
            assert_eq!(hidden, hidden_in_v1(kind, preference));
            let spelled = if preference.beta_lower_camel {
                v1
            } else {
                beta
            };
            assert_eq!(
                request_type::wire_name(kind, ApiVersion::Beta, preference),
                spelled
            );
        }
    }
}

/// A known request type name (or the sentinel), its ASCII case flipped by `bits`.
fn flipped_request_type(pick: u8, bits: u8) -> String {
    let names: Vec<&str> = REQUEST_TYPES
        .iter()
        .flat_map(|(_, v1, beta)| [*v1, *beta])
        .chain(["unknownFutureValue", INCLUDE_UNKNOWN_ENUM_MEMBERS])
        .collect();
    let name = names[usize::from(pick) % names.len()];
    name.chars()
        .enumerate()
        .map(|(i, c)| {
            if bits >> (i % 8) & 1 == 1 {
                if c.is_ascii_lowercase() {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            } else {
                c
            }
        })
        .collect()
}

/// The oracle for header text: some comma-separated element, without surrounding spaces and tabs, is
/// the preference (ASCII case ignored).
fn oracle_prefer(values: &[&str]) -> bool {
    values.iter().any(|value| {
        value.split(',').any(|element| {
            element
                .trim_matches([' ', '\t'])
                .eq_ignore_ascii_case(INCLUDE_UNKNOWN_ENUM_MEMBERS)
        })
    })
}

/// Whether `value` could be an HTTP header value the server reads (`HeaderValue::to_str`).
fn is_header_text(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
}

fn check_prefer(text: &str) {
    let values: Vec<&str> = text.split('\n').collect();
    let policy = EnumPreference::from_prefer(values.iter().copied());
    let any_one = values
        .iter()
        .any(|value| EnumPreference::from_prefer([*value]).include_unknown_members);
    assert_eq!(
        policy.include_unknown_members, any_one,
        "values are independent"
    );
    let joined = values.join(",");
    assert_eq!(
        EnumPreference::from_prefer([joined.as_str()]),
        policy,
        "separate values and one comma-joined value"
    );
    if values.iter().all(|value| is_header_text(value)) {
        assert_eq!(
            policy.include_unknown_members,
            oracle_prefer(&values),
            "from_prefer({values:?})"
        );
    }
    let opted_in = values.iter().copied().chain([INCLUDE_UNKNOWN_ENUM_MEMBERS]);
    assert!(EnumPreference::from_prefer(opted_in).include_unknown_members);
    assert_eq!(EnumPreference::from_prefer([]), EnumPreference::default());
}

// ---------------------------------------------------------------------------------------------------
// The error envelope.
// ---------------------------------------------------------------------------------------------------

/// The keys of a JSON object.
fn keys(value: &Value) -> BTreeSet<&str> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect()
}

fn set<'a>(names: &[&'a str]) -> BTreeSet<&'a str> {
    names.iter().copied().collect()
}

fn check_envelope(text: &str, date: Timestamp) {
    let mut parts = text.split('\0');
    let code = parts.next().unwrap_or_default();
    let message = parts.next().unwrap_or_default();
    let request_id = parts.next().unwrap_or_default();
    let client_request_id = parts.next();
    let exchange = Exchange {
        request_id,
        client_request_id,
        date,
    };
    let body = envelope(code, message, exchange);
    let json: Value = serde_json::from_str(&body)
        .unwrap_or_else(|error| panic!("the envelope is not JSON ({error}): {body}"));
    assert_eq!(keys(&json), set(&["error"]));
    let error = &json["error"];
    assert_eq!(keys(error), set(&["code", "message", "innerError"]));
    assert_eq!(error["code"].as_str(), Some(code));
    assert_eq!(error["message"].as_str(), Some(message));
    let inner = &error["innerError"];
    let mut inner_keys = vec!["request-id", "date"];
    if client_request_id.is_some() {
        inner_keys.push("client-request-id");
    }
    assert_eq!(keys(inner), set(&inner_keys));
    assert_eq!(inner["request-id"].as_str(), Some(request_id));
    assert_eq!(
        inner.get("client-request-id").and_then(Value::as_str),
        client_request_id
    );
    assert_eq!(
        inner["date"].as_str(),
        Some(datetime::format(date).as_str())
    );
}

// ---------------------------------------------------------------------------------------------------
// AssignmentRequest.
// ---------------------------------------------------------------------------------------------------

const V1_KEYS: &[&str] = &[
    "id",
    "requestType",
    "state",
    "status",
    "createdDateTime",
    "completedDateTime",
    "justification",
    "schedule",
    "answers",
    "customExtensionCalloutInstances",
];
const BETA_KEYS: &[&str] = &[
    "id",
    "requestType",
    "requestState",
    "requestStatus",
    "createdDateTime",
    "completedDate",
    "expirationDateTime",
    "isValidationOnly",
    "justification",
    "schedule",
    "answers",
    "customExtensionCalloutInstances",
    "customExtensionHandlerInstances",
    "verifiedCredentialsData",
];

/// The JSON of an optional instant as `to_wire` writes it.
fn wire_instant(at: Option<Timestamp>) -> Value {
    at.map_or(Value::Null, |at| Value::String(datetime::format(at)))
}

/// An instant as `to_wire` wrote it parses back, where `format` writes RFC 3339.
fn check_wire_instant(value: &Value, at: Option<Timestamp>) {
    assert_eq!(value, &wire_instant(at));
    if let (Some(text), Some(at)) = (value.as_str(), at)
        && at.0 < END_OF_RFC3339
    {
        assert_eq!(datetime::parse(text), Ok(at));
    }
}

fn check_to_wire(view: &RequestView<'_>, api: ApiVersion, preference: EnumPreference) {
    let wire = view.to_wire(api, preference);
    let core = view.request;
    let (names, state, status, completed) = match api {
        ApiVersion::V1 => (V1_KEYS, "state", "status", "completedDateTime"),
        ApiVersion::Beta => (BETA_KEYS, "requestState", "requestStatus", "completedDate"),
    };
    assert_eq!(keys(&wire), set(names), "{api:?} property names: {wire}");
    assert_eq!(wire["id"].as_str(), Some(core.id.to_string().as_str()));
    assert_eq!(
        wire["requestType"].as_str(),
        Some(request_type::wire_name(core.kind, api, preference))
    );
    assert_eq!(wire[state].as_str(), Some(core.status.state().name_in(api)));
    assert_eq!(wire[status].as_str(), Some(core.status.name_in(api)));
    check_wire_instant(&wire["createdDateTime"], Some(core.created_at));
    check_wire_instant(&wire[completed], core.completed_at);
    assert_eq!(
        wire["justification"],
        view.justification
            .map_or(Value::Null, |text| Value::String(text.to_owned()))
    );
    if api == ApiVersion::Beta {
        assert_eq!(wire["isValidationOnly"], Value::Bool(false));
        assert_eq!(wire["verifiedCredentialsData"], serde_json::json!([]));
        check_wire_instant(&wire["expirationDateTime"], core.expires_at());
    }
    // The callout, as each version shows it: none before the request made one.
    let callouts = wire["customExtensionCalloutInstances"]
        .as_array()
        .expect("callout instances are an array");
    match core.callout {
        None => assert!(callouts.is_empty()),
        Some(callout) => {
            assert_eq!(callouts.len(), 1);
            let waiting = callout.resumed_at.is_none();
            assert_eq!(
                callouts[0]["status"],
                if waiting {
                    "waitingForCallback"
                } else {
                    "callbackReceived"
                }
            );
            if api == ApiVersion::Beta {
                assert_eq!(
                    wire["customExtensionHandlerInstances"][0]["status"],
                    if waiting {
                        "requestSent"
                    } else {
                        "requestReceived"
                    }
                );
            }
        }
    }
    // The views here keep no answers and no schedule as asked.
    assert_eq!(wire["answers"], serde_json::json!([]));
    let schedule = &wire["schedule"];
    assert_eq!(
        keys(schedule),
        set(&["@odata.type", "startDateTime", "recurrence", "expiration"])
    );
    assert_eq!(
        schedule["@odata.type"],
        match api {
            ApiVersion::V1 => "#microsoft.graph.entitlementManagementSchedule",
            ApiVersion::Beta => "#microsoft.graph.requestSchedule",
        }
    );
    assert_eq!(schedule["recurrence"], Value::Null);
    check_wire_instant(&schedule["startDateTime"], core.starts_at);
    let expiration = &schedule["expiration"];
    assert_eq!(
        keys(expiration),
        set(&["@odata.type", "type", "endDateTime", "duration"])
    );
    assert_eq!(expiration["duration"], Value::Null);
    if let Some(end) = core.ends_at {
        assert_eq!(expiration["type"], "afterDateTime");
        check_wire_instant(&expiration["endDateTime"], Some(end));
    } else {
        assert_eq!(expiration["type"], "noExpiration");
        assert_eq!(expiration["endDateTime"], Value::Null);
    }
}

/// Everything a deserialized request must satisfy, shown with `justification`.
/// One input in this many (by hash) checks `to_wire` in every version and preference; any other
/// checks it in the one pair its hash picks.
const ALL_WIRE_EVERY: u32 = 8;

/// Checks `request` (its round trips and `to_wire`); `hash` picks the `to_wire` pairs.
fn check_record(request: &Request, justification: Option<&str>, hash: u32) {
    assert_eq!(
        request.check(),
        Ok(()),
        "a deserialized request passes check"
    );
    let text = serde_json::to_vec(request).expect("a request serializes");
    let again: Request = serde_json::from_slice(&text).unwrap_or_else(|error| {
        panic!(
            "a request re-serialized does not deserialize ({error}): {}",
            String::from_utf8_lossy(&text)
        )
    });
    assert_eq!(&again, request, "text round trip");
    let value = serde_json::to_value(request).expect("a request serializes");
    let again: Request = serde_json::from_value(value).expect("a request's Value deserializes");
    assert_eq!(&again, request, "Value round trip");
    let view = RequestView {
        request,
        justification,
        answers: &[],
        schedule: None,
        moment: Moment::Stored,
        custom_extension_id: None,
        questions: &[],
    };
    let pairs = ApiVersion::VARIANTS
        .iter()
        .flat_map(|&api| PREFERENCES.map(|preference| (api, preference)));
    if hash.is_multiple_of(ALL_WIRE_EVERY) {
        pairs.for_each(|(api, preference)| check_to_wire(&view, api, preference));
    } else {
        let count = ApiVersion::VARIANTS.len() * PREFERENCES.len();
        let index = usize::try_from(hash / ALL_WIRE_EVERY).expect("a u32 fits") % count;
        for (api, preference) in pairs.skip(index).take(1) {
            check_to_wire(&view, api, preference);
        }
    }
}

/// Strings for justifications that JSON and markup must escape.
const AWKWARD: &[&str] = &[
    "",
    "ap-1",
    "\"quoted\" \\ back\\slash",
    "line\nbreak\r\n\t",
    "é \u{2028} \u{85} \u{0}",
    "<script>&amp;",
    "\u{1f600}",
    "00000000-0000-0000-0000-000000000000",
];

fn guid(bytes: &mut Bytes<'_>) -> Guid {
    let pick = bytes.u8();
    if pick & 1 == 1 {
        Guid::from_u128(u128::from(bytes.u64()) << 64 | u128::from(bytes.u64()))
    } else {
        Guid::from_u128(u128::from(pick >> 1) * 0x0101_0101_0101_0101_0101_0101_0101_0101)
    }
}

fn optional_instant(bytes: &mut Bytes<'_>, present: bool) -> Option<Timestamp> {
    present.then(|| instant(bytes))
}

fn awkward(pick: u8) -> &'static str {
    AWKWARD[usize::from(pick) % AWKWARD.len()]
}

/// A stage built from `bytes`: any progress, consistent or not.
fn built_stage(bytes: &mut Bytes<'_>) -> Stage {
    let flags = bytes.u8();
    let at = instant(bytes);
    Stage {
        started_at: (flags & 1 == 1).then_some(at),
        escalated: flags & 2 == 2,
        outcome: match (flags >> 2) & 3 {
            0 => None,
            1 => Some(StageOutcome::Reviewed(Review {
                decision: if flags & 16 == 16 {
                    ReviewDecision::Approve
                } else {
                    ReviewDecision::Deny
                },
                by: SubjectId::new(guid(bytes)),
                at,
            })),
            2 => Some(StageOutcome::Expired { at }),
            _ => Some(StageOutcome::Canceled { at }),
        },
    }
}

/// Repairs the invariants `Request::check` states, so that most built requests deserialize.
fn repair(request: &mut Request) {
    let pending = matches!(
        request.status,
        RequestStatus::PendingApproval | RequestStatus::PendingApprovalEscalated
    );
    if let Some(approval) = &mut request.rules.approval {
        approval.stages = approval.stages.clamp(1, 3);
        request.approval_stage = request.approval_stage.min(approval.stages - 1);
    } else if pending {
        request.status = RequestStatus::Accepted;
    }
    let pending = pending && request.rules.approval.is_some();
    let at = request.created_at;
    for (index, stage) in (0u8..).zip(request.stages.iter_mut()) {
        *stage = if pending && index < request.approval_stage {
            Stage {
                started_at: Some(at),
                escalated: false,
                outcome: Some(StageOutcome::Reviewed(Review {
                    decision: ReviewDecision::Approve,
                    by: request.target,
                    at,
                })),
            }
        } else if pending && index == request.approval_stage {
            Stage {
                started_at: Some(at),
                escalated: request.status == RequestStatus::PendingApprovalEscalated,
                outcome: None,
            }
        } else {
            Stage::default()
        };
    }
    if request.status == RequestStatus::PendingNotBefore {
        request.starts_at = request.starts_at.or(Some(at));
    }
    request.rules.callout_on_created |= request.status == RequestStatus::WaitingForCallback;
    if request.status == RequestStatus::WaitingForCallback {
        request.callout = Some(Callout {
            sent_at: at,
            resumed_at: None,
        });
    } else if let Some(callout) = &mut request.callout {
        callout.resumed_at = callout.resumed_at.or(Some(at));
    }
    request.rules.callout_on_created |= request.callout.is_some();
    request.completed_at = request
        .status
        .is_completed()
        .then(|| request.completed_at.unwrap_or(at));
    if request.completed_at.is_some() {
        request.first_completed_at = request.first_completed_at.or(request.completed_at);
    }
    if request.kind.effect() == Effect::Add {
        request.assignment = AssignmentId::for_request(request.id);
    }
}

/// A `Request` built from `bytes`, its invariants repaired when the flags say so, and a
/// justification.
fn built_request(bytes: &mut Bytes<'_>) -> (Request, Option<&'static str>) {
    let flags = bytes.u8();
    let optional = bytes.u8();
    let approval = (flags & 1 == 1).then(|| ApprovalRules {
        stages: bytes.u8() % 5,
        decision_timeout: Duration(instant(bytes).0),
        escalate_after: (flags & 2 == 2).then(|| Duration(u64::from(bytes.u32()))),
    });
    let rules = PolicyRules {
        approval,
        callout_on_created: flags & 4 == 4,
    };
    let status = RequestStatus::VARIANTS[usize::from(bytes.u8()) % RequestStatus::VARIANTS.len()];
    let kind = RequestType::VARIANTS[usize::from(bytes.u8()) % RequestType::VARIANTS.len()];
    let mut request = Request {
        id: RequestId::new(guid(bytes)),
        kind,
        requestor: SubjectId::new(guid(bytes)),
        target: SubjectId::new(guid(bytes)),
        assignment: AssignmentId::new(guid(bytes)),
        rules,
        starts_at: optional_instant(bytes, optional & 1 == 1),
        ends_at: optional_instant(bytes, optional & 32 == 32),
        status,
        created_at: instant(bytes),
        approval_stage: bytes.u8() % 4,
        stages: [built_stage(bytes), built_stage(bytes), built_stage(bytes)],
        completed_at: optional_instant(bytes, optional & 4 == 4),
        first_completed_at: optional_instant(bytes, optional & 8 == 8),
        callout: (flags & 8 == 8).then(|| Callout {
            sent_at: instant(bytes),
            resumed_at: optional_instant(bytes, flags & 16 == 16),
        }),
    };
    if flags & 0x80 == 0x80 {
        repair(&mut request);
    }
    let justification = (optional & 16 == 16).then(|| awkward(bytes.u8()));
    (request, justification)
}

fn check_built((request, justification): (Request, Option<&str>), hash: u32) {
    let text = serde_json::to_string(&request).expect("a request serializes");
    let read = serde_json::from_str::<Request>(&text);
    match (request.check(), read) {
        (Ok(()), Ok(read)) => {
            assert_eq!(read, request, "a built request reads back equal");
            check_record(&read, justification, hash);
        }
        (Err(_), Err(_)) => {}
        (checked, read) => panic!(
            "check says {checked:?} but deserializing says {:?}: {text}",
            read.map(|_| ())
        ),
    }
}

/// The 32-bit FNV-1a hash of `data`.
fn fnv1a(data: &[u8]) -> u32 {
    data.iter().fold(0x811c_9dc5, |hash, &byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

fuzz_target!(|data: &[u8]| {
    // The names are fixed: checked once per process, not on every input.
    static NAMES: Once = Once::new();
    NAMES.call_once(check_request_type_names);

    let hash = fnv1a(data);

    // 1. The input as text.
    let text = String::from_utf8_lossy(data);
    check_datetime(&text);
    check_request_type(&text);
    check_prefer(&text);
    if let Ok(request) = serde_json::from_slice::<Request>(data) {
        check_record(&request, Some(&text), hash);
    }

    // 2. The input as a program.
    let mut bytes = Bytes::new(data);
    check_datetime(&datetime_text(&mut bytes));
    check_format(instant(&mut bytes));
    let (pick, bits) = (bytes.u8(), bytes.u8());
    let flipped = flipped_request_type(pick, bits);
    check_request_type(&flipped);
    check_prefer(&flipped);
    check_envelope(&text, instant(&mut bytes));
    check_built(built_request(&mut bytes), hash.rotate_left(16));
});
