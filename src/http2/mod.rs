//! HTTP/2 (RFC 9113) by ALPN, over the `h2` crate, as an async layer over any byte stream
//! with tokio's `AsyncRead + AsyncWrite` (the feature `http2`).
//!
//! - [`guard`]: sans-IO, the client's limits on a hostile server's frames (frame size,
//!   CONTINUATION floods, rapid resets, pushed streams), checked on the bytes before h2
//!   parses them;
//! - [`io`]: a byte stream with the guard on its read side;
//! - [`request`]: the core's request as HTTP/2 pseudo-headers and fields (`:authority`, no
//!   `Host`, no connection-specific fields);
//! - [`errors`]: h2's errors as the core's, in one place;
//! - [`exchange`](mod@exchange): async: the handshake with the client's settings, one request
//!   sent, its response head, and its body read in pieces with flow control (trailers are read
//!   and dropped);
//! - [`shared`]: over an async port, one connection shared by concurrent requests (each a
//!   stream), h2's connection a task of its own;
//! - [`blocking`]: the adapter that runs the async layer over today's blocking
//!   [`crate::channel::Channel`]: the channel as `AsyncRead + AsyncWrite` and a minimal
//!   `block_on` that drives the connection beside the request.
//!
//! Out of scope here: streamed request bodies (they go over HTTP/1.1: a request begun with a
//! streamed body offers only `http/1.1`) and server push (refused). Over a blocking port each
//! request has its connection, closed once its body is read.

pub mod blocking;
pub mod errors;
pub mod exchange;
pub mod guard;
pub mod io;
pub mod request;
pub mod shared;
#[cfg(test)]
mod tests;

pub use blocking::Http2Exchange;
