//! A loopback HTTP/2 server: hyperium's `h2` (the server half of the crate the client uses)
//! over tokio-rustls, with ALPN `h2` only, on 127.0.0.1 port 0, on a thread of its own with
//! a single-threaded tokio runtime, shut down on drop. A handler answers each request
//! (status, fields, body, trailers, after a delay); every request is recorded as the server
//! saw it, so a test can check `:authority` and the fields that must not be there, and so
//! are the connections it accepted and the streams the client reset.

use std::net::{SocketAddr, TcpListener as StdListener, TcpStream as StdStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use rustls::ServerConfig;

use crate::pki::Leaf;
use crate::server::{Versions, server_config};

/// A request as the server received it.
#[derive(Debug, Clone, Default)]
pub struct SeenH2Request {
    /// `:method`.
    pub method: String,
    /// `:authority`, if sent.
    pub authority: Option<String>,
    /// `:path`.
    pub path: String,
    /// The regular fields, names in lower case, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// The answer to a request.
#[derive(Debug, Clone, Default)]
pub struct H2Reply {
    /// The status code.
    pub status: u16,
    /// Fields besides `:status`.
    pub headers: Vec<(String, String)>,
    /// The body, sent as the client's window allows.
    pub body: Vec<u8>,
    /// Trailer fields, sent after the body if any.
    pub trailers: Vec<(String, String)>,
    /// How long the server waits before it answers. Defaults to none.
    pub delay: Duration,
}

/// Answers a request.
pub type H2Handler = Arc<dyn Fn(&SeenH2Request) -> H2Reply + Send + Sync>;

/// A running HTTP/2 server.
pub struct H2Server {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<SeenH2Request>>>,
    seen: Arc<Seen>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl H2Server {
    /// Serves HTTP/2 over TLS presenting `leaf`, answering with `handler`.
    pub fn start(leaf: &Leaf, handler: H2Handler) -> Self {
        let mut config = ServerConfig::clone(&server_config(leaf, Versions::Both));
        config.alpn_protocols = vec![b"h2".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = StdListener::bind("127.0.0.1:0").expect("a free loopback port");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        listener
            .set_nonblocking(true)
            .expect("a listener can be made non-blocking");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::new(Seen::default());
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (requests, seen, stop) = (requests.clone(), seen.clone(), stop.clone());
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_io()
                    .enable_time()
                    .build()
                    .expect("a tokio runtime");
                let listening = accept_loop(listener, acceptor, handler, requests, seen, stop);
                runtime.block_on(listening);
            })
        };
        H2Server {
            addr,
            requests,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `scheme://host:port/path`, for a name that resolves (or is overridden) to loopback.
    pub fn url(&self, host: &str, path: &str) -> String {
        format!("https://{host}:{}{path}", self.port())
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<SeenH2Request> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How many HTTP/2 connections it has accepted (past the handshake).
    pub fn connections(&self) -> usize {
        self.seen.connections.load(Ordering::SeqCst)
    }

    /// The paths of the streams the client reset before their end, with the error code of
    /// each RST_STREAM.
    pub fn resets(&self) -> Vec<(String, u32)> {
        self.seen
            .resets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// What the server counts besides the requests.
#[derive(Default)]
struct Seen {
    connections: AtomicUsize,
    resets: Mutex<Vec<(String, u32)>>,
}

/// How long an answered stream is watched for the client's RST_STREAM.
const RESET_WATCH: Duration = Duration::from_secs(10);

impl Drop for H2Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which then sees the flag.
        let _ = StdStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept_loop(
    listener: StdListener,
    acceptor: tokio_rustls::TlsAcceptor,
    handler: H2Handler,
    requests: Arc<Mutex<Vec<SeenH2Request>>>,
    seen: Arc<Seen>,
    stop: Arc<AtomicBool>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
    while let Ok((tcp, _)) = listener.accept().await {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let (acceptor, handler, requests) = (acceptor.clone(), handler.clone(), requests.clone());
        let seen = seen.clone();
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let Ok(mut connection) = h2::server::handshake(tls).await else {
                return;
            };
            seen.connections.fetch_add(1, Ordering::SeqCst);
            while let Some(Ok((request, respond))) = connection.accept().await {
                let (handler, requests, seen) = (handler.clone(), requests.clone(), seen.clone());
                tokio::spawn(answer(request, respond, handler, requests, seen));
            }
        });
    }
}

async fn answer(
    request: http::Request<h2::RecvStream>,
    mut respond: h2::server::SendResponse<Bytes>,
    handler: H2Handler,
    requests: Arc<Mutex<Vec<SeenH2Request>>>,
    seen_by_server: Arc<Seen>,
) {
    let (parts, mut body) = request.into_parts();
    let mut seen = SeenH2Request {
        method: parts.method.to_string(),
        authority: parts.uri.authority().map(|a| a.to_string()),
        path: parts
            .uri
            .path_and_query()
            .map_or("/".into(), |p| p.to_string()),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into()))
            .collect(),
        body: Vec::new(),
    };
    while let Some(Ok(data)) = body.data().await {
        let _ = body.flow_control().release_capacity(data.len());
        seen.body.extend_from_slice(&data);
    }
    requests
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(seen.clone());
    let reply = handler(&seen);
    tokio::time::sleep(reply.delay).await;
    let mut head = http::Response::builder().status(reply.status);
    for (name, value) in &reply.headers {
        head = head.header(name, value);
    }
    let Ok(head) = head.body(()) else { return };
    let ends_here = reply.body.is_empty() && reply.trailers.is_empty();
    let Ok(mut stream) = respond.send_response(head, ends_here) else {
        return;
    };
    if !reply.body.is_empty() {
        let _ = stream.send_data(Bytes::from(reply.body), reply.trailers.is_empty());
    }
    if !reply.trailers.is_empty() {
        let mut trailers = http::HeaderMap::new();
        for (name, value) in &reply.trailers {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(value),
            ) {
                trailers.append(name, value);
            }
        }
        let _ = stream.send_trailers(trailers);
    }
    let reset = tokio::time::timeout(
        RESET_WATCH,
        std::future::poll_fn(|cx| stream.poll_reset(cx)),
    );
    if let Ok(Ok(reason)) = reset.await {
        seen_by_server
            .resets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((seen.path, u32::from(reason)));
    }
}

/// An HTTP/2 frame as bytes (RFC 9113 section 4.1): `kind` with `flags` on `stream`, carrying
/// `payload`; for servers that send what a test needs, hostile or not.
pub fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let length = u32::try_from(payload.len()).expect("a payload under 16 MiB");
    let mut out = length.to_be_bytes()[1..].to_vec();
    out.extend_from_slice(&[kind, flags]);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// A server that completes a real TLS handshake presenting `leaf` and agreeing `h2`, then
/// sends an empty SETTINGS and `frames`, whatever the client says, and keeps the connection
/// open until the client closes it.
pub fn hostile(leaf: &Leaf, frames: Vec<u8>) -> crate::server::TestServer {
    let mut config = ServerConfig::clone(&server_config(leaf, Versions::Both));
    config.alpn_protocols = vec![b"h2".to_vec()];
    let bytes = [frame(0x4, 0, 0, &[]), frames].concat();
    crate::server::TestServer::start(
        Some(Arc::new(config)),
        crate::server::raw(bytes, crate::server::Ending::KeepAlive),
    )
}
