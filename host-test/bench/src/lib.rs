//! The benchmarks of `docs/BENCHMARKS.md`: the component against the same client code built
//! natively, curl, and a guest using `wasi:http` under wasmtime-wasi-http (the host doing TLS),
//! on the same loopback servers in one run. Contenders alternate within each round, each
//! workload runs several rounds, and the report gives medians and the component's ratios.
//!
//! The bin `bench` (`make bench`, `make bench-quick`) runs them and writes the table and
//! [`chart`]'s SVG of the ratios; [`wasi_http`] is the wasmtime-wasi-http host the `wasi:http` contender runs under.

pub mod chart;
mod edge;
mod fan_out;
mod keep_alive_h2;
pub mod wasi_http;

pub use edge::EdgeGuests;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, Result, bail, ensure};
use rustls::crypto::ring::cipher_suite;
use verified_https::blocking::block_on;
use verified_https::client::{Client as NativeClient, SendOptions};
use verified_https::http1::Request as CoreRequest;
use verified_https::limits::Limits as CoreLimits;
use verified_https::std_net::StdNetwork;
use verified_https::tls::{Policy, TlsOptions};
use verified_https::trust::{AnchorSource, roots_from_der};

use verified_https_host::instance::get;
use verified_https_host::{ClientInstance, ConnectOverride, HostConfig, HostTrust, Runtime};
use verified_https_testkit::nginx::{Nginx, NginxSpec};
use verified_https_testkit::pki::{Leaf, LeafSpec, Pki};
use verified_https_testkit::server::{self, Ending, Handler, SeenRequest, TestServer};

use crate::wasi_http::{HttpHost, run_ok};

/// How much work each workload does.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Rounds of each workload (contenders alternate inside a round).
    pub rounds: usize,
    /// New processes started for W1, per contender.
    pub cold_runs: usize,
    /// Sequential new connections in W2 and W3.
    pub handshakes: usize,
    /// Requests over one connection in W4.
    pub requests: usize,
    /// The body of W5, in MiB.
    pub bulk_mib: usize,
    /// Idle pooled connections held for W6.
    pub idle_connections: usize,
    /// Requests through the edge function in each sample of W7.
    pub edge_requests: usize,
    /// Only the workloads whose names start with one of these (all if empty).
    pub only: Vec<String>,
}

impl Settings {
    /// `make bench`.
    pub fn full() -> Self {
        Settings {
            rounds: 5,
            cold_runs: 21,
            handshakes: 200,
            requests: 1000,
            bulk_mib: 256,
            // Two more are opened first: 32 in all, the pool's default total (src/client/pool.rs),
            // beyond which it drops the oldest and the second round would reconnect.
            idle_connections: 30,
            edge_requests: 2000,
            only: Vec::new(),
        }
    }

    /// `make bench-quick`: the same workloads, smaller.
    pub fn quick() -> Self {
        Settings {
            rounds: 3,
            cold_runs: 7,
            handshakes: 50,
            requests: 200,
            bulk_mib: 32,
            idle_connections: 16,
            edge_requests: 500,
            only: Vec::new(),
        }
    }
}

/// The programs the benchmarks run.
#[derive(Debug, Clone)]
pub struct Tools {
    /// The client component (self-contained: its crypto runs in wasm).
    pub component: PathBuf,
    /// The host-crypto build of it, to which the host lends ring natively.
    pub lending_component: PathBuf,
    /// The `https-get` CLI (the component in a new process).
    pub https_get: PathBuf,
    /// The `wasi:http` guest command.
    pub wasi_http_get: PathBuf,
    /// The raw-AEAD guest command.
    pub ring_raw: PathBuf,
    /// curl.
    pub curl: PathBuf,
    /// The Node.js host (W5's Node rows), when `node` is installed.
    pub node_host: Option<NodeHost>,
    /// The edge functions of W7.
    pub edge_guests: EdgeGuests,
}

/// The Node.js host as the bench runs it: `node` and `host-test/node/bench.js`, which fetches
/// through the host-crypto build (node:crypto lent) or the self-contained one.
#[derive(Debug, Clone)]
pub struct NodeHost {
    /// The `node` program.
    pub node: PathBuf,
    /// `host-test/node/bench.js` (its `generated/` transpiled by `make node`).
    pub script: PathBuf,
}

/// One contender's samples of one workload.
#[derive(Debug, Clone)]
pub struct Figure {
    /// Which workload (`W1 cold GET`, ...).
    pub workload: &'static str,
    /// Who ran it.
    pub contender: &'static str,
    /// The unit of the samples.
    pub unit: &'static str,
    /// Whether a larger value is better (rates) or worse (times, bytes).
    pub higher_is_better: bool,
    /// One value per round (or per run, for W1).
    pub samples: Vec<f64>,
    /// What was checked or seen while measuring.
    pub note: String,
}

impl Figure {
    /// The median sample.
    pub fn median(&self) -> f64 {
        median(&self.samples)
    }
}

fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// A target of issue 5: the component's figure against a limit.
#[derive(Debug, Clone)]
pub struct Target {
    /// What is compared.
    pub what: String,
    /// The measured value (a ratio or an amount).
    pub value: f64,
    /// The limit.
    pub limit: f64,
    /// Whether the value must be at least (true) or at most (false) the limit.
    pub at_least: bool,
    /// How the value is printed (`x` for ratios, or a unit).
    pub unit: &'static str,
}

impl Target {
    /// Whether the target is met.
    pub fn met(&self) -> bool {
        if self.at_least {
            self.value >= self.limit
        } else {
            self.value <= self.limit
        }
    }
}

