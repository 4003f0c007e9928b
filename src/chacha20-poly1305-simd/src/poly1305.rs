//! Poly1305 (RFC 8439 section 2.5) in 26-bit limbs (poly1305-donna's 32-bit layout): each
//! product of two limbs fits a `u64`, and there is no branch or index on secret data. Inside
//! wasm built with `+simd128`, runs of four or more blocks go four at a time ([`simd128`]):
//! four accumulators in the lanes of `u32x4` limbs, each multiplied by r^4 per step and the
//! last step by r^4, r^3, r^2 and r, so that their sum is the sequential result.

/// A 26-bit limb's mask.
const MASK: u32 = 0x3ff_ffff;

/// Five 26-bit limbs of a number below about 2^130.
type Limbs = [u32; 5];

/// A Poly1305 computation: the key's `r` (and its powers for the SIMD path), `s`, and the
/// accumulator.
#[derive(Clone)]
pub(crate) struct Poly1305 {
    r: Limbs,
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    powers: simd128::Powers,
    s: [u32; 4],
    h: Limbs,
}

impl Poly1305 {
    /// Starts a computation keyed by the one-time `key` (r then s, RFC 8439 section 2.5).
    pub(crate) fn new(key: &[u8; 32]) -> Self {
        let word = |at: usize| u32::from_le_bytes([key[at], key[at + 1], key[at + 2], key[at + 3]]);
        // r clamped, in limbs.
        let r = [
            word(0) & 0x3ff_ffff,
            (word(3) >> 2) & 0x3ff_ff03,
            (word(6) >> 4) & 0x3ff_c0ff,
            (word(9) >> 6) & 0x3f0_3fff,
            (word(12) >> 8) & 0x00f_ffff,
        ];
        Poly1305 {
            r,
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            powers: simd128::Powers::of(&r),
            s: [word(16), word(20), word(24), word(28)],
            h: [0; 5],
        }
    }

    /// Absorbs `data` as 16-byte blocks, the last one padded with zeros (RFC 8439 section
    /// 2.8's padding: every block counts as a full one).
    pub(crate) fn update_padded(&mut self, data: &[u8]) {
        let full = data.len() - data.len() % 16;
        self.full_blocks(&data[..full]);
        let tail = &data[full..];
        if !tail.is_empty() {
            let mut block = [0u8; 16];
            block[..tail.len()].copy_from_slice(tail);
            self.full_blocks(&block);
        }
    }

    /// Absorbs `message`'s last partial block as RFC 8439 section 2.5 pads it (a 1 byte after
    /// it, no 2^128 bit), and returns the tag.
    pub(crate) fn finalize_unpadded(mut self, message: &[u8]) -> [u8; 16] {
        let full = message.len() - message.len() % 16;
        self.full_blocks(&message[..full]);
        let tail = &message[full..];
        if !tail.is_empty() {
            let mut block = [0u8; 16];
            block[..tail.len()].copy_from_slice(tail);
            block[tail.len()] = 1;
            self.h = add_block(self.h, &block, 0);
            self.h = multiply(self.h, &self.r);
        }
        self.finalize()
    }

    /// The tag: the accumulator reduced modulo 2^130 - 5, plus s, modulo 2^128.
    pub(crate) fn finalize(self) -> [u8; 16] {
        let [mut h0, mut h1, mut h2, mut h3, mut h4] = carry(self.h);
        // h + 5 - 2^130: if that is not negative, it is h mod p.
        let mut c;
        let mut g0 = h0.wrapping_add(5);
        c = g0 >> 26;
        g0 &= MASK;
        let mut g1 = h1.wrapping_add(c);
        c = g1 >> 26;
        g1 &= MASK;
        let mut g2 = h2.wrapping_add(c);
        c = g2 >> 26;
        g2 &= MASK;
        let mut g3 = h3.wrapping_add(c);
        c = g3 >> 26;
        g3 &= MASK;
        let mut g4 = h4.wrapping_add(c).wrapping_sub(1 << 26);
        // All ones if g4 did not go negative (take g), zero if it did (keep h).
        let take_g = (g4 >> 31).wrapping_sub(1);
        g0 &= take_g;
        g1 &= take_g;
        g2 &= take_g;
        g3 &= take_g;
        g4 &= take_g;
        let keep_h = !take_g;
        h0 = (h0 & keep_h) | g0;
        h1 = (h1 & keep_h) | g1;
        h2 = (h2 & keep_h) | g2;
        h3 = (h3 & keep_h) | g3;
        h4 = (h4 & keep_h) | g4;
        // h mod 2^128 as four words, plus s.
        let words = [
            h0 | (h1 << 26),
            (h1 >> 6) | (h2 << 20),
            (h2 >> 12) | (h3 << 14),
            (h3 >> 18) | (h4 << 8),
        ];
        let mut tag = [0u8; 16];
        let mut sum = 0u64;
        for (i, (word, s)) in words.iter().zip(self.s).enumerate() {
            sum = u64::from(*word) + u64::from(s) + (sum >> 32);
            tag[4 * i..4 * i + 4].copy_from_slice(&(sum as u32).to_le_bytes());
        }
        tag
    }

