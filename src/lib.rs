//! verified-https: an HTTPS client component that verifies certificates by default.
//!
//! PEP 476 for the WebAssembly Component Model: TLS and certificate verification run inside
//! the component (rustls + ring + rustls-webpki) over the host's `wasi:sockets` TCP, and the
//! trust anchors come from the host through the `verified:https/trust` import, with no
//! fallback. The modules below are pure and tested natively; `glue` alone touches WIT and
//! sockets and exists only on wasm32.

pub mod body;
pub mod client;
pub mod der;
pub mod error;
pub mod exchange;
pub mod limits;
#[cfg(not(target_arch = "wasm32"))]
pub mod native;
pub mod pool;
pub mod redirect;
pub mod request;
pub mod response;
pub mod target;
pub mod tls;
pub mod trust;
pub mod verified_chains;

#[cfg(target_arch = "wasm32")]
mod glue;
