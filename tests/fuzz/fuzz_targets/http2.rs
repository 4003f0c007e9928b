//! The HTTP/2 client layer fed raw server bytes after a handshake stand-in (an in-memory
//! transport in place of TLS, whose reads hand over the fuzzed bytes in fuzzed pieces and
//! whose writes are dropped): the frame guard, h2's framing, HPACK and flow control, the
//! response head and the body read in pieces. Must never panic or loop forever; a piece is
//! never longer than asked for, and no more body is delivered than the limit allows.
#![no_main]

use std::io;

use libfuzzer_sys::fuzz_target;
use verified_https::channel::Channel;
use verified_https::http1::{Body, Request};
use verified_https::http2::blocking::exchange;
use verified_https::limits::Limits;
use verified_https::net::Transport;
use verified_https::target::Target;

/// The server's bytes, handed over `piece` at a time.
struct Server {
    bytes: Vec<u8>,
    at: usize,
    piece: usize,
}

impl Transport for Server {
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.piece.min(buf.len()).min(self.bytes.len() - self.at);
        buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }

    async fn write_all(&mut self, _: &[u8]) -> io::Result<()> {
        Ok(())
    }

    async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    async fn has_input(&mut self) -> bool {
        self.at < self.bytes.len()
    }
}

/// A server's usual start, which the fuzzer may ask for instead of finding it: SETTINGS, the
/// ACK of the client's, and a 200 head on stream 1 (not ended, so DATA may follow).
const OPENING: &[u8] = &[
    0, 0, 0, 0x4, 0, 0, 0, 0, 0, // SETTINGS
    0, 0, 0, 0x4, 0x1, 0, 0, 0, 0, // SETTINGS ACK
    0, 0, 1, 0x1, 0x4, 0, 0, 0, 1, 0x88, // HEADERS :status 200, END_HEADERS
];

fuzz_target!(|data: &[u8]| {
    let [flags, piece, max, rest @ ..] = data else { return };
    let mut bytes = Vec::new();
    if flags & 1 == 1 {
        bytes.extend_from_slice(OPENING);
    }
    bytes.extend_from_slice(rest);
    let server = Server {
        bytes,
        at: 0,
        piece: usize::from(*piece).max(1) * 7,
    };
    let limits = Limits {
        body_bytes: (flags & 2 == 2).then_some(1000),
        ..Limits::default()
    };
    let request = Request {
        method: if flags & 4 == 4 { "HEAD" } else { "GET" }.into(),
        headers: vec![],
        body: Body::Empty,
        accept_encoding: None,
    };
    let target = Target::parse("https://fuzz.test/").unwrap();
    let Ok(mut response) = exchange(Channel::Plain(server), &target, &request, false, &limits)
    else {
        return;
    };
    let max = usize::from(*max).max(1);
    let mut delivered = 0;
    while let Ok(Some(piece)) = response.read_body(max) {
        assert!(!piece.is_empty() && piece.len() <= max);
        delivered += piece.len() as u64;
        if let Some(limit) = limits.body_bytes {
            assert!(delivered <= limit);
        }
    }
});
