//! GHASH (NIST SP 800-38D section 6.4) in constant time, with no table: carry-less
//! multiplication by integer multiplications of operands with holes (BearSSL's
//! `ghash_ctmul64`, Thomas Pornin, MIT licence), which wasm32 runs as native `i64.mul`s.
//!
//! It computes GHASH as POLYVAL does (RFC 8452 appendix A: byte-reversed blocks and `H`
//! multiplied by `x`), the little-endian form in which the reduction needs no extra shift;
//! the multiplication is RustCrypto's `polyval` 0.6.2 `soft64` backend (Apache-2.0 or MIT),
//! itself BearSSL's.

/// An element of POLYVAL's field: the low and high 64 bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Element(u64, u64);

impl Element {
    /// The POLYVAL element of a GHASH block (its bytes reversed).
    #[inline(always)]
    fn from_ghash_block(block: &[u8; 16]) -> Self {
        let (high, low) = block.split_at(8);
        Element(be_u64(low), be_u64(high))
    }

    /// The GHASH block of a POLYVAL element.
    fn to_ghash_block(self) -> [u8; 16] {
        let mut block = [0u8; 16];
        block[..8].copy_from_slice(&self.1.to_be_bytes());
        block[8..].copy_from_slice(&self.0.to_be_bytes());
        block
    }

    /// The element times `x` (RFC 8452's `mulX_POLYVAL`).
    fn times_x(self) -> Self {
        let v = (u128::from(self.1) << 64) | u128::from(self.0);
        let top = v >> 127;
        let v = (v << 1) ^ top ^ (top << 127) ^ (top << 126) ^ (top << 121);
        Element(v as u64, (v >> 64) as u64)
    }

    /// The sum of two elements.
    #[inline(always)]
    fn plus(self, other: Self) -> Self {
        Element(self.0 ^ other.0, self.1 ^ other.1)
    }

    /// The product of two elements in POLYVAL's field: the key's powers and the blocks after
    /// the last two (one copy: not inlined).
    #[inline(never)]
    fn times(self, h: &Masked) -> Self {
        Pieces::of(self, h).reduce()
    }
}

/// A multiplier prepared once: the three Karatsuba operands of an element (low, high, their
/// sum) and of its bit reversal, each split into its four interleaved bit classes for
/// [`bmul64`].
#[derive(Clone, Copy)]
struct Masked([[u64; 4]; 6]);

impl Masked {
    /// `h`, prepared.
    fn new(h: Element) -> Self {
        let (h0, h1) = (h.0, h.1);
        let (h0r, h1r) = (h0.reverse_bits(), h1.reverse_bits());
        Masked([h0, h1, h0 ^ h1, h0r, h1r, h0r ^ h1r].map(classes))
    }
}

/// The 256-bit carry-less product of two elements before its reduction, as Karatsuba's three
/// low products and the three of the bit-reversed operands (whose low halves are the high
/// halves of the forward ones). Sums of products are sums of these, so several products are
/// added here and reduced once.
#[derive(Clone, Copy, Default)]
struct Pieces([u64; 6]);

impl Pieces {
    /// The pieces of `y` times the prepared `h`.
    #[inline(always)]
    fn of(y: Element, h: &Masked) -> Self {
        let (y0, y1) = (y.0, y.1);
        let (y0r, y1r) = (y0.reverse_bits(), y1.reverse_bits());
        let [m0, m1, m2, m0r, m1r, m2r] = &h.0;
        Pieces([
            bmul64(y0, m0),
            bmul64(y1, m1),
            bmul64(y0 ^ y1, m2),
            bmul64(y0r, m0r),
            bmul64(y1r, m1r),
            bmul64(y0r ^ y1r, m2r),
        ])
    }

    /// The sum of two products' pieces.
    #[inline(always)]
    fn plus(self, other: Self) -> Self {
        let (a, b) = (self.0, other.0);
        Pieces([
            a[0] ^ b[0],
            a[1] ^ b[1],
            a[2] ^ b[2],
            a[3] ^ b[3],
            a[4] ^ b[4],
            a[5] ^ b[5],
        ])
    }

