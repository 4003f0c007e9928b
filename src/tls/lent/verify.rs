//! Signature verification over the lender: webpki's algorithms of [`crate::tls::provider`],
//! each keeping its algorithm identifiers (which certificates and handshakes it is chosen for,
//! decided here) and asking the lender only for the math.

use rustls::SignatureScheme;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls_pki_types::{AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm};

use super::{CryptoLender, SignatureAlgorithm};
use crate::tls::provider::SIGNATURE_ALGORITHMS;

/// Each of webpki's algorithms that the client accepts, and the lent algorithm that computes it.
static LENT_AS: [(&dyn SignatureVerificationAlgorithm, SignatureAlgorithm); 14] = {
    use SignatureAlgorithm as S;
    use webpki::ring as alg;
    [
        (alg::ECDSA_P256_SHA256, S::EcdsaP256Sha256),
        (alg::ECDSA_P256_SHA384, S::EcdsaP256Sha384),
        (alg::ECDSA_P384_SHA256, S::EcdsaP384Sha256),
        (alg::ECDSA_P384_SHA384, S::EcdsaP384Sha384),
        (alg::ED25519, S::Ed25519),
        (alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY, S::RsaPssSha256),
        (alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY, S::RsaPssSha384),
        (alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY, S::RsaPssSha512),
        (alg::RSA_PKCS1_2048_8192_SHA256, S::RsaPkcs1Sha256),
        (alg::RSA_PKCS1_2048_8192_SHA384, S::RsaPkcs1Sha384),
        (alg::RSA_PKCS1_2048_8192_SHA512, S::RsaPkcs1Sha512),
        (
            alg::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
            S::RsaPkcs1Sha256,
        ),
        (
            alg::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
            S::RsaPkcs1Sha384,
        ),
        (
            alg::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
            S::RsaPkcs1Sha512,
        ),
    ]
};

/// [`SIGNATURE_ALGORITHMS`] with every algorithm lent: the same list, the same mapping of TLS
/// signature schemes.
pub(super) fn lent_algorithms(lender: &'static dyn CryptoLender) -> WebPkiSupportedAlgorithms {
    let lend = |ring: &'static dyn SignatureVerificationAlgorithm| -> &'static dyn SignatureVerificationAlgorithm {
        let algorithm = LENT_AS
            .iter()
            .find(|(theirs, _)| same_algorithm(*theirs, ring))
            .map(|(_, ours)| *ours);
        match algorithm {
            Some(algorithm) => Box::leak(Box::new(LentAlgorithm {
                ids: ring,
                algorithm,
                lender,
            })),
            // An algorithm the table lacks stays ring's (a unit test keeps the table whole).
            None => ring,
        }
    };
    let all: Vec<_> = SIGNATURE_ALGORITHMS
        .all
        .iter()
        .map(|ring| lend(*ring))
        .collect();
    let mapping: Vec<(
        SignatureScheme,
        &'static [&'static dyn SignatureVerificationAlgorithm],
    )> = SIGNATURE_ALGORITHMS
        .mapping
        .iter()
        .map(|(scheme, rings)| {
            let lent: Vec<_> = rings.iter().map(|ring| lend(*ring)).collect();
            let lent: &'static [_] = Box::leak(lent.into_boxed_slice());
            (*scheme, lent)
        })
        .collect();
    WebPkiSupportedAlgorithms {
        all: Box::leak(all.into_boxed_slice()),
        mapping: Box::leak(mapping.into_boxed_slice()),
    }
}

/// Whether two of webpki's algorithms are the same one: the same identifiers (each algorithm
/// has its own pair; their statics are not one address).
fn same_algorithm(
    a: &dyn SignatureVerificationAlgorithm,
    b: &dyn SignatureVerificationAlgorithm,
) -> bool {
    a.public_key_alg_id() == b.public_key_alg_id() && a.signature_alg_id() == b.signature_alg_id()
}

/// One of webpki's algorithms, its identifiers kept, its verification lent.
#[derive(Debug)]
struct LentAlgorithm {
    ids: &'static dyn SignatureVerificationAlgorithm,
    algorithm: SignatureAlgorithm,
    lender: &'static dyn CryptoLender,
}

impl SignatureVerificationAlgorithm for LentAlgorithm {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        if self
            .lender
            .verify_signature(self.algorithm, public_key, message, signature)
        {
            Ok(())
        } else {
            Err(InvalidSignature)
        }
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        self.ids.public_key_alg_id()
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.ids.signature_alg_id()
    }

    fn fips(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_accepted_algorithm_has_a_lent_counterpart() {
        for ring in SIGNATURE_ALGORITHMS.all {
            assert!(
                LENT_AS
                    .iter()
                    .any(|(theirs, _)| same_algorithm(*theirs, *ring)),
                "{ring:?} has no lent algorithm"
            );
        }
        assert_eq!(LENT_AS.len(), SIGNATURE_ALGORITHMS.all.len());
    }
}
