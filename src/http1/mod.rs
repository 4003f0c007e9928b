//! HTTP/1.1, sans-IO except for the pump: what is sent, what is parsed, how a body is framed.
//!
//! - [`request`]: the request as the caller gives it, serialized with client-managed framing;
//! - [`head`]: the response head (status line and header section) and the body framing it
//!   implies;
//! - [`framing`]: transfer framing (Content-Length, chunked, close-delimited) decoded as bytes
//!   arrive;
//! - [`content`]: content coding (gzip, deflate), a layer above transfer framing;
//! - [`exchange`](mod@exchange): one exchange over a [`crate::channel::Channel`], and whether the connection
//!   may be reused after it.

pub mod content;
pub mod exchange;
pub mod framing;
pub mod head;
pub mod request;

pub use exchange::{Exchange, exchange};
pub use head::ResponseHead;
pub use request::{Body, BodyEncoder, Request};
