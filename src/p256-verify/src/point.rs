//! Points of P-256 (y² = x³ - 3x + b) in Jacobian coordinates (x = X/Z², y = Y/Z³, the point
//! at infinity with Z = 0) and affine ones, with the doubling and additions of the
//! double-scalar multiplication. Variable time: the additions branch on their inputs (the
//! point at infinity, P == Q, P == -Q), which are public.

use crate::field::Fe;

/// b of the curve equation.
pub(crate) const B: Fe = Fe::from_limbs([
    0x27d2_604b,
    0x3bce_3c3e,
    0xcc53_b0f6,
    0x651d_06b0,
    0x7698_86bc,
    0xb3eb_bd55,
    0xaa3a_93e7,
    0x5ac6_35d8,
]);

/// The base point G.
pub(crate) const G: Affine = Affine {
    x: Fe::from_limbs([
        0xd898_c296,
        0xf4a1_3945,
        0x2deb_33a0,
        0x7703_7d81,
        0x63a4_40f2,
        0xf8bc_e6e5,
        0xe12c_4247,
        0x6b17_d1f2,
    ]),
    y: Fe::from_limbs([
        0x37bf_51f5,
        0xcbb6_4068,
        0x6b31_5ece,
        0x2bce_3357,
        0x7c0f_9e16,
        0x8ee7_eb4a,
        0xfe1a_7f9b,
        0x4fe3_42e2,
    ]),
};

/// A point in affine coordinates (never the point at infinity).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Affine {
    /// x.
    pub(crate) x: Fe,
    /// y.
    pub(crate) y: Fe,
}

impl Affine {
    /// The point (x, y) if it is on the curve.
    pub(crate) fn on_curve(x: Fe, y: Fe) -> Option<Affine> {
        let three_x = x.double().add(&x);
        let right = x.square().mul(&x).sub(&three_x).add(&B);
        y.square().equals(&right).then_some(Affine { x, y })
    }

    /// `-self`.
    pub(crate) const fn neg(&self) -> Affine {
        Affine {
            x: self.x,
            y: self.y.neg(),
        }
    }
}

/// A point in Jacobian coordinates.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Jacobian {
    /// X = x·Z².
    pub(crate) x: Fe,
    /// Y = y·Z³.
    pub(crate) y: Fe,
    /// Z, zero for the point at infinity.
    pub(crate) z: Fe,
}

impl Jacobian {
    /// The point at infinity.
    pub(crate) const INFINITY: Jacobian = Jacobian {
        x: Fe::ONE,
        y: Fe::ONE,
        z: Fe::ZERO,
    };

    /// The affine point with Z = 1.
    pub(crate) const fn from_affine(point: &Affine) -> Jacobian {
        Jacobian {
            x: point.x,
            y: point.y,
            z: Fe::ONE,
        }
    }

    /// Whether this is the point at infinity.
    pub(crate) const fn is_infinity(&self) -> bool {
        self.z.is_zero()
    }

    /// `-self`.
    pub(crate) const fn neg(&self) -> Jacobian {
        Jacobian {
            x: self.x,
            y: self.y.neg(),
            z: self.z,
        }
    }

    /// `2·self` ("dbl-2001-b", a = -3: 3M + 5S); the point at infinity doubles to itself
    /// (Z stays zero), and P-256 has no point of order 2.
    #[inline(never)]
    pub(crate) const fn double(&self) -> Jacobian {
        let delta = self.z.square();
        let gamma = self.y.square();
        let beta = self.x.mul(&gamma);
        let t = self.x.sub(&delta).mul(&self.x.add(&delta));
        let alpha = t.double().add(&t);
        let four_beta = beta.double().double();
        let x = alpha.square().sub(&four_beta.double());
        let z = self.y.add(&self.z).square().sub(&gamma).sub(&delta);
        let eight_gamma_squared = gamma.square().double().double().double();
        let y = alpha.mul(&four_beta.sub(&x)).sub(&eight_gamma_squared);
        Jacobian { x, y, z }
    }

    /// `self + other` (12M + 4S), for any two points: either at infinity, equal or opposite.
    #[inline(never)]
    pub(crate) const fn add(&self, other: &Jacobian) -> Jacobian {
        if self.is_infinity() {
            return *other;
        }
        if other.is_infinity() {
            return *self;
        }
        let z1z1 = self.z.square();
        let z2z2 = other.z.square();
        let u1 = self.x.mul(&z2z2);
        let u2 = other.x.mul(&z1z1);
        let s1 = self.y.mul(&other.z).mul(&z2z2);
        let s2 = other.y.mul(&self.z).mul(&z1z1);
        self.sum_of_projections(u1, s1, u2, s2, self.z.mul(&other.z))
    }

    /// `self + other` for an affine `other` ("madd", 8M + 3S), for any `self`: at infinity,
    /// equal to `other` or opposite.
    #[inline(never)]
    pub(crate) const fn add_affine(&self, other: &Affine) -> Jacobian {
        if self.is_infinity() {
            return Jacobian::from_affine(other);
        }
        let z1z1 = self.z.square();
        let u2 = other.x.mul(&z1z1);
        let s2 = other.y.mul(&self.z).mul(&z1z1);
        self.sum_of_projections(self.x, self.y, u2, s2, self.z)
    }