/// Everything one run measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// The settings it ran with.
    pub settings: Settings,
    /// Every contender's samples, workload by workload.
    pub figures: Vec<Figure>,
    /// The component's size in bytes.
    pub component_bytes: u64,
    /// The targets and whether they were met.
    pub targets: Vec<Target>,
}

/// Contender names, as they appear in the table.
const COMPONENT: &str = "component (wasmtime)";
const LENT: &str = "component, host's crypto (wasmtime)";
const NATIVE: &str = "native (same code, std::net)";
const CURL: &str = "curl (OpenSSL)";
const WASI_HTTP: &str = "wasi:http guest (host TLS)";
const HTTPS_GET: &str = "https-get (component)";
const RING_RAW: &str = "ring alone in wasm";
const NODE_LENT: &str = "Node.js host, node:crypto lent (jco)";
const NODE_INSIDE: &str = "Node.js host, self-contained (jco)";

/// The body of small responses (W2–W4).
const SMALL_BODY: &[u8] = b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// How much body the clients ask for at a time.
const READ_PIECE: u32 = 1 << 20;

/// The loopback servers and the PKI they present.
struct Servers {
    ca_pem: PathBuf,
    root_der: Vec<u8>,
    full: TestServer,
    resuming: TestServer,
    keep_alive: TestServer,
    chacha: TestServer,
    aes: TestServer,
    /// A server that picks AES-256-GCM itself, whatever the client prefers.
    aes_choosing: TestServer,
    /// Debian's nginx with Debian's TLS settings (it picks AES-256-GCM), when installed.
    nginx: Option<Nginx>,
    /// nginx with h2 for W4 over HTTP/2, when installed.
    nginx_h2: Option<Nginx>,
    plain: TestServer,
    /// W8's upstream: each answer after 250 ms.
    delayed: TestServer,
    /// W8's memory measure: 256 KiB bodies sent slowly.
    slow_body: TestServer,
    /// W7's upstream: a small body, a new connection per request, no resumption.
    edge_upstream: TestServer,
}

impl Servers {
    fn start(bulk_bytes: usize, dir: &Path) -> Result<Self> {
        let pki = Pki::new("verified-https bench");
        let leaf = pki.leaf(&LeafSpec::new(&["127.0.0.1", "*.bench.test"]));
        let ca_pem = dir.join("bench-ca.pem");
        std::fs::write(&ca_pem, pki.root_pem())?;
        let config = |suite, resumption| Some(server::bench_config(&leaf, suite, resumption));
        let chacha = Some(cipher_suite::TLS13_CHACHA20_POLY1305_SHA256);
        let aes = Some(cipher_suite::TLS13_AES_128_GCM_SHA256);
        Ok(Servers {
            ca_pem,
            root_der: pki.root_der(),
            full: TestServer::start(config(None, false), closing(SMALL_BODY)),
            resuming: TestServer::start(config(None, true), closing(SMALL_BODY)),
            keep_alive: TestServer::start(
                config(None, false),
                server::keep_alive(200, SMALL_BODY, usize::MAX),
            ),
            chacha: TestServer::start(config(chacha, false), bulk(bulk_bytes)),
            aes: TestServer::start(config(aes, false), bulk(bulk_bytes)),
            aes_choosing: TestServer::start(
                Some(server::choosing_config(
                    &leaf,
                    server::Versions::Tls13Only,
                    &[
                        cipher_suite::TLS13_AES_256_GCM_SHA384,
                        cipher_suite::TLS13_AES_128_GCM_SHA256,
                        cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
                    ],
                    &[],
                )),
                bulk(bulk_bytes),
            ),
            nginx: debian_nginx(&leaf, bulk_bytes, dir)?,
            nginx_h2: keep_alive_h2::nginx(&leaf)?,
            plain: TestServer::http(closing(SMALL_BODY)),
            delayed: TestServer::start(config(None, false), fan_out::delayed()),
            slow_body: TestServer::start(config(None, false), fan_out::slow_body()),
            edge_upstream: TestServer::start(config(None, false), closing(edge::UPSTREAM_BODY)),
        })
    }
}

/// nginx serving `bulk_bytes` zero bytes at /bulk with the TLS settings of Debian's
/// /etc/nginx/nginx.conf (`ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3`,
/// `ssl_prefer_server_ciphers on`, OpenSSL's default suites: AES-256-GCM first); none when
/// nginx is not installed.
fn debian_nginx(leaf: &Leaf, bulk_bytes: usize, dir: &Path) -> Result<Option<Nginx>> {
    if Nginx::binary().is_none() {
        return Ok(None);
    }
    let file = dir.join("nginx-bulk");
    std::fs::write(&file, vec![0u8; bulk_bytes])?;
    let spec = NginxSpec {
        server_directives: vec![
            "ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;".into(),
            "ssl_prefer_server_ciphers on;".into(),
            format!("location = /bulk {{ alias {}; }}", file.display()),
        ],
        ..NginxSpec::default()
    };
    let nginx = Nginx::start("bench", leaf, &spec, "").map_err(|e| anyhow::anyhow!(e))?;
    Ok(Some(nginx))
}

fn url(server: &TestServer, path: &str) -> String {
    server.url("https", "127.0.0.1", path)
}

/// Answers with `body` and `Connection: close`, then closes: every request a new connection.
fn closing(body: &'static [u8]) -> Handler {
    Arc::new(move |_: &SeenRequest, out: &mut dyn std::io::Write| {
        write!(
            out,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )?;
        out.write_all(body)?;
        Ok(Ending::CloseNotify)
    })
}

