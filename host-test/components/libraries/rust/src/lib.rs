//! HTTPS for Rust components, through the verified-https client they import
//! (`verified:https/client`, world `https-caller`, satisfied by composing the component with
//! the client and a trust provider: `wac plug`).
//!
//! ```no_run
//! use std::io::Read;
//!
//! let mut response = verified_https_guest::get("https://example.test/")?;
//! let mut body = String::new();
//! response.read_to_string(&mut body)?;
//! println!("{} {body}", response.status());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Requests are verified by default: chain and host name against the trust anchors of
//! whatever the component is composed with. [`Context::dangerous_unverified`] is the one
//! opt-out, and every response made through it says so ([`Response::verified`]). Errors carry
//! the client's own wording ([`Error`]'s `Display` is the WIT `describe-error`).
//!
//! In scope: one request at a time, bodies streamed in pieces. Out of scope: an async API, and
//! everything the client itself leaves out (its WIT, `wit/client.wit`, is the contract).

mod bindings;
mod context;
mod error;
mod request;
mod response;

pub use bindings::verified::https::client::{CertificateError, ErrorCode, Header, TlsInfo};
pub use context::Context;
pub use error::Error;
pub use request::Request;
pub use response::Response;

/// `GET url` through a verified context that trusts the anchors of the component's
/// composition (its trust provider, or the host's `trust`), with the client's default timeouts.
pub fn get(url: &str) -> Result<Response, Error> {
    Request::get(url).send()
}
