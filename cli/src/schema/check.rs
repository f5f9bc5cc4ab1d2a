//! Validation of a raw schema against the model's input length, with the reason of each
//! refusal (a plugin's schema is untrusted input).

use super::{Attribute, AttributeKind, CategoryEncoding};

/// Checks names, columns, scales and categories; see [`super::RawSchema::new`].
pub fn validate(attributes: &[Attribute], input_len: usize) -> Result<(), String> {
    if attributes.is_empty() {
        return Err("the schema has no attributes".to_owned());
    }
    let mut owner: Vec<Option<usize>> = vec![None; input_len];
    for (a, attribute) in attributes.iter().enumerate() {
        let name = attribute.name.trim();
        if name.is_empty() {
            return Err(format!("attribute {a} has an empty name"));
        }
        if attributes[..a].iter().any(|other| other.name.trim() == name) {
            return Err(format!("attribute '{name}' appears twice"));
        }
        match &attribute.kind {
            AttributeKind::Numeric(n) => {
                if !(n.scale.is_finite() && n.scale != 0.0 && n.offset.is_finite()) {
                    return Err(format!(
                        "attribute '{name}': offset {} and scale {} must be finite and the scale not 0",
                        n.offset, n.scale
                    ));
                }
            }
            AttributeKind::Categorical { categories, encoding } => {
                if categories.is_empty() {
                    return Err(format!("attribute '{name}' has no categories"));
                }
                for (c, category) in categories.iter().enumerate() {
                    let earlier = &categories[..c];
                    if category.code.trim().is_empty() || category.label.trim().is_empty() {
                        return Err(format!("attribute '{name}': category {c} has an empty code or label"));
                    }
                    if earlier.iter().any(|e| e.code == category.code) {
                        return Err(format!("attribute '{name}': code '{}' appears twice", category.code));
                    }
                    if earlier.iter().any(|e| e.label.to_lowercase() == category.label.to_lowercase()) {
                        return Err(format!("attribute '{name}': label '{}' appears twice", category.label));
                    }
                }
                let count = match encoding {
                    CategoryEncoding::OneHot { columns } => columns.len(),
                    CategoryEncoding::Code { values, .. } => {
                        if values.iter().any(|v| !v.is_finite()) {
                            return Err(format!("attribute '{name}': a category's number is not finite"));
                        }
                        values.len()
                    }
                };
                if count != categories.len() {
                    return Err(format!(
                        "attribute '{name}' has {} categories but its encoding gives {count}",
                        categories.len()
                    ));
                }
            }
        }
        for column in attribute.columns() {
            match owner.get(column) {
                None => {
                    return Err(format!("attribute '{name}': column {column} is beyond the model's {input_len} inputs"))
                }
                Some(Some(other)) => {
                    return Err(format!(
                        "column {column} is used by both '{}' and '{name}'",
                        attributes[*other].name.trim()
                    ))
                }
                Some(None) => owner[column] = Some(a),
            }
        }
    }
    if let Some(column) = owner.iter().position(Option::is_none) {
        return Err(format!("model column {column} belongs to no attribute (every column needs one)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::super::{Numeric, RawSchema};
    use super::*;

    #[test]
    fn broken_schemas_are_refused_with_a_reason() {
        let good = sample().attributes().to_vec();
        let numeric = |column, scale| Attribute {
            name: "x".into(),
            kind: AttributeKind::Numeric(Numeric { unit: None, column, offset: 0.0, scale, decimals: None }),
        };
        let cases: Vec<(Vec<Attribute>, usize, &str)> = vec![
            (good.clone(), 6, "model column 5 belongs to no attribute"),
            (good.clone(), 4, "column 4 is beyond the model's 4 inputs"),
            ([good.clone(), vec![numeric(0, 1.0)]].concat(), 5, "column 0 is used by both 'duration (months)' and 'x'"),
            (vec![numeric(0, 0.0)], 1, "must be finite and the scale not 0"),
            (vec![numeric(0, 1.0), numeric(1, 1.0)], 2, "attribute 'x' appears twice"),
            (vec![], 0, "no attributes"),
        ];
        for (attributes, len, reason) in cases {
            let error = RawSchema::new(attributes, len).expect_err(reason);
            assert!(error.contains(reason), "{reason}: {error}");
        }
        let mut twice = good;
        if let AttributeKind::Categorical { categories, .. } = &mut twice[1].kind {
            categories[1].label = "CAR (NEW)".into();
        }
        assert!(RawSchema::new(twice, 5).expect_err("labels").contains("label 'CAR (NEW)' appears twice"));
    }
}
