//! A trust provider component: Mozilla's root program (the CCADB data that `webpki-roots`
//! and `webpki-root-certs` publish) as the `verified:https/trust` interface. Composed with the
//! client (`make compose`), it gives a client that trusts what Firefox trusts, without asking
//! the host; the plain client never contains these roots.

wit_bindgen::generate!({
    world: "trust-provider",
    path: "../../../wit",
});

use exports::verified::https::trust::Guest;

/// Mozilla's roots.
struct Mozilla;

export!(Mozilla);

impl Guest for Mozilla {
    fn trust_anchors() -> Result<Vec<Vec<u8>>, String> {
        Ok(webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|root| root.to_vec())
            .collect())
    }

    /// Mozilla publishes no CRLs for these roots (revocation reaches browsers as CRLite); none.
    fn revocation_lists() -> Result<Vec<Vec<u8>>, String> {
        Ok(Vec::new())
    }
}
