//! An edge host: serves a `wasi:http/incoming-handler` component (the serverless/edge shape)
//! over HTTP/1.1 on loopback with wasmtime-wasi-http, one instance per request, the way
//! `wasmtime serve` and edge platforms do. The component gets loopback-only TCP (for its own
//! upstream calls through the verified client) and read-only preopened directories (for a
//! composed `trust-files` provider); it is given no trust of the host's.
//!
//! The bin `edge-host` serves a component from the command line; tests use [`EdgeHost`] on
//! port 0. [`HttpState`] is the store data, shared with the benchmarks' `wasi:http` host.

mod state;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, Result, anyhow};
use hyper::server::conn::http1;
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store};
use wasmtime_wasi::sockets::SocketAddrUse;
use wasmtime_wasi::{FsPerms, WasiCtx};
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

pub use crate::state::HttpState;

/// A running edge host; it stops when dropped.
pub struct EdgeHost {
    addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

/// What every request's instance is given.
struct Serving {
    pre: ProxyPre<HttpState<NoOutgoingHttp>>,
    preopens: Vec<(PathBuf, String)>,
}

/// The function calls upstream through `wasi:sockets` (the verified client), never through
/// the host's `wasi:http` client: outgoing `wasi:http` requests are refused.
struct NoOutgoingHttp;

impl wasmtime_wasi_http::WasiHttpHooks for NoOutgoingHttp {
    fn send_request(
        &mut self,
        _request: http::Request<wasmtime_wasi_http::WasiBody>,
        _options: Option<wasmtime_wasi_http::RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
    ) -> Box<
        dyn Future<
                Output = Result<
                    (
                        http::Response<wasmtime_wasi_http::WasiBody>,
                        Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
                    ),
                    wasmtime_wasi_http::Error,
                >,
            > + Send,
    > {
        Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) })
    }
}

impl EdgeHost {
    /// Serves the component at `component` on `listen` (port 0: any free port), giving each
    /// instance the read-only `preopens` (host directory, guest path).
    pub fn serve(
        component: &Path,
        listen: SocketAddr,
        preopens: Vec<(PathBuf, String)>,
    ) -> Result<Self> {
        let engine = Engine::default();
        let component = Component::from_file(&engine, component)
            .map_err(|e| anyhow!("cannot load {}: {e:#}", component.display()))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| anyhow!("{e:#}"))?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
            .map_err(|e| anyhow!("{e:#}"))?;
        let pre = linker
            .instantiate_pre(&component)
            .and_then(ProxyPre::new)
            .map_err(|e| anyhow!("not a wasi:http proxy component: {e:#}"))?;
        let serving = Arc::new(Serving { pre, preopens });

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(listen))
            .with_context(|| format!("cannot listen on {listen}"))?;
        let addr = listener.local_addr()?;
        runtime.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let serving = serving.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let serving = serving.clone();
                        async move { serving.handle(request).await }
                    });
                    let _ = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(client), service)
                        .await;
                });
            }
        });
        Ok(EdgeHost {
            addr,
            runtime: Some(runtime),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until the process is stopped.
    pub fn run_forever(mut self) -> ! {
        let Some(runtime) = self.runtime.take() else {
            unreachable!("`serve` always sets the runtime, and only `drop` takes it")
        };
        match runtime.block_on(std::future::pending::<std::convert::Infallible>()) {}
    }
}

impl Drop for EdgeHost {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Serving {
    /// Runs one request through a fresh instance of the component.
    async fn handle(
        &self,
        request: hyper::Request<hyper::body::Incoming>,
    ) -> wasmtime::Result<hyper::Response<HyperOutgoingBody>> {
        let mut wasi = WasiCtx::builder();
        wasi.inherit_stderr()
            .allow_tcp(true)
            .allow_ip_name_lookup(true)
            .socket_addr_check(|addr, usage| {
                let allowed = match usage {
                    SocketAddrUse::TcpConnect => addr.ip().is_loopback(),
                    SocketAddrUse::TcpBind => addr.ip().is_loopback() || addr.ip().is_unspecified(),
                    _ => false,
                };
                Box::pin(async move { allowed })
            });
        for (host_path, guest_path) in &self.preopens {
            wasi.preopened_dir(host_path, guest_path, FsPerms::ReadOnly)?;
        }
        let mut store = Store::new(
            self.pre.engine(),
            HttpState::new(wasi.build(), NoOutgoingHttp),
        );
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let incoming = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, request)?;
        let out = store.data_mut().http().new_response_outparam(sender)?;
        let pre = self.pre.clone();
        let task = tokio::task::spawn(async move {
            let proxy = pre.instantiate_async(&mut store).await?;
            proxy
                .wasi_http_incoming_handler()
                .call_handle(store, incoming, out)
                .await
        });
        match receiver.await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => {
                let why = match task.await {
                    Ok(Ok(())) => wasmtime::format_err!("the function set no response"),
                    Ok(Err(e)) => e,
                    Err(e) => e.into(),
                };
                Err(why.context("the function set no response"))
            }
        }
    }
}
