//! AES-128 and AES-256 encryption, fully fixsliced (Adomnicai and Peyrin, "Fixslicing AES-like
//! ciphers", TCHES 2021, <https://eprint.iacr.org/2020/1123>): the state of four blocks is eight
//! 64-bit words, word `i` holding bit `i` of every byte, and the S-box is Boyar and Peralta's
//! circuit of 113 gates over those words, so nothing is indexed by secret data and nothing
//! branches on it. Here every function is generic over [`Word`], so inside wasm the same code
//! runs on `v128`s of two such words: eight blocks per pass.
//!
//! Ported from RustCrypto's `aes` 0.8.4 (`src/soft/fixslice64.rs`, Apache-2.0 or MIT; its
//! original C code by Alexandre Adomnicai, relicensed Apache-2.0 and MIT with his permission):
//! only encryption (GCM never decrypts with AES) and the 128- and 256-bit key schedules, which
//! run on `u64` and are spread to every lane of the word once per key.

#![allow(
    clippy::unreadable_literal,
    reason = "the masks are the paper's, in its notation"
)]

use crate::words::Word;

/// The round keys of AES-128 (11) or AES-256 (15), eight words each, in the fixsliced
/// representation; AES-128 leaves the last 32 unused.
#[derive(Clone)]
pub(crate) struct RoundKeys<W> {
    /// The keys, eight words a round.
    words: [W; 120],
    /// Where the last round's key starts: 80 for AES-128, 112 for AES-256.
    last: usize,
}

impl<W: Word> RoundKeys<W> {
    /// The round keys of `schedule` (AES-128's or AES-256's), spread to every lane of `W`.
    pub(crate) fn spread(schedule: &RoundKeys<u64>) -> Self {
        RoundKeys {
            words: schedule.words.map(W::splat),
            last: schedule.last,
        }
    }

    /// Encrypts `4 * W::LANES` blocks in place.
    #[inline(always)]
    pub(crate) fn encrypt(&self, blocks: &mut [[u8; 16]]) {
        let rkeys = &self.words;
        let mut state = bitslice::<W>(blocks);
        add_round_key(&mut state, &rkeys[..8]);
        let mut rk_off = 8;
        loop {
            sub_bytes(&mut state);
            mix_columns_1(&mut state);
            add_round_key(&mut state, &rkeys[rk_off..(rk_off + 8)]);
            rk_off += 8;
            if rk_off == self.last {
                break;
            }
            sub_bytes(&mut state);
            mix_columns_2(&mut state);
            add_round_key(&mut state, &rkeys[rk_off..(rk_off + 8)]);
            rk_off += 8;

            sub_bytes(&mut state);
            mix_columns_3(&mut state);
            add_round_key(&mut state, &rkeys[rk_off..(rk_off + 8)]);
            rk_off += 8;

            sub_bytes(&mut state);
            mix_columns_0(&mut state);
            add_round_key(&mut state, &rkeys[rk_off..(rk_off + 8)]);
            rk_off += 8;
        }
        shift_rows_2(&mut state);
        sub_bytes(&mut state);
        add_round_key(&mut state, &rkeys[self.last..self.last + 8]);
        inv_bitslice(&state, blocks);
    }
}

impl RoundKeys<u64> {
    /// AES-128's key schedule in the fixsliced representation.
    pub(crate) fn aes128(key: &[u8; 16]) -> Self {
        let mut rkeys = [0u64; 120];
        rkeys[..8].copy_from_slice(&bitslice::<u64>(&[*key; 4]));

        let mut rk_off = 0;
        for rcon in 0..10 {
            memshift32(&mut rkeys, rk_off);
            rk_off += 8;

            key_sub_bytes(eight(&mut rkeys, rk_off));
            sub_bytes_nots(eight(&mut rkeys, rk_off));

            if rcon < 8 {
                add_round_constant_bit(eight(&mut rkeys, rk_off), rcon);
            } else {
                add_round_constant_bit(eight(&mut rkeys, rk_off), rcon - 8);
                add_round_constant_bit(eight(&mut rkeys, rk_off), rcon - 7);
                add_round_constant_bit(eight(&mut rkeys, rk_off), rcon - 5);
                add_round_constant_bit(eight(&mut rkeys, rk_off), rcon - 4);
            }

            xor_columns(&mut rkeys, rk_off, 8, ror_distance(1, 3));
        }

        // Adjust to match the fixsliced format.
        for i in (8..72).step_by(32) {
            inv_shift_rows_1(eight(&mut rkeys, i));
            inv_shift_rows_2(eight(&mut rkeys, i + 8));
            inv_shift_rows_3(eight(&mut rkeys, i + 16));
        }
        inv_shift_rows_1(eight(&mut rkeys, 72));

        // Account for the NOTs removed from sub_bytes.
        for i in 1..11 {
            sub_bytes_nots(eight(&mut rkeys, i * 8));
        }
        RoundKeys {
            words: rkeys,
            last: 80,
        }
    }

