//! Human-readable descriptions of an applicant's raw attribute values, for reports that
//! show what the model was shown.

use super::data::{Applicant, AttributeValue, CodeDescriptions};
use super::schema::ATTRIBUTES;

/// The applicant's attributes as `(attribute name, value)` pairs in attribute order, e.g.
/// `("checking account", "< 0 DM")`, `("duration (months)", "6")`. A code without a
/// description is shown as the code itself.
pub fn describe_applicant(applicant: &Applicant, descriptions: &CodeDescriptions) -> Vec<(&'static str, String)> {
    ATTRIBUTES
        .iter()
        .zip(applicant.values())
        .enumerate()
        .map(|(index, (attribute, value))| {
            let text = match value {
                AttributeValue::Number(number) => number.to_string(),
                AttributeValue::Code(code) => descriptions.describe(index, code).unwrap_or(code).to_owned(),
            };
            (attribute.name, text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::german_credit::data::Dataset;

    #[test]
    fn first_applicant_is_described_in_words() {
        let dataset = Dataset::embedded().expect("the embedded files parse");
        let description = describe_applicant(&dataset.applicants()[0], dataset.descriptions());
        assert_eq!(description.len(), 20);
        assert_eq!(description[0], ("checking account", "< 0 DM".to_owned()));
        assert_eq!(description[1], ("duration (months)", "6".to_owned()));
        assert_eq!(description[3], ("purpose", "radio/television".to_owned()));
        assert_eq!(description[12], ("age (years)", "67".to_owned()));
        assert_eq!(description[19], ("foreign worker", "yes".to_owned()));
    }
}