/// Answers with `bytes` zero bytes, written 64 KiB at a time.
fn bulk(bytes: usize) -> Handler {
    Arc::new(move |_: &SeenRequest, out: &mut dyn std::io::Write| {
        write!(out, "HTTP/1.1 200 OK\r\nContent-Length: {bytes}\r\n\r\n")?;
        let piece = vec![0u8; 64 * 1024];
        let mut left = bytes;
        while left > 0 {
            let n = left.min(piece.len());
            out.write_all(&piece[..n])?;
            left -= n;
        }
        Ok(Ending::KeepAlive)
    })
}

/// The in-process contenders, set up once.
struct Contenders {
    runtime: Runtime,
    lending_runtime: Runtime,
    http_host: HttpHost,
    wasi_http_get: wasmtime::component::Component,
    ring_raw: wasmtime::component::Component,
    tools: Tools,
    root_der: Vec<u8>,
}

impl Contenders {
    fn component_client(&self) -> Result<ClientInstance> {
        self.client_of(&self.runtime)
    }

    /// An instance of the host-crypto build (the host computes its crypto).
    fn lending_client(&self) -> Result<ClientInstance> {
        self.client_of(&self.lending_runtime)
    }

    fn client_of(&self, runtime: &Runtime) -> Result<ClientInstance> {
        let mut config = HostConfig::loopback(HostTrust::Anchors(vec![self.root_der.clone()]));
        config.inherit_stderr = false;
        ClientInstance::new(runtime, config)
    }

