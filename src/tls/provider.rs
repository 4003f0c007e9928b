//! The crypto the client uses: ring's suites, key exchange groups and signature algorithms,
//! ChaCha20-Poly1305 first (inside wasm, ChaCha20 is several times faster than AES-GCM, which
//! has no hardware support there), and no signing code. Inside wasm the ChaCha20-Poly1305 and
//! AES-GCM suites seal and open records with the component's SIMD crates,
//! `chacha20-poly1305-simd` (ChaCha20 and Poly1305 four blocks at a time) and `aes-gcm-simd`
//! (fixsliced AES eight blocks at a time), instead of ring's code for wasm: the module
//! `simd_suites`. A build whose host lends its crypto installs [`super::lent`]'s provider
//! instead, and `provider()` returns that.

use std::sync::Arc;

use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms, ring};
use rustls::{SignatureScheme, SupportedCipherSuite};

/// The provider of every context: the one installed as rustls's process default (the lent
/// crypto of the host-crypto build, [`super::lent::lend`]), or else ring's, from
/// [`ring_provider`].
pub(crate) fn provider() -> Arc<CryptoProvider> {
    // Only the build that lends installs one (the check costs the self-contained one bytes).
    #[cfg(feature = "host-crypto")]
    if let Some(lent) = CryptoProvider::get_default() {
        return lent.clone();
    }
    Arc::new(ring_provider())
}

/// ring's suites (all of them; inside wasm with the AEADs of the SIMD crates), TLS 1.3
/// first and ChaCha20-Poly1305 first within each version; ring's key exchange groups and webpki's
/// signature algorithms, as rustls's ring provider has them. Built field by field rather than from
/// `rustls::crypto::ring::default_provider()`: that one also carries a private-key loader, which
/// drags ring's RSA, ECDSA and Ed25519 signing code into the component although a client without
/// client certificates never signs.
pub(crate) fn ring_provider() -> CryptoProvider {
    CryptoProvider {
        cipher_suites: builtin_suites(),
        kx_groups: ring::DEFAULT_KX_GROUPS.to_vec(),
        signature_verification_algorithms: SIGNATURE_ALGORITHMS,
        secure_random: &SystemRandom,
        key_provider: &NoPrivateKeys,
    }
}

/// [`ring_suites`], or inside wasm the same suites over the SIMD AEADs (natively ring's own
/// assembly is the faster one), built without naming ring's suites so that ring's AEADs for
/// wasm are not linked. Not in the host-crypto build, which seals every record with the lent
/// provider and would only carry the code.
fn builtin_suites() -> Vec<SupportedCipherSuite> {
    #[cfg(all(target_arch = "wasm32", not(feature = "host-crypto")))]
    let suites = super::simd_suites::simd_suites();
    #[cfg(not(all(target_arch = "wasm32", not(feature = "host-crypto"))))]
    let suites = ring_suites();
    suites
}

/// ring's suites in the client's order: TLS 1.3 first, ChaCha20-Poly1305 first within each
/// version.
pub(crate) fn ring_suites() -> Vec<SupportedCipherSuite> {
    use ring::cipher_suite as suite;
    vec![
        suite::TLS13_CHACHA20_POLY1305_SHA256,
        suite::TLS13_AES_256_GCM_SHA384,
        suite::TLS13_AES_128_GCM_SHA256,
        suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    ]
}

