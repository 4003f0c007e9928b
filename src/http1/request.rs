//! HTTP/1.1 request serialization: validated method and headers, client-managed framing.
//! Connections are persistent (HTTP/1.1's default), so no `Connection` header is sent.

use super::content::{ContentCoding, accept_encoding};
use crate::error::{Error, Result};
use crate::target::Target;

/// The `User-Agent` sent unless the caller sets one.
pub const USER_AGENT: &str = concat!("verified-https/", env!("CARGO_PKG_VERSION"));

/// Header names whose values the client owns: the body's framing, the connection's fate and
/// the 100-continue handshake.
const MANAGED_HEADERS: [&str; 4] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "expect",
];

/// Streamed bodies this large, or of unknown size, are announced with `Expect: 100-continue`
/// (curl's threshold), so that a server that refuses them saves the upload.
pub const EXPECT_CONTINUE_FROM: u64 = 1024 * 1024;

/// A request as the caller describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method token, e.g. `GET`.
    pub method: String,
    /// Header fields to send, in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body.
    pub body: Body,
    /// The content codings to ask for (`Accept-Encoding`) and undo; `None` leaves bodies as
    /// sent and `Accept-Encoding` to the caller.
    pub accept_encoding: Option<Vec<ContentCoding>>,
}

/// A request's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// No body.
    Empty,
    /// A body given whole, sent with a `Content-Length` in the same write as the head.
    Bytes(Vec<u8>),
    /// A body the caller writes in pieces after the head: with a `Content-Length` when its
    /// size is known, chunked otherwise. It cannot be sent a second time.
    Streamed {
        /// The size, if known.
        size: Option<u64>,
    },
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

    /// Whether the head announces the body with `Expect: 100-continue` (RFC 9110 10.1.1): a
    /// streamed body of unknown size or of [`EXPECT_CONTINUE_FROM`] bytes or more.
    pub fn expects_continue(&self) -> bool {
        match self.body {
            Body::Streamed { size } => size.is_none_or(|size| size >= EXPECT_CONTINUE_FROM),
            _ => false,
        }
    }

    /// Serializes the request for `target` (the head, and a body given whole), in one buffer
    /// so that it leaves in one write.
    pub fn encode(&self, target: &Target) -> Result<Vec<u8>> {
        if !is_token(&self.method) {
            return Err(Error::InvalidRequest(format!(
                "method {:?} is not an HTTP token",
                self.method
            )));
        }
        let body_len = match &self.body {
            Body::Bytes(body) => body.len(),
            _ => 0,
        };
        let mut out = Vec::with_capacity(256 + body_len);
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
            if lower == "accept-encoding" && self.accept_encoding.is_some() {
                return Err(Error::InvalidRequest(
                    "header Accept-Encoding cannot be set when the client decodes content \
                     (accept-encoding is given)"
                        .into(),
                ));
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
        if let Some(codings) = &self.accept_encoding {
            push_header(
                &mut out,
                b"Accept-Encoding",
                accept_encoding(codings).as_bytes(),
            );
        }
        match &self.body {
            Body::Bytes(body) => push_header(
                &mut out,
                b"Content-Length",
                body.len().to_string().as_bytes(),
            ),
            Body::Streamed { size: Some(size) } => {
                push_header(&mut out, b"Content-Length", size.to_string().as_bytes())
            }
            Body::Streamed { size: None } => {
                push_header(&mut out, b"Transfer-Encoding", b"chunked")
            }
            // RFC 9110 9.3: a POST or PUT without a body still says so.
            Body::Empty if matches!(self.method.as_str(), "POST" | "PUT" | "PATCH") => {
                push_header(&mut out, b"Content-Length", b"0")
            }
            Body::Empty => {}
        }
        if self.expects_continue() {
            push_header(&mut out, b"Expect", b"100-continue");
        }
        out.extend_from_slice(b"\r\n");
        if let Body::Bytes(body) = &self.body {
            out.extend_from_slice(body);
        }
        Ok(out)
    }
}

/// The framing of a streamed body as it is written: each piece as it goes on the wire, and
/// the end, checked against the size the head announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyEncoder {
    /// `Content-Length`: this many bytes are still owed.
    Length(u64),
    /// Chunked: each piece a chunk, the end a last chunk.
    Chunked,
}

impl BodyEncoder {
    /// The encoder for a streamed body of `size` (unknown: chunked).
    pub fn new(size: Option<u64>) -> Self {
        size.map_or(BodyEncoder::Chunked, BodyEncoder::Length)
    }

