//! The only code that touches WIT: exports the `client` interface, calls the `trust` import,
//! and maps the core's `Error` to the WIT `error-code` in one place.

mod net;

use std::cell::RefCell;

use rustls_pki_types::UnixTime;

use crate::client::{self, Client, ConnectOverride, SendOptions, Timeouts};
use crate::error::{CertificateError, Error};
use crate::limits::Limits;
use crate::redirect::RedirectPolicy;
use crate::request::Request;
use crate::tls::{Policy, TlsInfo};
use crate::trust::{self, AnchorSource};
use net::WasiNetwork;

wit_bindgen::generate!({
    world: "https-client",
    path: "wit",
});

use exports::verified::https::client as wit;
use verified::https::trust as host_trust;

/// The component: the implementation of the exported `client` interface.
struct Component;

export!(Component);

impl wit::Guest for Component {
    type Context = HttpsContext;
    type Response = HttpsResponse;

    fn create_default_context() -> Result<wit::Context, wit::ErrorCode> {
        let (roots, crls) = host_anchors().map_err(wit_error)?;
        HttpsContext::verified(roots, crls, AnchorSource::Host, Limits::default())
    }

    fn create_context(options: wit::ContextOptions) -> Result<wit::Context, wit::ErrorCode> {
        let limits = core_limits(&options.limits);
        let caller_crls = options.revocation_lists;
        let (roots, crls, source) = match options.trust_anchors {
            wit::TrustAnchors::Host if caller_crls.is_empty() => {
                let (roots, crls) = host_anchors().map_err(wit_error)?;
                (roots, crls, AnchorSource::Host)
            }
            wit::TrustAnchors::Host => {
                return Err(wit_error(Error::InvalidTrustAnchors(
                    "revocation lists cannot be added to the host's anchors; the host supplies its own"
                        .into(),
                )));
            }
            wit::TrustAnchors::Pem(pem) => {
                let roots = trust::roots_from_pem(&pem, AnchorSource::Caller).map_err(wit_error)?;
                (roots, caller_crls, AnchorSource::Caller)
            }
            wit::TrustAnchors::Der(certs) => {
                let roots =
                    trust::roots_from_der(certs, AnchorSource::Caller).map_err(wit_error)?;
                (roots, caller_crls, AnchorSource::Caller)
            }
        };
        HttpsContext::verified(roots, crls, source, limits)
    }

    fn create_unverified_context() -> wit::Context {
        wit::Context::new(HttpsContext {
            client: Client::new(WasiNetwork, Policy::unverified(), Limits::default()),
        })
    }
}

/// The host's trust anchors and revocation lists, through the `trust` import.
fn host_anchors() -> Result<(rustls::RootCertStore, Vec<Vec<u8>>), Error> {
    let anchors = host_trust::trust_anchors().map_err(|why| {
        Error::TrustStoreUnavailable(format!("the host has no trust store: {why}"))
    })?;
    let crls = host_trust::revocation_lists().map_err(|why| {
        Error::TrustStoreUnavailable(format!(
            "the host's revocation lists are unavailable: {why}"
        ))
    })?;
    Ok((trust::roots_from_der(anchors, AnchorSource::Host)?, crls))
}

/// The core's limits from the WIT record: absent fields take the defaults.
fn core_limits(limits: &wit::Limits) -> Limits {
    let default = Limits::default();
    let size = |value: Option<u32>, default: usize| value.map_or(default, |v| v as usize);
    Limits {
        header_section_bytes: size(
            limits.max_header_section_bytes,
            default.header_section_bytes,
        ),
        header_count: size(limits.max_header_count, default.header_count),
        status_line_bytes: size(limits.max_status_line_bytes, default.status_line_bytes),
        chunk_line_bytes: size(limits.max_chunk_line_bytes, default.chunk_line_bytes),
        body_bytes: limits.max_body_bytes.or(default.body_bytes),
    }
}

/// A context: the core client over `wasi:sockets`.
struct HttpsContext {
    client: Client<WasiNetwork>,
}

impl HttpsContext {
    fn verified(
        roots: rustls::RootCertStore,
        crls: Vec<Vec<u8>>,
        source: AnchorSource,
        limits: Limits,
    ) -> Result<wit::Context, wit::ErrorCode> {
        let policy = Policy::verified(roots, crls, source).map_err(wit_error)?;
        Ok(wit::Context::new(HttpsContext {
            client: Client::new(WasiNetwork, policy, limits),
        }))
    }
}

/// The core's request and send options from the WIT request.
fn core_request(request: wit::Request) -> (String, Request, SendOptions) {
    let options = request.options;
    let send_options = SendOptions {
        timeouts: Timeouts {
            connect_ms: options.connect_timeout_ms,
            handshake_ms: options.handshake_timeout_ms,
            read_ms: options.read_timeout_ms,
            total_ms: options.timeout_ms,
        },
        connect_overrides: options
            .connect_overrides
            .into_iter()
            .map(|o| ConnectOverride {
                host: o.host,
                port: o.port,
                address: o.address,
            })
            .collect(),
        redirects: options.redirects.map(|p| RedirectPolicy {
            max_redirects: p.max_redirects,
            allow_https_to_http: p.allow_https_to_http,
        }),
    };
    let core = Request {
        method: request.method,
        headers: request
            .headers
            .into_iter()
            .map(|h| (h.name, h.value))
            .collect(),
        body: request.body,
    };
    (request.url, core, send_options)
}

