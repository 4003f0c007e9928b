//! Project Wycheproof's AES-GCM vectors (tests/vectors/README.md): every valid case with a
//! 128- or 256-bit key and a 96-bit IV seals to its ciphertext and tag and opens to its
//! message; every invalid one is refused and left undecrypted.

#![allow(
    clippy::unwrap_used,
    reason = "a test: a malformed vector file stops it"
)]

use aes_gcm_simd::{AesGcm, Error, NONCE_LEN, TAG_LEN};
use serde_json::Value;

const VECTORS: &str = include_str!("vectors/wycheproof_aes_gcm_test.json");

fn hex(value: &Value) -> Vec<u8> {
    let text = value.as_str().unwrap();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn every_wycheproof_vector_with_a_tls_iv_seals_and_opens_as_it_says() {
    let all: Value = serde_json::from_str(VECTORS).unwrap();
    let (mut valid, mut refused, mut skipped) = (0, 0, 0);
    for group in all["testGroups"].as_array().unwrap() {
        for case in group["tests"].as_array().unwrap() {
            let id = &case["tcId"];
            let is_valid = match case["result"].as_str().unwrap() {
                "valid" => true,
                "invalid" => false,
                other => panic!("case {id}: result {other}"),
            };
            let key = hex(&case["key"]);
            let key = match key.len() {
                16 => AesGcm::new_128(&key.try_into().unwrap()),
                32 => AesGcm::new_256(&key.try_into().unwrap()),
                _ => {
                    // AES-192: no TLS suite uses it.
                    skipped += 1;
                    continue;
                }
            };
            let Ok(nonce) = <[u8; NONCE_LEN]>::try_from(hex(&case["iv"])) else {
                // The API takes 96-bit IVs only, as TLS's AES-GCM suites use.
                skipped += 1;
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
        "wycheproof: {valid} valid sealed and opened, {refused} invalid refused, {skipped} skipped (AES-192 or an IV other than 96 bits)"
    );
    assert_eq!((valid, refused, skipped), (79, 54, 183));
}
