//! One HTTP/2 exchange, async: the handshake with the client's settings, the request sent
//! (a body given whole in DATA frames, sent as the server's flow-control window allows), the
//! final response head, and the body read in pieces. Flow control bounds what a stream may
//! hold unread: the window the client announces ([`WINDOW_BYTES`]) is given back only as
//! the caller takes bytes, so a fast server waits for a slow reader instead of filling
//! memory. Trailers are read (so a reset after the data is seen) and dropped.
//!
//! The connection future h2 returns must be polled beside these: a spawned task in an async
//! world, [`super::blocking`] in the blocking one.

use std::future::poll_fn;

use bytes::Bytes;
use h2::RecvStream;
use h2::client::{Connection, ResponseFuture, SendRequest};
use tokio::io::{AsyncRead, AsyncWrite};

use super::errors::{body_error, core_error};
use super::guard::{FrameGuard, MAX_FRAME_BYTES};
use super::io::{FailureSlot, Guarded};
use super::request::http2_request;
use crate::error::{Error, Result};
use crate::http1::content::{ContentCoding, Decoded, DecodedBody, coding_to_undo};
use crate::http1::exchange::READ_CHUNK;
use crate::http1::{Body, Request, ResponseHead};
use crate::limits::{Limits, clamp};
use crate::target::Target;

/// The flow-control window the client announces for each stream: the most body bytes a
/// server may send on one stream ahead of its reader (64 KiB).
pub const WINDOW_BYTES: u32 = 64 * 1024;

/// The window the client announces for the whole connection: sixteen streams' windows
/// (1 MiB), so that the streams of a shared connection do not wait on one another's readers
/// (with a connection window of one stream's, W4 over h2 slowed by half after a few hundred
/// requests), while each stream still holds at most [`WINDOW_BYTES`] unread.
pub const CONNECTION_WINDOW_BYTES: u32 = 16 * WINDOW_BYTES;

/// How many times the header section limit h2 itself enforces on a decoded header list is
/// the context's: h2 stops an HPACK bomb at that size, and the exact limit is checked on the
/// head it then hands over ([`response_head`]).
const DECODED_HEADER_SLACK: usize = 4;

/// An HTTP/2 connection over `S`, read through the client's [`FrameGuard`].
pub type Http2Connection<S> = Connection<Guarded<S>, Bytes>;

/// Opens HTTP/2 over `io` (after TLS agreed `h2`): the preface and the client's SETTINGS:
/// no push, no streams from the server, frames up to [`MAX_FRAME_BYTES`], stream windows of
/// [`WINDOW_BYTES`] and a connection window of [`CONNECTION_WINDOW_BYTES`], and a header list bounded by `limits`. `failures` keeps the core's
/// error of a failed read or write (the stream under `io` shares it), for every later step.
pub async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    io: S,
    limits: &Limits,
    failures: &FailureSlot,
) -> Result<(SendRequest<Bytes>, Http2Connection<S>)> {
    let decoded_header_bytes = limits
        .header_section_bytes
        .saturating_mul(DECODED_HEADER_SLACK);
    h2::client::Builder::new()
        .enable_push(false)
        .max_concurrent_streams(0)
        .max_frame_size(MAX_FRAME_BYTES)
        .initial_window_size(WINDOW_BYTES)
        .initial_connection_window_size(CONNECTION_WINDOW_BYTES)
        .max_header_list_size(clamp(decoded_header_bytes))
        .handshake(Guarded::new(io, FrameGuard::new(limits), failures.clone()))
        .await
        .map_err(|err| core_error(err, failures))
}

/// Sends `request` to `target` on the connection: its head, and its body if given whole.
pub async fn send(
    sender: &mut SendRequest<Bytes>,
    target: &Target,
    request: &Request,
    failures: &FailureSlot,
) -> Result<ResponseFuture> {
    let failed = |err| core_error(err, failures);
    let head = http2_request(target, request)?;
    poll_fn(|cx| sender.poll_ready(cx)).await.map_err(failed)?;
    let body = match &request.body {
        Body::Bytes(body) if !body.is_empty() => Some(Bytes::from(body.clone())),
        _ => None,
    };
    let (response, mut stream) = sender.send_request(head, body.is_none()).map_err(failed)?;
    if let Some(body) = body {
        // Queued whole; h2 sends it as the server's window opens.
        stream.send_data(body, true).map_err(failed)?;
    }
    Ok(response)
}

