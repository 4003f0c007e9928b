//! A wasmtime-wasi-http host: runs guests that use `wasi:http`, the host doing TLS. It is what a
//! component author gets instead of this client, so the benchmarks run one beside it. The host
//! trusts only the roots it is given (its own send hook, not wasmtime-wasi-http's default,
//! which trusts the Mozilla roots) and connects only to loopback.

use std::future::{Future, poll_fn};
use std::path::Path;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Poll, ready};

use anyhow::{Context as _, Result, bail};
use http_body_util::BodyExt;
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::{CertificateDer, ServerName};
use verified_https_edge::HttpState;
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::p2::bindings::sync::Command;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

/// An engine and a linker with WASI and `wasi:http`, whose outgoing requests trust `roots`.
pub struct HttpHost {
    engine: Engine,
    linker: Linker<HttpState<LoopbackTls>>,
    tls: Arc<ClientConfig>,
}

/// Sends outgoing requests over TLS with one shared rustls configuration (so sessions resume),
/// to loopback addresses only.
pub(crate) struct LoopbackTls {
    tls: Arc<ClientConfig>,
}

/// What a guest command printed and how it ended.
#[derive(Debug, Clone)]
pub struct CommandOutput {
    /// Whether `wasi:cli/run` returned ok.
    pub success: bool,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

impl HttpHost {
    /// A host whose outgoing HTTPS trusts exactly the DER certificates in `roots`.
    pub fn new(roots: &[Vec<u8>]) -> Result<Self> {
        let engine = Engine::new(&Config::new())?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_sync(&mut linker)?;
        let mut store = RootCertStore::empty();
        for root in roots {
            store
                .add(CertificateDer::from(root.clone()))
                .context("a root the wasi:http host is to trust")?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(store)
            .with_no_client_auth();
        Ok(HttpHost {
            engine,
            linker,
            tls: Arc::new(tls),
        })
    }

    /// The hooks for another wasmtime-wasi-http host (the edge host's W7 contender): each
    /// call gives an instance's hooks, sending over TLS with this host's configuration.
    pub(crate) fn outgoing_hooks(&self) -> impl Fn() -> LoopbackTls + Send + Sync + 'static {
        let tls = self.tls.clone();
        move || LoopbackTls { tls: tls.clone() }
    }

    /// Compiles the component at `path` for this host's engine.
    pub fn load(&self, path: &Path) -> Result<Component> {
        Component::from_file(&self.engine, path)
            .map_err(|e| anyhow::anyhow!("cannot load {}: {e:#}", path.display()))
    }

    /// Runs a `wasi:cli/command` component with `args` (the first is the program name).
    pub fn run_command(&self, component: &Component, args: &[&str]) -> Result<CommandOutput> {
        let (stdout, stderr) = (
            MemoryOutputPipe::new(1 << 20),
            MemoryOutputPipe::new(1 << 20),
        );
        let wasi = WasiCtxBuilder::new()
            .args(args)
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .build();
        let state = HttpState::new(
            wasi,
            LoopbackTls {
                tls: self.tls.clone(),
            },
        );
        let mut store = Store::new(&self.engine, state);
        let command = Command::instantiate(&mut store, component, &self.linker)?;
        let success = command.wasi_cli_run().call_run(&mut store)?.is_ok();
        drop(store);
        let text = |pipe: MemoryOutputPipe| String::from_utf8_lossy(&pipe.contents()).into_owned();
        Ok(CommandOutput {
            success,
            stdout: text(stdout),
            stderr: text(stderr),
        })
    }
}

/// The future the host drives to finish a response's connection.
type ConnectionDone = Box<dyn Future<Output = Result<(), HttpError>> + Send>;

impl WasiHttpHooks for LoopbackTls {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: ConnectionDone,
    ) -> Box<
        dyn Future<Output = Result<(http::Response<WasiBody>, ConnectionDone), HttpError>> + Send,
    > {
        // Timeouts are the guest's business in this host; the benchmarks set none.
        let _ = (options, fut);
        let tls = self.tls.clone();
        Box::new(async move {
            let (response, connection) = send_over_tls(tls, request).await?;
            Ok((
                response.map(|body| body.map_err(HttpError::from).boxed_unsync()),
                Box::new(connection) as ConnectionDone,
            ))
        })
    }
}

/// Sends `request` on a new connection (wasmtime-wasi-http keeps no pool), verifying the
/// server against the host's roots. Adapted from wasmtime-wasi-http's `default_send_request`.
async fn send_over_tls(
    tls: Arc<ClientConfig>,
    mut request: http::Request<WasiBody>,
) -> Result<
    (
        http::Response<hyper::body::Incoming>,
        impl Future<Output = Result<(), HttpError>> + Send,
    ),
    HttpError,
> {
    let uri = request.uri();
    if uri.scheme() != Some(&http::uri::Scheme::HTTPS) {
        return Err(HttpError::HttpRequestDenied);
    }
    let host = uri.host().ok_or(HttpError::HttpRequestUriInvalid)?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = uri.port_u16().unwrap_or(443);
    let address = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|_| HttpError::DestinationNotFound)?
        .find(|a| a.ip().is_loopback())
        .ok_or(HttpError::DestinationIpProhibited)?;
    let tcp = tokio::net::TcpStream::connect(address)
        .await
        .map_err(HttpError::Connect)?;
    tcp.set_nodelay(true).map_err(HttpError::Connect)?;
    let name = ServerName::try_from(host).map_err(|_| HttpError::HttpRequestUriInvalid)?;
    let stream = tokio_rustls::TlsConnector::from(tls)
        .connect(name, tcp)
        .await
        .map_err(HttpError::Tls)?;
    let (mut sender, connection) = hyper::client::conn::http1::Builder::new()
        .handshake(TokioIo::new(stream))
        .await?;
    // The request line carries the path only (the authority goes in Host).
    let path = uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .parse::<http::Uri>()
        .map_err(|_| HttpError::HttpRequestUriInvalid)?;
    *request.uri_mut() = path;

    let mut send = pin!(sender.send_request(request));
    let mut connection = Some(connection);
    // Drive the connection's I/O until the response head arrives.
    let response = poll_fn(|cx| match send.as_mut().poll(cx) {
        Poll::Ready(result) => Poll::Ready(result.map_err(HttpError::from)),
        Poll::Pending => {
            let Some(io) = connection.as_mut() else {
                return Poll::Pending;
            };
            let ended = ready!(Pin::new(io).poll(cx));
            connection = None;
            match ended {
                Ok(()) => send.as_mut().poll(cx).map_err(HttpError::from),
                Err(err) => Poll::Ready(Err(HttpError::from(err))),
            }
        }
    })
    .await?;
    Ok((response, async move {
        match connection {
            Some(io) => io.await.map_err(HttpError::from),
            None => Ok(()),
        }
    }))
}

/// Runs a guest command and fails unless it succeeded; its standard output.
pub fn run_ok(host: &HttpHost, component: &Component, args: &[&str]) -> Result<String> {
    let output = host.run_command(component, args)?;
    if !output.success {
        bail!("{} failed: {}", args[0], output.stderr.trim());
    }
    Ok(output.stdout)
}