    /// The product: Karatsuba's middle term, the high halves put back in order, and the
    /// reduction modulo POLYVAL's polynomial.
    #[inline(always)]
    fn reduce(self) -> Element {
        let [z0, z1, mut z2, mut z0h, mut z1h, mut z2h] = self.0;
        z2 ^= z0 ^ z1;
        z2h ^= z0h ^ z1h;
        z0h = z0h.reverse_bits() >> 1;
        z1h = z1h.reverse_bits() >> 1;
        z2h = z2h.reverse_bits() >> 1;

        let v0 = z0;
        let mut v1 = z0h ^ z2;
        let mut v2 = z1 ^ z2h;
        let mut v3 = z1h;

        v2 ^= v0 ^ (v0 >> 1) ^ (v0 >> 2) ^ (v0 >> 7);
        v1 ^= (v0 << 63) ^ (v0 << 62) ^ (v0 << 57);
        v3 ^= v1 ^ (v1 >> 1) ^ (v1 >> 2) ^ (v1 >> 7);
        v2 ^= (v1 << 63) ^ (v1 << 62) ^ (v1 << 57);

        Element(v2, v3)
    }
}

/// The four bit classes of `x` (bits 4 apart), for [`bmul64`].
#[inline(always)]
fn classes(x: u64) -> [u64; 4] {
    [M0, M1, M2, M3].map(|m| x & m)
}

/// Bits 0, 4, 8, ...
const M0: u64 = 0x1111_1111_1111_1111;
/// Bits 1, 5, 9, ...
const M1: u64 = 0x2222_2222_2222_2222;
/// Bits 2, 6, 10, ...
const M2: u64 = 0x4444_4444_4444_4444;
/// Bits 3, 7, 11, ...
const M3: u64 = 0x8888_8888_8888_8888;

/// A big-endian `u64` from eight bytes.
#[inline(always)]
fn be_u64(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(bytes);
    u64::from_be_bytes(word)
}

/// Carry-less multiplication of `x` and the prepared `y`, truncated to the low 64 bits: four
/// integer multiplications of each operand's bits 4 apart, so carries fall into the holes
/// between them and are masked off.
#[inline(always)]
fn bmul64(x: u64, y: &[u64; 4]) -> u64 {
    let [x0, x1, x2, x3] = classes(x);
    let [y0, y1, y2, y3] = *y;
    let m = u64::wrapping_mul;
    let z0 = m(x0, y0) ^ m(x1, y3) ^ m(x2, y2) ^ m(x3, y1);
    let z1 = m(x0, y1) ^ m(x1, y0) ^ m(x2, y3) ^ m(x3, y2);
    let z2 = m(x0, y2) ^ m(x1, y1) ^ m(x2, y0) ^ m(x3, y3);
    let z3 = m(x0, y3) ^ m(x1, y2) ^ m(x2, y1) ^ m(x3, y0);
    (z0 & M0) | (z1 & M1) | (z2 & M2) | (z3 & M3)
}

/// A GHASH key: `H` and `H^2`, prepared.
#[derive(Clone)]
pub(crate) struct GhashKey {
    /// `H` and `H^2` in POLYVAL's form.
    powers: [Masked; 2],
}

impl GhashKey {
    /// The key of `h` (`E(K, 0^128)`).
    pub(crate) fn new(h: &[u8; 16]) -> Self {
        let h = Element::from_ghash_block(h).times_x();
        let prepared = Masked::new(h);
        let h2 = h.times(&prepared);
        GhashKey {
            powers: [prepared, Masked::new(h2)],
        }
    }
}

/// GHASH under one key, over blocks fed in order.
pub(crate) struct Ghash<'k> {
    /// The key.
    key: &'k GhashKey,
    /// The running hash.
    accumulator: Element,
}

impl<'k> Ghash<'k> {
    /// GHASH under `key`, with nothing hashed yet.
    pub(crate) fn new(key: &'k GhashKey) -> Self {
        Ghash {
            key,
            accumulator: Element::default(),
        }
    }

