//! `https-get`: fetch a URL through the verified-https component, curl-style.
//!
//! Verification is on by default, with trust from `--cacert`/`--capath`, else `SSL_CERT_FILE`,
//! `SSL_CERT_DIR` or the platform bundle. Exit codes follow curl's.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use host_test::certificates::summarize;
use host_test::errors::{describe, exit_code};
use host_test::host::{Client, HostConfig, NetworkPolicy, Response};
use host_test::runtime::{self, Runtime};
use host_test::trust_store;
use host_test::{
    ConnectOverride, ContextOptions, ErrorCode, Header, RedirectPolicy, Request, RequestOptions,
    TrustAnchors,
};

/// The most redirects `-L` follows (curl's default is 50).
const MAX_REDIRECTS: u32 = 50;

#[derive(Parser, Debug)]
#[command(
    name = "https-get",
    version,
    about = "Fetch a URL through the verified-https component"
)]
struct Args {
    /// The URL to fetch (https:// or http://).
    url: String,
    /// Trust exactly the PEM certificates in FILE.
    #[arg(long, value_name = "FILE")]
    cacert: Option<PathBuf>,
    /// Trust the PEM certificates in DIR.
    #[arg(long, value_name = "DIR")]
    capath: Option<PathBuf>,
    /// Do not verify the server's certificate or name (create-unverified-context).
    #[arg(short = 'k', long)]
    insecure: bool,
    /// The request method (default GET, or POST with -d).
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    method: Option<String>,
    /// A header to send, 'Name: value'; repeatable.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    headers: Vec<String>,
    /// A request body; @FILE reads it from FILE.
    #[arg(short = 'd', long = "data", value_name = "DATA")]
    data: Option<String>,
    /// Write the body to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Include the status line and headers in the output.
    #[arg(short = 'i', long = "include")]
    include: bool,
    /// Silent: no informational messages, even with -v (errors and warnings still print).
    #[arg(short = 's', long)]
    silent: bool,
    /// Verbose: TLS details and timings on stderr.
    #[arg(short = 'v', long)]
    verbose: bool,
    /// Fail (exit 22, no body) on HTTP status 400 and above.
    #[arg(short = 'f', long = "fail")]
    fail: bool,
    /// Seconds allowed for resolving and connecting.
    #[arg(long = "connect-timeout", value_name = "SECS")]
    connect_timeout: Option<f64>,
    /// Seconds allowed for the whole transfer.
    #[arg(short = 'm', long = "max-time", value_name = "SECS")]
    max_time: Option<f64>,
    /// Fail (exit 63) if the body is larger than BYTES; nothing beyond it is written.
    #[arg(long = "max-filesize", value_name = "BYTES")]
    max_filesize: Option<u64>,
    /// Follow redirects (refusing https to http).
    #[arg(short = 'L', long = "location")]
    location: bool,
    /// Connect to ADDR for HOST:PORT; the certificate is still verified for HOST.
    #[arg(long, value_name = "HOST:PORT:ADDR")]
    resolve: Vec<String>,
    /// Print the response's metadata (status, headers, TLS, the chain, body size) as one JSON
    /// object on stdout, for scripts; the body goes to -o FILE, or nowhere. A failure prints
    /// {"error": {"exit_code", "message"}}.
    #[arg(long)]
    json: bool,
    /// The component to run (default: the one built in this workspace).
    #[arg(long, value_name = "PATH")]
    component: Option<PathBuf>,
}

/// A failure with its curl exit code.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn new(code: u8, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }
}

impl From<ErrorCode> for Failure {
    fn from(err: ErrorCode) -> Self {
        Failure::new(exit_code(&err), describe(&err))
    }
}

impl From<anyhow::Error> for Failure {
    fn from(err: anyhow::Error) -> Self {
        Failure::new(1, format!("host error: {err:#}"))
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("https-get: {}", failure.message);
            if args.json {
                let error = serde_json::json!({
                    "error": {"exit_code": failure.code, "message": failure.message}
                });
                println!("{error}");
            }
            ExitCode::from(failure.code)
        }
    }
}

