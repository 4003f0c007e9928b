//! Four 32-bit lanes, one per ChaCha20 block: the one thing the two backends differ in.
//! [`Simd128`] is a WebAssembly `v128` (wasm32 built with `+simd128`); [`Portable`] is four
//! `u32`s, for every other target and for the tests that compare the two inside wasm.
//!
//! Lane `j` of the state's word `i` is word `i` of block `j`: the quarter rounds are the same
//! lane-wise operations for all four blocks, and only [`Lanes::xor_keystream`] turns the words
//! back into the blocks' byte order.

/// The lane-wise operations of the ChaCha20 block function, and the keystream's way out.
pub(crate) trait Lanes: Copy {
    /// `word` in every lane.
    fn splat(word: u32) -> Self;
    /// `first`, `first + 1`, `first + 2`, `first + 3` (wrapping): the four blocks' counters.
    fn counters(first: u32) -> Self;
    /// Lane-wise wrapping addition.
    fn add(self, other: Self) -> Self;
    /// Lane-wise exclusive or.
    fn xor(self, other: Self) -> Self;
    /// Each lane rotated left by 16 bits.
    fn rotate_left_16(self) -> Self;
    /// Each lane rotated left by 12 bits.
    fn rotate_left_12(self) -> Self;
    /// Each lane rotated left by 8 bits.
    fn rotate_left_8(self) -> Self;
    /// Each lane rotated left by 7 bits.
    fn rotate_left_7(self) -> Self;
    /// XORs the keystream of the four blocks in `state` into `out`: block `j` (lane `j`) into
    /// `out[64 * j..64 * (j + 1)]`, each word little-endian.
    fn xor_keystream(state: &[Self; 16], out: &mut [u8; 256]);
}

/// Four `u32`s: the backend of every target without WebAssembly SIMD (and, inside wasm, the
/// tests' reference for [`Simd128`]).
#[cfg(any(test, not(all(target_arch = "wasm32", target_feature = "simd128"))))]
#[derive(Debug, Clone, Copy)]
pub(crate) struct Portable([u32; 4]);

#[cfg(any(test, not(all(target_arch = "wasm32", target_feature = "simd128"))))]
impl Portable {
    /// Applies `f` to each pair of lanes.
    #[inline(always)]
    fn zip(self, other: Self, f: impl Fn(u32, u32) -> u32) -> Self {
        let (a, b) = (self.0, other.0);
        Portable([f(a[0], b[0]), f(a[1], b[1]), f(a[2], b[2]), f(a[3], b[3])])
    }

    /// Applies `f` to each lane.
    #[inline(always)]
    fn map(self, f: impl Fn(u32) -> u32) -> Self {
        Portable(self.0.map(f))
    }
}

#[cfg(any(test, not(all(target_arch = "wasm32", target_feature = "simd128"))))]
impl Lanes for Portable {
    #[inline(always)]
    fn splat(word: u32) -> Self {
        Portable([word; 4])
    }

    #[inline(always)]
    fn counters(first: u32) -> Self {
        Portable([0, 1, 2, 3].map(|j| first.wrapping_add(j)))
    }

    #[inline(always)]
    fn add(self, other: Self) -> Self {
        self.zip(other, u32::wrapping_add)
    }

    #[inline(always)]
    fn xor(self, other: Self) -> Self {
        self.zip(other, |a, b| a ^ b)
    }

    #[inline(always)]
    fn rotate_left_16(self) -> Self {
        self.map(|w| w.rotate_left(16))
    }

    #[inline(always)]
    fn rotate_left_12(self) -> Self {
        self.map(|w| w.rotate_left(12))
    }

    #[inline(always)]
    fn rotate_left_8(self) -> Self {
        self.map(|w| w.rotate_left(8))
    }

    #[inline(always)]
    fn rotate_left_7(self) -> Self {
        self.map(|w| w.rotate_left(7))
    }

