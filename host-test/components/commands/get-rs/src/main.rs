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

use verified_https_guest::Error;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, url] = args.as_slice() else {
        eprintln!("usage: get-rs URL");
        exit(2);
    };
    match fetch(url) {
        Ok(()) => {}
        Err(Failure::Request(err)) => {
            eprintln!("get-rs: {url}: {err}");
            exit(err.exit_code());
        }
        Err(Failure::Stdout(err)) => {
            eprintln!("get-rs: writing the body: {err}");
            exit(23);
        }
    }
}

/// Ends the command with `code`, through `wasi:cli/exit`'s `exit-with-code` (std's exit
/// reports only success or failure on wasm32-wasip2).
fn exit(code: u8) -> ! {
    wasip2::cli::exit::exit_with_code(code);
    // Not reached: exit-with-code does not return.
    std::process::exit(i32::from(code))
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
