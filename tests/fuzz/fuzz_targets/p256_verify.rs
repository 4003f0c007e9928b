//! The variable-time P-256 ECDSA verification against ring's `ECDSA_P256_SHA256_ASN1`,
//! differentially: the same verdict for every (public key, message, signature). Half the
//! inputs are ring's own signatures (with one of a few keys ring generated) over the input's
//! message, then changed by the input (bits of the signature, the key or the message flipped,
//! the signature cut short or lengthened, or left as is: then both must accept); the other
//! half are the input's raw bytes as all three.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use ring::digest::{SHA256, digest};
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair,
    UnparsedPublicKey,
};

/// A few key pairs of ring's, made once.
fn key_pairs() -> &'static [EcdsaKeyPair] {
    static KEYS: OnceLock<Vec<EcdsaKeyPair>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let rng = SystemRandom::new();
        (0..4)
            .map(|_| {
                let pkcs8 =
                    EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
                    .unwrap()
            })
            .collect()
    })
}

/// Both verdicts, which must agree; returns it.
fn same_verdict(key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let ours =
        p256_verify::verify_digest(key, digest(&SHA256, message).as_ref(), signature).is_ok();
    let rings = UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, key)
        .verify(message, signature)
        .is_ok();
    assert_eq!(
        ours, rings,
        "key {key:02x?} message {message:02x?} signature {signature:02x?}"
    );
    ours
}

fuzz_target!(|data: &[u8]| {
    // mode (1) | ...
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        // Raw: key length (1) | signature length (1) | key | signature | message.
        let [key_len, signature_len, rest @ ..] = rest else {
            return;
        };
        let (key, rest) = rest.split_at(usize::from(*key_len).min(rest.len()));
        let (signature, message) = rest.split_at(usize::from(*signature_len).min(rest.len()));
        // A raw key of 65 bytes is mostly off the curve: also try the input as a signature
        // under a real key.
        same_verdict(key, message, signature);
        let real = key_pairs()[usize::from(mode >> 1) % 4]
            .public_key()
            .as_ref();
        same_verdict(real, message, signature);
        return;
    }
    // Signed: key (1) | change (1) | where (2) | bits (1) | message.
    let [key_index, change, at_high, at_low, bits, message @ ..] = rest else {
        return;
    };
    let pair = &key_pairs()[usize::from(*key_index) % 4];
    let signature = pair.sign(&SystemRandom::new(), message).unwrap();
    let (mut key, mut message, mut signature) = (
        pair.public_key().as_ref().to_vec(),
        message.to_vec(),
        signature.as_ref().to_vec(),
    );
    let at = usize::from(u16::from_be_bytes([*at_high, *at_low]));
    let flip = |bytes: &mut Vec<u8>| {
        if !bytes.is_empty() {
            let len = bytes.len();
            bytes[at % len] ^= *bits;
        }
    };
    match change % 6 {
        0 => {
            assert!(same_verdict(&key, &message, &signature));
            return;
        }
        1 => flip(&mut signature),
        2 => flip(&mut key),
        3 => flip(&mut message),
        4 => signature.truncate(at % (signature.len() + 1)),
        _ => signature.push(*bits),
    }
    same_verdict(&key, &message, &signature);
});
