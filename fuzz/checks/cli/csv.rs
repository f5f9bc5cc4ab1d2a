//! The `cli_csv` property: the rows reader (`lumen explain FILE`) given any text returns
//! either rows whose dimensions, values, line numbers and ids agree, or an error naming
//! the file and the reason.
//!
//! The first byte chooses how the rows are read (named or counted columns, the German
//! Credit raw attributes, an id column); the rest is the file's text.

use std::collections::HashSet;
use std::sync::OnceLock;

use lumen_cli::input::{parse_rows, Columns, Form, InputForm, ReadOptions};
use lumen_cli::model::credit_schema::german_credit_schema;
use lumen_cli::schema::RawSchema;
use lumen_models::german_credit::GermanCredit;

use super::expect::{expect_line_numbers, expect_reason};

const SOURCE: &str = "fuzz.csv";

/// The German Credit model's columns and raw attributes.
fn german_credit() -> &'static (Vec<String>, RawSchema) {
    static CREDIT: OnceLock<(Vec<String>, RawSchema)> = OnceLock::new();
    CREDIT.get_or_init(|| {
        let data = GermanCredit::shared();
        let schema = german_credit_schema(data).expect("the German Credit schema is consistent");
        (data.column_names().to_vec(), schema)
    })
}

/// Runs one fuzz case of the rows reader; panics when a property is broken.
pub fn check(data: &[u8]) {
    let Some((&mode, text)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(text);
    let small: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    let (credit_columns, credit_schema) = german_credit();
    let mut options = match mode % 4 {
        0 => ReadOptions::encoded(Columns::Named(&small)),
        1 => ReadOptions::encoded(Columns::Count(3)),
        2 => ReadOptions::encoded(Columns::Named(credit_columns)),
        _ => ReadOptions {
            schema: Some(credit_schema),
            form: InputForm::Auto,
            ..ReadOptions::encoded(Columns::Named(credit_columns))
        },
    };
    if mode & 4 != 0 {
        options.form = InputForm::Raw;
    }
    if mode & 8 != 0 {
        options.id_column = Some("id");
        options.id_required = mode & 16 != 0;
    }
    let rows = match parse_rows(&text, SOURCE.to_owned(), &options) {
        Ok(rows) => rows,
        Err(error) => return expect_reason(&error, SOURCE),
    };
    let width = options.columns.len();
    assert!(rows.rows >= 1, "no rows without an error");
    assert_eq!(rows.lines.len(), rows.rows, "a line number per row");
    assert_eq!(rows.values.len(), rows.rows * width, "rows × columns values");
    assert!(rows.values.iter().all(|v| v.is_finite()), "a non-finite value was read");
    expect_line_numbers(&rows.lines, &text);
    if rows.form == Form::Raw {
        assert!(options.schema.is_some(), "raw form without a schema");
    }
    if let Some(ids) = &rows.ids {
        assert!(options.id_column.is_some(), "ids without an id column");
        assert_eq!(ids.len(), rows.rows, "an id per row");
        assert!(ids.iter().all(|id| !id.trim().is_empty()), "an empty id");
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len(), "ids must be unique");
    }
    assert_eq!(rows.labels().len(), rows.rows, "a label per row");
}
