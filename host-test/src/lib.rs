//! The reference wasmtime host of the verified-https component.
//!
//! - [`runtime`]: load the component (with a precompiled-artifact cache) and link WASI and the
//!   trust import;
//! - [`host`]: one instance with its trust anchors, sockets policy and clock, and typed calls;
//! - [`trust_store`]: where the CLI finds the platform's trust store (PEP 476's rules);
//! - [`conformance`]: x509-limbo through the component's `verify-chain`;
//! - [`certificates`]: subject, issuer, names and expiry of a presented chain (for `https-get`);
//! - [`edge`]: serves a `wasi:http` incoming-handler component (an edge function) on loopback;
//! - [`errors`]: messages and curl exit codes for the component's `error-code`;
//! - [`pki`] and [`server`]: a generated test PKI and loopback TLS servers, for tests and the demo;
//! - [`wasi_http`]: a wasmtime-wasi-http host (the host does TLS), the benchmarks' alternative;
//! - [`bench`](mod@bench): the benchmark workloads and their report.

pub mod bench;
pub mod certificates;
pub mod conformance;
pub mod edge;
pub mod errors;
pub mod host;
pub mod pki;
pub mod runtime;
pub mod server;
pub mod trust_store;
pub mod wasi_http;

/// Limits with every field at its default.
pub fn default_limits() -> Limits {
    Limits {
        max_header_section_bytes: None,
        max_header_count: None,
        max_status_line_bytes: None,
        max_chunk_line_bytes: None,
        max_body_bytes: None,
    }
}

/// Host bindings of the `https-client` world.
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "https-client",
        additional_derives: [PartialEq, Eq],
    });
}

pub use bindings::exports::verified::https::client::{
    CertificateError, ConnectOverride, ContextOptions, ErrorCode, Header, Limits, RedirectPolicy,
    Request, RequestOptions, TlsInfo, TrustAnchors,
};
