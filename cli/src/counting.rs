//! Rows done on a long explanation: the engine explains all rows in one call (so that
//! results never depend on how rows are split), so progress is measured at the model: a
//! wrapper counts the model rows each call evaluates and turns them into explained rows
//! with the cost of one row, measured beforehand on the first row alone.

use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::ProgressBar;
use lumen::model::DeviceModel;
use lumen::{Model, ModelSignature};

/// A model that forwards every call to `inner` and moves `bar` by explained rows.
pub struct CountingModel<'a> {
    inner: &'a dyn Model,
    evaluated: AtomicU64,
    per_row: u64,
    rows: u64,
    bar: ProgressBar,
}

impl<'a> CountingModel<'a> {
    /// Counts for `rows` explained rows that cost about `per_row` model rows each.
    pub fn new(inner: &'a dyn Model, per_row: u64, rows: u64, bar: ProgressBar) -> Self {
        Self { inner, evaluated: AtomicU64::new(0), per_row: per_row.max(1), rows, bar }
    }

    /// Model rows evaluated so far.
    pub fn evaluated(&self) -> u64 {
        self.evaluated.load(Ordering::Relaxed)
    }

    /// Explained rows done by the count so far: whole rows' worth of model rows, never
    /// the last row before the engine returns.
    pub fn rows_done(&self) -> u64 {
        (self.evaluated() / self.per_row).min(self.rows.saturating_sub(1))
    }

    fn count(&self, rows: usize) {
        self.evaluated.fetch_add(rows as u64, Ordering::Relaxed);
        self.bar.set_position(self.rows_done());
    }
}

impl Model for CountingModel<'_> {
    fn signature(&self) -> &ModelSignature {
        self.inner.signature()
    }

    fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        let result = self.inner.predict(inputs, rows, outputs);
        self.count(rows);
        result
    }

    fn gradient(
        &self,
        inputs: &[f32],
        rows: usize,
        targets: &[u32],
        gradients: &mut [f32],
        outputs: Option<&mut [f32]>,
    ) -> lumen::Result<()> {
        let result = self.inner.gradient(inputs, rows, targets, gradients, outputs);
        self.count(rows);
        result
    }

    fn layer_gradient(
        &self,
        inputs: &[f32],
        rows: usize,
        targets: &[u32],
        activations: &mut [f32],
        gradients: &mut [f32],
    ) -> lumen::Result<()> {
        let result = self.inner.layer_gradient(inputs, rows, targets, activations, gradients);
        self.count(rows);
        result
    }

    fn device(&self) -> Option<&dyn DeviceModel> {
        self.inner.device()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lumen_models::german_credit::{GermanCredit, GermanCreditModel};

    #[test]
    fn counts_model_rows_and_converts_them_to_explained_rows() {
        let data = GermanCredit::shared();
        let counting = CountingModel::new(GermanCreditModel::shared(), 4, 3, ProgressBar::hidden());
        let mut outputs = [0.0; 5];
        counting.predict(data.encoded_range(0..5), 5, &mut outputs).expect("predicts");
        assert_eq!((counting.evaluated(), counting.rows_done()), (5, 1));
        counting.predict(data.encoded_range(0..5), 5, &mut outputs).expect("predicts");
        // 10 model rows are 2.5 rows' worth; the last of 3 rows waits for the engine.
        assert_eq!(counting.rows_done(), 2);
        counting.predict(data.encoded_range(0..5), 5, &mut outputs).expect("predicts");
        assert_eq!(counting.rows_done(), 2);
        let mut direct = [0.0; 5];
        GermanCreditModel::shared().predict(data.encoded_range(0..5), 5, &mut direct).expect("predicts");
        assert_eq!(outputs, direct);
    }
}
