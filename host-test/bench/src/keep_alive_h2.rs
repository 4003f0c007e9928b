//! W4 over HTTP/2 against nginx (Debian's, with h2): the bench's W4 count of small GETs over
//! one h2 connection through the async build (`target/verified-https-async.wasm`, a context
//! that offers `h2`), one at a time and 8 in flight at a time, beside curl `--http2` over the
//! same URLs in one process (one at a time, and `-Z --parallel-max 8`). nginx names the
//! connection of every response (`X-Connection: $connection`), so the last column counts the
//! connections each contender really used; every body must be exactly the one nginx serves.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context as _, Result, ensure};
use verified_https_host::async_client::{AsyncClientInstance, AsyncRuntime};
use verified_https_host::{HostConfig, HostTrust};
use verified_https_testkit::nginx::{Nginx, NginxSpec};
use verified_https_testkit::pki::Leaf;

use crate::fan_out::async_get;
use crate::{Figure, SMALL_BODY, Settings, Target, Tools, figure, ratio};

/// The workloads: one request at a time, and 8 in flight at a time.
const ONE_AT_A_TIME: &str = "W4 keep-alive GETs over h2 (nginx), one at a time";
const EIGHT_IN_FLIGHT: &str = "W4 keep-alive GETs over h2 (nginx), 8 in flight";

/// How many requests the second workload keeps under way.
const IN_FLIGHT: usize = 8;

/// The contenders.
pub(crate) const ASYNC_H2: &str = "component (async build, h2)";
const CURL_H2: &str = "curl --http2 (OpenSSL, nghttp2)";

/// nginx with h2 (ALPN `h2` beside `http/1.1`) answering every request with [`SMALL_BODY`]
/// and the serial number of its connection (`X-Connection`), keeping a connection for far
/// more requests than a run sends (nginx's default `keepalive_requests` is 1,000, W4's
/// count); none when nginx is not installed.
pub(crate) fn nginx(leaf: &Leaf) -> Result<Option<Nginx>> {
    if Nginx::binary().is_none() {
        return Ok(None);
    }
    let spec = NginxSpec {
        http2: true,
        server_directives: vec![
            "keepalive_requests 1000000;".into(),
            "add_header X-Connection $connection;".into(),
        ],
        ..NginxSpec::default()
    };
    let body = std::str::from_utf8(SMALL_BODY)?;
    let nginx = Nginx::start("bench-h2", leaf, &spec, body).map_err(|e| anyhow::anyhow!(e))?;
    Ok(Some(nginx))
}

/// What one sample gave: the body bytes, the seconds, and the connections nginx named.
struct Sample {
    bytes: u64,
    seconds: f64,
    connections: usize,
}