    /// AES-256's key schedule in the fixsliced representation.
    pub(crate) fn aes256(key: &[u8; 32]) -> Self {
        let mut rkeys = [0u64; 120];
        let (low, high) = key.split_at(16);
        let low: [u8; 16] = low.try_into().unwrap_or_default();
        let high: [u8; 16] = high.try_into().unwrap_or_default();
        rkeys[..8].copy_from_slice(&bitslice::<u64>(&[low; 4]));
        rkeys[8..16].copy_from_slice(&bitslice::<u64>(&[high; 4]));

        let mut rk_off = 8;
        let mut rcon = 0;
        loop {
            memshift32(&mut rkeys, rk_off);
            rk_off += 8;

            key_sub_bytes(eight(&mut rkeys, rk_off));
            sub_bytes_nots(eight(&mut rkeys, rk_off));

            add_round_constant_bit(eight(&mut rkeys, rk_off), rcon);
            xor_columns(&mut rkeys, rk_off, 16, ror_distance(1, 3));
            rcon += 1;

            if rcon == 7 {
                break;
            }

            memshift32(&mut rkeys, rk_off);
            rk_off += 8;

            key_sub_bytes(eight(&mut rkeys, rk_off));
            sub_bytes_nots(eight(&mut rkeys, rk_off));

            xor_columns(&mut rkeys, rk_off, 16, ror_distance(0, 3));
        }

        // Adjust to match the fixsliced format.
        for i in (8..104).step_by(32) {
            inv_shift_rows_1(eight(&mut rkeys, i));
            inv_shift_rows_2(eight(&mut rkeys, i + 8));
            inv_shift_rows_3(eight(&mut rkeys, i + 16));
        }
        inv_shift_rows_1(eight(&mut rkeys, 104));

        // Account for the NOTs removed from sub_bytes.
        for i in 1..15 {
            sub_bytes_nots(eight(&mut rkeys, i * 8));
        }
        RoundKeys {
            words: rkeys,
            last: 112,
        }
    }
}

/// The S-box in the key schedules (one copy: not inlined, the schedules run once a key).
#[inline(never)]
fn key_sub_bytes(state: &mut [u64; 8]) {
    sub_bytes(state);
}

/// The eight words of `rkeys` from `at`.
#[inline(always)]
fn eight(rkeys: &mut [u64; 120], at: usize) -> &mut [u64; 8] {
    let words: &mut [u64] = &mut rkeys[at..at + 8];
    words.try_into().unwrap_or_else(|_| unreachable!())
}

