//! `get-rs URL`: a command component (`wasi:cli/run`) that GETs one URL through the
//! verified-https client it imports (composed in: `make compose` builds
//! `target/composed/get-rs.wasm` with the client and trust-files) and writes the body on
//! stdout.
//!
//! Exit codes are `https-get`'s (curl's): 0 on success, 60 when the certificate is refused, 77
//! when there are no trust anchors, 3, 6, 7, 18, 28, 35, … for the other failures curl names,
//! 1 otherwise; the message, in the client's wording, on stderr. The status is not an error:
//! the body of a 404 is written as any other.

use std::io::Write;
use std::process::ExitCode;

use verified_https_guest::Error;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, url] = args.as_slice() else {
        eprintln!("usage: get-rs URL");
        return ExitCode::from(2);
    };
    match fetch(url) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Request(err)) => {
            eprintln!("get-rs: {url}: {err}");
            ExitCode::from(err.exit_code())
        }
        Err(Failure::Stdout(err)) => {
            eprintln!("get-rs: writing the body: {err}");
            ExitCode::from(23)
        }
    }
}

/// Why `get-rs` stopped.
enum Failure {
    /// The request or its body failed.
    Request(Error),
    /// The body could not be written (curl's 23).
    Stdout(std::io::Error),
}

/// GETs `url` and copies its body to stdout as it arrives.
fn fetch(url: &str) -> Result<(), Failure> {
    let mut response = verified_https_guest::get(url).map_err(Failure::Request)?;
    let mut stdout = std::io::stdout().lock();
    while let Some(piece) = response.read_piece(64 * 1024).map_err(Failure::Request)? {
        stdout.write_all(&piece).map_err(Failure::Stdout)?;
    }
    stdout.flush().map_err(Failure::Stdout)
}