/// The signature algorithms rustls's ring provider verifies with (the same list), with
/// ECDSA P-256 inside the self-contained component checked in variable time by
/// `p256_public` (its inputs are public; ring's constant-time multiplications cost about
/// 1.4x as much there). Natively ring's P-256 is assembly and stays; the host-crypto build
/// lends it to the host.
pub(crate) static SIGNATURE_ALGORITHMS: WebPkiSupportedAlgorithms = {
    #[cfg(all(target_arch = "wasm32", not(feature = "host-crypto")))]
    use super::p256_public::{ECDSA_P256_SHA256, ECDSA_P256_SHA384};
    #[cfg(not(all(target_arch = "wasm32", not(feature = "host-crypto"))))]
    use alg::{ECDSA_P256_SHA256, ECDSA_P256_SHA384};
    use webpki::ring as alg;
    WebPkiSupportedAlgorithms {
        all: &[
            ECDSA_P256_SHA256,
            ECDSA_P256_SHA384,
            alg::ECDSA_P384_SHA256,
            alg::ECDSA_P384_SHA384,
            alg::ED25519,
            alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
            alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
            alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
            alg::RSA_PKCS1_2048_8192_SHA256,
            alg::RSA_PKCS1_2048_8192_SHA384,
            alg::RSA_PKCS1_2048_8192_SHA512,
            alg::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
            alg::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
            alg::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
        ],
        mapping: &[
            // In TLS 1.2 the curve is not fixed by the scheme; in TLS 1.3 it is.
            (
                SignatureScheme::ECDSA_NISTP384_SHA384,
                &[alg::ECDSA_P384_SHA384, ECDSA_P256_SHA384],
            ),
            (
                SignatureScheme::ECDSA_NISTP256_SHA256,
                &[ECDSA_P256_SHA256, alg::ECDSA_P384_SHA256],
            ),
            (SignatureScheme::ED25519, &[alg::ED25519]),
            (
                SignatureScheme::RSA_PSS_SHA512,
                &[alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY],
            ),
            (
                SignatureScheme::RSA_PSS_SHA384,
                &[alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY],
            ),
            (
                SignatureScheme::RSA_PSS_SHA256,
                &[alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY],
            ),
            (
                SignatureScheme::RSA_PKCS1_SHA512,
                &[alg::RSA_PKCS1_2048_8192_SHA512],
            ),
            (
                SignatureScheme::RSA_PKCS1_SHA384,
                &[alg::RSA_PKCS1_2048_8192_SHA384],
            ),
            (
                SignatureScheme::RSA_PKCS1_SHA256,
                &[alg::RSA_PKCS1_2048_8192_SHA256],
            ),
        ],
    }
};

/// Randomness from ring's system source (`wasi:random` inside the component).
#[derive(Debug)]
pub(crate) struct SystemRandom;

impl rustls::crypto::SecureRandom for SystemRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), rustls::crypto::GetRandomFailed> {
        use ::ring::rand::SecureRandom as _;
        ::ring::rand::SystemRandom::new()
            .fill(buf)
            .map_err(|_| rustls::crypto::GetRandomFailed)
    }
}

/// The key provider of a client that never presents a certificate of its own: it loads no
/// private keys, so ring's RSA and ECDSA signing code stays out of the component.
#[derive(Debug)]
pub(crate) struct NoPrivateKeys;

impl rustls::crypto::KeyProvider for NoPrivateKeys {
    fn load_private_key(
        &self,
        _key: rustls_pki_types::PrivateKeyDer<'static>,
    ) -> Result<Arc<dyn rustls::sign::SigningKey>, rustls::Error> {
        Err(rustls::Error::General(
            "this client does not use client certificates".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chacha20_suites_come_first_and_tls13_before_tls12() {
        let names: Vec<String> = ring_provider()
            .cipher_suites
            .iter()
            .map(|s| format!("{:?}", s.suite()))
            .collect();
        assert_eq!(names[0], "TLS13_CHACHA20_POLY1305_SHA256");
        let first_tls12 = ring_provider()
            .cipher_suites
            .iter()
            .position(|s| s.tls13().is_none())
            .unwrap();
        assert!(names[first_tls12].contains("CHACHA20"), "{names:?}");
        let mut ours = names.clone();
        let mut rings: Vec<String> = ring::default_provider()
            .cipher_suites
            .iter()
            .map(|s| format!("{:?}", s.suite()))
            .collect();
        ours.sort();
        rings.sort();
        assert_eq!(ours, rings, "the same suites as ring's defaults, reordered");
        let theirs = ring::default_provider().signature_verification_algorithms;
        assert_eq!(format!("{:?}", SIGNATURE_ALGORITHMS), format!("{theirs:?}"));
    }
}
