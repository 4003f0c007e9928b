//! End-to-end suites: the built component in real wasmtime (through host-test) against real
//! TLS servers on loopback, and the `https-get` CLI as a user runs it.

mod cli;
mod composed;
mod edge;
mod http;
mod limbo;
mod native;
mod support;
mod trust;
mod verification;
