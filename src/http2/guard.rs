//! The client's limits on an HTTP/2 server's frames, checked sans-IO on the bytes as they
//! arrive, before h2 parses them: each broken limit is its own [`Http2Error`] (or, for a
//! header block, the HTTP/1.1 [`Error::HeaderSectionTooLarge`]), never a generic protocol
//! error, and a flood stops at its limit instead of costing memory or time.

use crate::error::{Error, Http2Error, Result};
use crate::limits::{Limits, clamp};

/// The largest frame payload the client accepts: what it announces as
/// SETTINGS_MAX_FRAME_SIZE (the RFC's initial value, 16 KiB).
pub const MAX_FRAME_BYTES: u32 = 16_384;
/// The most CONTINUATION frames after one HEADERS frame: a header section at the default
/// 64 KiB limit needs at most 4 full frames. (Below h2's own limit, so that a flood meets
/// this one first and gets its own error.)
pub const MAX_CONTINUATIONS: u32 = 16;
/// The most RST_STREAM frames accepted on one connection (each request has one stream).
pub const MAX_RESETS: u32 = 100;

/// The frame types the guard looks at (RFC 9113 section 6).
const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const PUSH_PROMISE: u8 = 0x5;
const CONTINUATION: u8 = 0x9;
/// The END_HEADERS flag of HEADERS and CONTINUATION.
const END_HEADERS: u8 = 0x4;
/// The length of a frame header.
const FRAME_HEADER_BYTES: usize = 9;

/// Follows the frames of the server's byte stream and fails at the first broken limit.
#[derive(Debug, Clone)]
pub struct FrameGuard {
    header_section_bytes: usize,
    header: [u8; FRAME_HEADER_BYTES],
    header_len: usize,
    /// Payload bytes of the current frame still to come.
    payload_left: usize,
    /// The header block being received (HEADERS without END_HEADERS, then CONTINUATIONs).
    block: Option<HeaderBlock>,
    resets: u32,
    /// The limit broken, once one is: every later byte fails with it too.
    broken: Option<Error>,
}

/// A header block not yet ended: its CONTINUATION frames and compressed bytes so far.
#[derive(Debug, Clone, Copy)]
struct HeaderBlock {
    continuations: u32,
    bytes: usize,
}

impl FrameGuard {
    /// A guard for a connection whose header sections are bounded by `limits`.
    pub fn new(limits: &Limits) -> Self {
        FrameGuard {
            header_section_bytes: limits.header_section_bytes,
            header: [0; FRAME_HEADER_BYTES],
            header_len: 0,
            payload_left: 0,
            block: None,
            resets: 0,
            broken: None,
        }
    }

    /// Takes in the next bytes the server sent; an error names the first limit they break.
    pub fn inspect(&mut self, mut bytes: &[u8]) -> Result<()> {
        if let Some(err) = &self.broken {
            return Err(err.clone());
        }
        while !bytes.is_empty() {
            if self.payload_left > 0 {
                let skipped = self.payload_left.min(bytes.len());
                self.payload_left -= skipped;
                bytes = &bytes[skipped..];
                continue;
            }
            let taken = (FRAME_HEADER_BYTES - self.header_len).min(bytes.len());
            self.header[self.header_len..self.header_len + taken].copy_from_slice(&bytes[..taken]);
            self.header_len += taken;
            bytes = &bytes[taken..];
            if self.header_len == FRAME_HEADER_BYTES {
                self.header_len = 0;
                if let Err(err) = self.frame() {
                    self.broken = Some(err.clone());
                    return Err(err);
                }
            }
        }
        Ok(())
    }

