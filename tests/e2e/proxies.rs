//! Proxies through the component: Debian's tinyproxy on loopback, by option and (through
//! `https-get`) by environment, bypassed by `NO_PROXY`; a wrong certificate behind the proxy
//! is still a certificate error; a proxy that refuses CONNECT, or wants credentials, is
//! `proxy-error` with its status; and an https:// proxy, itself verified.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use verified_https_host::{ErrorCode, HostTrust, ProxyConfig, ProxyErrorPayload, Request};
use verified_https_testkit::pki::{LeafSpec, Pki};
use verified_https_testkit::server::{self, TestServer, Versions};
use verified_https_testkit::tinyproxy::{Tinyproxy, TinyproxySpec};

use crate::cli::{ca_dir, https_get, run};
use crate::support::{client, fetch, request_to};

fn through(mut request: Request, proxy: &str, no_proxy: &[&str]) -> Request {
    request.options.proxy = Some(ProxyConfig {
        url: proxy.into(),
        no_proxy: no_proxy.iter().map(|s| s.to_string()).collect(),
    });
    request
}

fn tinyproxy(name: &str, spec: &TinyproxySpec) -> Tinyproxy {
    Tinyproxy::start(name, spec).expect("tinyproxy (make test installs Debian's tinyproxy)")
}

/// How many CONNECT tunnels tinyproxy has opened (it logs each one).
fn tunnels(proxy: &Tinyproxy) -> usize {
    proxy
        .log()
        .matches("Established connection to host")
        .count()
}

#[test]
fn a_request_goes_through_tinyproxy_verified_end_to_end_and_no_proxy_goes_around_it() {
    let pki = Pki::new("proxy-basic");
    let server = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        Versions::Both,
        server::fixed(200, b"through the tunnel"),
    );
    let proxy = tinyproxy("basic", &TinyproxySpec::default());
    let mut client = client(HostTrust::Anchors(vec![pki.root_der()]));
    let request = through(
        request_to(&server, "GET", "good.test", "/"),
        &proxy.url(),
        &[],
    );
    let (response, body) = fetch(&mut client, true, &request).expect("through the proxy");
    assert_eq!(
        (response.status, body.as_slice()),
        (200, &b"through the tunnel"[..])
    );
    assert!(response.tls.as_ref().is_some_and(|tls| tls.verified));
    assert_eq!(tunnels(&proxy), 1, "{}", proxy.log());

    let bypassed = through(
        request_to(&server, "GET", "good.test", "/"),
        &proxy.url(),
        &["good.test"],
    );
    let (response, _) = fetch(&mut client, true, &bypassed).expect("direct");
    assert_eq!(response.status, 200);
    assert_eq!(tunnels(&proxy), 1, "NO_PROXY bypassed the proxy");
}

#[test]
fn a_wrong_certificate_behind_the_proxy_is_still_a_certificate_error() {
    let pki = Pki::new("proxy-wrong-name");
    let server = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["other.test"])),
        Versions::Both,
        server::fixed(200, b"never"),
    );
    let proxy = tinyproxy("wrong-name", &TinyproxySpec::default());
    let mut client = client(HostTrust::Anchors(vec![pki.root_der()]));
    let request = through(
        request_to(&server, "GET", "good.test", "/"),
        &proxy.url(),
        &[],
    );
    let err = fetch(&mut client, true, &request).unwrap_err();
    assert!(matches!(err, ErrorCode::TlsCertificateError(_)), "{err:?}");
    assert_eq!(tunnels(&proxy), 1);
}

