//! The C ABI's element-typed buffers: an options struct carries a `float` field and its
//! `double` twin (`baseline` and `baseline_f64`, …); a call on a float model reads the
//! first, a call on a double model (an `_f64` export) the second. Filling the twin of the
//! wrong type is `LUMEN_STATUS_ELEMENT_TYPE_MISMATCH`, never a silent conversion.

use super::boundary::FfiError;
use super::pointers::slice;
use super::status::lumen_status;
use crate::element::{same_slice, same_value, Element, ElementType};

/// The error for a twin of the wrong element type: `float_name` and `double_name` are the
/// two fields' names under `options.`.
fn wrong_twin<E: Element>(float_name: &str, double_name: &str) -> FfiError {
    let (given, twin) = match E::TYPE {
        ElementType::F32 => (double_name, float_name),
        ElementType::F64 => (float_name, double_name),
    };
    FfiError::new(
        lumen_status::ElementTypeMismatch,
        format!(
            "options.{given}: is set, but the model takes {} elements; fill options.{twin} instead",
            E::TYPE.c_name()
        ),
    )
}

/// The caller's `len` values of a buffer option: the `float` field (`options.<float_name>`)
/// on an f32 call, its `double` twin (`options.<double_name>`) on an f64 call; the other
/// must be NULL.
///
/// # Safety
/// The buffer read points to `len` readable values when `len > 0`.
pub(super) unsafe fn typed_buffer<'a, E: Element>(
    (float, float_name): (*const f32, &str),
    (double, double_name): (*const f64, &str),
    len: usize,
) -> Result<&'a [E], FfiError> {
    let typed = match E::TYPE {
        ElementType::F32 if !double.is_null() => return Err(wrong_twin::<E>(float_name, double_name)),
        ElementType::F64 if !float.is_null() => return Err(wrong_twin::<E>(float_name, double_name)),
        // SAFETY: forwarded contract.
        ElementType::F32 => same_slice(unsafe { slice(float, len, &format!("options.{float_name}"))? }),
        // SAFETY: forwarded contract.
        ElementType::F64 => same_slice(unsafe { slice(double, len, &format!("options.{double_name}"))? }),
    };
    typed.ok_or_else(|| {
        FfiError::new(lumen_status::Internal, format!("options.{float_name}: element type dispatch failed"))
    })
}

/// A scalar option with a `double` twin: on an f32 call the float (the twin must be 0); on
/// an f64 call the twin when it is non-zero, else the float widened (so a float default such
/// as `0` or `1` serves both).
pub(super) fn typed_scalar<E: Element>(float: f32, double: f64, argument: &str) -> Result<E, FfiError> {
    let value = match E::TYPE {
        ElementType::F32 if double != 0.0 => return Err(wrong_twin::<E>(argument, &format!("{argument}_f64"))),
        ElementType::F32 => same_value::<f32, E>(float),
        ElementType::F64 => same_value::<f64, E>(if double != 0.0 { double } else { f64::from(float) }),
    };
    value.ok_or_else(|| {
        FfiError::new(lumen_status::Internal, format!("options.{argument}: element type dispatch failed"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_call_reads_its_own_twin_and_refuses_the_other() {
        let (floats, doubles) = ([1.5f32, 2.0], [0.1f64, 0.2]);
        // SAFETY: local arrays of the stated lengths.
        unsafe {
            let float = |p: *const f32| (p, "baseline");
            let double = |p: *const f64| (p, "baseline_f64");
            let none = std::ptr::null();
            assert_eq!(typed_buffer::<f32>(float(floats.as_ptr()), double(none), 2).unwrap(), &floats);
            assert_eq!(typed_buffer::<f64>(float(std::ptr::null()), double(doubles.as_ptr()), 2).unwrap(), &doubles);
            let e = typed_buffer::<f64>(float(floats.as_ptr()), double(none), 2).unwrap_err();
            assert_eq!(e.status, lumen_status::ElementTypeMismatch);
            assert!(
                e.message.contains("options.baseline: is set") && e.message.contains("baseline_f64"),
                "{}",
                e.message
            );
            let e = typed_buffer::<f32>(float(std::ptr::null()), double(doubles.as_ptr()), 2).unwrap_err();
            assert!(e.message.starts_with("options.baseline_f64: is set"), "{}", e.message);
        }
        assert_eq!(typed_scalar::<f64>(0.5, 0.0, "stdevs").unwrap(), 0.5);
        assert_eq!(typed_scalar::<f64>(0.5, 0.1, "stdevs").unwrap(), 0.1);
        assert_eq!(typed_scalar::<f32>(0.5, 0.0, "stdevs").unwrap(), 0.5);
        assert_eq!(typed_scalar::<f32>(0.5, 0.1, "stdevs").unwrap_err().status, lumen_status::ElementTypeMismatch);
    }
}