    /// Absorbs whole 16-byte blocks (`data.len()` a multiple of 16), each with the 2^128 bit.
    fn full_blocks(&mut self, data: &[u8]) {
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        let data = {
            let four_at_a_time = data.len() - data.len() % 64;
            if four_at_a_time > 0 {
                self.h = self.powers.absorb(self.h, &data[..four_at_a_time]);
            }
            &data[four_at_a_time..]
        };
        self.scalar_blocks(data);
    }

    /// [`Self::full_blocks`] one block at a time.
    fn scalar_blocks(&mut self, data: &[u8]) {
        for block in data.chunks_exact(16) {
            self.h = add_block(self.h, block, 1 << 24);
            self.h = multiply(self.h, &self.r);
        }
    }
}

/// `h` plus the 16-byte `block` in limbs, and `high` (2^24 in the top limb: 2^128) added.
#[inline(always)]
fn add_block(h: Limbs, block: &[u8], high: u32) -> Limbs {
    let word =
        |at: usize| u32::from_le_bytes([block[at], block[at + 1], block[at + 2], block[at + 3]]);
    [
        h[0] + (word(0) & MASK),
        h[1] + ((word(3) >> 2) & MASK),
        h[2] + ((word(6) >> 4) & MASK),
        h[3] + ((word(9) >> 6) & MASK),
        h[4] + ((word(12) >> 8) | high),
    ]
}

/// `h * r` modulo 2^130 - 5, partly carried (every limb below 2^26 but the second, which may
/// exceed it a little).
#[inline(always)]
fn multiply(h: Limbs, r: &Limbs) -> Limbs {
    let [h0, h1, h2, h3, h4] = h.map(u64::from);
    let [r0, r1, r2, r3, r4] = r.map(u64::from);
    let [s1, s2, s3, s4] = [r1 * 5, r2 * 5, r3 * 5, r4 * 5];
    let d0 = h0 * r0 + h1 * s4 + h2 * s3 + h3 * s2 + h4 * s1;
    let mut d1 = h0 * r1 + h1 * r0 + h2 * s4 + h3 * s3 + h4 * s2;
    let mut d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s4 + h4 * s3;
    let mut d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s4;
    let mut d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0;
    let mask = u64::from(MASK);
    d1 += d0 >> 26;
    d2 += d1 >> 26;
    d3 += d2 >> 26;
    d4 += d3 >> 26;
    let h0 = (d0 & mask) + (d4 >> 26) * 5;
    let h1 = (d1 & mask) + (h0 >> 26);
    [
        (h0 & mask) as u32,
        h1 as u32,
        (d2 & mask) as u32,
        (d3 & mask) as u32,
        (d4 & mask) as u32,
    ]
}

/// `h` fully carried: every limb below 2^26 (the value still below 2^130 + a little).
fn carry(h: Limbs) -> Limbs {
    let [mut h0, mut h1, mut h2, mut h3, mut h4] = h;
    h2 += h1 >> 26;
    h1 &= MASK;
    h3 += h2 >> 26;
    h2 &= MASK;
    h4 += h3 >> 26;
    h3 &= MASK;
    h0 += (h4 >> 26) * 5;
    h4 &= MASK;
    h1 += h0 >> 26;
    h0 &= MASK;
    [h0, h1, h2, h3, h4]
}

/// `h` carried limb by limb from the first: every limb below 2^26 but the second, which may
/// exceed it a little (the shape [`multiply`] leaves).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn carry_from_h0(h: Limbs) -> Limbs {
    carry([h[0] & MASK, h[1] + (h[0] >> 26), h[2], h[3], h[4]])
}

