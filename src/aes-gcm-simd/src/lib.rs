//! AES-128-GCM and AES-256-GCM (NIST SP 800-38D) for the verified-https component, with AES
//! eight blocks at a time in WebAssembly SIMD.
//!
//! Inside wasm ring has no AES instructions to use and falls back to its constant-time C code:
//! `aes_nohw`, bitsliced on 32-bit words (two blocks a pass), and `gcm_nohw`, GHASH with
//! 32-bit multiplications. Here AES is fixsliced (`fixslice`) over 64-bit lanes, and wasm32
//! built with `+simd128` (the component's flags, `.cargo/config.toml`) runs it on `v128`s of
//! two lanes: eight blocks of counter mode per pass, as `v128.and`, `v128.xor` and
//! `i64x2.shl`/`shr`. GHASH (`ghash`) multiplies with 64-bit integer multiplications, native in
//! wasm32. Every other target runs the same AES over `u64`s (four blocks a pass), so the unit
//! tests, the vectors and the differential fuzz target run natively; `make test` runs them
//! inside wasm too (the wasmtime CLI as cargo's runner), with the SIMD path compared to the
//! portable one and the AEAD to ring's.
//!
//! In scope: the AEAD with a 96-bit nonce and a 128-bit tag, seal and open in place, as TLS
//! records need it. Out of scope: other nonce and tag lengths, AES-192, decryption with AES
//! (GCM never needs it), streaming.
//!
//! Constant-time: the S-box is a circuit of logic gates over the bitsliced state, every other
//! AES step is fixed shifts, rotations and masks; GHASH is integer multiplications of operands
//! with holes, with no table and no branch on data; the tag is compared without an early exit.
//! A record whose tag does not match is never decrypted.

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

mod fixslice;
mod ghash;
mod words;

use fixslice::RoundKeys;
use ghash::{Ghash, GhashKey};

/// The word this target's AES runs on: a `v128` inside wasm built with `+simd128`.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
type Backend = words::Simd128;
/// The word this target's AES runs on: a `u64` without WebAssembly SIMD.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
type Backend = u64;

/// Bytes in a nonce: GCM's 96-bit IV, the length TLS uses.
pub const NONCE_LEN: usize = 12;
/// Bytes in a tag.
pub const TAG_LEN: usize = 16;
/// The longest message one nonce may protect: 2^32 - 2 blocks (SP 800-38D section 5.2.1.1).
pub const MAX_MESSAGE_LEN: u64 = ((1 << 32) - 2) * 16;

/// Why sealing or opening failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The tag does not match: the record was altered, or sealed with another key, nonce or
    /// additional data. Nothing was decrypted.
    TagMismatch,
    /// The message is longer than [`MAX_MESSAGE_LEN`].
    MessageTooLong,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Error::TagMismatch => "authentication tag mismatch",
            Error::MessageTooLong => "message too long for one nonce",
        })
    }
}

impl core::error::Error for Error {}

/// An AES-GCM key (128 or 256 bits), ready to seal and open.
#[derive(Clone)]
pub struct AesGcm {
    /// AES's round keys, spread to the backend's lanes.
    round_keys: RoundKeys<Backend>,
    /// GHASH's key, `H = E(K, 0^128)` and its powers.
    ghash: GhashKey,
}

impl core::fmt::Debug for AesGcm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("AesGcm { .. }")
    }
}

impl AesGcm {
    /// An AES-128-GCM key.
    pub fn new_128(key: &[u8; 16]) -> Self {
        Self::with_schedule(&RoundKeys::aes128(key))
    }

    /// An AES-256-GCM key.
    pub fn new_256(key: &[u8; 32]) -> Self {
        Self::with_schedule(&RoundKeys::aes256(key))
    }

    /// The key of an AES key schedule: the round keys spread, and `H`.
    fn with_schedule(schedule: &RoundKeys<u64>) -> Self {
        let round_keys = RoundKeys::<Backend>::spread(schedule);
        let mut blocks = Batch::zeroed();
        blocks.encrypt(&round_keys);
        AesGcm {
            round_keys,
            ghash: GhashKey::new(&blocks.0[0]),
        }
    }