    /// Hashes `data`, its last block padded with zeros to 16 bytes: two blocks at a time
    /// with one reduction (`(A + X1) H^2 + X2 H`), then one at a time. (Four at a time saved
    /// a reduction more per four blocks, under 3% of GHASH's time, and its twelve more
    /// inlined multiplications were 5 KB of the component.)
    pub(crate) fn update_padded(&mut self, data: &[u8]) {
        let mut pairs = data.chunks_exact(32);
        for pair in &mut pairs {
            let block = |i: usize| {
                let bytes: &[u8; 16] = pair[16 * i..16 * (i + 1)]
                    .try_into()
                    .unwrap_or_else(|_| unreachable!());
                Element::from_ghash_block(bytes)
            };
            let [h, h2] = &self.key.powers;
            self.accumulator = Pieces::of(self.accumulator.plus(block(0)), h2)
                .plus(Pieces::of(block(1), h))
                .reduce();
        }
        let rest = pairs.remainder();
        let mut blocks = rest.chunks_exact(16);
        for block in &mut blocks {
            let block: &[u8; 16] = block.try_into().unwrap_or_else(|_| unreachable!());
            self.update_block(block);
        }
        let tail = blocks.remainder();
        if !tail.is_empty() {
            let mut block = [0u8; 16];
            block[..tail.len()].copy_from_slice(tail);
            self.update_block(&block);
        }
    }

    /// Hashes one block.
    #[inline(always)]
    pub(crate) fn update_block(&mut self, block: &[u8; 16]) {
        self.accumulator = self
            .accumulator
            .plus(Element::from_ghash_block(block))
            .times(&self.key.powers[0]);
    }

    /// The hash of everything fed.
    pub(crate) fn finalize(self) -> [u8; 16] {
        self.accumulator.to_ghash_block()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::hex;

    /// GCM specification (McGrew and Viega), test case 2: `H` and GHASH of one ciphertext
    /// block and the lengths.
    #[test]
    fn ghash_gives_the_gcm_specification_s_test_case_2() {
        let h: [u8; 16] = hex("66e94bd4ef8a2c3b884cfa59ca342b2e").try_into().unwrap();
        let key = GhashKey::new(&h);
        let mut ghash = Ghash::new(&key);
        ghash.update_padded(&hex("0388dace60b6a392f328c2b971b2fe78"));
        ghash.update_padded(&hex("00000000000000000000000000000080"));
        assert_eq!(
            ghash.finalize().to_vec(),
            hex("f38cbb1ad69223dcc3457ae5b6b0f885")
        );
    }

    /// RFC 8452 appendix A's `mulX_POLYVAL` example (as corrected by its erratum).
    #[test]
    fn times_x_gives_rfc_8452_s_example() {
        let le = |bytes: &[u8]| {
            Element(
                u64::from_le_bytes(bytes[..8].try_into().unwrap()),
                u64::from_le_bytes(bytes[8..].try_into().unwrap()),
            )
        };
        let input = le(&hex("9c98c04df9387ded828175a92ba652d8"));
        let expected = le(&hex("3931819bf271fada0503eb52574ca572"));
        assert_eq!(input.times_x(), expected);
    }

    /// Two blocks at a time with `H`'s powers hash as one at a time does, at every length
    /// around the two-block steps.
    #[test]
    fn two_blocks_at_once_hash_as_one_at_a_time() {
        let key = GhashKey::new(&[0x3c; 16]);
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7 + 1) as u8).collect();
        for len in 0..data.len() {
            let mut at_once = Ghash::new(&key);
            at_once.update_padded(&data[..len]);
            let mut one_by_one = Ghash::new(&key);
            for block in data[..len].chunks(16) {
                let mut padded = [0u8; 16];
                padded[..block.len()].copy_from_slice(block);
                one_by_one.update_block(&padded);
            }
            assert_eq!(at_once.finalize(), one_by_one.finalize(), "length {len}");
        }
    }
}
