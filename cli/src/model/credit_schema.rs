//! The raw attributes of the built-in German Credit models: the 20 UCI attributes with
//! their units and code descriptions, encoded exactly as the models were trained
//! (numbers standardised by the data set's mean and deviation, codes one-hot).

use lumen_models::german_credit::{ColumnKind, GermanCredit, ATTRIBUTES};

use crate::schema::{Attribute, AttributeKind, Category, CategoryEncoding, Numeric, RawSchema};

/// The schema of the German Credit encoding of `data`. Every numeric attribute of the
/// data set is a whole number, so decoded values are shown without decimals.
pub fn german_credit_schema(data: &GermanCredit) -> Result<RawSchema, String> {
    let columns = data.encoding().columns();
    let attributes = ATTRIBUTES
        .iter()
        .enumerate()
        .map(|(a, definition)| {
            let mut numeric = None;
            let mut one_hot = Vec::new();
            let mut categories = Vec::new();
            for (index, column) in columns.iter().enumerate().filter(|(_, c)| c.attribute == a) {
                match &column.kind {
                    ColumnKind::Standardised { mean, std_dev } => {
                        numeric = Some(Numeric {
                            unit: definition.unit.map(str::to_owned),
                            column: index,
                            offset: *mean,
                            scale: *std_dev,
                            decimals: Some(0),
                        });
                    }
                    ColumnKind::OneHot { code } => {
                        let label = data.dataset().descriptions().describe(a, code).unwrap_or(code);
                        categories.push(Category { code: code.clone(), label: label.to_owned() });
                        one_hot.push(index);
                    }
                }
            }
            let kind = match numeric {
                Some(numeric) => AttributeKind::Numeric(numeric),
                None => {
                    AttributeKind::Categorical { categories, encoding: CategoryEncoding::OneHot { columns: one_hot } }
                }
            };
            Attribute { name: definition.name.to_owned(), kind }
        })
        .collect();
    RawSchema::new(attributes, data.encoded_len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::RawValue;
    use lumen_models::german_credit::HOLDOUT_ROWS;

    #[test]
    fn the_schema_decodes_applicants_as_the_data_set_describes_them() {
        let data = GermanCredit::shared();
        let schema = german_credit_schema(data).expect("a valid schema");
        assert_eq!(schema.attributes().len(), 20);
        assert_eq!(schema.groups().mask, data.feature_mask());
        for row in HOLDOUT_ROWS.start..HOLDOUT_ROWS.start + 20 {
            let encoded = data.encoded_range(row..row + 1);
            let described: Vec<String> =
                data.describe_applicant(row).expect("an applicant").into_iter().map(|(_, v)| v).collect();
            assert_eq!(schema.describe(encoded), described, "applicant #{row}");
            let mut again = vec![0.0; encoded.len()];
            schema.encode(&schema.decode(encoded), &mut again);
            for (a, b) in again.iter().zip(encoded) {
                assert!((a - b).abs() < 1e-5, "applicant #{row}: {again:?} vs {encoded:?}");
            }
        }
        let duration = &schema.attributes()[1];
        assert_eq!(duration.name, "duration (months)");
        let mut values = schema.decode(data.encoded_range(HOLDOUT_ROWS.start..HOLDOUT_ROWS.start + 1));
        values[1] = RawValue::Number(24.0);
        let mut row = vec![0.0; schema.input_len()];
        schema.encode(&values, &mut row);
        assert_eq!(schema.describe(&row)[1], "24");
    }
}
