//! An edge function: the serverless shape, a `wasi:http/incoming-handler`, that answers by
//! calling an upstream HTTPS API through the verified-https client it imports
//! (`verified:https/client`, satisfied by composition: `make compose`).
//!
//! `GET /` with an `upstream: https://…` header fetches that URL and answers with its status
//! and body. An upstream whose certificate does not verify gives `502 Bad Gateway` with a
//! body naming the certificate error; any other upstream failure, `502` naming it too; a
//! request without the header, `400`.

use wasip2::http::types::{
    Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam,
};

wit_bindgen::generate!({
    world: "https-caller",
    path: "../../../wit",
});

use verified::https::client::{self, CertificateError, ErrorCode, Request, RequestOptions};

/// The most upstream body the function passes on (it buffers; an edge function's answers are
/// small).
const MAX_UPSTREAM_BODY: usize = 1 << 20;

/// The function.
struct EdgeFunction;

wasip2::http::proxy::export!(EdgeFunction);

impl wasip2::exports::http::incoming_handler::Guest for EdgeFunction {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        let upstream = request
            .headers()
            .get("upstream")
            .into_iter()
            .next()
            .and_then(|value| String::from_utf8(value).ok());
        let (status, body) = match upstream {
            None => (
                400,
                b"missing the `upstream` header (an https:// URL)\n".to_vec(),
            ),
            Some(url) => match fetch(&url) {
                Ok(answer) => answer,
                Err(err) => (
                    502,
                    format!("upstream {url}: {}\n", describe(&err)).into_bytes(),
                ),
            },
        };
        respond(response_out, status, &body);
    }
}

/// GET `url` through a verified context; the upstream's status and body.
fn fetch(url: &str) -> Result<(u16, Vec<u8>), ErrorCode> {
    let context = client::create_default_context()?;
    let response = context.send(&Request {
        method: "GET".into(),
        url: url.into(),
        headers: Vec::new(),
        body: None,
        options: RequestOptions {
            connect_timeout_ms: Some(5_000),
            handshake_timeout_ms: Some(5_000),
            read_timeout_ms: Some(10_000),
            timeout_ms: Some(30_000),
            connect_overrides: Vec::new(),
            redirects: None,
        },
    })?;
    let mut body = Vec::new();
    while let Some(piece) = response.read_body(64 * 1024)? {
        body.extend_from_slice(&piece);
        if body.len() > MAX_UPSTREAM_BODY {
            return Err(ErrorCode::HttpResponseBodySize(MAX_UPSTREAM_BODY as u64));
        }
    }
    Ok((response.status(), body))
}

/// What went wrong upstream, in words; a certificate error by its WIT case name.
fn describe(err: &ErrorCode) -> String {
    match err {
        ErrorCode::TlsCertificateError(cert) => {
            format!("certificate error: {}", certificate_error(cert))
        }
        other => format!("{other:?}"),
    }
}

/// A certificate error as its WIT case name, with what it carries.
fn certificate_error(err: &CertificateError) -> String {
    use CertificateError as E;
    match err {
        E::UnknownIssuer => "unknown-issuer".into(),
        E::SelfSigned => "self-signed".into(),
        E::Expired(v) => format!("expired (at {}, not after {})", v.time_used, v.limit),
        E::NotYetValid(v) => format!("not-yet-valid (at {}, not before {})", v.time_used, v.limit),
        E::NameMismatch(m) => format!(
            "name-mismatch (expected {}, presented {})",
            m.expected,
            m.presented.join(", ")
        ),
        E::BadSignature => "bad-signature".into(),
        E::UnsupportedSignatureAlgorithm => "unsupported-signature-algorithm".into(),
        E::Revoked => "revoked".into(),
        E::InvalidPurpose => "invalid-purpose".into(),
        E::UnhandledCriticalExtension => "unhandled-critical-extension".into(),
        E::BadEncoding => "bad-encoding".into(),
        E::Other(why) => format!("other ({why})"),
    }
}

fn respond(out: ResponseOutparam, status: u16, body: &[u8]) {
    let headers = Fields::from_list(&[(
        "content-type".to_owned(),
        b"text/plain; charset=utf-8".to_vec(),
    )])
    .expect("a valid header");
    let response = OutgoingResponse::new(headers);
    response.set_status_code(status).expect("a valid status");
    let outgoing = response.body().expect("the body, taken once");
    ResponseOutparam::set(out, Ok(response));
    let stream = outgoing.write().expect("the body stream, taken once");
    for piece in body.chunks(4096) {
        stream
            .blocking_write_and_flush(piece)
            .expect("writing the response body");
    }
    drop(stream);
    OutgoingBody::finish(outgoing, None).expect("finishing the body");
}
