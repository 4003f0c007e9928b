//! The `wasi:http/client@0.3.0` export (the `wasi-http` build): a `wasi:http` guest's request,
//! made of the host's `wasi:http/types` resources, sent by the core client with a verified
//! context over the host's trust anchors (`trust`), and the core's response handed back as
//! the host's resources, its body a `stream<u8>` pumped by a task that outlives `send`.
//!
//! This build is the async-client build (its network port is `wasi:sockets@0.3`), and the
//! async core is awaited directly: many sends of one instance run at once, each with its own
//! deadlines, sharing the context's idle connections, tickets and remembered chains.
//!
//! `wasi:http`'s `error-code` has no room for our detail (its `TLS-certificate-error` carries
//! nothing): the case is mapped in [`wasi_http_error`], in one place, and the core's message
//! (e.g. the names a certificate is valid for) is written on stderr beside it.

use std::cell::RefCell;
use std::rc::Rc;

use super::Component;
use super::PlatformNetwork;
use super::bindings::exports::wasi::http::client::Guest;
use super::bindings::wasi::http::types::{
    DnsErrorPayload, ErrorCode, Fields, Method, Request, RequestOptions, Response, Scheme,
    TlsAlertReceivedPayload, Trailers,
};
use super::bindings::{wit_future, wit_stream};
use super::trust::TrustImport;
use crate::client::upload::Progress;
use crate::client::{self, Client, SendOptions, Timeouts};
use crate::error::Error;
use crate::http1::{Body, Request as CoreRequest};
use crate::limits::Limits;
use crate::tls::{Policy, TlsOptions};
use crate::trust::TrustChoice;

/// The most bytes read from a body (either way) at a time.
const PIECE: usize = 64 * 1024;

/// Request headers that are not passed on: the authority is the request's, and the client
/// owns the body's framing and the connection (`wasi:http` hosts forbid most of them anyway).
const NOT_PASSED_ON: [&str; 6] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "expect",
    "keep-alive",
];

impl Guest for Component {
    async fn send(request: Request) -> Result<Response, ErrorCode> {
        let url = target_url(&request)?;
        send(&url, request).await.map_err(|err| {
            eprintln!("verified-https: {url}: {err}");
            wasi_http_error(&err)
        })
    }
}

thread_local! {
    /// The one context of the export, made at the first `send` that finds trust anchors:
    /// verified, with the host's anchors (`trust`), the default limits and TLS options. Its
    /// idle connections, session tickets and remembered chains serve every later `send`.
    static CONTEXT: RefCell<Option<Rc<Client<PlatformNetwork>>>> = const { RefCell::new(None) };
}

/// The export's context, made now if it has not been; no trust anchors is an error now,
/// before any connection, and the next `send` asks the host again.
fn context() -> Result<Rc<Client<PlatformNetwork>>, Error> {
    if let Some(client) = CONTEXT.with_borrow(Clone::clone) {
        return Ok(client);
    }
    let trust = crate::trust::choose(TrustChoice::Host, Vec::new(), &TrustImport)?;
    let policy = Policy::verified(
        trust.roots,
        trust.revocation_lists,
        trust.source,
        &TlsOptions::default(),
    )?;
    let client = Rc::new(Client::new(PlatformNetwork, policy, Limits::default()));
    CONTEXT.set(Some(Rc::clone(&client)));
    Ok(client)
}

/// The request's URL from its scheme (none: `https`), authority and path with query (none:
/// `/`).
fn target_url(request: &Request) -> Result<String, ErrorCode> {
    let scheme = match request.get_scheme() {
        None | Some(Scheme::Https) => "https",
        Some(Scheme::Http) => "http",
        Some(Scheme::Other(_)) => return Err(ErrorCode::HttpRequestUriInvalid),
    };
    let authority = request
        .get_authority()
        .filter(|authority| !authority.is_empty())
        .ok_or(ErrorCode::HttpRequestUriInvalid)?;
    let path = request.get_path_with_query().unwrap_or_default();
    let path = if path.is_empty() { "/" } else { &path };
    Ok(format!("{scheme}://{authority}{path}"))
}

