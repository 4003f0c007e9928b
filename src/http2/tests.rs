//! The HTTP/2 client driven over an in-memory transport that plays a server's raw frames
//! (whatever the client writes is recorded): a response in pieces, trailers, the server's
//! GOAWAY and RST_STREAM, and each limit on a hostile server, with its own error.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io;
use std::rc::Rc;

use verified_https_testkit::h2_server::frame;

use super::blocking::exchange;
use super::guard::{MAX_CONTINUATIONS, MAX_FRAME_BYTES, MAX_RESETS};
use crate::channel::Channel;
use crate::error::{Error, Http2Error, Result};
use crate::http1::content::ContentCoding;
use crate::http1::{Body, Request};
use crate::limits::Limits;
use crate::net::Transport;
use crate::target::Target;

/// A transport whose reads play `reads` (then the end of the stream) and whose writes are
/// kept.
struct Scripted {
    reads: VecDeque<Vec<u8>>,
    written: Rc<RefCell<Vec<u8>>>,
}

impl Transport for Scripted {
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(mut next) = self.reads.pop_front() else {
            return Ok(0);
        };
        let n = next.len().min(buf.len());
        buf[..n].copy_from_slice(&next[..n]);
        if n < next.len() {
            self.reads.push_front(next.split_off(n));
        }
        Ok(n)
    }

    async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.written.borrow_mut().extend_from_slice(data);
        Ok(())
    }

    async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    async fn has_input(&mut self) -> bool {
        !self.reads.is_empty()
    }
}

const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const PUSH_PROMISE: u8 = 0x5;
const GOAWAY: u8 = 0x7;
const CONTINUATION: u8 = 0x9;
const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
/// HPACK: `:status: 200` from the static table.
const STATUS_200: u8 = 0x88;

/// The server's opening: an empty SETTINGS, and the ACK of the client's.
fn opening() -> Vec<u8> {
    let mut out = frame(SETTINGS, 0, 0, &[]);
    out.extend(frame(SETTINGS, 0x1, 0, &[]));
    out
}

/// HPACK: a literal field without indexing, new name.
fn literal(name: &str, value: &[u8]) -> Vec<u8> {
    let mut out = vec![0x00, name.len() as u8];
    out.extend_from_slice(name.as_bytes());
    out.push(value.len() as u8);
    out.extend_from_slice(value);
    out
}

fn get() -> Request {
    Request {
        method: "GET".into(),
        headers: vec![],
        body: Body::Empty,
        accept_encoding: None,
    }
}

fn start_with(
    server: Vec<Vec<u8>>,
    request: &Request,
    limits: &Limits,
) -> Result<super::Http2Exchange<Scripted>> {
    start_recording(server, request, limits, Rc::default())
}

fn start_recording(
    server: Vec<Vec<u8>>,
    request: &Request,
    limits: &Limits,
    written: Rc<RefCell<Vec<u8>>>,
) -> Result<super::Http2Exchange<Scripted>> {
    let transport = Scripted {
        reads: server.into(),
        written,
    };
    let target = Target::parse("http://a.test/p").unwrap();
    exchange(Channel::Plain(transport), &target, request, false, limits)
}

fn start(server: Vec<Vec<u8>>) -> Result<super::Http2Exchange<Scripted>> {
    start_with(server, &get(), &Limits::default())
}

fn body(exchange: &mut super::Http2Exchange<Scripted>, max: usize) -> Result<Vec<u8>> {
    let mut all = Vec::new();
    while let Some(piece) = exchange.read_body(max)? {
        assert!(!piece.is_empty() && piece.len() <= max, "{piece:?}");
        all.extend_from_slice(&piece);
    }
    Ok(all)
}

fn ok_hello() -> Vec<Vec<u8>> {
    vec![
        opening(),
        frame(HEADERS, END_HEADERS, 1, &[STATUS_200]),
        frame(DATA, 0, 1, b"hel"),
        frame(DATA, END_STREAM, 1, b"lo"),
    ]
}

