//! The Graph error envelope: `{"error": {"code", "message", "innerError": {...}}}`.

use entitle_core::Timestamp;
use serde::Serialize;

use crate::datetime;

/// The identifiers and time of the HTTP exchange an error answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exchange<'a> {
    /// The `request-id` the server assigned.
    pub request_id: &'a str,
    /// The client's `client-request-id`, echoed when it sent one.
    pub client_request_id: Option<&'a str>,
    /// When the server answered.
    pub date: Timestamp,
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: MainError<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MainError<'a> {
    code: &'a str,
    message: &'a str,
    inner_error: InnerError<'a>,
}

#[derive(Serialize)]
struct InnerError<'a> {
    #[serde(rename = "request-id")]
    request_id: &'a str,
    #[serde(rename = "client-request-id", skip_serializing_if = "Option::is_none")]
    client_request_id: Option<&'a str>,
    date: String,
}

/// The JSON body of a Graph error with `code` and `message`, for the given exchange.
pub fn envelope(code: &str, message: &str, exchange: Exchange<'_>) -> String {
    let body = Envelope {
        error: MainError {
            code,
            message,
            inner_error: InnerError {
                request_id: exchange.request_id,
                client_request_id: exchange.client_request_id,
                date: datetime::format(exchange.date),
            },
        },
    };
    serde_json::to_string(&body).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_has_graphs_shape() {
        let exchange = Exchange {
            request_id: "r-1",
            client_request_id: Some("c-1"),
            date: Timestamp(1_767_225_600_000),
        };
        let json: serde_json::Value = serde_json::from_str(&envelope(
            "requestNotCancelable",
            "cannot `cancel`",
            exchange,
        ))
        .unwrap();
        assert_eq!(json["error"]["code"], "requestNotCancelable");
        assert_eq!(json["error"]["message"], "cannot `cancel`");
        assert_eq!(json["error"]["innerError"]["request-id"], "r-1");
        assert_eq!(json["error"]["innerError"]["client-request-id"], "c-1");
        assert_eq!(
            json["error"]["innerError"]["date"],
            "2026-01-01T00:00:00.000Z"
        );
    }

    #[test]
    fn client_request_id_is_omitted_when_absent_and_text_is_escaped() {
        let exchange = Exchange {
            request_id: "r",
            client_request_id: None,
            date: Timestamp(0),
        };
        let text = envelope("invalidRequest", "bad \"quote\"\n", exchange);
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(
            json["error"]["innerError"]
                .get("client-request-id")
                .is_none()
        );
        assert_eq!(json["error"]["message"], "bad \"quote\"\n");
    }
}