/// Sends `request` to `url`: its body, if the guest's stream has any bytes, is streamed
/// (with its `Content-Length` if the guest gave one, else chunked).
async fn send(url: &str, request: Request) -> Result<Response, Error> {
    let client = context()?;
    let method = method_token(request.get_method());
    let options = send_options(request.get_options());
    let mut headers = Vec::new();
    let mut body_size = None;
    for (name, value) in request.get_headers().copy_all() {
        let lower = name.to_ascii_lowercase();
        if lower == "content-length" {
            body_size = std::str::from_utf8(&value)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok());
        }
        if !NOT_PASSED_ON.contains(&lower.as_str()) {
            headers.push((name, value));
        }
    }
    let (_, handled) = wit_future::new::<Result<(), ErrorCode>>(|| Ok(()));
    let (mut contents, trailers) = Request::consume_body(request, handled);
    let core = |body| CoreRequest {
        method,
        headers,
        body,
        accept_encoding: None,
    };
    let first = read_piece(&mut contents).await;
    let response = match first {
        None => {
            body_ended(trailers.await)?;
            client.send(url, core(Body::Empty), &options).await?
        }
        Some(first) => {
            let mut upload = client
                .begin(url, core(Body::Streamed { size: body_size }), &options)
                .await?;
            let mut piece = Some(first);
            while let Some(bytes) = piece {
                if let Progress::Answered = upload.write(&bytes).await? {
                    break;
                }
                piece = read_piece(&mut contents).await;
            }
            drop(contents);
            body_ended(trailers.await)?;
            upload.finish().await?
        }
    };
    Ok(wasi_http_response(url, response))
}

/// The next bytes of a body stream; `None` once the writer has closed it.
async fn read_piece(stream: &mut wit_bindgen::StreamReader<u8>) -> Option<Vec<u8>> {
    loop {
        let (status, bytes) = stream.read(Vec::with_capacity(PIECE)).await;
        if !bytes.is_empty() {
            return Some(bytes);
        }
        if let wit_bindgen::StreamResult::Dropped = status {
            return None;
        }
    }
}

/// How the guest's request body ended: an error it reports ends the request; trailers it
/// gives are not sent (the HTTP/1.1 client sends none).
fn body_ended(result: Result<Option<Trailers>, ErrorCode>) -> Result<(), Error> {
    result.map(drop).map_err(|code| {
        Error::InvalidRequest(format!("the request body ended with an error: {code:?}"))
    })
}

/// The method as the token sent.
fn method_token(method: Method) -> String {
    match method {
        Method::Get => "GET".into(),
        Method::Head => "HEAD".into(),
        Method::Post => "POST".into(),
        Method::Put => "PUT".into(),
        Method::Delete => "DELETE".into(),
        Method::Connect => "CONNECT".into(),
        Method::Options => "OPTIONS".into(),
        Method::Trace => "TRACE".into(),
        Method::Patch => "PATCH".into(),
        Method::Other(token) => token,
    }
}

/// The core's send options from `wasi:http`'s request options: the connect timeout as ours;
/// the between-bytes timeout (else the first-byte one) as our longest silence; no redirects
/// followed (a `wasi:http` client returns a 3xx as it is), no proxy.
fn send_options(options: Option<RequestOptions>) -> SendOptions {
    let ms = |nanoseconds: Option<u64>| nanoseconds.map(|ns| ns.div_ceil(1_000_000));
    let (connect, silence) = options.map_or((None, None), |options| {
        let silence = options
            .get_between_bytes_timeout()
            .or(options.get_first_byte_timeout());
        (ms(options.get_connect_timeout()), ms(silence))
    });
    SendOptions {
        timeouts: Timeouts::requested(connect, None, silence, None),
        connect_overrides: Vec::new(),
        redirects: None,
        proxy: None,
        // The wasi-http build is built without the feature `http2` (its size): HTTP/1.1.
        http2: false,
    }
}