/// W4 over h2: each workload's component and curl rows, the two alternating in each round;
/// each component sample in a fresh instance (nothing kept between samples), untimed until
/// its first request starts.
pub(crate) fn keep_alive_h2(
    settings: &Settings,
    tools: &Tools,
    ca_pem: &Path,
    root_der: &[u8],
    nginx: &Nginx,
) -> Result<Vec<Figure>> {
    let component = tools.component.with_file_name("verified-https-async.wasm");
    let (runtime, _) = AsyncRuntime::load_cached(&component, None)
        .with_context(|| format!("loading {}", component.display()))?;
    let n = settings.requests;
    let urls: Vec<String> = (0..n)
        .map(|i| format!("https://127.0.0.1:{}/k/{i}", nginx.port()))
        .collect();
    let expected = (n * SMALL_BODY.len()) as u64;
    let mut figures = Vec::new();
    for (workload, in_flight) in [(ONE_AT_A_TIME, 1), (EIGHT_IN_FLIGHT, IN_FLIGHT)] {
        let mut ours = figure(workload, ASYNC_H2, "requests/s", true);
        let mut curl = figure(workload, CURL_H2, "requests/s", true);
        let (mut our_connections, mut curl_connections) = (BTreeSet::new(), BTreeSet::new());
        let (mut start_ups, mut summed_rates) = (Vec::new(), Vec::new());
        for _ in 0..settings.rounds {
            let sample = component_gets(&runtime, root_der, &urls, in_flight)?;
            ensure!(
                sample.bytes == expected,
                "{ASYNC_H2}: {} bytes, not {expected}",
                sample.bytes
            );
            ensure!(
                sample.connections == 1,
                "{workload}: the component used {} connections, not one",
                sample.connections
            );
            ours.samples.push(n as f64 / sample.seconds);
            our_connections.insert(sample.connections);

            let start_up = curl_start_up(tools)?;
            let (sample, summed) = curl_gets(tools, ca_pem, &urls, in_flight)?;
            ensure!(
                sample.bytes == expected,
                "{CURL_H2}: {} bytes, not {expected}",
                sample.bytes
            );
            let seconds = sample.seconds - start_up;
            ensure!(
                seconds > 0.0,
                "curl's start-up ({start_up} s) outlasted its run"
            );
            curl.samples.push(n as f64 / seconds);
            curl_connections.insert(sample.connections);
            start_ups.push(start_up * 1e3);
            summed_rates.push(n as f64 / summed);
        }
        ours.note = format!(
            "{} connection(s), ALPN h2, {in_flight} in flight; `send` until the last body's end",
            list(&our_connections)
        );
        let connections = list(&curl_connections);
        let start_up = crate::median(&start_ups);
        curl.note = if in_flight == 1 {
            format!(
                "{connections} connection(s), HTTP/2; one process, URLs in turn, its time less \
                 its start-up ({start_up:.1} ms, median); `time_total` summed: {:.0} requests/s",
                crate::median(&summed_rates)
            )
        } else {
            format!(
                "{connections} connection(s), HTTP/2; one process, `-Z --parallel-max \
                 {in_flight}`, its time less its start-up ({start_up:.1} ms, median)"
            )
        };
        figures.extend([ours, curl]);
    }
    Ok(figures)
}

/// The ratio targets: the component at least half curl's rate, one at a time and 8 in
/// flight. curl runs nghttp2 natively; the async build runs h2 and HPACK inside wasm and
/// crosses the component boundary several times per request (its task, the body's stream and
/// the body-end future), where W4's HTTP/1.1 row crosses it twice.
pub(crate) fn targets(figures: &[Figure]) -> Vec<Target> {
    [
        (
            ONE_AT_A_TIME,
            "W4 over h2 (nginx), one at a time: component / curl",
        ),
        (
            EIGHT_IN_FLIGHT,
            "W4 over h2 (nginx), 8 in flight: component / curl -Z",
        ),
    ]
    .map(|(workload, what)| Target {
        what: what.into(),
        value: ratio(figures, workload, ASYNC_H2, CURL_H2),
        limit: 0.5,
        at_least: true,
        unit: "x",
    })
    .into()
}

/// The connection counts seen over the rounds (`1`, or `1, 2` when they differed).
fn list(counts: &BTreeSet<usize>) -> String {
    let counts: Vec<String> = counts.iter().map(usize::to_string).collect();
    counts.join(", ")
}

/// Every URL through a fresh instance and a new context offering h2, at most `in_flight` at
/// a time; each response checked to be a 200 over h2 with exactly [`SMALL_BODY`].
fn component_gets(
    runtime: &AsyncRuntime,
    root_der: &[u8],
    urls: &[String],
    in_flight: usize,
) -> Result<Sample> {
    let mut config = HostConfig::loopback(HostTrust::Anchors(vec![root_der.to_vec()]));
    config.inherit_stderr = false;
    let mut client = AsyncClientInstance::new(runtime, config)?;
    let context = client
        .default_context()?
        .map_err(|e| anyhow::anyhow!("create-default-context: {e:?}"))?;
    client
        .offer_http2(context, true)?
        .map_err(|e| anyhow::anyhow!("offer-http2: {e:?}"))?;
    let requests = urls.iter().map(|url| async_get(url)).collect();
    let started = Instant::now();
    let outcomes = client.send_in_flight(context, requests, in_flight)?;
    let seconds = started.elapsed().as_secs_f64();
    let mut bytes = 0;
    let mut connections = BTreeSet::new();
    for (outcome, url) in outcomes.into_iter().zip(urls) {
        let outcome = outcome.map_err(|failure| anyhow::anyhow!("{url}: {failure:?}"))?;
        let alpn = outcome.tls.as_ref().and_then(|tls| tls.alpn.as_deref());
        ensure!(
            outcome.status == 200
                && matches!(outcome.body_end, Some(Ok(())))
                && alpn == Some("h2")
                && outcome.body == SMALL_BODY,
            "{url}: status {}, ALPN {alpn:?}, body end {:?}, body {:?}",
            outcome.status,
            outcome.body_end,
            String::from_utf8_lossy(&outcome.body)
        );
        let connection = outcome
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("x-connection"))
            .with_context(|| format!("{url}: no X-Connection from nginx"))?;
        connections.insert(connection.value.clone());
        bytes += outcome.body.len() as u64;
    }
    Ok(Sample {
        bytes,
        seconds,
        connections: connections.len(),
    })
}