/// The S-box on all bytes of the state, without its four NOTs (the round keys carry them).
/// Scheduled with <https://github.com/Ko-/aes-armcortexm/tree/public/scheduler>.
#[inline(always)]
fn sub_bytes<W: Word>(state: &mut [W; 8]) {
    let u7 = state[0];
    let u6 = state[1];
    let u5 = state[2];
    let u4 = state[3];
    let u3 = state[4];
    let u2 = state[5];
    let u1 = state[6];
    let u0 = state[7];

    let y14 = u3 ^ u5;
    let y13 = u0 ^ u6;
    let y12 = y13 ^ y14;
    let t1 = u4 ^ y12;
    let y15 = t1 ^ u5;
    let t2 = y12 & y15;
    let y6 = y15 ^ u7;
    let y20 = t1 ^ u1;
    let y9 = u0 ^ u3;
    let y11 = y20 ^ y9;
    let t12 = y9 & y11;
    let y7 = u7 ^ y11;
    let y8 = u0 ^ u5;
    let t0 = u1 ^ u2;
    let y10 = y15 ^ t0;
    let y17 = y10 ^ y11;
    let t13 = y14 & y17;
    let t14 = t13 ^ t12;
    let y19 = y10 ^ y8;
    let t15 = y8 & y10;
    let t16 = t15 ^ t12;
    let y16 = t0 ^ y11;
    let y21 = y13 ^ y16;
    let t7 = y13 & y16;
    let y18 = u0 ^ y16;
    let y1 = t0 ^ u7;
    let y4 = y1 ^ u3;
    let t5 = y4 & u7;
    let t6 = t5 ^ t2;
    let t18 = t6 ^ t16;
    let t22 = t18 ^ y19;
    let y2 = y1 ^ u0;
    let t10 = y2 & y7;
    let t11 = t10 ^ t7;
    let t20 = t11 ^ t16;
    let t24 = t20 ^ y18;
    let y5 = y1 ^ u6;
    let t8 = y5 & y1;
    let t9 = t8 ^ t7;
    let t19 = t9 ^ t14;
    let t23 = t19 ^ y21;
    let y3 = y5 ^ y8;
    let t3 = y3 & y6;
    let t4 = t3 ^ t2;
    let t17 = t4 ^ y20;
    let t21 = t17 ^ t14;
    let t26 = t21 & t23;
    let t27 = t24 ^ t26;
    let t31 = t22 ^ t26;
    let t25 = t21 ^ t22;
    let t28 = t25 & t27;
    let t29 = t28 ^ t22;
    let z14 = t29 & y2;
    let z5 = t29 & y7;
    let t30 = t23 ^ t24;
    let t32 = t31 & t30;
    let t33 = t32 ^ t24;
    let t35 = t27 ^ t33;
    let t36 = t24 & t35;
    let t38 = t27 ^ t36;
    let t39 = t29 & t38;
    let t40 = t25 ^ t39;
    let t43 = t29 ^ t40;
    let z3 = t43 & y16;
    let tc12 = z3 ^ z5;
    let z12 = t43 & y13;
    let z13 = t40 & y5;
    let z4 = t40 & y1;
    let tc6 = z3 ^ z4;
    let t34 = t23 ^ t33;
    let t37 = t36 ^ t34;
    let t41 = t40 ^ t37;
    let z8 = t41 & y10;
    let z17 = t41 & y8;
    let t44 = t33 ^ t37;
    let z0 = t44 & y15;
    let z9 = t44 & y12;
    let z10 = t37 & y3;
    let z1 = t37 & y6;
    let tc5 = z1 ^ z0;
    let tc11 = tc6 ^ tc5;
    let z11 = t33 & y4;
    let t42 = t29 ^ t33;
    let t45 = t42 ^ t41;
    let z7 = t45 & y17;
    let tc8 = z7 ^ tc6;
    let z16 = t45 & y14;
    let z6 = t42 & y11;
    let tc16 = z6 ^ tc8;
    let z15 = t42 & y9;
    let tc20 = z15 ^ tc16;
    let tc1 = z15 ^ z16;
    let tc2 = z10 ^ tc1;
    let tc21 = tc2 ^ z11;
    let tc3 = z9 ^ tc2;
    let s0 = tc3 ^ tc16;
    let s3 = tc3 ^ tc11;
    let s1 = s3 ^ tc16;
    let tc13 = z13 ^ tc1;
    let z2 = t33 & u7;
    let tc4 = z0 ^ z2;
    let tc7 = z12 ^ tc4;
    let tc9 = z8 ^ tc7;
    let tc10 = tc8 ^ tc9;
    let tc17 = z14 ^ tc10;
    let s5 = tc21 ^ tc17;
    let tc26 = tc17 ^ tc20;
    let s2 = tc26 ^ z17;
    let tc14 = tc4 ^ tc12;
    let tc18 = tc13 ^ tc14;
    let s6 = tc10 ^ tc18;
    let s7 = z12 ^ tc18;
    let s4 = tc14 ^ s3;

    state[0] = s7;
    state[1] = s6;
    state[2] = s5;
    state[3] = s4;
    state[4] = s3;
    state[5] = s2;
    state[6] = s1;
    state[7] = s0;
}

/// The four NOTs the S-box leaves out.
#[inline(always)]
fn sub_bytes_nots<W: Word>(state: &mut [W; 8]) {
    let ones = W::splat(u64::MAX);
    for i in [0, 1, 5, 6] {
        state[i] = state[i] ^ ones;
    }
}