    /// Encrypts `in_out` in place and returns the tag over `aad` and the ciphertext.
    pub fn seal_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Error> {
        check_len(in_out)?;
        self.apply_keystream(nonce, in_out);
        Ok(self.tag(nonce, aad, in_out))
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
        if !tags_equal(&self.tag(nonce, aad, in_out), tag) {
            return Err(Error::TagMismatch);
        }
        self.apply_keystream(nonce, in_out);
        Ok(())
    }

    /// XORs the keystream of `nonce` into `data`: counter blocks from 2 on (block 1 masks the
    /// tag), a batch of the backend's blocks per pass.
    fn apply_keystream(&self, nonce: &[u8; NONCE_LEN], data: &mut [u8]) {
        let mut counter = 2u32;
        for chunk in data.chunks_mut(Batch::BYTES) {
            let mut keystream = Batch::counters(nonce, counter);
            keystream.encrypt(&self.round_keys);
            keystream.xor_into(chunk);
            counter = counter.wrapping_add(Batch::BLOCKS as u32);
        }
    }

    /// The tag: GHASH over the padded `aad`, the padded ciphertext and both lengths in bits,
    /// masked with the encryption of counter block 1.
    fn tag(&self, nonce: &[u8; NONCE_LEN], aad: &[u8], ciphertext: &[u8]) -> [u8; TAG_LEN] {
        let mut ghash = Ghash::new(&self.ghash);
        ghash.update_padded(aad);
        ghash.update_padded(ciphertext);
        let mut lengths = [0u8; 16];
        lengths[..8].copy_from_slice(&(aad.len() as u64 * 8).to_be_bytes());
        lengths[8..].copy_from_slice(&(ciphertext.len() as u64 * 8).to_be_bytes());
        ghash.update_block(&lengths);
        let mut mask = Batch::counters(nonce, 1);
        mask.encrypt(&self.round_keys);
        let mut tag = ghash.finalize();
        for (byte, key) in tag.iter_mut().zip(mask.0[0]) {
            *byte ^= key;
        }
        tag
    }
}

/// The two halves on their own, for the benchmarks that measure each: not an AEAD (no
/// authentication); use [`AesGcm`].
pub mod halves {
    use super::{AesGcm, Ghash, GhashKey, NONCE_LEN, TAG_LEN};

    /// XORs AES-256 counter mode's keystream for `key` and `nonce`, counter blocks from 2 on
    /// (as GCM's), into `data`.
    pub fn aes_256_ctr_xor(key: &[u8; 32], nonce: &[u8; NONCE_LEN], data: &mut [u8]) {
        AesGcm::new_256(key).apply_keystream(nonce, data);
    }

    /// GHASH of `data` (zero-padded to whole blocks) under the hash key `h`.
    pub fn ghash(h: &[u8; 16], data: &[u8]) -> [u8; TAG_LEN] {
        let key = GhashKey::new(h);
        let mut ghash = Ghash::new(&key);
        ghash.update_padded(data);
        ghash.finalize()
    }
}

/// The blocks the backend encrypts in one pass.
struct Batch([[u8; 16]; Batch::BLOCKS]);

impl Batch {
    /// Blocks in a batch: four a 64-bit lane.
    const BLOCKS: usize = 4 * <Backend as words::Word>::LANES;
    /// Bytes in a batch.
    const BYTES: usize = 16 * Self::BLOCKS;

    /// Encrypts the blocks in place. The one copy of AES's rounds (they are most of the
    /// crate's code): not inlined into each caller, and over an array of known length, so the
    /// rounds index it without bounds checks.
    #[inline(never)]
    fn encrypt(&mut self, round_keys: &RoundKeys<Backend>) {
        round_keys.encrypt(&mut self.0);
    }

