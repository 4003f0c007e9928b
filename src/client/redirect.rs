//! Redirects (RFC 9110 15.4): which responses redirect, where to, with which method, body and
//! headers. Pure: the client sends the request this module returns.

use crate::error::{Error, Result};
use crate::http1::{Body, Request};
use crate::target::{Scheme, Target};

/// How a request follows redirects (off unless the caller asks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedirectPolicy {
    /// The most redirects followed; one more is an error.
    pub max_redirects: u32,
    /// Whether a redirect from https to http may be followed (it leaves TLS). Off by default.
    pub allow_https_to_http: bool,
}

/// Headers dropped when a redirect leaves the origin: those that carry credentials, and a
/// caller's `Host`, which names the origin the caller meant (curl drops both).
const ORIGIN_BOUND_HEADERS: [&str; 4] = ["authorization", "cookie", "proxy-authorization", "host"];

/// The request to send next, if the response (`status` with `location`) to `request` for `url`
/// is a redirect that `policy` follows; `followed` redirects have been followed already.
pub fn next_request(
    url: &str,
    request: &Request,
    status: u16,
    location: Option<&[u8]>,
    policy: &RedirectPolicy,
    followed: u32,
) -> Result<Option<(String, Request)>> {
    if !matches!(status, 301 | 302 | 303 | 307 | 308) {
        return Ok(None);
    }
    let Some(location) = location else {
        return Ok(None);
    };
    if followed >= policy.max_redirects {
        return Err(Error::TooManyRedirects(policy.max_redirects));
    }
    let base = url::Url::parse(url).map_err(|e| Error::InvalidUrl(format!("{url}: {e}")))?;
    let location = String::from_utf8_lossy(location);
    let next = base
        .join(location.trim())
        .map_err(|e| Error::HttpProtocol(format!("invalid Location {location:?}: {e}")))?;
    let next_target = Target::parse(next.as_str())?;
    if base.scheme() == "https" && next_target.scheme == Scheme::Http && !policy.allow_https_to_http
    {
        return Err(Error::InsecureRedirect(next.to_string()));
    }
    // 307 and 308 send the body again (RFC 9110 15.4.8-9), which a streamed body cannot be.
    if matches!(status, 307 | 308) && matches!(request.body, Body::Streamed { .. }) {
        return Err(Error::BodyNotReplayable(next.to_string()));
    }
    let mut next_request = request.clone();
    if base.origin() != next.origin() {
        next_request.headers.retain(|(name, _)| {
            !ORIGIN_BOUND_HEADERS.contains(&name.to_ascii_lowercase().as_str())
        });
    }
    // 303 always, and 301/302 after POST, become GET without a body (RFC 9110 15.4.2-4).
    if status == 303 && request.method != "HEAD"
        || matches!(status, 301 | 302) && request.method == "POST"
    {
        next_request.method = "GET".into();
        next_request.body = Body::Empty;
        next_request
            .headers
            .retain(|(name, _)| !name.eq_ignore_ascii_case("content-type"));
    }
    Ok(Some((next.to_string(), next_request)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOLLOW: RedirectPolicy = RedirectPolicy {
        max_redirects: 5,
        allow_https_to_http: false,
    };

    fn post_with_credentials() -> Request {
        Request {
            method: "POST".into(),
            headers: vec![
                ("Authorization".into(), b"Bearer x".to_vec()),
                ("Cookie".into(), b"a=1".to_vec()),
                ("Content-Type".into(), b"text/plain".to_vec()),
                ("X-Other".into(), b"kept".to_vec()),
            ],
            body: Body::Bytes(b"data".to_vec()),
            accept_encoding: None,
        }
    }

    fn names(request: &Request) -> Vec<&str> {
        request.headers.iter().map(|(n, _)| n.as_str()).collect()
    }

    #[test]
    fn relative_location_resolves_against_the_url() {
        let (url, _) = next_request(
            "https://a.test/x/y",
            &post_with_credentials(),
            307,
            Some(b"../z?q"),
            &FOLLOW,
            0,
        )
        .unwrap()
        .unwrap();
        assert_eq!(url, "https://a.test/z?q");
    }

    #[test]
    fn status_307_and_308_keep_method_and_body() {
        for status in [307, 308] {
            let (_, next) = next_request(
                "https://a.test/",
                &post_with_credentials(),
                status,
                Some(b"/b"),
                &FOLLOW,
                0,
            )
            .unwrap()
            .unwrap();
            assert_eq!(
                (next.method.as_str(), &next.body),
                ("POST", &Body::Bytes(b"data".to_vec()))
            );
        }
    }

    #[test]
    fn status_307_and_308_refuse_to_send_a_streamed_body_again_and_303_drops_it() {
        let mut streamed = post_with_credentials();
        streamed.body = Body::Streamed { size: None };
        for status in [307, 308] {
            let err = next_request(
                "https://a.test/",
                &streamed,
                status,
                Some(b"/b"),
                &FOLLOW,
                0,
            );
            assert_eq!(
                err,
                Err(Error::BodyNotReplayable("https://a.test/b".into()))
            );
        }
        let (_, next) = next_request("https://a.test/", &streamed, 303, Some(b"/b"), &FOLLOW, 0)
            .unwrap()
            .unwrap();
        assert_eq!((next.method.as_str(), &next.body), ("GET", &Body::Empty));
    }

    #[test]
    fn status_303_and_post_after_301_302_become_get_without_body() {
        for status in [301, 302, 303] {
            let (_, next) = next_request(
                "https://a.test/",
                &post_with_credentials(),
                status,
                Some(b"/b"),
                &FOLLOW,
                0,
            )
            .unwrap()
            .unwrap();
            assert_eq!(
                (next.method.as_str(), &next.body),
                ("GET", &Body::Empty),
                "{status}"
            );
            assert!(!names(&next).contains(&"Content-Type"));
        }
    }

    #[test]
    fn credentials_are_dropped_when_the_origin_changes_and_kept_otherwise() {
        let request = post_with_credentials();
        let (_, same) = next_request("https://a.test/", &request, 307, Some(b"/b"), &FOLLOW, 0)
            .unwrap()
            .unwrap();
        assert!(names(&same).contains(&"Authorization") && names(&same).contains(&"Cookie"));
        for other in [&b"https://b.test/"[..], b"https://a.test:8443/"] {
            let (_, next) = next_request("https://a.test/", &request, 307, Some(other), &FOLLOW, 0)
                .unwrap()
                .unwrap();
            assert_eq!(names(&next), vec!["Content-Type", "X-Other"]);
        }
    }

    #[test]
    fn a_caller_s_host_header_is_dropped_when_the_origin_changes_and_kept_otherwise() {
        let mut request = post_with_credentials();
        request.headers.push(("HOST".into(), b"a.test".to_vec()));
        let (_, same) = next_request("https://a.test/", &request, 307, Some(b"/b"), &FOLLOW, 0)
            .unwrap()
            .unwrap();
        assert!(names(&same).contains(&"HOST"));
        let (_, other) = next_request(
            "https://a.test/",
            &request,
            307,
            Some(b"https://b.test/"),
            &FOLLOW,
            0,
        )
        .unwrap()
        .unwrap();
        assert!(!names(&other).contains(&"HOST"), "{:?}", names(&other));
    }

    #[test]
    fn https_to_http_is_refused_unless_allowed() {
        let request = post_with_credentials();
        let err = next_request(
            "https://a.test/",
            &request,
            302,
            Some(b"http://a.test/"),
            &FOLLOW,
            0,
        )
        .unwrap_err();
        assert!(matches!(err, Error::InsecureRedirect(_)), "{err:?}");
        let allowed = RedirectPolicy {
            allow_https_to_http: true,
            ..FOLLOW
        };
        assert!(
            next_request(
                "https://a.test/",
                &request,
                302,
                Some(b"http://a.test/"),
                &allowed,
                0
            )
            .unwrap()
            .is_some()
        );
    }

    #[test]
    fn the_limit_is_an_error_and_non_redirects_are_not_followed() {
        let request = post_with_credentials();
        assert_eq!(
            next_request("https://a.test/", &request, 302, Some(b"/b"), &FOLLOW, 5).unwrap_err(),
            Error::TooManyRedirects(5)
        );
        assert_eq!(
            next_request("https://a.test/", &request, 200, Some(b"/b"), &FOLLOW, 0).unwrap(),
            None
        );
        assert_eq!(
            next_request("https://a.test/", &request, 302, None, &FOLLOW, 0).unwrap(),
            None
        );
    }
}
