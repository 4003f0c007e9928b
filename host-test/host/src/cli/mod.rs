//! The `https-get` command line: its flags ([`Args`]), what they decide — which trust
//! ([`TrustChoice`]), which request ([`build_request`]), which limits, which client
//! certificate, pins and TLS versions ([`tls_options`]) — and curl's exit codes for what fails
//! ([`Failure`]). [`run`] does the fetch with those decisions.
//!
//! Verification is on by default, with trust from `--cacert`/`--capath`, else `SSL_CERT_FILE`,
//! `SSL_CERT_DIR` or the platform bundle ([`trust_store::discover`]).

mod context;
mod fetch;
mod parallel;
mod tls;

use std::path::PathBuf;

use clap::Parser;

pub use context::{ContextCalls, host_config, open_context};
pub use tls::{TlsOptions, parse_pins, parse_tls_version, tls_options};

use crate::config::HostTrust;
use crate::errors::exit_code;
use crate::trust_store::{self, TrustStore};
use crate::{
    ConnectOverride, ContextOptions, ErrorCode, Header, ProxyConfig, RedirectPolicy, Request,
    RequestOptions, TlsVersion, TrustAnchors,
};

/// The most redirects `-L` follows (curl's default is 50).
pub const MAX_REDIRECTS: u32 = 50;

/// The exit codes the CLI itself decides (the component's errors map through
/// [`exit_code`]); curl's numbers.
pub mod exit {
    /// A failure of the host itself (loading or running the component).
    pub const HOST_ERROR: u8 = 1;
    /// A malformed flag value (`-H`, `--resolve`, `--pinnedpubkey`), or flags that cannot go
    /// together (`-k` with a TLS option of a verified context).
    pub const BAD_ARGUMENT: u8 = 2;
    /// `--fail` and an HTTP status of 400 or more.
    pub const HTTP_ERROR: u8 = 22;
    /// The output could not be written.
    pub const WRITE_ERROR: u8 = 23;
    /// The request body (`-d @FILE`) could not be read.
    pub const READ_ERROR: u8 = 26;
    /// `--cert`/`--key` unreadable (the component's `invalid-client-identity` is 58 too).
    pub const CLIENT_CERTIFICATE: u8 = 58;
    /// `--cacert`/`--capath` missing, unreadable or without a certificate.
    pub const TRUST_STORE: u8 = 77;
}

/// What the host's trust import answers when the request does not use the host's store.
pub const NOT_CONSULTED: &str = "not consulted: the request uses --cacert/--capath or --insecure";

/// Fetches what the flags say: `args.url`, or with `-Z` every URL at once; what failed, with
/// its exit code, otherwise. Several URLs without `-Z` are refused (exit 2).
pub fn run(args: &Args) -> Result<(), Failure> {
    match (args.parallel, args.more_urls.is_empty()) {
        (true, _) => parallel::run(args),
        (false, true) => fetch::run(args),
        (false, false) => Err(Failure::new(
            exit::BAD_ARGUMENT,
            "several URLs are fetched with -Z (--parallel) only",
        )),
    }
}