/// MixColumns in the fixsliced representation, with the rotations of the round number mod 4
/// (Käsper and Schwabe's formulas, as in <https://github.com/Ko-/aes-armcortexm>).
macro_rules! define_mix_columns {
    ($name:ident, $first_rotate:path, $second_rotate:path) => {
#[rustfmt::skip]
        #[inline(always)]
        fn $name<W: Word>(state: &mut [W; 8]) {
            let [a0, a1, a2, a3, a4, a5, a6, a7] = *state;
            let [b0, b1, b2, b3, b4, b5, b6, b7] = state.map($first_rotate);
            let (c0, c1, c2, c3, c4, c5, c6, c7) = (
                a0 ^ b0, a1 ^ b1, a2 ^ b2, a3 ^ b3, a4 ^ b4, a5 ^ b5, a6 ^ b6, a7 ^ b7,
            );
            state[0] = b0      ^ c7 ^ $second_rotate(c0);
            state[1] = b1 ^ c0 ^ c7 ^ $second_rotate(c1);
            state[2] = b2 ^ c1      ^ $second_rotate(c2);
            state[3] = b3 ^ c2 ^ c7 ^ $second_rotate(c3);
            state[4] = b4 ^ c3 ^ c7 ^ $second_rotate(c4);
            state[5] = b5 ^ c4      ^ $second_rotate(c5);
            state[6] = b6 ^ c5      ^ $second_rotate(c6);
            state[7] = b7 ^ c6      ^ $second_rotate(c7);
        }
    };
}

define_mix_columns!(mix_columns_0, rotate_rows_1, rotate_rows_2);
define_mix_columns!(
    mix_columns_1,
    rotate_rows_and_columns_1_1,
    rotate_rows_and_columns_2_2
);
define_mix_columns!(mix_columns_2, rotate_rows_and_columns_1_2, rotate_rows_2);
define_mix_columns!(
    mix_columns_3,
    rotate_rows_and_columns_1_3,
    rotate_rows_and_columns_2_2
);

/// Swaps the bits of `a` selected by `mask` with those `shift` places above them.
#[inline(always)]
fn delta_swap_1<W: Word>(a: &mut W, shift: u32, mask: u64) {
    let t = (*a ^ a.shr(shift)) & W::splat(mask);
    *a = *a ^ t ^ t.shl(shift);
}

/// Swaps the bits of `a` selected by `mask` with those of `b` `shift` places above them.
#[inline(always)]
fn delta_swap_2<W: Word>(a: &mut W, b: &mut W, shift: u32, mask: u64) {
    let t = (*a ^ b.shr(shift)) & W::splat(mask);
    *a = *a ^ t;
    *b = *b ^ t.shl(shift);
}

/// ShiftRows once on a state (or key).
#[inline(always)]
fn shift_rows_1<W: Word>(state: &mut [W; 8]) {
    for x in state.iter_mut() {
        delta_swap_1(x, 8, 0x00f000ff000f0000);
        delta_swap_1(x, 4, 0x0f0f00000f0f0000);
    }
}

/// ShiftRows twice on a state (or key).
#[inline(always)]
fn shift_rows_2<W: Word>(state: &mut [W; 8]) {
    for x in state.iter_mut() {
        delta_swap_1(x, 8, 0x00ff000000ff0000);
    }
}

/// ShiftRows three times on a state (or key).
#[inline(always)]
fn shift_rows_3<W: Word>(state: &mut [W; 8]) {
    for x in state.iter_mut() {
        delta_swap_1(x, 8, 0x000f00ff00f00000);
        delta_swap_1(x, 4, 0x0f0f00000f0f0000);
    }
}

/// ShiftRows undone once.
fn inv_shift_rows_1(state: &mut [u64; 8]) {
    shift_rows_3(state);
}

/// ShiftRows undone twice.
fn inv_shift_rows_2(state: &mut [u64; 8]) {
    shift_rows_2(state);
}

/// ShiftRows undone three times.
fn inv_shift_rows_3(state: &mut [u64; 8]) {
    shift_rows_1(state);
}

/// XORs the columns after the S-box in the key schedule's round function: `idx_xor` is how
/// far back the previous key involved is (8 for AES-128, 16 for AES-256), `idx_ror` the
/// rotation.
fn xor_columns(rkeys: &mut [u64; 120], offset: usize, idx_xor: usize, idx_ror: u32) {
    for i in 0..8 {
        let off_i = offset + i;
        let rk = rkeys[off_i - idx_xor] ^ (0x000f000f000f000f & rkeys[off_i].rotate_right(idx_ror));
        rkeys[off_i] = rk
            ^ (0xfff0fff0fff0fff0 & (rk << 4))
            ^ (0xff00ff00ff00ff00 & (rk << 8))
            ^ (0xf000f000f000f000 & (rk << 12));
    }
}

