//! Sans-IO body decoding: Content-Length, chunked, and close-delimited bodies, and the rule that
//! a body ended early is an error.

use super::head::BodyFraming;
use super::request::is_tchar;
use crate::error::{Error, Result};
use crate::limits::{Limits, clamp};

/// Decodes one response body from the bytes that follow its head.
#[derive(Debug)]
pub struct BodyDecoder {
    state: State,
    limits: Limits,
    /// Body bytes delivered so far.
    delivered: u64,
}

#[derive(Debug, PartialEq, Eq)]
enum State {
    /// This many bytes remain of a Content-Length body.
    Remaining(u64),
    /// Reading until the connection closes.
    UntilClose,
    /// Reading a chunk-size line (collected so far).
    ChunkSize(Vec<u8>),
    /// This many bytes remain of the current chunk's data.
    ChunkData(u64),
    /// The CRLF after a chunk's data (how much of it has been seen).
    ChunkDataEnd(Vec<u8>),
    /// Trailer fields after the last chunk: the current line and the section's size so far.
    Trailers { line: Vec<u8>, total: usize },
    /// The body is complete.
    Done,
}

impl BodyDecoder {
    /// A decoder for a body with the given framing. A Content-Length beyond the body limit is
    /// refused at once.
    pub fn new(framing: BodyFraming, limits: &Limits) -> Result<Self> {
        let state = match framing {
            BodyFraming::Empty | BodyFraming::ContentLength(0) => State::Done,
            BodyFraming::ContentLength(len) => {
                if let Some(max) = limits.body_bytes.filter(|&max| len > max) {
                    return Err(Error::BodyTooLarge(max));
                }
                State::Remaining(len)
            }
            BodyFraming::Chunked => State::ChunkSize(Vec::new()),
            BodyFraming::CloseDelimited => State::UntilClose,
        };
        Ok(BodyDecoder {
            state,
            limits: *limits,
            delivered: 0,
        })
    }

    /// Appends body bytes to `out`, enforcing the body limit.
    fn deliver(&mut self, bytes: &[u8], out: &mut Vec<u8>) -> Result<()> {
        self.delivered += bytes.len() as u64;
        if let Some(max) = self.limits.body_bytes.filter(|&max| self.delivered > max) {
            return Err(Error::BodyTooLarge(max));
        }
        out.extend_from_slice(bytes);
        Ok(())
    }

    /// Whether the whole body has been decoded.
    pub fn is_complete(&self) -> bool {
        self.state == State::Done
    }