/// `https-get`'s flags.
#[derive(Parser, Debug, Clone)]
#[command(
    name = "https-get",
    version,
    about = "Fetch a URL through the verified-https component"
)]
pub struct Args {
    /// The URL to fetch (https:// or http://).
    pub url: String,
    /// More URLs, with -Z: fetched at once with the first.
    #[arg(value_name = "URL")]
    pub more_urls: Vec<String>,
    /// Fetch every URL at once (curl's --parallel), through one instance of the async build
    /// (target/verified-https-async.wasm, WASI 0.3) and one context, with the same flags for
    /// each. Bodies go to stdout whole, each after the one before it in the order given (with
    /// -i, each after its head); -v adds a line per transfer on stderr. Every transfer
    /// completes; the exit code is the first failing one's, in the order given. Not with -o,
    /// -T, --data-binary @FILE or --json (exit 2).
    #[arg(short = 'Z', long)]
    pub parallel: bool,
    /// Trust exactly the PEM certificates in FILE.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// Trust the PEM certificates in DIR.
    #[arg(long, value_name = "DIR")]
    pub capath: Option<PathBuf>,
    /// Do not verify the server's certificate or name (create-unverified-context). That
    /// context takes no options: --cert, --key, --pinnedpubkey, --tlsv1.2, --tlsv1.3 and
    /// --tls-max are refused with it (exit 2).
    #[arg(short = 'k', long)]
    pub insecure: bool,
    /// Send the client certificate chain (PEM, end-entity first) in FILE to a server that asks
    /// for one; FILE may hold the private key too. Unreadable or unusable: exit 58. Not with -k.
    #[arg(short = 'E', long, value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// The private key (PEM) of --cert, if it is not in that file. Not with -k.
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Require the server's public key to be one of these: sha256//BASE64[;sha256//BASE64...],
    /// each the SHA-256 of a SubjectPublicKeyInfo. Checked after the chain and name, never
    /// instead of them; a mismatch is exit 90. Not with -k (it verifies nothing to pin).
    #[arg(long = "pinnedpubkey", value_name = "HASHES")]
    pub pinned_public_keys: Option<String>,
    /// Use TLS 1.2 or later (the default minimum). Not with -k.
    #[arg(long = "tlsv1.2", overrides_with = "tlsv1_3")]
    pub tlsv1_2: bool,
    /// Use TLS 1.3 or later: a server without TLS 1.3 fails the handshake (exit 35). Not with -k.
    #[arg(long = "tlsv1.3", overrides_with = "tlsv1_2")]
    pub tlsv1_3: bool,
    /// The highest TLS version offered: 1.2 or 1.3 (the default). Not with -k.
    #[arg(long = "tls-max", value_name = "VERSION", value_parser = parse_tls_version)]
    pub tls_max: Option<TlsVersion>,
    /// The request method (default GET, or POST with -d).
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    pub method: Option<String>,
    /// A header to send, 'Name: value'; repeatable.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,
    /// A request body; @FILE reads it from FILE.
    #[arg(short = 'd', long = "data", value_name = "DATA", conflicts_with_all = ["data_binary", "upload_file"])]
    pub data: Option<String>,
    /// A request body sent as it is (POST unless -X); @FILE streams FILE, never holding it
    /// whole in memory.
    #[arg(
        long = "data-binary",
        value_name = "DATA",
        conflicts_with = "upload_file"
    )]
    pub data_binary: Option<String>,
    /// Upload FILE as the body, streamed (PUT unless -X).
    #[arg(short = 'T', long = "upload-file", value_name = "FILE")]
    pub upload_file: Option<PathBuf>,
    /// Ask for a compressed response (every coding the component decodes) and decode it.
    #[arg(long)]
    pub compressed: bool,
    /// Offer HTTP/2 by ALPN (h2, then http/1.1), as curl's --http2: a server that picks h2
    /// gets HTTP/2. Needs a component with HTTP/2 (the default host-crypto build;
    /// target/verified-https.wasm has none: exit 2). A streamed upload (-T, --data-binary
    /// @FILE) still goes over HTTP/1.1.
    #[arg(long = "http2", overrides_with = "http1_1")]
    pub http2: bool,
    /// Offer only HTTP/1.1 by ALPN (the default).
    #[arg(long = "http1.1", overrides_with = "http2")]
    pub http1_1: bool,
    /// Go through the HTTP proxy URL (http:// or https://; http:// if no scheme is given;
    /// credentials as user:password@). Overrides HTTPS_PROXY, https_proxy, http_proxy and
    /// ALL_PROXY; an empty URL goes direct.
    #[arg(short = 'x', long = "proxy", value_name = "URL")]
    pub proxy: Option<String>,
    /// Hosts reached without the proxy, comma-separated (* for all); overrides NO_PROXY.
    #[arg(long = "noproxy", value_name = "LIST")]
    pub noproxy: Option<String>,
    /// Write the body to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Include the status line and headers in the output.
    #[arg(short = 'i', long = "include")]
    pub include: bool,
    /// Silent: no informational messages, even with -v (errors and warnings still print).
    #[arg(short = 's', long)]
    pub silent: bool,
    /// Verbose: TLS details and timings on stderr.
    #[arg(short = 'v', long)]
    pub verbose: bool,
    /// Fail (exit 22, no body) on HTTP status 400 and above.
    #[arg(short = 'f', long = "fail")]
    pub fail: bool,
    /// Seconds allowed for resolving and connecting.
    #[arg(long = "connect-timeout", value_name = "SECS")]
    pub connect_timeout: Option<f64>,
    /// Seconds allowed for the whole transfer.
    #[arg(short = 'm', long = "max-time", value_name = "SECS")]
    pub max_time: Option<f64>,
    /// Fail (exit 63) if the body is larger than BYTES; nothing beyond it is written.
    #[arg(long = "max-filesize", value_name = "BYTES")]
    pub max_filesize: Option<u64>,
    /// Follow redirects (refusing https to http).
    #[arg(short = 'L', long = "location")]
    pub location: bool,
    /// Connect to ADDR for HOST:PORT; the certificate is still verified for HOST.
    #[arg(long, value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<String>,
    /// Print the response's metadata (status, headers, TLS, the chain, body size) as one JSON
    /// object on stdout, for scripts; the body goes to -o FILE, or nowhere. A failure prints
    /// {"error": {"exit_code", "message"}}.
    #[arg(long)]
    pub json: bool,
    /// The component to run (default: the host-crypto build in this workspace, to which this
    /// host lends its crypto; `target/verified-https.wasm` is the self-contained one).
    #[arg(long, value_name = "PATH")]
    pub component: Option<PathBuf>,
}

