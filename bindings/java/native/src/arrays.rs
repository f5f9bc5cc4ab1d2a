//! Copies between Java arrays and Rust vectors, with the null and range checks every
//! export shares. Required arrays fail on `null`; optional ones read `null` as "not given".

use jni::objects::{JDoubleArray, JFloatArray, JIntArray, JObjectArray, JString};
use jni::refs::IntoAuto;
use jni::sys::jint;
use jni::Env;
use lumen::Error;

use crate::error::{BindingError, BindingResult};

/// The elements of a required `float[]`.
pub fn floats(env: &Env<'_>, array: &JFloatArray<'_>, argument: &'static str) -> BindingResult<Vec<f32>> {
    optional_floats(env, array)?.ok_or(BindingError::Null { argument, expected: "a float[]" })
}

/// The elements of an optional `float[]`.
pub fn optional_floats(env: &Env<'_>, array: &JFloatArray<'_>) -> BindingResult<Option<Vec<f32>>> {
    if array.is_null() {
        return Ok(None);
    }
    let mut values = vec![0.0f32; array.len(env)?];
    array.get_region(env, 0, &mut values)?;
    Ok(Some(values))
}

/// The elements of an optional `double[]`.
pub fn optional_doubles(env: &Env<'_>, array: &JDoubleArray<'_>) -> BindingResult<Option<Vec<f64>>> {
    if array.is_null() {
        return Ok(None);
    }
    let mut values = vec![0.0f64; array.len(env)?];
    array.get_region(env, 0, &mut values)?;
    Ok(Some(values))
}

/// The elements of an optional `int[]`.
pub fn optional_ints(env: &Env<'_>, array: &JIntArray<'_>) -> BindingResult<Option<Vec<jint>>> {
    if array.is_null() {
        return Ok(None);
    }
    let mut values = vec![0 as jint; array.len(env)?];
    array.get_region(env, 0, &mut values)?;
    Ok(Some(values))
}

/// The elements of an optional `int[]` of indices (each `>= 0`).
pub fn optional_indices(
    env: &Env<'_>,
    array: &JIntArray<'_>,
    argument: &'static str,
) -> BindingResult<Option<Vec<usize>>> {
    let Some(values) = optional_ints(env, array)? else {
        return Ok(None);
    };
    let indices = values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            usize::try_from(v)
                .map_err(|_| Error::invalid(argument, format!("element {i} is {v}, expected an index >= 0")).into())
        })
        .collect::<BindingResult<Vec<usize>>>()?;
    Ok(Some(indices))
}

/// The elements of an optional `int[]` of ids (each `>= 0`) as `u32`.
pub fn optional_ids(env: &Env<'_>, array: &JIntArray<'_>, argument: &'static str) -> BindingResult<Option<Vec<u32>>> {
    Ok(optional_indices(env, array, argument)?.map(|v| v.into_iter().map(|i| i as u32).collect()))
}

/// The elements of a required `int[]` of indices (each `>= 0`).
pub fn indices(env: &Env<'_>, array: &JIntArray<'_>, argument: &'static str) -> BindingResult<Vec<usize>> {
    optional_indices(env, array, argument)?.ok_or(BindingError::Null { argument, expected: "an int[]" })
}

/// The elements of an optional `String[]` (no element may be `null`).
pub fn optional_strings(
    env: &mut Env<'_>,
    array: &JObjectArray<'_, JString<'_>>,
    argument: &'static str,
) -> BindingResult<Option<Vec<String>>> {
    if array.is_null() {
        return Ok(None);
    }
    let len = array.len(env)?;
    let mut strings = Vec::with_capacity(len);
    for i in 0..len {
        let element = array.get_element(env, i)?.auto();
        if element.is_null() {
            return Err(Error::invalid(argument, format!("element {i} is null, expected a string")).into());
        }
        strings.push(element.try_to_string(env)?);
    }
    Ok(Some(strings))
}

/// A Java `int` that must be a count or index (`>= 0`).
pub fn count(value: jint, argument: &'static str) -> BindingResult<usize> {
    usize::try_from(value).map_err(|_| Error::invalid(argument, format!("is {value}, expected >= 0")).into())
}

/// A Java `int` batch-size request: 0 lets the engine choose (`None`), negative fails.
pub fn batch_request(value: jint, argument: &'static str) -> BindingResult<Option<usize>> {
    Ok(Some(count(value, argument)?).filter(|&n| n > 0))
}

/// A new Java `float[]` holding `values`.
pub fn new_floats<'local>(env: &mut Env<'local>, values: &[f32]) -> BindingResult<JFloatArray<'local>> {
    let array = JFloatArray::new(env, values.len())?;
    array.set_region(env, 0, values)?;
    Ok(array)
}

/// A new Java `double[]` holding `values`.
pub fn new_doubles<'local>(env: &mut Env<'local>, values: &[f64]) -> BindingResult<JDoubleArray<'local>> {
    let array = JDoubleArray::new(env, values.len())?;
    array.set_region(env, 0, values)?;
    Ok(array)
}

/// A new Java `int[]` holding `values` (each fits an `int`: they index Java arrays).
pub fn new_ints<'local>(
    env: &mut Env<'local>,
    values: impl IntoIterator<Item = usize>,
) -> BindingResult<JIntArray<'local>> {
    let values: Vec<jint> = values.into_iter().map(|v| v as jint).collect();
    let array = JIntArray::new(env, values.len())?;
    array.set_region(env, 0, &values)?;
    Ok(array)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_refuse_negative_values_by_name() {
        assert_eq!(count(3, "rows").unwrap(), 3);
        let error = count(-1, "rows").unwrap_err().to_string();
        assert_eq!(error, "rows: is -1, expected >= 0");
    }

    #[test]
    fn batch_requests_read_zero_as_engine_choice() {
        assert_eq!(batch_request(0, "perturbationsPerEval").unwrap(), None);
        assert_eq!(batch_request(16, "perturbationsPerEval").unwrap(), Some(16));
        assert!(batch_request(-2, "perturbationsPerEval").is_err());
    }
}