    /// XORs the blocks into `data` (at most [`Batch::BYTES`] long): whole blocks as 128-bit
    /// words, the bytes of a last partial one alone.
    #[inline(always)]
    fn xor_into(&self, data: &mut [u8]) {
        let whole = (data.len() / 16).min(Self::BLOCKS - 1);
        let mut blocks = data.chunks_exact_mut(16);
        for (block, key) in (&mut blocks).zip(&self.0) {
            xor_block(block, key);
        }
        let tail = blocks.into_remainder();
        for (byte, key) in tail.iter_mut().zip(&self.0[whole]) {
            *byte ^= key;
        }
    }

    /// All-zero blocks.
    fn zeroed() -> Self {
        Batch([[0; 16]; Self::BLOCKS])
    }

    /// The counter blocks `nonce || first + i` (32-bit big-endian, wrapping), each written
    /// as one 128-bit word.
    #[inline(always)]
    fn counters(nonce: &[u8; NONCE_LEN], first: u32) -> Self {
        let mut prefix = [0u8; 16];
        prefix[..NONCE_LEN].copy_from_slice(nonce);
        let prefix = u128::from_le_bytes(prefix);
        let mut batch = Self::zeroed();
        for (i, block) in batch.0.iter_mut().enumerate() {
            let counter = first.wrapping_add(i as u32).swap_bytes();
            *block = (prefix | (u128::from(counter) << 96)).to_le_bytes();
        }
        batch
    }
}

/// XORs `key` into the 16 bytes of `block`, as one 128-bit word.
#[inline(always)]
fn xor_block(block: &mut [u8], key: &[u8; 16]) {
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(block);
    let sum = u128::from_le_bytes(bytes) ^ u128::from_le_bytes(*key);
    block.copy_from_slice(&sum.to_le_bytes());
}

