//! The verdicts of random signatures made by ring, and of their mutations, are ring's.

#![allow(
    clippy::unwrap_used,
    reason = "a test: ring's key generation failing stops it"
)]

use ring::digest::{SHA256, SHA384, digest};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P256_SHA384_ASN1, EcdsaKeyPair,
    KeyPair, UnparsedPublicKey, VerificationAlgorithm,
};

/// Checks one (key, message, signature) with both, expects the same verdict and returns it.
fn same_verdict(
    verification: &'static dyn VerificationAlgorithm,
    key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> bool {
    let sha384 = core::ptr::addr_eq(verification, &ECDSA_P256_SHA384_ASN1);
    let hash = digest(if sha384 { &SHA384 } else { &SHA256 }, message);
    let ours = p256_verify::verify_digest(key, hash.as_ref(), signature).is_ok();
    let rings = UnparsedPublicKey::new(verification, key)
        .verify(message, signature)
        .is_ok();
    assert_eq!(
        ours, rings,
        "key {key:02x?} message {message:02x?} signature {signature:02x?}"
    );
    ours
}

/// A fresh key pair of ring's.
fn key_pair(rng: &SystemRandom) -> EcdsaKeyPair {
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, rng).unwrap();
    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), rng).unwrap()
}

#[test]
fn ring_signatures_over_sha256_and_their_mutations_get_rings_verdict() {
    let rng = SystemRandom::new();
    let (mut accepted, mut refused) = (0, 0);
    for length in 0..40 {
        let pair = key_pair(&rng);
        let key = pair.public_key().as_ref().to_vec();
        let mut message = vec![0u8; length];
        rng.fill(&mut message).unwrap();
        let signature = pair.sign(&rng, &message).unwrap().as_ref().to_vec();
        assert!(same_verdict(
            &ECDSA_P256_SHA256_ASN1,
            &key,
            &message,
            &signature
        ));
        accepted += 1;
        // Every single-bit flip of the signature, every seventh of the key, a longer message.
        let mut mutations = Vec::new();
        for bit in 0..signature.len() * 8 {
            let mut changed = signature.clone();
            changed[bit / 8] ^= 1 << (bit % 8);
            mutations.push((key.clone(), message.clone(), changed));
        }
        for bit in (0..key.len() * 8).step_by(7) {
            let mut changed = key.clone();
            changed[bit / 8] ^= 1 << (bit % 8);
            mutations.push((changed, message.clone(), signature.clone()));
        }
        let mut longer = message.clone();
        longer.push(0);
        mutations.push((key.clone(), longer, signature.clone()));
        for (key, message, signature) in mutations {
            if same_verdict(&ECDSA_P256_SHA256_ASN1, &key, &message, &signature) {
                accepted += 1;
            } else {
                refused += 1;
            }
        }
    }
    assert_eq!(accepted, 40);
    assert!(refused > 40 * 500, "{refused}");
}

#[test]
fn sha256_signatures_checked_as_sha384_ones_get_rings_verdict() {
    // ring signs P-256 over SHA-256 only: these signatures are of another digest, and both
    // refuse them (the truncation of a SHA-384 digest is a unit test of the crate).
    let rng = SystemRandom::new();
    for length in 0..20 {
        let pair = key_pair(&rng);
        let message = vec![7u8; length];
        let signature = pair.sign(&rng, &message).unwrap();
        let key = pair.public_key().as_ref();
        assert!(!same_verdict(
            &ECDSA_P256_SHA384_ASN1,
            key,
            &message,
            signature.as_ref()
        ));
    }
}
