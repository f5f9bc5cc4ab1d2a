//! The rows-done bar of `lumen explain`: on a terminal, and for more than one row, the
//! first row is explained alone to measure its cost in model rows, then all rows run in
//! one engine call through a [`CountingModel`] that turns model rows into rows done (rate
//! and ETA by indicatif). Off a terminal nothing is drawn and nothing extra is run.
//! Explaining the first row alone gives it the same random stream as in the full call
//! (streams derive from the seed and the row's index), so the measured cost is its cost.

use crate::counting::CountingModel;
use crate::error::CliResult;
use crate::methods::{self, MethodName, Outcome, Request};

/// Model rows one explained row cost in `outcome` (at least 1).
fn cost(outcome: &Outcome) -> u64 {
    let rows = match outcome {
        Outcome::Attributions(explanation) => explanation.audit.model_rows_evaluated,
        Outcome::Counterfactuals(result) => result.audit.model_rows_evaluated,
    };
    rows.max(1)
}

/// Runs `method` on `request`, showing progress over its rows of `source`.
pub fn run(method: MethodName, request: &Request<'_>, source: &str) -> CliResult<Outcome> {
    let message = format!("{} on {source}", method.cli_name());
    let width = request.inputs.len() / request.rows.max(1);
    if !crate::progress::visible() || request.rows < 2 || width == 0 {
        let spinner = crate::progress::spinner(format!("{message} ({} rows)", request.rows));
        let outcome = methods::run(method, request);
        spinner.finish_and_clear();
        return outcome;
    }
    let bar = crate::progress::counted(request.rows as u64, "rows", format!("{message} (measuring the first row)"));
    let first = Request { inputs: &request.inputs[..width], rows: 1, ..*request };
    let per_row = cost(&methods::run(method, &first)?);
    bar.set_message(message);
    let counting = CountingModel::new(request.evaluator, per_row, request.rows as u64, bar.clone());
    let outcome = methods::run(method, &Request { evaluator: &counting, ..*request });
    bar.finish_and_clear();
    outcome
}
