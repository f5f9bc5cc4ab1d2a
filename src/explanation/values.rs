//! [`Values`]: a run of result numbers (attributions, predictions, base values, standard
//! errors) held in f64 and rounded to the model's element type, so an f32 model's results
//! are exactly the f32 numbers they always were and an f64 model's keep every bit.

use std::ops::Deref;

use serde::ser::SerializeSeq;

use crate::element::{Element, ElementType};

/// Result numbers of one element type, read as f64.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Values {
    element: ElementType,
    values: Vec<f64>,
}

impl Values {
    /// Values computed in f64, each rounded to `E` (exact for f64).
    pub fn rounded<E: Element>(values: Vec<f64>) -> Self {
        Self::rounded_to(E::TYPE, values)
    }

    /// Values computed in f64, each rounded to `element`.
    pub fn rounded_to(element: ElementType, mut values: Vec<f64>) -> Self {
        if element != ElementType::F64 {
            values.iter_mut().for_each(|v| *v = element.round(*v));
        }
        Self { element, values }
    }

    /// Values already rounded to `E` (the caller's guarantee; in debug builds it is checked).
    pub(crate) fn from_rounded<E: Element>(values: Vec<f64>) -> Self {
        debug_assert!(values.iter().all(|&v| E::TYPE.round(v).to_bits() == v.to_bits() || v.is_nan()));
        Self { element: E::TYPE, values }
    }

    /// Values the model wrote (or the method computed) in its own element type.
    pub fn from_elements<E: Element>(values: &[E]) -> Self {
        Self { element: E::TYPE, values: values.iter().map(|v| v.widen()).collect() }
    }

    /// The element type the values are rounded to.
    pub fn element_type(&self) -> ElementType {
        self.element
    }

    /// The values rounded to f32 (exact for an f32 model's results).
    pub fn to_f32(&self) -> Vec<f32> {
        self.values.iter().map(|&v| v as f32).collect()
    }

    /// The values as f64.
    pub fn into_vec(self) -> Vec<f64> {
        self.values
    }
}

impl PartialEq<Vec<f64>> for Values {
    fn eq(&self, other: &Vec<f64>) -> bool {
        self.values == *other
    }
}

impl PartialEq<[f64]> for Values {
    fn eq(&self, other: &[f64]) -> bool {
        self.values == other
    }
}

impl Deref for Values {
    type Target = [f64];

    fn deref(&self) -> &[f64] {
        &self.values
    }
}

/// An f32 model's values print as the shortest decimal that reads back as the same f32;
/// an f64 model's as the shortest that reads back as the same f64.
impl serde::Serialize for Values {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.values.len()))?;
        for &v in &self.values {
            match self.element {
                ElementType::F32 => seq.serialize_element(&(v as f32))?,
                ElementType::F64 => seq.serialize_element(&v)?,
            }
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_to_the_element_type_and_print_in_it() {
        let f32s = Values::rounded::<f32>(vec![0.1, 123_456_789.01]);
        assert_eq!(&f32s[..], &[f64::from(0.1f32), 123_456_792.0]);
        assert_eq!(serde_json::to_string(&f32s).unwrap(), "[0.1,123456790.0]");
        let f64s = Values::rounded::<f64>(vec![0.1, f64::from(0.1f32)]);
        assert_eq!(serde_json::to_string(&f64s).unwrap(), "[0.1,0.10000000149011612]");
    }
}
