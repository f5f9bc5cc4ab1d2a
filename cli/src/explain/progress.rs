//! The rows-done bar of `lumen explain`: on a terminal, and for more than one row, the
//! engine's progress callback (the fraction of the call's model rows done) moves a bar
//! over the explained rows, with rate and ETA by indicatif. Off a terminal nothing is
//! drawn. All rows run in one engine call, so results never depend on the bar. The call
//! keys its rows by `row_keys` (the ids of `--id-column`) when given.

use std::sync::Arc;

use lumen::engine::call_control::{CallControl, ControlScope, ProgressFn};

use crate::error::CliResult;
use crate::methods::{self, MethodName, Outcome, Request};

/// Runs `method` on `request`, showing progress over its rows of `source`, its rows keyed
/// by `row_keys` when given.
pub fn run<E: lumen::Element>(
    method: MethodName,
    request: &Request<'_, E>,
    source: &str,
    row_keys: Option<Vec<u64>>,
) -> CliResult<Outcome> {
    let message = format!("{} on {source}", method.cli_name());
    let keyed = |control: CallControl| match row_keys.clone() {
        Some(keys) => control.with_row_keys(keys),
        None => control,
    };
    if !crate::progress::visible() || request.rows < 2 {
        let spinner = crate::progress::spinner(format!("{message} ({} rows)", request.rows));
        let outcome = {
            let _scope = ControlScope::enter(Some(Arc::new(keyed(CallControl::new(None, None, None, None)))));
            methods::run(method, request)
        };
        spinner.finish_and_clear();
        return outcome;
    }
    let bar = crate::progress::counted(request.rows as u64, "rows", message);
    let (reporter, rows) = (bar.clone(), request.rows as f64);
    let progress: ProgressFn = Box::new(move |fraction| {
        reporter.set_position((fraction * rows).floor() as u64);
        true
    });
    let control = keyed(CallControl::new(None, None, Some(progress), None));
    let outcome = {
        let _scope = ControlScope::enter(Some(Arc::new(control)));
        methods::run(method, request)
    };
    bar.finish_and_clear();
    outcome
}
