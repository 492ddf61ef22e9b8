//! The body of `POST …/cancel`: none (what the SDKs send), or beta's `{"id", "requestStatus"}`.

use entitle_core::{RequestId, RequestStatus};
use serde::Deserialize;

/// Why a cancel body was refused (`400 Bad Request`).
#[derive(Debug, thiserror::Error)]
pub enum CancelBodyError {
    /// Not a JSON object.
    #[error("the cancel body is not a JSON object: {0}")]
    Malformed(#[from] serde_json::Error),
    /// `id` names another request than the path.
    #[error("the body's `id` `{body}` does not match the request `{path}` in the path")]
    IdMismatch {
        /// The id in the body.
        body: String,
        /// The id in the path.
        path: RequestId,
    },
    /// `requestStatus` is something other than `cancelled`.
    #[error("the body's `requestStatus` is `{value}`; only `cancelled` is accepted")]
    RequestStatus {
        /// The value given.
        value: String,
    },
}

/// The beta body. Unknown properties are ignored, as Graph does for resource representations.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CancelBody {
    id: Option<String>,
    request_status: Option<String>,
}

/// Checks a cancel body for the request `path_id`.
///
/// An empty body (or only whitespace) is accepted: the SDKs send none. A JSON object is accepted when
/// its `id`, if present, is the path's id and its `requestStatus`, if present, reads `cancelled` (any
/// case; the one-l `canceled` too).
///
/// # Errors
/// A [`CancelBodyError`] naming what is wrong.
pub fn check_cancel_body(body: &[u8], path_id: RequestId) -> Result<(), CancelBodyError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    // serde would also fill the struct from a JSON array, field by field: only an object is a body.
    if body.trim_ascii_start().first() == Some(&b'[') {
        return Err(CancelBodyError::Malformed(serde::de::Error::invalid_type(
            serde::de::Unexpected::Seq,
            &"a JSON object",
        )));
    }
    let body: CancelBody = serde_json::from_slice(body)?;
    if let Some(id) = body.id
        && RequestId::parse(&id).ok() != Some(path_id)
    {
        return Err(CancelBodyError::IdMismatch {
            body: id,
            path: path_id,
        });
    }
    if let Some(value) = body.request_status
        && RequestStatus::parse(&value).ok() != Some(RequestStatus::Canceled)
    {
        return Err(CancelBodyError::RequestStatus { value });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use entitle_core::Guid;

    const ID: RequestId = RequestId::new(Guid::from_u128(0xabc));
    const TEXT: &str = "00000000-0000-0000-0000-000000000abc";

    #[test]
    fn empty_bodies_and_the_documented_body_are_accepted() {
        assert!(check_cancel_body(b"", ID).is_ok());
        assert!(check_cancel_body(b"  \n", ID).is_ok());
        assert!(check_cancel_body(b"{}", ID).is_ok());
        let documented = format!(r#"{{"id":"{TEXT}","requestStatus":"cancelled"}}"#);
        assert!(check_cancel_body(documented.as_bytes(), ID).is_ok());
        let shouting = format!(
            r#"{{"id":"{}","requestStatus":"CANCELLED","extra":1}}"#,
            TEXT.to_uppercase()
        );
        assert!(check_cancel_body(shouting.as_bytes(), ID).is_ok());
    }

    #[test]
    fn a_different_id_or_status_is_refused() {
        let other = r#"{"id":"00000000-0000-0000-0000-000000000def","requestStatus":"cancelled"}"#;
        assert!(matches!(
            check_cancel_body(other.as_bytes(), ID),
            Err(CancelBodyError::IdMismatch { .. })
        ));
        let not_a_guid = r#"{"id":"request-id"}"#;
        assert!(matches!(
            check_cancel_body(not_a_guid.as_bytes(), ID),
            Err(CancelBodyError::IdMismatch { .. })
        ));
        let wrong = format!(r#"{{"id":"{TEXT}","requestStatus":"Delivered"}}"#);
        assert!(matches!(
            check_cancel_body(wrong.as_bytes(), ID),
            Err(CancelBodyError::RequestStatus { .. })
        ));
    }

    #[test]
    fn malformed_bodies_are_refused() {
        for body in [
            &b"{"[..],
            b"[]",
            b"[null, null]",
            b" [\"00000000-0000-0000-0000-000000000abc\", \"cancelled\"]",
            b"\"cancelled\"",
            b"null",
            b"{\"id\": 5}",
            b"\xff",
        ] {
            assert!(
                matches!(
                    check_cancel_body(body, ID),
                    Err(CancelBodyError::Malformed(_))
                ),
                "{body:?}"
            );
        }
    }
}
