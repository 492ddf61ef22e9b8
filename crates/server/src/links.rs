//! The base of every absolute link in an answer (`@odata.context`, `@odata.nextLink`): the server as
//! the client addressed it.
//!
//! By default that is the scheme this server speaks and the request's `Host`. Behind a TLS front the
//! client addressed the front, so `--public-url` fixes the base, or `--trust-forwarded` lets the
//! front's `Forwarded` (RFC 7239) or `X-Forwarded-Proto`/`X-Forwarded-Host` headers decide it.
//! Forwarded headers are never read without that flag: any client can send them.
//!
//! [`scoped`] works the base out once per request and keeps it for the handler's task, where
//! [`base`] reads it; the handlers stay free of the server's configuration.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

tokio::task_local! {
    /// The base of the links of the request this task answers.
    static BASE: Arc<str>;
}

/// Why a `--public-url` cannot be the base of links.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PublicUrlError {
    /// Not `http://` or `https://`.
    #[error("`{0}` must start with `http://` or `https://`")]
    Scheme(String),
    /// No host, or characters a host cannot hold.
    #[error("`{0}` has no valid host")]
    Host(String),
    /// A query or a fragment, which links cannot extend.
    #[error("`{0}` must not have a query or a fragment")]
    Suffix(String),
}

/// The URL clients reach the server at, as links begin: scheme, host and an optional path prefix,
/// without a trailing slash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    /// Reads `https://host[:port][/prefix]`.
    ///
    /// # Errors
    /// Another scheme, no valid host, or a query or fragment.
    pub fn parse(text: &str) -> Result<Self, PublicUrlError> {
        let text = text.trim();
        let rest = strip_prefix_ignore_case(text, "https://")
            .or_else(|| strip_prefix_ignore_case(text, "http://"))
            .ok_or_else(|| PublicUrlError::Scheme(text.to_owned()))?;
        if rest.contains(['?', '#']) {
            return Err(PublicUrlError::Suffix(text.to_owned()));
        }
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if !is_authority(host) {
            return Err(PublicUrlError::Host(text.to_owned()));
        }
        let scheme_length = text.len() - rest.len();
        let scheme = text.get(..scheme_length).unwrap_or_default();
        let path = path.trim_end_matches('/');
        Ok(Self(format!("{}{host}{path}", scheme.to_ascii_lowercase())))
    }

    /// The URL, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How the base of links is found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Links {
    /// Whether this server speaks TLS (the scheme when nothing else decides).
    pub tls: bool,
    /// The fixed base (`--public-url`).
    pub public_url: Option<PublicUrl>,
    /// Whether the front's forwarded headers decide scheme and host (`--trust-forwarded`).
    pub trust_forwarded: bool,
}

impl Links {
    /// The base of the links of a request with `headers`.
    pub fn base(&self, headers: &HeaderMap) -> String {
        if let Some(url) = &self.public_url {
            return url.as_str().to_owned();
        }
        let own_scheme = if self.tls { "https" } else { "http" };
        let own_host =
            header_text(headers, header::HOST.as_str()).filter(|host| is_authority(host));
        let (scheme, host) = if self.trust_forwarded {
            let forwarded = Forwarded::from_headers(headers);
            (
                forwarded.proto.unwrap_or(own_scheme),
                forwarded.host.or(own_host),
            )
        } else {
            (own_scheme, own_host)
        };
        format!("{scheme}://{}", host.unwrap_or("localhost"))
    }
}

/// The scheme and host a front says the client used.
#[derive(Debug, Default, PartialEq, Eq)]
struct Forwarded<'a> {
    proto: Option<&'static str>,
    host: Option<&'a str>,
}

impl<'a> Forwarded<'a> {
    /// RFC 7239's `Forwarded` first (its first element: the hop nearest the client), then
    /// `X-Forwarded-Proto` and `X-Forwarded-Host` (their first values). A value that is not a scheme
    /// or a host is ignored.
    fn from_headers(headers: &'a HeaderMap) -> Self {
        let mut found = header_text(headers, "forwarded")
            .map(Self::from_element)
            .unwrap_or_default();
        if found.proto.is_none() {
            found.proto = first_value(headers, "x-forwarded-proto").and_then(scheme);
        }
        if found.host.is_none() {
            found.host = first_value(headers, "x-forwarded-host").filter(|host| is_authority(host));
        }
        found
    }

    /// The `proto` and `host` of the first element of a `Forwarded` value.
    fn from_element(value: &'a str) -> Self {
        let element = value.split(',').next().unwrap_or_default();
        let mut found = Self::default();
        for pair in element.split(';') {
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches('"');
            match name.trim().to_ascii_lowercase().as_str() {
                "proto" => found.proto = scheme(value),
                "host" if is_authority(value) => found.host = Some(value),
                _ => {}
            }
        }
        found
    }
}

/// The header `name` as text, when it is sent once and is visible ASCII.
fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let mut values = headers.get_all(name).iter();
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    value.to_str().ok().map(str::trim)
}

