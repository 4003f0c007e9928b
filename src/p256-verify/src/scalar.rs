//! Integers mod the group order n, as ECDSA's r, s, the digest and u1, u2 are: the range
//! checks, a variable-time inversion (binary extended Euclid), products by a looped
//! Montgomery multiplication (a verification takes two: u1 and u2, so its size matters and
//! its speed does not), and the wNAF digits of a scalar.

use crate::limbs;

/// n, the order of G, as little-endian 32-bit limbs.
pub(crate) const N: [u32; 8] = [
    0xfc63_2551,
    0xf3b9_cac2,
    0xa717_9e84,
    0xbce6_faad,
    0xffff_ffff,
    0xffff_ffff,
    0,
    0xffff_ffff,
];

/// An integer below n, as little-endian limbs (not in Montgomery form).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Scalar(pub(crate) [u32; 8]);

impl Scalar {
    /// The scalar of a big-endian integer if it is in `1..n` (r and s of a signature).
    pub(crate) fn from_be_bytes_nonzero(bytes: &[u8; 32]) -> Option<Scalar> {
        let value = limbs::from_be_bytes(bytes);
        (!limbs::is_zero(&value) && limbs::less_than(&value, &N)).then_some(Scalar(value))
    }

    /// The digest as ECDSA takes it: its leftmost 256 bits (a shorter digest as it is) as a
    /// big-endian integer, reduced mod n.
    pub(crate) fn from_digest(digest: &[u8]) -> Scalar {
        let taken = &digest[..digest.len().min(32)];
        let mut bytes = [0u8; 32];
        bytes[32 - taken.len()..].copy_from_slice(taken);
        let value = limbs::from_be_bytes(&bytes);
        // Below 2^256 < 2n: one subtraction reduces it.
        let (reduced, borrowed) = limbs::sub(&value, &N);
        Scalar(if borrowed { value } else { reduced })
    }

    /// `1/self mod n` for a nonzero scalar, by the binary extended Euclidean algorithm
    /// (variable time: its steps depend on the value, which is public).
    pub(crate) fn invert_vartime(&self) -> Scalar {
        let one = {
            let mut one = [0u32; 8];
            one[0] = 1;
            one
        };
        // Invariants: x1·a ≡ u and x2·a ≡ v (mod n); gcd(a, n) = 1 as n is prime.
        let (mut u, mut v) = (self.0, N);
        let (mut x1, mut x2) = (one, [0u32; 8]);
        while u != one && v != one {
            while u[0] & 1 == 0 {
                u = limbs::shift_right_one(&u, false);
                x1 = half_mod_n(&x1);
            }
            while v[0] & 1 == 0 {
                v = limbs::shift_right_one(&v, false);
                x2 = half_mod_n(&x2);
            }
            if limbs::less_than(&u, &v) {
                v = limbs::sub(&v, &u).0;
                x2 = sub_mod_n(&x2, &x1);
            } else {
                u = limbs::sub(&u, &v).0;
                x1 = sub_mod_n(&x1, &x2);
            }
        }
        Scalar(if u == one { x1 } else { x2 })
    }

    /// `self · other mod n`: the Montgomery product (`self · other / R`), then its Montgomery
    /// product with R² mod n.
    pub(crate) fn mul(&self, other: &Scalar) -> Scalar {
        Scalar(montgomery_mul(
            &montgomery_mul(&self.0, &other.0),
            &R_SQUARED,
        ))
    }

    /// The width-`w` non-adjacent form: digits `d[i]`, each zero or odd with `|d| < 2^(w-1)`,
    /// no two nonzero within `w` places, and `self = Σ d[i]·2^i`; 257 digits cover every
    /// scalar below 2^256.
    pub(crate) fn wnaf(&self, w: u32) -> [i8; 257] {
        let mut digits = [0i8; 257];
        // The scalar with a carry limb: adding |d| for a negative digit may pass 2^256.
        let (mut value, mut carry) = (self.0, false);
        let window = 1i32 << w;
        let mut i = 0;
        while carry || !limbs::is_zero(&value) {
            if value[0] & 1 == 1 {
                let low = (value[0] & (window as u32 - 1)) as i32;
                let digit = if low >= window / 2 { low - window } else { low };
                digits[i] = digit as i8;
                let mut magnitude = [0u32; 8];
                magnitude[0] = digit.unsigned_abs();
                if digit > 0 {
                    value = limbs::sub(&value, &magnitude).0;
                } else {
                    let (sum, out) = limbs::add(&value, &magnitude);
                    value = sum;
                    carry |= out;
                }
            }
            value = limbs::shift_right_one(&value, carry);
            carry = false;
            i += 1;
        }
        digits
    }
}

/// `-1/n mod 2^32`, for Montgomery reduction: Newton's iteration doubles the correct low
/// bits of `1/n` each step (3 are correct at the start, as n is odd), so five steps give 32.
const N_PRIME: u32 = {
    let mut inverse = N[0];
    let mut step = 0;
    while step < 5 {
        inverse = inverse.wrapping_mul(2u32.wrapping_sub(N[0].wrapping_mul(inverse)));
        step += 1;
    }
    inverse.wrapping_neg()
};

