//! An edge host: serves a `wasi:http/incoming-handler` component (the serverless/edge shape)
//! over HTTP/1.1 on loopback with wasmtime-wasi-http, one instance per request, the way
//! `wasmtime serve` and edge platforms do. The component gets loopback-only TCP (for its own
//! upstream calls through the verified client) and read-only preopened directories (for a
//! composed `trust-files` provider); it is given no trust of the host's.
//!
//! Each request's instance is held to [`InstanceLimits`]: a time limit (wall clock, from
//! instantiation to the end of its answer) and a memory limit (its linear memories together).
//! An instance that goes beyond either is stopped and the request answered `503 Service
//! Unavailable` (if no answer has begun; one that has is cut off); one that fails otherwise
//! without answering gets `500`. Either way the host goes on serving. The engine's epoch
//! advances every [`EPOCH_TICK`] on a thread of its own, and a running instance yields to the
//! host at each tick: a guest that spins never holds a thread of the host for longer than a
//! tick, and is stopped at its deadline wherever it is.
//!
//! The bin `edge-host` serves a component from the command line; tests use [`EdgeHost`] on
//! port 0. [`HttpState`] is the store data, shared with the benchmarks' `wasi:http` host.
//! Outgoing `wasi:http` requests are refused ([`EdgeHost::serve`]) unless the embedder gives
//! hooks that send them ([`EdgeHost::serve_with_hooks`]: the benchmarks' W7 serves a
//! `wasi:http` edge function so, its host doing TLS).

mod state;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};
use http_body_util::BodyExt as _;
use hyper::StatusCode;
use hyper::server::conn::http1;
use verified_https_host::NetworkPolicy;
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::{FsPerms, WasiCtx};
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{WasiHttpHooks, WasiHttpView};

pub use crate::state::HttpState;

/// How often the engine's epoch advances: how often a running instance yields to the host
/// (which can then stop it).
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// What each request's instance may use. The fields are public; [`Default`] gives the
/// documented defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstanceLimits {
    /// How long one request's instance may run (wall clock, from instantiation to the end of
    /// its answer, time spent waiting on its own upstream calls included). The edge function
    /// gives its upstream call 30 s, so it answers a slow upstream itself first. Defaults to
    /// 60 s.
    pub time: Duration,
    /// The most linear memory one request's instance may hold, all its memories together (a
    /// composed component has one per core module). Defaults to 128 MiB.
    pub memory_bytes: usize,
}

impl Default for InstanceLimits {
    /// 60 seconds and 128 MiB.
    fn default() -> Self {
        InstanceLimits {
            time: Duration::from_secs(60),
            memory_bytes: 128 << 20,
        }
    }
}

/// A running edge host; it stops when dropped.
pub struct EdgeHost {
    addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
    ticker: Option<EpochTicker>,
}

/// What every request's instance is given.
struct Serving<H: 'static> {
    pre: ProxyPre<HttpState<H>>,
    preopens: Vec<(PathBuf, String)>,
    limits: InstanceLimits,
    hooks: Box<dyn Fn() -> H + Send + Sync>,
}

/// Why an instance ended without answering.
enum Stopped {
    /// It ran past its time limit.
    Time,
    /// It tried to grow its memory past its limit.
    Memory,
    /// It trapped or failed otherwise (a failure of the function, or of the host).
    Failed(wasmtime::Error),
    /// It returned without setting a response.
    NoResponse,
}

