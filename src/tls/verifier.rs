//! The verified context's verifier: rustls-webpki's, with additions that change no decision:
//! a lone self-signed certificate is reported as such, verified chains are remembered for as
//! long as every certificate in them is valid, and each success tells the session store until
//! when sessions with that server may be resumed (`resumption`).

use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use super::der;
use super::pins::Pins;
use super::resumption::VerifiedWindows;
use super::verified_chains::{VerifiedChains, chain_key, window};

/// The verified context's verifier: rustls-webpki's, reporting a lone self-signed certificate
/// as such instead of as an unknown issuer, and remembering the chains it has verified (see
/// [`super::verified_chains`]).
#[derive(Debug)]
pub(crate) struct SelfSignedAwareVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    verified: Mutex<VerifiedChains>,
    windows: Arc<VerifiedWindows>,
    pins: Pins,
}

impl SelfSignedAwareVerifier {
    /// Wraps webpki's verifier, remembering nothing yet, recording successes in `windows`, and
    /// checking the end-entity key against `pins` after every successful verification.
    pub(crate) fn new(
        webpki: Arc<WebPkiServerVerifier>,
        windows: Arc<VerifiedWindows>,
        pins: Pins,
    ) -> Self {
        SelfSignedAwareVerifier {
            webpki,
            verified: Mutex::default(),
            windows,
            pins,
        }
    }
}

/// The error carried through rustls for a lone self-signed certificate.
#[derive(Debug)]
pub struct SelfSignedCertificate;

impl std::fmt::Display for SelfSignedCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("self-signed certificate")
    }
}

impl std::error::Error for SelfSignedCertificate {}

impl ServerCertVerifier for SelfSignedAwareVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented: Vec<&[u8]> = intermediates.iter().map(|c| c.as_ref()).collect();
        let key = chain_key(&server_name.to_str(), end_entity, &presented);
        let verified = || self.verified.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(window) = verified().window_at(&key, now.as_secs()) {
            self.pins.check(end_entity)?;
            self.windows.record(server_name, window);
            return Ok(ServerCertVerified::assertion());
        }
        let checked = self
            .webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|err| match err {
                rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)
                    if intermediates.is_empty() && der::is_self_issued(end_entity) =>
                {
                    rustls::Error::InvalidCertificate(rustls::CertificateError::Other(
                        rustls::OtherError(Arc::new(SelfSignedCertificate)),
                    ))
                }
                other => other,
            })?;
        // Pins are checked after the chain and name verified, never instead.
        self.pins.check(end_entity)?;
        if let Some(window) = window(std::iter::once(end_entity.as_ref()).chain(presented)) {
            verified().insert(key, window);
            self.windows.record(server_name, window);
        }
        Ok(checked)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}
