//! The AEAD against ring's, on inputs of every length up to several four-block batches (the
//! SIMD paths' batches and tails, both inside wasm): the same ciphertext and tag, and each
//! opens the other's record.

#![allow(clippy::unwrap_used, reason = "a test")]

use chacha20_poly1305_simd::ChaCha20Poly1305;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};

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

#[test]
fn every_length_seals_as_ring_does_and_each_opens_the_other_s_record() {
    for len in 0..1100 {
        let seed = len as u64;
        let key: [u8; 32] = bytes(seed, 32).try_into().unwrap();
        let nonce: [u8; 12] = bytes(seed + 1, 12).try_into().unwrap();
        let aad = bytes(seed + 2, len % 37);
        let message = bytes(seed + 3, len);
        let ours = ChaCha20Poly1305::new(&key);
        let rings = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &key).unwrap());

        let mut sealed = message.clone();
        let tag = ours.seal_in_place(&nonce, &aad, &mut sealed).unwrap();
        let mut ring_sealed = message.clone();
        let ring_tag = rings
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&aad),
                &mut ring_sealed,
            )
            .unwrap();
        assert_eq!(sealed, ring_sealed, "length {len}: ciphertext");
        assert_eq!(&tag[..], ring_tag.as_ref(), "length {len}: tag");

        let mut record = [ring_sealed.as_slice(), ring_tag.as_ref()].concat();
        let opened = rings
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&aad),
                &mut record,
            )
            .unwrap();
        assert_eq!(opened, message.as_slice(), "length {len}: ring opens ours");
        ours.open_in_place(&nonce, &aad, &mut sealed, &tag).unwrap();
        assert_eq!(sealed, message, "length {len}: we open ring's");
    }
}

/// Full TLS records: 16 KiB of plaintext, as W5 opens them.
#[test]
fn a_full_record_seals_as_ring_does() {
    let key = [0x42; 32];
    let message = bytes(99, 16 * 1024 + 1);
    let mut sealed = message.clone();
    let tag = ChaCha20Poly1305::new(&key)
        .seal_in_place(&[7; 12], b"\x17\x03\x03\x40\x11", &mut sealed)
        .unwrap();
    let rings = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &key).unwrap());
    let mut ring_sealed = message;
    let ring_tag = rings
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key([7; 12]),
            Aad::from(b"\x17\x03\x03\x40\x11"),
            &mut ring_sealed,
        )
        .unwrap();
    assert_eq!(sealed, ring_sealed);
    assert_eq!(&tag[..], ring_tag.as_ref());
}