/// R² mod n with R = 2^256: R mod n (2^256 - n, below n) doubled mod n 256 times.
const R_SQUARED: [u32; 8] = {
    let mut value = limbs::sub(&[0; 8], &N).0;
    let mut step = 0;
    while step < 256 {
        let (doubled, carry) = limbs::add(&value, &value);
        let (reduced, borrowed) = limbs::sub(&doubled, &N);
        value = if carry || !borrowed { reduced } else { doubled };
        step += 1;
    }
    value
};

/// `a · b / R mod n` for `a, b < n`, word by word (CIOS: each of b's limbs is multiplied in,
/// then one multiple of n clears the lowest limb), below n.
fn montgomery_mul(a: &[u32; 8], b: &[u32; 8]) -> [u32; 8] {
    // The running sum, below 2n, with two limbs above the eight.
    let mut t = [0u32; 10];
    for &b_limb in b {
        let mut carry = 0u64;
        for j in 0..8 {
            let sum = u64::from(t[j]) + u64::from(a[j]) * u64::from(b_limb) + carry;
            t[j] = sum as u32;
            carry = sum >> 32;
        }
        let sum = u64::from(t[8]) + carry;
        t[8] = sum as u32;
        t[9] = (sum >> 32) as u32;
        let m = t[0].wrapping_mul(N_PRIME);
        let mut carry = (u64::from(t[0]) + u64::from(m) * u64::from(N[0])) >> 32;
        for j in 1..8 {
            let sum = u64::from(t[j]) + u64::from(m) * u64::from(N[j]) + carry;
            t[j - 1] = sum as u32;
            carry = sum >> 32;
        }
        let sum = u64::from(t[8]) + carry;
        t[7] = sum as u32;
        t[8] = t[9] + (sum >> 32) as u32;
    }
    let low: [u32; 8] = [t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]];
    let (reduced, borrowed) = limbs::sub(&low, &N);
    if t[8] != 0 || !borrowed { reduced } else { low }
}

/// `x/2 mod n`.
fn half_mod_n(x: &[u32; 8]) -> [u32; 8] {
    if x[0] & 1 == 0 {
        limbs::shift_right_one(x, false)
    } else {
        let (sum, carry) = limbs::add(x, &N);
        limbs::shift_right_one(&sum, carry)
    }
}

/// `a - b mod n`, for `a, b < n`.
fn sub_mod_n(a: &[u32; 8], b: &[u32; 8]) -> [u32; 8] {
    let (difference, borrowed) = limbs::sub(a, b);
    if borrowed {
        limbs::add(&difference, &N).0
    } else {
        difference
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(low: u32, high: u32) -> Scalar {
        Scalar([low, 0, 0, 0, 0, 0, 0, high])
    }

    #[test]
    fn a_scalar_times_its_inverse_is_one() {
        let minus_one = Scalar(limbs::sub_small(&N, 1));
        for a in [
            scalar(1, 0),
            scalar(2, 0),
            scalar(12345, 0x8000_0000),
            minus_one,
        ] {
            assert_eq!(a.mul(&a.invert_vartime()), scalar(1, 0), "{a:?}");
        }
        // n-1 is its own inverse.
        assert_eq!(minus_one.invert_vartime(), minus_one);
    }

    #[test]
    fn wnaf_digits_sum_to_the_scalar_and_are_odd_and_small() {
        let minus_one = Scalar(limbs::sub_small(&N, 1));
        let all_ones = Scalar([u32::MAX; 8]);
        for k in [
            scalar(0, 0),
            scalar(1, 0),
            scalar(0xdead_beef, 0xffff_ffff),
            minus_one,
            all_ones,
        ] {
            for w in [5, 6, 7] {
                let digits = k.wnaf(w);
                // Σ d[i]·2^i by Horner from the top, in 9 limbs of i64 (the top one signed).
                let mut sum = [0i64; 9];
                for &d in digits.iter().rev() {
                    assert!(d == 0 || (d % 2 != 0 && i32::from(d).abs() < 1 << (w - 1)));
                    sum.iter_mut().for_each(|limb| *limb *= 2);
                    sum[0] += i64::from(d);
                    let mut carry = 0;
                    for limb in sum.iter_mut() {
                        let value = *limb + carry;
                        *limb = value & 0xffff_ffff;
                        carry = value >> 32;
                    }
                    sum[8] += carry << 32;
                }
                let expected: Vec<i64> = k.0.iter().map(|&l| i64::from(l)).chain([0]).collect();
                assert_eq!(sum.to_vec(), expected, "{k:?} w={w}");
                let nonzero: Vec<usize> = (0..257).filter(|&i| digits[i] != 0).collect();
                assert!(nonzero.windows(2).all(|p| p[1] - p[0] >= w as usize));
            }
        }
    }

    #[test]
    fn a_digit_reduces_mod_n_and_keeps_only_the_leftmost_256_bits() {
        let mut n_bytes = [0u8; 32];
        for (i, limb) in N.iter().enumerate() {
            n_bytes[28 - 4 * i..32 - 4 * i].copy_from_slice(&limb.to_be_bytes());
        }
        assert_eq!(Scalar::from_digest(&n_bytes), scalar(0, 0));
        assert!(Scalar::from_be_bytes_nonzero(&n_bytes).is_none());
        assert!(Scalar::from_be_bytes_nonzero(&[0; 32]).is_none());
        let mut longer = [0u8; 48];
        longer[31] = 5;
        longer[47] = 9;
        assert_eq!(Scalar::from_digest(&longer), scalar(5, 0));
        assert_eq!(Scalar::from_digest(&[3]), scalar(3, 0));
    }
}
