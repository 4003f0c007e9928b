//! `make demo`: a loopback HTTPS server with a freshly generated CA, and `https-get` run against
//! it the way a user would: a verified fetch, a refused wrong-host fetch, an explicit unverified
//! fetch, and a missing trust store. No internet needed.

#![allow(
    clippy::expect_used,
    reason = "a demonstration: a setup failure stops it with the reason"
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use verified_https_testkit::pki::{LeafSpec, Pki};
use verified_https_testkit::server::{Ending, SeenRequest, TestServer, Versions};

fn main() {
    let dir = std::env::temp_dir().join(format!("verified-https-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("creating the demo directory");
    let pki = Pki::new("verified-https demo");
    let ca = dir.join("demo-ca.pem");
    std::fs::write(&ca, pki.root_pem()).expect("writing the CA");
    let leaf = pki.leaf(&LeafSpec::new(&["demo.test"]));
    let server = TestServer::https(
        &leaf,
        Versions::Both,
        Arc::new(|request: &SeenRequest, out: &mut dyn Write| {
            let line = request.head.lines().next().unwrap_or_default();
            let body = format!("hello from a loopback server; you asked: {line}\n");
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )?;
            Ok(Ending::CloseNotify)
        }),
    );
    let port = server.port();
    let https_get = sibling_binary("https-get");
    let ca_arg = ca.display().to_string();
    println!(
        "A fresh CA was generated at {ca_arg}; a TLS server for demo.test listens on 127.0.0.1:{port}.\n"
    );

    let resolve = |host: &str| format!("{host}:{port}:127.0.0.1");
    let url = |host: &str| format!("https://{host}:{port}/hello");
    run(
        "1. Verified fetch: the chain and the name check out",
        &https_get,
        &[
            "-v",
            "--cacert",
            &ca_arg,
            "--resolve",
            &resolve("demo.test"),
            &url("demo.test"),
        ],
        &[],
    );
    run(
        "2. The same server under another name: refused, with the reason",
        &https_get,
        &[
            "--cacert",
            &ca_arg,
            "--resolve",
            &resolve("wrong.test"),
            &url("wrong.test"),
        ],
        &[],
    );
    run(
        "3. No trust store at all: a clear error, and no connection is made",
        &https_get,
        &["--resolve", &resolve("demo.test"), &url("demo.test")],
        &[("SSL_CERT_FILE", "/nonexistent/ca-bundle.crt")],
    );
    run(
        "4. The one explicit opt-out: encrypted, NOT verified, and it says so",
        &https_get,
        &[
            "-k",
            "-v",
            "--resolve",
            &resolve("wrong.test"),
            &url("wrong.test"),
        ],
        &[],
    );
    println!(
        "The server accepted {} connections (case 3 made none).",
        server.connections()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn run(title: &str, program: &Path, args: &[&str], env: &[(&str, &str)]) {
    println!("== {title}");
    let shown_env: String = env.iter().map(|(k, v)| format!("{k}={v} ")).collect();
    println!("$ {shown_env}https-get {}", args.join(" "));
    let output = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("running https-get");
    for line in String::from_utf8_lossy(&output.stderr).lines() {
        println!("  [stderr] {line}");
    }
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        println!("  {line}");
    }
    println!("  (exit code {})\n", output.status.code().unwrap_or(-1));
}

/// A binary built beside this one.
fn sibling_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the demo's own path");
    exe.with_file_name(name)
}
