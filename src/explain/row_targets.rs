//! Per-row targets (Captum's `target` list): each explained row explains its own output.
//!
//! The call's rows are grouped by target and each group is explained by one sub-call with
//! that single target, under a control that keeps the rows' keys and the call's stopping
//! state and progress. Since a row's explanation depends only on its own values, its key and
//! the seed, the result equals one call per row, bit for bit, for every method; a group
//! costs the model rows its method spends on shared work (a baseline, a background) once.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::element::Element;
use crate::engine::call_control::{self, CallControl, ControlScope};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::explanation::{Explanation, Values, SAMPLING_KEY};
use crate::model::{Model, ModelSignature};

/// A method's parameters that per-row targets can split by target.
pub(crate) trait Targeted: Clone {
    /// The outputs the parameters explain for every row, as the caller gave them.
    fn targets(&self) -> Option<&[u32]>;
    /// These parameters for the rows of `group` alone (rows of `row_len` elements; per-row
    /// baselines follow their rows), explaining `group.target`.
    fn for_group(&self, group: &TargetGroup<'_>, row_len: usize) -> Self;
}

/// A method's entry point: `(engine, model, inputs, rows, params)`.
pub(crate) type MethodFn<E, P> = fn(&Engine, &dyn Model<E>, &[E], usize, &P) -> Result<Explanation>;

/// [`explain_by_row_target`] for a method whose parameters are [`Targeted`]: each group is
/// explained by `method` itself (under the group's sub-control, which has no per-row
/// targets, so the call does not recurse).
pub(crate) fn by_row_target<E: Element, P: Targeted>(
    engine: &Engine,
    model: &dyn Model<E>,
    inputs: &[E],
    rows: usize,
    params: &P,
    method: MethodFn<E, P>,
) -> Result<Option<Explanation>> {
    let row_len = model.signature().input_len();
    explain_by_row_target(model.signature(), inputs, rows, params.targets(), |x, group| {
        method(engine, model, x, group.rows.len(), &params.for_group(group, row_len))
    })
}

/// One group of a call's rows sharing a target: the indices of its rows and its target.
pub(crate) struct TargetGroup<'a> {
    /// The call's rows in this group, ascending.
    pub rows: &'a [usize],
    /// The output they explain.
    pub target: u32,
}

/// Explains the call's rows by their own targets when the calling thread's call has
/// per-row targets (`None` otherwise: the method then runs as usual). `explain` explains
/// the rows of one group (their inputs, gathered in order) with that group's target; its
/// method must take no `targets` of its own (`shared_targets` is `None`).
pub(crate) fn explain_by_row_target<E: Element>(
    signature: &ModelSignature,
    inputs: &[E],
    rows: usize,
    shared_targets: Option<&[u32]>,
    explain: impl Fn(&[E], &TargetGroup<'_>) -> Result<Explanation>,
) -> Result<Option<Explanation>> {
    let Some(control) = call_control::current() else { return Ok(None) };
    let Some(row_targets) = control.row_targets() else { return Ok(None) };
    super::check_rows(signature, inputs, rows)?;
    if shared_targets.is_some() {
        return Err(Error::invalid(
            "targets",
            "is set together with the call's row_targets: give the outputs to explain for all rows or one per row, not both",
        ));
    }
    let row_targets = checked(signature, row_targets, rows)?.to_vec();
    // Each group's sub-call takes its rows' keys: the keys must cover the call's rows.
    if let Some(keys) = control.row_keys() {
        crate::engine::row_keys::check_row_keys(keys, rows)?;
    }
    let mut groups: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (row, &target) in row_targets.iter().enumerate() {
        groups.entry(target).or_default().push(row);
    }
    let row_len = signature.input_len();
    let mut parts = Vec::with_capacity(groups.len());
    for (&target, group_rows) in &groups {
        let x: Vec<E> = group_rows.iter().flat_map(|&r| &inputs[r * row_len..(r + 1) * row_len]).copied().collect();
        let sub_control = Arc::new(CallControl::for_rows(&control, group_rows));
        let part = {
            let _scope = ControlScope::enter(Some(sub_control));
            explain(&x, &TargetGroup { rows: group_rows, target })?
        };
        parts.push((group_rows.as_slice(), part));
    }
    merge(rows, row_targets, &parts).map(Some)
}

/// Refuses per-row targets for `method`, which takes its target in its own options.
pub(crate) fn refuse_row_targets(method: &str, instead: &str) -> Result<()> {
    if call_control::current().is_some_and(|c| c.row_targets().is_some()) {
        return Err(Error::invalid("control.row_targets", format!("{method} takes no per-row targets: {instead}")));
    }
    Ok(())
}

/// The per-row targets checked against the model and the row count.
fn checked<'t>(signature: &ModelSignature, row_targets: &'t [u32], rows: usize) -> Result<&'t [u32]> {
    if row_targets.len() != rows {
        return Err(Error::length("control.row_targets", row_targets.len(), format!("one output per row ({rows})")));
    }
    if let Some((row, &t)) = row_targets.iter().enumerate().find(|(_, &t)| t as usize >= signature.output_len) {
        return Err(Error::invalid(
            "control.row_targets",
            format!("row {row}'s target is {t}, expected an output index < {}", signature.output_len),
        ));
    }
    Ok(row_targets)
}

