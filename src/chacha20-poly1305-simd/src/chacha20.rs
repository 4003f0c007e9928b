//! ChaCha20 (RFC 8439 section 2.4), four blocks at a time: 256 bytes of keystream per call of
//! the block function, over any [`Lanes`] backend. Constant-time: only additions, XORs and
//! fixed rotations, and no branch or index that depends on the key or the data.

use crate::lanes::Lanes;

/// "expand 32-byte k", the first four words of every block.
const CONSTANTS: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// The bytes of four blocks.
pub(crate) const FOUR_BLOCKS: usize = 256;

/// A 256-bit key and a 96-bit nonce, as the state's words.
#[derive(Clone)]
pub(crate) struct ChaCha20 {
    key: [u32; 8],
    nonce: [u32; 3],
}

impl ChaCha20 {
    /// The cipher for `key` and `nonce`.
    pub(crate) fn new(key: &[u8; 32], nonce: &[u8; 12]) -> Self {
        ChaCha20 {
            key: words(key),
            nonce: words(nonce),
        }
    }

    /// XORs the keystream from block `counter` on into `data`, with the backend `L`. The
    /// caller keeps `counter + data.len() / 64` within 32 bits (the AEAD's length limit).
    #[inline(always)]
    pub(crate) fn apply_keystream_with<L: Lanes>(&self, mut counter: u32, data: &mut [u8]) {
        let mut chunks = data.chunks_exact_mut(FOUR_BLOCKS);
        for chunk in &mut chunks {
            let chunk: &mut [u8; FOUR_BLOCKS] = chunk.try_into().unwrap_or_else(|_| unreachable!());
            self.xor_four_blocks::<L>(counter, chunk);
            counter = counter.wrapping_add(4);
        }
        let tail = chunks.into_remainder();
        if !tail.is_empty() {
            let mut buffer = [0u8; FOUR_BLOCKS];
            buffer[..tail.len()].copy_from_slice(tail);
            self.xor_four_blocks::<L>(counter, &mut buffer);
            tail.copy_from_slice(&buffer[..tail.len()]);
        }
    }

    /// The first `N` bytes of block `counter`'s keystream (N ≤ 64).
    pub(crate) fn keystream_block_prefix<L: Lanes, const N: usize>(&self, counter: u32) -> [u8; N] {
        let mut buffer = [0u8; FOUR_BLOCKS];
        self.xor_four_blocks::<L>(counter, &mut buffer);
        let mut prefix = [0u8; N];
        prefix.copy_from_slice(&buffer[..N]);
        prefix
    }

    /// XORs blocks `counter` to `counter + 3` into `out`.
    #[inline(always)]
    fn xor_four_blocks<L: Lanes>(&self, counter: u32, out: &mut [u8; FOUR_BLOCKS]) {
        let mut x = self.initial_state::<L>(counter);
        for _ in 0..10 {
            // A column round, then a diagonal round.
            quarter_round(&mut x, 0, 4, 8, 12);
            quarter_round(&mut x, 1, 5, 9, 13);
            quarter_round(&mut x, 2, 6, 10, 14);
            quarter_round(&mut x, 3, 7, 11, 15);
            quarter_round(&mut x, 0, 5, 10, 15);
            quarter_round(&mut x, 1, 6, 11, 12);
            quarter_round(&mut x, 2, 7, 8, 13);
            quarter_round(&mut x, 3, 4, 9, 14);
        }
        // The feed-forward's initial state made again rather than kept from before the rounds:
        // kept, it stays live across all ten double rounds beside the 16 state vectors, and the
        // engine's register allocator spills state vectors inside the rounds (inside wasmtime
        // this makes ChaCha20 ~25% faster). `black_box` only stops the compiler from reusing
        // the first one; the values are the same.
        let initial = core::hint::black_box(self).initial_state::<L>(counter);
        for (word, start) in x.iter_mut().zip(initial) {
            *word = word.add(start);
        }
        L::xor_keystream(&x, out);
    }

