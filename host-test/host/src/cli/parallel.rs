//! `https-get -Z URL URL…` (curl's `--parallel`): every URL through one instance of the async
//! build and one context, all sent at once, each with the request the flags describe for it
//! ([`build_request`], the same as for one URL). The bodies are written to stdout whole, one
//! after the other in the order given; a transfer that fails is named on stderr, the others
//! still complete, and the exit code is the first failing transfer's, in the order given.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use super::context::{host_config, open_context};
use super::fetch::{is_https, report_alpn_offer};
use super::{Args, Failure, build_request, exit, tls_options, trust_choice};
use crate::ErrorCode;
use crate::async_client::{
    AsyncClientInstance, AsyncFailure, AsyncOutcome, AsyncRequest, AsyncRuntime,
};
use crate::runtime;

/// The file name of the async build, beside the default component.
const ASYNC_COMPONENT: &str = "verified-https-async.wasm";

/// Fetches every URL of `args` at once; the first failure in the order given, if any.
pub(super) fn run(args: &Args) -> Result<(), Failure> {
    refuse_single_transfer_flags(args)?;
    let started = Instant::now();
    let verbose = args.is_verbose();
    let urls: Vec<&String> = std::iter::once(&args.url).chain(&args.more_urls).collect();
    // Every request is built before anything is sent: a bad flag stops them all.
    let mut requests = urls
        .iter()
        .map(|url| {
            let one = Args {
                url: (*url).clone(),
                ..args.clone()
            };
            build_request(&one)
        })
        .collect::<Result<Vec<_>, _>>()?;

    let component = args
        .component
        .clone()
        .unwrap_or_else(default_component_path);
    let cache = runtime::default_cache_dir();
    let (runtime, loaded_from) = AsyncRuntime::load_cached(&component, cache.as_deref())?;
    if verbose {
        eprintln!(
            "* component {} ({loaded_from}) in {:?}",
            component.display(),
            started.elapsed()
        );
    }
    let choice = trust_choice(args)?;
    let tls = tls_options(args)?;
    let mut client = AsyncClientInstance::new(&runtime, host_config(&choice, verbose))?;
    let host_body_limit = choice.host_body_limit(args.max_filesize);
    let context = open_context(args, &mut client, &choice, tls)?;
    if args.compressed {
        let codings = client.supported_content_codings()?;
        for request in &mut requests {
            request.options.accept_encoding = Some(codings.clone());
        }
    }
    if verbose {
        if urls.iter().any(|url| is_https(url)) {
            report_alpn_offer(args.http2);
        }
        eprintln!(
            "* {} transfers at once, through one instance and one context",
            urls.len()
        );
    }

    let requests = requests
        .into_iter()
        .map(|request| AsyncRequest {
            method: request.method,
            url: request.url,
            headers: request.headers,
            body: request.body,
            options: request.options,
            drop_body_after: None,
        })
        .collect();
    let outcomes = client.send_concurrently(context, requests)?;

    let total = urls.len();
    let mut failures = Vec::new();
    let mut out = std::io::stdout().lock();
    for (number, (url, outcome)) in urls.iter().zip(outcomes).enumerate() {
        let label = format!("[{}/{total}] {url}", number + 1);
        let written = match outcome {
            Ok(outcome) => write_transfer(args, &mut client, &outcome, host_body_limit, &mut out)
                .inspect(|()| {
                    if verbose {
                        eprintln!("* {label}: {}", summary(&outcome));
                    }
                }),
            Err(AsyncFailure { error, after }) => {
                if verbose {
                    eprintln!("* {label}: failed after {after:?}");
                }
                Err(Failure::from_error(&mut client, &error))
            }
        };
        if let Err(failure) = written {
            eprintln!("https-get: {url}: {}", failure.message);
            failures.push((url, failure));
        }
    }
    if verbose {
        eprintln!("* {total} transfers done in {:?}", started.elapsed());
    }
    match failures.first() {
        None => Ok(()),
        Some((url, first)) => Err(Failure::new(
            first.code,
            format!(
                "{} of {total} transfers failed; the first in the order given, {url}, with exit code {}",
                failures.len(),
                first.code
            ),
        )),
    }
}

/// The async build beside the default component: `target/verified-https-async.wasm` in this
/// workspace (or beside `$VERIFIED_HTTPS_COMPONENT`).
fn default_component_path() -> PathBuf {
    runtime::default_component_path().with_file_name(ASYNC_COMPONENT)
}