impl Args {
    /// Whether informational messages go to stderr: `-v` without `-s`.
    pub fn is_verbose(&self) -> bool {
        self.verbose && !self.silent
    }
}

/// A failure with its curl exit code and its one-line message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The process's exit code.
    pub code: u8,
    /// What failed and why (printed after `https-get: `).
    pub message: String,
}

impl Failure {
    /// A failure with `code` and `message`.
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }

    /// What `--json` prints for it: `{"error": {"exit_code", "message"}}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "error": {"exit_code": self.code, "message": self.message}
        })
    }
}

impl Failure {
    /// The failure for the component's `err`: curl's exit code, and the message the component
    /// words for it (`describe-error`).
    pub fn from_error(client: &mut impl ContextCalls, err: &ErrorCode) -> Self {
        let message = client
            .describe_error(err)
            .unwrap_or_else(|trap| format!("{err:?} (describe-error failed: {trap:#})"));
        Failure::new(exit_code(err), message)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(err: anyhow::Error) -> Self {
        Failure::new(exit::HOST_ERROR, format!("host error: {err:#}"))
    }
}

/// Whose trust a request uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustChoice {
    /// The host's store (`create-default-context`): `SSL_CERT_FILE`, `SSL_CERT_DIR` or the
    /// platform bundle.
    HostStore,
    /// Exactly these DER certificates (`--cacert`/`--capath`), instead of the host's store.
    Explicit(Vec<Vec<u8>>),
    /// DANGER: no verification of chain or name (`-k`, `create-unverified-context`).
    Unverified,
}

impl TrustChoice {
    /// What the host's trust import answers for this choice: the store `discover` finds for
    /// [`TrustChoice::HostStore`] (or why there is none); else [`NOT_CONSULTED`].
    pub fn host_trust(
        &self,
        discover: impl FnOnce() -> Result<TrustStore, String>,
        on_found: impl FnOnce(&TrustStore),
    ) -> HostTrust {
        match self {
            TrustChoice::HostStore => match discover() {
                Ok(store) => {
                    on_found(&store);
                    HostTrust::Anchors(store.certificates)
                }
                Err(why) => HostTrust::Unavailable(why),
            },
            TrustChoice::Explicit(_) | TrustChoice::Unverified => {
                HostTrust::Unavailable(NOT_CONSULTED.to_owned())
            }
        }
    }

    /// The body limit the CLI applies itself: `--max-filesize` for [`TrustChoice::Unverified`],
    /// whose context (`create-unverified-context`) takes no options; `None` for a verified
    /// choice, whose context applies the limit ([`TrustChoice::context_options`]).
    pub fn host_body_limit(&self, max_filesize: Option<u64>) -> Option<u64> {
        match self {
            TrustChoice::Unverified => max_filesize,
            TrustChoice::HostStore | TrustChoice::Explicit(_) => None,
        }
    }

