//! W7: requests per second through an edge function, [`CLIENTS`] concurrent clients, a new
//! instance per request, each request one verified upstream fetch over a new TLS connection.
//! Both contenders run under the same edge host (`verified-https-edge`, in this process, on
//! port 0, one instance per request, its default limits: 60 s and 128 MiB each), so the only
//! difference is where TLS and verification run:
//! - the edge function composed with the client and trust-files
//!   (`target/composed/edge-function.wasm`), its trust only the bench CA (a preopened
//!   directory holding that one PEM): TLS, the handshake's crypto and the chain's verification
//!   run inside the instance;
//! - the same job through `wasi:http/outgoing-handler` (the guest `edge-function-wasi-http`),
//!   its requests sent by the hooks of [`crate::wasi_http`] (rustls natively, trusting only
//!   the bench CA).
//!
//! - when the stock wasmtime CLI is at hand (`WASMTIME_CLI`, as `make wasmtime` installs it),
//!   `wasmtime serve` of the same composed edge function and trust directory: the same
//!   component under another host, to show whether ours is the bottleneck.
//!
//! Every answer must be `200` with the upstream's exact body, and the upstream must have
//! carried exactly one request on one new, unresumed TLS connection per answer. Before any
//! timing, each contender is shown to refuse an upstream whose certificate another CA issued.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail, ensure};
use http_body_util::{BodyExt as _, Empty};
use hyper::body::Bytes;
use verified_https_edge::{EdgeHost, InstanceLimits};
use verified_https_testkit::pki::{LeafSpec, Pki};
use verified_https_testkit::server::{self, TestServer};
use wasmtime_wasi_http::io::TokioIo;

use crate::wasi_http::HttpHost;
use crate::{Figure, Settings, figure};

/// The workload, as it appears in the table.
pub(crate) const WORKLOAD: &str =
    "W7 edge function, 50 clients, an instance and a verified upstream fetch per request";
/// Our edge function: the verified client inside the instance.
pub(crate) const EDGE_COMPONENT: &str = "edge function, client inside (edge host)";
/// The `wasi:http` edge function: the host does TLS.
pub(crate) const EDGE_WASI_HTTP: &str = "wasi:http edge function, host TLS (edge host)";
/// Our edge function under the stock CLI.
pub(crate) const EDGE_STOCK: &str = "edge function, client inside (wasmtime serve)";

/// How many clients send requests at once, each on its own keep-alive connection.
pub(crate) const CLIENTS: usize = 50;

/// The upstream's answer to every fetch.
pub(crate) const UPSTREAM_BODY: &[u8] = b"w7 upstream: a small fixed body of 48 bytes ...\n";

/// Where the trust-files provider inside the edge function looks for its PEM files.
const GUEST_TRUST_DIR: &str = "/etc/ssl/certs";

/// The guests W7 serves.
#[derive(Debug, Clone)]
pub struct EdgeGuests {
    /// The edge function composed with the client and trust-files
    /// (`target/composed/edge-function.wasm`).
    pub edge_function: PathBuf,
    /// The `wasi:http` edge function (`target/guests/edge-function-wasi-http.wasm`).
    pub wasi_http_edge_function: PathBuf,
    /// The stock wasmtime CLI, for the `wasmtime serve` row (none: the row is left out).
    pub wasmtime_cli: Option<PathBuf>,
}

/// W7's figures: each contender's requests per second (medians over the rounds).
pub(crate) fn edge(
    settings: &Settings,
    guests: &EdgeGuests,
    ca_pem: &Path,
    upstream: &TestServer,
    http_host: &HttpHost,
    dir: &Path,
) -> Result<Vec<Figure>> {
    let trust = dir.join("edge-trust");
    std::fs::create_dir_all(&trust)?;
    std::fs::copy(ca_pem, trust.join("bench-ca.pem"))?;
    let listen = "127.0.0.1:0".parse()?;
    let ours = EdgeHost::serve(
        &guests.edge_function,
        listen,
        vec![(trust.clone(), GUEST_TRUST_DIR.into())],
        InstanceLimits::default(),
    )
    .with_context(|| format!("serving {}", guests.edge_function.display()))?;
    let theirs = EdgeHost::serve_with_hooks(
        &guests.wasi_http_edge_function,
        listen,
        Vec::new(),
        InstanceLimits::default(),
        http_host.outgoing_hooks(),
    )
    .with_context(|| format!("serving {}", guests.wasi_http_edge_function.display()))?;
    let stock = match &guests.wasmtime_cli {
        Some(cli) => Some(StockServe::start(cli, &guests.edge_function, &trust)?),
        None => None,
    };
    let mut hosts = vec![
        (EDGE_COMPONENT, ours.addr()),
        (EDGE_WASI_HTTP, theirs.addr()),
    ];
    hosts.extend(stock.as_ref().map(|served| (EDGE_STOCK, served.addr)));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let target = upstream.url("https", "127.0.0.1", "/w7");
    refuse_a_stranger(&runtime, &hosts)?;
    // Warm each host (its first instances, the upstream's first connections).
    for &(_, host) in &hosts {
        runtime.block_on(load(host, &target, CLIENTS))?;
    }

    let mut figures: Vec<Figure> = hosts
        .iter()
        .map(|&(contender, _)| figure(WORKLOAD, contender, "requests/s", true))
        .collect();
    let n = settings.edge_requests;
    let mut handshakes = vec![0; hosts.len()];
    for _ in 0..settings.rounds {
        for (i, (fig, &(_, host))) in figures.iter_mut().zip(&hosts).enumerate() {
            let (connections, requests, resumed) = (
                upstream.connections(),
                upstream.requests().len(),
                upstream.resumed(),
            );
            let took = runtime.block_on(load(host, &target, n))?;
            let (opened, carried) = (
                upstream.connections() - connections,
                upstream.requests().len() - requests,
            );
            ensure!(
                opened == n && carried == n && upstream.resumed() == resumed,
                "{}: {n} answers, but the upstream saw {opened} connections carrying {carried} \
                 requests, {} resumed",
                fig.contender,
                upstream.resumed() - resumed
            );
            handshakes[i] += opened;
            fig.samples.push(n as f64 / took.as_secs_f64());
        }
    }
    for (fig, handshakes) in figures.iter_mut().zip(handshakes) {
        let verified = if fig.contender == EDGE_WASI_HTTP {
            "verified by the host (rustls, the bench CA only)"
        } else {
            "chain verified inside each instance (trust-files: the bench CA only)"
        };
        fig.note = format!(
            "{handshakes} full TLS handshakes upstream, one per request, none resumed; \
             {verified}; another CA's upstream: 502"
        );
    }
    if guests.wasmtime_cli.is_none() {
        eprintln!("bench: WASMTIME_CLI is not set; W7 runs without the wasmtime serve row");
    }
    Ok(figures)
}

