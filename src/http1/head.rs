//! Sans-IO parsing of an HTTP/1.1 response head (with httparse) and the choice of body framing.

use crate::error::{Error, Result};
use crate::limits::{Limits, clamp};

/// A parsed status line and header section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// The status code.
    pub status: u16,
    /// The reason phrase.
    pub reason: String,
    /// The header fields, in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// Whether the server spoke HTTP/1.0.
    pub http10: bool,
}

/// How the end of a response body is found (RFC 9112 6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body (HEAD, 1xx, 204, 304).
    Empty,
    /// Exactly this many bytes.
    ContentLength(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Everything until the connection closes (cleanly, with TLS close_notify).
    CloseDelimited,
}

/// Parses a response head from the start of `buf`. Returns the head and the number of bytes it
/// took, or `None` if `buf` holds only part of a head so far.
pub fn parse_head(buf: &[u8], limits: &Limits) -> Result<Option<(ResponseHead, usize)>> {
    let status_line_end = buf
        .iter()
        .take(limits.status_line_bytes + 1)
        .position(|&b| b == b'\n');
    if status_line_end.is_none() && buf.len() > limits.status_line_bytes {
        return Err(Error::StatusLineTooLong(clamp(limits.status_line_bytes)));
    }
    let mut headers = vec![httparse::EMPTY_HEADER; limits.header_count];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(buf) {
        Ok(httparse::Status::Complete(len)) => {
            let head = ResponseHead {
                status: response.code.unwrap_or_default(),
                reason: response.reason.unwrap_or_default().to_owned(),
                headers: response
                    .headers
                    .iter()
                    .map(|h| (h.name.to_owned(), h.value.to_vec()))
                    .collect(),
                http10: response.version == Some(0),
            };
            if !(100..=999).contains(&head.status) {
                return Err(Error::HttpProtocol(format!(
                    "status code {} out of range",
                    head.status
                )));
            }
            if len > limits.header_section_bytes {
                return Err(Error::HeaderSectionTooLarge(clamp(
                    limits.header_section_bytes,
                )));
            }
            Ok(Some((head, len)))
        }
        Ok(httparse::Status::Partial) if buf.len() > limits.header_section_bytes => Err(
            Error::HeaderSectionTooLarge(clamp(limits.header_section_bytes)),
        ),
        Ok(httparse::Status::Partial) => Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            Err(Error::TooManyHeaders(clamp(limits.header_count)))
        }
        Err(err) => Err(Error::HttpProtocol(err.to_string())),
    }
}

/// Reads response heads off the front of a buffer that grows as bytes arrive, incrementally:
/// every byte is scanned once for the blank line that ends a head, and httparse runs when one
/// is found (and once on the status line, so that garbage fails at once). A server that
/// trickles its head costs linear time, not quadratic. Interim (1xx) responses are skipped, at
/// most [`Limits::interim_responses`] of them.
#[derive(Debug, Default)]
pub struct HeadReader {
    /// How far the buffer has been scanned for the end of the head.
    scanned: usize,
    /// Whether the status line has been seen whole (and checked).
    status_line_seen: bool,
    /// Interim responses skipped so far.
    interim: usize,
}

impl HeadReader {
    /// How many interim (1xx) responses have been read and skipped: after an `Expect:
    /// 100-continue`, one of them is the server's go-ahead.
    pub fn interim_seen(&self) -> usize {
        self.interim
    }

    /// Takes the final response head off the front of `received` and decides its body framing.
    /// Returns `None` while the head is incomplete; the bytes consumed are drained from
    /// `received`, so what remains is the start of the body.
    pub fn take_final_head(
        &mut self,
        received: &mut Vec<u8>,
        request_was_head: bool,
        limits: &Limits,
    ) -> Result<Option<(ResponseHead, BodyFraming)>> {
        while let Some((head, len)) = self.next_head(received, limits)? {
            received.drain(..len);
            *self = HeadReader {
                interim: self.interim,
                ..HeadReader::default()
            };
            if !head.is_interim() {
                let framing = head.framing(request_was_head)?;
                return Ok(Some((head, framing)));
            }
            self.interim += 1;
            if self.interim > limits.interim_responses {
                return Err(Error::TooManyInterimResponses(clamp(
                    limits.interim_responses,
                )));
            }
        }
        Ok(None)
    }

