//! `cancel_body`: arbitrary bytes as the body of `POST …/cancel` through
//! `entitle_graph::check_cancel_body`, against an independent oracle written below.
//!
//! ## Input format
//!
//! Byte 0 chooses the request id in the path (its low two bits); the rest is the body.
//!
//! - 0: [`PATH_ID`], the id the seeds and the dictionary spell (in both cases);
//! - 1: [`OTHER_ID`], which the seeds never name;
//! - 2: the first 36-byte window of the raw body that `RequestId::parse` accepts (any case), or
//!   [`PATH_ID`] when there is none: so that bodies naming any id at all often match the path;
//! - 3: an id hashed from the body, which practically never matches.
//!
//! ## Property
//!
//! `check_cancel_body` never panics, and its result is exactly the oracle's:
//!
//! - a body of only whitespace (space, tab, CR, LF, form feed; or nothing) is accepted;
//! - anything else must be one JSON object (not an array, not a scalar; surrounding JSON whitespace
//!   allowed), in which `id` and `requestStatus` each occur at most once and are each a string or
//!   `null` (`null` counts as absent); other members may hold any JSON value. Otherwise `Malformed`;
//! - then an `id` that `RequestId::parse` does not read as the path's id is `IdMismatch` carrying the
//!   body's text and the path id;
//! - then a `requestStatus` that `RequestStatus::parse` does not read as `Canceled` is
//!   `RequestStatus` carrying the text;
//! - anything else is accepted.
//!
//! The oracle reads the object's members itself (names unescaped, in document order, so that repeated
//! members are seen), takes `id` and `requestStatus` as `serde_json::Value`s and decides on those.
//! Wherever `serde_json::from_slice::<Value>` reads the body too, it must agree: the body is an object
//! exactly when the oracle read members, and its `id` and `requestStatus` are the last ones the
//! oracle saw. (`Value` refuses what the server need not read at all: other members nested deeper than
//! `serde_json`'s recursion limit, invalid UTF-8 inside them; the oracle, like the server, skips those.)

#![no_main]

use core::fmt;

use entitle_core::{Guid, RequestId, RequestStatus};
use entitle_graph::{CancelBodyError, check_cancel_body};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

/// The path id of selector 0, spelled by the seeds and the dictionary.
const PATH_ID: RequestId =
    RequestId::new(Guid::from_u128(0x1f3a_5c7e_9b2d_4e6f_8a01_0000_cafe_f00d));
/// The path id of selector 1.
const OTHER_ID: RequestId =
    RequestId::new(Guid::from_u128(0x2e4b_6d8f_0a1c_4e3d_9b5f_7a6e_dead_beef));
/// Names the server reads.
const ID: &str = "id";
const REQUEST_STATUS: &str = "requestStatus";

/// What the oracle expects of a body.
#[derive(Debug, PartialEq, Eq)]
enum Expect {
    Accepted,
    Malformed,
    IdMismatch { body: String },
    RequestStatus { value: String },
}

/// A JSON object's members in document order: `id` and `requestStatus` with their values, any other
/// name with `None` (its value skipped, like the server skips it).
struct Members(Vec<(String, Option<Value>)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Objects;
        impl<'de> Visitor<'de> for Objects {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    let value = if name == ID || name == REQUEST_STATUS {
                        Some(map.next_value::<Value>()?)
                    } else {
                        map.next_value::<IgnoredAny>()?;
                        None
                    };
                    members.push((name, value));
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(Objects)
    }
}

/// The value of member `name`: `Ok(None)` when absent or `null`, `Err(())` when repeated or neither a
/// string nor `null`.
fn string_member(members: &Members, name: &str) -> Result<Option<String>, ()> {
    let mut found = members.0.iter().filter(|(n, _)| n == name);
    let first = found.next();
    if found.next().is_some() {
        return Err(());
    }
    match first.and_then(|(_, value)| value.as_ref()) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(()),
    }
}

fn oracle(body: &[u8], path: RequestId) -> Expect {
    if body
        .iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c'))
    {
        return Expect::Accepted;
    }
    let members = serde_json::from_slice::<Members>(body);
    // Where serde_json's Value reads the body, it must see the same object.
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        match (&value, &members) {
            (Value::Object(object), Ok(members)) => {
                for name in [ID, REQUEST_STATUS] {
                    let last = members.0.iter().rev().find(|(n, _)| n == name);
                    assert_eq!(
                        object.get(name),
                        last.and_then(|(_, v)| v.as_ref()),
                        "Value and the member reader disagree on {name:?}"
                    );
                }
            }
            (Value::Object(_), Err(error)) => {
                panic!("Value reads an object the member reader refuses: {error}")
            }
            (_, Ok(_)) => panic!("the member reader reads a non-object: {value}"),
            (_, Err(_)) => {}
        }
    }
    let Ok(members) = members else {
        return Expect::Malformed;
    };
    let (Ok(id), Ok(status)) = (
        string_member(&members, ID),
        string_member(&members, REQUEST_STATUS),
    ) else {
        return Expect::Malformed;
    };
    if let Some(id) = id
        && RequestId::parse(&id) != Ok(path)
    {
        return Expect::IdMismatch { body: id };
    }
    if let Some(value) = status
        && RequestStatus::parse(&value) != Ok(RequestStatus::Canceled)
    {
        return Expect::RequestStatus { value };
    }
    Expect::Accepted
}

/// The first 36-byte window of `body` that reads as a request id.
fn id_in(body: &[u8]) -> Option<RequestId> {
    body.windows(36).find_map(|window| {
        let text = core::str::from_utf8(window).ok()?;
        RequestId::parse(text).ok()
    })
}

/// A 128-bit FNV-1a hash of `body`.
fn hashed_id(body: &[u8]) -> RequestId {
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    let hash = body
        .iter()
        .fold(0x6c62_272e_07bb_0142_62b8_2175_6295_c58d_u128, |h, &b| {
            (h ^ u128::from(b)).wrapping_mul(PRIME)
        });
    RequestId::new(Guid::from_u128(hash))
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let path = match selector & 3 {
        0 => PATH_ID,
        1 => OTHER_ID,
        2 => id_in(body).unwrap_or(PATH_ID),
        _ => hashed_id(body),
    };
    let expected = oracle(body, path);
    let result = check_cancel_body(body, path);
    if let Err(error) = &result {
        let _ = error.to_string();
    }
    let actual = match result {
        Ok(()) => Expect::Accepted,
        Err(CancelBodyError::Malformed(_)) => Expect::Malformed,
        Err(CancelBodyError::IdMismatch { body, path: named }) => {
            assert_eq!(named, path, "IdMismatch names the path id");
            Expect::IdMismatch { body }
        }
        Err(CancelBodyError::RequestStatus { value }) => Expect::RequestStatus { value },
    };
    assert_eq!(
        actual,
        expected,
        "check_cancel_body({:?}, {path}) disagrees with the oracle",
        String::from_utf8_lossy(body)
    );
});