fn run(args: &Args) -> Result<(), Failure> {
    let started = Instant::now();
    let verbose = args.verbose && !args.silent;
    let component = args
        .component
        .clone()
        .unwrap_or_else(runtime::default_component_path);
    let cache = runtime::default_cache_dir();
    let (runtime, loaded_from) = Runtime::load(&component, cache.as_deref())?;
    if verbose {
        eprintln!(
            "* component {} ({loaded_from:?}) in {:?}",
            component.display(),
            started.elapsed()
        );
    }

    let explicit_roots = explicit_trust(args)?;
    // The host's trust store is only consulted by the default context.
    let host_trust = match (&explicit_roots, args.insecure) {
        (None, false) => trust_store::discover().map(|store| {
            if verbose {
                eprintln!(
                    "* trust store: {} ({} certificates)",
                    store.origin,
                    store.certificates.len()
                );
            }
            store.certificates
        }),
        _ => Err("not consulted: the request uses --cacert/--capath or --insecure".to_owned()),
    };
    let mut client = Client::new(
        &runtime,
        HostConfig {
            trust: host_trust,
            revocation_lists: Ok(Vec::new()),
            network: NetworkPolicy::Any,
            wall_clock: None,
            inherit_stderr: true,
            preopens: Vec::new(),
        },
    )?;
    let context = if args.insecure {
        eprintln!(
            "https-get: WARNING: --insecure: the server's certificate and host name are NOT verified"
        );
        client.unverified_context()?
    } else {
        let mut limits = host_test::default_limits();
        limits.max_body_bytes = args.max_filesize;
        client.context(&ContextOptions {
            trust_anchors: explicit_roots.map_or(TrustAnchors::Host, TrustAnchors::Der),
            revocation_lists: Vec::new(),
            limits,
        })??
    };

    let request = build_request(args)?;
    let response = client.send(context, &request)??;
    if verbose {
        report_response(&response, started);
    }
    if args.fail && response.status >= 400 {
        return Err(Failure::new(
            22,
            format!(
                "the requested URL returned error: {} {}",
                response.status, response.reason
            ),
        ));
    }
    let body_bytes = write_response(args, &mut client, &response)?;
    if args.json {
        println!("{}", metadata(&response, body_bytes));
    }
    Ok(())
}

/// The response's metadata as JSON (`--json`).
fn metadata(response: &Response, body_bytes: u64) -> serde_json::Value {
    let headers: Vec<_> = response
        .headers
        .iter()
        .map(|h| serde_json::json!([h.name, String::from_utf8_lossy(&h.value)]))
        .collect();
    let tls = response.tls.as_ref().map(|tls| {
        let chain: Vec<_> = tls
            .peer_certificates
            .iter()
            .map(|der| serde_json::to_value(summarize(der)).unwrap_or_default())
            .collect();
        serde_json::json!({
            "version": tls.version,
            "cipher_suite": tls.cipher_suite,
            "alpn": tls.alpn,
            "verified": tls.verified,
            "chain": chain,
        })
    });
    serde_json::json!({
        "url": response.url,
        "status": response.status,
        "reason": response.reason,
        "headers": headers,
        "tls": tls,
        "body_bytes": body_bytes,
    })
}

/// `--cacert` / `--capath`: the certificates (DER) to trust instead of the host's store.
fn explicit_trust(args: &Args) -> Result<Option<Vec<Vec<u8>>>, Failure> {
    let store = match (&args.cacert, &args.capath) {
        (None, None) => return Ok(None),
        (Some(file), _) => trust_store::from_file(file, &format!("--cacert {}", file.display())),
        (None, Some(dir)) => trust_store::from_dir(dir, &format!("--capath {}", dir.display())),
    };
    let store = store.map_err(|why| Failure::new(77, format!("trust store unavailable: {why}")))?;
    Ok(Some(store.certificates))
}

fn build_request(args: &Args) -> Result<Request, Failure> {
    let body = match args.data.as_deref() {
        Some(file) if file.starts_with('@') => Some(
            std::fs::read(&file[1..])
                .map_err(|e| Failure::new(26, format!("cannot read {}: {e}", &file[1..])))?,
        ),
        Some(text) => Some(text.as_bytes().to_vec()),
        None => None,
    };
    let method = args
        .method
        .clone()
        .unwrap_or_else(|| if body.is_some() { "POST" } else { "GET" }.to_owned());
    let mut headers = Vec::new();
    for header in &args.headers {
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| Failure::new(2, format!("header {header:?} is not 'Name: value'")))?;
        headers.push(Header {
            name: name.trim().to_owned(),
            value: value.trim().as_bytes().to_vec(),
        });
    }
    if body.is_some()
        && !headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("content-type"))
    {
        headers.push(Header {
            name: "Content-Type".into(),
            value: b"application/x-www-form-urlencoded".to_vec(),
        });
    }
    let mut connect_overrides = Vec::new();
    for entry in &args.resolve {
        connect_overrides.push(parse_resolve(entry)?);
    }
    let millis = |secs: Option<f64>| secs.map(|s| (s * 1000.0).max(1.0) as u64);
    Ok(Request {
        method,
        url: args.url.clone(),
        headers,
        body,
        options: RequestOptions {
            connect_timeout_ms: millis(args.connect_timeout),
            handshake_timeout_ms: None,
            read_timeout_ms: None,
            redirects: args.location.then_some(RedirectPolicy {
                max_redirects: MAX_REDIRECTS,
                allow_https_to_http: false,
            }),
            timeout_ms: millis(args.max_time),
            connect_overrides,
        },
    })
}