/// The bit index swaps between the blocks' layout and the bitsliced one (their own inverse).
///
/// A bit's 9-bit index goes from ([b]lock, [c]olumn, [r]ow, [p]osition) `b1 b0 c1 c0 r1 r0 p2
/// p1 p0` to `p2 p1 p0 r1 r0 c1 c0 b1 b0`, and back.
#[inline(always)]
fn swap_bit_indices<W: Word>(t: &mut [W; 8]) {
    let [t0, t1, t2, t3, t4, t5, t6, t7] = t;
    // Bit index swap 6 <-> 0.
    let m0 = 0x5555555555555555;
    delta_swap_2(t1, t0, 1, m0);
    delta_swap_2(t3, t2, 1, m0);
    delta_swap_2(t5, t4, 1, m0);
    delta_swap_2(t7, t6, 1, m0);
    // Bit index swap 7 <-> 1.
    let m1 = 0x3333333333333333;
    delta_swap_2(t2, t0, 2, m1);
    delta_swap_2(t3, t1, 2, m1);
    delta_swap_2(t6, t4, 2, m1);
    delta_swap_2(t7, t5, 2, m1);
    // Bit index swap 8 <-> 2.
    let m2 = 0x0f0f0f0f0f0f0f0f;
    delta_swap_2(t4, t0, 4, m2);
    delta_swap_2(t5, t1, 4, m2);
    delta_swap_2(t6, t2, 4, m2);
    delta_swap_2(t7, t3, 4, m2);
}

/// The state of `4 * W::LANES` blocks: lane `l` holds blocks `4l` to `4l + 3`.
#[inline(always)]
fn bitslice<W: Word>(blocks: &[[u8; 16]]) -> [W; 8] {
    let mut t = W::gather(blocks);
    swap_bit_indices(&mut t);
    t
}

/// Writes the state back to the blocks it came from.
#[inline(always)]
fn inv_bitslice<W: Word>(state: &[W; 8], blocks: &mut [[u8; 16]]) {
    let mut t = *state;
    swap_bit_indices(&mut t);
    W::scatter(&t, blocks);
}

/// Copies the eight words at `src_offset` to the next eight.
fn memshift32(buffer: &mut [u64; 120], src_offset: usize) {
    buffer.copy_within(src_offset..src_offset + 8, src_offset + 8);
}

/// XORs a round key into the state.
#[inline(always)]
fn add_round_key<W: Word>(state: &mut [W; 8], rkey: &[W]) {
    for (a, b) in state.iter_mut().zip(rkey) {
        *a = *a ^ *b;
    }
}

/// XORs the round constant's bit `bit` into a key.
fn add_round_constant_bit(state: &mut [u64; 8], bit: usize) {
    state[bit] ^= 0x00000000f0000000;
}

/// The rotation that moves `rows` rows and `cols` columns.
const fn ror_distance(rows: u32, cols: u32) -> u32 {
    (rows << 4) + (cols << 2)
}

/// Rotates rows by one.
#[inline(always)]
fn rotate_rows_1<W: Word>(x: W) -> W {
    x.ror(ror_distance(1, 0))
}

/// Rotates rows by two.
#[inline(always)]
fn rotate_rows_2<W: Word>(x: W) -> W {
    x.ror(ror_distance(2, 0))
}

/// Rotates rows and columns by one.
#[inline(always)]
fn rotate_rows_and_columns_1_1<W: Word>(x: W) -> W {
    (x.ror(ror_distance(1, 1)) & W::splat(0x0fff0fff0fff0fff))
        | (x.ror(ror_distance(0, 1)) & W::splat(0xf000f000f000f000))
}

/// Rotates rows by one and columns by two.
#[inline(always)]
fn rotate_rows_and_columns_1_2<W: Word>(x: W) -> W {
    (x.ror(ror_distance(1, 2)) & W::splat(0x00ff00ff00ff00ff))
        | (x.ror(ror_distance(0, 2)) & W::splat(0xff00ff00ff00ff00))
}

/// Rotates rows by one and columns by three.
#[inline(always)]
fn rotate_rows_and_columns_1_3<W: Word>(x: W) -> W {
    (x.ror(ror_distance(1, 3)) & W::splat(0x000f000f000f000f))
        | (x.ror(ror_distance(0, 3)) & W::splat(0xfff0fff0fff0fff0))
}

/// Rotates rows and columns by two.
#[inline(always)]
fn rotate_rows_and_columns_2_2<W: Word>(x: W) -> W {
    (x.ror(ror_distance(2, 2)) & W::splat(0x00ff00ff00ff00ff))
        | (x.ror(ror_distance(1, 2)) & W::splat(0xff00ff00ff00ff00))
}