    /// The state of blocks `counter` to `counter + 3` before the rounds.
    #[inline(always)]
    fn initial_state<L: Lanes>(&self, counter: u32) -> [L; 16] {
        let [c0, c1, c2, c3] = CONSTANTS.map(L::splat);
        let [k0, k1, k2, k3, k4, k5, k6, k7] = self.key.map(L::splat);
        let [n0, n1, n2] = self.nonce.map(L::splat);
        let d = L::counters(counter);
        [
            c0, c1, c2, c3, k0, k1, k2, k3, k4, k5, k6, k7, d, n0, n1, n2,
        ]
    }
}

/// The ChaCha quarter round on words `a`, `b`, `c`, `d` of the state (RFC 8439 section 2.1).
#[inline(always)]
fn quarter_round<L: Lanes>(x: &mut [L; 16], a: usize, b: usize, c: usize, d: usize) {
    x[a] = x[a].add(x[b]);
    x[d] = x[d].xor(x[a]).rotate_left_16();
    x[c] = x[c].add(x[d]);
    x[b] = x[b].xor(x[c]).rotate_left_12();
    x[a] = x[a].add(x[b]);
    x[d] = x[d].xor(x[a]).rotate_left_8();
    x[c] = x[c].add(x[d]);
    x[b] = x[b].xor(x[c]).rotate_left_7();
}

/// `bytes` as little-endian words.
fn words<const B: usize, const W: usize>(bytes: &[u8; B]) -> [u32; W] {
    let mut words = [0u32; W];
    for (word, le) in words.iter_mut().zip(bytes.chunks_exact(4)) {
        *word = u32::from_le_bytes([le[0], le[1], le[2], le[3]]);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lanes::Portable;
    use crate::tests::hex;

    /// RFC 8439 section 2.3.2: the block function's test vector.
    #[test]
    fn the_block_function_gives_rfc_8439_s_keystream_for_block_1() {
        let key: [u8; 32] = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
            .try_into()
            .unwrap();
        let nonce: [u8; 12] = hex("000000090000004a00000000").try_into().unwrap();
        let block: [u8; 64] = ChaCha20::new(&key, &nonce).keystream_block_prefix::<Portable, 64>(1);
        let expected = hex(
            "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e
             d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e",
        );
        assert_eq!(block.to_vec(), expected);
    }

    /// RFC 8439 section 2.4.2: encryption of the sunscreen text from counter 1.
    #[test]
    fn encryption_from_counter_1_gives_rfc_8439_s_sunscreen_ciphertext() {
        let key: [u8; 32] = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
            .try_into()
            .unwrap();
        let nonce: [u8; 12] = hex("000000000000004a00000000").try_into().unwrap();
        let mut data = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".to_vec();
        ChaCha20::new(&key, &nonce).apply_keystream_with::<Portable>(1, &mut data);
        let expected = hex(
            "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b
             f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8
             07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736
             5af90bbf74a35be6b40b8eedf2785e42874d",
        );
        assert_eq!(data, expected);
    }

    /// The four lanes are four consecutive blocks, and a tail shorter than four blocks is the
    /// same keystream as the whole: every length up to three batches.
    #[test]
    fn every_length_is_a_prefix_of_the_same_keystream() {
        let cipher = ChaCha20::new(&[3; 32], &[5; 12]);
        let mut whole = vec![0u8; 3 * FOUR_BLOCKS];
        cipher.apply_keystream_with::<Portable>(7, &mut whole);
        for len in 0..whole.len() {
            let mut part = vec![0u8; len];
            cipher.apply_keystream_with::<Portable>(7, &mut part);
            assert_eq!(part, whole[..len], "length {len}");
        }
        let block_8: [u8; 64] = cipher.keystream_block_prefix::<Portable, 64>(8);
        assert_eq!(block_8.to_vec(), whole[64..128]);
    }

    /// Inside wasm, the SIMD backend gives the portable backend's keystream at every length.
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    #[test]
    fn the_simd128_backend_gives_the_portable_keystream() {
        use crate::lanes::Simd128;
        let cipher = ChaCha20::new(&[0xa5; 32], &[0x3c; 12]);
        for len in 0..3 * FOUR_BLOCKS {
            let data: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let (mut portable, mut simd) = (data.clone(), data);
            cipher.apply_keystream_with::<Portable>(u32::MAX - 5, &mut portable);
            cipher.apply_keystream_with::<Simd128>(u32::MAX - 5, &mut simd);
            assert_eq!(portable, simd, "length {len}");
        }
    }
}
