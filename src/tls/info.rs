//! What a connection tells about its TLS: version, suite, ALPN, the peer's chain, and
//! whether it was verified.

/// The TLS details of an established connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    /// `TLSv1.2` or `TLSv1.3`.
    pub version: String,
    /// The IANA name of the suite.
    pub cipher_suite: String,
    /// The ALPN protocol agreed, if any.
    pub alpn: Option<String>,
    /// Whether chain and name were verified.
    pub verified: bool,
    /// The server's certificates as DER, end-entity first.
    pub peer_certificates: Vec<Vec<u8>>,
    /// Whether the client sent its own certificate in the handshake.
    pub client_certificate_sent: bool,
}

impl TlsInfo {
    /// Reads the details off a connection whose handshake is complete.
    pub fn of(
        conn: &rustls::ClientConnection,
        verified: bool,
        client_certificate_sent: bool,
    ) -> Self {
        let version = match conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_owned(),
            Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_owned(),
            Some(other) => format!("0x{:04x}", u16::from(other)),
            None => "unknown".to_owned(),
        };
        TlsInfo {
            version,
            cipher_suite: conn
                .negotiated_cipher_suite()
                .map_or_else(|| "unknown".to_owned(), |suite| suite_name(suite.suite())),
            alpn: conn
                .alpn_protocol()
                .map(|p| String::from_utf8_lossy(p).into_owned()),
            verified,
            peer_certificates: conn
                .peer_certificates()
                .unwrap_or_default()
                .iter()
                .map(|c| c.to_vec())
                .collect(),
            client_certificate_sent,
        }
    }
}

/// The IANA name of a suite the provider offers (`crate::tls::provider`), in rustls's spelling.
/// A table of our own: rustls's `CipherSuite::as_str` names all ~370 registered suites, whose
/// strings would all be linked into the component for the nine it can negotiate.
fn suite_name(suite: rustls::CipherSuite) -> String {
    use rustls::CipherSuite as S;
    let name = match suite {
        S::TLS13_CHACHA20_POLY1305_SHA256 => "TLS13_CHACHA20_POLY1305_SHA256",
        S::TLS13_AES_256_GCM_SHA384 => "TLS13_AES_256_GCM_SHA384",
        S::TLS13_AES_128_GCM_SHA256 => "TLS13_AES_128_GCM_SHA256",
        S::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => {
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
        }
        S::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => {
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
        }
        S::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        S::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        S::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        S::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        other => return format!("0x{:04x}", u16::from(other)),
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_suite_the_provider_offers_has_rustls_s_name() {
        for suite in &crate::tls::provider::provider().cipher_suites {
            let suite = suite.suite();
            assert_eq!(Some(suite_name(suite).as_str()), suite.as_str());
        }
    }
}
