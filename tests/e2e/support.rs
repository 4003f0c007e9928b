//! Shared by the end-to-end suites: the built component loaded once, clients on loopback, and
//! requests that point test names (`*.test`) at the loopback server.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::SystemTime;

use verified_https_host::runtime::{Runtime, default_component_path};
use verified_https_host::{ClientInstance, ContextHandle, HostConfig, HostTrust, ResponseHandle};
use verified_https_host::{ConnectOverride, ErrorCode, Request, RequestOptions};
use verified_https_testkit::pki::{Leaf, LeafSpec, Pki};
use verified_https_testkit::server::{self, TestServer, Versions};

/// The component, compiled once per test process (and cached on disk between runs).
pub(crate) fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let component = default_component_path();
        assert!(
            component.exists(),
            "the component is not built at {}; run `make test` (or `make component`) first",
            component.display()
        );
        let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("component-cache");
        Runtime::load(&component, Some(&cache))
            .expect("loading the component")
            .0
    })
}

/// The host-crypto build, compiled once per test process.
pub(crate) fn lending_runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let component = default_component_path().with_file_name("verified-https-host-crypto.wasm");
        assert!(
            component.exists(),
            "the host-crypto build is not at {}; run `make component` first",
            component.display()
        );
        let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("component-cache");
        Runtime::load(&component, Some(&cache))
            .expect("loading the host-crypto build")
            .0
    })
}

/// A client on loopback trusting `trust`, with the real clock.
pub(crate) fn client(trust: HostTrust) -> ClientInstance {
    ClientInstance::new(runtime(), HostConfig::loopback(trust))
        .expect("instantiating the component")
}

/// A client on loopback trusting `trust`, whose wall clock stands at `time`.
pub(crate) fn client_at(trust: HostTrust, time: SystemTime) -> ClientInstance {
    let mut config = HostConfig::loopback(trust);
    config.wall_clock = Some(time);
    ClientInstance::new(runtime(), config).expect("instantiating the component")
}

/// `https://host:port/path`, with brackets around an IPv6 literal.
pub(crate) fn url_for(host: &str, port: u16, path: &str) -> String {
    match host.parse::<std::net::Ipv6Addr>() {
        Ok(_) => format!("https://[{host}]:{port}{path}"),
        Err(_) => format!("https://{host}:{port}{path}"),
    }
}

/// A request of `method` for `https://{host}:{port}{path}` on `server`, connecting to
/// 127.0.0.1.
pub(crate) fn request_to(server: &TestServer, method: &str, host: &str, path: &str) -> Request {
    request_to_port(server.port(), method, host, path)
}

/// A request of `method` for `https://{host}:{port}{path}`, connecting to 127.0.0.1 (for
/// servers that are not a `TestServer`, such as nginx).
pub(crate) fn request_to_port(port: u16, method: &str, host: &str, path: &str) -> Request {
    let mut request = Request {
        method: method.into(),
        url: url_for(host, port, path),
        headers: Vec::new(),
        body: None,
        options: RequestOptions {
            connect_timeout_ms: Some(10_000),
            handshake_timeout_ms: None,
            read_timeout_ms: None,
            redirects: None,
            timeout_ms: Some(60_000),
            connect_overrides: Vec::new(),
            accept_encoding: None,
            proxy: None,
        },
    };
    resolve_to_loopback(&mut request, host, port);
    request
}

/// Makes `request` connect to 127.0.0.1 whenever it goes to `host:port` (curl's `--resolve`).
pub(crate) fn resolve_to_loopback(request: &mut Request, host: &str, port: u16) {
    request.options.connect_overrides.push(ConnectOverride {
        host: host.into(),
        port,
        address: "127.0.0.1".into(),
    });
}

/// A client CA named `label` and a client certificate (client.test) under it.
pub(crate) fn client_pki(label: &str) -> (Pki, Leaf) {
    let clients = Pki::new(label);
    let leaf = clients.leaf(&LeafSpec::new(&["client.test"]).client_auth_only());
    (clients, leaf)
}

/// A rustls server for good.test (a leaf of `pki`) that requires a client certificate issued
/// under `clients`, answering `body`.
pub(crate) fn mtls_server(
    pki: &Pki,
    clients: &Pki,
    versions: Versions,
    body: &'static [u8],
) -> TestServer {
    let config = server::client_auth_config(
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        versions,
        &[clients.root_der().into()],
    );
    TestServer::start(Some(config), server::fixed(200, body))
}

/// GET `host` on `server` through a context of `client`; the response with its whole body.
pub(crate) fn fetch(
    client: &mut ClientInstance,
    verified: bool,
    request: &Request,
) -> Result<(ResponseHandle, Vec<u8>), ErrorCode> {
    let context = if verified {
        client.default_context().expect("no trap")?
    } else {
        client.unverified_context().expect("no trap")
    };
    fetch_through(client, context, request)
}

/// Sends `request` through `context`; the response with its whole body.
pub(crate) fn fetch_through(
    client: &mut ClientInstance,
    context: ContextHandle,
    request: &Request,
) -> Result<(ResponseHandle, Vec<u8>), ErrorCode> {
    let response = client.send(context, request).expect("no trap")?;
    let body = client.read_to_end(&response).expect("no trap")?;
    Ok((response, body))
}
