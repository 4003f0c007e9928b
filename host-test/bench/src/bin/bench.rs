//! `make bench` / `make bench-quick`: runs the benchmarks of `verified_https_bench` and prints the
//! Markdown table; `--write FILE` also puts it into FILE between the `bench:begin` and
//! `bench:end` markers (docs/BENCHMARKS.md), with the machine, versions and date, and draws
//! the ratios beside it (docs/bench-ratios.svg). With `WASMTIME_CLI` naming the stock wasmtime
//! CLI (as `make wasmtime` installs it), W7 also runs the edge function under `wasmtime serve`.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{Context as _, Result, bail};
use clap::Parser;
use verified_https_bench::{self as bench, EdgeGuests, NodeHost, Settings, Tools};
use verified_https_host::runtime::default_component_path;

/// Benchmarks of the verified-https component against native, curl and wasi:http.
#[derive(Parser)]
struct Args {
    /// The short run (fewer rounds, smaller bodies).
    #[arg(long)]
    quick: bool,
    /// Write the table into this Markdown file, between `<!-- bench:begin -->` and
    /// `<!-- bench:end -->`.
    #[arg(long)]
    write: Option<PathBuf>,
    /// Only these workloads (W1 … W8; repeatable), e.g. for profiling.
    #[arg(long)]
    only: Vec<String>,
    /// The component to measure (default: the one built in this workspace); its host-crypto
    /// build is the file `verified-https-host-crypto.wasm` beside it.
    #[arg(long)]
    component: Option<PathBuf>,
    /// The directory of the guest commands (wasi-http-get.wasm, ring-raw.wasm) and of W7's
    /// wasi:http edge function (edge-function-wasi-http.wasm).
    #[arg(long, default_value = "target/guests")]
    guests: PathBuf,
    /// The Node.js host, for W5's Node rows (skipped when `node` is not installed).
    #[arg(long, default_value = "host-test/node")]
    node_host: PathBuf,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bench: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<()> {
    let exe = std::env::current_exe()?;
    let component = args
        .component
        .clone()
        .unwrap_or_else(default_component_path);
    // The edge function composed by `make compose` beside the component.
    let edge_function = component.with_file_name("composed/edge-function.wasm");
    let tools = Tools {
        lending_component: component.with_file_name("verified-https-host-crypto.wasm"),
        component,
        https_get: exe.with_file_name("https-get"),
        wasi_http_get: args.guests.join("wasi-http-get.wasm"),
        ring_raw: args.guests.join("ring-raw.wasm"),
        curl: which("curl")
            .context("curl is needed as a contender (Debian: apt-get install curl)")?,
        node_host: node_host(&args.node_host)?,
        edge_guests: EdgeGuests {
            edge_function,
            wasi_http_edge_function: args.guests.join("edge-function-wasi-http.wasm"),
            wasmtime_cli: std::env::var_os("WASMTIME_CLI")
                .map(PathBuf::from)
                .filter(|cli| cli.is_file()),
        },
    };
    for path in [
        &tools.component,
        &tools.lending_component,
        &tools.https_get,
        &tools.wasi_http_get,
        &tools.ring_raw,
        &tools.edge_guests.edge_function,
        &tools.edge_guests.wasi_http_edge_function,
    ] {
        if !path.exists() {
            bail!("{} is missing; `make bench` builds it", path.display());
        }
    }
    let mut settings = if args.quick {
        Settings::quick()
    } else {
        Settings::full()
    };
    settings.only = args.only.clone();
    let report = bench::run(settings, tools, &mut |stage| eprintln!("bench: {stage}"))?;
    let table = format!("{}\n{}", environment(&args), report.markdown());
    println!("{table}");
    if let Some(path) = &args.write {
        write_between_markers(path, &table)?;
        eprintln!("bench: wrote the table into {}", path.display());
        let chart = path.with_file_name("bench-ratios.svg");
        std::fs::write(&chart, bench::chart::ratios_svg(&report))?;
        eprintln!("bench: drew the ratios into {}", chart.display());
    }
    let missed = report.targets.iter().filter(|t| !t.met()).count();
    eprintln!(
        "bench: {} of {} targets met",
        report.targets.len() - missed,
        report.targets.len()
    );
    Ok(())
}

/// The Node.js host in `dir` and the `node` to run it, or none (with a word on stderr) when
/// `node` is not installed; an error when it is but `make node` has not transpiled the builds.
fn node_host(dir: &std::path::Path) -> Result<Option<NodeHost>> {
    let Some(node) = which("node") else {
        eprintln!("bench: node is not installed; W5 runs without the Node.js host's rows");
        return Ok(None);
    };
    for generated in ["verified-https.js", "verified-https-host-crypto.js"] {
        let path = dir.join("generated").join(generated);
        if !path.exists() {
            bail!("{} is missing; `make node` transpiles it", path.display());
        }
    }
    Ok(Some(NodeHost {
        node,
        script: dir.join("bench.js"),
    }))
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    })
}

/// The machine, the versions and the date, as a Markdown paragraph.
fn environment(args: &Args) -> String {
    let first_line = |program: &str, arg: &str| {
        Command::new(program)
            .arg(arg)
            .output()
            .ok()
            .and_then(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .next()
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| format!("{program}: not found"))
    };
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let date = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    format!(
        "Run: `{}` on {date}; {cores} cores, {cpu}; {}; {}; wasmtime 48, rustls 0.23 + ring 0.17 (component and native), OpenSSL in curl.\n",
        if args.quick {
            "make bench-quick"
        } else {
            "make bench"
        },
        first_line("rustc", "-V"),
        first_line("curl", "-V"),
    )
}

fn write_between_markers(path: &PathBuf, table: &str) -> Result<()> {
    const BEGIN: &str = "<!-- bench:begin -->";
    const END: &str = "<!-- bench:end -->";
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let (Some(begin), Some(end)) = (text.find(BEGIN), text.find(END)) else {
        bail!("{} has no {BEGIN} … {END} markers", path.display());
    };
    let updated = format!("{}{BEGIN}\n{table}\n{}", &text[..begin], &text[end..]);
    std::fs::write(path, updated)?;
    Ok(())
}
