//! The word the fixsliced AES computes on: 64 bits holding four blocks' bits, or a wasm `v128`
//! holding two such words (eight blocks). The AES code is written once over [`Word`]; only
//! how many blocks one word carries and how its lanes are read and written differ.

use core::ops::{BitAnd, BitOr, BitXor};

/// The lane-wise operations of the fixsliced AES: bitwise logic, and shifts and rotations of
/// each 64-bit lane by a fixed amount.
pub(crate) trait Word:
    Copy + BitXor<Output = Self> + BitAnd<Output = Self> + BitOr<Output = Self>
{
    /// How many 64-bit lanes one word has (four blocks each).
    const LANES: usize;
    /// `mask` in every lane.
    fn splat(mask: u64) -> Self;
    /// Each lane shifted left by `bits` (less than 64).
    fn shl(self, bits: u32) -> Self;
    /// Each lane shifted right by `bits` (less than 64).
    fn shr(self, bits: u32) -> Self;
    /// Each lane rotated right by `bits` (1 to 63).
    #[inline(always)]
    fn ror(self, bits: u32) -> Self {
        self.shr(bits) | self.shl(64 - bits)
    }
    /// The words of `4 * LANES` blocks before the bit swaps that bitslice them: word `k`'s
    /// lane `l` holds bytes 0-3 and 8-11 (`k < 4`) or 4-7 and 12-15 (`k >= 4`) of block
    /// `4l + k % 4`, interleaved byte by byte (the first of each pair in the low byte).
    fn gather(blocks: &[[u8; 16]]) -> [Self; 8];
    /// Writes words laid out as [`Word::gather`] reads them back to their blocks.
    fn scatter(words: &[Self; 8], blocks: &mut [[u8; 16]]);
}

/// A `u64`: four blocks, the word of every target without WebAssembly SIMD and of the key
/// schedule everywhere.
impl Word for u64 {
    const LANES: usize = 1;

    #[inline(always)]
    fn splat(mask: u64) -> Self {
        mask
    }

    #[inline(always)]
    fn shl(self, bits: u32) -> Self {
        self << bits
    }

    #[inline(always)]
    fn shr(self, bits: u32) -> Self {
        self >> bits
    }

    #[inline(always)]
    fn ror(self, bits: u32) -> Self {
        self.rotate_right(bits)
    }

    #[inline(always)]
    fn gather(blocks: &[[u8; 16]]) -> [Self; 8] {
        let mut words = [0; 8];
        for (k, word) in words.iter_mut().enumerate() {
            *word = read_reordered(&blocks[k % 4][4 * (k / 4)..]);
        }
        words
    }

    #[inline(always)]
    fn scatter(words: &[Self; 8], blocks: &mut [[u8; 16]]) {
        for (k, word) in words.iter().enumerate() {
            write_reordered(*word, &mut blocks[k % 4][4 * (k / 4)..]);
        }
    }
}

/// Bytes 0-3 and 8-11 of `input` interleaved into one 64-bit word, byte 0 lowest.
#[rustfmt::skip]
#[inline(always)]
fn read_reordered(input: &[u8]) -> u64 {
    u64::from(input[0x0])
        | (u64::from(input[0x1]) << 0x10)
        | (u64::from(input[0x2]) << 0x20)
        | (u64::from(input[0x3]) << 0x30)
        | (u64::from(input[0x8]) << 0x08)
        | (u64::from(input[0x9]) << 0x18)
        | (u64::from(input[0xa]) << 0x28)
        | (u64::from(input[0xb]) << 0x38)
}