    /// Checks the frame whose header has just arrived.
    fn frame(&mut self) -> Result<()> {
        let [l0, l1, l2, kind, flags, ..] = self.header;
        let length = u32::from_be_bytes([0, l0, l1, l2]);
        if length > MAX_FRAME_BYTES {
            return Err(Error::Http2(Http2Error::FrameTooLarge(MAX_FRAME_BYTES)));
        }
        self.payload_left = length as usize;
        let ends_block = flags & END_HEADERS != 0;
        match kind {
            HEADERS => {
                self.block = (!ends_block).then_some(HeaderBlock {
                    continuations: 0,
                    bytes: 0,
                });
                self.count_block_bytes(length as usize)?;
            }
            CONTINUATION => {
                // A CONTINUATION outside a block is h2's to refuse (PROTOCOL_ERROR).
                if let Some(block) = &mut self.block {
                    block.continuations += 1;
                    if block.continuations > MAX_CONTINUATIONS {
                        return Err(Error::Http2(Http2Error::ContinuationFlood(
                            MAX_CONTINUATIONS,
                        )));
                    }
                    self.count_block_bytes(length as usize)?;
                    if ends_block {
                        self.block = None;
                    }
                }
            }
            PUSH_PROMISE => return Err(Error::Http2(Http2Error::PushRefused)),
            RST_STREAM => {
                self.resets += 1;
                if self.resets > MAX_RESETS {
                    return Err(Error::Http2(Http2Error::ResetFlood(MAX_RESETS)));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Counts `bytes` of compressed header block against the header section limit.
    fn count_block_bytes(&mut self, bytes: usize) -> Result<()> {
        let total = match &mut self.block {
            Some(block) => {
                block.bytes += bytes;
                block.bytes
            }
            None => bytes,
        };
        if total > self.header_section_bytes {
            return Err(Error::HeaderSectionTooLarge(clamp(
                self.header_section_bytes,
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame header: length, type, flags, stream id; then `length` payload bytes of zero.
    fn frame(length: u32, kind: u8, flags: u8, stream: u32) -> Vec<u8> {
        let mut out = length.to_be_bytes()[1..].to_vec();
        out.extend_from_slice(&[kind, flags]);
        out.extend_from_slice(&stream.to_be_bytes());
        out.resize(out.len() + length as usize, 0);
        out
    }

    fn guard() -> FrameGuard {
        FrameGuard::new(&Limits::default())
    }

    #[test]
    fn ordinary_frames_pass_in_any_split() {
        let mut bytes = frame(6, 0x4, 0, 0); // SETTINGS
        bytes.extend(frame(10, HEADERS, END_HEADERS, 1));
        bytes.extend(frame(MAX_FRAME_BYTES, 0x0, 0, 1)); // DATA
        bytes.extend(frame(8, 0x7, 0, 0)); // GOAWAY
        for piece in [1, 2, 9, 10, 1000, bytes.len()] {
            let mut guard = guard();
            for chunk in bytes.chunks(piece) {
                guard.inspect(chunk).unwrap();
            }
        }
    }

    #[test]
    fn a_frame_longer_than_announced_is_refused_at_its_header() {
        let bytes = frame(MAX_FRAME_BYTES + 1, 0x0, 0, 1);
        let err = guard().inspect(&bytes[..FRAME_HEADER_BYTES]).unwrap_err();
        assert_eq!(err, Error::Http2(Http2Error::FrameTooLarge(16_384)));
    }

    #[test]
    fn endless_continuation_frames_stop_at_the_limit() {
        let mut guard = guard();
        guard.inspect(&frame(1, HEADERS, 0, 1)).unwrap();
        for _ in 0..MAX_CONTINUATIONS {
            guard.inspect(&frame(1, CONTINUATION, 0, 1)).unwrap();
        }
        let err = guard.inspect(&frame(1, CONTINUATION, 0, 1)).unwrap_err();
        assert_eq!(err, Error::Http2(Http2Error::ContinuationFlood(16)));
        // Once broken, always broken.
        assert_eq!(guard.inspect(b"x").unwrap_err(), err);
    }

    #[test]
    fn a_header_block_ended_in_time_resets_the_count() {
        let mut guard = guard();
        for _ in 0..3 {
            guard.inspect(&frame(1, HEADERS, 0, 1)).unwrap();
            for _ in 0..MAX_CONTINUATIONS - 1 {
                guard.inspect(&frame(1, CONTINUATION, 0, 1)).unwrap();
            }
            guard
                .inspect(&frame(1, CONTINUATION, END_HEADERS, 1))
                .unwrap();
        }
    }

    #[test]
    fn a_header_block_over_the_section_limit_is_too_large() {
        let limits = Limits {
            header_section_bytes: 20_000,
            ..Limits::default()
        };
        let mut guard = FrameGuard::new(&limits);
        guard
            .inspect(&frame(MAX_FRAME_BYTES, HEADERS, 0, 1))
            .unwrap();
        let err = guard
            .inspect(&frame(4_000, CONTINUATION, END_HEADERS, 1))
            .unwrap_err();
        assert_eq!(err, Error::HeaderSectionTooLarge(20_000));
    }

    #[test]
    fn a_pushed_stream_is_refused() {
        let err = guard().inspect(&frame(4, PUSH_PROMISE, 0, 1)).unwrap_err();
        assert_eq!(err, Error::Http2(Http2Error::PushRefused));
    }

    #[test]
    fn a_rapid_reset_flood_stops_at_the_limit() {
        let mut guard = guard();
        for stream in 0..MAX_RESETS {
            guard
                .inspect(&frame(4, RST_STREAM, 0, 2 * stream + 1))
                .unwrap();
        }
        let err = guard.inspect(&frame(4, RST_STREAM, 0, 999)).unwrap_err();
        assert_eq!(err, Error::Http2(Http2Error::ResetFlood(100)));
    }
}
