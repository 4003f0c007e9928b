//! Conversions between the WIT types and the core's, each in one place: requests and options
//! in, responses' TLS details and errors out (and errors back in, for `describe-error`).

use super::wit;
use crate::client::proxy::ProxyConfig;
use crate::client::redirect::RedirectPolicy;
use crate::client::{ConnectOverride, SendOptions, Timeouts};
use crate::error::{CertificateError, Error};
use crate::http1::content::ContentCoding;
use crate::http1::{Body, Request};
use crate::limits::Limits;
use crate::tls::{ClientIdentity, TlsInfo, TlsOptions, TlsVersion};
use crate::trust::TrustChoice;

/// The core's trust choice from the WIT `trust-anchors`.
pub(super) fn trust_choice(anchors: wit::TrustAnchors) -> TrustChoice {
    match anchors {
        wit::TrustAnchors::Host => TrustChoice::Host,
        wit::TrustAnchors::Pem(pem) => TrustChoice::Pem(pem),
        wit::TrustAnchors::Der(certs) => TrustChoice::Der(certs),
    }
}

/// The core's TLS options from the WIT context options; `host_identity` answers the `host`
/// client identity (the `identity` import, where this build has it).
pub(super) fn tls_options(
    options: &mut wit::ContextOptions,
    host_identity: impl FnOnce() -> Result<ClientIdentity, Error>,
) -> Result<TlsOptions, Error> {
    let version = |v: wit::TlsVersion| match v {
        wit::TlsVersion::Tls12 => TlsVersion::Tls12,
        wit::TlsVersion::Tls13 => TlsVersion::Tls13,
    };
    let client_identity = match options.client_identity.take() {
        None => None,
        Some(wit::ClientIdentity::Pem(pem)) => Some(ClientIdentity::from_pem(&pem)?),
        Some(wit::ClientIdentity::Der(der)) => Some(ClientIdentity::from_der(der.chain, der.key)?),
        Some(wit::ClientIdentity::Host) => Some(host_identity()?),
    };
    Ok(TlsOptions {
        min_version: options.min_version.map(version),
        max_version: options.max_version.map(version),
        client_identity,
        pinned_public_keys: std::mem::take(&mut options.pinned_public_keys),
    })
}

/// The core's limits from the WIT record: absent fields take the defaults.
pub(super) fn core_limits(limits: &wit::Limits) -> Limits {
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
        interim_responses: size(limits.max_interim_responses, default.interim_responses),
        body_bytes: limits.max_body_bytes.or(default.body_bytes),
    }
}

/// The content coding as WIT has it.
pub(super) fn wit_coding(coding: ContentCoding) -> wit::ContentCoding {
    match coding {
        ContentCoding::Gzip => wit::ContentCoding::Gzip,
        ContentCoding::Deflate => wit::ContentCoding::Deflate,
    }
}

/// The core's codings from WIT's; one this build cannot decode is refused.
fn core_codings(codings: Vec<wit::ContentCoding>) -> Result<Vec<ContentCoding>, Error> {
    codings
        .into_iter()
        .map(|coding| match coding {
            wit::ContentCoding::Gzip => Ok(ContentCoding::Gzip),
            wit::ContentCoding::Deflate => Ok(ContentCoding::Deflate),
            other => Err(Error::InvalidRequest(format!(
                "this build cannot decode {other:?} (supported-content-codings lists what it can)"
            ))),
        })
        .collect()
}

/// The core's request and send options from the WIT request; `streamed` is the size (if
/// known) of a body the caller streams, which `request.body` must then not hold.
pub(super) fn core_request(
    request: wit::Request,
    streamed: Option<Option<u64>>,
) -> Result<(String, Request, SendOptions), Error> {
    let body = match (request.body, streamed) {
        (None, None) => Body::Empty,
        (Some(bytes), None) => Body::Bytes(bytes),
        (None, Some(size)) => Body::Streamed { size },
        (Some(_), Some(_)) => {
            return Err(Error::InvalidRequest(
                "begin-request streams the body: request.body must be absent".into(),
            ));
        }
    };
    let (core, options) =
        core_request_parts(request.method, request.headers, body, request.options)?;
    Ok((request.url, core, options))
}

/// The core's request and send options from a WIT request's parts, its body as given.
pub(super) fn core_request_parts(
    method: String,
    headers: Vec<wit::Header>,
    body: Body,
    options: wit::RequestOptions,
) -> Result<(Request, SendOptions), Error> {
    let send_options = SendOptions {
        timeouts: Timeouts::requested(
            options.connect_timeout_ms,
            options.handshake_timeout_ms,
            options.read_timeout_ms,
            options.timeout_ms,
        ),
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
        proxy: options.proxy.map(|p| ProxyConfig {
            url: p.url,
            no_proxy: p.no_proxy,
        }),
    };
    let core = Request {
        method,
        headers: headers.into_iter().map(|h| (h.name, h.value)).collect(),
        body,
        accept_encoding: options.accept_encoding.map(core_codings).transpose()?,
    };
    Ok((core, send_options))
}

/// The TLS details as WIT has them.
pub(super) fn wit_tls_info(info: TlsInfo) -> wit::TlsInfo {
    wit::TlsInfo {
        version: info.version,
        cipher_suite: info.cipher_suite,
        alpn: info.alpn,
        verified: info.verified,
        peer_certificates: info.peer_certificates,
        client_certificate_sent: info.client_certificate_sent,
    }
}

