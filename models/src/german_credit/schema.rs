//! The 20 attributes of the UCI German Credit data: their order in `german.data`, the
//! human names Lumen shows, and whether each is a number or a categorical code.

/// Number of attributes per applicant (the label is not counted).
pub const ATTRIBUTE_COUNT: usize = 20;

/// How an attribute is recorded in `german.data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeKind {
    /// A whole number, e.g. a duration in months.
    Numerical,
    /// A code such as `A43`, described in `values_maps.json` under `value_map_key`.
    Categorical {
        /// The key of this attribute's code table in `values_maps.json`.
        value_map_key: &'static str,
    },
}

/// One attribute of an applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute {
    /// The name Lumen shows, e.g. `"credit amount (DM)"`.
    pub name: &'static str,
    /// The attribute's name in the UCI documentation, e.g. `"Credit amount"`.
    pub uci_name: &'static str,
    /// Number or code.
    pub kind: AttributeKind,
    /// The unit of a numerical attribute's values (e.g. `"months"`, `"DM"`); `None` for
    /// counts and categorical attributes.
    pub unit: Option<&'static str>,
}

const fn numerical(name: &'static str, uci_name: &'static str, unit: Option<&'static str>) -> Attribute {
    Attribute { name, uci_name, kind: AttributeKind::Numerical, unit }
}

const fn categorical(name: &'static str, uci_name: &'static str, value_map_key: &'static str) -> Attribute {
    Attribute { name, uci_name, kind: AttributeKind::Categorical { value_map_key }, unit: None }
}

/// The attributes in the order of the columns of `german.data` (UCI attributes 1 to 20).
pub const ATTRIBUTES: [Attribute; ATTRIBUTE_COUNT] = [
    categorical("checking account", "Status of existing checking account", "status"),
    numerical("duration (months)", "Duration in month", Some("months")),
    categorical("credit history", "Credit history", "credit_history"),
    categorical("purpose", "Purpose", "purpose"),
    numerical("credit amount (DM)", "Credit amount", Some("DM")),
    categorical("savings", "Savings account/bonds", "savings"),
    categorical("employment since", "Present employment since", "present_employment"),
    numerical(
        "installment rate (% of income)",
        "Installment rate in percentage of disposable income",
        Some("% of income"),
    ),
    categorical("personal status and sex", "Personal status and sex", "status_sex"),
    categorical("other debtors", "Other debtors / guarantors", "other_debtors"),
    numerical("residence since (years)", "Present residence since", Some("years")),
    categorical("property", "Property", "property"),
    numerical("age (years)", "Age in years", Some("years")),
    categorical("other installment plans", "Other installment plans", "installment_plans"),
    categorical("housing", "Housing", "housing"),
    numerical("existing credits", "Number of existing credits at this bank", None),
    categorical("job", "Job", "job"),
    numerical("people liable", "Number of people being liable to provide maintenance for", None),
    categorical("telephone", "Telephone", "telephone"),
    categorical("foreign worker", "foreign worker", "foreign_worker"),
];

/// The human names of the attributes, in order: Lumen's group names for this data set.
pub fn attribute_names() -> [&'static str; ATTRIBUTE_COUNT] {
    ATTRIBUTES.map(|attribute| attribute.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seven_attributes_are_numerical_and_thirteen_categorical() {
        let numerical = ATTRIBUTES.iter().filter(|a| a.kind == AttributeKind::Numerical).count();
        assert_eq!(numerical, 7);
        assert_eq!(ATTRIBUTE_COUNT - numerical, 13);
    }

    #[test]
    fn only_measured_numbers_have_units() {
        let units: Vec<(&str, &str)> = ATTRIBUTES.iter().filter_map(|a| a.unit.map(|unit| (a.name, unit))).collect();
        assert_eq!(units[0], ("duration (months)", "months"));
        assert_eq!(units[1], ("credit amount (DM)", "DM"));
        assert_eq!(units.len(), 5);
        assert!(ATTRIBUTES.iter().all(|a| a.unit.is_none() || a.kind == AttributeKind::Numerical));
    }

    #[test]
    fn names_are_unique() {
        let mut names = attribute_names().to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ATTRIBUTE_COUNT);
    }
}