/// `HOST:PORT:ADDR`, ADDR possibly in brackets.
fn parse_resolve(entry: &str) -> Result<ConnectOverride, Failure> {
    let bad = || Failure::new(2, format!("--resolve {entry:?} is not HOST:PORT:ADDR"));
    let (host, rest) = entry.split_once(':').ok_or_else(bad)?;
    let (port, address) = rest.split_once(':').ok_or_else(bad)?;
    let address = address.trim_start_matches('[').trim_end_matches(']');
    address.parse::<std::net::IpAddr>().map_err(|_| bad())?;
    Ok(ConnectOverride {
        host: host.to_ascii_lowercase(),
        port: port.parse().map_err(|_| bad())?,
        address: address.to_owned(),
    })
}

fn report_response(response: &Response, started: Instant) {
    match &response.tls {
        Some(tls) => {
            eprintln!(
                "* {} {}, ALPN {}, verified: {}",
                tls.version,
                tls.cipher_suite,
                tls.alpn.as_deref().unwrap_or("none"),
                if tls.verified { "yes" } else { "NO" }
            );
            eprintln!(
                "* server presented {} certificate(s):",
                tls.peer_certificates.len()
            );
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            for (i, der) in tls.peer_certificates.iter().enumerate() {
                match summarize(der) {
                    Some(c) => eprintln!(
                        "*   {i} subject: {}\n*     issuer: {}\n*     names: {}\n*     expires: {} (in {} days)",
                        c.subject,
                        c.issuer,
                        if c.names.is_empty() {
                            "none".to_owned()
                        } else {
                            c.names.join(", ")
                        },
                        c.not_after,
                        (c.not_after_unix - now).div_euclid(86_400)
                    ),
                    None => eprintln!("*   {i} (not parseable here)"),
                }
            }
        }
        None => eprintln!("* plain HTTP: not encrypted, not verified"),
    }
    eprintln!(
        "< {} {} ({:?})",
        response.status,
        response.reason,
        started.elapsed()
    );
}

/// Writes the body (and with -i the head) where it goes; the body's size. With -o FILE at a
/// terminal, a progress bar on stderr.
fn write_response(args: &Args, client: &mut Client, response: &Response) -> Result<u64, Failure> {
    let mut out: Box<dyn Write> = match (&args.output, args.json) {
        (Some(path), _) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| Failure::new(23, format!("cannot write {}: {e}", path.display())))?,
        )),
        (None, true) => Box::new(std::io::sink()),
        (None, false) => Box::new(std::io::stdout().lock()),
    };
    let write_failed = |e: std::io::Error| Failure::new(23, format!("failure writing output: {e}"));
    if args.include {
        let mut head = format!("HTTP/1.1 {} {}\r\n", response.status, response.reason).into_bytes();
        for header in &response.headers {
            head.extend_from_slice(header.name.as_bytes());
            head.extend_from_slice(b": ");
            head.extend_from_slice(&header.value);
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(b"\r\n");
        out.write_all(&head).map_err(write_failed)?;
    }
    let progress = progress_bar(args, response);
    let mut written = 0u64;
    while let Some(piece) = client.read_body(response, 256 * 1024)?? {
        out.write_all(&piece).map_err(write_failed)?;
        written += piece.len() as u64;
        if let Some(bar) = &progress {
            bar.set_position(written);
        }
    }
    if let Some(bar) = progress {
        bar.finish();
    }
    out.flush().map_err(write_failed)?;
    Ok(written)
}

/// A progress bar for a download to a file at a terminal (sized by Content-Length if sent).
fn progress_bar(args: &Args, response: &Response) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if args.output.is_none() || args.silent || !std::io::stderr().is_terminal() {
        return None;
    }
    let length = response
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| {
            std::str::from_utf8(&h.value)
                .ok()?
                .trim()
                .parse::<u64>()
                .ok()
        });
    let bar = match length {
        Some(length) => indicatif::ProgressBar::new(length).with_style(
            indicatif::ProgressStyle::with_template(
                "{bytes:>10} / {total_bytes} {wide_bar} {bytes_per_sec} ETA {eta}",
            )
            .ok()?,
        ),
        None => indicatif::ProgressBar::new_spinner().with_style(
            indicatif::ProgressStyle::with_template("{spinner} {bytes} {bytes_per_sec}").ok()?,
        ),
    };
    Some(bar)
}
