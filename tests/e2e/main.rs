//! End-to-end suites: the built component in real wasmtime (through the reference host,
//! host-test/host) against real TLS servers on loopback, and the `https-get` CLI as a user runs
//! it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test: a failed expectation is the failure"
)]

mod cli;
mod composed;
mod concurrent;
mod connections;
mod decoding;
mod edge;
mod host_keys;
mod http;
mod http2;
mod http2_concurrent;
mod lent_crypto;
mod limbo;
mod native;
mod parallel_cli;
mod proxies;
mod stock_cli;
mod support;
mod tls_contract;
mod trust;
mod uploads;
mod verification;
mod wasi_http;
