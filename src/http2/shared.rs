//! HTTP/2 over an async network port: one connection that every concurrent request to its
//! origin shares, each request a stream of its own with its own time limits. h2's
//! connection future runs as a task of its own (the network's
//! [`Network::tasks`](crate::net::Network::tasks)) over the
//! channel as an async byte stream ([`ChannelStream`]); a request sends its stream through a
//! [`SharedConnection`], a clone of h2's handle, and reads its body with flow control given
//! back as it reads ([`Http2Body`]). Dropping a body before its end resets only its stream
//! (RST_STREAM CANCEL).

use std::cell::Cell;
use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::{Context, Poll};

use bytes::Bytes;
use h2::client::SendRequest;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::exchange::{Http2Body, handshake, response_head, send};
use super::io::FailureSlot;
use crate::channel::{Channel, Received};
use crate::error::{Error, Http2Error, Result};
use crate::http1::{Request, ResponseHead};
use crate::limits::Limits;
use crate::net::{Tasks, TimeLimits, Transport};
use crate::target::Target;
use crate::tls::TlsInfo;

/// The most bytes h2 may queue for the channel before a write waits for the channel to take
/// them.
const WRITE_QUEUE_BYTES: usize = 64 * 1024;

/// A write of the channel under way: it gives the channel back with its outcome.
type Writing<T> = Pin<Box<dyn Future<Output = (Channel<T>, Result<()>)>>>;

/// A channel as an async byte stream for h2. Writes are queued and leave on flush, each by a
/// future that holds the channel until it is done; a read waits for such a write first. A
/// read is polled afresh at each poll, so it relies on a transport whose reads go on when
/// their future is dropped (an async port: [`crate::net::Network::tasks`]).
pub struct ChannelStream<T> {
    /// The channel, while no write holds it.
    channel: Option<Channel<T>>,
    writing: Option<Writing<T>>,
    queued: Vec<u8>,
    failures: FailureSlot,
}

// Never pinned structurally: the channel and the write are only used through `&mut`.
impl<T> Unpin for ChannelStream<T> {}

impl<T: Transport + 'static> ChannelStream<T> {
    /// `channel` as an async stream; `failures` keeps the core's error of a failed read or
    /// write.
    pub fn new(channel: Channel<T>, failures: FailureSlot) -> Self {
        ChannelStream {
            channel: Some(channel),
            writing: None,
            queued: Vec::new(),
            failures,
        }
    }

    /// Waits for the write under way, if any, to give the channel back.
    fn poll_written(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(writing) = self.writing.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let (channel, outcome) = std::task::ready!(writing.as_mut().poll(cx));
        self.writing = None;
        self.channel = Some(channel);
        Poll::Ready(outcome.map_err(|err| self.failures.fail(err)))
    }

    /// Sends what is queued, then waits until the channel has taken it.
    fn poll_send_queued(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_written(cx))?;
        if self.queued.is_empty() {
            return Poll::Ready(Ok(()));
        }
        let mut channel = self.channel.take().ok_or_else(held)?;
        let data = std::mem::take(&mut self.queued);
        self.writing = Some(Box::pin(async move {
            let outcome = channel.write_all(&data).await;
            (channel, outcome)
        }));
        self.poll_written(cx)
    }
}

/// The error of a stream whose channel is lost (a write that never gave it back).
fn held() -> io::Error {
    io::Error::other("the HTTP/2 connection's channel is held by no write")
}

impl<T: Transport + 'static> AsyncRead for ChannelStream<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        std::task::ready!(this.poll_written(cx))?;
        let channel = this.channel.as_mut().ok_or_else(held)?;
        let read = pin!(channel.read(buf.initialize_unfilled())).poll(cx);
        let n = match std::task::ready!(read) {
            Ok(Received::Data(n)) => n,
            // The end of the stream: h2 tells a complete response from a cut one by
            // END_STREAM, whether or not TLS ended with close_notify.
            Ok(Received::CleanEnd | Received::UncleanEnd) => 0,
            Err(err) => return Poll::Ready(Err(this.failures.fail(err))),
        };
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl<T: Transport + 'static> AsyncWrite for ChannelStream<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.queued.len() >= WRITE_QUEUE_BYTES {
            std::task::ready!(self.poll_send_queued(cx))?;
        }
        self.queued.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_send_queued(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_send_queued(cx)
    }
}

/// An HTTP/2 connection its requests share: h2's handle (cloned for each stream), and
/// whether the connection task still runs.
#[derive(Clone)]
pub struct SharedConnection {
    sender: SendRequest<Bytes>,
    failures: FailureSlot,
    running: Rc<Cell<bool>>,
    tls: Option<TlsInfo>,
}

