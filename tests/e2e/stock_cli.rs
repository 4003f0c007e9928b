//! The composed commands (`target/composed/get-*.wasm`) and the composed edge function under
//! the stock wasmtime CLI (wasmtime-cli from crates.io, the host's wasmtime version; `make
//! wasmtime` installs it and `make test` names it in `WASMTIME_CLI`), exactly as a user who has
//! only wasmtime runs them, against TLS servers on loopback. Nothing of this project's hosts
//! is involved: the trust comes from trust-files, over the directory given with `--dir`.

use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use verified_https_testkit::pki::{LeafSpec, Pki};
use verified_https_testkit::server::{self, TestServer, Versions};

use crate::composed::composed;
use crate::edge::call_at;

/// The wasmtime version of the host (Cargo.lock), which the stock CLI must match.
const WASMTIME_VERSION: &str = "48.0.8";

/// The longest a command may run before the test calls it hung.
const COMMAND_LIMIT: Duration = Duration::from_secs(60);

/// The stock CLI: `WASMTIME_CLI` (set by `make test`), else `wasmtime` on the PATH; it must be
/// the host's version.
pub(crate) fn wasmtime_cli() -> PathBuf {
    let cli =
        std::env::var_os("WASMTIME_CLI").map_or_else(|| PathBuf::from("wasmtime"), PathBuf::from);
    let version = Command::new(&cli)
        .arg("--version")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} ({e}): run `make wasmtime` and set WASMTIME_CLI (make test does)",
                cli.display()
            )
        });
    let version = String::from_utf8_lossy(&version.stdout).into_owned();
    assert!(
        version.starts_with(&format!("wasmtime {WASMTIME_VERSION}")),
        "{} is {version:?}, not wasmtime {WASMTIME_VERSION}",
        cli.display()
    );
    cli
}

/// A fresh directory under the test target directory holding `files` (name, contents): what
/// `--dir` maps to `/etc/ssl/certs`.
pub(crate) fn trust_directory(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("stock-cli-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, contents) in files {
        std::fs::write(dir.join(file), contents).unwrap();
    }
    dir
}

/// `--dir DIR::/etc/ssl/certs`.
pub(crate) fn certs_dir(dir: &Path) -> String {
    format!("{}::/etc/ssl/certs", dir.display())
}

/// Waits for `child` to exit, killing it after `COMMAND_LIMIT`; its stdout and stderr are
/// read meanwhile (a body larger than a pipe's buffer would otherwise block it).
fn wait_with_limit(mut child: Child) -> Output {
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.read_to_end(&mut bytes).unwrap();
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > COMMAND_LIMIT {
            let _ = child.kill();
            panic!("the command ran for more than {COMMAND_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// `wasmtime run -S inherit-network -S allow-ip-name-lookup --dir DIR::/etc/ssl/certs
/// COMMAND URL`, as the README shows it.
fn run_command(command: &str, trust: &Path, url: &str) -> Output {
    run_with_limit(
        Command::new(wasmtime_cli())
            .args([
                "run",
                "-S",
                "inherit-network",
                "-S",
                "allow-ip-name-lookup",
                "--dir",
            ])
            .arg(certs_dir(trust))
            .arg(composed(command))
            .arg(url),
    )
}

/// Runs `command` without stdin, its stdout and stderr captured, within `COMMAND_LIMIT`.
pub(crate) fn run_with_limit(command: &mut Command) -> Output {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_with_limit(child)
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A body of `len` bytes that shows any lost, doubled or reordered piece.
pub(crate) fn numbered_body(len: usize) -> &'static [u8] {
    let body: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    Box::leak(body.into_boxed_slice())
}

/// Each composed command: a verified fetch writes the whole body on stdout and exits 0.
fn a_verified_fetch_writes_the_body_and_exits_0(command: &str) {
    let pki = Pki::new("stock-ok");
    let body = numbered_body(300_000);
    let server = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["127.0.0.1"])),
        Versions::Both,
        server::fixed(200, body),
    );
    let trust = trust_directory(&format!("{command}-ok"), &[("ca.pem", &pki.root_pem())]);
    let output = run_command(command, &trust, &server.url("https", "127.0.0.1", "/data"));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        output.stdout == body,
        "{} bytes on stdout",
        output.stdout.len()
    );
    assert_eq!(server.connections(), 1);
}

/// Each composed command: a certificate for another name is refused with exit 60 and the
/// client's message; no body is written.
fn a_certificate_for_another_name_exits_60_with_the_message(command: &str) {
    let pki = Pki::new("stock-name");
    let server = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["other.test"])),
        Versions::Both,
        server::fixed(200, b"must not be shown"),
    );
    let trust = trust_directory(&format!("{command}-name"), &[("ca.pem", &pki.root_pem())]);
    let output = run_command(command, &trust, &server.url("https", "127.0.0.1", "/"));
    assert_eq!(output.status.code(), Some(60), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
    assert!(
        stderr(&output).contains(
            "certificate verify failed: hostname mismatch, certificate is not valid for \
             '127.0.0.1' (it is valid for other.test)"
        ),
        "{}",
        stderr(&output)
    );
}

