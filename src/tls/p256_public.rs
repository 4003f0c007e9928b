//! ECDSA P-256 signature verification for certificates and handshakes with the variable-time
//! `p256-verify` crate (every input of a verification is public), under webpki's algorithm
//! identifiers for `ECDSA_P256_SHA256` and `ECDSA_P256_SHA384`: the self-contained
//! component's P-256 checks inside wasm, where ring's two constant-time multiplications cost
//! about 1.4x as much. The message is hashed with ring's digest.

use ring::digest;
use rustls_pki_types::{
    AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm, alg_id,
};

/// ECDSA over P-256 with SHA-256, as webpki's `ECDSA_P256_SHA256` (the same identifiers).
pub(crate) static ECDSA_P256_SHA256: &dyn SignatureVerificationAlgorithm = &PublicP256 {
    digest: &digest::SHA256,
    signature_alg_id: alg_id::ECDSA_SHA256,
};

/// ECDSA over P-256 with SHA-384, as webpki's `ECDSA_P256_SHA384` (the same identifiers).
pub(crate) static ECDSA_P256_SHA384: &dyn SignatureVerificationAlgorithm = &PublicP256 {
    digest: &digest::SHA384,
    signature_alg_id: alg_id::ECDSA_SHA384,
};

/// P-256 ECDSA with one digest, checked by `p256-verify`.
#[derive(Debug)]
struct PublicP256 {
    /// The digest signed.
    digest: &'static digest::Algorithm,
    /// The signature algorithm's identifier (the public key's is `id-ecPublicKey` on P-256).
    signature_alg_id: AlgorithmIdentifier,
}

impl SignatureVerificationAlgorithm for PublicP256 {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        let hash = digest::digest(self.digest, message);
        p256_verify::verify_digest(public_key, hash.as_ref(), signature)
            .map_err(|_| InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ECDSA_P256
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.signature_alg_id
    }

    fn fips(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};

    #[test]
    fn the_identifiers_are_webpkis() {
        for (ours, rings) in [
            (ECDSA_P256_SHA256, webpki::ring::ECDSA_P256_SHA256),
            (ECDSA_P256_SHA384, webpki::ring::ECDSA_P256_SHA384),
        ] {
            assert_eq!(ours.public_key_alg_id(), rings.public_key_alg_id());
            assert_eq!(ours.signature_alg_id(), rings.signature_alg_id());
        }
    }

    #[test]
    fn a_ring_signature_verifies_and_a_changed_message_does_not() {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let signature = pair.sign(&rng, b"certificate verify").unwrap();
        let key = pair.public_key().as_ref();
        let check =
            |message: &[u8]| ECDSA_P256_SHA256.verify_signature(key, message, signature.as_ref());
        assert!(check(b"certificate verify").is_ok());
        assert!(check(b"certificate verifz").is_err());
        assert!(
            webpki::ring::ECDSA_P256_SHA256
                .verify_signature(key, b"certificate verify", signature.as_ref())
                .is_ok()
        );
        // Signed over SHA-256, checked over SHA-384: refused by both.
        assert!(
            ECDSA_P256_SHA384
                .verify_signature(key, b"certificate verify", signature.as_ref())
                .is_err()
        );
    }
}