/// The final response head (h2 skips interim ones) and its body, within `limits`.
pub async fn response_head(
    response: ResponseFuture,
    request: &Request,
    limits: &Limits,
    failures: &FailureSlot,
) -> Result<(ResponseHead, ResponseBody)> {
    let response = response.await.map_err(|err| core_error(err, failures))?;
    let (parts, body) = response.into_parts();
    let mut decoded_bytes = 0;
    let mut headers = Vec::with_capacity(parts.headers.len());
    for (name, value) in &parts.headers {
        // RFC 9113 section 6.5.2's size of a field.
        decoded_bytes += name.as_str().len() + value.len() + 32;
        headers.push((name.as_str().to_owned(), value.as_bytes().to_vec()));
    }
    if decoded_bytes > limits.header_section_bytes {
        return Err(Error::HeaderSectionTooLarge(clamp(
            limits.header_section_bytes,
        )));
    }
    if headers.len() > limits.header_count {
        return Err(Error::TooManyHeaders(clamp(limits.header_count)));
    }
    let head = ResponseHead {
        status: parts.status.as_u16(),
        reason: parts.status.canonical_reason().unwrap_or("").to_owned(),
        headers,
        http10: false,
    };
    let empty = request.is_head() || head.status == 204 || head.status == 304;
    let announced = head
        .values("content-length")
        .next()
        .and_then(|v| std::str::from_utf8(v).ok()?.trim().parse::<u64>().ok());
    if let (Some(length), Some(limit)) = (announced, limits.body_bytes)
        && length > limit
        && !empty
    {
        return Err(Error::BodyTooLarge(limit));
    }
    Ok((
        head,
        ResponseBody {
            stream: body,
            unread: Bytes::new(),
            received: 0,
            limit: limits.body_bytes,
            complete: false,
            failures: failures.clone(),
        },
    ))
}

/// A response body as the caller reads it: decoded, if it has a content coding the request
/// accepted. Its stream is reset (RST_STREAM CANCEL) if it is dropped before its end.
pub struct Http2Body {
    body: ResponseBody,
    content: Option<DecodedBody>,
}

impl Http2Body {
    /// The body of the response `head` to `request`, decoded if the request accepted its
    /// content coding.
    pub fn new(
        head: &ResponseHead,
        body: ResponseBody,
        request: &Request,
        limits: &Limits,
    ) -> Self {
        let content = match &request.accept_encoding {
            Some(accepted) if !body.is_complete() => {
                coding_to_undo(head, accepted).map(|c| DecodedBody::new(c, limits.body_bytes))
            }
            _ => None,
        };
        Http2Body { body, content }
    }

    /// The content coding undone on the body, if any.
    pub fn content_decoded(&self) -> Option<ContentCoding> {
        self.content.as_ref().map(DecodedBody::coding)
    }

    /// Reads at most `max` bytes of the body (decoded, if a content coding is undone); `None`
    /// once it is complete.
    pub async fn read(&mut self, max: usize) -> Result<Option<Vec<u8>>> {
        let Some(content) = self.content.as_mut() else {
            return self.body.read(max).await;
        };
        loop {
            match content.decode(max)? {
                Decoded::Bytes(out) => return Ok(Some(out)),
                Decoded::Complete => return Ok(None),
                Decoded::NeedsCoded => {
                    let piece = self.body.read(READ_CHUNK).await?;
                    content.push_coded(piece.as_deref());
                }
            }
        }
    }
}

/// A response body arriving on its stream.
pub struct ResponseBody {
    stream: RecvStream,
    /// A DATA frame's bytes not yet read.
    unread: Bytes,
    received: u64,
    limit: Option<u64>,
    complete: bool,
    failures: FailureSlot,
}

impl ResponseBody {
    /// Whether the body has ended (END_STREAM, trailers read).
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Reads at most `max` bytes (at least one); `None` once the body is complete. A body
    /// over the limit fails before any byte beyond it is delivered.
    pub async fn read(&mut self, max: usize) -> Result<Option<Vec<u8>>> {
        let max = max.max(1);
        while self.unread.is_empty() {
            if self.complete {
                return Ok(None);
            }
            match poll_fn(|cx| self.stream.poll_data(cx)).await {
                Some(Ok(data)) => {
                    self.received += data.len() as u64;
                    if let Some(limit) = self.limit
                        && self.received > limit
                    {
                        return Err(Error::BodyTooLarge(limit));
                    }
                    self.unread = data;
                }
                Some(Err(err)) => return Err(body_error(err, &self.failures)),
                None => {
                    // The trailers, if any, are read and dropped.
                    poll_fn(|cx| self.stream.poll_trailers(cx))
                        .await
                        .map_err(|err| body_error(err, &self.failures))?;
                    self.complete = true;
                }
            }
        }
        let piece = self.unread.split_to(max.min(self.unread.len()));
        // The bytes leave the stream now: the window opens for as many.
        self.stream
            .flow_control()
            .release_capacity(piece.len())
            .map_err(|err| body_error(err, &self.failures))?;
        Ok(Some(piece.to_vec()))
    }
}
