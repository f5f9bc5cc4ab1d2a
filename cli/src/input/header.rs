//! Matching a CSV header to the columns a model expects: which model column each file
//! column feeds, with "did you mean …" for unknown names and a short list of missing ones.

use crate::error::{CliError, CliResult};
use crate::text::{list, nearest};

/// The columns a model expects.
#[derive(Debug, Clone, Copy)]
pub enum Columns<'a> {
    /// Named columns, in the model's order; the file may order them differently.
    Named(&'a [String]),
    /// Unnamed columns: the file must have this many, in the model's order.
    Count(usize),
}

impl Columns<'_> {
    /// Number of columns.
    pub fn len(&self) -> usize {
        match self {
            Self::Named(names) => names.len(),
            Self::Count(n) => *n,
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many of `names` are among the expected names (0 for unnamed columns).
    pub fn matches(&self, names: &[&str]) -> usize {
        match self {
            Self::Named(expected) => names.iter().filter(|n| expected.iter().any(|e| e == *n)).count(),
            Self::Count(_) => 0,
        }
    }
}

/// Names shown when listing unknown or missing columns.
const SHOWN: usize = 6;

/// For each of the file's columns `names` (trimmed), its index in the model's columns.
/// `hint` is added to the message of an unknown column with no near match (e.g. how to
/// pass an identifier column through).
pub fn column_order(source: &str, names: &[&str], columns: Columns<'_>, hint: &str) -> CliResult<Vec<usize>> {
    match columns {
        Columns::Count(n) if names.len() != n => Err(CliError::input(format!(
            "{source}: the header has {} columns, the model takes {n} inputs",
            names.len()
        ))),
        Columns::Count(n) => Ok((0..n).collect()),
        Columns::Named(expected) => {
            if let Some((i, name)) = names.iter().enumerate().find(|(i, name)| names[..*i].contains(name)) {
                return Err(CliError::input(format!(
                    "{source}: column '{name}' appears twice in the header (columns {} and {})",
                    names[..i].iter().position(|n| n == name).map_or(0, |p| p + 1),
                    i + 1
                )));
            }
            let unknown: Vec<&str> = names.iter().copied().filter(|name| !expected.iter().any(|e| e == name)).collect();
            if !unknown.is_empty() {
                return Err(CliError::input(format!("{source}: {}", unknown_message(&unknown, names, expected, hint))));
            }
            let missing: Vec<&str> = expected.iter().map(String::as_str).filter(|e| !names.contains(e)).collect();
            match missing.as_slice() {
                [] => {}
                [one] => {
                    return Err(CliError::input(format!(
                        "{source}: missing column '{one}' ({} of the model's {} columns are present)",
                        names.len(),
                        expected.len()
                    )))
                }
                many => {
                    return Err(CliError::input(format!(
                        "{source}: missing {} columns: {} ({} of the model's {} columns are present)",
                        many.len(),
                        list(many, SHOWN),
                        names.len(),
                        expected.len()
                    )))
                }
            }
            Ok(names.iter().map(|name| expected.iter().position(|e| e == name).unwrap_or(0)).collect())
        }
    }
}

/// "unknown column 'x'; did you mean 'y'?" for each unknown name (the first few), the
/// suggestion taken from the expected names the header lacks; without any suggestion,
/// the first expected names and `hint`.
fn unknown_message(unknown: &[&str], names: &[&str], expected: &[String], hint: &str) -> String {
    let absent: Vec<&str> = expected.iter().map(String::as_str).filter(|e| !names.contains(e)).collect();
    let expected_names: Vec<&str> = expected.iter().map(String::as_str).collect();
    let listed = format!("the model's columns are {}{hint}", list(&expected_names, 4));
    if let [name] = unknown {
        return match nearest(name, absent.iter().copied()) {
            Some(near) => format!("unknown column '{name}'; did you mean '{near}'?"),
            None => format!("unknown column '{name}'; {listed}"),
        };
    }
    let mut suggested = false;
    let described: Vec<String> = unknown
        .iter()
        .take(SHOWN)
        .map(|name| match nearest(name, absent.iter().copied()) {
            Some(near) => {
                suggested = true;
                format!("'{name}' (did you mean '{near}'?)")
            }
            None => format!("'{name}'"),
        })
        .collect();
    let more = unknown.len().saturating_sub(SHOWN);
    let more = if more > 0 { format!(" and {more} more") } else { String::new() };
    let message = format!("unknown columns {}{more}", described.join(", "));
    if suggested {
        message
    } else {
        format!("{message}; {listed}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        ["duration (months)", "purpose", "age (years)", "savings"].map(String::from).to_vec()
    }

    fn order(header: &[&str]) -> CliResult<Vec<usize>> {
        column_order("f.csv", header, Columns::Named(&names()), "; hint")
    }

    #[test]
    fn columns_are_matched_by_name_in_any_order() {
        assert_eq!(order(&["age (years)", "duration (months)", "savings", "purpose"]), Ok(vec![2, 0, 3, 1]));
        assert_eq!(column_order("f.csv", &["a", "b"], Columns::Count(2), ""), Ok(vec![0, 1]));
    }

    #[test]
    fn typos_get_the_nearest_missing_name_and_strangers_the_list() {
        let typo = order(&["duraton (months)", "purpose", "age (years)", "savings"]).unwrap_err().to_string();
        assert_eq!(typo, "f.csv: unknown column 'duraton (months)'; did you mean 'duration (months)'?");
        let two = order(&["duraton (months)", "purpse", "age (years)", "savings"]).unwrap_err().to_string();
        assert_eq!(
            two,
            "f.csv: unknown columns 'duraton (months)' (did you mean 'duration (months)'?), 'purpse' (did you mean 'purpose'?)"
        );
        let stranger = order(&["applicant_id", "duration (months)"]).unwrap_err().to_string();
        assert_eq!(
            stranger,
            "f.csv: unknown column 'applicant_id'; the model's columns are 'duration (months)', 'purpose', 'age (years)', 'savings'; hint"
        );
        let missing = order(&["purpose"]).unwrap_err().to_string();
        assert_eq!(
            missing,
            "f.csv: missing 3 columns: 'duration (months)', 'age (years)', 'savings' (1 of the model's 4 columns are present)"
        );
        let one = order(&["purpose", "savings", "age (years)"]).unwrap_err().to_string();
        assert!(one.contains("missing column 'duration (months)' (3 of the model's 4"), "{one}");
        let twice = order(&["purpose", "purpose"]).unwrap_err().to_string();
        assert!(twice.contains("column 'purpose' appears twice in the header (columns 1 and 2)"), "{twice}");
    }
}