impl wit::GuestContext for HttpsContext {
    fn verifies(&self) -> bool {
        self.client.policy().verifies()
    }

    fn verify_chain(&self, chain: Vec<Vec<u8>>, server_name: String) -> Result<(), wit::ErrorCode> {
        self.client
            .policy()
            .verify_chain(&chain, &server_name, UnixTime::now())
            .map_err(wit_error)
    }

    fn send(&self, request: wit::Request) -> Result<wit::Response, wit::ErrorCode> {
        let (url, request, options) = core_request(request);
        match self.client.send(&url, request, &options) {
            Ok(response) => Ok(wit::Response::new(HttpsResponse(RefCell::new(response)))),
            Err(err) => Err(wit_error(err)),
        }
    }
}

/// A response: the core's, borrowed mutably to read its body.
struct HttpsResponse(RefCell<client::Response<WasiNetwork>>);

impl wit::GuestResponse for HttpsResponse {
    fn url(&self) -> String {
        self.0.borrow().url.clone()
    }

    fn status(&self) -> u16 {
        self.0.borrow().head.status
    }

    fn reason(&self) -> String {
        self.0.borrow().head.reason.clone()
    }

    fn headers(&self) -> Vec<wit::Header> {
        self.0
            .borrow()
            .head
            .headers
            .iter()
            .map(|(name, value)| wit::Header {
                name: name.clone(),
                value: value.clone(),
            })
            .collect()
    }

    fn tls(&self) -> Option<wit::TlsInfo> {
        self.0.borrow().tls.clone().map(wit_tls_info)
    }

    fn read_body(&self, max_bytes: u32) -> Result<Option<Vec<u8>>, wit::ErrorCode> {
        self.0
            .borrow_mut()
            .read_body(max_bytes as usize)
            .map_err(wit_error)
    }
}

fn wit_tls_info(info: TlsInfo) -> wit::TlsInfo {
    wit::TlsInfo {
        version: info.version,
        cipher_suite: info.cipher_suite,
        alpn: info.alpn,
        verified: info.verified,
        peer_certificates: info.peer_certificates,
    }
}

/// The one mapping from the core's errors to the WIT `error-code`.
fn wit_error(err: Error) -> wit::ErrorCode {
    use wit::ErrorCode as W;
    match err {
        Error::InvalidUrl(why) => W::InvalidUrl(why),
        Error::InvalidRequest(why) => W::InvalidRequest(why),
        Error::TrustStoreUnavailable(why) => W::TrustStoreUnavailable(why),
        Error::InvalidTrustAnchors(why) => W::InvalidTrustAnchors(why),
        Error::Dns(why) => W::DnsError(why),
        Error::ConnectionRefused(why) => W::ConnectionRefused(why),
        Error::DestinationUnavailable(why) => W::DestinationUnavailable(why),
        Error::ConnectionTimeout => W::ConnectionTimeout,
        Error::Certificate(cert) => W::TlsCertificateError(wit_certificate_error(cert)),
        Error::TlsAlert(alert) => W::TlsAlertReceived(alert),
        Error::TlsProtocol(why) => W::TlsProtocolError(why),
        Error::HttpProtocol(why) => W::HttpProtocolError(why),
        Error::HeaderSectionTooLarge(limit) => W::HttpResponseHeaderSectionSize(limit),
        Error::TooManyHeaders(limit) => W::HttpResponseHeaderCount(limit),
        Error::StatusLineTooLong(limit) => W::HttpResponseStatusLineSize(limit),
        Error::ChunkLineTooLong(limit) => W::HttpResponseChunkLineSize(limit),
        Error::BodyTooLarge(limit) => W::HttpResponseBodySize(limit),
        Error::Incomplete(why) => W::HttpResponseIncomplete(why),
        Error::ConnectionTerminated(why) => W::ConnectionTerminated(why),
        Error::Timeout => W::HttpResponseTimeout,
        Error::TooManyRedirects(limit) => W::TooManyRedirects(limit),
        Error::InsecureRedirect(to) => W::InsecureRedirect(to),
        Error::Internal(why) => W::InternalError(why),
    }
}

fn wit_certificate_error(err: CertificateError) -> wit::CertificateError {
    use wit::CertificateError as W;
    match err {
        CertificateError::UnknownIssuer => W::UnknownIssuer,
        CertificateError::SelfSigned => W::SelfSigned,
        CertificateError::Expired { time, not_after } => W::Expired(wit::ValidityPayload {
            time_used: time,
            limit: not_after,
        }),
        CertificateError::NotYetValid { time, not_before } => {
            W::NotYetValid(wit::ValidityPayload {
                time_used: time,
                limit: not_before,
            })
        }
        CertificateError::NameMismatch {
            expected,
            presented,
        } => W::NameMismatch(wit::NameMismatchPayload {
            expected,
            presented,
        }),
        CertificateError::BadSignature => W::BadSignature,
        CertificateError::UnsupportedSignatureAlgorithm => W::UnsupportedSignatureAlgorithm,
        CertificateError::Revoked => W::Revoked,
        CertificateError::InvalidPurpose => W::InvalidPurpose,
        CertificateError::UnhandledCriticalExtension => W::UnhandledCriticalExtension,
        CertificateError::BadEncoding => W::BadEncoding,
        CertificateError::Other(why) => W::Other(why),
    }
}
