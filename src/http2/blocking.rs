//! The adapter that runs the async HTTP/2 layer over a channel on a blocking network port
//! (the WASI 0.2 glue, [`crate::std_net`]): the channel as `AsyncRead + AsyncWrite`
//! ([`ChannelIo`], each read or write of the channel completing at its first poll, as
//! [`block_on`] requires), `drive` (a minimal `block_on` that polls the connection beside the
//! request's future), and [`Http2Exchange`], the face the client uses. HTTP/2 over the async
//! port of WASI 0.3 (one connection shared by concurrent requests, h2's connection a task of
//! its own) replaces this file.

use std::cell::Cell;
use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use h2::client::SendRequest;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::errors::core_error;
use super::exchange::{Http2Body, Http2Connection, handshake, response_head, send};
use super::io::FailureSlot;
use crate::blocking::block_on;
use crate::channel::{Channel, Received};
use crate::error::{Error, Result};
use crate::http1::content::ContentCoding;
use crate::http1::{Request, ResponseHead};
use crate::limits::Limits;
use crate::net::Transport;
use crate::target::Target;
use crate::tls::TlsInfo;

/// How many turns [`drive`] takes without the channel moving a byte before it calls the
/// exchange stuck (a bug: a blocking channel always has a read to wait on).
const IDLE_TURNS: u32 = 1_000;

/// A blocking channel as an async byte stream. A read first answers `Pending` once (and
/// wakes at once), so that `drive` polls the request's future on what has already arrived
/// before the connection waits on the channel; the next read blocks.
pub struct ChannelIo<T> {
    channel: Channel<T>,
    yielded: bool,
    /// Reads and writes so far (each read counts one more than its bytes).
    moved: Rc<Cell<u64>>,
    failures: FailureSlot,
}

impl<T> ChannelIo<T> {
    /// `channel` as an async stream; `moved` counts what it carries, `failures` keeps the
    /// core's error of a failed read or write.
    pub fn new(channel: Channel<T>, moved: Rc<Cell<u64>>, failures: FailureSlot) -> Self {
        ChannelIo {
            channel,
            yielded: false,
            moved,
            failures,
        }
    }
}

// Never pinned structurally: the channel is only ever used through `&mut`.
impl<T> Unpin for ChannelIo<T> {}

impl<T: Transport> AsyncRead for ChannelIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.yielded {
            self.yielded = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.yielded = false;
        let this = &mut *self;
        let n = match block_on(this.channel.read(buf.initialize_unfilled())) {
            Ok(Received::Data(n)) => n,
            // The end of the stream: h2 tells a complete response from a cut one by
            // END_STREAM, whether or not TLS ended with close_notify.
            Ok(Received::CleanEnd | Received::UncleanEnd) => 0,
            Err(err) => return Poll::Ready(Err(this.failures.fail(err))),
        };
        buf.advance(n);
        this.moved.set(this.moved.get() + n as u64 + 1);
        Poll::Ready(Ok(()))
    }
}

impl<T: Transport> AsyncWrite for ChannelIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        this.moved.set(this.moved.get() + buf.len() as u64);
        Poll::Ready(
            block_on(this.channel.write_all(buf))
                .map(|()| buf.len())
                .map_err(|err| this.failures.fail(err)),
        )
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// The connection of an exchange, and the count of bytes its channel moved.
struct Driven<T> {
    connection: Http2Connection<ChannelIo<T>>,
    moved: Rc<Cell<u64>>,
    failures: FailureSlot,
    /// How the connection ended, once it has.
    ended: Option<Result<()>>,
}

/// Runs `future` to its end, polling the connection beside it: a minimal `block_on` for a
/// blocking channel (each wait is a blocking read, so no waker is needed). Once the
/// connection has ended, the future still completes from what arrived before; if it cannot,
/// the connection's error is the answer.
fn drive<T: Transport, F: Future>(driven: &mut Driven<T>, future: F) -> Result<F::Output> {
    let mut cx = Context::from_waker(Waker::noop());
    let mut future = pin!(future);
    let mut idle = 0;
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return Ok(output);
        }
        let before = driven.moved.get();
        match &driven.ended {
            None => {
                if let Poll::Ready(ended) = Pin::new(&mut driven.connection).poll(&mut cx) {
                    driven.ended = Some(ended.map_err(|err| core_error(err, &driven.failures)));
                }
            }
            Some(Err(err)) => return Err(err.clone()),
            Some(Ok(())) => {}
        }
        idle = if driven.moved.get() == before {
            idle + 1
        } else {
            0
        };
        if idle > IDLE_TURNS {
            return Err(match driven.ended {
                Some(_) => Error::ConnectionTerminated(
                    "the HTTP/2 connection ended before the response did".into(),
                ),
                None => Error::Internal("the HTTP/2 exchange stopped moving".into()),
            });
        }
    }
}

/// An HTTP/2 exchange whose response head has arrived; its body is read in pieces. Its
/// connection carries only this request and closes when the exchange is dropped.
pub struct Http2Exchange<T> {
    /// The final response head.
    pub head: ResponseHead,
    /// TLS details (`alpn` is `h2`).
    pub tls: Option<TlsInfo>,
    driven: Driven<T>,
    /// Kept so that the connection stays open while the body is read.
    _sender: SendRequest<Bytes>,
    body: Http2Body,
}

/// Sends `request` over `channel` (whose TLS agreed `h2`) by HTTP/2 and reads the response
/// head.
pub fn exchange<T: Transport>(
    channel: Channel<T>,
    target: &Target,
    request: &Request,
    verified: bool,
    limits: &Limits,
) -> Result<Http2Exchange<T>> {
    let tls = channel.tls_info(verified);
    let moved = Rc::new(Cell::new(0));
    let failures = FailureSlot::default();
    let io = ChannelIo::new(channel, moved.clone(), failures.clone());
    let (mut sender, connection) = block_on_handshake(handshake(io, limits, &failures))?;
    let mut driven = Driven {
        connection,
        moved,
        failures: failures.clone(),
        ended: None,
    };
    let response = drive(&mut driven, send(&mut sender, target, request, &failures))??;
    let head = response_head(response, request, limits, &failures);
    let (head, body) = drive(&mut driven, head)??;
    let body = Http2Body::new(&head, body, request, limits);
    Ok(Http2Exchange {
        head,
        tls,
        driven,
        _sender: sender,
        body,
    })
}

/// Runs the handshake, which needs no connection beside it (it is the connection's start).
fn block_on_handshake<F: Future>(future: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

impl<T: Transport> Http2Exchange<T> {
    /// The content coding undone on the body, if any.
    pub fn content_decoded(&self) -> Option<ContentCoding> {
        self.body.content_decoded()
    }

    /// Reads at most `max` bytes of the body (decoded, if a content coding is undone); `None`
    /// once it is complete.
    pub fn read_body(&mut self, max: usize) -> Result<Option<Vec<u8>>> {
        drive(&mut self.driven, self.body.read(max))?
    }
}