    /// The end both additions share: the sum of `self` and a second point, given both points'
    /// x and y brought to a common denominator (`u1, s1` for `self`, `u2, s2` for the other)
    /// and the product of their z's (`z1z2`); equal points are doubled, opposite ones give
    /// infinity.
    #[inline(always)]
    const fn sum_of_projections(&self, u1: Fe, s1: Fe, u2: Fe, s2: Fe, z1z2: Fe) -> Jacobian {
        let h = u2.sub(&u1);
        let r = s2.sub(&s1);
        if h.is_zero() {
            return if r.is_zero() {
                self.double()
            } else {
                Jacobian::INFINITY
            };
        }
        let hh = h.square();
        let hhh = h.mul(&hh);
        let v = u1.mul(&hh);
        let x = r.square().sub(&hhh).sub(&v.double());
        let y = r.mul(&v.sub(&x)).sub(&s1.mul(&hhh));
        let z = z1z2.mul(&h);
        Jacobian { x, y, z }
    }
}

/// The width of G's wNAF: its table holds G, 3G, …, 31G (width 7 would save about five mixed
/// additions of a verification's 37, under 2% of its time, for 1 KiB more of the component).
pub(crate) const G_WINDOW: u32 = 6;

/// G's odd multiples `(2i+1)·G`, affine, computed at compile time (fiat-crypto's functions
/// are `const fn`): 1 KiB of constants, no run-time setup.
pub(crate) static G_ODD_MULTIPLES: [Affine; 1 << (G_WINDOW - 2)] = odd_multiples_of_g();

/// G, 3G, …, 31G made affine with one inversion (Montgomery's trick).
const fn odd_multiples_of_g() -> [Affine; 1 << (G_WINDOW - 2)] {
    const COUNT: usize = 1 << (G_WINDOW - 2);
    let g = Jacobian::from_affine(&G);
    let twice = g.double();
    let mut jacobian = [g; COUNT];
    let mut i = 1;
    while i < COUNT {
        jacobian[i] = jacobian[i - 1].add(&twice);
        i += 1;
    }
    // prefix[i] = Z0·…·Zi.
    let mut prefix = [Fe::ONE; COUNT];
    prefix[0] = jacobian[0].z;
    i = 1;
    while i < COUNT {
        prefix[i] = prefix[i - 1].mul(&jacobian[i].z);
        i += 1;
    }
    let mut inverse = prefix[COUNT - 1].invert();
    let mut affine = [G; COUNT];
    i = COUNT;
    while i > 0 {
        i -= 1;
        // inverse = 1/(Z0·…·Zi) here.
        let z_inverse = if i == 0 {
            inverse
        } else {
            inverse.mul(&prefix[i - 1])
        };
        inverse = inverse.mul(&jacobian[i].z);
        let z_inverse_squared = z_inverse.square();
        affine[i] = Affine {
            x: jacobian[i].x.mul(&z_inverse_squared),
            y: jacobian[i].y.mul(&z_inverse_squared.mul(&z_inverse)),
        };
    }
    affine
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether a Jacobian point is the affine one.
    fn same(jacobian: &Jacobian, affine: &Affine) -> bool {
        let zz = jacobian.z.square();
        jacobian.x.equals(&affine.x.mul(&zz))
            && jacobian.y.equals(&affine.y.mul(&zz.mul(&jacobian.z)))
    }

    #[test]
    fn the_table_holds_g_3g_and_on_to_63g_all_on_the_curve() {
        let mut multiple = Jacobian::from_affine(&G);
        for (i, entry) in G_ODD_MULTIPLES.iter().enumerate() {
            assert!(Affine::on_curve(entry.x, entry.y).is_some(), "{i}");
            assert!(same(&multiple, entry), "{i}");
            // Two additions of G, the other formula than the table's.
            multiple = multiple.add_affine(&G).add_affine(&G);
        }
    }

    #[test]
    fn adding_a_point_to_itself_doubles_and_to_its_opposite_gives_infinity() {
        let g = Jacobian::from_affine(&G);
        let two_g = g.double();
        let three_g = two_g.add(&g);
        assert!(same(&three_g, &G_ODD_MULTIPLES[1]));
        // P == Q in both additions, with Z != 1 on either side.
        let six_g = three_g.add(&three_g);
        let seven_g = six_g
            .add_affine(&G_ODD_MULTIPLES[0])
            .add(&Jacobian::INFINITY);
        assert!(same(&seven_g, &G_ODD_MULTIPLES[3]));
        let five_g = two_g.add_affine(&G).add_affine(&G).add_affine(&G);
        assert!(same(&five_g, &G_ODD_MULTIPLES[2]));
        let three_g_affine = G_ODD_MULTIPLES[1];
        assert!(same(&three_g.add_affine(&three_g_affine), &{
            // 6G = 3G + 3G: compare with the Jacobian doubling.
            let z = six_g.z.invert();
            Affine {
                x: six_g.x.mul(&z.square()),
                y: six_g.y.mul(&z.square().mul(&z)),
            }
        }));
        // P == -Q.
        assert!(three_g.add(&three_g.neg()).is_infinity());
        assert!(three_g.add_affine(&three_g_affine.neg()).is_infinity());
        // The point at infinity on either side, and doubled.
        assert!(same(&Jacobian::INFINITY.add(&three_g), &three_g_affine));
        assert!(same(
            &Jacobian::INFINITY.add_affine(&three_g_affine),
            &three_g_affine
        ));
        assert!(Jacobian::INFINITY.double().is_infinity());
    }

    #[test]
    fn a_point_off_the_curve_is_refused() {
        assert!(Affine::on_curve(G.x, G.y).is_some());
        assert!(Affine::on_curve(G.x, G.y.add(&Fe::ONE)).is_none());
        assert!(Affine::on_curve(Fe::ZERO, Fe::ZERO).is_none());
    }
}
