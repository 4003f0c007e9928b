//! ChaCha20-Poly1305 (RFC 8439) for the verified-https component, with ChaCha20 and Poly1305
//! four blocks at a time in WebAssembly SIMD.
//!
//! ring's ChaCha20 inside wasm is its portable Rust, one 64-byte block at a time, and its
//! Poly1305 portable C, one 16-byte block at a time. Here the ChaCha20 block function runs on
//! four blocks at once, lane `j` of every `v128` holding block `j`'s word, which wasm32 built
//! with `+simd128` (the component's flags, `.cargo/config.toml`) compiles to `i32x4`
//! additions, XORs, shuffles and shifts; and Poly1305 keeps four accumulators in the lanes
//! (`poly1305`), multiplied with `i64x2.extmul` of 26-bit limbs. Every other target runs the
//! same ChaCha20 over four `u32`s and Poly1305 one block at a time, so the unit tests, the
//! vectors and the differential fuzz target run natively; `make test` runs them inside wasm
//! too (the wasmtime CLI as cargo's runner), with each SIMD path compared to its portable one
//! and the AEAD to ring's.
//!
//! In scope: the AEAD with a 96-bit nonce, seal and open in place, as TLS records need it.
//! Out of scope: XChaCha20, streaming, nonce management (the caller's, as in TLS).
//!
//! Constant-time: ChaCha20 is additions, XORs and fixed rotations; Poly1305 is multiplications
//! of 26-bit limbs with no branch or index on secret data (poly1305-donna's 32-bit layout);
//! the tag is compared without an early exit. A record whose tag does not
//! match is never decrypted.

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

mod chacha20;
mod lanes;
mod poly1305;

use chacha20::ChaCha20;
use poly1305::Poly1305;

/// The backend this target compiles: SIMD inside wasm built with `+simd128`.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
type Backend = lanes::Simd128;
/// The backend this target compiles: four `u32`s where there is no WebAssembly SIMD.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
type Backend = lanes::Portable;

/// The key length in bytes.
pub const KEY_LEN: usize = 32;
/// The nonce length in bytes.
pub const NONCE_LEN: usize = 12;
/// The tag length in bytes.
pub const TAG_LEN: usize = 16;

/// The longest message one nonce can seal: 2^32 - 1 blocks of 64 bytes (block 0 keys
/// Poly1305; RFC 8439 section 2.8).
const MAX_MESSAGE_LEN: u64 = (u32::MAX as u64) * 64;

/// Why sealing or opening failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The tag does not match the nonce, associated data and ciphertext (nothing decrypted).
    TagMismatch,
    /// The message is longer than one nonce's keystream (274,877,906,880 bytes).
    MessageTooLong,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Error::TagMismatch => "chacha20-poly1305 tag mismatch",
            Error::MessageTooLong => "message too long for one chacha20-poly1305 nonce",
        })
    }
}

impl core::error::Error for Error {}

/// A ChaCha20-Poly1305 key.
#[derive(Clone)]
pub struct ChaCha20Poly1305 {
    key: [u8; KEY_LEN],
}

impl core::fmt::Debug for ChaCha20Poly1305 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ChaCha20Poly1305 { key: <secret> }")
    }
}

impl ChaCha20Poly1305 {
    /// The AEAD with `key`.
    pub fn new(key: &[u8; KEY_LEN]) -> Self {
        ChaCha20Poly1305 { key: *key }
    }

    /// Encrypts `in_out` in place and returns the tag over `aad` and the ciphertext.
    pub fn seal_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Error> {
        check_len(in_out)?;
        let cipher = ChaCha20::new(&self.key, nonce);
        cipher.apply_keystream_with::<Backend>(1, in_out);
        Ok(tag(&cipher, aad, in_out))
    }

    /// Checks `tag` over `aad` and the ciphertext in `in_out`, then decrypts `in_out` in place.
    /// On [`Error::TagMismatch`] `in_out` is left as it was, undecrypted.
    pub fn open_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Error> {
        check_len(in_out)?;
        let cipher = ChaCha20::new(&self.key, nonce);
        if !tags_equal(&self::tag(&cipher, aad, in_out), tag) {
            return Err(Error::TagMismatch);
        }
        cipher.apply_keystream_with::<Backend>(1, in_out);
        Ok(())
    }
}

/// The two halves on their own, for the benchmarks that measure each: not an AEAD (no
/// authentication); use [`ChaCha20Poly1305`].
pub mod halves {
    use super::{Backend, ChaCha20, KEY_LEN, NONCE_LEN, Poly1305, TAG_LEN};

    /// XORs ChaCha20's keystream for `key` and `nonce`, from block `counter` on, into `data`
    /// (`data` at most 2^32 - `counter` blocks long).
    pub fn chacha20_xor(
        key: &[u8; KEY_LEN],
        nonce: &[u8; NONCE_LEN],
        counter: u32,
        data: &mut [u8],
    ) {
        ChaCha20::new(key, nonce).apply_keystream_with::<Backend>(counter, data);
    }

    /// Poly1305 of `message` with the one-time `key`.
    pub fn poly1305(key: &[u8; 32], message: &[u8]) -> [u8; TAG_LEN] {
        Poly1305::new(key).finalize_unpadded(message)
    }
}