#[test]
fn a_response_in_frames_is_read_in_pieces() {
    let mut exchange = start(ok_hello()).unwrap();
    assert_eq!(exchange.head.status, 200);
    assert_eq!(exchange.head.reason, "OK");
    assert_eq!(body(&mut exchange, 2).unwrap(), b"hello");
    assert_eq!(exchange.read_body(10).unwrap(), None);
}

#[test]
fn the_client_speaks_first_with_the_preface_and_sends_a_body_given_whole() {
    let written = Rc::default();
    let request = Request {
        method: "POST".into(),
        body: Body::Bytes(b"payload".to_vec()),
        ..get()
    };
    let mut exchange = start_recording(
        ok_hello(),
        &request,
        &Limits::default(),
        Rc::clone(&written),
    )
    .unwrap();
    assert_eq!(body(&mut exchange, 64).unwrap(), b"hello");
    let written = written.borrow();
    assert!(written.starts_with(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
    // The body's DATA frame, with END_STREAM, on stream 1.
    let data = frame(DATA, END_STREAM, 1, b"payload");
    assert!(written.windows(data.len()).any(|w| w == data.as_slice()));
}

#[test]
fn frames_split_at_every_byte_make_the_same_response() {
    let whole: Vec<u8> = ok_hello().concat();
    let bytes: Vec<Vec<u8>> = whole.iter().map(|b| vec![*b]).collect();
    let mut exchange = start(bytes).unwrap();
    assert_eq!(body(&mut exchange, 64).unwrap(), b"hello");
}

#[test]
fn trailers_are_read_and_dropped() {
    let mut exchange = start(vec![
        opening(),
        frame(HEADERS, END_HEADERS, 1, &[STATUS_200]),
        frame(DATA, 0, 1, b"body"),
        frame(
            HEADERS,
            END_HEADERS | END_STREAM,
            1,
            &literal("x-sum", b"1"),
        ),
    ])
    .unwrap();
    assert_eq!(body(&mut exchange, 64).unwrap(), b"body");
}

#[test]
fn a_connection_that_ends_inside_the_body_makes_it_incomplete() {
    let mut exchange = start(vec![
        opening(),
        frame(HEADERS, END_HEADERS, 1, &[STATUS_200]),
        frame(DATA, 0, 1, b"part"),
    ])
    .unwrap();
    let err = body(&mut exchange, 64).unwrap_err();
    assert!(matches!(err, Error::Incomplete(_)), "{err:?}");
}

#[test]
fn a_server_that_closes_without_answering_terminates_the_connection() {
    let err = start(vec![opening()]).err().unwrap();
    assert!(matches!(err, Error::ConnectionTerminated(_)), "{err:?}");
}

#[test]
fn the_servers_reset_keeps_its_error_code() {
    let err = start(vec![
        opening(),
        frame(RST_STREAM, 0, 1, &8u32.to_be_bytes()),
    ])
    .err()
    .unwrap();
    assert_eq!(err, Error::Http2(Http2Error::StreamReset(8)));
    assert!(err.to_string().contains("RST_STREAM CANCEL"), "{err}");
}

#[test]
fn the_servers_goaway_with_an_error_keeps_its_code() {
    let mut goaway = 0u32.to_be_bytes().to_vec();
    goaway.extend(11u32.to_be_bytes());
    let err = start(vec![opening(), frame(GOAWAY, 0, 0, &goaway)])
        .err()
        .unwrap();
    assert_eq!(err, Error::Http2(Http2Error::GoAway(11)));
}

#[test]
fn a_graceful_goaway_before_the_request_was_taken_ends_it_with_the_servers_word() {
    // GOAWAY NO_ERROR, last stream 0: the request on stream 1 was never processed.
    let goaway = [0u32.to_be_bytes(), 0u32.to_be_bytes()].concat();
    let err = start(vec![opening(), frame(GOAWAY, 0, 0, &goaway)])
        .err()
        .unwrap();
    assert_eq!(err, Error::Http2(Http2Error::GoAway(0)));
}

#[test]
fn an_oversized_frame_is_refused() {
    let big = vec![0; MAX_FRAME_BYTES as usize + 1];
    let err = start(vec![opening(), frame(DATA, 0, 1, &big)])
        .err()
        .unwrap();
    assert_eq!(err, Error::Http2(Http2Error::FrameTooLarge(16_384)));
}

#[test]
fn a_continuation_flood_is_refused() {
    let mut server = vec![opening(), frame(HEADERS, 0, 1, &[STATUS_200])];
    for _ in 0..=MAX_CONTINUATIONS {
        server.push(frame(CONTINUATION, 0, 1, &[]));
    }
    let err = start(server).err().unwrap();
    assert_eq!(err, Error::Http2(Http2Error::ContinuationFlood(16)));
}

#[test]
fn a_rapid_reset_flood_is_refused() {
    let mut flood = opening();
    for stream in 0..=MAX_RESETS {
        flood.extend(frame(RST_STREAM, 0, 2 * stream + 101, &0u32.to_be_bytes()));
    }
    let err = start(vec![flood]).err().unwrap();
    assert_eq!(err, Error::Http2(Http2Error::ResetFlood(100)));
}

#[test]
fn a_pushed_stream_is_refused() {
    let mut promise = 2u32.to_be_bytes().to_vec();
    promise.push(0x82); // :method GET
    let err = start(vec![
        opening(),
        frame(PUSH_PROMISE, END_HEADERS, 1, &promise),
    ])
    .err()
    .unwrap();
    assert_eq!(err, Error::Http2(Http2Error::PushRefused));
}

#[test]
fn an_hpack_bomb_over_the_header_limit_is_too_large() {
    // One 200-byte field added to the dynamic table, then referred to 400 times: 1 KiB on
    // the wire, 92 KB decoded.
    let mut block = vec![STATUS_200, 0x40, 5];
    block.extend_from_slice(b"x-big");
    block.push(0x7f);
    block.push(200 - 127);
    block.extend_from_slice(&[b'a'; 200]);
    block.extend(std::iter::repeat_n(0xbe, 400)); // index 62: the newest dynamic entry
    let err = start(vec![opening(), frame(HEADERS, END_HEADERS, 1, &block)])
        .err()
        .unwrap();
    assert_eq!(err, Error::HeaderSectionTooLarge(65_536));
}

#[test]
fn more_fields_than_the_limit_are_refused() {
    let mut block = vec![STATUS_200];
    for _ in 0..5 {
        block.extend(literal("x-a", b"1"));
    }
    let limits = Limits {
        header_count: 4,
        ..Limits::default()
    };
    let err = start_with(
        vec![opening(), frame(HEADERS, END_HEADERS, 1, &block)],
        &get(),
        &limits,
    )
    .err()
    .unwrap();
    assert_eq!(err, Error::TooManyHeaders(4));
}

#[test]
fn a_body_over_the_limit_fails_before_its_excess_is_delivered() {
    let limits = Limits {
        body_bytes: Some(4),
        ..Limits::default()
    };
    let mut exchange = start_with(ok_hello(), &get(), &limits).unwrap();
    assert_eq!(exchange.read_body(64).unwrap().unwrap(), b"hel");
    assert_eq!(exchange.read_body(64).unwrap_err(), Error::BodyTooLarge(4));
}

#[test]
fn a_gzip_body_is_decoded_when_asked_for() {
    let gzipped: &[u8] = &[
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xcb, 0x48, 0xcd, 0xc9, 0xc9,
        0x07, 0x00, 0x86, 0xa6, 0x10, 0x36, 0x05, 0x00, 0x00, 0x00,
    ];
    let mut head = vec![STATUS_200];
    head.extend(literal("content-encoding", b"gzip"));
    let request = Request {
        accept_encoding: Some(vec![ContentCoding::Gzip]),
        ..get()
    };
    let mut exchange = start_with(
        vec![
            opening(),
            frame(HEADERS, END_HEADERS, 1, &head),
            frame(DATA, END_STREAM, 1, gzipped),
        ],
        &request,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(exchange.content_decoded(), Some(ContentCoding::Gzip));
    assert_eq!(body(&mut exchange, 64).unwrap(), b"hello");
}