    /// The framing around `piece` on the wire: what goes before it and after it (nothing for
    /// a length-framed body; a chunk's size line and CRLF when chunked; nothing at all for an
    /// empty piece, which must not end a chunked body). More bytes than the head announced
    /// are refused. The piece itself is not copied.
    pub fn frame(&mut self, piece: &[u8]) -> Result<(Vec<u8>, &'static [u8])> {
        match self {
            BodyEncoder::Length(left) => {
                let len = piece.len() as u64;
                if len > *left {
                    return Err(Error::InvalidRequest(format!(
                        "the body is longer than the size given: {} bytes too many",
                        len - *left
                    )));
                }
                *left -= len;
                Ok((Vec::new(), b""))
            }
            BodyEncoder::Chunked if piece.is_empty() => Ok((Vec::new(), b"")),
            BodyEncoder::Chunked => Ok((format!("{:x}\r\n", piece.len()).into_bytes(), b"\r\n")),
        }
    }

    /// Appends the end of the body to `out`; a body shorter than announced is refused.
    pub fn finish(&self, out: &mut Vec<u8>) -> Result<()> {
        match self {
            BodyEncoder::Length(0) => Ok(()),
            BodyEncoder::Length(left) => Err(Error::InvalidRequest(format!(
                "the body ended {left} bytes short of the size given"
            ))),
            BodyEncoder::Chunked => {
                out.extend_from_slice(b"0\r\n\r\n");
                Ok(())
            }
        }
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
            body: Body::Empty,
            accept_encoding: None,
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
        req.body = Body::Bytes(b"hello".to_vec());
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
    fn streamed_bodies_are_framed_by_length_or_chunks_and_large_ones_expect_continue() {
        let mut req = get(vec![]);
        req.method = "PUT".into();
        req.body = Body::Streamed { size: Some(5) };
        let text = String::from_utf8(req.encode(&target("https://a.test/")).unwrap()).unwrap();
        assert!(text.ends_with("\r\nContent-Length: 5\r\n\r\n"), "{text}");
        req.body = Body::Streamed {
            size: Some(EXPECT_CONTINUE_FROM),
        };
        let text = String::from_utf8(req.encode(&target("https://a.test/")).unwrap()).unwrap();
        assert!(text.ends_with("\r\nContent-Length: 1048576\r\nExpect: 100-continue\r\n\r\n"));
        req.body = Body::Streamed { size: None };
        let text = String::from_utf8(req.encode(&target("https://a.test/")).unwrap()).unwrap();
        assert!(text.ends_with("\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"));

        let mut out = Vec::new();
        let mut chunked = BodyEncoder::new(None);
        for piece in [&b"hello world, "[..], b""] {
            let (before, after) = chunked.frame(piece).unwrap();
            out.extend([&before[..], piece, after].concat());
        }
        chunked.finish(&mut out).unwrap();
        assert_eq!(out, b"d\r\nhello world, \r\n0\r\n\r\n");

        let mut length = BodyEncoder::new(Some(4));
        assert!(matches!(
            length.frame(b"12345"),
            Err(Error::InvalidRequest(_))
        ));
        assert_eq!(length.frame(b"12").unwrap(), (Vec::new(), &b""[..]));
        assert!(
            matches!(length.finish(&mut out), Err(Error::InvalidRequest(why)) if why.contains("2 bytes short"))
        );
        length.frame(b"34").unwrap();
        length.finish(&mut out).unwrap();
    }

    #[test]
    fn accept_encoding_is_the_clients_when_it_decodes() {
        let mut req = get(vec![]);
        req.accept_encoding = Some(ContentCoding::SUPPORTED.to_vec());
        let text = String::from_utf8(req.encode(&target("https://a.test/")).unwrap()).unwrap();
        assert!(text.contains("\r\nAccept-Encoding: gzip, deflate\r\n"));
        req.headers.push(("accept-encoding".into(), b"br".to_vec()));
        assert!(matches!(
            req.encode(&target("https://a.test/")),
            Err(Error::InvalidRequest(_))
        ));
        req.accept_encoding = None;
        let text = String::from_utf8(req.encode(&target("https://a.test/")).unwrap()).unwrap();
        assert!(text.contains("\r\naccept-encoding: br\r\n"));
    }

    #[test]
    fn framing_headers_are_refused() {
        for name in [
            "Content-Length",
            "transfer-encoding",
            "Connection",
            "Expect",
        ] {
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
