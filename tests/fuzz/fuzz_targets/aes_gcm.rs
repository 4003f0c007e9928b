//! The fixsliced AES-GCM crate against ring's AES-128-GCM and AES-256-GCM, differentially: for
//! any key, nonce, associated data and message, both seal to the same ciphertext and tag and
//! both open it; for a tag altered by bits from the input (none: the true tag), both give the
//! same verdict, and the same plaintext when it opens. Natively this runs the crate's `u64`
//! backend: it covers the fixsliced rounds, the key schedules, the four-block batches and
//! tails, the counters, GHASH with its padding and lengths, and the tag check, not the
//! simd128 instructions themselves (the crate's tests compare those with the `u64` word inside
//! wasm).
#![no_main]

use aes_gcm_simd::AesGcm;
use libfuzzer_sys::fuzz_target;
use ring::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

fuzz_target!(|data: &[u8]| {
    // key size (1: odd = 256 bits) | key (32) | nonce (12) | aad length (1) | tag bits to
    // flip (16) | aad | message
    if data.len() < 62 {
        return;
    }
    let (key_size, rest) = data.split_at(1);
    let (key, rest) = rest.split_at(32);
    let (nonce, rest) = rest.split_at(12);
    let (aad_len, rest) = rest.split_at(1);
    let (tag_flips, rest) = rest.split_at(16);
    let (aad, message) = rest.split_at(usize::from(aad_len[0]).min(rest.len()));
    let nonce: [u8; 12] = nonce.try_into().unwrap();

    let (ours, rings) = if key_size[0] & 1 == 1 {
        (
            AesGcm::new_256(key.try_into().unwrap()),
            LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).unwrap()),
        )
    } else {
        (
            AesGcm::new_128(key[..16].try_into().unwrap()),
            LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &key[..16]).unwrap()),
        )
    };
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

    // The tag with the input's bits flipped: the same verdict as ring's, and the same
    // plaintext if it opens.
    let tried: [u8; 16] = core::array::from_fn(|i| tag[i] ^ tag_flips[i]);
    let mut ours_try = sealed.clone();
    let our_verdict = ours.open_in_place(&nonce, aad, &mut ours_try, &tried);
    let mut ring_try = [sealed.as_slice(), &tried].concat();
    let ring_verdict = rings
        .open_in_place(ring_nonce(), Aad::from(aad), &mut ring_try)
        .map(|plain| plain.to_vec());
    assert_eq!(our_verdict.is_ok(), ring_verdict.is_ok(), "verdict");
    assert_eq!(
        our_verdict.is_ok(),
        tag_flips.iter().all(|&b| b == 0),
        "verdict"
    );
    if let Ok(plain) = ring_verdict {
        assert_eq!(ours_try, plain);
    } else {
        assert_eq!(ours_try, sealed, "a refused record is left undecrypted");
    }
});
