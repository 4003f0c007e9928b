//! HTTP/1.1 request serialization: validated method and headers, client-managed framing.
//! Connections are persistent (HTTP/1.1's default), so no `Connection` header is sent.

use crate::error::{Error, Result};
use crate::target::Target;

/// The `User-Agent` sent unless the caller sets one.
pub const USER_AGENT: &str = concat!("verified-https/", env!("CARGO_PKG_VERSION"));

/// Header names whose values the client owns: the body's framing and the connection's fate.
const MANAGED_HEADERS: [&str; 3] = ["content-length", "transfer-encoding", "connection"];

/// A request as the caller describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method token, e.g. `GET`.
    pub method: String,
    /// Header fields to send, in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body, sent with a `Content-Length`.
    pub body: Option<Vec<u8>>,
}

impl Request {
    /// Whether the request may be sent again if a reused connection turns out to have been
    /// closed by the server before answering (RFC 9110 9.2.2: idempotent methods).
    pub fn is_idempotent(&self) -> bool {
        matches!(
            self.method.as_str(),
            "GET" | "HEAD" | "OPTIONS" | "TRACE" | "PUT" | "DELETE"
        )
    }

    /// Whether the response to this request never has a body (RFC 9110: HEAD).
    pub fn is_head(&self) -> bool {
        self.method == "HEAD"
    }

    /// Serializes the request (head and body) for `target`, in one buffer so that it leaves in
    /// one write.
    pub fn encode(&self, target: &Target) -> Result<Vec<u8>> {
        if !is_token(&self.method) {
            return Err(Error::InvalidRequest(format!(
                "method {:?} is not an HTTP token",
                self.method
            )));
        }
        let mut out = Vec::with_capacity(256 + self.body.as_ref().map_or(0, Vec::len));
        out.extend_from_slice(self.method.as_bytes());
        out.push(b' ');
        out.extend_from_slice(target.path_and_query.as_bytes());
        out.extend_from_slice(b" HTTP/1.1\r\n");

        let mut has_host = false;
        let mut has_user_agent = false;
        for (name, value) in &self.headers {
            if !is_token(name) {
                return Err(Error::InvalidRequest(format!(
                    "header name {name:?} is not an HTTP token"
                )));
            }
            let lower = name.to_ascii_lowercase();
            if MANAGED_HEADERS.contains(&lower.as_str()) {
                return Err(Error::InvalidRequest(format!(
                    "header {name} is managed by the client and cannot be set"
                )));
            }
            if value.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0) {
                return Err(Error::InvalidRequest(format!(
                    "header {name} has a value with CR, LF or NUL"
                )));
            }
            has_host |= lower == "host";
            has_user_agent |= lower == "user-agent";
            push_header(&mut out, name.as_bytes(), value.trim_ascii());
        }
        if !has_host {
            push_header(&mut out, b"Host", target.authority().as_bytes());
        }
        if !has_user_agent {
            push_header(&mut out, b"User-Agent", USER_AGENT.as_bytes());
        }
        match &self.body {
            Some(body) => push_header(
                &mut out,
                b"Content-Length",
                body.len().to_string().as_bytes(),
            ),
            // RFC 9110 9.3: a POST or PUT without a body still says so.
            None if matches!(self.method.as_str(), "POST" | "PUT" | "PATCH") => {
                push_header(&mut out, b"Content-Length", b"0")
            }
            None => {}
        }
        out.extend_from_slice(b"\r\n");
        if let Some(body) = &self.body {
            out.extend_from_slice(body);
        }
        Ok(out)
    }
}

fn push_header(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// RFC 9110 5.6.2 token.
fn is_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(is_tchar)
}

/// RFC 9110 5.6.2 tchar: a byte allowed in a token.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(headers: Vec<(&str, &str)>) -> Request {
        Request {
            method: "GET".into(),
            headers: headers
                .into_iter()
                .map(|(n, v)| (n.to_owned(), v.as_bytes().to_vec()))
                .collect(),
            body: None,
        }
    }

    fn target(url: &str) -> Target {
        Target::parse(url).unwrap()
    }

    #[test]
    fn get_has_host_and_user_agent_and_no_connection_header() {
        let bytes = get(vec![])
            .encode(&target("https://a.test:8443/p?q"))
            .unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            format!("GET /p?q HTTP/1.1\r\nHost: a.test:8443\r\nUser-Agent: {USER_AGENT}\r\n\r\n")
        );
    }

    #[test]
    fn body_gets_content_length_and_follows_head() {
        let mut req = get(vec![("Content-Type", "text/plain")]);
        req.method = "POST".into();
        req.body = Some(b"hello".to_vec());
        let text = String::from_utf8(req.encode(&target("https://a.test/")).unwrap()).unwrap();
        assert!(text.starts_with("POST / HTTP/1.1\r\nContent-Type: text/plain\r\n"));
        assert!(text.contains("\r\nContent-Length: 5\r\n"));
        assert!(text.ends_with("\r\n\r\nhello"));
    }

    #[test]
    fn post_without_body_sends_zero_length() {
        let mut req = get(vec![]);
        req.method = "POST".into();
        let text = String::from_utf8(req.encode(&target("https://a.test/")).unwrap()).unwrap();
        assert!(text.contains("\r\nContent-Length: 0\r\n"));
    }

    #[test]
    fn caller_host_and_user_agent_replace_defaults() {
        let req = get(vec![("host", "other.test"), ("User-Agent", "me/1")]);
        let text = String::from_utf8(req.encode(&target("https://a.test/")).unwrap()).unwrap();
        assert_eq!(text.matches("ost:").count(), 1);
        assert!(text.contains("host: other.test\r\n"));
        assert!(!text.contains(USER_AGENT));
    }

    #[test]
    fn every_head_line_ends_in_crlf_for_a_url_with_a_leading_control_character() {
        // Found by the `request` fuzz target (the harness misread the last line; the
        // serialization was right, and stays so).
        let bytes = get(vec![("e", "#&0")])
            .encode(&target("\u{c}https:A/I:/"))
            .unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let head = text.strip_suffix("\r\n\r\n").unwrap();
        assert!(head.starts_with("GET /I:/ HTTP/1.1\r\n"), "{head}");
        assert!(head.split("\r\n").all(|line| !line.contains(['\r', '\n'])));
    }

    #[test]
    fn header_injection_is_refused() {
        let req = get(vec![("X-A", "1\r\nX-Evil: 2")]);
        assert!(matches!(
            req.encode(&target("https://a.test/")),
            Err(Error::InvalidRequest(_))
        ));
    }

    #[test]
    fn framing_headers_are_refused() {
        for name in ["Content-Length", "transfer-encoding", "Connection"] {
            let req = get(vec![(name, "1")]);
            assert!(
                matches!(
                    req.encode(&target("https://a.test/")),
                    Err(Error::InvalidRequest(_))
                ),
                "{name}"
            );
        }
    }

    #[test]
    fn bad_method_and_header_name_are_refused() {
        let mut req = get(vec![]);
        req.method = "GET /x".into();
        assert!(req.encode(&target("https://a.test/")).is_err());
        let req = get(vec![("Bad Name", "v")]);
        assert!(req.encode(&target("https://a.test/")).is_err());
    }
}