/// Refuses a message longer than one nonce's keystream.
fn check_len(in_out: &[u8]) -> Result<(), Error> {
    if in_out.len() as u64 > MAX_MESSAGE_LEN {
        return Err(Error::MessageTooLong);
    }
    Ok(())
}

/// The AEAD's tag: Poly1305, keyed by block 0, over the padded `aad`, the padded ciphertext
/// and both lengths (RFC 8439 section 2.8).
fn tag(cipher: &ChaCha20, aad: &[u8], ciphertext: &[u8]) -> [u8; TAG_LEN] {
    let one_time_key: [u8; 32] = cipher.keystream_block_prefix::<Backend, 32>(0);
    let mut mac = Poly1305::new(&one_time_key);
    mac.update_padded(aad);
    mac.update_padded(ciphertext);
    let mut lengths = [0u8; 16];
    lengths[..8].copy_from_slice(&(aad.len() as u64).to_le_bytes());
    lengths[8..].copy_from_slice(&(ciphertext.len() as u64).to_le_bytes());
    mac.update_padded(&lengths);
    mac.finalize()
}

/// Whether two tags are equal, in time that does not depend on where they differ.
fn tags_equal(a: &[u8; TAG_LEN], b: &[u8; TAG_LEN]) -> bool {
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    core::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes of hexadecimal `text` (whitespace ignored).
    pub(crate) fn hex(text: &str) -> Vec<u8> {
        let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
        digits
            .chunks(2)
            .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
            .collect()
    }

    const SUNSCREEN: &[u8] = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";

    fn rfc_8439_key() -> ChaCha20Poly1305 {
        let key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
        ChaCha20Poly1305::new(&key.try_into().unwrap())
    }

    const RFC_8439_NONCE: [u8; 12] = [7, 0, 0, 0, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47];

    /// RFC 8439 section 2.8.2.
    #[test]
    fn sealing_gives_rfc_8439_s_ciphertext_and_tag() {
        let aad = hex("50515253c0c1c2c3c4c5c6c7");
        let mut data = SUNSCREEN.to_vec();
        let tag = rfc_8439_key()
            .seal_in_place(&RFC_8439_NONCE, &aad, &mut data)
            .unwrap();
        let expected = hex(
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6
             3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36
             92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc
             3ff4def08e4b7a9de576d26586cec64b6116",
        );
        assert_eq!(data, expected);
        assert_eq!(tag.to_vec(), hex("1ae10b594f09e26a7e902ecbd0600691"));
    }

    /// RFC 8439 section 2.6.2: the Poly1305 key is the first half of block 0.
    #[test]
    fn the_poly1305_key_is_rfc_8439_s_block_0_prefix() {
        let key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
        let nonce = hex("000000000001020304050607");
        let cipher = ChaCha20::new(&key.try_into().unwrap(), &nonce.try_into().unwrap());
        let one_time: [u8; 32] = cipher.keystream_block_prefix::<Backend, 32>(0);
        let expected = hex("8ad5a08b905f81cc815040274ab29471a833b637e3fd0da508dbb8e2fdd1a646");
        assert_eq!(one_time.to_vec(), expected);
    }

    /// RFC 8439 section 2.5.2: the Poly1305 half alone.
    #[test]
    fn poly1305_gives_rfc_8439_s_tag() {
        let key = hex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
        let tag = halves::poly1305(
            &key.try_into().unwrap(),
            b"Cryptographic Forum Research Group",
        );
        assert_eq!(tag.to_vec(), hex("a8061dc1305136c6c22b8baf0c0127a9"));
    }

    #[test]
    fn an_opened_record_is_the_plaintext_and_any_flipped_bit_is_a_tag_mismatch() {
        let key = rfc_8439_key();
        let aad = b"header";
        let mut sealed = SUNSCREEN.to_vec();
        let tag = key
            .seal_in_place(&RFC_8439_NONCE, aad, &mut sealed)
            .unwrap();
        let mut opened = sealed.clone();
        key.open_in_place(&RFC_8439_NONCE, aad, &mut opened, &tag)
            .unwrap();
        assert_eq!(opened, SUNSCREEN);
        for bit in 0..8 * sealed.len() {
            let mut tampered = sealed.clone();
            tampered[bit / 8] ^= 1 << (bit % 8);
            let before = tampered.clone();
            let result = key.open_in_place(&RFC_8439_NONCE, aad, &mut tampered, &tag);
            assert_eq!(result, Err(Error::TagMismatch), "bit {bit}");
            assert_eq!(tampered, before, "a refused record is left undecrypted");
        }
        let mut wrong_tag = tag;
        wrong_tag[15] ^= 0x80;
        let mut copy = sealed.clone();
        assert_eq!(
            key.open_in_place(&RFC_8439_NONCE, aad, &mut copy, &wrong_tag),
            Err(Error::TagMismatch)
        );
        let mut copy = sealed;
        assert_eq!(
            key.open_in_place(&RFC_8439_NONCE, b"headers", &mut copy, &tag),
            Err(Error::TagMismatch)
        );
    }
}