/// Each composed command: a trust directory without a certificate exits 77, naming the
/// directory, and connects nowhere.
fn an_empty_trust_directory_exits_77_and_connects_nowhere(command: &str) {
    let pki = Pki::new("stock-empty");
    let server = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["127.0.0.1"])),
        Versions::Both,
        server::fixed(200, b"must not be fetched"),
    );
    let trust = trust_directory(
        &format!("{command}-empty"),
        &[("README", "no certificates")],
    );
    let output = run_command(command, &trust, &server.url("https", "127.0.0.1", "/"));
    assert_eq!(output.status.code(), Some(77), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("no PEM certificates in /etc/ssl/certs"),
        "{}",
        stderr(&output)
    );
    assert_eq!(server.connections(), 0);
}

#[test]
fn get_rs_under_the_stock_cli_writes_a_verified_body_and_exits_0() {
    a_verified_fetch_writes_the_body_and_exits_0("get-rs.wasm");
}

#[test]
fn get_rs_under_the_stock_cli_refuses_a_certificate_for_another_name_with_60() {
    a_certificate_for_another_name_exits_60_with_the_message("get-rs.wasm");
}

#[test]
fn get_rs_under_the_stock_cli_exits_77_without_trust_anchors() {
    an_empty_trust_directory_exits_77_and_connects_nowhere("get-rs.wasm");
}

/// `wasmtime serve` of the composed edge function, killed on drop.
struct Served {
    child: Child,
    addr: SocketAddr,
}

impl Served {
    /// `wasmtime serve -S cli -S inherit-network --dir DIR::/etc/ssl/certs --addr ADDR
    /// edge-function.wasm` on a free loopback port, once it accepts connections.
    fn edge_function(trust: &Path) -> Self {
        let addr = {
            let probe = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
            probe.local_addr().unwrap()
        };
        let child = Command::new(wasmtime_cli())
            .args(["serve", "-S", "cli", "-S", "inherit-network", "--dir"])
            .arg(certs_dir(trust))
            .arg("--addr")
            .arg(addr.to_string())
            .arg(composed("edge-function.wasm"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut served = Served { child, addr };
        let start = Instant::now();
        while TcpStream::connect(addr).is_err() {
            if let Some(status) = served.child.try_wait().unwrap() {
                panic!("wasmtime serve exited: {status}");
            }
            assert!(
                start.elapsed() < COMMAND_LIMIT,
                "wasmtime serve never listened"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        served
    }

    /// `GET /` naming `upstream`; the status and the whole answer.
    fn call(&self, upstream: &str) -> (u16, String) {
        call_at(self.addr, upstream)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn wasmtime_serve_runs_the_edge_function_with_verified_and_refused_upstreams() {
    let pki = Pki::new("stock-serve");
    let upstream = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["127.0.0.1"])),
        Versions::Both,
        server::fixed(200, b"upstream says hello"),
    );
    let impostor = TestServer::https(
        &Pki::new("stock-serve-impostor").leaf(&LeafSpec::new(&["127.0.0.1"])),
        Versions::Both,
        server::fixed(200, b"must not be relayed"),
    );
    let trust = trust_directory("serve", &[("ca.pem", &pki.root_pem())]);
    let served = Served::edge_function(&trust);

    let (status, answer) = served.call(&upstream.url("https", "127.0.0.1", "/api"));
    assert_eq!(status, 200, "{answer}");
    assert!(
        answer.contains("\r\n\r\n13\r\nupstream says hello\r\n"),
        "{answer}"
    );

    let (status, answer) = served.call(&impostor.url("https", "127.0.0.1", "/api"));
    assert_eq!(status, 502, "{answer}");
    assert!(
        answer.contains("certificate verify failed: unable to get local issuer certificate"),
        "{answer}"
    );
    assert!(!answer.contains("must not be relayed"), "{answer}");
}

#[test]
fn get_py_under_the_stock_cli_writes_a_verified_body_and_exits_0() {
    a_verified_fetch_writes_the_body_and_exits_0("get-py.wasm");
}

#[test]
fn get_py_under_the_stock_cli_refuses_a_certificate_for_another_name_with_60() {
    a_certificate_for_another_name_exits_60_with_the_message("get-py.wasm");
}

#[test]
fn get_py_under_the_stock_cli_exits_77_without_trust_anchors() {
    an_empty_trust_directory_exits_77_and_connects_nowhere("get-py.wasm");
}

#[test]
fn get_js_under_the_stock_cli_writes_a_verified_body_and_exits_0() {
    a_verified_fetch_writes_the_body_and_exits_0("get-js.wasm");
}

#[test]
fn get_js_under_the_stock_cli_refuses_a_certificate_for_another_name_with_60() {
    a_certificate_for_another_name_exits_60_with_the_message("get-js.wasm");
}

#[test]
fn get_js_under_the_stock_cli_exits_77_without_trust_anchors() {
    an_empty_trust_directory_exits_77_and_connects_nowhere("get-js.wasm");
}