    fn native_client(&self) -> Result<NativeClient<StdNetwork>> {
        let roots = roots_from_der(vec![self.root_der.clone()], AnchorSource::Host)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let policy = Policy::verified(
            roots,
            Vec::new(),
            AnchorSource::Host,
            &TlsOptions::default(),
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(NativeClient::new(StdNetwork, policy, CoreLimits::default()))
    }
}

/// Runs `count` GETs of `url` through the component on one context; the body bytes received.
fn component_gets(client: &mut ClientInstance, urls: &[String]) -> Result<u64> {
    let context = client
        .default_context()?
        .map_err(|e| anyhow::anyhow!("create-default-context: {e:?}"))?;
    let mut bytes = 0;
    for url in urls {
        let response = client
            .send(context, &get(url))?
            .map_err(|e| anyhow::anyhow!("{url}: {e:?}"))?;
        ensure!(response.status == 200, "{url}: status {}", response.status);
        while let Some(piece) = client
            .read_body(&response, READ_PIECE)?
            .map_err(|e| anyhow::anyhow!("{url}: {e:?}"))?
        {
            bytes += piece.len() as u64;
        }
        client.drop_response(response)?;
    }
    client.drop_context(context)?;
    Ok(bytes)
}

/// The same through the native build of the client code, on a new client (as the component
/// gets a new context), so that no session, chain or connection carries over between samples.
fn native_gets(contenders: &Contenders, urls: &[String]) -> Result<u64> {
    let client = contenders.native_client()?;
    let mut bytes = 0;
    for url in urls {
        let request = CoreRequest {
            method: "GET".into(),
            headers: Vec::new(),
            body: verified_https::http1::Body::Empty,
            accept_encoding: None,
        };
        let mut response = block_on(client.send(url, request, &SendOptions::default()))
            .map_err(|e| anyhow::anyhow!("{url}: {e}"))?;
        ensure!(
            response.head.status == 200,
            "{url}: status {}",
            response.head.status
        );
        while let Some(piece) = block_on(response.read_body(READ_PIECE as usize))
            .map_err(|e| anyhow::anyhow!("{url}: {e}"))?
        {
            bytes += piece.len() as u64;
        }
    }
    Ok(bytes)
}

/// The same with one curl process; the transfers' own time (curl's `time_total`, summed), so
/// that curl's start-up is not counted against it.
fn curl_gets(tools: &Tools, ca: &Path, urls: &[String]) -> Result<(u64, f64)> {
    let output = Command::new(&tools.curl)
        .args(["-s", "-S", "--fail", "--cacert"])
        .arg(ca)
        .args(["-w", "%{stderr}%{size_download} %{time_total}\\n"])
        .args(urls)
        .stdout(Stdio::null())
        .output()
        .context("running curl")?;
    ensure!(
        output.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (mut bytes, mut seconds) = (0, 0.0);
    for line in String::from_utf8_lossy(&output.stderr).lines() {
        let (size, time) = line.split_once(' ').context("curl's -w line")?;
        bytes += size.parse::<u64>()?;
        seconds += time.parse::<f64>()?;
    }
    Ok((bytes, seconds))
}

/// The `wasi:http` guest doing the same; the bytes and the seconds it measured itself.
fn wasi_http_gets(contenders: &Contenders, url: &str, count: usize) -> Result<(u64, f64)> {
    let out = run_ok(
        &contenders.http_host,
        &contenders.wasi_http_get,
        &["wasi-http-get", url, &count.to_string()],
    )?;
    let (bytes, nanos) = out.trim().split_once(' ').context("the guest's output")?;
    Ok((bytes.parse()?, nanos.parse::<f64>()? / 1e9))
}

/// The same through the Node.js host (`host-test/node/bench.js` in a new `node` process), on
/// the host-crypto build or the self-contained one: the bytes, the seconds it measured around
/// the requests alone (as curl's own `time_total`: neither Node's start-up nor the component's
/// compilation counts), and the records node:crypto opened.
fn node_gets(node: &NodeHost, ca: &Path, urls: &[String], lent: bool) -> Result<(u64, f64, u64)> {
    let output = Command::new(&node.node)
        .arg(&node.script)
        .args((!lent).then_some("--self-contained"))
        .arg(ca)
        .args(urls)
        .stdin(Stdio::null())
        .output()
        .context("running node")?;
    ensure!(
        output.status.success(),
        "node {} failed: {}",
        node.script.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<&str> = stdout.split_whitespace().collect();
    let [bytes, nanos, opened] = fields[..] else {
        bail!("bench.js printed {stdout:?}, not BYTES NANOSECONDS OPENED");
    };
    Ok((bytes.parse()?, nanos.parse::<f64>()? / 1e9, opened.parse()?))
}

/// Runs the benchmarks; `log` hears about progress.
pub fn run(settings: Settings, tools: Tools, log: &mut dyn FnMut(&str)) -> Result<Report> {
    let dir = std::env::temp_dir().join(format!("verified-https-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let bulk_bytes = settings.bulk_mib << 20;
    let servers = Servers::start(bulk_bytes, &dir)?;
    let cache = verified_https_host::runtime::default_cache_dir();
    let (runtime, _) = Runtime::load(&tools.component, cache.as_deref())?;
    let (lending_runtime, _) = Runtime::load(&tools.lending_component, cache.as_deref())?;
    ensure!(
        lending_runtime.imports_host_crypto() && !runtime.imports_host_crypto(),
        "{} must import verified:https/crypto and {} must not",
        tools.lending_component.display(),
        tools.component.display()
    );
    let http_host = HttpHost::new(std::slice::from_ref(&servers.root_der))?;
    let contenders = Contenders {
        wasi_http_get: http_host.load(&tools.wasi_http_get)?,
        ring_raw: http_host.load(&tools.ring_raw)?,
        runtime,
        lending_runtime,
        http_host,
        tools: tools.clone(),
        root_der: servers.root_der.clone(),
    };
    let mut figures = Vec::new();

    let wanted = |name: &str| {
        settings.only.is_empty() || settings.only.iter().any(|o| name.starts_with(o.as_str()))
    };
    if wanted("W1") {
        log("W1 cold GET");
        figures.extend(cold(&settings, &contenders, &servers)?);
    }
    if wanted("W2") {
        log("W2 full handshakes, and new connections without TLS");
        figures.extend(handshakes(&settings, &contenders, &servers, false)?);
        figures.extend(connections_without_tls(&settings, &contenders, &servers)?);
    }
    if wanted("W3") {
        log("W3 resumed handshakes");
        figures.extend(handshakes(&settings, &contenders, &servers, true)?);
    }
    if wanted("W4") {
        log("W4 keep-alive");
        figures.extend(keep_alive(&settings, &contenders, &servers)?);
        if let Some(nginx) = &servers.nginx_h2 {
            log("W4 keep-alive over h2 against nginx, through the async build");
            figures.extend(keep_alive_h2::keep_alive_h2(
                &settings,
                &tools,
                &servers.ca_pem,
                &servers.root_der,
                nginx,
            )?);
        }
    }
    if wanted("W5") {
        log("W5 bulk");
        figures.extend(bulk_transfer(
            &settings,
            &contenders,
            &servers,
            "ChaCha20-Poly1305",
        )?);
        figures.extend(bulk_transfer(
            &settings,
            &contenders,
            &servers,
            "AES-128-GCM",
        )?);
        figures.extend(bulk_transfer(
            &settings,
            &contenders,
            &servers,
            "server's AES-256-GCM",
        )?);
        if servers.nginx.is_some() {
            figures.extend(bulk_transfer(&settings, &contenders, &servers, "nginx")?);
        }
    }
    if wanted("W6") {
        log("W6 memory");
        figures.extend(memory(&settings, &contenders, &servers)?);
    }
    if wanted("W7") {
        log("W7 edge function, an instance per request, 50 clients");
        figures.extend(edge::edge(
            &settings,
            &tools.edge_guests,
            &servers.ca_pem,
            &servers.edge_upstream,
            &contenders.http_host,
            &dir,
        )?);
    }
    if wanted("W8") {
        log("W8 fan-out through the async build");
        figures.extend(fan_out::fan_out(
            &settings,
            &tools,
            &servers.ca_pem,
            &servers.root_der,
            &servers.delayed,
            &servers.slow_body,
        )?);
    }
    let _ = std::fs::remove_dir_all(&dir);

    let component_bytes = std::fs::metadata(&tools.component)?.len();
    let mut targets = targets(&figures, component_bytes);
    targets.extend(keep_alive_h2::targets(&figures));
    Ok(Report {
        settings,
        figures,
        component_bytes,
        targets,
    })
}

fn figure(
    workload: &'static str,
    contender: &'static str,
    unit: &'static str,
    higher_is_better: bool,
) -> Figure {
    Figure {
        workload,
        contender,
        unit,
        higher_is_better,
        samples: Vec::new(),
        note: String::new(),
    }
}

/// W1: one GET in a new process, whole process time: `https-get` (the component, loaded from
/// its precompiled cache) and curl, alternating.
fn cold(settings: &Settings, contenders: &Contenders, servers: &Servers) -> Result<Vec<Figure>> {
    const W: &str = "W1 cold GET, new process";
    let target = url(&servers.full, "/cold");
    let tools = &contenders.tools;
    let https_get = || {
        let mut command = Command::new(&tools.https_get);
        command
            .args(["-s", "-o", "/dev/null", "--cacert"])
            .arg(&servers.ca_pem)
            .arg(&target);
        command
    };
    let curl = || {
        let mut command = Command::new(&tools.curl);
        command
            .args(["-s", "-S", "--fail", "-o", "/dev/null", "--cacert"])
            .arg(&servers.ca_pem)
            .arg(&target);
        command
    };
    let time = |mut command: Command| -> Result<f64> {
        let start = Instant::now();
        let status = command.stdout(Stdio::null()).status()?;
        let millis = start.elapsed().as_secs_f64() * 1e3;
        ensure!(status.success(), "{command:?} failed: {status}");
        Ok(millis)
    };
    // Warm the page cache and the component's precompiled artifact.
    time(https_get())?;
    time(curl())?;
    let (mut ours, mut theirs) = (
        figure(W, HTTPS_GET, "ms", false),
        figure(W, CURL, "ms", false),
    );
    for _ in 0..settings.cold_runs {
        ours.samples.push(time(https_get())?);
        theirs.samples.push(time(curl())?);
    }
    Ok(vec![ours, theirs])
}

/// W2 (a server that never resumes) or W3 (one that does): sequential new connections, each
/// carrying one small GET, on one client (context) per round.
fn handshakes(
    settings: &Settings,
    contenders: &Contenders,
    servers: &Servers,
    resumption: bool,
) -> Result<Vec<Figure>> {
    let (workload, server) = if resumption {
        ("W3 resumed handshakes (TLS 1.3)", &servers.resuming)
    } else {
        ("W2 full handshakes (TLS 1.3, P-256 chain)", &servers.full)
    };
    let n = settings.handshakes;
    let urls: Vec<String> = (0..n).map(|i| url(server, &format!("/h/{i}"))).collect();
    let expected = (n * SMALL_BODY.len()) as u64;
    let unit = "handshakes/s";
    let mut figures =
        [COMPONENT, LENT, NATIVE, CURL, WASI_HTTP].map(|c| figure(workload, c, unit, true));
    let mut component = contenders.component_client()?;
    let mut lending = contenders.lending_client()?;
    run_rounds(settings, &mut figures, expected, per_second(n), |i, fig| {
        let (connections, resumed) = (server.connections(), server.resumed());
        let received = match i {
            0 => timed(|| component_gets(&mut component, &urls))?,
            1 => timed(|| component_gets(&mut lending, &urls))?,
            2 => timed(|| native_gets(contenders, &urls))?,
            3 => curl_gets(&contenders.tools, &servers.ca_pem, &urls)?,
            _ => wasi_http_gets(contenders, &urls[0], n)?,
        };
        let opened = server.connections() - connections;
        ensure!(
            opened == n,
            "{}: {opened} connections for {n} requests",
            fig.contender
        );
        fig.note = format!("{} of {n} resumed", server.resumed() - resumed);
        Ok(received)
    })?;
    Ok(figures.into())
}

/// What W2 and W3 pay before any TLS: new TCP connections carrying one plain-HTTP GET each,
/// through the component's `wasi:sockets` and through `std::net`.
fn connections_without_tls(
    settings: &Settings,
    contenders: &Contenders,
    servers: &Servers,
) -> Result<Vec<Figure>> {
    const W: &str = "W2 limit: new TCP connections, plain HTTP";
    let server = &servers.plain;
    let n = settings.handshakes;
    let urls: Vec<String> = (0..n)
        .map(|i| server.url("http", "127.0.0.1", &format!("/p/{i}")))
        .collect();
    let mut figures = [COMPONENT, NATIVE].map(|c| figure(W, c, "connections/s", true));
    let mut component = contenders.component_client()?;
    let expected = (n * SMALL_BODY.len()) as u64;
    run_rounds(
        settings,
        &mut figures,
        expected,
        per_second(n),
        |i, _| match i {
            0 => timed(|| component_gets(&mut component, &urls)),
            _ => timed(|| native_gets(contenders, &urls)),
        },
    )?;
    Ok(figures.into())
}

/// Runs `settings.rounds` rounds, each sampling every figure's contender in turn: `sample`
/// runs contender `i` and gives the body bytes it received and the seconds it took; every
/// sample must deliver `expected` bytes, and `rate` turns it into the figure's unit.
fn run_rounds(
    settings: &Settings,
    figures: &mut [Figure],
    expected: u64,
    rate: impl Fn(u64, f64) -> f64,
    mut sample: impl FnMut(usize, &mut Figure) -> Result<(u64, f64)>,
) -> Result<()> {
    for _ in 0..settings.rounds {
        for (i, fig) in figures.iter_mut().enumerate() {
            let (bytes, seconds) = sample(i, fig)?;
            expect_bytes(fig.contender, bytes, expected)?;
            fig.samples.push(rate(bytes, seconds));
        }
    }
    Ok(())
}

/// `count` operations per second.
fn per_second(count: usize) -> impl Fn(u64, f64) -> f64 {
    move |_, seconds| count as f64 / seconds
}

/// Every contender must deliver the whole body, or its time means nothing.
fn expect_bytes(contender: &str, bytes: u64, expected: u64) -> Result<()> {
    ensure!(
        bytes == expected,
        "{contender}: {bytes} bytes, not {expected}"
    );
    Ok(())
}

/// Times `work`; its result and the seconds it took.
fn timed<T>(work: impl FnOnce() -> Result<T>) -> Result<(T, f64)> {
    let start = Instant::now();
    let value = work()?;
    Ok((value, start.elapsed().as_secs_f64()))
}

/// W4: small GETs, sequential, on one keep-alive connection where the client pools.
fn keep_alive(
    settings: &Settings,
    contenders: &Contenders,
    servers: &Servers,
) -> Result<Vec<Figure>> {
    const W: &str = "W4 keep-alive GETs";
    let server = &servers.keep_alive;
    let n = settings.requests;
    let urls: Vec<String> = (0..n).map(|i| url(server, &format!("/k/{i}"))).collect();
    let expected = (n * SMALL_BODY.len()) as u64;
    let mut figures =
        [COMPONENT, NATIVE, CURL, WASI_HTTP].map(|c| figure(W, c, "requests/s", true));
    let mut component = contenders.component_client()?;
    run_rounds(settings, &mut figures, expected, per_second(n), |i, fig| {
        let connections = server.connections();
        let received = match i {
            0 => timed(|| component_gets(&mut component, &urls))?,
            1 => timed(|| native_gets(contenders, &urls))?,
            2 => curl_gets(&contenders.tools, &servers.ca_pem, &urls)?,
            _ => wasi_http_gets(contenders, &urls[0], n)?,
        };
        fig.note = format!("{} connection(s)", server.connections() - connections);
        Ok(received)
    })?;
    Ok(figures.into())
}

/// W5: one large body streamed and discarded, with one cipher suite; and ring's raw AEAD in
/// the same engine, the ceiling of a component.
fn bulk_transfer(
    settings: &Settings,
    contenders: &Contenders,
    servers: &Servers,
    suite: &'static str,
) -> Result<Vec<Figure>> {
    let (workload, server, raw_name) = match suite {
        "ChaCha20-Poly1305" => (
            "W5 bulk download, ChaCha20-Poly1305",
            &servers.chacha,
            "chacha20-poly1305",
        ),
        "AES-128-GCM" => ("W5 bulk download, AES-128-GCM", &servers.aes, "aes-128-gcm"),
        "nginx" => (
            "W5 bulk download, Debian's nginx (it picks AES-256-GCM)",
            &servers.aes_choosing,
            "aes-256-gcm",
        ),
        _ => (
            "W5 bulk download, the server picks AES-256-GCM",
            &servers.aes_choosing,
            "aes-256-gcm",
        ),
    };
    let urls = match (&servers.nginx, suite) {
        (Some(nginx), "nginx") => vec![format!("https://127.0.0.1:{}/bulk", nginx.port())],
        _ => vec![url(server, "/bulk")],
    };
    let expected = (settings.bulk_mib << 20) as u64;
    // The Node.js host's two builds run against the ChaCha20 server and the one that picks
    // AES-256-GCM itself.
    let node_host = contenders
        .tools
        .node_host
        .as_ref()
        .filter(|_| matches!(suite, "ChaCha20-Poly1305" | "server's AES-256-GCM"));
    let mut names = vec![COMPONENT, LENT, NATIVE, CURL, WASI_HTTP, RING_RAW];
    if node_host.is_some() {
        names.extend([NODE_LENT, NODE_INSIDE]);
    }
    let mut figures: Vec<Figure> = names
        .into_iter()
        .map(|c| figure(workload, c, "MB/s", true))
        .collect();
    let mut component = contenders.component_client()?;
    let mut lending = contenders.lending_client()?;
    let mut node_opened = [0, 0];
    let megabytes_per_second = |bytes: u64, seconds: f64| bytes as f64 / seconds / 1e6;
    run_rounds(
        settings,
        &mut figures,
        expected,
        megabytes_per_second,
        |i, _| match (i, node_host) {
            (0, _) => timed(|| component_gets(&mut component, &urls)),
            (1, _) => timed(|| component_gets(&mut lending, &urls)),
            (2, _) => timed(|| native_gets(contenders, &urls)),
            (3, _) => curl_gets(&contenders.tools, &servers.ca_pem, &urls),
            (4, _) => wasi_http_gets(contenders, &urls[0], 1),
            (6 | 7, Some(node)) => {
                let (bytes, seconds, opened) = node_gets(node, &servers.ca_pem, &urls, i == 6)?;
                node_opened[i - 6] += opened;
                Ok((bytes, seconds))
            }
            _ => ring_raw(contenders, settings.bulk_mib, raw_name),
        },
    )?;
    if node_host.is_some() {
        ensure!(
            node_opened[0] > 0 && node_opened[1] == 0,
            "{workload}: node:crypto opened {} records for the host-crypto build and {} for the \
             self-contained one",
            node_opened[0],
            node_opened[1]
        );
        let curl = figures[3].median();
        let inside = figures[7].median();
        figures[6].note = format!(
            "{} records opened by node:crypto; {:.2}x curl, {:.2}x the self-contained build",
            node_opened[0],
            figures[6].median() / curl,
            figures[6].median() / inside
        );
        figures[7].note = format!("{:.2}x curl", inside / curl);
    }
    let calls = lending.crypto_calls();
    ensure!(
        calls.opens > 0 && component.crypto_calls() == Default::default(),
        "{workload}: the host-crypto build opened no record on the host ({calls:?})"
    );
    figures[0].note = format!("negotiated {}", negotiated_suite(&mut component, &urls[0])?);
    figures[1].note = format!("{} records opened by the host", calls.opens);
    figures[5].note = "AEAD open of 16 KiB records, no TLS or I/O".into();
    Ok(figures)
}

/// The cipher suite the server chose for the component: one request whose head is read, its
/// body left unread (dropped with the response).
fn negotiated_suite(client: &mut ClientInstance, url: &str) -> Result<String> {
    let context = client
        .default_context()?
        .map_err(|e| anyhow::anyhow!("create-default-context: {e:?}"))?;
    let response = client
        .send(context, &get(url))?
        .map_err(|e| anyhow::anyhow!("{url}: {e:?}"))?;
    let suite = response.tls.as_ref().map(|tls| tls.cipher_suite.clone());
    client.drop_response(response)?;
    suite.context("an https response has TLS details")
}

/// ring's AEAD alone inside wasmtime: the bytes opened and the seconds it took.
fn ring_raw(contenders: &Contenders, mib: usize, name: &str) -> Result<(u64, f64)> {
    let out = run_ok(
        &contenders.http_host,
        &contenders.ring_raw,
        &["ring-raw", &mib.to_string()],
    )?;
    for line in out.lines() {
        let mut fields = line.split(' ');
        if fields.next() == Some(name) {
            let bytes = fields.next().context("bytes")?.parse()?;
            let nanos: f64 = fields.next().context("nanos")?.parse()?;
            return Ok((bytes, nanos / 1e9));
        }
    }
    bail!("ring-raw printed no line for {name}: {out}")
}

/// W6: the component's peak linear memory during W4 and W5, and what each idle pooled
/// connection costs (fresh instances, so each figure is its workload's own).
fn memory(settings: &Settings, contenders: &Contenders, servers: &Servers) -> Result<Vec<Figure>> {
    const W: &str = "W6 memory of the component";
    let mut figures = Vec::new();

    let mut client = contenders.component_client()?;
    let urls: Vec<String> = (0..settings.requests)
        .map(|i| url(&servers.keep_alive, &format!("/m/{i}")))
        .collect();
    component_gets(&mut client, &urls)?;
    let mut during_w4 = figure(W, "peak linear memory, W4", "bytes", false);
    during_w4.samples.push(client.peak_memory_bytes() as f64);
    figures.push(during_w4);

    let mut client = contenders.component_client()?;
    component_gets(&mut client, &[url(&servers.chacha, "/m")])?;
    let mut during_w5 = figure(W, "peak linear memory, W5 ChaCha20", "bytes", false);
    during_w5.samples.push(client.peak_memory_bytes() as f64);
    figures.push(during_w5);

    figures.push(idle_connection_cost(settings, contenders, servers)?);
    Ok(figures)
}

/// Holds idle connections to distinct origins (names under `*.bench.test`, all on the
/// keep-alive server) and divides the memory growth by their number.
fn idle_connection_cost(
    settings: &Settings,
    contenders: &Contenders,
    servers: &Servers,
) -> Result<Figure> {
    let server = &servers.keep_alive;
    let mut client = contenders.component_client()?;
    let context = client
        .default_context()?
        .map_err(|e| anyhow::anyhow!("create-default-context: {e:?}"))?;
    let fetch = |client: &mut ClientInstance, i: usize| -> Result<()> {
        let host = format!("h{i}.bench.test");
        let mut request = get(&server.url("https", &host, "/idle"));
        request.options.connect_overrides = vec![ConnectOverride {
            host,
            port: server.port(),
            address: "127.0.0.1".into(),
        }];
        let response = client
            .send(context, &request)?
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        client
            .read_to_end(&response)?
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        client.drop_response(response)?;
        Ok(())
    };
    let before = server.connections();
    // Two first, so the allocator's first growth of the TLS buffers is behind us.
    fetch(&mut client, 0)?;
    fetch(&mut client, 1)?;
    let base = client.peak_memory_bytes();
    let k = settings.idle_connections;
    for i in 2..k + 2 {
        fetch(&mut client, i)?;
    }
    // Each was kept: a second round over the same origins opens no connection.
    let held = server.connections() - before;
    for i in 0..k + 2 {
        fetch(&mut client, i)?;
    }
    ensure!(
        server.connections() - before == held,
        "idle connections were not reused"
    );
    let grown = client.peak_memory_bytes().saturating_sub(base);
    let mut cost = figure(
        "W6 memory of the component",
        "per idle pooled connection",
        "bytes",
        false,
    );
    cost.samples.push(grown as f64 / k as f64);
    cost.note = format!("{k} idle connections to {k} origins: {grown} bytes of growth");
    client.drop_context(context)?;
    Ok(cost)
}

fn find<'a>(figures: &'a [Figure], workload: &str, contender: &str) -> Option<&'a Figure> {
    figures
        .iter()
        .find(|f| f.workload.starts_with(workload) && f.contender == contender)
}

fn ratio(figures: &[Figure], workload: &str, ours: &str, theirs: &str) -> f64 {
    match (
        find(figures, workload, ours),
        find(figures, workload, theirs),
    ) {
        (Some(a), Some(b)) => a.median() / b.median(),
        _ => f64::NAN,
    }
}

fn targets(figures: &[Figure], component_bytes: u64) -> Vec<Target> {
    let target = |what: &str, value: f64, limit: f64, at_least: bool, unit: &'static str| Target {
        what: what.into(),
        value,
        limit,
        at_least,
        unit,
    };
    let amount = |workload: &str, contender: &str| {
        find(figures, workload, contender).map_or(f64::NAN, Figure::median)
    };
    let chacha = "W5 bulk download, ChaCha20";
    let aes128 = "W5 bulk download, AES-128-GCM";
    let nginx = "W5 bulk download, Debian's nginx";
    let choosing = "W5 bulk download, the server picks";
    vec![
        target(
            "W1 cold: https-get time / curl time",
            ratio(figures, "W1", HTTPS_GET, CURL),
            1.0,
            false,
            "x",
        ),
        target(
            "W2 full handshakes: component / native",
            ratio(figures, "W2", COMPONENT, NATIVE),
            0.4,
            true,
            "x",
        ),
        target(
            "W3 resumed handshakes: component / native",
            ratio(figures, "W3", COMPONENT, NATIVE),
            0.8,
            true,
            "x",
        ),
        target(
            "W4 keep-alive: component / native",
            ratio(figures, "W4", COMPONENT, NATIVE),
            0.85,
            true,
            "x",
        ),
        target(
            "W4 keep-alive: component / wasi:http guest",
            ratio(figures, "W4", COMPONENT, WASI_HTTP),
            3.0,
            true,
            "x",
        ),
        target(
            "W5 ChaCha20: component / curl",
            ratio(figures, chacha, COMPONENT, CURL),
            0.25,
            true,
            "x",
        ),
        target(
            "W5 ChaCha20: component / ring alone in wasm",
            ratio(figures, chacha, COMPONENT, RING_RAW),
            0.8,
            true,
            "x",
        ),
        // Issue 13: the default path (the host lends its crypto) and the self-contained one.
        target(
            "W5 server picks AES-256-GCM, host's crypto: component / curl",
            ratio(figures, choosing, LENT, CURL),
            0.5,
            true,
            "x",
        ),
        target(
            "W5 Debian's nginx (AES-256-GCM), host's crypto: component / curl",
            ratio(figures, nginx, LENT, CURL),
            0.5,
            true,
            "x",
        ),
        target(
            "W5 ChaCha20, host's crypto: component / curl",
            ratio(figures, chacha, LENT, CURL),
            0.6,
            true,
            "x",
        ),
        target(
            "W2 full handshakes, host's crypto: component / native",
            ratio(figures, "W2", LENT, NATIVE),
            0.6,
            true,
            "x",
        ),
        target(
            "W3 resumed handshakes, host's crypto: component / native",
            ratio(figures, "W3", LENT, NATIVE),
            0.8,
            true,
            "x",
        ),
        target(
            "W5 ChaCha20, self-contained: component / ring alone in wasm",
            ratio(figures, chacha, COMPONENT, RING_RAW),
            0.9,
            true,
            "x",
        ),
        target(
            "W5 ChaCha20, self-contained: component / curl",
            ratio(figures, chacha, COMPONENT, CURL),
            0.4,
            true,
            "x",
        ),
        target(
            "W5 AES-128-GCM, self-contained (3x issue 13's 68 MB/s)",
            amount(aes128, COMPONENT),
            204.0,
            true,
            "MB/s",
        ),
        target(
            "W2 full handshakes, self-contained: component / native",
            ratio(figures, "W2", COMPONENT, NATIVE),
            0.45,
            true,
            "x",
        ),
        target(
            "component size",
            component_bytes as f64,
            1_000_000.0,
            false,
            "bytes",
        ),
        target(
            "W6 peak linear memory during W5",
            amount("W6", "peak linear memory, W5 ChaCha20"),
            2.0 * 1048576.0,
            false,
            "bytes",
        ),
        target(
            "W6 memory per idle pooled connection",
            amount("W6", "per idle pooled connection"),
            65536.0,
            false,
            "bytes",
        ),
        target(
            "W8 8 at once, async build: total / one request alone",
            ratio(
                figures,
                fan_out::EIGHT,
                fan_out::ASYNC,
                fan_out::ASYNC_ALONE,
            ),
            1.2,
            false,
            "x",
        ),
        target(
            "W8 64 at once, async build: total / one request alone",
            ratio(
                figures,
                fan_out::SIXTY_FOUR,
                fan_out::ASYNC,
                fan_out::ASYNC_ALONE,
            ),
            1.2,
            false,
            "x",
        ),
        target(
            "W8 memory per concurrent request (64 in flight vs 1)",
            amount(fan_out::MEMORY, fan_out::MEMORY_CONTENDER),
            131072.0,
            false,
            "bytes",
        ),
    ]
}

fn format_value(value: f64, unit: &str) -> String {
    match unit {
        "bytes" => format!("{:.0} bytes", value),
        "ms" => format!("{value:.2} ms"),
        "x" => format!("{value:.2}x"),
        "MB/s" => format!("{value:.0} MB/s"),
        _ => format!("{value:.0} {unit}"),
    }
}

impl Report {
    /// The report as Markdown: the results table, then the targets.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let s = &self.settings;
        let _ = writeln!(
            out,
            "Settings: {} rounds; W1 {} runs per contender; W2/W3 {} connections; W4 {} requests; W5 {} MiB; W6 {} idle connections; W7 {} requests per sample.\n",
            s.rounds,
            s.cold_runs,
            s.handshakes,
            s.requests,
            s.bulk_mib,
            s.idle_connections,
            s.edge_requests
        );
        out.push_str("| Workload | Contender | Median | Min – max | Component ÷ this | Seen |\n");
        out.push_str("|---|---|---:|---:|---:|---|\n");
        let mut last = "";
        for fig in &self.figures {
            let workload = if fig.workload == last {
                ""
            } else {
                fig.workload
            };
            last = fig.workload;
            let reference = [
                COMPONENT,
                HTTPS_GET,
                keep_alive_h2::ASYNC_H2,
                edge::EDGE_COMPONENT,
            ]
            .iter()
            .find_map(|c| find(&self.figures, fig.workload, c))
            .filter(|r| r.contender != fig.contender && !fig.workload.starts_with("W6"));
            let versus = reference.map_or("—".to_owned(), |r| {
                format!("{:.2}x", r.median() / fig.median())
            });
            let (min, max) = fig
                .samples
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                    (a.min(v), b.max(v))
                });
            let _ = writeln!(
                out,
                "| {workload} | {} | {} | {} – {} | {versus} | {} |",
                fig.contender,
                format_value(fig.median(), fig.unit),
                format_value(min, fig.unit),
                format_value(max, fig.unit),
                fig.note
            );
        }
        let _ = writeln!(
            out,
            "| Size | component (.wasm) | {} | | | |",
            format_value(self.component_bytes as f64, "bytes")
        );
        out.push_str("\n| Target | Measured | Limit | Met |\n|---|---:|---:|---|\n");
        for t in &self.targets {
            let _ = writeln!(
                out,
                "| {} | {} | {} {} | {} |",
                t.what,
                format_value(t.value, t.unit),
                if t.at_least { "≥" } else { "≤" },
                format_value(t.limit, t.unit),
                if t.met() { "yes" } else { "**no**" }
            );
        }
        out
    }
}
