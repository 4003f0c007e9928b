//! An upload server for tests: TLS on loopback, reading each request's body as it arrives
//! (Content-Length or chunked) without keeping it, and answering with the SHA-256 of every
//! byte received, so that a test checks a large streamed body end to end. How it treats
//! `Expect: 100-continue`, and whether it gives up mid-body, is the test's choice.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use ring::digest::{Context, SHA256};
use rustls::ServerConfig;

/// What the server does with a request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadBehaviour {
    /// Reads the whole body (answering `Expect: 100-continue` with `100 Continue`), then
    /// answers 200 with the body's SHA-256 in hex.
    Accept,
    /// Reads the whole body but never answers an `Expect`: the client must send anyway.
    IgnoreExpect,
    /// Answers an `Expect: 100-continue` (or, without one, the head) with this final status
    /// at once and reads no body.
    Refuse(u16),
    /// Reads this many body bytes, then answers 413 and closes the connection.
    GiveUpAfter(u64),
}

/// What the server saw of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeenUpload {
    /// The request head, as text.
    pub head: String,
    /// Body bytes received.
    pub received: u64,
    /// Whether the request carried `Expect: 100-continue`.
    pub expected_continue: bool,
}

/// A running upload server.
pub struct UploadServer {
    port: u16,
    seen: Arc<Mutex<Vec<SeenUpload>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl UploadServer {
    /// Starts a server with `config` on 127.0.0.1, treating bodies as `behaviour` says.
    pub fn start(config: Arc<ServerConfig>, behaviour: UploadBehaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("local addr").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (seen, stop) = (seen.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let (config, seen) = (config.clone(), seen.clone());
                    std::thread::spawn(move || {
                        let _ = serve(stream, config, behaviour, &seen);
                    });
                }
            })
        };
        UploadServer {
            port,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The requests seen so far.
    pub fn seen(&self) -> Vec<SeenUpload> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for UploadServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(
    stream: TcpStream,
    config: Arc<ServerConfig>,
    behaviour: UploadBehaviour,
    seen: &Mutex<Vec<SeenUpload>>,
) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    stream.set_nodelay(true)?;
    let conn = rustls::ServerConnection::new(config).map_err(io::Error::other)?;
    let tls = rustls::StreamOwned::new(conn, stream);
    let mut reader = BufReader::with_capacity(64 * 1024, tls);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let header = |name: &str| {
        head.lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
    };
    let expected_continue =
        header("expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    let chunked = header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    let length = header("content-length").and_then(|v| v.parse::<u64>().ok());
    let mut record = SeenUpload {
        head: head.clone(),
        received: 0,
        expected_continue,
    };
    let respond =
        |reader: &mut BufReader<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>,
         status: u16,
         body: &str| {
            let out = reader.get_mut();
            write!(
                out,
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )?;
            out.flush()
        };
    if let UploadBehaviour::Refuse(status) = behaviour {
        respond(&mut reader, status, "refused")?;
        seen.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(record);
        return close(reader);
    }
    if expected_continue && behaviour != UploadBehaviour::IgnoreExpect {
        let out = reader.get_mut();
        out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        out.flush()?;
    }
    let mut digest = Context::new(&SHA256);
    let mut take =
        |reader: &mut dyn BufRead, mut n: u64, record: &mut SeenUpload| -> io::Result<bool> {
            while n > 0 {
                if let UploadBehaviour::GiveUpAfter(limit) = behaviour
                    && record.received >= limit
                {
                    return Ok(false);
                }
                let buf = reader.fill_buf()?;
                if buf.is_empty() {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                let mut k = buf.len().min(usize::try_from(n).unwrap_or(usize::MAX));
                if let UploadBehaviour::GiveUpAfter(limit) = behaviour {
                    k = k.min(usize::try_from(limit - record.received).unwrap_or(usize::MAX));
                }
                digest.update(&buf[..k]);
                reader.consume(k);
                n -= k as u64;
                record.received += k as u64;
            }
            Ok(true)
        };
    let complete = if chunked {
        loop {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            let size = u64::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| io::Error::other(format!("bad chunk line {line:?}")))?;
            if size == 0 {
                let mut end = String::new();
                reader.read_line(&mut end)?;
                break true;
            }
            if !take(&mut reader, size, &mut record)? {
                break false;
            }
            let mut crlf = String::new();
            reader.read_line(&mut crlf)?;
        }
    } else {
        take(&mut reader, length.unwrap_or(0), &mut record)?
    };
    let hex: String = digest
        .finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    seen.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(record);
    if complete {
        respond(&mut reader, 200, &hex)?;
    } else {
        respond(&mut reader, 413, "too large")?;
    }
    close(reader)
}

/// Ends the TLS connection and the TCP one, without waiting for the client.
fn close(
    reader: BufReader<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>,
) -> io::Result<()> {
    let mut tls = reader.into_inner();
    tls.conn.send_close_notify();
    let _ = tls.flush();
    tls.sock.shutdown(Shutdown::Both)
}

/// The SHA-256 of `data` in hex, as the server answers it.
pub fn sha256_hex(data: &mut dyn Read) -> io::Result<String> {
    let mut digest = Context::new(&SHA256);
    let mut piece = vec![0; 64 * 1024];
    loop {
        let n = data.read(&mut piece)?;
        if n == 0 {
            break;
        }
        digest.update(&piece[..n]);
    }
    Ok(digest
        .finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