/// Writes `columns` back to bytes 0-3 and 8-11 of `output` (the inverse of
/// [`read_reordered`]).
#[inline(always)]
fn write_reordered(columns: u64, output: &mut [u8]) {
    output[0x0] = columns as u8;
    output[0x1] = (columns >> 0x10) as u8;
    output[0x2] = (columns >> 0x20) as u8;
    output[0x3] = (columns >> 0x30) as u8;
    output[0x8] = (columns >> 0x08) as u8;
    output[0x9] = (columns >> 0x18) as u8;
    output[0xa] = (columns >> 0x28) as u8;
    output[0xb] = (columns >> 0x38) as u8;
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(crate) use simd128::Simd128;

/// The WebAssembly SIMD word.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128 {
    use core::arch::wasm32::{
        i8x16_shuffle, u64x2, u64x2_extract_lane, u64x2_shl, u64x2_shr, u64x2_splat, v128,
        v128_and, v128_or, v128_xor,
    };
    use core::ops::{BitAnd, BitOr, BitXor};

    use super::Word;

    /// One `v128` of two 64-bit lanes: eight blocks.
    #[derive(Debug, Clone, Copy)]
    pub(crate) struct Simd128(v128);

    /// `vector`'s two little-endian 64-bit lanes each rotated right by `$k` bytes: byte `i` of
    /// a lane becomes its byte `i + $k` (mod 8).
    macro_rules! rotate_bytes {
        ($vector:expr, $k:literal) => {
            Simd128(i8x16_shuffle::<
                { $k % 8 },
                { (1 + $k) % 8 },
                { (2 + $k) % 8 },
                { (3 + $k) % 8 },
                { (4 + $k) % 8 },
                { (5 + $k) % 8 },
                { (6 + $k) % 8 },
                { (7 + $k) % 8 },
                { 8 + $k % 8 },
                { 8 + (1 + $k) % 8 },
                { 8 + (2 + $k) % 8 },
                { 8 + (3 + $k) % 8 },
                { 8 + (4 + $k) % 8 },
                { 8 + (5 + $k) % 8 },
                { 8 + (6 + $k) % 8 },
                { 8 + (7 + $k) % 8 },
            >($vector, $vector))
        };
    }

    impl BitXor for Simd128 {
        type Output = Self;

        #[inline(always)]
        fn bitxor(self, other: Self) -> Self {
            Simd128(v128_xor(self.0, other.0))
        }
    }

    impl BitAnd for Simd128 {
        type Output = Self;

        #[inline(always)]
        fn bitand(self, other: Self) -> Self {
            Simd128(v128_and(self.0, other.0))
        }
    }

    impl BitOr for Simd128 {
        type Output = Self;

        #[inline(always)]
        fn bitor(self, other: Self) -> Self {
            Simd128(v128_or(self.0, other.0))
        }
    }

    impl Word for Simd128 {
        const LANES: usize = 2;

        #[inline(always)]
        fn splat(mask: u64) -> Self {
            Simd128(u64x2_splat(mask))
        }

        #[inline(always)]
        fn shl(self, bits: u32) -> Self {
            Simd128(u64x2_shl(self.0, bits))
        }

        #[inline(always)]
        fn shr(self, bits: u32) -> Self {
            Simd128(u64x2_shr(self.0, bits))
        }

        /// A rotation by whole bytes is one byte shuffle (`i8x16.shuffle`, x86's `pshufb`)
        /// instead of two shifts and an OR; after inlining `bits` is a constant and the match
        /// folds away.
        #[inline(always)]
        fn ror(self, bits: u32) -> Self {
            match bits {
                8 => rotate_bytes!(self.0, 1),
                16 => rotate_bytes!(self.0, 2),
                24 => rotate_bytes!(self.0, 3),
                32 => rotate_bytes!(self.0, 4),
                40 => rotate_bytes!(self.0, 5),
                48 => rotate_bytes!(self.0, 6),
                56 => rotate_bytes!(self.0, 7),
                _ => self.shr(bits) | self.shl(64 - bits),
            }
        }

        /// One byte shuffle a word, of the two blocks whose bytes it holds (`k` and `4 + k`),
        /// instead of a load and a shift for each byte.
        #[rustfmt::skip]
        #[inline(always)]
        fn gather(blocks: &[[u8; 16]]) -> [Self; 8] {
            let block = |i: usize| load(&blocks[i]);
            let mut words = [Simd128(u64x2_splat(0)); 8];
            for k in 0..4 {
                let (low, high) = (block(k), block(4 + k));
                words[k] = Simd128(i8x16_shuffle::<
                    0, 8, 1, 9, 2, 10, 3, 11, 16, 24, 17, 25, 18, 26, 19, 27,
                >(low, high));
                words[4 + k] = Simd128(i8x16_shuffle::<
                    4, 12, 5, 13, 6, 14, 7, 15, 20, 28, 21, 29, 22, 30, 23, 31,
                >(low, high));
            }
            words
        }

        /// One byte shuffle a block, of the two words that hold its bytes (`k % 4` and
        /// `4 + k % 4`).
        #[rustfmt::skip]
        #[inline(always)]
        fn scatter(words: &[Self; 8], blocks: &mut [[u8; 16]]) {
            for k in 0..4 {
                let (first, second) = (words[k].0, words[4 + k].0);
                blocks[k] = store(i8x16_shuffle::<
                    0, 2, 4, 6, 16, 18, 20, 22, 1, 3, 5, 7, 17, 19, 21, 23,
                >(first, second));
                blocks[4 + k] = store(i8x16_shuffle::<
                    8, 10, 12, 14, 24, 26, 28, 30, 9, 11, 13, 15, 25, 27, 29, 31,
                >(first, second));
            }
        }
    }

    /// A block as a `v128`, byte `i` in lane `i`.
    #[inline(always)]
    fn load(block: &[u8; 16]) -> v128 {
        let word = u128::from_le_bytes(*block);
        u64x2(word as u64, (word >> 64) as u64)
    }

    /// The bytes of a `v128`, lane `i` in byte `i`.
    #[inline(always)]
    fn store(vector: v128) -> [u8; 16] {
        let low = u128::from(u64x2_extract_lane::<0>(vector));
        let high = u128::from(u64x2_extract_lane::<1>(vector));
        (low | (high << 64)).to_le_bytes()
    }
}
