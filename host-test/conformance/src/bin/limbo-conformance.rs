//! `make conformance`: x509-limbo through the component's `verify-chain`.
//!
//! Usage: `limbo-conformance [LIMBO_JSON_GZ [DIVERGENCES_JSON [RESULTS_JSON]]]`, defaulting to
//! `../shared/testdata/` and `target/conformance/limbo-results.json`. Prints the summary line,
//! the skip reasons and a table by category; exits 1 if any divergence is unexplained.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use verified_https_conformance::{self as conformance, Outcome};
use verified_https_host::runtime::{self, Runtime};
use verified_https_host::{ClientInstance, HostConfig, HostTrust};

fn main() -> Result<ExitCode> {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let testdata = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata");
    let limbo = args
        .next()
        .unwrap_or_else(|| testdata.join("limbo.json.gz"));
    let divergences = args
        .next()
        .unwrap_or_else(|| testdata.join("limbo-divergences-rustls-webpki-0.103.13.json"));
    let results = args.next().unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/conformance/limbo-results.json")
    });

    let started = Instant::now();
    let cases = conformance::load(&limbo)?;
    let known =
        conformance::load_divergences(&[&divergences, &conformance::our_divergences_path()])?;
    let (runtime, _) = Runtime::load(
        &runtime::default_component_path(),
        runtime::default_cache_dir().as_deref(),
    )?;
    let mut client = ClientInstance::new(
        &runtime,
        HostConfig::loopback(HostTrust::Anchors(Vec::new())),
    )?;
    let report = conformance::run(&mut client, &cases, &known)?;
    let elapsed = started.elapsed();

    println!("{}", report.summary());
    println!("ran in {:.1} s", elapsed.as_secs_f64());
    for (reason, count) in report.skipped() {
        println!("skipped {count}: {reason}");
    }
    println!(
        "\n| category | cases | match | documented | unexplained |\n|---|---:|---:|---:|---:|"
    );
    for (category, [cases, matched, documented, unexplained]) in report.by_category() {
        println!("| {category} | {cases} | {matched} | {documented} | {unexplained} |");
    }
    for row in report
        .rows
        .iter()
        .filter(|r| r.outcome == Outcome::Unexplained)
    {
        println!(
            "UNEXPLAINED {}: expected {}, got {:?}",
            row.id, row.expected, row.actual
        );
    }
    if let Some(dir) = results.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&results, serde_json::to_vec_pretty(&report)?)?;
    println!("\nresults: {}", results.display());
    Ok(if report.count(Outcome::Unexplained) == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
