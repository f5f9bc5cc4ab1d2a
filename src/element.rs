//! The element type of the numbers that cross the model boundary: the caller's inputs,
//! baselines and backgrounds, the batches handed to the model, and the outputs and
//! gradients it writes back. `f32` is every model's default; an `f64` model sees exactly
//! the doubles its caller passed, and every perturbed value Lumen builds for it is one of
//! those doubles or a point computed in f64. The engine itself accumulates in f64 for both.

use std::fmt;

use crate::error::{Error, ErrorKind, Result};
use crate::wide::avx2_dispatch;

/// Which element type a model or a buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ElementType {
    /// IEEE binary32 (`float`): the default.
    #[default]
    F32,
    /// IEEE binary64 (`double`).
    F64,
}

impl ElementType {
    /// The C name of the type (`float`, `double`), as messages print it.
    pub fn c_name(self) -> &'static str {
        match self {
            Self::F32 => "float",
            Self::F64 => "double",
        }
    }

    /// Rounds `value` to this element type's precision (the identity for `F64`).
    pub fn round(self, value: f64) -> f64 {
        match self {
            Self::F32 => f64::from(value as f32),
            Self::F64 => value,
        }
    }

    /// The standard deviation of the error that rounding `value` to this type makes: one
    /// unit in the last place of the rounded value over √12, the deviation of an error
    /// spread evenly over ±½ unit (so 1.96 of it, 0.57 unit, bounds the error itself).
    /// Infinite for a value this type cannot hold (or NaN).
    pub fn rounding_deviation(self, value: f64) -> f64 {
        // The next representable magnitude above the rounded one, less it (infinite past
        // the largest finite value).
        let unit = match self {
            Self::F32 => {
                let rounded = (value as f32).abs();
                f64::from(f32::from_bits(rounded.to_bits().saturating_add(1))) - f64::from(rounded)
            }
            Self::F64 => {
                let rounded = value.abs();
                f64::from_bits(rounded.to_bits().saturating_add(1)) - rounded
            }
        };
        if unit.is_nan() {
            return f64::INFINITY;
        }
        unit / 12f64.sqrt()
    }

    /// `value` (an element of this type, widened) as the shortest decimal that reads back
    /// as the same element: `0.1` for the float nearest 0.1, whatever its f64 digits.
    pub fn shortest(self, value: f64) -> String {
        match self {
            Self::F32 => (value as f32).to_string(),
            Self::F64 => value.to_string(),
        }
    }

    /// Fails with `ElementTypeMismatch` unless a buffer of type `given`, named
    /// `argument`, suits a model of this element type.
    pub fn expect(self, argument: &str, given: ElementType) -> Result<()> {
        if self == given {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::ElementTypeMismatch,
            format!(
                "{argument}: holds {} elements but the model declares {} elements; pass {} buffers (or declare the model's element type as {})",
                given.c_name(),
                self.c_name(),
                self.c_name(),
                given.c_name()
            ),
        ))
    }
}

impl fmt::Display for ElementType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::F32 => "f32",
            Self::F64 => "f64",
        })
    }
}

mod sealed {
    /// Only `f32` and `f64` are elements: [`super::same_slice`] relies on it.
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A number type the model boundary can carry: `f32` or `f64` (sealed). Arithmetic on
/// elements (path points, noise) is done in the element type itself, as the caller's own
/// framework would do it, so an f32 model keeps the bits it always had.
pub trait Element:
    sealed::Sealed
    + num_traits::Float
    + bytemuck::Pod
    + Default
    + fmt::Debug
    + fmt::Display
    + fmt::LowerExp
    + Send
    + Sync
    + serde::Serialize
    + std::iter::Sum
    + 'static
{
    /// This type's tag.
    const TYPE: ElementType;

    /// The nearest element to `value` (round to nearest even).
    fn from_f64(value: f64) -> Self;

    /// The element widened to f64 (exact).
    fn widen(self) -> f64;
}

/// The index of the first NaN or infinity in `values`, if any. Every value is tested at
/// once first (`all_finite`, branch-free and vectorised); only when one is not finite, on
/// the way to an error, is the first looked for.
pub fn first_non_finite<E: Element>(values: &[E]) -> Option<usize> {
    if all_finite(values) {
        return None;
    }
    values.iter().position(|v| !v.is_finite())
}

/// Whether every value of `values` is finite, in one branch-free pass over their bits: a
/// value is NaN or infinite exactly when its exponent bits are all set.
fn all_finite<E: Element>(values: &[E]) -> bool {
    match E::TYPE {
        ElementType::F32 => exponents_never_full_f32(bytemuck::cast_slice(values)),
        ElementType::F64 => exponents_never_full_f64(bytemuck::cast_slice(values)),
    }
}

avx2_dispatch! {
    /// Whether no word of `bits` (`f32` bit patterns) has all its exponent bits set.
    fn exponents_never_full_f32(bits: &[u32]) -> bool => never_full_f32;
}

avx2_dispatch! {
    /// Whether no word of `bits` (`f64` bit patterns) has all its exponent bits set.
    fn exponents_never_full_f64(bits: &[u64]) -> bool => never_full_f64;
}

#[inline(always)]
fn never_full_f32(bits: &[u32]) -> bool {
    const EXPONENT: u32 = 0x7f80_0000;
    bits.iter().fold(true, |all, &b| all & (b & EXPONENT != EXPONENT))
}

#[inline(always)]
fn never_full_f64(bits: &[u64]) -> bool {
    const EXPONENT: u64 = 0x7ff0_0000_0000_0000;
    bits.iter().fold(true, |all, &b| all & (b & EXPONENT != EXPONENT))
}

impl Element for f32 {
    const TYPE: ElementType = ElementType::F32;