    /// The options of `create-context` for a verified choice, with `--max-filesize` as the
    /// body limit and the TLS flags' `tls`; `None` for [`TrustChoice::Unverified`] (with which
    /// [`tls_options`] accepts no TLS flag).
    pub fn context_options(
        &self,
        max_filesize: Option<u64>,
        tls: TlsOptions,
    ) -> Option<ContextOptions> {
        let trust_anchors = match self {
            TrustChoice::HostStore => TrustAnchors::Host,
            TrustChoice::Explicit(roots) => TrustAnchors::Der(roots.clone()),
            TrustChoice::Unverified => return None,
        };
        let mut limits = crate::default_limits();
        limits.max_body_bytes = max_filesize;
        let TlsOptions {
            client_identity,
            min_version,
            max_version,
            pinned_public_keys,
        } = tls;
        Some(ContextOptions {
            trust_anchors,
            revocation_lists: Vec::new(),
            limits,
            client_identity,
            min_version,
            max_version,
            pinned_public_keys,
        })
    }
}

/// The trust the flags choose. `--cacert`/`--capath` are read even with `-k`, so a bad file is
/// an error either way (exit 77); `--cacert` wins over `--capath`.
pub fn trust_choice(args: &Args) -> Result<TrustChoice, Failure> {
    let explicit = explicit_trust(args)?;
    Ok(match (explicit, args.insecure) {
        (_, true) => TrustChoice::Unverified,
        (Some(roots), false) => TrustChoice::Explicit(roots),
        (None, false) => TrustChoice::HostStore,
    })
}

/// `--cacert` / `--capath`: the certificates (DER) to trust instead of the host's store.
fn explicit_trust(args: &Args) -> Result<Option<Vec<Vec<u8>>>, Failure> {
    let store = match (&args.cacert, &args.capath) {
        (None, None) => return Ok(None),
        (Some(file), _) => trust_store::from_file(file, &format!("--cacert {}", file.display())),
        (None, Some(dir)) => trust_store::from_dir(dir, &format!("--capath {}", dir.display())),
    };
    let store = store.map_err(|why| {
        Failure::new(exit::TRUST_STORE, format!("trust store unavailable: {why}"))
    })?;
    Ok(Some(store.certificates))
}

/// A file whose contents are the request body, streamed (`-T FILE`, `--data-binary @FILE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamedFile {
    /// The file.
    pub path: PathBuf,
    /// Its size when the request was made (sent as Content-Length).
    pub size: u64,
}

/// The file to stream as the body, if `-T` or `--data-binary @FILE` names one.
pub fn streamed_file(args: &Args) -> Result<Option<StreamedFile>, Failure> {
    let path = match (&args.upload_file, args.data_binary.as_deref()) {
        (Some(path), _) => path.clone(),
        (None, Some(data)) if data.starts_with('@') => PathBuf::from(&data[1..]),
        _ => return Ok(None),
    };
    let size = std::fs::metadata(&path)
        .map_err(|e| {
            Failure::new(
                exit::READ_ERROR,
                format!("cannot read {}: {e}", path.display()),
            )
        })?
        .len();
    Ok(Some(StreamedFile { path, size }))
}

/// The proxy for `url` as curl chooses it: `-x` (empty: none), else `https_proxy` or
/// `HTTPS_PROXY` for https URLs, `http_proxy` (lower case only, as curl) for http, then
/// `ALL_PROXY`/`all_proxy`; `--noproxy` or else `NO_PROXY`/`no_proxy` lists the hosts reached
/// directly. `env` reads the environment (a parameter, so tests choose it).
pub fn proxy_config(args: &Args, env: impl Fn(&str) -> Option<String>) -> Option<ProxyConfig> {
    let first = |names: &[&str]| {
        names
            .iter()
            .find_map(|name| env(name).filter(|v| !v.is_empty()))
    };
    let url = match &args.proxy {
        Some(url) => url.clone(),
        None if args.url.starts_with("https:") => {
            first(&["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"])?
        }
        None => first(&["http_proxy", "all_proxy", "ALL_PROXY"])?,
    };
    if url.is_empty() {
        return None;
    }
    let url = if url.contains("://") {
        url
    } else {
        format!("http://{url}")
    };
    let no_proxy = args
        .noproxy
        .clone()
        .or_else(|| first(&["NO_PROXY", "no_proxy"]))
        .unwrap_or_default()
        .split(',')
        .map(|entry| entry.trim().to_owned())
        .filter(|entry| !entry.is_empty())
        .collect();
    Some(ProxyConfig { url, no_proxy })
}

