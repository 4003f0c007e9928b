//! Project Wycheproof's ChaCha20-Poly1305 vectors (tests/vectors/README.md): every valid case
//! seals to its ciphertext and tag and opens to its message; every invalid one is refused.

#![allow(
    clippy::unwrap_used,
    reason = "a test: a malformed vector file stops it"
)]

use chacha20_poly1305_simd::{ChaCha20Poly1305, Error, NONCE_LEN, TAG_LEN};
use serde_json::Value;

const VECTORS: &str = include_str!("vectors/wycheproof_chacha20_poly1305_test.json");

fn hex(value: &Value) -> Vec<u8> {
    let text = value.as_str().unwrap();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn every_wycheproof_vector_seals_and_opens_as_it_says() {
    let all: Value = serde_json::from_str(VECTORS).unwrap();
    let (mut valid, mut refused, mut other_nonce_sizes) = (0, 0, 0);
    for group in all["testGroups"].as_array().unwrap() {
        for case in group["tests"].as_array().unwrap() {
            let id = &case["tcId"];
            let is_valid = match case["result"].as_str().unwrap() {
                "valid" => true,
                "invalid" => false,
                other => panic!("case {id}: result {other}"),
            };
            let key = ChaCha20Poly1305::new(&hex(&case["key"]).try_into().unwrap());
            let Ok(nonce) = <[u8; NONCE_LEN]>::try_from(hex(&case["iv"])) else {
                // The API takes 96-bit nonces only: a case with another size cannot be
                // expressed, and Wycheproof marks each of them invalid.
                assert!(!is_valid, "case {id}: a valid case with another nonce size");
                other_nonce_sizes += 1;
                continue;
            };
            let (aad, message) = (hex(&case["aad"]), hex(&case["msg"]));
            let (ciphertext, tag) = (hex(&case["ct"]), hex(&case["tag"]));
            let tag: [u8; TAG_LEN] = tag.try_into().unwrap();
            let mut opened = ciphertext.clone();
            let result = key.open_in_place(&nonce, &aad, &mut opened, &tag);
            if is_valid {
                assert_eq!(result, Ok(()), "case {id}");
                assert_eq!(opened, message, "case {id}: opened");
                let mut sealed = message.clone();
                let sealed_tag = key.seal_in_place(&nonce, &aad, &mut sealed).unwrap();
                assert_eq!(sealed, ciphertext, "case {id}: sealed");
                assert_eq!(sealed_tag, tag, "case {id}: tag");
                valid += 1;
            } else {
                assert_eq!(result, Err(Error::TagMismatch), "case {id}");
                assert_eq!(opened, ciphertext, "case {id}: left undecrypted");
                refused += 1;
            }
        }
    }
    println!(
        "wycheproof: {valid} valid sealed and opened, {refused} invalid refused, {other_nonce_sizes} with a nonce other than 96 bits"
    );
    assert_eq!(valid + refused + other_nonce_sizes, 325);
    assert_eq!(valid, 256);
}