/// The flags that name one output or one upload, which many transfers cannot share: refused
/// with `-Z` (exit 2) rather than applied to one of them.
fn refuse_single_transfer_flags(args: &Args) -> Result<(), Failure> {
    let streamed = args
        .data_binary
        .as_deref()
        .is_some_and(|data| data.starts_with('@'));
    let refused = [
        (args.output.is_some(), "-o"),
        (args.upload_file.is_some(), "-T"),
        (streamed, "--data-binary @FILE"),
        (args.json, "--json"),
    ];
    match refused.iter().find(|(given, _)| *given) {
        Some((_, flag)) => Err(Failure::new(
            exit::BAD_ARGUMENT,
            format!("{flag} names one transfer and cannot be used with -Z (--parallel)"),
        )),
        None => Ok(()),
    }
}

/// Writes one transfer's head (with `-i`) and body to `out`; with `-f` a status of 400 or more
/// writes nothing (exit 22). A body over `body_limit` (`--max-filesize` with `-k`, which the
/// component does not apply) writes nothing (exit 63); a body that ended badly (`body-end`)
/// fails with its error after the bytes that came.
fn write_transfer(
    args: &Args,
    client: &mut AsyncClientInstance,
    outcome: &AsyncOutcome,
    body_limit: Option<u64>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    if args.fail && outcome.status >= 400 {
        return Err(Failure::new(
            exit::HTTP_ERROR,
            format!(
                "the requested URL returned error: {} {}",
                outcome.status, outcome.reason
            ),
        ));
    }
    if let Some(limit) = body_limit
        && outcome.body.len() as u64 > limit
    {
        return Err(Failure::from_error(
            client,
            &ErrorCode::HttpResponseBodySize(limit),
        ));
    }
    let write_failed =
        |e: std::io::Error| Failure::new(exit::WRITE_ERROR, format!("failure writing output: {e}"));
    if args.include {
        let mut head = format!("HTTP/1.1 {} {}\r\n", outcome.status, outcome.reason).into_bytes();
        for header in &outcome.headers {
            head.extend_from_slice(header.name.as_bytes());
            head.extend_from_slice(b": ");
            head.extend_from_slice(&header.value);
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(b"\r\n");
        out.write_all(&head).map_err(write_failed)?;
    }
    out.write_all(&outcome.body).map_err(write_failed)?;
    out.flush().map_err(write_failed)?;
    match &outcome.body_end {
        Some(Err(err)) => Err(Failure::from_error(client, err)),
        Some(Ok(())) | None => Ok(()),
    }
}

/// `-v`'s line for a transfer: status, body size, TLS, and when its head and its end came.
fn summary(outcome: &AsyncOutcome) -> String {
    let tls = match &outcome.tls {
        Some(tls) => format!(
            "{} {}, ALPN {}, verified: {}",
            tls.version,
            tls.cipher_suite,
            tls.alpn.as_deref().unwrap_or("none"),
            if tls.verified { "yes" } else { "NO" }
        ),
        None => "plain HTTP: not encrypted, not verified".to_owned(),
    };
    format!(
        "{} {}, {} bytes, {tls}; head after {:?}, done after {:?}",
        outcome.status,
        outcome.reason,
        outcome.body.len(),
        outcome.head_after,
        outcome.done_after
    )
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn parse(args: &[&str]) -> Args {
        Args::try_parse_from(std::iter::once("https-get").chain(args.iter().copied()))
            .expect("the flags parse")
    }

    #[test]
    fn parallel_takes_every_url_in_order_in_curl_spelling() {
        for flag in ["-Z", "--parallel"] {
            let args = parse(&[
                flag,
                "https://a.test/1",
                "https://b.test/2",
                "https://c.test/3",
            ]);
            assert!(args.parallel);
            assert_eq!(args.url, "https://a.test/1");
            assert_eq!(args.more_urls, ["https://b.test/2", "https://c.test/3"]);
        }
    }

    #[test]
    fn several_urls_without_parallel_are_refused() {
        let failure = super::super::run(&parse(&["https://a.test/", "https://b.test/"]))
            .expect_err("refused");
        assert_eq!(failure.code, exit::BAD_ARGUMENT);
        assert_eq!(
            failure.message,
            "several URLs are fetched with -Z (--parallel) only"
        );
    }

    #[test]
    fn flags_for_one_transfer_are_refused_with_parallel() {
        for (flags, named) in [
            (vec!["-o", "out"], "-o"),
            (vec!["-T", "file"], "-T"),
            (vec!["--data-binary", "@file"], "--data-binary @FILE"),
            (vec!["--json"], "--json"),
        ] {
            let args = parse(&[&["-Z"], flags.as_slice(), &["https://a.test/"]].concat());
            let failure = refuse_single_transfer_flags(&args).expect_err("refused");
            assert_eq!(failure.code, exit::BAD_ARGUMENT, "{flags:?}");
            assert!(failure.message.starts_with(named), "{failure:?}");
        }
        let args = parse(&["-Z", "--data-binary", "text", "-i", "https://a.test/"]);
        assert_eq!(refuse_single_transfer_flags(&args), Ok(()));
    }
}
