//! The fetch `https-get` makes with the decisions of [`super`]: load the component, instantiate
//! it with the chosen trust, send, and write the response where the flags say (with `-v`, TLS
//! details on stderr; with `--json`, metadata on stdout; with `-o` at a terminal, progress).

use std::io::Write;
use std::time::Instant;

use super::context::{host_config, open_context};
use super::{
    Args, Failure, StreamedFile, build_request, exit, streamed_file, tls_options, trust_choice,
};
use crate::certificates::summarize;
use crate::instance::{ClientInstance, ContextHandle, ResponseHandle};
use crate::runtime::{self, Runtime};
use crate::{ErrorCode, UploadProgress};

/// Fetches `args.url` as the flags say; what failed, with its exit code, otherwise.
pub(super) fn run(args: &Args) -> Result<(), Failure> {
    let started = Instant::now();
    let verbose = args.is_verbose();
    let component = args
        .component
        .clone()
        .unwrap_or_else(runtime::default_lending_component_path);
    let cache = runtime::default_cache_dir();
    let (runtime, loaded_from) = Runtime::load(&component, cache.as_deref())?;
    if verbose {
        eprintln!(
            "* component {} ({loaded_from}) in {:?}",
            component.display(),
            started.elapsed()
        );
    }

    let choice = trust_choice(args)?;
    // The TLS flags: refused with -k (exit 2); --cert/--key are read here (exit 58).
    let tls = tls_options(args)?;
    let mut client = ClientInstance::new(&runtime, host_config(&choice, verbose))?;
    // The unverified context takes no options: its body limit is applied here.
    let host_body_limit = choice.host_body_limit(args.max_filesize);
    let context = open_context(args, &mut client, &choice, tls)?;
    if verbose && is_https(&args.url) {
        report_alpn_offer(args.http2);
    }

    let mut request = build_request(args)?;
    if args.compressed {
        request.options.accept_encoding = Some(client.supported_content_codings()?);
    }
    if let (true, Some(proxy)) = (verbose, &request.options.proxy) {
        eprintln!(
            "* proxy: {} (no proxy for: {:?})",
            redact(&proxy.url),
            proxy.no_proxy
        );
    }
    let response = match streamed_file(args)? {
        None => client.send(context, &request)?,
        Some(file) => upload(args, &mut client, context, &request, &file)?,
    }
    .map_err(|err| Failure::from_error(&mut client, &err))?;
    if verbose {
        report_response(&response, started);
    }
    if args.fail && response.status >= 400 {
        return Err(Failure::new(
            exit::HTTP_ERROR,
            format!(
                "the requested URL returned error: {} {}",
                response.status, response.reason
            ),
        ));
    }
    let body_bytes = write_response(args, &mut client, &response, host_body_limit)?;
    if verbose {
        report_crypto(&runtime, &client);
    }
    if args.json {
        println!("{}", metadata(&response, body_bytes));
    }
    Ok(())
}

/// Whether `url` is https (ALPN is offered only there).
pub(super) fn is_https(url: &str) -> bool {
    url.get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
}

/// `-v`'s line on the protocols offered by ALPN: `h2` too with `--http2`.
pub(super) fn report_alpn_offer(http2: bool) {
    let offered = if http2 { "h2,http/1.1" } else { "http/1.1" };
    eprintln!("* ALPN: offering {offered}");
}