/// The first of a header's comma-separated values.
fn first_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    header_text(headers, name).and_then(|value| value.split(',').next().map(str::trim))
}

/// `http` or `https`, ignoring case.
fn scheme(value: &str) -> Option<&'static str> {
    if value.eq_ignore_ascii_case("https") {
        Some("https")
    } else if value.eq_ignore_ascii_case("http") {
        Some("http")
    } else {
        None
    }
}

/// Whether `text` can stand between `://` and the path: a host name, an IPv4 address or a bracketed
/// IPv6 address, with an optional port.
fn is_authority(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 255
        && !text.starts_with([':', '.'])
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b".-_:[]".contains(&byte))
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

/// Middleware: works out the base of this request's links and keeps it for the handler.
pub async fn scoped(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let base: Arc<str> = state.links.base(request.headers()).into();
    BASE.scope(base, next.run(request)).await
}

/// The base of the links of the request being answered; outside [`scoped`] (in unit tests), plain
/// `http://` and the `Host`.
pub fn base(headers: &HeaderMap) -> String {
    BASE.try_with(ToString::to_string)
        .unwrap_or_else(|_| Links::default().base(headers))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_static(value));
        }
        headers
    }

    const TRUSTING: Links = Links {
        tls: false,
        public_url: None,
        trust_forwarded: true,
    };

    #[test]
    fn the_host_and_own_scheme_by_default() {
        let sent = headers(&[("host", "127.0.0.1:8080")]);
        assert_eq!(Links::default().base(&sent), "http://127.0.0.1:8080");
        let tls = Links {
            tls: true,
            ..Links::default()
        };
        assert_eq!(tls.base(&sent), "https://127.0.0.1:8080");
        assert_eq!(Links::default().base(&HeaderMap::new()), "http://localhost");
    }

    #[test]
    fn forwarded_headers_change_nothing_unless_trusted() {
        let sent = headers(&[
            ("host", "10.0.0.5:8080"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "graph.contoso.test"),
            ("forwarded", "proto=https;host=front.test"),
        ]);
        assert_eq!(Links::default().base(&sent), "http://10.0.0.5:8080");
        assert_eq!(TRUSTING.base(&sent), "https://front.test");
    }

    #[test]
    fn rfc_7239_takes_the_hop_nearest_the_client_and_quoted_values() {
        let sent = headers(&[
            ("host", "10.0.0.5"),
            (
                "forwarded",
                "for=192.0.2.60;Proto=HTTPS;host=\"graph.contoso.test:8443\", for=10.0.0.1;proto=http",
            ),
        ]);
        assert_eq!(TRUSTING.base(&sent), "https://graph.contoso.test:8443");
    }

    #[test]
    fn x_forwarded_headers_take_their_first_value() {
        let sent = headers(&[("host", "10.0.0.5"), ("x-forwarded-proto", "https, http")]);
        assert_eq!(TRUSTING.base(&sent), "https://10.0.0.5");
    }

    #[test]
    fn values_that_are_not_a_scheme_or_a_host_are_ignored() {
        let sent = headers(&[
            ("host", "10.0.0.5"),
            ("x-forwarded-proto", "javascript"),
            ("x-forwarded-host", "evil.test/path?x=1"),
        ]);
        assert_eq!(TRUSTING.base(&sent), "http://10.0.0.5");
        let bad_host = headers(&[("host", "a b")]);
        assert_eq!(Links::default().base(&bad_host), "http://localhost");
    }

    #[test]
    fn a_public_url_wins() {
        let links = Links {
            public_url: Some(PublicUrl::parse("HTTPS://graph.contoso.test/entitle/").unwrap()),
            ..TRUSTING
        };
        let sent = headers(&[("host", "10.0.0.5"), ("x-forwarded-proto", "http")]);
        assert_eq!(links.base(&sent), "https://graph.contoso.test/entitle");
    }

    #[test]
    fn public_urls_are_checked() {
        assert_eq!(
            PublicUrl::parse("https://[::1]:8443").unwrap().as_str(),
            "https://[::1]:8443"
        );
        assert!(matches!(
            PublicUrl::parse("ftp://x"),
            Err(PublicUrlError::Scheme(_))
        ));
        assert!(matches!(
            PublicUrl::parse("https://"),
            Err(PublicUrlError::Host(_))
        ));
        assert!(matches!(
            PublicUrl::parse("https://user@host"),
            Err(PublicUrlError::Host(_))
        ));
        assert!(matches!(
            PublicUrl::parse("https://host/?a=1"),
            Err(PublicUrlError::Suffix(_))
        ));
    }

    #[tokio::test]
    async fn the_scoped_base_is_what_handlers_read() {
        let sent = headers(&[("host", "127.0.0.1")]);
        assert_eq!(base(&sent), "http://127.0.0.1");
        let inside = BASE
            .scope(Arc::from("https://front.test"), async { base(&sent) })
            .await;
        assert_eq!(inside, "https://front.test");
    }
}