    #[inline(always)]
    fn xor_keystream(state: &[Self; 16], out: &mut [u8; 256]) {
        for (block, out) in out.chunks_exact_mut(64).enumerate() {
            for (word, out) in state.iter().zip(out.chunks_exact_mut(4)) {
                let keystream = word.0[block].to_le_bytes();
                for (byte, key) in out.iter_mut().zip(keystream) {
                    *byte ^= key;
                }
            }
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(crate) use simd128::Simd128;

/// The WebAssembly SIMD backend.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128 {
    use core::arch::wasm32::{
        i8x16_shuffle, i32x4_shuffle, i64x2_shuffle, u32x4, u32x4_add, u32x4_shl, u32x4_shr,
        u32x4_splat, u64x2, u64x2_extract_lane, v128, v128_or, v128_xor,
    };

    use super::Lanes;

    /// One `v128` of four `u32` lanes.
    #[derive(Debug, Clone, Copy)]
    pub(crate) struct Simd128(v128);

    /// 16 bytes of `bytes` from `at`, as a vector (two 8-byte loads: the safe way in).
    #[inline(always)]
    fn load(bytes: &[u8; 256], at: usize) -> v128 {
        let word = |at: usize| {
            let mut le = [0u8; 8];
            le.copy_from_slice(&bytes[at..at + 8]);
            u64::from_le_bytes(le)
        };
        u64x2(word(at), word(at + 8))
    }

    /// Writes `vector` to `bytes[at..at + 16]`.
    #[inline(always)]
    fn store(bytes: &mut [u8; 256], at: usize, vector: v128) {
        bytes[at..at + 8].copy_from_slice(&u64x2_extract_lane::<0>(vector).to_le_bytes());
        bytes[at + 8..at + 16].copy_from_slice(&u64x2_extract_lane::<1>(vector).to_le_bytes());
    }

    impl Lanes for Simd128 {
        #[inline(always)]
        fn splat(word: u32) -> Self {
            Simd128(u32x4_splat(word))
        }

        #[inline(always)]
        fn counters(first: u32) -> Self {
            Simd128(u32x4(
                first,
                first.wrapping_add(1),
                first.wrapping_add(2),
                first.wrapping_add(3),
            ))
        }

        #[inline(always)]
        fn add(self, other: Self) -> Self {
            Simd128(u32x4_add(self.0, other.0))
        }

        #[inline(always)]
        fn xor(self, other: Self) -> Self {
            Simd128(v128_xor(self.0, other.0))
        }

        #[inline(always)]
        fn rotate_left_16(self) -> Self {
            // Within each little-endian lane, bytes 2, 3, 0, 1.
            Simd128(i8x16_shuffle::<
                2,
                3,
                0,
                1,
                6,
                7,
                4,
                5,
                10,
                11,
                8,
                9,
                14,
                15,
                12,
                13,
            >(self.0, self.0))
        }

        #[inline(always)]
        fn rotate_left_12(self) -> Self {
            Simd128(v128_or(u32x4_shl(self.0, 12), u32x4_shr(self.0, 20)))
        }

        #[inline(always)]
        fn rotate_left_8(self) -> Self {
            // Within each little-endian lane, bytes 3, 0, 1, 2.
            Simd128(i8x16_shuffle::<
                3,
                0,
                1,
                2,
                7,
                4,
                5,
                6,
                11,
                8,
                9,
                10,
                15,
                12,
                13,
                14,
            >(self.0, self.0))
        }

        #[inline(always)]
        fn rotate_left_7(self) -> Self {
            Simd128(v128_or(u32x4_shl(self.0, 7), u32x4_shr(self.0, 25)))
        }

        #[inline(always)]
        fn xor_keystream(state: &[Self; 16], out: &mut [u8; 256]) {
            // Words 4g..4g+4 of the four blocks are a 4x4 matrix (row = word, column = block):
            // transposed, row j is those words of block j, 16 bytes at 64 * j + 16 * g.
            for group in 0..4 {
                let [a, b, c, d] = [0, 1, 2, 3].map(|i| state[4 * group + i].0);
                let ab_low = i32x4_shuffle::<0, 4, 1, 5>(a, b);
                let cd_low = i32x4_shuffle::<0, 4, 1, 5>(c, d);
                let ab_high = i32x4_shuffle::<2, 6, 3, 7>(a, b);
                let cd_high = i32x4_shuffle::<2, 6, 3, 7>(c, d);
                let blocks = [
                    i64x2_shuffle::<0, 2>(ab_low, cd_low),
                    i64x2_shuffle::<1, 3>(ab_low, cd_low),
                    i64x2_shuffle::<0, 2>(ab_high, cd_high),
                    i64x2_shuffle::<1, 3>(ab_high, cd_high),
                ];
                for (block, keystream) in blocks.into_iter().enumerate() {
                    let at = 64 * block + 16 * group;
                    store(out, at, v128_xor(load(out, at), keystream));
                }
            }
        }
    }
}