/// The request the flags describe: method (GET, or POST with a body, PUT with `-T`), headers
/// (a form Content-Type with a `-d`/`--data-binary` body that has none), body (a streamed one
/// is not in it: see [`streamed_file`]), timeouts, redirects, `--resolve` and the proxy.
pub fn build_request(args: &Args) -> Result<Request, Failure> {
    let body = match (args.data.as_deref(), args.data_binary.as_deref()) {
        (Some(data), _) => Some(request_body(data)?),
        (None, Some(data)) if !data.starts_with('@') => Some(data.as_bytes().to_vec()),
        _ => None,
    };
    let form = args.data.is_some() || args.data_binary.is_some();
    let method = args.method.clone().unwrap_or_else(|| {
        if args.upload_file.is_some() {
            "PUT"
        } else if form {
            "POST"
        } else {
            "GET"
        }
        .to_owned()
    });
    let mut headers = args
        .headers
        .iter()
        .map(|header| parse_header(header))
        .collect::<Result<Vec<_>, _>>()?;
    if form
        && !headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("content-type"))
    {
        headers.push(Header {
            name: "Content-Type".into(),
            value: b"application/x-www-form-urlencoded".to_vec(),
        });
    }
    let connect_overrides = args
        .resolve
        .iter()
        .map(|entry| parse_resolve(entry))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Request {
        method,
        url: args.url.clone(),
        headers,
        body,
        options: RequestOptions {
            connect_timeout_ms: seconds_to_millis(args.connect_timeout),
            handshake_timeout_ms: None,
            read_timeout_ms: None,
            redirects: args.location.then_some(RedirectPolicy {
                max_redirects: MAX_REDIRECTS,
                allow_https_to_http: false,
            }),
            timeout_ms: seconds_to_millis(args.max_time),
            connect_overrides,
            accept_encoding: None,
            proxy: proxy_config(args, |name| std::env::var(name).ok()),
        },
    })
}

/// `-d DATA`: the text itself, or the contents of FILE for `@FILE`.
fn request_body(data: &str) -> Result<Vec<u8>, Failure> {
    match data.strip_prefix('@') {
        Some(file) => std::fs::read(file)
            .map_err(|e| Failure::new(exit::READ_ERROR, format!("cannot read {file}: {e}"))),
        None => Ok(data.as_bytes().to_vec()),
    }
}

/// `-H 'Name: value'`, both sides trimmed.
pub fn parse_header(header: &str) -> Result<Header, Failure> {
    let (name, value) = header.split_once(':').ok_or_else(|| {
        Failure::new(
            exit::BAD_ARGUMENT,
            format!("header {header:?} is not 'Name: value'"),
        )
    })?;
    Ok(Header {
        name: name.trim().to_owned(),
        value: value.trim().as_bytes().to_vec(),
    })
}

