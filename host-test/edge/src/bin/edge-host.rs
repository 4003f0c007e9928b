//! `edge-host`: serves an edge-function component (`wasi:http/incoming-handler`) on an address,
//! with a trust directory preopened read-only at /etc/ssl/certs for a composed `trust-files`.
//!
//! `edge-host target/composed/edge-function.wasm --trust-dir /etc/ssl/certs`
//!
//! Each request's instance is held to `--time-limit` and `--memory-limit`; one that goes past
//! either is stopped and answered `503` ([`InstanceLimits`]).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use verified_https_edge::{EdgeHost, InstanceLimits};

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
    /// Seconds one request's instance may run (wall clock) before it is stopped with a 503.
    #[arg(long, value_name = "SECS", default_value_t = InstanceLimits::default().time.as_secs_f64())]
    time_limit: f64,
    /// MiB of linear memory one request's instance may hold before it is stopped with a 503.
    #[arg(long, value_name = "MIB", default_value_t = InstanceLimits::default().memory_bytes >> 20)]
    memory_limit: usize,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let preopens = args
        .trust_dir
        .into_iter()
        .map(|dir| (dir, "/etc/ssl/certs".to_owned()))
        .collect();
    let Ok(time) = Duration::try_from_secs_f64(args.time_limit) else {
        eprintln!(
            "edge-host: --time-limit {} is not a number of seconds",
            args.time_limit
        );
        return ExitCode::FAILURE;
    };
    let Some(memory_bytes) = args.memory_limit.checked_mul(1 << 20) else {
        eprintln!(
            "edge-host: --memory-limit {} MiB is too large",
            args.memory_limit
        );
        return ExitCode::FAILURE;
    };
    let limits = InstanceLimits { time, memory_bytes };
    match EdgeHost::serve(&args.component, args.listen, preopens, limits) {
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
