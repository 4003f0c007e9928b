//! The AEAD against ring's, AES-128-GCM and AES-256-GCM, on inputs of every length up to
//! several eight-block batches (the batches and tails of both backends): the same ciphertext
//! and tag, and each opens the other's record.

#![allow(clippy::unwrap_used, reason = "a test")]

use aes_gcm_simd::AesGcm;
use ring::aead::{AES_128_GCM, AES_256_GCM, Aad, Algorithm, LessSafeKey, Nonce, UnboundKey};

/// A deterministic byte stream (xorshift), so a failure names a reproducible case.
fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// Ours and ring's keys for the `key` bytes.
fn keys(key: &[u8]) -> (AesGcm, LessSafeKey) {
    let (ours, algorithm): (AesGcm, &Algorithm) = match key.len() {
        16 => (AesGcm::new_128(key.try_into().unwrap()), &AES_128_GCM),
        _ => (AesGcm::new_256(key.try_into().unwrap()), &AES_256_GCM),
    };
    let rings = LessSafeKey::new(UnboundKey::new(algorithm, key).unwrap());
    (ours, rings)
}

/// Seals `message` both ways, compares, and opens each record with the other side's key.
fn seal_and_open_as_ring_does(key: &[u8], nonce: [u8; 12], aad: &[u8], message: &[u8]) {
    let (ours, rings) = keys(key);
    let what = format!("key of {} bytes, length {}", key.len(), message.len());
    let mut sealed = message.to_vec();
    let tag = ours.seal_in_place(&nonce, aad, &mut sealed).unwrap();
    let mut ring_sealed = message.to_vec();
    let ring_tag = rings
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut ring_sealed,
        )
        .unwrap();
    assert_eq!(sealed, ring_sealed, "{what}: ciphertext");
    assert_eq!(&tag[..], ring_tag.as_ref(), "{what}: tag");

    let mut record = [ring_sealed.as_slice(), ring_tag.as_ref()].concat();
    let opened = rings
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut record,
        )
        .unwrap();
    assert_eq!(opened, message, "{what}: ring opens ours");
    ours.open_in_place(&nonce, aad, &mut sealed, &tag).unwrap();
    assert_eq!(sealed, message, "{what}: we open ring's");
}

#[test]
fn every_length_seals_as_ring_does_and_each_opens_the_other_s_record() {
    for len in 0..1100 {
        let seed = len as u64;
        for key_len in [16, 32] {
            let key = bytes(seed + key_len as u64, key_len);
            let nonce: [u8; 12] = bytes(seed + 1, 12).try_into().unwrap();
            let aad = bytes(seed + 2, len % 37);
            let message = bytes(seed + 3, len);
            seal_and_open_as_ring_does(&key, nonce, &aad, &message);
        }
    }
}

/// Full TLS records: 16 KiB of plaintext (and the content type), as W5 opens them.
#[test]
fn a_full_record_seals_as_ring_does() {
    let message = bytes(99, 16 * 1024 + 1);
    for key in [[0x42; 16].as_slice(), [0x24; 32].as_slice()] {
        seal_and_open_as_ring_does(key, [7; 12], b"\x17\x03\x03\x40\x11", &message);
    }
}
