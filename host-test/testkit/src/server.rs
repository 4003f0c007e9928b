//! Loopback test servers: real TLS (rustls) or plain TCP on 127.0.0.1, port 0, one thread per
//! connection, shut down on drop. A handler writes whatever bytes a test needs.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use rustls::ServerConfig;
use rustls_pki_types::CertificateDer;

use crate::pki::Leaf;

/// A request as the server received it.
#[derive(Debug, Clone, Default)]
pub struct SeenRequest {
    /// The request line and header section, as text.
    pub head: String,
    /// The body (by Content-Length).
    pub body: Vec<u8>,
    /// The client's certificate (DER, end-entity), if it presented one (TLS servers only).
    pub client_certificate: Option<Vec<u8>>,
}

/// How the server ends a connection after the handler has written its response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// TLS close_notify, then TCP close: a proper end.
    CloseNotify,
    /// TCP close without close_notify: what a truncation attack looks like.
    Abrupt,
    /// Keep the connection open for the client's next request (TLS servers only).
    KeepAlive,
    /// A TCP reset (RST, via SO_LINGER 0) instead of a close: a connection torn down mid-way.
    Reset,
}

/// Writes the response to a request; returns how to end the connection.
pub type Handler = Arc<dyn Fn(&SeenRequest, &mut dyn Write) -> io::Result<Ending> + Send + Sync>;

/// Which TLS versions a server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versions {
    /// TLS 1.2 and 1.3.
    Both,
    /// TLS 1.2 only.
    Tls12Only,
    /// TLS 1.3 only.
    Tls13Only,
}

/// A running loopback server.
pub struct TestServer {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    resumed: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<SeenRequest>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// An HTTPS server presenting `leaf`.
    pub fn https(leaf: &Leaf, versions: Versions, handler: Handler) -> Self {
        Self::start(Some(server_config(leaf, versions)), handler)
    }

    /// A plain-HTTP server.
    pub fn http(handler: Handler) -> Self {
        Self::start(None, handler)
    }

    /// An HTTPS server presenting `leaf` on the IPv6 loopback address `[::1]`.
    pub fn https_ipv6(leaf: &Leaf, versions: Versions, handler: Handler) -> Self {
        Self::start_on("[::1]:0", Some(server_config(leaf, versions)), handler)
    }

    /// Starts serving on 127.0.0.1 with an OS-chosen port.
    pub fn start(tls: Option<Arc<ServerConfig>>, handler: Handler) -> Self {
        Self::start_on("127.0.0.1:0", tls, handler)
    }

