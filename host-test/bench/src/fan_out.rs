//! W8: fan-out through one instance of the async build (`target/verified-https-async.wasm`,
//! WASI 0.3) and one context: 8 and 64 requests at once to an upstream that answers each after
//! [`DELAY_MS`], timed beside one request alone through a fresh instance (the ratio's
//! denominator: 1x means the fan-out costs what its slowest request would alone), and beside
//! curl's `--parallel --parallel-max 64` over the same URLs (and curl with one URL). Then the
//! memory each concurrent request costs: the instance's peak linear memory with 64 slow
//! 256 KiB bodies in flight, less that with one, divided by 63.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, ensure};
use verified_https_host::async_client::{
    AsyncClientInstance, AsyncOutcome, AsyncRequest, AsyncRuntime,
};
use verified_https_host::instance::get;
use verified_https_host::{HostConfig, HostTrust};
use verified_https_testkit::server::{Ending, Handler, SeenRequest, TestServer};

use crate::{CURL, Figure, Settings, Tools, figure};

/// How long the delayed upstream waits before it answers each request.
pub(crate) const DELAY_MS: u64 = 250;

/// The fan-outs measured.
const FAN_OUTS: [usize; 2] = [8, 64];

/// The body of each request of the memory measure, and the pieces it is sent in.
const SLOW_BODY_BYTES: usize = 256 * 1024;
const SLOW_BODY_PIECES: usize = 16;

/// The workloads, by fan-out.
pub(crate) const EIGHT: &str = "W8 fan-out, 8 requests to upstreams answering after 250 ms";
pub(crate) const SIXTY_FOUR: &str = "W8 fan-out, 64 requests to upstreams answering after 250 ms";
/// The workload and contender of the memory measure.
pub(crate) const MEMORY: &str = "W8 memory per concurrent request";
pub(crate) const MEMORY_CONTENDER: &str = "async build, 64 in flight vs 1";

/// The contender name of the async build's fan-out.
pub(crate) const ASYNC: &str = "component (async build), all at once";
/// The same build, one request alone.
pub(crate) const ASYNC_ALONE: &str = "component (async build), one request alone";
/// curl with one URL.
const CURL_ALONE: &str = "curl, one request alone";

/// An upstream that waits [`DELAY_MS`], then answers a small body and closes.
pub(crate) fn delayed() -> Handler {
    Arc::new(|_: &SeenRequest, out: &mut dyn std::io::Write| {
        std::thread::sleep(Duration::from_millis(DELAY_MS));
        out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\ndelayed")?;
        Ok(Ending::CloseNotify)
    })
}

/// An upstream that sends [`SLOW_BODY_BYTES`] in [`SLOW_BODY_PIECES`] pieces, 20 ms apart, so
/// that every request of a fan-out is in flight at once.
pub(crate) fn slow_body() -> Handler {
    Arc::new(|_: &SeenRequest, out: &mut dyn std::io::Write| {
        write!(
            out,
            "HTTP/1.1 200 OK\r\nContent-Length: {SLOW_BODY_BYTES}\r\nConnection: close\r\n\r\n"
        )?;
        out.flush()?;
        let piece = vec![b's'; SLOW_BODY_BYTES / SLOW_BODY_PIECES];
        for _ in 0..SLOW_BODY_PIECES {
            std::thread::sleep(Duration::from_millis(20));
            out.write_all(&piece)?;
            out.flush()?;
        }
        Ok(Ending::CloseNotify)
    })
}

/// W8's figures: for each fan-out, the async build's total, one request alone, curl `-Z`'s
/// total and curl alone (ms, medians over the rounds); then the memory per concurrent request.
pub(crate) fn fan_out(
    settings: &Settings,
    tools: &Tools,
    ca_pem: &Path,
    root_der: &[u8],
    delayed: &TestServer,
    slow: &TestServer,
) -> Result<Vec<Figure>> {
    let component = tools.component.with_file_name("verified-https-async.wasm");
    let (runtime, _) = AsyncRuntime::load_cached(&component, None)
        .with_context(|| format!("loading {}", component.display()))?;
    let instance = || {
        let mut config = HostConfig::loopback(HostTrust::Anchors(vec![root_der.to_vec()]));
        config.inherit_stderr = false;
        AsyncClientInstance::new(&runtime, config)
    };
    let mut figures = Vec::new();
    for count in FAN_OUTS {
        let workload = if count == 8 { EIGHT } else { SIXTY_FOUR };
        let mut together = figure(workload, ASYNC, "ms", false);
        let mut alone = figure(workload, ASYNC_ALONE, "ms", false);
        let mut curl = figure(workload, CURL, "ms", false);
        let mut curl_alone = figure(workload, CURL_ALONE, "ms", false);
        let urls: Vec<String> = (0..count)
            .map(|i| delayed.url("https", "127.0.0.1", &format!("/w8/{i}")))
            .collect();
        for _ in 0..settings.rounds {
            let (ms, _) = component_fan_out(&mut instance()?, &urls)?;
            together.samples.push(ms);
            alone
                .samples
                .push(component_fan_out(&mut instance()?, &urls[..1])?.0);
            curl.samples.push(curl_parallel(tools, ca_pem, &urls)?);
            curl_alone
                .samples
                .push(curl_parallel(tools, ca_pem, &urls[..1])?);
        }
        together.note = format!(
            "{count} requests, one instance, one context; total ÷ one alone {:.2}x",
            together.median() / alone.median()
        );
        curl.note = format!(
            "curl --parallel --parallel-max 64, whole process; total ÷ one alone {:.2}x",
            curl.median() / curl_alone.median()
        );
        figures.extend([together, alone, curl, curl_alone]);
    }
    figures.push(memory_per_request(&instance, slow)?);
    Ok(figures)
}