/// One curl process with every URL over HTTP/2 (`-Z --parallel-max N` when more than one is
/// to be in flight): the sample, timed as the whole process, and the transfers' own
/// `time_total` summed (W4's HTTP/1.1 curl row: it leaves out curl's work between
/// transfers, and overlapping transfers count twice). Every transfer must be HTTP/2 and the
/// bodies exactly nginx's.
fn curl_gets(
    tools: &Tools,
    ca_pem: &Path,
    urls: &[String],
    in_flight: usize,
) -> Result<(Sample, f64)> {
    let mut command = Command::new(&tools.curl);
    command
        .args(["-s", "-S", "--fail", "--http2", "--cacert"])
        .arg(ca_pem)
        .args([
            "-w",
            "%{stderr}\\nw4: %{size_download} %{time_total} %{http_version} %header{x-connection}\\n",
        ]);
    if in_flight > 1 {
        command.args(["-Z", "--parallel-max", &in_flight.to_string()]);
    }
    let started = Instant::now();
    let output = command
        .args(urls)
        .stdout(Stdio::piped())
        .output()
        .context("running curl")?;
    let process_seconds = started.elapsed().as_secs_f64();
    ensure!(
        output.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    ensure!(
        output.stdout == SMALL_BODY.repeat(urls.len()),
        "curl's bodies are not {} times nginx's",
        urls.len()
    );
    let (mut bytes, mut summed) = (0, 0.0);
    let mut connections = BTreeSet::new();
    let stderr = String::from_utf8_lossy(&output.stderr);
    // In parallel, curl 7.88 draws its progress meter on stderr despite `-s` once `-w` is
    // given: the -w lines are the ones with their own mark.
    let lines: Vec<&str> = stderr
        .lines()
        .filter_map(|line| line.strip_prefix("w4: "))
        .collect();
    ensure!(
        lines.len() == urls.len(),
        "curl reported {} transfers of {}",
        lines.len(),
        urls.len()
    );
    for line in lines {
        let fields: Vec<&str> = line.split(' ').collect();
        let [size, time, version, connection] = fields[..] else {
            anyhow::bail!("curl's -w line {line:?}");
        };
        ensure!(version == "2", "curl used HTTP/{version}, not HTTP/2");
        bytes += size.parse::<u64>()?;
        summed += time.parse::<f64>()?;
        connections.insert(connection.to_owned());
    }
    Ok((
        Sample {
            bytes,
            seconds: process_seconds,
            connections: connections.len(),
        },
        summed,
    ))
}

/// What a curl process costs outside its transfers (start, set-up, exit), so that its rows
/// time what the component's do, from the first request to the last body's end: the median
/// of three processes fetching `file:///dev/null`, which costs microseconds.
fn curl_start_up(tools: &Tools) -> Result<f64> {
    let mut seconds = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let status = Command::new(&tools.curl)
            .args(["-s", "-S", "-o", "/dev/null", "file:///dev/null"])
            .status()
            .context("running curl")?;
        ensure!(status.success(), "curl file:///dev/null failed: {status}");
        seconds.push(started.elapsed().as_secs_f64());
    }
    Ok(crate::median(&seconds))
}
