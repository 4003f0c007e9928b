//! verified-https: an HTTPS client component that verifies certificates by default.
//!
//! PEP 476 for the WebAssembly Component Model: TLS and certificate verification run inside
//! the component (rustls + ring + rustls-webpki) over the host's `wasi:sockets` TCP, and the
//! trust anchors come from the host through the `verified:https/trust` import, with no
//! fallback.
//!
//! In scope:
//! - HTTPS (and plain HTTP) requests with verified TLS 1.2/1.3, trust chosen by the host or
//!   the caller, never merged, never a bundle nobody chose;
//! - HTTP/1.1 with keep-alive, redirects on request, time limits and response limits;
//! - the same client natively over `std::net` ([`std_net`]), for tests and benchmarks.
//!
//! Out of scope (today): HTTP/2, content decoding, proxies, client certificates.
//!
//! The layers, top down (docs/ARCHITECTURE.md draws them): `glue` (WIT and sockets, wasm32
//! only) → [`client`] (pool, redirects, deadlines) → [`http1`] (the exchange) over a
//! [`channel`] (TCP or [`tls`] over it) → the [`net`] port, which is async ([`blocking`]
//! drives it over a blocking port: the WASI 0.2 glue, [`std_net`]). [`trust`] turns anchors into a
//! root store; [`error`] is the one error type and its wording. Everything but `glue` is
//! sans-IO or generic over the port, and tested natively.

pub mod blocking;
pub mod channel;
pub mod client;
pub mod error;
pub mod http1;
pub mod limits;
pub mod net;
#[cfg(not(target_arch = "wasm32"))]
pub mod std_net;
pub mod target;
pub mod tls;
pub mod trust;

#[cfg(target_arch = "wasm32")]
mod glue;
