//! The request builder.

use std::time::Duration;

use crate::bindings::verified::https::client::{self, Header, RedirectPolicy, RequestOptions};
use crate::context::Context;
use crate::error::Error;
use crate::response::Response;

/// An HTTP/1.1 request to an `https://` (or `http://`) URL, built step by step and sent with
/// [`Request::send`] (a verified context of its own) or [`Request::send_through`] (a context
/// the caller keeps, which reuses its connections).
///
/// ```no_run
/// use std::time::Duration;
/// use verified_https_guest::Request;
///
/// let response = Request::post("https://api.example.test/items")
///     .header("content-type", "application/json")
///     .body(br#"{"name":"x"}"#.to_vec())
///     .timeout(Duration::from_secs(10))
///     .send()?;
/// assert!(response.verified());
/// # Ok::<(), verified_https_guest::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct Request {
    method: String,
    url: String,
    headers: Vec<Header>,
    body: Option<Vec<u8>>,
    connect_timeout: Option<Duration>,
    handshake_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    timeout: Option<Duration>,
    redirects: Option<RedirectPolicy>,
}

impl Request {
    /// A request with any method (a token such as `PUT`; the client refuses others).
    pub fn new(method: &str, url: &str) -> Self {
        Self {
            method: method.to_owned(),
            url: url.to_owned(),
            headers: Vec::new(),
            body: None,
            connect_timeout: None,
            handshake_timeout: None,
            read_timeout: None,
            timeout: None,
            redirects: None,
        }
    }

    /// A `GET` request.
    pub fn get(url: &str) -> Self {
        Self::new("GET", url)
    }

    /// A `POST` request (give it a [`Request::body`]).
    pub fn post(url: &str) -> Self {
        Self::new("POST", url)
    }

    /// Adds a header field. `Content-Length`, `Transfer-Encoding` and `Connection` are the
    /// client's, and refused.
    pub fn header(mut self, name: &str, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push(Header {
            name: name.to_owned(),
            value: value.into(),
        });
        self
    }

    /// The body, sent with a `Content-Length`. Defaults to none.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// The longest wait for name resolution and the TCP connection. Defaults to the client's
    /// (30 s).
    pub fn connect_timeout(mut self, limit: Duration) -> Self {
        self.connect_timeout = Some(limit);
        self
    }

    /// The longest time the TLS handshake may take. Defaults to the client's (30 s).
    pub fn handshake_timeout(mut self, limit: Duration) -> Self {
        self.handshake_timeout = Some(limit);
        self
    }

    /// The longest silence while waiting for the server's next bytes. Defaults to the client's
    /// (5 minutes).
    pub fn read_timeout(mut self, limit: Duration) -> Self {
        self.read_timeout = Some(limit);
        self
    }

    /// The longest time the whole request may take, the body included. Defaults to no limit.
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// Follows at most `max_redirects` redirects (never from https to http). Defaults to not
    /// following: a redirect is returned as the response.
    pub fn follow_redirects(mut self, max_redirects: u32) -> Self {
        self.redirects = Some(RedirectPolicy {
            max_redirects,
            allow_https_to_http: false,
        });
        self
    }

    /// Sends the request through a new verified context ([`Context::verified`]) and waits for
    /// the response's head.
    pub fn send(self) -> Result<Response, Error> {
        self.send_through(&Context::verified()?)
    }

    /// Sends the request through `context` and waits for the response's head.
    pub fn send_through(self, context: &Context) -> Result<Response, Error> {
        let request = client::Request {
            method: self.method,
            url: self.url,
            headers: self.headers,
            body: self.body,
            options: RequestOptions {
                connect_timeout_ms: self.connect_timeout.map(milliseconds),
                handshake_timeout_ms: self.handshake_timeout.map(milliseconds),
                read_timeout_ms: self.read_timeout.map(milliseconds),
                timeout_ms: self.timeout.map(milliseconds),
                connect_overrides: Vec::new(),
                redirects: self.redirects,
                accept_encoding: None,
                proxy: None,
            },
        };
        Ok(Response::new(context.inner().send(&request)?))
    }
}

/// A duration in the client's milliseconds (saturating: the largest means no limit).
fn milliseconds(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