    /// The head at the front of `received`, once its blank line has arrived.
    fn next_head(
        &mut self,
        received: &[u8],
        limits: &Limits,
    ) -> Result<Option<(ResponseHead, usize)>> {
        // Only bytes not scanned before can end the status line.
        if !self.status_line_seen && received[self.scanned.min(received.len())..].contains(&b'\n') {
            self.status_line_seen = true;
            // Fails now on a malformed status line or limits already passed.
            if let Some(head) = parse_head(received, limits)? {
                return Ok(Some(head));
            }
        }
        while let Some(end) = head_end(received, self.scanned) {
            self.scanned = end;
            if let Some(head) = parse_head(received, limits)? {
                return Ok(Some(head));
            }
            // Blank lines before the status line: httparse skips them; keep scanning.
        }
        self.scanned = received.len().saturating_sub(2);
        // Only the limits can fail a head that has not ended (parse_head has checked the
        // status line's length once it was seen whole).
        if !self.status_line_seen && received.len() > limits.status_line_bytes {
            return Err(Error::StatusLineTooLong(clamp(limits.status_line_bytes)));
        }
        if received.len() > limits.header_section_bytes {
            return Err(Error::HeaderSectionTooLarge(clamp(
                limits.header_section_bytes,
            )));
        }
        Ok(None)
    }
}

/// The offset just past the first blank line (`\n\n` or `\n\r\n`) found from `from` on.
fn head_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut start = from.min(buf.len());
    loop {
        let newline = buf[start..].iter().position(|&b| b == b'\n')? + start;
        match &buf[newline + 1..] {
            [b'\n', ..] => return Some(newline + 2),
            [b'\r', b'\n', ..] => return Some(newline + 3),
            [] | [b'\r'] => return None,
            _ => start = newline + 1,
        }
    }
}

impl ResponseHead {
    /// Whether this is an interim (1xx) response that a final response will follow. 101 is not
    /// interim here: the client never asks to switch protocols, so a 101 is a final answer.
    pub fn is_interim(&self) -> bool {
        (100..200).contains(&self.status) && self.status != 101
    }

    /// Whether the server allows another request on the connection: HTTP/1.1 without a
    /// `Connection: close` (HTTP/1.0 connections are never reused).
    pub fn allows_reuse(&self) -> bool {
        let close = self
            .values("connection")
            .flat_map(|v| v.split(|&b| b == b','))
            .any(|token| token.trim_ascii().eq_ignore_ascii_case(b"close"));
        !self.http10 && !close
    }

    /// The values of all fields named `name` (case-insensitive).
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// Decides the body framing for a response to a request that was (or was not) HEAD.
    /// A response with both Transfer-Encoding and Content-Length, or with disagreeing
    /// Content-Lengths, is refused: either could be a request-smuggling attempt.
    pub fn framing(&self, request_was_head: bool) -> Result<BodyFraming> {
        if self.status == 101 {
            // The client never asks to switch protocols; a 101 cannot be a final answer here.
            return Err(Error::HttpProtocol(
                "unsolicited 101 Switching Protocols (the client did not ask to upgrade)".into(),
            ));
        }
        if request_was_head
            || (100..200).contains(&self.status)
            || self.status == 204
            || self.status == 304
        {
            return Ok(BodyFraming::Empty);
        }
        let transfer_codings: Vec<String> = self
            .values("transfer-encoding")
            .flat_map(|v| v.split(|&b| b == b','))
            .map(|c| String::from_utf8_lossy(c).trim().to_ascii_lowercase())
            .filter(|c| !c.is_empty())
            .collect();
        let content_length = self.content_length()?;
        if !transfer_codings.is_empty() {
            if content_length.is_some() {
                return Err(Error::HttpProtocol(
                    "both Transfer-Encoding and Content-Length".into(),
                ));
            }
            return match transfer_codings.as_slice() {
                [only] if only == "chunked" => Ok(BodyFraming::Chunked),
                _ => Err(Error::HttpProtocol(format!(
                    "unsupported Transfer-Encoding: {}",
                    transfer_codings.join(", ")
                ))),
            };
        }
        Ok(match content_length {
            Some(len) => BodyFraming::ContentLength(len),
            None => BodyFraming::CloseDelimited,
        })
    }