/// One explanation of `rows` rows from the groups' explanations, each row back in its place.
fn merge(rows: usize, row_targets: Vec<u32>, parts: &[(&[usize], Explanation)]) -> Result<Explanation> {
    let first = &parts.first().ok_or_else(|| Error::invalid("rows", "is 0, expected at least one row"))?.1;
    let features = first.features;
    let element = first.audit.element_type;
    let mut attributions = vec![0.0; rows * features];
    let mut predictions = vec![0.0; rows];
    let mut base_values = vec![0.0; rows];
    let with_errors = parts.iter().all(|(_, e)| e.standard_errors.is_some());
    let mut standard_errors = with_errors.then(|| vec![0.0; rows * features]);
    let mut diagnostics = vec![first.diagnostics[0].clone(); rows];
    let mut sampling = vec![serde_json::Value::Null; rows];
    let mut keys = first.audit.row_keys.clone().map(|mut k| {
        k.keys = vec![0; rows];
        k
    });
    let mut model_rows = 0;
    for (group_rows, part) in parts {
        for (i, &row) in group_rows.iter().enumerate() {
            attributions[row * features..(row + 1) * features].copy_from_slice(part.row_attributions(i, 0));
            predictions[row] = part.predictions[i];
            base_values[row] = part.base_values[i];
            if let (Some(all), Some(own)) = (standard_errors.as_mut(), part.standard_errors.as_ref()) {
                all[row * features..(row + 1) * features].copy_from_slice(&own[i * features..(i + 1) * features]);
            }
            diagnostics[row] = part.diagnostics[i].clone();
            sampling[row] = part.parameters.get(SAMPLING_KEY).and_then(|s| s.get(i)).cloned().unwrap_or_default();
            if let (Some(all), Some(own)) = (keys.as_mut(), part.audit.row_keys.as_ref()) {
                all.keys[row] = own.keys[i];
            }
        }
        model_rows += part.audit.model_rows_evaluated;
    }
    let mut parameters = first.parameters.clone();
    parameters["targets"] = serde_json::Value::Null;
    parameters["row_targets"] = serde_json::json!(row_targets);
    if first.parameters.get(SAMPLING_KEY).is_some() {
        parameters[SAMPLING_KEY] = serde_json::Value::Array(sampling);
    }
    let mut audit = first.audit.clone();
    audit.model_rows_evaluated = model_rows;
    audit.row_keys = keys;
    Ok(Explanation {
        parameters,
        audit,
        rows,
        outputs: Vec::new(),
        row_targets: Some(row_targets),
        attributions: Values::rounded_to(element, attributions),
        predictions: Values::rounded_to(element, predictions),
        base_values: Values::rounded_to(element, base_values),
        standard_errors: standard_errors.map(|e| Values::rounded_to(element, e)),
        diagnostics,
        ..first.clone()
    })
}