    fn from_f64(value: f64) -> Self {
        value as f32
    }

    fn widen(self) -> f64 {
        f64::from(self)
    }
}

impl Element for f64 {
    const TYPE: ElementType = ElementType::F64;

    fn from_f64(value: f64) -> Self {
        value
    }

    fn widen(self) -> f64 {
        self
    }
}

/// Converts a run of f64 values to elements (rounding each to nearest even).
pub fn from_f64_slice<E: Element>(values: &[f64]) -> Vec<E> {
    values.iter().map(|&v| E::from_f64(v)).collect()
}

/// `values` seen as a slice of `T` when `T` is `E` itself, `None` otherwise. Lets generic
/// code reach a path that exists for one element type only (device models take f32).
pub fn same_slice<E: Element, T: Element>(values: &[E]) -> Option<&[T]> {
    // The trait is sealed: equal tags mean the same type, so the cast keeps the length.
    (E::TYPE == T::TYPE).then(|| bytemuck::cast_slice(values))
}

/// The mutable form of [`same_slice`].
pub fn same_slice_mut<E: Element, T: Element>(values: &mut [E]) -> Option<&mut [T]> {
    (E::TYPE == T::TYPE).then(|| bytemuck::cast_slice_mut(values))
}

/// `value` as a `T` when `T` is `E` itself, `None` otherwise.
pub fn same_value<E: Element, T: Element>(value: E) -> Option<T> {
    (E::TYPE == T::TYPE).then(|| bytemuck::cast(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_follows_the_element_type() {
        let v = 123_456_789.01;
        assert_eq!(ElementType::F64.round(v), v);
        assert_eq!(ElementType::F32.round(v), 123_456_792.0);
        assert_eq!(<f32 as Element>::from_f64(v).widen(), 123_456_792.0);
        assert_eq!(<f64 as Element>::from_f64(v).widen(), v);
        assert_eq!(ElementType::F32.shortest(f64::from(0.1f32)), "0.1");
        assert_eq!(ElementType::F64.shortest(f64::from(0.1f32)), "0.10000000149011612");
    }

    #[test]
    fn the_rounding_deviation_bounds_the_rounding_error() {
        let sd = |element: ElementType, v: f64| element.rounding_deviation(v);
        // One unit in the last place over √12: 2^-23 at 1 in f32, 2^-52 in f64.
        assert_eq!(sd(ElementType::F32, 1.0), 2f64.powi(-23) / 12f64.sqrt());
        assert_eq!(sd(ElementType::F64, -1.0), 2f64.powi(-52) / 12f64.sqrt());
        for v in [0.1, -0.174_390_3, 3.7e-5, 1.0e30, 123_456_789.01, 0.0] {
            let error = (ElementType::F32.round(v) - v).abs();
            assert!(error <= 1.96 * sd(ElementType::F32, v), "{v}: error {error:e}");
            assert!(sd(ElementType::F32, v) > 0.0 && sd(ElementType::F64, v) < sd(ElementType::F32, v), "{v}");
        }
        assert_eq!(sd(ElementType::F32, f64::from(f32::MAX)), f64::INFINITY);
        assert_eq!(sd(ElementType::F32, 1.0e39), f64::INFINITY);
        assert_eq!(sd(ElementType::F64, f64::NAN), f64::INFINITY);
    }

    #[test]
    fn a_mismatch_names_both_types() {
        let e = ElementType::F64.expect("inputs", ElementType::F32).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ElementTypeMismatch);
        assert!(e.message().contains("float elements") && e.message().contains("declares double"), "{e}");
        assert!(ElementType::F32.expect("inputs", ElementType::F32).is_ok());
    }

    /// `first_non_finite` against a plain search, for every kind of value at every place of
    /// slices around the block and vector widths, in both element types.
    fn finds_the_first_non_finite<E: Element>(specials: &[E], finite: &[E]) {
        for len in [0, 1, 7, 63, 64, 65, 200] {
            let plain: Vec<E> = (0..len).map(|i| finite[i % finite.len()]).collect();
            assert_eq!(first_non_finite(&plain), None);
            for at in [0, len / 2, len.saturating_sub(1)].into_iter().filter(|&at| at < len) {
                for &special in specials {
                    let mut values = plain.clone();
                    values[at] = special;
                    let want = values.iter().position(|v| !v.is_finite());
                    assert_eq!(first_non_finite(&values), want, "len {len}, at {at}");
                    assert_eq!(all_finite(&values), want.is_none());
                }
            }
        }
    }

    #[test]
    fn non_finite_values_are_found_wherever_they_are() {
        let finite32 = [0.0, -0.0, 1.5, -3.0e38, f32::MAX, f32::MIN_POSITIVE, 1.0e-45];
        finds_the_first_non_finite(&[f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -f32::NAN, 1.0], &finite32);
        let finite64 = [0.0, -0.0, 1.5, -1.0e308, f64::MAX, f64::MIN_POSITIVE, 5.0e-324];
        finds_the_first_non_finite(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -f64::NAN, 1.0], &finite64);
    }
}
