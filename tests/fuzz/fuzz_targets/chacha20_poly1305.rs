//! The SIMD crate's ChaCha20-Poly1305 against ring's, differentially: for any key, nonce,
//! associated data and message, both seal to the same ciphertext and tag and both open it; for
//! any tag, both give the same verdict on the ciphertext, and the same plaintext when it opens.
//! Natively this runs the crate's portable backend: it covers the block layout (four blocks per
//! call, the counters, the tail), the Poly1305 keying and padding and the tag check, not the
//! simd128 instructions themselves (the crate's tests compare those with the portable backend
//! inside wasm).
#![no_main]

use chacha20_poly1305_simd::ChaCha20Poly1305;
use libfuzzer_sys::fuzz_target;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};

fuzz_target!(|data: &[u8]| {
    // key (32) | nonce (12) | aad length (1) | tag to try (16) | aad | message
    if data.len() < 61 {
        return;
    }
    let (key, rest) = data.split_at(32);
    let (nonce, rest) = rest.split_at(12);
    let (aad_len, rest) = rest.split_at(1);
    let (forged_tag, rest) = rest.split_at(16);
    let (aad, message) = rest.split_at(usize::from(aad_len[0]).min(rest.len()));
    let key: [u8; 32] = key.try_into().unwrap();
    let nonce: [u8; 12] = nonce.try_into().unwrap();
    let forged_tag: [u8; 16] = forged_tag.try_into().unwrap();

    let ours = ChaCha20Poly1305::new(&key);
    let rings = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &key).unwrap());
    let ring_nonce = || Nonce::assume_unique_for_key(nonce);

    let mut sealed = message.to_vec();
    let tag = ours.seal_in_place(&nonce, aad, &mut sealed).unwrap();
    let mut ring_sealed = message.to_vec();
    let ring_tag = rings
        .seal_in_place_separate_tag(ring_nonce(), Aad::from(aad), &mut ring_sealed)
        .unwrap();
    assert_eq!(sealed, ring_sealed, "ciphertext");
    assert_eq!(&tag[..], ring_tag.as_ref(), "tag");

    let mut opened = sealed.clone();
    ours.open_in_place(&nonce, aad, &mut opened, &tag).unwrap();
    assert_eq!(opened, message, "opened");

    // A tag from the input: the same verdict as ring's, and the same plaintext if it opens.
    let mut ours_try = sealed.clone();
    let our_verdict = ours.open_in_place(&nonce, aad, &mut ours_try, &forged_tag);
    let mut ring_try = [sealed.as_slice(), &forged_tag].concat();
    let ring_verdict = rings
        .open_in_place(ring_nonce(), Aad::from(aad), &mut ring_try)
        .map(|plain| plain.to_vec());
    assert_eq!(our_verdict.is_ok(), ring_verdict.is_ok(), "verdict");
    if let Ok(plain) = ring_verdict {
        assert_eq!(ours_try, plain);
    } else {
        assert_eq!(ours_try, sealed, "a refused record is left undecrypted");
    }
});
