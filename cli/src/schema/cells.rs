//! Raw cells: parsing what an analyst writes (a number in the attribute's unit; a
//! category's label or code) and showing decoded values the same way.

use super::{Attribute, AttributeKind, RawValue};
use crate::text::{list, nearest, quote};

/// `value` rounded to `decimals` decimals (unchanged when `None`).
pub fn round(value: f64, decimals: Option<u32>) -> f64 {
    match decimals {
        Some(d) => {
            let factor = 10f64.powi(d.min(12) as i32);
            (value * factor).round() / factor
        }
        None => value,
    }
}

/// A number as text: with `decimals` decimals, or in the shortest form that reads back
/// as the same `f32` (model inputs are `f32`).
pub fn show_number(value: f64, decimals: Option<u32>) -> String {
    match decimals {
        Some(d) => format!("{:.*}", d as usize, round(value, Some(d)) + 0.0),
        None => format!("{}", value as f32),
    }
}

/// The display text of `value` of `attribute`: a number in its unit, a category's label,
/// or `?` for model columns that decode to no category.
pub fn show(attribute: &Attribute, value: RawValue) -> String {
    match (&attribute.kind, value) {
        (AttributeKind::Numeric(n), RawValue::Number(v)) => show_number(v, n.decimals),
        (AttributeKind::Categorical { categories, .. }, RawValue::Category(c)) => {
            categories.get(c).map_or_else(|| "?".to_owned(), |category| category.label.clone())
        }
        _ => "?".to_owned(),
    }
}

/// Parses one raw cell of `attribute`. Numbers must be finite; a category is matched by
/// its code (exactly), then its label, then its code with case and spaces ignored. The
/// error says what was expected and, for a near miss, which category was probably meant.
pub fn parse(attribute: &Attribute, cell: &str) -> Result<RawValue, String> {
    let text = cell.trim();
    match &attribute.kind {
        AttributeKind::Numeric(n) => match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(RawValue::Number(v)),
            Ok(_) => Err(format!("{} is not a finite number", quote(cell))),
            Err(_) => {
                let unit = n.unit.as_deref().map(|u| format!(" in {u}")).unwrap_or_default();
                Err(format!("{} is not a number (expected a number{unit})", quote(cell)))
            }
        },
        AttributeKind::Categorical { categories, .. } => {
            let fold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
            let wanted = fold(text);
            let found = categories
                .iter()
                .position(|c| c.code == text)
                .or_else(|| categories.iter().position(|c| fold(&c.label) == wanted))
                .or_else(|| categories.iter().position(|c| fold(&c.code) == wanted));
            found.map(RawValue::Category).ok_or_else(|| {
                let labels: Vec<&str> = categories.iter().map(|c| c.label.as_str()).collect();
                let near = nearest(text, labels.iter().copied().chain(categories.iter().map(|c| c.code.as_str())));
                match near {
                    Some(name) => format!("{} is not a category; did you mean '{name}'?", quote(cell)),
                    None => format!("{} is not a category; expected one of {}", quote(cell), list(&labels, 6)),
                }
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::*;

    #[test]
    fn cells_are_read_by_label_or_code_and_numbers_in_units() {
        let schema = sample();
        let [duration, purpose, telephone] = schema.attributes() else { panic!("three attributes") };
        assert_eq!(parse(duration, " 24 "), Ok(RawValue::Number(24.0)));
        assert_eq!(parse(purpose, "A43"), Ok(RawValue::Category(2)));
        assert_eq!(parse(purpose, "Radio/Television"), Ok(RawValue::Category(2)));
        assert_eq!(parse(purpose, "a41"), Ok(RawValue::Category(1)));
        assert_eq!(parse(telephone, "yes"), Ok(RawValue::Category(1)));
        assert_eq!(parse(duration, "two"), Err("'two' is not a number (expected a number in months)".to_owned()));
        assert_eq!(parse(duration, "inf"), Err("'inf' is not a finite number".to_owned()));
        assert_eq!(
            parse(purpose, "radio/televison"),
            Err("'radio/televison' is not a category; did you mean 'radio/television'?".to_owned())
        );
        assert_eq!(
            parse(purpose, "boat"),
            Err("'boat' is not a category; expected one of 'car (new)', 'car (used)', 'radio/television'".to_owned())
        );
        assert_eq!(show(duration, RawValue::Number(23.99999)), "24");
        assert_eq!(show(purpose, RawValue::Unknown), "?");
        assert_eq!(show_number(0.1f32 as f64, None), "0.1");
        assert_eq!(show_number(-0.0001, Some(0)), "0");
    }
}