/// Each host must answer `502` for an upstream whose certificate another CA issued, and never
/// relay its body.
fn refuse_a_stranger(
    runtime: &tokio::runtime::Runtime,
    hosts: &[(&str, SocketAddr)],
) -> Result<()> {
    let stranger = TestServer::start(
        Some(server::bench_config(
            &Pki::new("w7 stranger").leaf(&LeafSpec::new(&["127.0.0.1"])),
            None,
            false,
        )),
        crate::closing(b"must not be relayed"),
    );
    let url = stranger.url("https", "127.0.0.1", "/w7");
    for &(contender, host) in hosts {
        let (status, body) = runtime.block_on(async {
            let mut client = Client::connect(host).await?;
            client.get(&url).await
        })?;
        ensure!(
            status == 502 && !body.windows(7).any(|w| w == b"relayed"),
            "{contender}, an upstream with another CA's certificate: status {status}, {}",
            String::from_utf8_lossy(&body)
        );
    }
    Ok(())
}

/// Sends `count` requests for `upstream` to `host` from [`CLIENTS`] clients at once (each
/// taking the next request while any is left); the time until the last answer ended. Every
/// answer must be `200` with [`UPSTREAM_BODY`].
async fn load(host: SocketAddr, upstream: &str, count: usize) -> Result<Duration> {
    let left = Arc::new(AtomicUsize::new(count));
    let upstream: Arc<str> = upstream.into();
    let mut clients = Vec::with_capacity(CLIENTS);
    for _ in 0..CLIENTS {
        clients.push(Client::connect(host).await?);
    }
    let started = Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|mut client| {
            let (left, upstream) = (left.clone(), upstream.clone());
            tokio::spawn(async move {
                while left
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok()
                {
                    let (status, body) = client.get(&upstream).await?;
                    if status != 200 || body != UPSTREAM_BODY {
                        bail!("status {status}, body {:?}", String::from_utf8_lossy(&body));
                    }
                }
                Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await.context("a W7 client")??;
    }
    Ok(started.elapsed())
}

/// One client of the edge host: an HTTP/1.1 keep-alive connection.
struct Client {
    sender: hyper::client::conn::http1::SendRequest<Empty<Bytes>>,
}

impl Client {
    /// Connects to `host` (its connection driven by a task of its own).
    async fn connect(host: SocketAddr) -> Result<Self> {
        let tcp = tokio::net::TcpStream::connect(host).await?;
        tcp.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
        tokio::spawn(connection);
        Ok(Client { sender })
    }

    /// `GET /` naming `upstream` in the `upstream` header; the status and the whole body.
    async fn get(&mut self, upstream: &str) -> Result<(u16, Vec<u8>)> {
        let request = http::Request::get("/")
            .header(http::header::HOST, "edge.bench.test")
            .header("upstream", upstream)
            .body(Empty::new())?;
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| anyhow!("the answer's body: {e}"))?
            .to_bytes();
        Ok((status, body.to_vec()))
    }
}

/// `wasmtime serve` of the composed edge function, its trust the directory of the bench CA;
/// killed on drop.
struct StockServe {
    child: Child,
    addr: SocketAddr,
}

impl StockServe {
    /// `CLI serve -S cli -S inherit-network --dir TRUST::/etc/ssl/certs --addr ADDR COMPONENT`
    /// on a free loopback port, once it accepts connections.
    fn start(cli: &Path, component: &Path, trust: &Path) -> Result<Self> {
        let addr = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()?;
        let child = Command::new(cli)
            .args(["serve", "-S", "cli", "-S", "inherit-network", "--dir"])
            .arg(format!("{}::{GUEST_TRUST_DIR}", trust.display()))
            .arg("--addr")
            .arg(addr.to_string())
            .arg(component)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("running {} serve", cli.display()))?;
        let mut served = StockServe { child, addr };
        let started = Instant::now();
        while std::net::TcpStream::connect(addr).is_err() {
            if let Some(status) = served.child.try_wait()? {
                bail!("{} serve exited: {status}", cli.display());
            }
            ensure!(
                started.elapsed() < Duration::from_secs(60),
                "{} serve never listened on {addr}",
                cli.display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(served)
    }
}

impl Drop for StockServe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
