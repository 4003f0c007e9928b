//! A benchmark contender: what a component author writes when the host does TLS through
//! `wasi:http/outgoing-handler`. `wasi-http-get URL COUNT` sends COUNT sequential GETs, reads
//! each body to its end, and prints `BYTES NANOS` (the bytes of body received and the time the
//! requests took on the monotonic clock). Any failure is printed on stderr with exit code 1.

use std::process::ExitCode;

use wasip2::clocks::monotonic_clock;
use wasip2::http::outgoing_handler;
use wasip2::http::types::{Fields, Method, OutgoingRequest, Scheme};
use wasip2::io::streams::StreamError;

/// The most body bytes asked for in one read.
const READ_SIZE: u64 = 64 * 1024;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(url), Some(count)) = (args.get(1), args.get(2).and_then(|c| c.parse::<u64>().ok()))
    else {
        eprintln!("usage: wasi-http-get URL COUNT");
        return ExitCode::FAILURE;
    };
    let start = monotonic_clock::now();
    let mut bytes = 0;
    for _ in 0..count {
        match get(url) {
            Ok(received) => bytes += received,
            Err(why) => {
                eprintln!("wasi-http-get: {url}: {why}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!("{bytes} {}", monotonic_clock::now() - start);
    ExitCode::SUCCESS
}

/// One GET of an `https://host:port/path` URL; the body's length.
fn get(url: &str) -> Result<u64, String> {
    let rest = url.strip_prefix("https://").ok_or("only https URLs")?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let request = OutgoingRequest::new(Fields::new());
    request.set_method(&Method::Get).map_err(|()| "method")?;
    request
        .set_scheme(Some(&Scheme::Https))
        .map_err(|()| "scheme")?;
    request
        .set_authority(Some(authority))
        .map_err(|()| "authority")?;
    let path = if path.is_empty() { "/" } else { path };
    request
        .set_path_with_query(Some(path))
        .map_err(|()| "path")?;

    let pending = outgoing_handler::handle(request, None).map_err(|e| format!("{e:?}"))?;
    let response = loop {
        match pending.get() {
            Some(result) => break result,
            None => pending.subscribe().block(),
        }
    };
    let response = response
        .map_err(|()| "response taken twice")?
        .map_err(|e| format!("{e:?}"))?;
    if response.status() != 200 {
        return Err(format!("status {}", response.status()));
    }
    let body = response.consume().map_err(|()| "body taken twice")?;
    let stream = body.stream().map_err(|()| "body stream taken twice")?;
    let mut received = 0;
    loop {
        match stream.blocking_read(READ_SIZE) {
            Ok(piece) => received += piece.len() as u64,
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(e)) => return Err(e.to_debug_string()),
        }
    }
    drop(stream);
    drop(body);
    Ok(received)
}