#[test]
fn a_proxy_that_refuses_connect_or_wants_credentials_is_a_proxy_error_with_its_status() {
    let pki = Pki::new("proxy-refuse");
    let server = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        Versions::Both,
        server::fixed(200, b"ok"),
    );
    let mut client = client(HostTrust::Anchors(vec![pki.root_der()]));
    let only_443 = tinyproxy(
        "refuse",
        &TinyproxySpec {
            connect_ports: vec![443],
            ..TinyproxySpec::default()
        },
    );
    let request = through(
        request_to(&server, "GET", "good.test", "/"),
        &only_443.url(),
        &[],
    );
    let err = fetch(&mut client, true, &request).unwrap_err();
    assert!(
        matches!(
            &err,
            ErrorCode::ProxyError(ProxyErrorPayload { status: 403, .. })
        ),
        "{err:?}"
    );
    assert_eq!(server.connections(), 0);

    let guarded = tinyproxy(
        "auth",
        &TinyproxySpec {
            basic_auth: Some(("alice".into(), "s3cret".into())),
            ..TinyproxySpec::default()
        },
    );
    let request = through(
        request_to(&server, "GET", "good.test", "/"),
        &guarded.url(),
        &[],
    );
    let err = fetch(&mut client, true, &request).unwrap_err();
    assert!(
        matches!(
            &err,
            ErrorCode::ProxyError(ProxyErrorPayload { status: 407, .. })
        ),
        "{err:?}"
    );
    let with_credentials = format!("http://alice:s3cret@127.0.0.1:{}", guarded.port());
    let request = through(
        request_to(&server, "GET", "good.test", "/"),
        &with_credentials,
        &[],
    );
    let (response, _) = fetch(&mut client, true, &request).expect("with credentials");
    assert_eq!(response.status, 200);
    // The credentials went to the proxy only.
    assert!(
        server
            .requests()
            .iter()
            .all(|r| !r.head.to_ascii_lowercase().contains("proxy-authorization"))
    );
}

/// An https:// proxy: TLS from the client to it (its certificate verified by the request's
/// context), CONNECT inside, and bytes relayed to the target; counts its tunnels.
fn https_proxy(leaf: &verified_https_testkit::pki::Leaf) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let config = server::server_config(leaf, Versions::Both);
    let tunnels = Arc::new(AtomicUsize::new(0));
    let counted = tunnels.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (config, counted) = (config.clone(), counted.clone());
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).expect("server");
                let mut tls = rustls::StreamOwned::new(conn, stream);
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if tls.read(&mut byte).unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let text = String::from_utf8_lossy(&head).into_owned();
                let Some(authority) = text
                    .strip_prefix("CONNECT ")
                    .and_then(|t| t.split(' ').next())
                else {
                    return;
                };
                let Ok(mut upstream) = TcpStream::connect(authority) else {
                    return;
                };
                counted.fetch_add(1, Ordering::SeqCst);
                let _ = tls.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                let _ = tls.flush();
                let mut down = upstream.try_clone().expect("clone");
                // Relay: one thread each way would need the TLS stream twice; alternate with
                // short timeouts instead.
                tls.sock
                    .set_read_timeout(Some(std::time::Duration::from_millis(5)))
                    .ok();
                down.set_read_timeout(Some(std::time::Duration::from_millis(5)))
                    .ok();
                let mut buf = vec![0u8; 64 * 1024];
                while relay(&mut tls, &mut upstream, &mut buf)
                    && relay(&mut down, &mut tls, &mut buf)
                {}
                let _ = upstream.shutdown(Shutdown::Both);
            });
        }
    });
    (port, tunnels)
}

