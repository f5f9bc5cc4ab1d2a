//! The `report_json` property: the record reader of `lumen report` given any text returns
//! either a record whose arrays have the lengths its shape fields promise, or an error
//! naming the file and the reason.

use lumen_cli::report::record::Record;

use super::expect::expect_reason;

const SOURCE: &str = "fuzz.json";

/// Runs one fuzz case of the record reader; panics when a property is broken.
pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let record = match Record::parse(&text, SOURCE) {
        Ok(record) => record,
        Err(error) => return expect_reason(&error, SOURCE),
    };
    match record {
        Record::Explanation(record) => {
            let outputs = record.outputs.len();
            assert!(record.rows > 0 && outputs > 0, "an explanation without rows or outputs");
            let values = record.rows.checked_mul(outputs).and_then(|n| n.checked_mul(record.features));
            assert_eq!(values, Some(record.attributions.len()), "rows × outputs × features attributions");
            assert_eq!(record.predictions.len(), record.rows * outputs, "rows × outputs predictions");
            assert_eq!(record.base_values.len(), record.rows * outputs, "rows × outputs base values");
            assert_eq!(record.diagnostics.len(), record.rows, "diagnostics per row");
            for row in 0..record.rows {
                for k in 0..outputs {
                    assert_eq!(record.row(row, k).len(), record.features, "attributions of row {row}");
                }
            }
            assert_eq!(record.names().len(), record.features, "a name per feature");
        }
        Record::DatasetAudit(record) => {
            let n = record.statistics.features;
            assert_eq!(n.checked_mul(n), Some(record.statistics.co_occurrence.len()), "n × n co-occurrences");
            assert_eq!(record.statistics.change_counts.len(), n, "a change count per feature");
            assert_eq!(record.feature_names.len(), n, "a name per feature");
        }
        Record::Counterfactuals(_) | Record::TimeShapGlobal(_) => {}
    }
}
