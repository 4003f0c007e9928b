//! What a person or a script wants to know about the certificates a server presented: subject,
//! issuer, names and expiry (x509-parser; the component verified them, this only describes).

use serde::Serialize;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

/// One certificate of a chain, described.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateSummary {
    /// The subject's distinguished name (`CN=demo.test`).
    pub subject: String,
    /// The issuer's distinguished name.
    pub issuer: String,
    /// DNS names and IP addresses of the subjectAltName extension.
    pub names: Vec<String>,
    /// notBefore, RFC 3339.
    pub not_before: String,
    /// notAfter, RFC 3339.
    pub not_after: String,
    /// notAfter as seconds since the Unix epoch.
    pub not_after_unix: i64,
}

/// Describes a DER certificate; `None` if it cannot be parsed.
pub fn summarize(der: &[u8]) -> Option<CertificateSummary> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let rfc3339 = |t: x509_parser::time::ASN1Time| {
        t.to_datetime()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| t.to_string())
    };
    let names = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    GeneralName::DNSName(dns) => Some((*dns).to_owned()),
                    GeneralName::IPAddress(ip) => ip_text(ip),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let validity = cert.validity();
    Some(CertificateSummary {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        names,
        not_before: rfc3339(validity.not_before),
        not_after: rfc3339(validity.not_after),
        not_after_unix: validity.not_after.timestamp(),
    })
}

fn ip_text(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => Some(std::net::IpAddr::from(<[u8; 4]>::try_from(bytes).ok()?).to_string()),
        16 => Some(std::net::IpAddr::from(<[u8; 16]>::try_from(bytes).ok()?).to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use verified_https_testkit::pki::{LeafSpec, Pki};

    #[test]
    fn a_leaf_is_described_with_its_names_issuer_and_expiry() {
        let pki = Pki::new("summary");
        let leaf = pki.leaf(&LeafSpec::new(&["a.test", "127.0.0.1"]));
        let summary = summarize(&leaf.chain[0]).expect("parses");
        assert_eq!(summary.names, ["a.test", "127.0.0.1"]);
        assert!(
            summary.issuer.contains("summary intermediate CA"),
            "{summary:?}"
        );
        assert_eq!(summary.not_after, "2100-01-01T00:00:00Z");
        assert_eq!(summary.not_after_unix, 4_102_444_800);
        assert_eq!(summarize(b"garbage"), None);
    }
}