/// Four blocks at a time in WebAssembly SIMD.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128 {
    use core::arch::wasm32::{
        i32x4_shuffle, i64x2_shuffle, u32x4, u32x4_add, u32x4_extract_lane, u32x4_shl, u32x4_shr,
        u32x4_splat, u64x2, u64x2_add, u64x2_extmul_high_u32x4, u64x2_extmul_low_u32x4, u64x2_shl,
        u64x2_shr, u64x2_splat, v128, v128_and, v128_or,
    };

    use super::{Limbs, MASK, carry, carry_from_h0, multiply};

    /// The multipliers of the four lanes, as limbs with their fives (`5 r`, for the reduction).
    #[derive(Clone, Copy)]
    struct Multiplier {
        r: [v128; 5],
        five_r: [v128; 5],
    }

    impl Multiplier {
        /// Lane `j` multiplies by `lanes[j]`.
        fn of(lanes: [&Limbs; 4]) -> Self {
            let r: [v128; 5] =
                core::array::from_fn(|k| u32x4(lanes[0][k], lanes[1][k], lanes[2][k], lanes[3][k]));
            Multiplier {
                r,
                five_r: r.map(|limb| u32x4_add(u32x4_shl(limb, 2), limb)),
            }
        }
    }

    /// r^4 in every lane (each step but the last), and r^4, r^3, r^2, r (the last).
    #[derive(Clone, Copy)]
    pub(super) struct Powers {
        step: Multiplier,
        last: Multiplier,
    }

    impl Powers {
        /// The powers of `r`, fully carried.
        pub(super) fn of(r: &Limbs) -> Self {
            let r2 = carry(multiply(*r, r));
            let r3 = carry(multiply(r2, r));
            let r4 = carry(multiply(r3, r));
            Powers {
                step: Multiplier::of([&r4; 4]),
                last: Multiplier::of([&r4, &r3, &r2, r]),
            }
        }

        /// `h` after absorbing `data` (a multiple of 64 bytes, at least 64) as full blocks:
        /// lane `j` takes blocks `j`, `j + 4`, ..., lane 0 starting from `h`.
        pub(super) fn absorb(&self, h: Limbs, data: &[u8]) -> Limbs {
            let mut lanes = h.map(|limb| u32x4(limb, 0, 0, 0));
            let groups = data.len() / 64;
            for (i, group) in data.chunks_exact(64).enumerate() {
                let m = message_limbs(group);
                let sum: [v128; 5] = core::array::from_fn(|k| u32x4_add(lanes[k], m[k]));
                let multiplier = if i + 1 == groups {
                    &self.last
                } else {
                    &self.step
                };
                lanes = multiply_lanes(sum, multiplier);
            }
            // The four accumulators' sum (each limb below 2^28: no overflow), carried back
            // to the shape [`multiply`] leaves.
            carry_from_h0(lanes.map(|limb| {
                u32x4_extract_lane::<0>(limb)
                    + u32x4_extract_lane::<1>(limb)
                    + u32x4_extract_lane::<2>(limb)
                    + u32x4_extract_lane::<3>(limb)
            }))
        }
    }

    /// The limbs of four 16-byte blocks, block `j` in lane `j`, each with the 2^128 bit.
    #[inline(always)]
    fn message_limbs(group: &[u8]) -> [v128; 5] {
        let load = |at: usize| {
            let mut le = [0u8; 8];
            le.copy_from_slice(&group[at..at + 8]);
            u64::from_le_bytes(le)
        };
        // Block j's words 0..3 in one vector each, then transposed: w[i] = word i of each block.
        let [b0, b1, b2, b3] = [0, 16, 32, 48].map(|at| u64x2(load(at), load(at + 8)));
        let low01 = i32x4_shuffle::<0, 4, 1, 5>(b0, b1);
        let low23 = i32x4_shuffle::<0, 4, 1, 5>(b2, b3);
        let high01 = i32x4_shuffle::<2, 6, 3, 7>(b0, b1);
        let high23 = i32x4_shuffle::<2, 6, 3, 7>(b2, b3);
        let w0 = i64x2_shuffle::<0, 2>(low01, low23);
        let w1 = i64x2_shuffle::<1, 3>(low01, low23);
        let w2 = i64x2_shuffle::<0, 2>(high01, high23);
        let w3 = i64x2_shuffle::<1, 3>(high01, high23);
        let mask = u32x4_splat(MASK);
        [
            v128_and(w0, mask),
            v128_and(v128_or(u32x4_shr(w0, 26), u32x4_shl(w1, 6)), mask),
            v128_and(v128_or(u32x4_shr(w1, 20), u32x4_shl(w2, 12)), mask),
            v128_and(v128_or(u32x4_shr(w2, 14), u32x4_shl(w3, 18)), mask),
            v128_or(u32x4_shr(w3, 8), u32x4_splat(1 << 24)),
        ]
    }

    /// Each lane's `h * r` modulo 2^130 - 5, partly carried as [`multiply`] does.
    #[inline(always)]
    fn multiply_lanes(h: [v128; 5], m: &Multiplier) -> [v128; 5] {
        let low = half(&h, m, |a, b| u64x2_extmul_low_u32x4(a, b));
        let high = half(&h, m, |a, b| u64x2_extmul_high_u32x4(a, b));
        // Back to u32 lanes: the low words of lanes 0 and 1 (from `low`) and of 2 and 3.
        core::array::from_fn(|k| i32x4_shuffle::<0, 2, 4, 6>(low[k], high[k]))
    }

    /// Two lanes' products (`extmul` picks which two), as `u64x2` limbs.
    #[inline(always)]
    fn half(h: &[v128; 5], m: &Multiplier, extmul: impl Fn(v128, v128) -> v128) -> [v128; 5] {
        let [h0, h1, h2, h3, h4] = *h;
        let [r0, r1, r2, r3, r4] = m.r;
        let [_, s1, s2, s3, s4] = m.five_r;
        let sum = |terms: [(v128, v128); 5]| {
            terms
                .into_iter()
                .map(|(a, b)| extmul(a, b))
                .reduce(|a, b| u64x2_add(a, b))
                .unwrap_or(u64x2_splat(0))
        };
        let d0 = sum([(h0, r0), (h1, s4), (h2, s3), (h3, s2), (h4, s1)]);
        let d1 = sum([(h0, r1), (h1, r0), (h2, s4), (h3, s3), (h4, s2)]);
        let d2 = sum([(h0, r2), (h1, r1), (h2, r0), (h3, s4), (h4, s3)]);
        let d3 = sum([(h0, r3), (h1, r2), (h2, r1), (h3, r0), (h4, s4)]);
        let d4 = sum([(h0, r4), (h1, r3), (h2, r2), (h3, r1), (h4, r0)]);
        let mask = u64x2_splat(u64::from(MASK));
        let d1 = u64x2_add(d1, u64x2_shr(d0, 26));
        let d2 = u64x2_add(d2, u64x2_shr(d1, 26));
        let d3 = u64x2_add(d3, u64x2_shr(d2, 26));
        let d4 = u64x2_add(d4, u64x2_shr(d3, 26));
        let c = u64x2_shr(d4, 26);
        let h0 = u64x2_add(v128_and(d0, mask), u64x2_add(u64x2_shl(c, 2), c));
        let h1 = u64x2_add(v128_and(d1, mask), u64x2_shr(h0, 26));
        [
            v128_and(h0, mask),
            h1,
            v128_and(d2, mask),
            v128_and(d3, mask),
            v128_and(d4, mask),
        ]
    }
}