impl SharedConnection {
    /// Opens HTTP/2 over `channel` (whose TLS agreed `h2`) and hands its connection to
    /// `tasks`, which run it until the server or every handle closes it.
    pub async fn open<T: Transport + 'static>(
        channel: Channel<T>,
        verified: bool,
        limits: &Limits,
        tasks: Tasks,
    ) -> Result<Self> {
        let tls = channel.tls_info(verified);
        let failures = FailureSlot::default();
        let stream = ChannelStream::new(channel, failures.clone());
        let (sender, connection) = handshake(stream, limits, &failures).await?;
        let running = Rc::new(Cell::new(true));
        let ended = running.clone();
        (tasks.spawn)(Box::pin(async move {
            // How it ended reaches each stream through h2; a new request opens a new one.
            let _ = connection.await;
            ended.set(false);
        }));
        Ok(SharedConnection {
            sender,
            failures,
            running,
            tls,
        })
    }

    /// Whether the connection task still runs (a closed connection carries no new stream).
    pub fn is_running(&self) -> bool {
        self.running.get()
    }

    /// Sends `request` to `target` as a stream of its own and waits for its response head,
    /// each wait within `timing` (whose reads of the body keep to it as well).
    pub async fn exchange(
        &self,
        target: &Target,
        request: &Request,
        limits: &Limits,
        timing: StreamTiming,
    ) -> std::result::Result<Http2Response, Unanswered> {
        let mut sender = self.sender.clone();
        let response = send(&mut sender, target, request, &self.failures)
            .await
            .map_err(|err| match err {
                err @ Error::InvalidRequest(_) => Unanswered::Failed(err),
                err => Unanswered::NotSent(err),
            })?;
        let head = response_head(response, request, limits, &self.failures);
        let (head, body) = timing
            .within(head)
            .await
            .map_err(Unanswered::Failed)?
            .map_err(|err| match err {
                err @ Error::Http2(Http2Error::GoAway(_) | Http2Error::StreamReset(REFUSED)) => {
                    Unanswered::Refused(err)
                }
                err => Unanswered::Failed(err),
            })?;
        let body = Http2Body::new(&head, body, request, limits);
        Ok(Http2Response {
            head,
            tls: self.tls.clone(),
            body,
            timing,
        })
    }
}

/// RFC 9113's REFUSED_STREAM: the server did not process the stream.
const REFUSED: u32 = 0x7;

/// Why a request on a shared connection got no response head.
#[derive(Debug)]
pub enum Unanswered {
    /// Its stream never left: the connection no longer carries new streams (closed, or
    /// after the server's GOAWAY). Any request may go on a new connection.
    NotSent(Error),
    /// The server refused its stream unprocessed: REFUSED_STREAM, or a GOAWAY whose
    /// last-stream-id is below it. An idempotent request without a body may be sent again.
    Refused(Error),
    /// Anything else: the request's error.
    Failed(Error),
}

/// A response on a shared HTTP/2 connection whose head has arrived; its body is read in
/// pieces, and dropping it before its end resets its stream.
pub struct Http2Response {
    /// The final response head.
    pub head: ResponseHead,
    /// TLS details of the connection (`alpn` is `h2`).
    pub tls: Option<TlsInfo>,
    body: Http2Body,
    timing: StreamTiming,
}

impl Http2Response {
    /// The content coding undone on the body, if any.
    pub fn content_decoded(&self) -> Option<crate::http1::content::ContentCoding> {
        self.body.content_decoded()
    }

    /// Reads at most `max` bytes of the body within the stream's time limits; `None` once it
    /// is complete.
    pub async fn read_body(&mut self, max: usize) -> Result<Option<Vec<u8>>> {
        self.timing.within(self.body.read(max)).await?
    }
}

/// The time limits of one stream on a shared connection, kept with the network's timers
/// (the connection's own reads keep none: it outlives each request).
#[derive(Debug, Clone, Copy)]
pub struct StreamTiming {
    /// The network's tasks and timers.
    pub tasks: Tasks,
    /// The request's deadline and longest silence.
    pub limits: TimeLimits,
}

impl StreamTiming {
    /// `work`'s outcome, or a timeout if the stream's deadline passes first.
    async fn within<T>(&self, work: impl Future<Output = T>) -> Result<T> {
        self.tasks
            .within(self.limits, work)
            .await
            .ok_or(Error::Timeout)
    }
}
