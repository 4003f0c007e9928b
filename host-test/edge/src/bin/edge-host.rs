//! `edge-host`: serves an edge-function component (`wasi:http/incoming-handler`) on an address,
//! with a trust directory preopened read-only at /etc/ssl/certs for a composed `trust-files`.
//!
//! `edge-host target/composed/edge-function.wasm --trust-dir /etc/ssl/certs`

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use verified_https_edge::EdgeHost;

/// Serve a wasi:http incoming-handler component over HTTP/1.1.
#[derive(Parser)]
struct Args {
    /// The component to serve.
    component: PathBuf,
    /// The host directory to preopen (read-only) at /etc/ssl/certs in each instance.
    #[arg(long, value_name = "DIR")]
    trust_dir: Option<PathBuf>,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let preopens = args
        .trust_dir
        .into_iter()
        .map(|dir| (dir, "/etc/ssl/certs".to_owned()))
        .collect();
    match EdgeHost::serve(&args.component, args.listen, preopens) {
        Ok(host) => {
            eprintln!(
                "edge-host: serving {} on http://{}",
                args.component.display(),
                host.addr()
            );
            host.run_forever()
        }
        Err(err) => {
            eprintln!("edge-host: {err:#}");
            ExitCode::FAILURE
        }
    }
}