/// Moves what `from` has (waiting at most its read timeout) to `to`; false once either ends.
fn relay(from: &mut impl Read, to: &mut impl Write, buf: &mut [u8]) -> bool {
    match from.read(buf) {
        Ok(0) => false,
        Ok(n) => to.write_all(&buf[..n]).and_then(|()| to.flush()).is_ok(),
        Err(e) => matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

#[test]
fn an_https_proxy_is_verified_with_the_context_and_carries_the_servers_own_tls() {
    let pki = Pki::new("proxy-https");
    let server = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        Versions::Both,
        server::fixed(200, b"tls in tls"),
    );
    let (port, tunnels) = https_proxy(&pki.leaf(&LeafSpec::new(&["proxy.test"])));
    let mut client = client(HostTrust::Anchors(vec![pki.root_der()]));
    let mut request = through(
        request_to(&server, "GET", "good.test", "/"),
        &format!("https://proxy.test:{port}"),
        &[],
    );
    crate::support::resolve_to_loopback(&mut request, "proxy.test", port);
    let (response, body) = fetch(&mut client, true, &request).expect("through the https proxy");
    assert_eq!(
        (response.status, body.as_slice()),
        (200, &b"tls in tls"[..])
    );
    assert_eq!(tunnels.load(Ordering::SeqCst), 1);

    // A proxy whose certificate does not verify is refused before any tunnel.
    let stranger = Pki::new("proxy-https-stranger");
    let (port, tunnels) = https_proxy(&stranger.leaf(&LeafSpec::new(&["proxy.test"])));
    let mut request = through(
        request_to(&server, "GET", "good.test", "/"),
        &format!("https://proxy.test:{port}"),
        &[],
    );
    crate::support::resolve_to_loopback(&mut request, "proxy.test", port);
    let err = fetch(&mut client, true, &request).unwrap_err();
    assert!(matches!(err, ErrorCode::TlsCertificateError(_)), "{err:?}");
    assert_eq!(tunnels.load(Ordering::SeqCst), 0);
}

#[test]
fn https_get_takes_the_proxy_from_x_and_the_environment_and_no_proxy_bypasses_it() {
    let pki = Pki::new("proxy-cli");
    let good = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        Versions::Both,
        server::keep_alive(200, b"hello via proxy", 100),
    );
    let wrong = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["other.test"])),
        Versions::Both,
        server::fixed(200, b"never"),
    );
    let proxy = tinyproxy("cli", &TinyproxySpec::default());
    let refusing = tinyproxy(
        "cli-refuse",
        &TinyproxySpec {
            connect_ports: vec![443],
            ..TinyproxySpec::default()
        },
    );
    let dir = ca_dir(&pki, "proxy");
    let get = |server: &TestServer| {
        let mut command = https_get();
        command
            .env_remove("https_proxy")
            .env_remove("HTTPS_PROXY")
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .arg("--cacert")
            .arg(dir.join("ca.pem"))
            .args([
                "--resolve",
                &format!("good.test:{}:127.0.0.1", server.port()),
            ])
            .arg(server.url("https", "good.test", "/"));
        command
    };
    let (code, stdout, stderr) = run(get(&good).args(["-x", &proxy.url()]));
    assert_eq!((code, stdout.as_str()), (0, "hello via proxy"), "{stderr}");
    assert_eq!(tunnels(&proxy), 1);
    let (code, stdout, stderr) = run(get(&good)
        .env("HTTPS_PROXY", format!("127.0.0.1:{}", proxy.port()))
        .arg("-v"));
    assert_eq!((code, stdout.as_str()), (0, "hello via proxy"), "{stderr}");
    assert!(stderr.contains("* proxy: http://127.0.0.1:"), "{stderr}");
    assert_eq!(tunnels(&proxy), 2);
    let (code, _, stderr) = run(get(&good)
        .env("https_proxy", proxy.url())
        .env("NO_PROXY", "example.test,.good.test"));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(tunnels(&proxy), 2, "NO_PROXY went around the proxy");
    let (code, _, stderr) = run(get(&good)
        .env("https_proxy", proxy.url())
        .args(["--noproxy", "*"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(tunnels(&proxy), 2, "--noproxy went around the proxy");

    let (code, _, stderr) = run(get(&wrong).args(["-x", &proxy.url()]));
    assert_eq!(code, 60, "{stderr}");
    assert!(
        stderr.contains("certificate verify failed: hostname mismatch"),
        "{stderr}"
    );
    let (code, _, stderr) = run(get(&good).args(["-x", &refusing.url()]));
    assert_eq!(code, 56, "{stderr}");
    assert!(
        stderr.contains("the proxy refused the tunnel: 403"),
        "{stderr}"
    );
}
