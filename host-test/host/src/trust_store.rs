//! Finding the platform's trust store, with PEP 476's rules: `SSL_CERT_FILE`, else
//! `SSL_CERT_DIR`, else the platform bundle. A location named explicitly (a variable or a flag)
//! that is missing or holds no certificate is an error, never a reason to look elsewhere.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

/// Where the platform keeps its CA bundle, on the common Linux and BSD layouts.
pub const PLATFORM_BUNDLES: [&str; 5] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// What to tell a user who has no trust store.
pub const HOW_TO_FIX: &str =
    "set SSL_CERT_FILE or SSL_CERT_DIR, or pass --cacert FILE or --capath DIR";

/// Trust anchors found, and where.
#[derive(Debug, Clone)]
pub struct TrustStore {
    /// DER certificates, without duplicates.
    pub certificates: Vec<Vec<u8>>,
    /// Where they came from, for messages (`SSL_CERT_FILE=/x`, `/etc/ssl/certs/...`).
    pub origin: String,
}

/// Finds the host's trust store from the environment and the platform, or says why not.
pub fn discover() -> Result<TrustStore, String> {
    discover_with(
        std::env::var_os("SSL_CERT_FILE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from),
        std::env::var_os("SSL_CERT_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from),
        &PLATFORM_BUNDLES.map(PathBuf::from),
    )
}

/// [`discover`] with its inputs given, for tests.
pub fn discover_with(
    cert_file: Option<PathBuf>,
    cert_dir: Option<PathBuf>,
    platform: &[PathBuf],
) -> Result<TrustStore, String> {
    if let Some(file) = cert_file {
        return from_file(&file, &format!("SSL_CERT_FILE={}", file.display()));
    }
    if let Some(dir) = cert_dir {
        return from_dir(&dir, &format!("SSL_CERT_DIR={}", dir.display()));
    }
    match platform.iter().find(|path| path.is_file()) {
        Some(bundle) => from_file(bundle, &bundle.display().to_string()),
        None => Err(format!(
            "no trust store found: SSL_CERT_FILE and SSL_CERT_DIR are not set and no platform \
             bundle exists ({}); {HOW_TO_FIX}",
            PLATFORM_BUNDLES.join(", ")
        )),
    }
}

/// Every certificate in a PEM file; none is an error.
pub fn from_file(path: &Path, origin: &str) -> Result<TrustStore, String> {
    let pem =
        std::fs::read(path).map_err(|e| format!("cannot read {origin}: {e}; {HOW_TO_FIX}"))?;
    let certificates = pem_certificates(&pem).map_err(|e| format!("{origin}: {e}"))?;
    if certificates.is_empty() {
        return Err(format!("{origin} holds no PEM certificate; {HOW_TO_FIX}"));
    }
    Ok(TrustStore {
        certificates,
        origin: origin.to_owned(),
    })
}

/// Every certificate in the PEM files of a directory (OpenSSL's hashed links included, each
/// certificate once); files without certificates are ignored, but no certificate at all is an
/// error.
pub fn from_dir(dir: &Path, origin: &str) -> Result<TrustStore, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {origin}: {e}; {HOW_TO_FIX}"))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    let mut seen = BTreeSet::new();
    let mut certificates = Vec::new();
    for path in paths.iter().filter(|p| p.is_file()) {
        let Ok(pem) = std::fs::read(path) else {
            continue;
        };
        let Ok(found) = pem_certificates(&pem) else {
            continue;
        };
        for der in found {
            if seen.insert(der.clone()) {
                certificates.push(der);
            }
        }
    }
    if certificates.is_empty() {
        return Err(format!("{origin} holds no PEM certificate; {HOW_TO_FIX}"));
    }
    Ok(TrustStore {
        certificates,
        origin: origin.to_owned(),
    })
}

/// The DER of every `CERTIFICATE` block in PEM text.
pub fn pem_certificates(pem: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    CertificateDer::pem_slice_iter(pem)
        .map(|cert| {
            cert.map(|c| c.to_vec())
                .map_err(|e| format!("invalid PEM: {e}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("trust-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn ca_pem() -> String {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .self_signed(&rcgen::KeyPair::generate().unwrap())
            .unwrap()
            .pem()
    }

    #[test]
    fn cert_file_variable_wins_over_dir_and_platform() {
        let dir = temp_dir("file");
        std::fs::write(dir.join("a.pem"), ca_pem()).unwrap();
        let store = discover_with(Some(dir.join("a.pem")), Some(dir.clone()), &[]).unwrap();
        assert_eq!(store.certificates.len(), 1);
        assert!(store.origin.starts_with("SSL_CERT_FILE="));
    }

    #[test]
    fn missing_named_file_is_an_error_not_a_fallback() {
        let dir = temp_dir("missing");
        let bundle = dir.join("bundle.pem");
        std::fs::write(&bundle, ca_pem()).unwrap();
        let err = discover_with(Some(dir.join("nope.pem")), None, &[bundle]).unwrap_err();
        assert!(
            err.contains("SSL_CERT_FILE") && err.contains("--cacert"),
            "{err}"
        );
    }

    #[test]
    fn empty_dir_is_an_error() {
        let dir = temp_dir("empty");
        let err = discover_with(None, Some(dir), &[]).unwrap_err();
        assert!(err.contains("holds no PEM certificate"), "{err}");
    }

    #[test]
    fn dir_certificates_are_deduplicated() {
        let dir = temp_dir("dedup");
        let pem = ca_pem();
        std::fs::write(dir.join("a.pem"), &pem).unwrap();
        std::fs::write(dir.join("1234abcd.0"), &pem).unwrap();
        std::fs::write(dir.join("README"), "not a certificate").unwrap();
        let store = from_dir(&dir, "dir").unwrap();
        assert_eq!(store.certificates.len(), 1);
    }

    #[test]
    fn nothing_found_names_the_variables_and_flags() {
        let err =
            discover_with(None, None, &[PathBuf::from("/nonexistent/bundle.crt")]).unwrap_err();
        for word in ["SSL_CERT_FILE", "SSL_CERT_DIR", "--cacert", "--capath"] {
            assert!(err.contains(word), "{err}");
        }
    }
}