/// Sends every URL at once through a new context of `client`; the time until the last body
/// ended (ms) and the outcomes, each checked to be a complete 200.
fn component_fan_out(
    client: &mut AsyncClientInstance,
    urls: &[String],
) -> Result<(f64, Vec<AsyncOutcome>)> {
    let context = client
        .default_context()?
        .map_err(|e| anyhow::anyhow!("create-default-context: {e:?}"))?;
    let requests = urls.iter().map(|url| async_get(url)).collect();
    let started = Instant::now();
    let outcomes = client.send_concurrently(context, requests)?;
    let millis = started.elapsed().as_secs_f64() * 1e3;
    let outcomes = outcomes
        .into_iter()
        .map(|outcome| {
            let outcome = outcome.map_err(|failure| anyhow::anyhow!("{failure:?}"))?;
            ensure!(
                outcome.status == 200 && matches!(outcome.body_end, Some(Ok(()))),
                "status {}, body end {:?}",
                outcome.status,
                outcome.body_end
            );
            Ok(outcome)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((millis, outcomes))
}

/// A GET of `url` for the async build, with the synchronous client's default options
/// ([`get`]), its body read to the end.
pub(crate) fn async_get(url: &str) -> AsyncRequest {
    let request = get(url);
    AsyncRequest {
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: None,
        options: request.options,
        drop_body_after: None,
    }
}

/// curl fetching every URL at once (`--parallel --parallel-max 64`), the whole process's time
/// in ms.
fn curl_parallel(tools: &Tools, ca_pem: &Path, urls: &[String]) -> Result<f64> {
    let started = Instant::now();
    let output = Command::new(&tools.curl)
        .args([
            "-s",
            "-S",
            "--fail",
            "--parallel",
            "--parallel-max",
            "64",
            "--cacert",
        ])
        .arg(ca_pem)
        .args(urls)
        .stdout(Stdio::null())
        .output()
        .context("running curl")?;
    let millis = started.elapsed().as_secs_f64() * 1e3;
    ensure!(
        output.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(millis)
}

/// The peak linear memory of a fresh instance with 64 slow bodies in flight, less that of a
/// fresh instance with one, divided by 63.
fn memory_per_request(
    instance: &dyn Fn() -> Result<AsyncClientInstance>,
    slow: &TestServer,
) -> Result<Figure> {
    let peak = |count: usize| -> Result<(usize, Duration)> {
        let urls: Vec<String> = (0..count)
            .map(|i| slow.url("https", "127.0.0.1", &format!("/w8m/{i}")))
            .collect();
        let mut client = instance()?;
        let (millis, outcomes) = component_fan_out(&mut client, &urls)?;
        ensure!(
            outcomes.iter().all(|o| o.body.len() == SLOW_BODY_BYTES),
            "a body came short"
        );
        // All in flight at once: the last head came before the first body ended.
        let last_head = outcomes.iter().map(|o| o.head_after).max();
        let first_end = outcomes.iter().map(|o| o.done_after).min();
        ensure!(
            last_head < first_end,
            "the {count} requests were not all in flight at once"
        );
        Ok((
            client.peak_memory_bytes(),
            Duration::from_secs_f64(millis / 1e3),
        ))
    };
    let (one, _) = peak(1)?;
    let (many, took) = peak(64)?;
    let mut cost = figure(MEMORY, MEMORY_CONTENDER, "bytes", false);
    cost.samples.push(many.saturating_sub(one) as f64 / 63.0);
    cost.note = format!(
        "peak linear memory {many} bytes with 64 bodies of 256 KiB in flight ({took:?}), {one} with one"
    );
    Ok(cost)
}