/// The proxy URL without its password, for `-v`.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// Sends `request` with `file` streamed as its body, 64 KiB at a time (never whole in memory),
/// with a progress bar at a terminal; a server that answers early stops the upload.
fn upload(
    args: &Args,
    client: &mut ClientInstance,
    context: ContextHandle,
    request: &crate::Request,
    file: &StreamedFile,
) -> Result<Result<ResponseHandle, ErrorCode>, Failure> {
    use std::io::Read;
    let read_failed = |e: std::io::Error| {
        Failure::new(
            exit::READ_ERROR,
            format!("cannot read {}: {e}", file.path.display()),
        )
    };
    let mut source = std::fs::File::open(&file.path).map_err(read_failed)?;
    let body = match client.begin_request(context, request, Some(file.size))? {
        Ok(body) => body,
        Err(err) => return Ok(Err(err)),
    };
    let bar = upload_progress_bar(args, file.size);
    let mut piece = vec![0; 64 * 1024];
    let mut sent = 0u64;
    // Content-Length was announced: exactly that many bytes go, even if the file changes.
    while sent < file.size {
        let want = piece
            .len()
            .min(usize::try_from(file.size - sent).unwrap_or(piece.len()));
        let n = source.read(&mut piece[..want]).map_err(read_failed)?;
        if n == 0 {
            return Err(Failure::new(
                exit::READ_ERROR,
                format!("{} shrank while it was being sent", file.path.display()),
            ));
        }
        match client.write_body(&body, &piece[..n])? {
            Ok(UploadProgress::Sending) => {}
            Ok(UploadProgress::Answered) => break,
            Err(err) => return Ok(Err(err)),
        }
        sent += n as u64;
        if let Some(bar) = &bar {
            bar.set_position(sent);
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(client.finish_body(body)?)
}

/// A progress bar for an upload at a terminal.
fn upload_progress_bar(args: &Args, size: u64) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if args.silent || !std::io::stderr().is_terminal() {
        return None;
    }
    let style = indicatif::ProgressStyle::with_template(
        "sent {bytes:>10} / {total_bytes} {wide_bar} {bytes_per_sec} ETA {eta}",
    )
    .ok()?;
    Some(indicatif::ProgressBar::new(size).with_style(style))
}

/// The response's metadata as JSON (`--json`).
fn metadata(response: &ResponseHandle, body_bytes: u64) -> serde_json::Value {
    let headers: Vec<_> = response
        .headers
        .iter()
        .map(|h| serde_json::json!([h.name, String::from_utf8_lossy(&h.value)]))
        .collect();
    let tls = response.tls.as_ref().map(|tls| {
        let chain: Vec<_> = tls
            .peer_certificates
            .iter()
            .map(|der| serde_json::to_value(summarize(der)).unwrap_or_default())
            .collect();
        serde_json::json!({
            "version": tls.version,
            "cipher_suite": tls.cipher_suite,
            "alpn": tls.alpn,
            "verified": tls.verified,
            "client_certificate_sent": tls.client_certificate_sent,
            "chain": chain,
        })
    });
    serde_json::json!({
        "url": response.url,
        "status": response.status,
        "reason": response.reason,
        "headers": headers,
        "tls": tls,
        "body_bytes": body_bytes,
    })
}

/// Which crypto the fetch ran on: the host's (the component imports `crypto`), with what it
/// computed, or the component's own.
fn report_crypto(runtime: &Runtime, client: &ClientInstance) {
    let calls = client.crypto_calls();
    if runtime.imports_host_crypto() {
        eprintln!(
            "* crypto: lent by the host (ring, native): {} records sealed, {} opened, {} key \
             shares, {} signatures verified",
            calls.seals, calls.opens, calls.key_shares, calls.verifications
        );
    } else {
        eprintln!(
            "* crypto: inside the component (ring, and ChaCha20-Poly1305 in wasm SIMD; it imports no crypto)"
        );
    }
}

fn report_response(response: &ResponseHandle, started: Instant) {
    match &response.tls {
        Some(tls) => {
            if let Some(alpn) = &tls.alpn {
                eprintln!("* ALPN: server accepted {alpn}");
            }
            eprintln!(
                "* {} {}, ALPN {}, verified: {}",
                tls.version,
                tls.cipher_suite,
                tls.alpn.as_deref().unwrap_or("none"),
                if tls.verified { "yes" } else { "NO" }
            );
            eprintln!(
                "* client certificate: {}",
                if tls.client_certificate_sent {
                    "sent"
                } else {
                    "not sent"
                }
            );
            eprintln!(
                "* server presented {} certificate(s):",
                tls.peer_certificates.len()
            );
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            for (i, der) in tls.peer_certificates.iter().enumerate() {
                match summarize(der) {
                    Some(c) => eprintln!(
                        "*   {i} subject: {}\n*     issuer: {}\n*     names: {}\n*     expires: {} (in {} days)",
                        c.subject,
                        c.issuer,
                        if c.names.is_empty() {
                            "none".to_owned()
                        } else {
                            c.names.join(", ")
                        },
                        c.not_after,
                        (c.not_after_unix - now).div_euclid(86_400)
                    ),
                    None => eprintln!("*   {i} (not parseable here)"),
                }
            }
        }
        None => eprintln!("* plain HTTP: not encrypted, not verified"),
    }
    eprintln!(
        "< {} {} ({:?})",
        response.status,
        response.reason,
        started.elapsed()
    );
    let encoding = response
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-encoding"));
    if let Some(encoding) = encoding {
        eprintln!(
            "* content-encoding: {} ({})",
            String::from_utf8_lossy(&encoding.value),
            if response.content_decoded.is_empty() {
                "not decoded"
            } else {
                "decoded"
            }
        );
    }
}

/// Writes the body (and with -i the head) where it goes; the body's size. With -o FILE at a
/// terminal, a progress bar on stderr.
///
/// With `body_limit` (`--max-filesize` where the component does not apply it), a body over the
/// limit fails as the component's would (`http-response-body-size`, exit 63, its wording): a
/// Content-Length over it before anything is written, and otherwise before the piece that
/// crosses it, so nothing beyond the limit is ever written.
fn write_response(
    args: &Args,
    client: &mut ClientInstance,
    response: &ResponseHandle,
    body_limit: Option<u64>,
) -> Result<u64, Failure> {
    let too_large = |client: &mut ClientInstance, limit: u64| {
        Failure::from_error(client, &ErrorCode::HttpResponseBodySize(limit))
    };
    if let Some(limit) = body_limit
        && content_length(response).is_some_and(|length| length > limit)
    {
        return Err(too_large(client, limit));
    }
    let mut out: Box<dyn Write> = match (&args.output, args.json) {
        (Some(path), _) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| {
                Failure::new(
                    exit::WRITE_ERROR,
                    format!("cannot write {}: {e}", path.display()),
                )
            })?,
        )),
        (None, true) => Box::new(std::io::sink()),
        (None, false) => Box::new(std::io::stdout().lock()),
    };
    let write_failed =
        |e: std::io::Error| Failure::new(exit::WRITE_ERROR, format!("failure writing output: {e}"));
    if args.include {
        let mut head = format!("HTTP/1.1 {} {}\r\n", response.status, response.reason).into_bytes();
        for header in &response.headers {
            head.extend_from_slice(header.name.as_bytes());
            head.extend_from_slice(b": ");
            head.extend_from_slice(&header.value);
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(b"\r\n");
        out.write_all(&head).map_err(write_failed)?;
    }
    let progress = progress_bar(args, response);
    let mut written = 0u64;
    while let Some(piece) = client
        .read_body(response, 256 * 1024)?
        .map_err(|err| Failure::from_error(client, &err))?
    {
        if let Some(limit) = body_limit
            && written + piece.len() as u64 > limit
        {
            return Err(too_large(client, limit));
        }
        out.write_all(&piece).map_err(write_failed)?;
        written += piece.len() as u64;
        if let Some(bar) = &progress {
            bar.set_position(written);
        }
    }
    if let Some(bar) = progress {
        bar.finish();
    }
    out.flush().map_err(write_failed)?;
    Ok(written)
}

/// A progress bar for a download to a file at a terminal (sized by Content-Length if sent).
fn progress_bar(args: &Args, response: &ResponseHandle) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if args.output.is_none() || args.silent || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = match content_length(response) {
        Some(length) => indicatif::ProgressBar::new(length).with_style(
            indicatif::ProgressStyle::with_template(
                "{bytes:>10} / {total_bytes} {wide_bar} {bytes_per_sec} ETA {eta}",
            )
            .ok()?,
        ),
        None => indicatif::ProgressBar::new_spinner().with_style(
            indicatif::ProgressStyle::with_template("{spinner} {bytes} {bytes_per_sec}").ok()?,
        ),
    };
    Some(bar)
}

/// The response's Content-Length, if it sent one that parses.
fn content_length(response: &ResponseHandle) -> Option<u64> {
    response
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| {
            std::str::from_utf8(&h.value)
                .ok()?
                .trim()
                .parse::<u64>()
                .ok()
        })
}
