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
            other => format!("{other:?}"),
        };
        TlsInfo {
            version,
            cipher_suite: conn
                .negotiated_cipher_suite()
                .and_then(|suite| suite.suite().as_str())
                .unwrap_or("unknown")
                .to_owned(),
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