/// The one mapping from the core's errors to the WIT `error-code`.
pub(super) fn wit_error(err: Error) -> wit::ErrorCode {
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
        Error::TooManyInterimResponses(limit) => W::TooManyInterimResponses(limit),
        Error::BodyTooLarge(limit) => W::HttpResponseBodySize(limit),
        Error::ContentDecoding(why) => W::ContentDecodingError(why),
        Error::Incomplete(why) => W::HttpResponseIncomplete(why),
        Error::ConnectionTerminated(why) => W::ConnectionTerminated(why),
        Error::Timeout => W::HttpResponseTimeout,
        Error::TooManyRedirects(limit) => W::TooManyRedirects(limit),
        Error::InsecureRedirect(to) => W::InsecureRedirect(to),
        Error::BodyNotReplayable(to) => W::BodyNotReplayable(to),
        Error::Proxy { status, reason } => W::ProxyError(wit::ProxyErrorPayload { status, reason }),
        Error::InvalidClientIdentity(why) => W::InvalidClientIdentity(why),
        Error::PinMismatch { presented, pinned } => {
            W::PinMismatch(wit::PinMismatchPayload { presented, pinned })
        }
        Error::Internal(why) => W::InternalError(why),
    }
}

/// The certificate error as WIT has it.
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

/// The core's error from the WIT `error-code`: the inverse of [`wit_error`], so that
/// `describe-error` words an error exactly as the core does.
pub(super) fn core_error(code: wit::ErrorCode) -> Error {
    use wit::ErrorCode as W;
    match code {
        W::InvalidUrl(why) => Error::InvalidUrl(why),
        W::InvalidRequest(why) => Error::InvalidRequest(why),
        W::TrustStoreUnavailable(why) => Error::TrustStoreUnavailable(why),
        W::InvalidTrustAnchors(why) => Error::InvalidTrustAnchors(why),
        W::DnsError(why) => Error::Dns(why),
        W::ConnectionRefused(why) => Error::ConnectionRefused(why),
        W::DestinationUnavailable(why) => Error::DestinationUnavailable(why),
        W::ConnectionTimeout => Error::ConnectionTimeout,
        W::TlsCertificateError(cert) => Error::Certificate(core_certificate_error(cert)),
        W::TlsAlertReceived(alert) => Error::TlsAlert(alert),
        W::TlsProtocolError(why) => Error::TlsProtocol(why),
        W::HttpProtocolError(why) => Error::HttpProtocol(why),
        W::HttpResponseHeaderSectionSize(limit) => Error::HeaderSectionTooLarge(limit),
        W::HttpResponseHeaderCount(limit) => Error::TooManyHeaders(limit),
        W::HttpResponseStatusLineSize(limit) => Error::StatusLineTooLong(limit),
        W::HttpResponseChunkLineSize(limit) => Error::ChunkLineTooLong(limit),
        W::TooManyInterimResponses(limit) => Error::TooManyInterimResponses(limit),
        W::HttpResponseBodySize(limit) => Error::BodyTooLarge(limit),
        W::ContentDecodingError(why) => Error::ContentDecoding(why),
        W::HttpResponseIncomplete(why) => Error::Incomplete(why),
        W::ConnectionTerminated(why) => Error::ConnectionTerminated(why),
        W::HttpResponseTimeout => Error::Timeout,
        W::TooManyRedirects(limit) => Error::TooManyRedirects(limit),
        W::InsecureRedirect(to) => Error::InsecureRedirect(to),
        W::BodyNotReplayable(to) => Error::BodyNotReplayable(to),
        W::ProxyError(p) => Error::Proxy {
            status: p.status,
            reason: p.reason,
        },
        W::InvalidClientIdentity(why) => Error::InvalidClientIdentity(why),
        W::PinMismatch(m) => Error::PinMismatch {
            presented: m.presented,
            pinned: m.pinned,
        },
        W::InternalError(why) => Error::Internal(why),
    }
}

/// The core's certificate error from WIT's.
fn core_certificate_error(err: wit::CertificateError) -> CertificateError {
    use wit::CertificateError as W;
    match err {
        W::UnknownIssuer => CertificateError::UnknownIssuer,
        W::SelfSigned => CertificateError::SelfSigned,
        W::Expired(v) => CertificateError::Expired {
            time: v.time_used,
            not_after: v.limit,
        },
        W::NotYetValid(v) => CertificateError::NotYetValid {
            time: v.time_used,
            not_before: v.limit,
        },
        W::NameMismatch(m) => CertificateError::NameMismatch {
            expected: m.expected,
            presented: m.presented,
        },
        W::BadSignature => CertificateError::BadSignature,
        W::UnsupportedSignatureAlgorithm => CertificateError::UnsupportedSignatureAlgorithm,
        W::Revoked => CertificateError::Revoked,
        W::InvalidPurpose => CertificateError::InvalidPurpose,
        W::UnhandledCriticalExtension => CertificateError::UnhandledCriticalExtension,
        W::BadEncoding => CertificateError::BadEncoding,
        W::Other(why) => CertificateError::Other(why),
    }
}
