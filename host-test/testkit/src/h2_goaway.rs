//! A loopback HTTP/2 server that sends GOAWAY mid-way, in raw frames over tokio-rustls
//! (ALPN `h2` only), so that its last-stream-id is exactly the one a test asks for: on its
//! first connection it waits for the client's streams, answers those up to the
//! last-stream-id, and sends GOAWAY (NO_ERROR) naming it while the others are still open;
//! every later connection answers every stream. Each answer is `:status 200` and the same
//! body. Shut down on drop.

use std::net::{SocketAddr, TcpListener as StdListener, TcpStream as StdStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::h2_server::frame;
use crate::pki::Leaf;
use crate::server::{Versions, server_config};

/// How long the first connection waits for more streams before it answers what it has.
const QUIET: Duration = Duration::from_millis(1_500);

/// A running server that sends GOAWAY mid-way.
pub struct GoAwayServer {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    streams: Arc<Mutex<Vec<(usize, u32)>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// What the server does, the same for each of its connections.
#[derive(Clone)]
struct Script {
    /// How many streams the first connection waits for.
    expected: usize,
    /// The last-stream-id of the first connection's GOAWAY.
    last_stream_id: u32,
    body: Arc<Vec<u8>>,
}

impl GoAwayServer {
    /// Serves HTTP/2 over TLS presenting `leaf`: the first connection waits for `expected`
    /// streams, answers those up to `last_stream_id` with `body` and sends GOAWAY naming it.
    pub fn start(leaf: &Leaf, expected: usize, last_stream_id: u32, body: Vec<u8>) -> Self {
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
        let connections = Arc::new(AtomicUsize::new(0));
        let streams = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let script = Script {
            expected,
            last_stream_id,
            body: Arc::new(body),
        };
        let thread = {
            let (connections, streams, stop) = (connections.clone(), streams.clone(), stop.clone());
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_io()
                    .enable_time()
                    .build()
                    .expect("a tokio runtime");
                runtime.block_on(async move {
                    let listener =
                        tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
                    while let Ok((tcp, _)) = listener.accept().await {
                        if stop.load(Ordering::SeqCst) {
                            return;
                        }
                        let number = connections.fetch_add(1, Ordering::SeqCst);
                        let (acceptor, script, streams) =
                            (acceptor.clone(), script.clone(), streams.clone());
                        tokio::spawn(async move {
                            if let Ok(tls) = acceptor.accept(tcp).await {
                                let _ = serve(tls, number, &script, &streams).await;
                            }
                        });
                    }
                });
            })
        };
        GoAwayServer {
            addr,
            connections,
            streams,
            stop,
            thread: Some(thread),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// How many TCP connections it has accepted.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// The streams each connection received (connection number from 0, stream id), in
    /// order.
    pub fn streams(&self) -> Vec<(usize, u32)> {
        self.streams
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for GoAwayServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = StdStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one frame: (kind, flags, stream id, payload).
async fn read_frame(
    stream: &mut (impl AsyncRead + Unpin),
) -> std::io::Result<(u8, u8, u32, Vec<u8>)> {
    let mut head = [0; 9];
    stream.read_exact(&mut head).await?;
    let length = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
    let id = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
    let mut payload = vec![0; length];
    stream.read_exact(&mut payload).await?;
    Ok((head[3], head[4], id, payload))
}

/// One connection: the preface, SETTINGS both ways, then the script.
async fn serve(
    mut tls: tokio_rustls::server::TlsStream<tokio::net::TcpStream>,
    number: usize,
    script: &Script,
    streams: &Mutex<Vec<(usize, u32)>>,
) -> std::io::Result<()> {
    let mut preface = [0; 24];
    tls.read_exact(&mut preface).await?;
    tls.write_all(&frame(0x4, 0, 0, &[])).await?;
    let mut open = Vec::new();
    let answer = |id: u32| {
        // HPACK: `:status 200`, indexed; then the body, ending the stream.
        [
            frame(0x1, 0x4, id, &[0x88]),
            frame(0x0, 0x1, id, &script.body),
        ]
        .concat()
    };
    loop {
        let waiting = number == 0 && open.len() < script.expected;
        let next = if waiting {
            match tokio::time::timeout(QUIET, read_frame(&mut tls)).await {
                Ok(frame) => Some(frame?),
                Err(_) => None,
            }
        } else {
            Some(read_frame(&mut tls).await?)
        };
        let Some((kind, flags, id, _)) = next else {
            break;
        };
        match kind {
            0x4 if flags & 0x1 == 0 => tls.write_all(&frame(0x4, 0x1, 0, &[])).await?,
            0x1 => {
                streams
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push((number, id));
                if number == 0 {
                    open.push(id);
                    if open.len() == script.expected {
                        break;
                    }
                } else {
                    tls.write_all(&answer(id)).await?;
                }
            }
            _ => {}
        }
    }
    for &id in open.iter().filter(|&&id| id <= script.last_stream_id) {
        tls.write_all(&answer(id)).await?;
    }
    let mut goaway = script.last_stream_id.to_be_bytes().to_vec();
    goaway.extend_from_slice(&0u32.to_be_bytes());
    tls.write_all(&frame(0x7, 0, 0, &goaway)).await?;
    tls.flush().await?;
    // The client closes the connection once its answered streams are read.
    while read_frame(&mut tls).await.is_ok() {}
    Ok(())
}