    /// Decodes from `input`, appending at most `max` body bytes to `out`. Returns how many
    /// bytes of `input` were consumed; bytes beyond the body's end are never consumed.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>, max: usize) -> Result<usize> {
        let mut used = 0;
        let mut room = max;
        while used < input.len() {
            let rest = &input[used..];
            match &mut self.state {
                State::Done => break,
                State::UntilClose => {
                    let n = rest.len().min(room);
                    self.deliver(&rest[..n], out)?;
                    used += n;
                    room -= n;
                }
                State::Remaining(left) | State::ChunkData(left) => {
                    let n = rest
                        .len()
                        .min(room)
                        .min(usize::try_from(*left).unwrap_or(usize::MAX));
                    *left -= n as u64;
                    let finished = *left == 0;
                    self.deliver(&rest[..n], out)?;
                    used += n;
                    room -= n;
                    if finished {
                        self.state = match self.state {
                            State::Remaining(_) => State::Done,
                            _ => State::ChunkDataEnd(Vec::new()),
                        };
                    }
                }
                State::ChunkSize(line) => {
                    let limit = self.limits.chunk_line_bytes;
                    used += take_line(rest, line, limit)
                        .ok_or(Error::ChunkLineTooLong(clamp(limit)))?;
                    if line.ends_with(b"\n") {
                        let size = parse_chunk_size(line)?;
                        self.state = if size == 0 {
                            State::Trailers {
                                line: Vec::new(),
                                total: 0,
                            }
                        } else {
                            State::ChunkData(size)
                        };
                    }
                }
                State::ChunkDataEnd(seen) => {
                    let not_crlf = || Error::HttpProtocol("chunk data not followed by CRLF".into());
                    used += take_line(rest, seen, 2).ok_or_else(not_crlf)?;
                    if seen.ends_with(b"\n") {
                        if seen.as_slice() != b"\r\n" {
                            return Err(not_crlf());
                        }
                        self.state = State::ChunkSize(Vec::new());
                    }
                }
                State::Trailers { line, total } => {
                    let limit = self.limits.header_section_bytes;
                    let too_large = Error::HeaderSectionTooLarge(clamp(limit));
                    let n = take_line(rest, line, limit).ok_or(too_large.clone())?;
                    used += n;
                    *total += n;
                    if *total > limit {
                        return Err(too_large);
                    }
                    if line.ends_with(b"\n") {
                        if line.as_slice() == b"\r\n" {
                            self.state = State::Done;
                        } else if !line.ends_with(b"\r\n") {
                            return Err(Error::HttpProtocol(
                                "trailer line not ended by CRLF".into(),
                            ));
                        } else {
                            line.clear();
                        }
                    }
                }
            }
            if room == 0 && !matches!(self.state, State::Done) {
                // The caller's buffer is full; framing bytes are consumed on the next call.
                if matches!(
                    self.state,
                    State::UntilClose | State::Remaining(_) | State::ChunkData(_)
                ) {
                    break;
                }
            }
        }
        Ok(used)
    }

    /// Called when the connection has ended. `clean` says whether it ended properly (TLS
    /// close_notify, or a TCP FIN on plain HTTP). Only a complete body, or a close-delimited
    /// body ended cleanly, is accepted.
    pub fn finish(&mut self, clean: bool) -> Result<()> {
        match &self.state {
            State::Done => Ok(()),
            State::UntilClose if clean => {
                self.state = State::Done;
                Ok(())
            }
            State::UntilClose => Err(Error::Incomplete(
                "connection closed without TLS close_notify; the body may be truncated".into(),
            )),
            State::Remaining(left) => Err(Error::Incomplete(format!(
                "connection closed with {left} bytes of the Content-Length body missing"
            ))),
            _ => Err(Error::Incomplete(
                "connection closed before the end of the chunked body".into(),
            )),
        }
    }
}

/// Moves bytes from `input` into `line` up to and including the first LF. Returns how many
/// were moved, or `None` if the line would be longer than `limit`.
fn take_line(input: &[u8], line: &mut Vec<u8>, limit: usize) -> Option<usize> {
    let n = match input.iter().position(|&b| b == b'\n') {
        Some(lf) => lf + 1,
        None => input.len(),
    };
    if line.len() + n > limit {
        return None;
    }
    line.extend_from_slice(&input[..n]);
    Some(n)
}

/// Parses `1a;name=value;name="quoted"\r\n` (RFC 9112 7.1.1): hex digits, then extensions
/// (checked for form, then ignored), then CRLF.
fn parse_chunk_size(line: &[u8]) -> Result<u64> {
    let invalid = || {
        Error::HttpProtocol(format!(
            "invalid chunk-size line {:?}",
            String::from_utf8_lossy(line)
        ))
    };
    let body = line.strip_suffix(b"\r\n").ok_or_else(invalid)?;
    let digits_end = body
        .iter()
        .position(|&b| !b.is_ascii_hexdigit())
        .unwrap_or(body.len());
    let (digits, extensions) = body.split_at(digits_end);
    if digits.is_empty() || digits.len() > 16 || !valid_extensions(extensions) {
        return Err(invalid());
    }
    let text = std::str::from_utf8(digits).map_err(|_| invalid())?;
    u64::from_str_radix(text, 16).map_err(|_| invalid())
}

