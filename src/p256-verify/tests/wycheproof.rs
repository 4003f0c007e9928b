//! Project Wycheproof's ECDSA P-256 SHA-256 vectors (tests/vectors/README.md): every valid
//! signature verifies, every invalid one is refused, and ring decides each case the same way.

#![allow(
    clippy::unwrap_used,
    reason = "a test: a malformed vector file stops it"
)]

use ring::digest::{SHA256, digest};
use ring::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
use serde_json::Value;

const VECTORS: &str = include_str!("vectors/ecdsa_secp256r1_sha256_test.json");

fn hex(value: &Value) -> Vec<u8> {
    let text = value.as_str().unwrap();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn every_wycheproof_p256_sha256_vector_verifies_or_is_refused_as_it_says_and_as_ring_decides() {
    let all: Value = serde_json::from_str(VECTORS).unwrap();
    let (mut valid, mut refused) = (0, 0);
    for group in all["testGroups"].as_array().unwrap() {
        assert_eq!(group["sha"], "SHA-256");
        let key = hex(&group["publicKey"]["uncompressed"]);
        for case in group["tests"].as_array().unwrap() {
            let id = &case["tcId"];
            // The file has no "acceptable" case; one would be decided as ring decides it.
            let expected = match case["result"].as_str().unwrap() {
                "valid" => true,
                "invalid" => false,
                other => panic!("case {id}: result {other}"),
            };
            let (message, signature) = (hex(&case["msg"]), hex(&case["sig"]));
            let ours =
                p256_verify::verify_digest(&key, digest(&SHA256, &message).as_ref(), &signature);
            let rings = UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &key)
                .verify(&message, &signature)
                .is_ok();
            assert_eq!(ours.is_ok(), expected, "case {id}: {ours:?}");
            assert_eq!(rings, expected, "case {id}: ring");
            if expected {
                valid += 1;
            } else {
                refused += 1;
            }
        }
    }
    assert_eq!((valid, refused), (174, 310));
}