    /// The Content-Length, if present; every value (and every list member) must agree.
    fn content_length(&self) -> Result<Option<u64>> {
        let mut found: Option<u64> = None;
        for value in self.values("content-length") {
            for member in value.split(|&b| b == b',') {
                let text = std::str::from_utf8(member).unwrap_or("").trim();
                let len = parse_decimal(text).ok_or_else(|| {
                    Error::HttpProtocol(format!(
                        "invalid Content-Length {:?}",
                        String::from_utf8_lossy(value)
                    ))
                })?;
                match found {
                    Some(previous) if previous != len => {
                        return Err(Error::HttpProtocol(format!(
                            "conflicting Content-Length values {previous} and {len}"
                        )));
                    }
                    _ => found = Some(len),
                }
            }
        }
        Ok(found)
    }
}

/// Digits only (no sign, no spaces inside), without overflow.
fn parse_decimal(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> ResponseHead {
        let (head, len) = parse_head(text.as_bytes(), &Limits::default())
            .unwrap()
            .unwrap();
        assert_eq!(len, text.len());
        head
    }

    #[test]
    fn parses_status_reason_and_headers() {
        let h = head("HTTP/1.1 404 Not Found\r\nX-A: 1\r\nx-a: 2\r\n\r\n");
        assert_eq!(h.status, 404);
        assert_eq!(h.reason, "Not Found");
        assert_eq!(h.values("X-A").collect::<Vec<_>>(), vec![b"1", b"2"]);
    }

    #[test]
    fn every_prefix_of_a_head_is_incomplete() {
        let text = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nServer: t\r\n\r\n";
        for end in 0..text.len() {
            assert_eq!(
                parse_head(&text[..end], &Limits::default()).unwrap(),
                None,
                "prefix {end}"
            );
        }
        assert!(parse_head(text, &Limits::default()).unwrap().is_some());
    }

    #[test]
    fn garbage_is_a_protocol_error() {
        assert!(matches!(
            parse_head(b"SSH-2.0-OpenSSH\r\n\r\n", &Limits::default()),
            Err(Error::HttpProtocol(_))
        ));
    }

    #[test]
    fn oversized_head_is_refused() {
        let limits = Limits::default();
        let mut text = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
        text.resize(limits.header_section_bytes + 10, b'a');
        assert_eq!(
            parse_head(&text, &limits),
            Err(Error::HeaderSectionTooLarge(
                limits.header_section_bytes as u32
            ))
        );
    }

    #[test]
    fn each_head_limit_has_its_own_error() {
        let tight = Limits {
            header_section_bytes: 40,
            header_count: 2,
            status_line_bytes: 20,
            ..Limits::default()
        };
        assert_eq!(
            parse_head(b"HTTP/1.1 200 A very long reason phrase\r\n\r\n", &tight),
            Err(Error::StatusLineTooLong(20))
        );
        assert_eq!(
            parse_head(b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", &tight),
            Err(Error::TooManyHeaders(2))
        );
        assert_eq!(
            parse_head(
                b"HTTP/1.1 200 OK\r\nA: 0123456789012345678901234\r\n\r\n",
                &tight
            ),
            Err(Error::HeaderSectionTooLarge(40))
        );
        assert!(
            parse_head(b"HTTP/1.1 200 OK\r\nA: 1\r\n\r\n", &tight)
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn framing_follows_rfc_9112() {
        let cl = head("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n");
        assert_eq!(cl.framing(false).unwrap(), BodyFraming::ContentLength(12));
        assert_eq!(cl.framing(true).unwrap(), BodyFraming::Empty);
        let chunked = head("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n");
        assert_eq!(chunked.framing(false).unwrap(), BodyFraming::Chunked);
        let close = head("HTTP/1.1 200 OK\r\n\r\n");
        assert_eq!(close.framing(false).unwrap(), BodyFraming::CloseDelimited);
        for status in [204, 304, 100] {
            let h = head(&format!("HTTP/1.1 {status} X\r\nContent-Length: 5\r\n\r\n"));
            assert_eq!(h.framing(false).unwrap(), BodyFraming::Empty, "{status}");
        }
    }

    #[test]
    fn smuggling_shapes_are_refused() {
        for text in [
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
        ] {
            assert!(
                matches!(head(text).framing(false), Err(Error::HttpProtocol(_))),
                "{text:?}"
            );
        }
    }

    #[test]
    fn unsolicited_switching_protocols_is_refused() {
        let h = head("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n");
        assert!(matches!(h.framing(false), Err(Error::HttpProtocol(_))));
    }

    #[test]
    fn repeated_equal_content_lengths_are_accepted() {
        let h = head("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n");
        assert_eq!(h.framing(false).unwrap(), BodyFraming::ContentLength(5));
    }

    #[test]
    fn the_reader_skips_interim_responses_and_leaves_the_body() {
        let mut received =
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec();
        let (head, framing) = HeadReader::default()
            .take_final_head(&mut received, false, &Limits::default())
            .unwrap()
            .unwrap();
        assert_eq!((head.status, framing), (200, BodyFraming::ContentLength(2)));
        assert_eq!(received, b"ok");
        let mut partial = b"HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 2".to_vec();
        assert_eq!(
            HeadReader::default()
                .take_final_head(&mut partial, false, &Limits::default())
                .unwrap(),
            None
        );
        assert_eq!(partial, b"HTTP/1.1 2");
    }

    #[test]
    fn reuse_needs_http11_without_connection_close() {
        assert!(head("HTTP/1.1 200 OK\r\n\r\n").allows_reuse());
        assert!(!head("HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\n\r\n").allows_reuse());
        assert!(!head("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n").allows_reuse());
    }

    #[test]
    fn interim_responses_are_recognised() {
        assert!(head("HTTP/1.1 100 Continue\r\n\r\n").is_interim());
        assert!(!head("HTTP/1.1 101 Switching\r\n\r\n").is_interim());
        assert!(!head("HTTP/1.1 200 OK\r\n\r\n").is_interim());
    }

    /// Feeds `response` to one reader `piece` bytes at a time, as a trickling server would.
    fn trickle(response: &[u8], piece: usize, limits: &Limits) -> Result<Option<ResponseHead>> {
        let mut reader = HeadReader::default();
        let mut received = Vec::new();
        for bytes in response.chunks(piece) {
            received.extend_from_slice(bytes);
            if let Some((head, _)) = reader.take_final_head(&mut received, false, limits)? {
                return Ok(Some(head));
            }
        }
        Ok(None)
    }

    #[test]
    fn a_head_trickled_byte_by_byte_is_parsed_once_it_ends() {
        let response =
            b"\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nA: b\r\nC: d\n\r\nbody";
        for piece in [1, 2, 3, 7, response.len()] {
            let head = trickle(response, piece, &Limits::default())
                .unwrap()
                .unwrap();
            assert_eq!(head.status, 200, "pieces of {piece}");
            assert_eq!(head.headers.len(), 2);
        }
    }

    #[test]
    fn a_garbage_status_line_fails_as_soon_as_it_ends() {
        let err = trickle(b"SMTP ready\r\n", 1, &Limits::default()).unwrap_err();
        assert!(matches!(err, Error::HttpProtocol(_)), "{err:?}");
    }

    #[test]
    fn limits_fail_a_head_that_never_ends() {
        let limits = Limits {
            status_line_bytes: 16,
            header_section_bytes: 64,
            ..Limits::default()
        };
        let long_status = [b"HTTP/1.1 200 ".as_slice(), &[b'x'; 40]].concat();
        assert_eq!(
            trickle(&long_status, 1, &limits).unwrap_err(),
            Error::StatusLineTooLong(16)
        );
        let endless = [b"HTTP/1.1 200 OK\r\n".as_slice(), &b"A: b\r\n".repeat(20)].concat();
        assert_eq!(
            trickle(&endless, 1, &limits).unwrap_err(),
            Error::HeaderSectionTooLarge(64)
        );
    }

    #[test]
    fn endless_interim_responses_stop_at_the_limit() {
        let limits = Limits {
            interim_responses: 3,
            ..Limits::default()
        };
        let three = b"HTTP/1.1 100 Continue\r\n\r\n".repeat(3);
        let mut ok = three.clone();
        ok.extend_from_slice(b"HTTP/1.1 200 OK\r\n\r\n");
        assert_eq!(trickle(&ok, 5, &limits).unwrap().unwrap().status, 200);
        let four = b"HTTP/1.1 100 Continue\r\n\r\n".repeat(4);
        assert_eq!(
            trickle(&four, 5, &limits).unwrap_err(),
            Error::TooManyInterimResponses(3)
        );
    }
}