/// `--resolve HOST:PORT:ADDR`, ADDR an IP address, possibly in brackets; HOST lower-cased.
pub fn parse_resolve(entry: &str) -> Result<ConnectOverride, Failure> {
    let bad = || {
        Failure::new(
            exit::BAD_ARGUMENT,
            format!("--resolve {entry:?} is not HOST:PORT:ADDR"),
        )
    };
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

/// `--connect-timeout` / `--max-time` seconds as milliseconds, at least 1 (so a tiny timeout
/// is a timeout, not "none").
pub fn seconds_to_millis(seconds: Option<f64>) -> Option<u64> {
    seconds.map(|s| (s * 1000.0).max(1.0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Args {
        Args::try_parse_from(std::iter::once("https-get").chain(args.iter().copied()))
            .expect("the flags parse")
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("https-get-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        dir
    }

    fn ca_pem() -> String {
        verified_https_testkit::pki::Pki::new("cli").root_pem()
    }

    #[test]
    fn flags_parse_in_curl_spelling_short_and_long() {
        let args = parse(&[
            "-k",
            "-X",
            "PUT",
            "-H",
            "A: 1",
            "--header",
            "B: 2",
            "-o",
            "out",
            "-i",
            "-s",
            "-v",
            "-f",
            "-L",
            "-m",
            "2.5",
            "--connect-timeout",
            "1",
            "--max-filesize",
            "10",
            "--json",
            "https://a.test/",
        ]);
        assert!(args.insecure && args.include && args.silent && args.verbose && args.fail);
        assert!(args.location && args.json);
        assert_eq!(args.method.as_deref(), Some("PUT"));
        assert_eq!(args.headers, ["A: 1", "B: 2"]);
        assert_eq!(args.output, Some(PathBuf::from("out")));
        assert_eq!(
            (args.max_time, args.connect_timeout),
            (Some(2.5), Some(1.0))
        );
        assert_eq!(args.max_filesize, Some(10));
        assert_eq!(args.url, "https://a.test/");
    }

    #[test]
    fn http2_is_asked_for_by_flag_and_the_last_version_flag_wins() {
        assert!(!parse(&["https://a.test/"]).http2);
        assert!(parse(&["--http2", "https://a.test/"]).http2);
        assert!(!parse(&["--http2", "--http1.1", "https://a.test/"]).http2);
        assert!(parse(&["--http1.1", "--http2", "https://a.test/"]).http2);
    }

    #[test]
    fn a_url_is_required_and_unknown_flags_are_refused() {
        assert!(Args::try_parse_from(["https-get"]).is_err());
        assert!(Args::try_parse_from(["https-get", "--bogus", "https://a.test/"]).is_err());
    }

    #[test]
    fn silent_wins_over_verbose() {
        assert!(parse(&["-v", "https://a.test/"]).is_verbose());
        assert!(!parse(&["-v", "-s", "https://a.test/"]).is_verbose());
        assert!(!parse(&["https://a.test/"]).is_verbose());
    }

    #[test]
    fn a_plain_get_has_no_body_headers_or_options() {
        let request = build_request(&parse(&["https://a.test/x"])).expect("a request");
        assert_eq!(request.method, "GET");
        assert_eq!(request.url, "https://a.test/x");
        assert!(request.headers.is_empty() && request.body.is_none());
        assert_eq!(
            request.options,
            crate::instance::get("https://a.test/x").options
        );
    }

    #[test]
    fn data_makes_a_form_post_unless_method_and_type_are_given() {
        let request = build_request(&parse(&["-d", "a=1", "https://a.test/"])).expect("a request");
        assert_eq!(request.method, "POST");
        assert_eq!(request.body.as_deref(), Some(&b"a=1"[..]));
        assert_eq!(request.headers[0].name, "Content-Type");
        assert_eq!(
            request.headers[0].value,
            b"application/x-www-form-urlencoded"
        );

        let request = build_request(&parse(&[
            "-X",
            "PUT",
            "-d",
            "{}",
            "-H",
            "content-type: application/json",
            "https://a.test/",
        ]))
        .expect("a request");
        assert_eq!(request.method, "PUT");
        assert_eq!(request.headers.len(), 1);
        assert_eq!(request.headers[0].value, b"application/json");
    }

    #[test]
    fn data_from_a_file_is_read_and_a_missing_file_exits_26() {
        let dir = temp_dir("data");
        let file = dir.join("body");
        std::fs::write(&file, b"from a file").expect("writing the body");
        let request = build_request(&parse(&[
            "-d",
            &format!("@{}", file.display()),
            "https://a.test/",
        ]))
        .expect("a request");
        assert_eq!(request.body.as_deref(), Some(&b"from a file"[..]));

        let missing = format!("@{}", dir.join("missing").display());
        let failure = build_request(&parse(&["-d", &missing, "https://a.test/"])).unwrap_err();
        assert_eq!(failure.code, exit::READ_ERROR);
        assert!(failure.message.starts_with("cannot read "), "{failure:?}");
    }

    #[test]
    fn headers_are_name_colon_value_trimmed() {
        let header = parse_header("  X-Thing :  a: b  ").expect("a header");
        assert_eq!(header.name, "X-Thing");
        assert_eq!(header.value, b"a: b");
        let header = parse_header("Empty:").expect("a header");
        assert_eq!(
            (header.name.as_str(), header.value.as_slice()),
            ("Empty", &b""[..])
        );

        let failure = parse_header("no colon").unwrap_err();
        assert_eq!(failure.code, exit::BAD_ARGUMENT);
        assert_eq!(failure.message, r#"header "no colon" is not 'Name: value'"#);
        let failure = build_request(&parse(&["-H", "bad", "https://a.test/"])).unwrap_err();
        assert_eq!(failure.code, exit::BAD_ARGUMENT);
    }

    #[test]
    fn resolve_takes_host_port_and_an_ip_address_in_or_out_of_brackets() {
        let entry = parse_resolve("Demo.Test:8443:127.0.0.1").expect("an override");
        assert_eq!(
            entry,
            ConnectOverride {
                host: "demo.test".into(),
                port: 8443,
                address: "127.0.0.1".into()
            }
        );
        assert_eq!(
            parse_resolve("a.test:443:[::1]")
                .expect("an override")
                .address,
            "::1"
        );
        assert_eq!(
            parse_resolve("a.test:443:::1")
                .expect("an override")
                .address,
            "::1"
        );

        let request = build_request(&parse(&[
            "--resolve",
            "a.test:1:127.0.0.1",
            "--resolve",
            "b.test:2:127.0.0.2",
            "https://a.test/",
        ]))
        .expect("a request");
        assert_eq!(request.options.connect_overrides.len(), 2);
    }

    #[test]
    fn resolve_refuses_names_missing_parts_and_bad_ports() {
        for entry in [
            "a.test",
            "a.test:443",
            "a.test:443:localhost",
            "a.test:https:127.0.0.1",
            "a.test:70000:127.0.0.1",
        ] {
            let failure = parse_resolve(entry).unwrap_err();
            assert_eq!(failure.code, exit::BAD_ARGUMENT, "{entry}");
            assert_eq!(
                failure.message,
                format!("--resolve {entry:?} is not HOST:PORT:ADDR")
            );
        }
    }

    #[test]
    fn timeouts_are_milliseconds_and_never_zero() {
        assert_eq!(seconds_to_millis(None), None);
        assert_eq!(seconds_to_millis(Some(2.0)), Some(2000));
        assert_eq!(seconds_to_millis(Some(0.25)), Some(250));
        assert_eq!(seconds_to_millis(Some(0.0)), Some(1));
        assert_eq!(seconds_to_millis(Some(0.0001)), Some(1));

        let request = build_request(&parse(&[
            "--connect-timeout",
            "0.5",
            "--max-time",
            "3",
            "https://a.test/",
        ]))
        .expect("a request");
        assert_eq!(request.options.connect_timeout_ms, Some(500));
        assert_eq!(request.options.timeout_ms, Some(3000));
        assert_eq!(request.options.read_timeout_ms, None);
    }

    #[test]
    fn location_follows_redirects_but_never_https_to_http() {
        let request = build_request(&parse(&["-L", "https://a.test/"])).expect("a request");
        assert_eq!(
            request.options.redirects,
            Some(RedirectPolicy {
                max_redirects: MAX_REDIRECTS,
                allow_https_to_http: false
            })
        );
    }

    #[test]
    fn without_flags_the_host_store_is_used_and_discovery_decides() {
        let choice = trust_choice(&parse(&["https://a.test/"])).expect("a choice");
        assert_eq!(choice, TrustChoice::HostStore);
        let options = choice
            .context_options(Some(7), TlsOptions::default())
            .expect("verified");
        assert_eq!(options.trust_anchors, TrustAnchors::Host);
        assert_eq!(options.limits.max_body_bytes, Some(7));
        assert_eq!(
            choice.host_body_limit(Some(7)),
            None,
            "the component applies it"
        );

        let found = choice.host_trust(
            || {
                Ok(TrustStore {
                    certificates: vec![b"der".to_vec()],
                    origin: "test".into(),
                })
            },
            |_| {},
        );
        assert_eq!(found, HostTrust::Anchors(vec![b"der".to_vec()]));
        let missing = choice.host_trust(|| Err("no trust store found".into()), |_| {});
        assert_eq!(
            missing,
            HostTrust::Unavailable("no trust store found".into())
        );
    }

    #[test]
    fn cacert_replaces_the_host_store_which_is_then_not_consulted() {
        let dir = temp_dir("cacert");
        let file = dir.join("ca.pem");
        std::fs::write(&file, ca_pem()).expect("writing the CA");
        let choice = trust_choice(&parse(&[
            "--cacert",
            &file.display().to_string(),
            "https://a.test/",
        ]))
        .expect("a choice");
        let TrustChoice::Explicit(roots) = &choice else {
            panic!("{choice:?}");
        };
        assert_eq!(roots.len(), 1);
        assert!(matches!(
            choice.context_options(None, TlsOptions::default()).map(|o| o.trust_anchors),
            Some(TrustAnchors::Der(der)) if der == *roots
        ));
        let host = choice.host_trust(|| panic!("the host store is not looked for"), |_| {});
        assert_eq!(host, HostTrust::Unavailable(NOT_CONSULTED.into()));
    }

    #[test]
    fn cacert_wins_over_capath_and_capath_reads_a_directory() {
        let dir = temp_dir("capath");
        std::fs::write(dir.join("a.pem"), ca_pem()).expect("writing a CA");
        std::fs::write(dir.join("b.pem"), ca_pem()).expect("writing a CA");
        let capath = dir.display().to_string();
        let choice =
            trust_choice(&parse(&["--capath", &capath, "https://a.test/"])).expect("a choice");
        assert!(
            matches!(&choice, TrustChoice::Explicit(roots) if roots.len() == 2),
            "{choice:?}"
        );

        let cacert = dir.join("a.pem").display().to_string();
        let choice = trust_choice(&parse(&[
            "--cacert",
            &cacert,
            "--capath",
            &capath,
            "https://a.test/",
        ]))
        .expect("a choice");
        assert!(
            matches!(&choice, TrustChoice::Explicit(roots) if roots.len() == 1),
            "{choice:?}"
        );
    }

    #[test]
    fn an_unusable_cacert_or_capath_exits_77_even_with_insecure() {
        let dir = temp_dir("unusable");
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "no certificate here").expect("writing a file");
        let missing = dir.join("missing.pem").display().to_string();
        let empty = empty.display().to_string();
        let empty_dir = temp_dir("unusable-dir").display().to_string();
        for flags in [
            vec!["--cacert", &missing],
            vec!["--cacert", &empty],
            vec!["--capath", &empty_dir],
            vec!["-k", "--cacert", &missing],
        ] {
            let args = parse(&[flags.as_slice(), &["https://a.test/"]].concat());
            let failure = trust_choice(&args).unwrap_err();
            assert_eq!(failure.code, exit::TRUST_STORE, "{flags:?}");
            assert!(failure.message.starts_with("trust store unavailable: "));
            assert!(
                failure.message.contains(flags[flags.len() - 2]),
                "{failure:?}"
            );
            assert!(failure.message.contains("SSL_CERT_FILE"), "{failure:?}");
        }
    }

    #[test]
    fn tls_flags_reach_the_context_options_of_a_verified_choice() {
        let pin = format!("sha256//{}=", "A".repeat(43));
        let args = parse(&[
            "--pinnedpubkey",
            &pin,
            "--tlsv1.3",
            "--tls-max",
            "1.3",
            "https://a.test/",
        ]);
        let tls = tls_options(&args).expect("TLS options");
        let options = trust_choice(&args)
            .expect("a choice")
            .context_options(None, tls)
            .expect("verified");
        assert_eq!(options.pinned_public_keys, vec![vec![0u8; 32]]);
        assert_eq!(
            (options.min_version, options.max_version),
            (Some(TlsVersion::Tls13), Some(TlsVersion::Tls13))
        );
        assert_eq!(options.client_identity, None);
    }

    #[test]
    fn insecure_is_the_unverified_context_and_consults_no_store() {
        let choice = trust_choice(&parse(&["-k", "https://a.test/"])).expect("a choice");
        assert_eq!(choice, TrustChoice::Unverified);
        assert_eq!(choice.context_options(None, TlsOptions::default()), None);
        let host = choice.host_trust(|| panic!("the host store is not looked for"), |_| {});
        assert_eq!(host, HostTrust::Unavailable(NOT_CONSULTED.into()));
    }

    #[test]
    fn max_filesize_with_insecure_is_applied_by_the_cli_since_the_unverified_context_takes_no_limits()
     {
        let choice = trust_choice(&parse(&["-k", "--max-filesize", "10", "https://a.test/"]))
            .expect("a choice");
        assert_eq!(
            choice.context_options(Some(10), TlsOptions::default()),
            None
        );
        assert_eq!(choice.host_body_limit(Some(10)), Some(10));
        assert_eq!(choice.host_body_limit(None), None);
    }

    #[test]
    fn failures_carry_curl_exit_codes_and_print_as_json() {
        let failure = Failure::new(
            exit_code(&ErrorCode::ConnectionTimeout),
            "connection timed out",
        );
        assert_eq!(failure.code, 28);
        assert_eq!(
            failure.to_json(),
            serde_json::json!({"error": {"exit_code": 28, "message": "connection timed out"}})
        );
        let failure = Failure::from(anyhow::anyhow!("cannot read the component"));
        assert_eq!(failure.code, exit::HOST_ERROR);
        assert_eq!(failure.message, "host error: cannot read the component");
    }
}