/// The thread that advances an engine's epoch every [`EPOCH_TICK`]; stopped on drop.
struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EpochTicker {
    fn start(engine: Engine) -> Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::Builder::new()
            .name("edge-host epoch".into())
            .spawn(move || {
                while !stopping.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })?;
        Ok(EpochTicker {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The function calls upstream through `wasi:sockets` (the verified client), never through
/// the host's `wasi:http` client: outgoing `wasi:http` requests are refused.
struct NoOutgoingHttp;

impl WasiHttpHooks for NoOutgoingHttp {
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
    /// instance the read-only `preopens` (host directory, guest path) and holding it to
    /// `limits`.
    pub fn serve(
        component: &Path,
        listen: SocketAddr,
        preopens: Vec<(PathBuf, String)>,
        limits: InstanceLimits,
    ) -> Result<Self> {
        Self::serve_with_hooks(component, listen, preopens, limits, || NoOutgoingHttp)
    }

    /// The same, with each instance's outgoing `wasi:http` requests sent by the hooks `hooks`
    /// makes for it (the host doing TLS, as for a `wasi:http` edge function; the benchmarks
    /// run one beside ours) instead of refused.
    pub fn serve_with_hooks<H: WasiHttpHooks + Send + 'static>(
        component: &Path,
        listen: SocketAddr,
        preopens: Vec<(PathBuf, String)>,
        limits: InstanceLimits,
        hooks: impl Fn() -> H + Send + Sync + 'static,
    ) -> Result<Self> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        let engine = Engine::new(&config).map_err(|e| anyhow!("{e:#}"))?;
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
        let ticker = EpochTicker::start(engine)?;
        let serving = Arc::new(Serving {
            pre,
            preopens,
            limits,
            hooks: Box::new(hooks),
        });

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
            ticker: Some(ticker),
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
        self.ticker.take();
    }
}

impl<H: WasiHttpHooks + Send + 'static> Serving<H> {
    /// Runs one request through a fresh instance of the component, within its limits.
    async fn handle(
        &self,
        request: hyper::Request<hyper::body::Incoming>,
    ) -> wasmtime::Result<hyper::Response<HyperOutgoingBody>> {
        let mut wasi = WasiCtx::builder();
        wasi.inherit_stderr()
            .allow_tcp(true)
            .allow_ip_name_lookup(true)
            .socket_addr_check(|addr, usage| {
                let allowed = NetworkPolicy::LoopbackOnly.allows(addr, usage);
                Box::pin(async move { allowed })
            });
        for (host_path, guest_path) in &self.preopens {
            wasi.preopened_dir(host_path, guest_path, FsPerms::ReadOnly)?;
        }
        let limits = self.limits;
        let mut store = Store::new(
            self.pre.engine(),
            HttpState::new(wasi.build(), (self.hooks)()).with_memory_limit(limits.memory_bytes),
        );
        store.limiter(|state| &mut state.memory);
        // Yield to the host at every tick, so that the deadline below can stop the instance
        // wherever it is, and a spinning guest never holds a thread of the host.
        store.set_epoch_deadline(1);
        store.epoch_deadline_async_yield_and_update(1);
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let incoming = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, request)?;
        let out = store.data_mut().http().new_response_outparam(sender)?;
        let pre = self.pre.clone();
        let task = tokio::task::spawn(async move {
            let run = async {
                let proxy = pre.instantiate_async(&mut store).await?;
                proxy
                    .wasi_http_incoming_handler()
                    .call_handle(&mut store, incoming, out)
                    .await
            };
            // At the deadline the call is dropped, which stops the instance: it is suspended
            // at an epoch yield or waiting on the host, never in the middle of its code.
            let outcome = tokio::time::timeout(limits.time, run).await;
            match outcome {
                Ok(Ok(())) => Ok(()),
                Ok(Err(_)) if store.data().memory.exceeded() => Err(Stopped::Memory),
                Ok(Err(e)) => Err(Stopped::Failed(e)),
                Err(_elapsed) => Err(Stopped::Time),
            }
        });
        match receiver.await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => {
                let stopped = match task.await {
                    Ok(Ok(())) => Stopped::NoResponse,
                    Ok(Err(stopped)) => stopped,
                    Err(e) => Stopped::Failed(e.into()),
                };
                Ok(stopped.answer(&limits))
            }
        }
    }
}

impl Stopped {
    /// What the client is told: 503 for a limit, 500 for any other failure (whose detail goes
    /// to the host's stderr, not to the client).
    fn answer(self, limits: &InstanceLimits) -> hyper::Response<HyperOutgoingBody> {
        let (status, text) = match self {
            Stopped::Time => (
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the function was stopped: it ran past its time limit of {}\n",
                    describe_duration(limits.time)
                ),
            ),
            Stopped::Memory => (
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the function was stopped: it needed more than its memory limit of {}\n",
                    describe_bytes(limits.memory_bytes)
                ),
            ),
            Stopped::Failed(e) => {
                eprintln!("edge-host: the function failed without answering: {e:#}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the function failed without answering\n".to_owned(),
                )
            }
            Stopped::NoResponse => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the function returned without answering\n".to_owned(),
            ),
        };
        let body = http_body_util::Full::new(hyper::body::Bytes::from(text))
            .map_err(|never| match never {})
            .boxed_unsync();
        let mut response = hyper::Response::new(body);
        *response.status_mut() = status;
        response.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        response
    }
}

/// `60 s`, or `1500 ms` when not whole seconds.
fn describe_duration(time: Duration) -> String {
    if time.subsec_millis() == 0 {
        format!("{} s", time.as_secs())
    } else {
        format!("{} ms", time.as_millis())
    }
}

/// `128 MiB`, or a number of bytes when not whole MiB.
fn describe_bytes(bytes: usize) -> String {
    if bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_worded_in_seconds_and_mib_when_whole() {
        assert_eq!(describe_duration(Duration::from_secs(60)), "60 s");
        assert_eq!(describe_duration(Duration::from_millis(1500)), "1500 ms");
        assert_eq!(describe_bytes(128 << 20), "128 MiB");
        assert_eq!(describe_bytes(1000), "1000 bytes");
    }

    #[test]
    fn the_default_limits_are_sixty_seconds_and_128_mib() {
        let limits = InstanceLimits::default();
        assert_eq!(
            (limits.time, limits.memory_bytes),
            (Duration::from_secs(60), 128 << 20)
        );
    }
}