    /// Starts serving on `bind` (a loopback address with port 0: the OS chooses the port).
    fn start_on(bind: &str, tls: Option<Arc<ServerConfig>>, handler: Handler) -> Self {
        let listener =
            TcpListener::bind(bind).expect("a free loopback port (tests need 127.0.0.1 and ::1)");
        let addr = listener
            .local_addr()
            .expect("a bound listener has a local address");
        let connections = Arc::new(AtomicUsize::new(0));
        let resumed = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (connections, resumed, requests, stop) = (
                connections.clone(),
                resumed.clone(),
                requests.clone(),
                stop.clone(),
            );
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    connections.fetch_add(1, Ordering::SeqCst);
                    let (tls, handler, requests, resumed) = (
                        tls.clone(),
                        handler.clone(),
                        requests.clone(),
                        resumed.clone(),
                    );
                    std::thread::spawn(move || {
                        let _ = serve(stream, tls, &handler, &requests, &resumed);
                    });
                }
            })
        };
        TestServer {
            addr,
            connections,
            resumed,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `https://HOST:PORT/path` (or http) for a host name of the test's choosing.
    pub fn url(&self, scheme: &str, host: &str, path: &str) -> String {
        format!("{scheme}://{host}:{}{path}", self.port())
    }

    /// How many TCP connections it has accepted.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// How many TLS handshakes resumed an earlier session.
    pub fn resumed(&self) -> usize {
        self.resumed.load(Ordering::SeqCst)
    }

    /// The requests it has read so far.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag; this connection is not counted.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A rustls server configuration presenting `leaf`, with ALPN http/1.1.
pub fn server_config(leaf: &Leaf, versions: Versions) -> Arc<ServerConfig> {
    try_server_config(leaf, versions)
        .expect("a key rustls loads: every `pki` key is (others: `try_server_config`)")
}

/// The same, or why rustls cannot use the leaf's key (for keys from test suites).
pub fn try_server_config(leaf: &Leaf, versions: Versions) -> Result<Arc<ServerConfig>, String> {
    build_server_config(leaf, versions, None)
}

/// A server configuration presenting `leaf` but signing the handshake with `impostor`'s key:
/// what a server that copied someone else's certificate looks like.
pub fn impostor_config(leaf: &Leaf, impostor: &Leaf) -> Arc<ServerConfig> {
    build_server_config(leaf, Versions::Both, Some(impostor))
        .expect("a key rustls loads: every `pki` key is (others: `try_server_config`)")
}

/// A server configuration presenting `leaf` that requires a client certificate issued under
/// one of `client_roots` (mutual TLS), as a server for an internal API would.
pub fn client_auth_config(
    leaf: &Leaf,
    versions: Versions,
    client_roots: &[CertificateDer<'static>],
) -> Arc<ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for root in client_roots {
        roots
            .add(root.clone())
            .expect("a `pki` root is a valid anchor");
    }
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .expect("a verifier over one root");
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(protocol_versions(versions))
        .expect("ring's provider supports TLS 1.2 and 1.3")
        .with_client_cert_verifier(verifier)
        .with_single_cert(leaf.chain.clone(), leaf.key.clone_key())
        .expect("a `pki` leaf's key matches its certificate");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// A server configuration presenting `leaf` that chooses for itself, as Debian's nginx
/// (`ssl_prefer_server_ciphers on`), Python's `ssl` and most Java servers do: the first of
/// `suites` the client offers, whatever the client prefers (rustls's `ignore_client_order`),
/// and only `groups` for the key exchange (all of ring's when empty; one the client did not
/// send a share for costs a HelloRetryRequest).
pub fn choosing_config(
    leaf: &Leaf,
    versions: Versions,
    suites: &[rustls::SupportedCipherSuite],
    groups: &[&'static dyn rustls::crypto::SupportedKxGroup],
) -> Arc<ServerConfig> {
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites = suites.to_vec();
    if !groups.is_empty() {
        provider.kx_groups = groups.to_vec();
    }
    let mut config = ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(protocol_versions(versions))
        .expect("the suites include one for each of the versions")
        .with_no_client_auth()
        .with_single_cert(leaf.chain.clone(), leaf.key.clone_key())
        .expect("a `pki` leaf's key matches its certificate");
    config.ignore_client_order = true;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// rustls's versions for `versions`.
fn protocol_versions(versions: Versions) -> &'static [&'static rustls::SupportedProtocolVersion] {
    static BOTH: [&rustls::SupportedProtocolVersion; 2] =
        [&rustls::version::TLS13, &rustls::version::TLS12];
    static TLS12: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS12];
    static TLS13: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS13];
    match versions {
        Versions::Both => &BOTH,
        Versions::Tls12Only => &TLS12,
        Versions::Tls13Only => &TLS13,
    }
}

/// A TLS 1.3 server configuration for the benchmarks: only `suite` if given, and session
/// resumption (stateful, two tickets per handshake: rustls's defaults) only if `resumption`.
pub fn bench_config(
    leaf: &Leaf,
    suite: Option<rustls::SupportedCipherSuite>,
    resumption: bool,
) -> Arc<ServerConfig> {
    let mut provider = rustls::crypto::ring::default_provider();
    if let Some(suite) = suite {
        provider.cipher_suites = vec![suite];
    }
    let mut config = ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("ring's provider supports TLS 1.3")
        .with_no_client_auth()
        .with_single_cert(leaf.chain.clone(), leaf.key.clone_key())
        .expect("a `pki` leaf's key matches its certificate");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    if !resumption {
        config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
        config.send_tls13_tickets = 0;
    }
    Arc::new(config)
}

/// Serves one fixed certificate and key, without rustls's check that they belong together.
#[derive(Debug)]
struct FixedCertificate(Arc<rustls::sign::CertifiedKey>);

impl rustls::server::ResolvesServerCert for FixedCertificate {
    fn resolve(
        &self,
        _hello: rustls::server::ClientHello<'_>,
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }
}

fn build_server_config(
    leaf: &Leaf,
    versions: Versions,
    key_of: Option<&Leaf>,
) -> Result<Arc<ServerConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions = protocol_versions(versions);
    let key = provider
        .key_provider
        .load_private_key(key_of.unwrap_or(leaf).key.clone_key())
        .map_err(|e| format!("rustls cannot use this private key: {e}"))?;
    let certified = rustls::sign::CertifiedKey::new(leaf.chain.clone(), key);
    let mut config = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .expect("ring's provider supports TLS 1.2 and 1.3")
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(FixedCertificate(Arc::new(certified))));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn serve(
    stream: TcpStream,
    tls: Option<Arc<ServerConfig>>,
    handler: &Handler,
    requests: &Mutex<Vec<SeenRequest>>,
    resumed: &AtomicUsize,
) -> io::Result<()> {
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30)))?;
    // As real servers do (nginx's tcp_nodelay): a response written in pieces is not held back
    // by Nagle waiting for the client's delayed ACK.
    stream.set_nodelay(true)?;
    match tls {
        None => {
            let mut stream = stream;
            let request = read_request(&mut stream, &mut Vec::new())?;
            requests
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(request.clone());
            handler(&request, &mut stream)?;
            stream.flush()?;
            stream.shutdown(Shutdown::Write)
        }
        Some(config) => {
            let conn = rustls::ServerConnection::new(config).map_err(io::Error::other)?;
            let mut tls = rustls::StreamOwned::new(conn, stream);
            let mut carry = Vec::new();
            let mut first = true;
            let ending = loop {
                let mut request = read_request(&mut tls, &mut carry)?;
                request.client_certificate = tls
                    .conn
                    .peer_certificates()
                    .and_then(|chain| chain.first())
                    .map(|cert| cert.to_vec());
                // The handshake is over once a request has arrived.
                if std::mem::take(&mut first)
                    && tls.conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed)
                {
                    resumed.fetch_add(1, Ordering::SeqCst);
                }
                requests
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(request.clone());
                match handler(&request, &mut tls)? {
                    Ending::KeepAlive => tls.flush()?,
                    ending => break ending,
                }
            };
            if ending == Ending::CloseNotify {
                tls.conn.send_close_notify();
            }
            tls.flush()?;
            if ending == Ending::Reset {
                socket2::SockRef::from(&tls.sock).set_linger(Some(std::time::Duration::ZERO))?;
                return Ok(());
            }
            tls.sock.shutdown(Shutdown::Write)?;
            // Wait for the client to close, so our close does not reset unread data.
            let _ = tls.sock.read(&mut [0u8; 1024]);
            Ok(())
        }
    }
}

