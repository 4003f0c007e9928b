//! The only code that touches WIT: exports the `client` interface, calls the `trust` import,
//! and maps the core's `Error` to the WIT `error-code` in one place.

mod net;

use std::cell::RefCell;
use std::sync::Arc;

use rustls::ClientConfig;

use crate::error::{CertificateError, Error};
use crate::exchange::{self, Channel};
use crate::request::Request;
use crate::target::Target;
use crate::tls::{self, TlsInfo};
use crate::trust::{self, AnchorSource};
use net::{Deadline, TcpStream};

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
        let anchors = host_trust::trust_anchors().map_err(|why| {
            wit_error(Error::TrustStoreUnavailable(format!(
                "the host has no trust store: {why}"
            )))
        })?;
        let roots = trust::roots_from_der(anchors, AnchorSource::Host).map_err(wit_error)?;
        HttpsContext::verified(roots)
    }

    fn create_context(options: wit::ContextOptions) -> Result<wit::Context, wit::ErrorCode> {
        let roots = match options.trust_anchors {
            wit::TrustAnchors::Host => return Self::create_default_context(),
            wit::TrustAnchors::Pem(pem) => trust::roots_from_pem(&pem, AnchorSource::Caller),
            wit::TrustAnchors::Der(certs) => trust::roots_from_der(certs, AnchorSource::Caller),
        };
        HttpsContext::verified(roots.map_err(wit_error)?)
    }

    fn create_unverified_context() -> wit::Context {
        wit::Context::new(HttpsContext {
            config: tls::unverified_config(),
            verifies: false,
        })
    }
}

/// A context: the TLS configuration its requests use.
struct HttpsContext {
    config: Arc<ClientConfig>,
    verifies: bool,
}

impl HttpsContext {
    fn verified(roots: rustls::RootCertStore) -> Result<wit::Context, wit::ErrorCode> {
        Ok(wit::Context::new(HttpsContext {
            config: tls::verified_config(roots).map_err(wit_error)?,
            verifies: true,
        }))
    }

    fn send(&self, request: wit::Request) -> Result<HttpsResponse, Error> {
        let target = Target::parse(&request.url)?;
        let options = &request.options;
        let total = options.timeout_ms.map(Deadline::after_millis);
        let connect_deadline = Deadline::earliest(
            options.connect_timeout_ms.map(Deadline::after_millis),
            total,
        );
        let host = target.host_text();
        let address = options
            .connect_overrides
            .iter()
            .find(|o| o.host.eq_ignore_ascii_case(&host) && o.port == target.port)
            .map_or(host.as_str(), |o| o.address.as_str());
        let mut tcp = net::connect(address, target.port, connect_deadline)?;
        tcp.set_deadline(total);
        let channel = Channel::open(&target, tcp, Some(self.config.clone()))?;
        let core_request = Request {
            method: request.method,
            headers: request
                .headers
                .into_iter()
                .map(|h| (h.name, h.value))
                .collect(),
            body: request.body,
        };
        let response = exchange::exchange(channel, &target, &core_request, self.verifies)?;
        Ok(HttpsResponse {
            inner: RefCell::new(response),
        })
    }
}

impl wit::GuestContext for HttpsContext {
    fn verifies(&self) -> bool {
        self.verifies
    }

    fn send(&self, request: wit::Request) -> Result<wit::Response, wit::ErrorCode> {
        HttpsContext::send(self, request)
            .map(wit::Response::new)
            .map_err(wit_error)
    }
}

/// A response and the connection its body is still arriving on.
struct HttpsResponse {
    inner: RefCell<exchange::Response<TcpStream>>,
}

impl wit::GuestResponse for HttpsResponse {
    fn status(&self) -> u16 {
        self.inner.borrow().head.status
    }

    fn reason(&self) -> String {
        self.inner.borrow().head.reason.clone()
    }

    fn headers(&self) -> Vec<wit::Header> {
        self.inner
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
        self.inner.borrow().tls.clone().map(wit_tls_info)
    }

    fn read_body(&self, max_bytes: u32) -> Result<Option<Vec<u8>>, wit::ErrorCode> {
        self.inner
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
        Error::Incomplete(why) => W::HttpResponseIncomplete(why),
        Error::ConnectionTerminated(why) => W::ConnectionTerminated(why),
        Error::Timeout => W::HttpResponseTimeout,
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
