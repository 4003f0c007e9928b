//! A trust provider component: the PEM certificates in the directory the host preopens at
//! `/etc/ssl/certs` (`wasi:filesystem`), e.g. the host's own `/etc/ssl/certs` mapped read-only.
//! Every regular file there is read and its `CERTIFICATE` blocks taken; files that cannot be
//! read (such as symbolic links pointing outside the preopened directory) are skipped. A
//! missing directory, or one without a single certificate, is an error, never an empty store.

use std::collections::BTreeSet;
use std::path::Path;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

wit_bindgen::generate!({
    world: "trust-provider",
    path: "../../../wit",
});

use exports::verified::https::trust::Guest;

/// Where the host maps its trust directory.
const DIRECTORY: &str = "/etc/ssl/certs";

/// The certificates of a preopened directory.
struct Files;

export!(Files);

impl Guest for Files {
    fn trust_anchors() -> Result<Vec<Vec<u8>>, String> {
        certificates_in(Path::new(DIRECTORY))
    }

    /// No revocation lists are read from the directory.
    fn revocation_lists() -> Result<Vec<Vec<u8>>, String> {
        Ok(Vec::new())
    }
}

/// The distinct certificates of every readable file in `directory`, in a stable order.
fn certificates_in(directory: &Path) -> Result<Vec<Vec<u8>>, String> {
    let entries = std::fs::read_dir(directory).map_err(|e| {
        format!(
            "cannot read {}: {e} (the host must preopen its trust directory there)",
            directory.display()
        )
    })?;
    let mut certificates = BTreeSet::new();
    for entry in entries.flatten() {
        let Ok(pem) = std::fs::read(entry.path()) else {
            continue;
        };
        certificates.extend(
            CertificateDer::pem_slice_iter(&pem)
                .flatten()
                .map(|cert| cert.to_vec()),
        );
    }
    if certificates.is_empty() {
        return Err(format!("no PEM certificates in {}", directory.display()));
    }
    Ok(certificates.into_iter().collect())
}
