//! The core's request as HTTP/2 sends it (RFC 9113 section 8.3): `:method`, `:scheme`,
//! `:authority` (the caller's `Host`, if it gave one, else the URL's; no `Host` field) and
//! `:path`; the caller's fields in lower case, without the connection-specific ones HTTP/2
//! forbids. The request is validated exactly as HTTP/1.1 validates it first, so a request
//! refused over one protocol is refused over the other with the same error.

use http::header::{HeaderName, HeaderValue};
use http::{Method, Uri};

use crate::error::{Error, Result};
use crate::http1::content::accept_encoding;
use crate::http1::request::USER_AGENT;
use crate::http1::{Body, Request};
use crate::target::{Scheme, Target};

/// Fields that describe an HTTP/1.1 connection, which HTTP/2 forbids (RFC 9113 section
/// 8.2.2): dropped from the caller's fields, as curl drops them.
const CONNECTION_SPECIFIC: [&str; 5] = [
    "keep-alive",
    "proxy-connection",
    "upgrade",
    "te",
    "transfer-encoding",
];

/// `request` to `target` as an HTTP/2 request head (its body, if any, follows in DATA).
pub fn http2_request(target: &Target, request: &Request) -> Result<http::Request<()>> {
    validate(target, request)?;
    let invalid = |what: &str| Error::InvalidRequest(format!("{what} cannot be sent over HTTP/2"));
    let method =
        Method::from_bytes(request.method.as_bytes()).map_err(|_| invalid("the method"))?;
    let authority = request
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("host"))
        .map(|(_, value)| String::from_utf8_lossy(value.trim_ascii()).into_owned())
        .unwrap_or_else(|| target.authority());
    let scheme = match target.scheme {
        Scheme::Https => "https",
        Scheme::Http => "http",
    };
    let uri = Uri::builder()
        .scheme(scheme)
        .authority(authority.as_str())
        .path_and_query(target.path_and_query.as_str())
        .build()
        .map_err(|_| invalid(&format!("the authority {authority:?} or the path")))?;
    let mut head = http::Request::builder().method(method).uri(uri);
    let mut has_user_agent = false;
    for (name, value) in &request.headers {
        let lower = name.to_ascii_lowercase();
        if lower == "host" || CONNECTION_SPECIFIC.contains(&lower.as_str()) {
            continue;
        }
        has_user_agent |= lower == "user-agent";
        let name = HeaderName::from_bytes(lower.as_bytes())
            .map_err(|_| invalid(&format!("header name {name:?}")))?;
        let value = HeaderValue::from_bytes(value.trim_ascii())
            .map_err(|_| invalid(&format!("the value of header {name}")))?;
        head = head.header(name, value);
    }
    if !has_user_agent {
        head = head.header("user-agent", USER_AGENT);
    }
    if let Some(codings) = &request.accept_encoding {
        head = head.header("accept-encoding", accept_encoding(codings));
    }
    match &request.body {
        Body::Bytes(body) => head = head.header("content-length", body.len()),
        Body::Empty if matches!(request.method.as_str(), "POST" | "PUT" | "PATCH") => {
            head = head.header("content-length", 0)
        }
        Body::Empty => {}
        Body::Streamed { .. } => {
            return Err(Error::Internal(
                "a streamed body is sent over HTTP/1.1".into(),
            ));
        }
    }
    head.body(())
        .map_err(|err| Error::InvalidRequest(err.to_string()))
}

/// Refuses what HTTP/1.1 refuses (method, field names and values, fields the client
/// manages), with its errors: the head is encoded once without the body and dropped.
fn validate(target: &Target, request: &Request) -> Result<()> {
    let head_only = Request {
        method: request.method.clone(),
        headers: request.headers.clone(),
        body: Body::Empty,
        accept_encoding: request.accept_encoding.clone(),
    };
    head_only.encode(target).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, headers: &[(&str, &str)], body: Body) -> Request {
        Request {
            method: method.into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
                .collect(),
            body,
            accept_encoding: None,
        }
    }

    fn target() -> Target {
        Target::parse("https://a.test:8443/p?q=1").unwrap()
    }

    #[test]
    fn the_authority_is_a_pseudo_header_and_no_host_field_is_sent() {
        let head = http2_request(&target(), &request("GET", &[], Body::Empty)).unwrap();
        assert_eq!(head.uri().to_string(), "https://a.test:8443/p?q=1");
        assert!(head.headers().get("host").is_none());
        assert_eq!(head.headers()["user-agent"], USER_AGENT);
    }

    #[test]
    fn a_callers_host_becomes_the_authority() {
        let asked = request("GET", &[("Host", "b.test")], Body::Empty);
        let head = http2_request(&target(), &asked).unwrap();
        assert_eq!(head.uri().authority().unwrap().as_str(), "b.test");
        assert!(head.headers().get("host").is_none());
    }

    #[test]
    fn connection_specific_fields_are_dropped_and_names_lowered() {
        let asked = request(
            "POST",
            &[("Keep-Alive", "5"), ("Upgrade", "x"), ("X-Thing", "1")],
            Body::Bytes(b"abc".to_vec()),
        );
        let head = http2_request(&target(), &asked).unwrap();
        let names: Vec<&str> = head.headers().keys().map(|n| n.as_str()).collect();
        assert_eq!(names, ["x-thing", "user-agent", "content-length"]);
        assert_eq!(head.headers()["content-length"], "3");
    }

    #[test]
    fn what_http1_refuses_is_refused_with_the_same_error() {
        for asked in [
            request("GET", &[("Connection", "close")], Body::Empty),
            request("GET", &[("X", "a\r\nB: c")], Body::Empty),
            request("G ET", &[], Body::Empty),
        ] {
            let h1 = asked.encode(&target()).unwrap_err();
            assert_eq!(http2_request(&target(), &asked).unwrap_err(), h1);
        }
    }
}
