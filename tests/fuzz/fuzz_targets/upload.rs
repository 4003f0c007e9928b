//! The upload path's handling of what a server sends: a streamed upload (Expect, chunked or
//! sized) through the real client over an in-memory network whose server sends fuzzed bytes
//! in fuzzed pieces, falls silent (a timeout) or closes, at any point of the upload. Must never
//! panic or loop forever; an answered upload sends nothing more.
#![no_main]

use std::cell::RefCell;
use std::io;
use std::rc::Rc;

use libfuzzer_sys::fuzz_target;
use verified_https::blocking::block_on;
use verified_https::client::upload::Progress;
use verified_https::client::{Client, SendOptions};
use verified_https::error::Result;
use verified_https::http1::{Body, Request};
use verified_https::limits::Limits;
use verified_https::net::{Deadline, Network, TimeLimits, Transport};
use verified_https::tls::Policy;

/// What the fake server will send, and how.
#[derive(Default)]
struct Script {
    bytes: Vec<u8>,
    piece: usize,
    /// Once the bytes run out: a timeout (silence) rather than the end of the stream.
    silent_at_end: bool,
    written: usize,
}

#[derive(Clone)]
struct FakeNetwork(Rc<RefCell<Script>>);

struct FakeStream(Rc<RefCell<Script>>);

impl Transport for FakeStream {
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut script = self.0.borrow_mut();
        if script.bytes.is_empty() {
            return if script.silent_at_end {
                Err(io::ErrorKind::TimedOut.into())
            } else {
                Ok(0)
            };
        }
        let n = script.piece.min(buf.len()).min(script.bytes.len());
        buf[..n].copy_from_slice(&script.bytes[..n]);
        script.bytes.drain(..n);
        Ok(n)
    }

    async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.0.borrow_mut().written += data.len();
        Ok(())
    }

    async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    async fn has_input(&mut self) -> bool {
        !self.0.borrow().bytes.is_empty()
    }
}

impl Network for FakeNetwork {
    type Stream = FakeStream;

    fn now(&self) -> u64 {
        0
    }

    async fn connect(
        &self,
        _host: &str,
        _port: u16,
        _deadline: Option<Deadline>,
    ) -> Result<FakeStream> {
        Ok(FakeStream(self.0.clone()))
    }

    fn set_limits(_stream: &mut FakeStream, _limits: TimeLimits) {}
}

fuzz_target!(|data: &[u8]| {
    let [piece, flags, size, writes, answer @ ..] = data else { return };
    let script = Rc::new(RefCell::new(Script {
        bytes: answer.to_vec(),
        piece: usize::from(*piece).max(1),
        silent_at_end: flags & 1 != 0,
        written: 0,
    }));
    let client = Rc::new(Client::new(
        FakeNetwork(script.clone()),
        Policy::unverified(),
        Limits::default(),
    ));
    let writes = usize::from(writes % 8);
    let piece_len = if flags & 2 != 0 { 700 * 1024 } else { 100 };
    let size = (flags & 4 != 0).then(|| (writes * piece_len) as u64 + u64::from(size % 2));
    let request = Request {
        method: "PUT".into(),
        headers: Vec::new(),
        body: Body::Streamed { size },
        accept_encoding: None,
    };
    let begun = block_on(client.begin("http://a.test/", request, &SendOptions::default()));
    let Ok(mut upload) = begun else {
        return;
    };
    let body = vec![b'x'; piece_len];
    for _ in 0..writes {
        let before = script.borrow().written;
        match block_on(upload.write(&body)) {
            Ok(Progress::Sending) => {}
            Ok(Progress::Answered) => {
                assert_eq!(script.borrow().written, before, "an answered upload sends nothing");
                break;
            }
            Err(_) => return,
        }
    }
    let Ok(mut response) = block_on(upload.finish()) else { return };
    while let Ok(Some(_)) = block_on(response.read_body(4096)) {}
});