/// Refuses a message longer than one nonce's keystream.
fn check_len(in_out: &[u8]) -> Result<(), Error> {
    if in_out.len() as u64 > MAX_MESSAGE_LEN {
        return Err(Error::MessageTooLong);
    }
    Ok(())
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

    /// One of the GCM specification's test cases (McGrew and Viega, "The Galois/Counter Mode
    /// of Operation", appendix B), sealed and opened.
    fn check_case(key: &str, nonce: &str, plaintext: &str, aad: &str, ciphertext: &str, tag: &str) {
        let key = hex(key);
        let key = match key.len() {
            16 => AesGcm::new_128(&key.try_into().unwrap()),
            32 => AesGcm::new_256(&key.try_into().unwrap()),
            n => panic!("key of {n} bytes"),
        };
        let nonce: [u8; 12] = hex(nonce).try_into().unwrap();
        let (aad, plaintext) = (hex(aad), hex(plaintext));
        let mut data = plaintext.clone();
        let sealed_tag = key.seal_in_place(&nonce, &aad, &mut data).unwrap();
        assert_eq!(data, hex(ciphertext), "ciphertext");
        assert_eq!(sealed_tag.to_vec(), hex(tag), "tag");
        key.open_in_place(&nonce, &aad, &mut data, &sealed_tag)
            .unwrap();
        assert_eq!(data, plaintext);
    }

    const CASE_3_4_PLAINTEXT: &str =
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72
        1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
    const CASE_4_PLAINTEXT: &str =
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72
        1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
    const CASE_4_AAD: &str = "feedfacedeadbeeffeedfacedeadbeefabaddad2";

    #[test]
    fn aes_128_gcm_gives_the_specification_s_test_cases_1_to_4() {
        let zero_key = "00000000000000000000000000000000";
        let zero_nonce = "000000000000000000000000";
        check_case(
            zero_key,
            zero_nonce,
            "",
            "",
            "",
            "58e2fccefa7e3061367f1d57a4e7455a",
        );
        check_case(
            zero_key,
            zero_nonce,
            "00000000000000000000000000000000",
            "",
            "0388dace60b6a392f328c2b971b2fe78",
            "ab6e47d42cec13bdf53a67b21257bddf",
        );
        let key = "feffe9928665731c6d6a8f9467308308";
        let nonce = "cafebabefacedbaddecaf888";
        check_case(
            key,
            nonce,
            CASE_3_4_PLAINTEXT,
            "",
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e
             21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
            "4d5c2af327cd64a62cf35abd2ba6fab4",
        );
        check_case(
            key,
            nonce,
            CASE_4_PLAINTEXT,
            CASE_4_AAD,
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e
             21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
            "5bc94fbc3221a5db94fae95ae7121a47",
        );
    }

    #[test]
    fn aes_256_gcm_gives_the_specification_s_test_cases_13_to_16() {
        let zero_key = "0000000000000000000000000000000000000000000000000000000000000000";
        let zero_nonce = "000000000000000000000000";
        check_case(
            zero_key,
            zero_nonce,
            "",
            "",
            "",
            "530f8afbc74536b9a963b4f1c4cb738b",
        );
        check_case(
            zero_key,
            zero_nonce,
            "00000000000000000000000000000000",
            "",
            "cea7403d4d606b6e074ec5d3baf39d18",
            "d0d1c8a799996bf0265b98b5d48ab919",
        );
        let key = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
        let nonce = "cafebabefacedbaddecaf888";
        check_case(
            key,
            nonce,
            CASE_3_4_PLAINTEXT,
            "",
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa
             8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
            "b094dac5d93471bdec1a502270e3cc6c",
        );
        check_case(
            key,
            nonce,
            CASE_4_PLAINTEXT,
            CASE_4_AAD,
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa
             8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
            "76fc6ece0f4e1768cddf8853bb2d551b",
        );
    }

    #[test]
    fn an_opened_record_is_the_plaintext_and_any_flipped_bit_is_a_tag_mismatch() {
        let key = AesGcm::new_256(&[0x5a; 32]);
        let nonce = [9; 12];
        let aad = b"header";
        let message: Vec<u8> = (0..150u8).collect();
        let mut sealed = message.clone();
        let tag = key.seal_in_place(&nonce, aad, &mut sealed).unwrap();
        let mut opened = sealed.clone();
        key.open_in_place(&nonce, aad, &mut opened, &tag).unwrap();
        assert_eq!(opened, message);
        for bit in 0..8 * sealed.len() {
            let mut tampered = sealed.clone();
            tampered[bit / 8] ^= 1 << (bit % 8);
            let before = tampered.clone();
            let result = key.open_in_place(&nonce, aad, &mut tampered, &tag);
            assert_eq!(result, Err(Error::TagMismatch), "bit {bit}");
            assert_eq!(tampered, before, "a refused record is left undecrypted");
        }
        for bit in 0..128 {
            let mut wrong_tag = tag;
            wrong_tag[bit / 8] ^= 1 << (bit % 8);
            let mut copy = sealed.clone();
            assert_eq!(
                key.open_in_place(&nonce, aad, &mut copy, &wrong_tag),
                Err(Error::TagMismatch),
                "tag bit {bit}"
            );
        }
        let mut copy = sealed;
        assert_eq!(
            key.open_in_place(&nonce, b"headers", &mut copy, &tag),
            Err(Error::TagMismatch)
        );
    }

    /// Inside wasm: the SIMD word's eight blocks against the portable word's four and four.
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    #[test]
    fn simd_lanes_encrypt_as_the_portable_word_does() {
        for schedule in [RoundKeys::aes128(&[3; 16]), RoundKeys::aes256(&[7; 32])] {
            let simd = RoundKeys::<words::Simd128>::spread(&schedule);
            let portable = RoundKeys::<u64>::spread(&schedule);
            let mut blocks: [[u8; 16]; 8] =
                core::array::from_fn(|i| core::array::from_fn(|j| (i * 16 + j) as u8));
            let mut expected = blocks;
            simd.encrypt(&mut blocks);
            portable.encrypt(&mut expected[..4]);
            portable.encrypt(&mut expected[4..]);
            assert_eq!(blocks, expected);
        }
    }
}
