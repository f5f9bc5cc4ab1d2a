//! Copies between Java arrays and Rust vectors, with the null and range checks every
//! export shares. Required arrays fail on `null`; optional ones read `null` as "not given".

use jni::objects::{JDoubleArray, JFloatArray, JIntArray, JObject, JObjectArray, JString};
use jni::refs::IntoAuto;
use jni::sys::{jdouble, jfloat, jint};
use jni::Env;
use lumen::element::{same_slice_mut, same_value};
use lumen::{Element, ElementType, Error, ErrorKind};

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

/// The element type of a Java array passed as an `Object` that must be a `float[]` or a
/// `double[]` (not null).
fn array_element(env: &Env<'_>, array: &JObject<'_>, argument: &'static str) -> BindingResult<ElementType> {
    match env.as_cast::<JFloatArray>(array) {
        Ok(_) => return Ok(ElementType::F32),
        Err(jni::errors::Error::WrongObjectType) => {}
        Err(other) => return Err(other.into()),
    }
    match env.as_cast::<JDoubleArray>(array) {
        Ok(_) => Ok(ElementType::F64),
        Err(jni::errors::Error::WrongObjectType) => {
            Err(Error::invalid(argument, "is neither a float[] nor a double[]").into())
        }
        Err(other) => Err(other.into()),
    }
}

/// The error for a Java array of element type `given` handed to a model of element type
/// `model`: never a silent conversion.
pub fn element_mismatch(argument: &str, given: ElementType, model: ElementType) -> BindingError {
    let (array, advice) = match model {
        ElementType::F64 => ("double[]", "a DoubleModel takes double[] rows and double options"),
        ElementType::F32 => {
            ("float[]", "a Model takes float[] rows and float options; register a DoubleModel for doubles")
        }
    };
    Error::new(
        ErrorKind::ElementTypeMismatch,
        format!(
            "{argument}: is a {}[] but the model takes {} elements; pass a {array} ({advice})",
            given.c_name(),
            model.c_name()
        ),
    )
    .into()
}

/// The elements of an optional `float[]` or `double[]` (passed as `Object`) for a model of
/// element type `E`: an array of the other type is `ElementTypeMismatch`, never converted.
pub fn optional_elements<E: Element>(
    env: &Env<'_>,
    array: &JObject<'_>,
    argument: &'static str,
) -> BindingResult<Option<Vec<E>>> {
    if array.is_null() {
        return Ok(None);
    }
    let given = array_element(env, array, argument)?;
    if given != E::TYPE {
        return Err(element_mismatch(argument, given, E::TYPE));
    }
    let dispatch =
        || BindingError::Lumen(Error::new(ErrorKind::Internal, format!("{argument}: element dispatch failed")));
    let values = match E::TYPE {
        ElementType::F32 => {
            let array = env.as_cast::<JFloatArray>(array)?;
            let mut values = vec![E::default(); array.len(env)?];
            array.get_region(env, 0, same_slice_mut::<E, f32>(&mut values).ok_or_else(dispatch)?)?;
            values
        }
        ElementType::F64 => {
            let array = env.as_cast::<JDoubleArray>(array)?;
            let mut values = vec![E::default(); array.len(env)?];
            array.get_region(env, 0, same_slice_mut::<E, f64>(&mut values).ok_or_else(dispatch)?)?;
            values
        }
    };
    Ok(Some(values))
}

/// The elements of a required `float[]` or `double[]` for a model of element type `E`.
pub fn elements<E: Element>(env: &Env<'_>, array: &JObject<'_>, argument: &'static str) -> BindingResult<Vec<E>> {
    let expected = match E::TYPE {
        ElementType::F32 => "a float[]",
        ElementType::F64 => "a double[]",
    };
    optional_elements(env, array, argument)?.ok_or(BindingError::Null { argument, expected })
}

/// The values of a required `float[]` or `double[]`, whichever it is, as f64 (exact).
pub fn widened(env: &Env<'_>, array: &JObject<'_>, argument: &'static str) -> BindingResult<Vec<f64>> {
    if array.is_null() {
        return Err(BindingError::Null { argument, expected: "a float[] or a double[]" });
    }
    match array_element(env, array, argument)? {
        ElementType::F32 => Ok(elements::<f32>(env, array, argument)?.into_iter().map(f64::from).collect()),
        ElementType::F64 => elements::<f64>(env, array, argument),
    }
}

/// A scalar option the Java options hold as a `float` and its `double` twin (as the C
/// ABI's options do): a float model takes the float (the twin must be 0); a double model
/// takes the twin when it is non-zero, else the float widened (exact), so a float default
/// such as `0` or `1` serves both.
pub fn element_scalar<E: Element>(float: jfloat, double: jdouble, argument: &str) -> BindingResult<E> {
    let value = match E::TYPE {
        ElementType::F32 if double != 0.0 => {
            return Err(Error::new(
                ErrorKind::ElementTypeMismatch,
                format!(
                    "{argument}: is set as the double {double} but the model takes float elements; set it as a float ({argument}({}f))",
                    double as f32
                ),
            )
            .into())
        }
        ElementType::F32 => same_value::<f32, E>(float),
        ElementType::F64 => same_value::<f64, E>(if double != 0.0 { double } else { f64::from(float) }),
    };
    value.ok_or_else(|| Error::new(ErrorKind::Internal, format!("{argument}: element dispatch failed")).into())
}

/// The element type numbered `code` as Java passes it (0 float, 1 double).
pub fn element_type(code: jint) -> BindingResult<ElementType> {
    match code {
        0 => Ok(ElementType::F32),
        1 => Ok(ElementType::F64),
        other => Err(Error::invalid("elementType", format!("is {other}, expected 0 (float) or 1 (double)")).into()),
    }
}

/// The Java number of an element type (0 float, 1 double).
pub fn element_code(element: ElementType) -> jint {
    match element {
        ElementType::F32 => 0,
        ElementType::F64 => 1,
    }
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
    fn scalars_take_their_own_twin_and_refuse_a_double_on_a_float_model() {
        assert_eq!(element_scalar::<f32>(0.5, 0.0, "stdevs").unwrap(), 0.5f32);
        assert_eq!(element_scalar::<f64>(0.5, 0.0, "stdevs").unwrap(), 0.5f64);
        assert_eq!(element_scalar::<f64>(1.0, 0.1, "stdevs").unwrap(), 0.1f64);
        let error = element_scalar::<f32>(0.0, 0.1, "stdevs").unwrap_err();
        assert!(matches!(&error, BindingError::Lumen(e) if e.kind() == ErrorKind::ElementTypeMismatch), "{error}");
        let message = element_mismatch("inputs", ElementType::F32, ElementType::F64).to_string();
        assert!(message.starts_with("inputs: is a float[] but the model takes double elements"), "{message}");
    }

    #[test]
    fn batch_requests_read_zero_as_engine_choice() {
        assert_eq!(batch_request(0, "perturbationsPerEval").unwrap(), None);
        assert_eq!(batch_request(16, "perturbationsPerEval").unwrap(), Some(16));
        assert!(batch_request(-2, "perturbationsPerEval").is_err());
    }
}
