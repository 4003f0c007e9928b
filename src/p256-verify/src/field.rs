//! Integers mod p = 2^256 - 2^224 + 2^192 + 2^96 - 1, in Montgomery form, over fiat-crypto's
//! `p256_32`. Every value is fully reduced (fiat-crypto's outputs are below p), so equality
//! is equality of limbs.

use fiat::fiat_p256_montgomery_domain_field_element as Montgomery;
use fiat::fiat_p256_non_montgomery_domain_field_element as Canonical;
use fiat_crypto::p256_32 as fiat;

/// p as little-endian 32-bit limbs.
pub(crate) const P: [u32; 8] = [
    0xffff_ffff,
    0xffff_ffff,
    0xffff_ffff,
    0,
    0,
    0,
    1,
    0xffff_ffff,
];

/// An element of the field mod p, `x·R mod p` with R = 2^256 (Montgomery form), below p.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fe([u32; 8]);

impl Fe {
    /// Zero.
    pub(crate) const ZERO: Fe = Fe([0; 8]);
    /// One.
    pub(crate) const ONE: Fe = {
        let mut one = Montgomery([0; 8]);
        fiat::fiat_p256_set_one(&mut one);
        Fe(one.0)
    };

    /// The element of an integer below p given as little-endian limbs.
    pub(crate) const fn from_limbs(limbs: [u32; 8]) -> Fe {
        let mut out = Montgomery([0; 8]);
        fiat::fiat_p256_to_montgomery(&mut out, &Canonical(limbs));
        Fe(out.0)
    }

    /// [`Fe::from_limbs`] at run time: the Montgomery product of the integer and R² is its
    /// Montgomery form, so fiat-crypto's multiplication serves and its conversion (as large
    /// again) stays out of the binary.
    pub(crate) fn from_limbs_at_run_time(limbs: [u32; 8]) -> Fe {
        /// R² mod p, the Montgomery form of R mod p = 2^256 - p.
        const R_SQUARED: Fe = Fe::from_limbs(crate::limbs::sub(&[0; 8], &P).0);
        Fe(limbs).mul(&R_SQUARED)
    }

    /// The element of a 32-byte big-endian integer, or `None` if it is not below p.
    pub(crate) fn from_be_bytes(bytes: &[u8; 32]) -> Option<Fe> {
        let limbs = crate::limbs::from_be_bytes(bytes);
        crate::limbs::less_than(&limbs, &P).then(|| Fe::from_limbs_at_run_time(limbs))
    }

    /// The integer below p as little-endian limbs (the tests' signatures need it).
    #[cfg(test)]
    pub(crate) fn to_limbs(self) -> [u32; 8] {
        let mut out = Canonical([0; 8]);
        fiat::fiat_p256_from_montgomery(&mut out, &Montgomery(self.0));
        out.0
    }

    /// `self · other`.
    pub(crate) const fn mul(&self, other: &Fe) -> Fe {
        let mut out = Montgomery([0; 8]);
        fiat::fiat_p256_mul(&mut out, &Montgomery(self.0), &Montgomery(other.0));
        Fe(out.0)
    }

    /// `self²`: fiat-crypto's multiplication (its squaring is the same word-by-word
    /// Montgomery algorithm, and would be as large again in the binary).
    pub(crate) const fn square(&self) -> Fe {
        self.mul(self)
    }

    /// `self + other` (not inlined: it is called at every step of every formula, and
    /// inlined it would grow the component by kilobytes).
    #[inline(never)]
    pub(crate) const fn add(&self, other: &Fe) -> Fe {
        let mut out = Montgomery([0; 8]);
        fiat::fiat_p256_add(&mut out, &Montgomery(self.0), &Montgomery(other.0));
        Fe(out.0)
    }

    /// `self - other` (not inlined, as [`Fe::add`]).
    #[inline(never)]
    pub(crate) const fn sub(&self, other: &Fe) -> Fe {
        let mut out = Montgomery([0; 8]);
        fiat::fiat_p256_sub(&mut out, &Montgomery(self.0), &Montgomery(other.0));
        Fe(out.0)
    }

    /// `-self` (not inlined, as [`Fe::add`]).
    #[inline(never)]
    pub(crate) const fn neg(&self) -> Fe {
        let mut out = Montgomery([0; 8]);
        fiat::fiat_p256_opp(&mut out, &Montgomery(self.0));
        Fe(out.0)
    }

    /// `2·self`.
    pub(crate) const fn double(&self) -> Fe {
        self.add(self)
    }

    /// Whether this is zero.
    pub(crate) const fn is_zero(&self) -> bool {
        crate::limbs::is_zero(&self.0)
    }

    /// Whether the two are the same element.
    pub(crate) const fn equals(&self, other: &Fe) -> bool {
        crate::limbs::equal(&self.0, &other.0)
    }

    /// `self^(p-2) = 1/self` (Fermat), for the compile-time table of G's multiples only:
    /// verification itself never inverts in this field.
    pub(crate) const fn invert(&self) -> Fe {
        let exponent = crate::limbs::sub_small(&P, 2);
        let mut result = Fe::ONE;
        let mut bit = 256;
        while bit > 0 {
            bit -= 1;
            result = result.square();
            if (exponent[bit / 32] >> (bit % 32)) & 1 == 1 {
                result = result.mul(self);
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inverse_times_its_element_is_one() {
        let x = Fe::from_limbs([7, 0, 0, 0, 0, 0, 0, 0x1234_5678]);
        assert!(x.mul(&x.invert()).equals(&Fe::ONE));
        assert!(!x.equals(&Fe::ONE));
    }

    #[test]
    fn p_minus_one_plus_one_is_zero_and_p_itself_is_refused() {
        let minus_one = Fe::from_limbs(crate::limbs::sub_small(&P, 1));
        assert!(minus_one.add(&Fe::ONE).is_zero());
        assert!(minus_one.equals(&Fe::ONE.neg()));
        let mut p_bytes = [0u8; 32];
        for (i, limb) in P.iter().enumerate() {
            p_bytes[28 - 4 * i..32 - 4 * i].copy_from_slice(&limb.to_be_bytes());
        }
        assert!(Fe::from_be_bytes(&p_bytes).is_none());
        p_bytes[31] -= 1;
        assert!(Fe::from_be_bytes(&p_bytes).unwrap().equals(&minus_one));
    }
}