/// The core's response as the host's `response`: status, the headers the host accepts (it
/// forbids hop-by-hop ones), and the body as a stream that a spawned task fills piece by
/// piece; its end (complete, or why not) resolves the trailers future.
fn wasi_http_response(url: &str, mut response: client::Response<PlatformNetwork>) -> Response {
    let headers = Fields::new();
    for (name, value) in &response.head.headers {
        // A header the host refuses (hop-by-hop, or not a valid field) is not passed on.
        let _ = headers.append(name, value);
    }
    let (mut body_writer, body) = wit_stream::new::<u8>();
    let (ended_writer, ended) = wit_future::new::<Result<Option<Trailers>, ErrorCode>>(|| {
        Err(ErrorCode::HttpResponseIncomplete)
    });
    let status = response.head.status;
    let (wasi_response, _transmitted) = Response::new(headers, Some(body), ended);
    // Our responses' statuses are 100..=999 (parsed as three digits): the host takes them.
    let _ = wasi_response.set_status_code(status);
    let url = url.to_owned();
    wit_bindgen::spawn(async move {
        let end = loop {
            match response.read_body(PIECE).await {
                Ok(Some(bytes)) => {
                    if !body_writer.write_all(bytes).await.is_empty() {
                        // The guest dropped the body: the request ends here, its
                        // connection closed with the response.
                        return;
                    }
                }
                Ok(None) => break Ok(None),
                Err(err) => {
                    eprintln!("verified-https: {url}: {err}");
                    break Err(wasi_http_error(&err));
                }
            }
        };
        drop(body_writer);
        let _ = ended_writer.write(end).await;
    });
    wasi_response
}

/// The one mapping from the core's errors to `wasi:http`'s `error-code`.
fn wasi_http_error(err: &Error) -> ErrorCode {
    match err {
        Error::InvalidUrl(_) => ErrorCode::HttpRequestUriInvalid,
        Error::InvalidRequest(_) | Error::BodyNotReplayable(_) => ErrorCode::HttpRequestDenied,
        Error::TrustStoreUnavailable(_)
        | Error::InvalidTrustAnchors(_)
        | Error::InvalidClientIdentity(_) => ErrorCode::ConfigurationError,
        Error::Dns(_) => ErrorCode::DnsError(DnsErrorPayload {
            rcode: None,
            info_code: None,
        }),
        Error::ConnectionRefused(_) => ErrorCode::ConnectionRefused,
        Error::DestinationUnavailable(_) => ErrorCode::DestinationUnavailable,
        Error::ConnectionTimeout => ErrorCode::ConnectionTimeout,
        Error::Certificate(_) | Error::PinMismatch { .. } => ErrorCode::TlsCertificateError,
        Error::TlsAlert(alert) => ErrorCode::TlsAlertReceived(TlsAlertReceivedPayload {
            alert_id: None,
            alert_message: Some(alert.clone()),
        }),
        Error::TlsProtocol(_) => ErrorCode::TlsProtocolError,
        Error::HttpProtocol(_) | Error::TooManyInterimResponses(_) | Error::Http2(_) => {
            ErrorCode::HttpProtocolError
        }
        Error::HeaderSectionTooLarge(limit) => {
            ErrorCode::HttpResponseHeaderSectionSize(Some(*limit))
        }
        Error::TooManyHeaders(_) | Error::StatusLineTooLong(_) => {
            ErrorCode::HttpResponseHeaderSectionSize(None)
        }
        Error::ChunkLineTooLong(_) => ErrorCode::HttpResponseTransferCoding(Some("chunked".into())),
        Error::BodyTooLarge(limit) => ErrorCode::HttpResponseBodySize(Some(*limit)),
        Error::ContentDecoding(_) => ErrorCode::HttpResponseContentCoding(None),
        Error::Incomplete(_) => ErrorCode::HttpResponseIncomplete,
        Error::ConnectionTerminated(_) => ErrorCode::ConnectionTerminated,
        Error::Timeout => ErrorCode::HttpResponseTimeout,
        Error::TooManyRedirects(_) => ErrorCode::LoopDetected,
        Error::InsecureRedirect(_) | Error::Proxy { .. } => ErrorCode::HttpRequestDenied,
        Error::Internal(why) => ErrorCode::InternalError(Some(why.clone())),
    }
}
