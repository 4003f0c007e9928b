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
    /// A word whose lane `i` is `lane(i)`.
    fn from_lanes(lane: impl Fn(usize) -> u64) -> Self;
    /// Lane `i`.
    fn lane(self, i: usize) -> u64;
    /// Each lane shifted left by `bits` (less than 64).
    fn shl(self, bits: u32) -> Self;
    /// Each lane shifted right by `bits` (less than 64).
    fn shr(self, bits: u32) -> Self;
    /// Each lane rotated right by `bits` (1 to 63).
    #[inline(always)]
    fn ror(self, bits: u32) -> Self {
        self.shr(bits) | self.shl(64 - bits)
    }
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
    fn from_lanes(lane: impl Fn(usize) -> u64) -> Self {
        lane(0)
    }

    #[inline(always)]
    fn lane(self, _i: usize) -> u64 {
        self
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
        fn from_lanes(lane: impl Fn(usize) -> u64) -> Self {
            Simd128(u64x2(lane(0), lane(1)))
        }

        #[inline(always)]
        fn lane(self, i: usize) -> u64 {
            if i == 0 {
                u64x2_extract_lane::<0>(self.0)
            } else {
                u64x2_extract_lane::<1>(self.0)
            }
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
    }
}