/// Inside wasm: the SIMD path (runs of four blocks) against the scalar path.
#[cfg(all(test, target_arch = "wasm32", target_feature = "simd128"))]
mod tests {
    use super::*;

    /// The scalar path alone (inside wasm, the SIMD path's reference).
    fn scalar_tag(key: &[u8; 32], message: &[u8]) -> [u8; 16] {
        let mut poly = Poly1305::new(key);
        let full = message.len() - message.len() % 16;
        poly.scalar_blocks(&message[..full]);
        poly.finalize_unpadded(&message[full..])
    }

    /// Keys whose r and s limbs sit at the clamping's edges, and ordinary ones.
    fn keys() -> Vec<[u8; 32]> {
        let mut keys = vec![[0xff; 32], [0; 32], [0x01; 32], [0x80; 32]];
        keys.extend((1..12u8).map(|seed| {
            core::array::from_fn(|i| (i as u8).wrapping_mul(seed).wrapping_add(seed * 31))
        }));
        keys
    }

    #[test]
    fn every_length_gives_the_scalar_tag_for_every_key() {
        for key in keys() {
            for len in 0..300 {
                let message: Vec<u8> = (0..len).map(|i| (i * 13 + 7) as u8 ^ key[i % 32]).collect();
                let all_ones = vec![0xff; len];
                for message in [message, all_ones] {
                    let tag = Poly1305::new(&key).finalize_unpadded(&message);
                    assert_eq!(tag, scalar_tag(&key, &message), "length {len}");
                }
            }
        }
    }
}