/// `*( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )`.
fn valid_extensions(mut rest: &[u8]) -> bool {
    let skip_ws =
        |s: &[u8]| -> usize { s.iter().take_while(|&&b| b == b' ' || b == b'\t').count() };
    let token_len = |s: &[u8]| -> usize { s.iter().take_while(|&&b| is_tchar(b)).count() };
    loop {
        // Whitespace may precede a ";" but not end the line.
        let Some(after_semicolon) = rest[skip_ws(rest)..].strip_prefix(b";") else {
            return rest.is_empty();
        };
        rest = &after_semicolon[skip_ws(after_semicolon)..];
        let name = token_len(rest);
        if name == 0 {
            return false;
        }
        rest = &rest[name..];
        let ws = skip_ws(rest);
        let Some(after_equals) = rest[ws..].strip_prefix(b"=") else {
            continue;
        };
        rest = &after_equals[skip_ws(after_equals)..];
        if let Some(quoted) = rest.strip_prefix(b"\"") {
            let mut i = 0;
            loop {
                match quoted.get(i) {
                    None => return false,
                    Some(b'"') => break,
                    Some(b'\\') if quoted.get(i + 1).is_some() => i += 2,
                    Some(&b) if b == b'\t' || (b' '..=b'~').contains(&b) || b >= 0x80 => i += 1,
                    Some(_) => return false,
                }
            }
            rest = &quoted[i + 1..];
        } else {
            let value = token_len(rest);
            if value == 0 {
                return false;
            }
            rest = &rest[value..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` in pieces of `step` bytes, reading at most `max` per call, like the glue.
    fn decode_all(framing: BodyFraming, input: &[u8], step: usize, max: usize) -> Result<Vec<u8>> {
        let mut decoder = BodyDecoder::new(framing, &Limits::default())?;
        let mut out = Vec::new();
        let mut pending: Vec<u8> = Vec::new();
        let mut fed = 0;
        while !decoder.is_complete() {
            if pending.is_empty() {
                if fed == input.len() {
                    decoder.finish(true)?;
                    break;
                }
                let end = (fed + step).min(input.len());
                pending.extend_from_slice(&input[fed..end]);
                fed = end;
            }
            let mut piece = Vec::new();
            let used = decoder.decode(&pending, &mut piece, max)?;
            assert!(piece.len() <= max);
            out.extend_from_slice(&piece);
            pending.drain(..used);
        }
        Ok(out)
    }

    #[test]
    fn content_length_body_stops_at_its_length() {
        let mut d = BodyDecoder::new(BodyFraming::ContentLength(5), &Limits::default()).unwrap();
        let mut out = Vec::new();
        assert_eq!(d.decode(b"helloEXTRA", &mut out, 100).unwrap(), 5);
        assert_eq!(out, b"hello");
        assert!(d.is_complete());
    }

    #[test]
    fn short_content_length_body_is_incomplete() {
        let mut d = BodyDecoder::new(BodyFraming::ContentLength(10), &Limits::default()).unwrap();
        d.decode(b"hello", &mut Vec::new(), 100).unwrap();
        assert!(matches!(d.finish(true), Err(Error::Incomplete(_))));
    }

    #[test]
    fn chunked_body_decodes_in_any_split_and_any_read_size() {
        let wire = b"5;name=value;q=\"a; \\\"b\"\r\nhello\r\n1 ; flag\r\n \r\n6\r\nworld!\r\n0\r\nX-Trailer: t\r\n\r\n";
        for step in 1..wire.len() {
            for max in [1, 3, 100] {
                assert_eq!(
                    decode_all(BodyFraming::Chunked, wire, step, max).unwrap(),
                    b"hello world!",
                    "step {step} max {max}"
                );
            }
        }
    }

    #[test]
    fn every_prefix_of_a_chunked_body_is_incomplete_never_wrong() {
        let wire = b"3\r\nabc\r\n0\r\n\r\n";
        for end in 0..wire.len() {
            let result = decode_all(BodyFraming::Chunked, &wire[..end], 1, 64);
            assert!(
                matches!(result, Err(Error::Incomplete(_))),
                "prefix {end}: {result:?}"
            );
        }
    }

    #[test]
    fn chunked_bytes_after_the_last_chunk_are_not_consumed() {
        let mut d = BodyDecoder::new(BodyFraming::Chunked, &Limits::default()).unwrap();
        let mut out = Vec::new();
        let wire = b"1\r\na\r\n0\r\n\r\nHTTP/1.1";
        assert_eq!(d.decode(wire, &mut out, 100).unwrap(), wire.len() - 8);
        assert!(d.is_complete());
    }

    #[test]
    fn bad_chunk_sizes_are_protocol_errors() {
        for wire in [
            &b"zz\r\n"[..],
            b"-1\r\n",
            b"1\nx\r\n",
            b"11111111111111111\r\n",
            b"3\r\nabcX\r\n",
            b"2;\r\n",
            b"2 erfrferferf\r\n",
            b"5;a=\"abc\";b=\"unbalanced\r\n",
            b"5;a=\r\n",
            b"25  \r\n",
        ] {
            let mut d = BodyDecoder::new(BodyFraming::Chunked, &Limits::default()).unwrap();
            assert!(
                matches!(
                    d.decode(wire, &mut Vec::new(), 100),
                    Err(Error::HttpProtocol(_))
                ),
                "{:?}",
                String::from_utf8_lossy(wire)
            );
        }
    }

    #[test]
    fn endless_chunk_size_line_is_refused() {
        let mut d = BodyDecoder::new(BodyFraming::Chunked, &Limits::default()).unwrap();
        let line = vec![b'0'; Limits::default().chunk_line_bytes + 1];
        assert_eq!(
            d.decode(&line, &mut Vec::new(), 100),
            Err(Error::ChunkLineTooLong(4096))
        );
    }

    #[test]
    fn close_delimited_body_needs_a_clean_close() {
        let mut d = BodyDecoder::new(BodyFraming::CloseDelimited, &Limits::default()).unwrap();
        let mut out = Vec::new();
        d.decode(b"abc", &mut out, 100).unwrap();
        assert!(matches!(d.finish(false), Err(Error::Incomplete(_))));
        assert!(d.finish(true).is_ok());
        assert!(d.is_complete());
    }

    #[test]
    fn body_limit_refuses_a_large_content_length_at_once_and_endless_bodies_when_reached() {
        let limits = Limits {
            body_bytes: Some(10),
            ..Limits::default()
        };
        assert_eq!(
            BodyDecoder::new(BodyFraming::ContentLength(11), &limits).unwrap_err(),
            Error::BodyTooLarge(10)
        );
        for framing in [BodyFraming::Chunked, BodyFraming::CloseDelimited] {
            let wire: &[u8] = match framing {
                BodyFraming::Chunked => b"8\r\n01234567\r\n8\r\n89abcdef\r\n",
                _ => b"0123456789abcdef",
            };
            let mut d = BodyDecoder::new(framing, &limits).unwrap();
            assert_eq!(
                d.decode(wire, &mut Vec::new(), 100),
                Err(Error::BodyTooLarge(10)),
                "{framing:?}"
            );
        }
        let mut d = BodyDecoder::new(BodyFraming::ContentLength(10), &limits).unwrap();
        let mut out = Vec::new();
        d.decode(b"0123456789", &mut out, 100).unwrap();
        assert!(d.is_complete());
    }

    #[test]
    fn read_size_is_respected() {
        let mut d = BodyDecoder::new(BodyFraming::ContentLength(10), &Limits::default()).unwrap();
        let mut out = Vec::new();
        assert_eq!(d.decode(b"0123456789", &mut out, 4).unwrap(), 4);
        assert_eq!(out, b"0123");
    }
}