/// Reads a request head and its Content-Length body, reading ahead in pieces; bytes past the
/// request stay in `carry` for the next one.
fn read_request(stream: &mut dyn Read, carry: &mut Vec<u8>) -> io::Result<SeenRequest> {
    let mut piece = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = carry.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut piece)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        carry.extend_from_slice(&piece[..n]);
    };
    let head = String::from_utf8_lossy(&carry[..head_end]).into_owned();
    let length = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
        .unwrap_or(0);
    while carry.len() < head_end + length {
        let n = stream.read(&mut piece)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        carry.extend_from_slice(&piece[..n]);
    }
    let body = carry[head_end..head_end + length].to_vec();
    carry.drain(..head_end + length);
    Ok(SeenRequest {
        head,
        body,
        client_certificate: None,
    })
}

/// A handler answering every request with `status` and `body` (Content-Length framed), then
/// closing the connection with close_notify.
pub fn fixed(status: u16, body: &'static [u8]) -> Handler {
    keep_alive(status, body, 1)
}

/// A keep-alive handler answering every request with `status` and `body`; it closes (with
/// close_notify) after `requests_per_connection` requests on one connection.
pub fn keep_alive(status: u16, body: &'static [u8], requests_per_connection: usize) -> Handler {
    let served = Arc::new(AtomicUsize::new(0));
    Arc::new(move |_req: &SeenRequest, out: &mut dyn Write| {
        write!(
            out,
            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )?;
        out.write_all(body)?;
        let count = served.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(if count.is_multiple_of(requests_per_connection) {
            Ending::CloseNotify
        } else {
            Ending::KeepAlive
        })
    })
}

/// A handler that writes exactly `bytes` and ends as `ending` says.
pub fn raw(bytes: Vec<u8>, ending: Ending) -> Handler {
    Arc::new(move |_req: &SeenRequest, out: &mut dyn Write| {
        out.write_all(&bytes)?;
        Ok(ending)
    })
}
