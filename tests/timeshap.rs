//! TimeSHAP: pruning, event/feature/cell levels against brute-force Shapley values from
//! the definition, local accuracy, the state-carrying path, determinism and bad input.

mod common;

use lumen::explain::timeshap::{
    timeshap_cell, timeshap_event, timeshap_feature, timeshap_global, timeshap_local, timeshap_prune, CellRelevance,
    GlobalParams, Player, SequenceBackground, TimeShapExplanation, TimeShapParams,
};
use lumen::model::{SequenceModel, SequenceSignature};
use lumen::{Engine, ErrorKind};

/// A small Elman RNN: h_t = tanh(W x_t + U h_{t−1} + b), f = σ(v · h_L + c). The state
/// methods run the very same step, so both paths give bit-identical outputs.
struct TinyRnn {
    signature: SequenceSignature,
    w: Vec<f32>,
    u: Vec<f32>,
    b: Vec<f32>,
    v: Vec<f32>,
}

const HIDDEN: usize = 4;

impl TinyRnn {
    fn new(features: usize, with_state: bool) -> Self {
        let mut signature = SequenceSignature::new(features, 1);
        signature.state_len = with_state.then_some(HIDDEN);
        signature.max_batch_rows = Some(17);
        Self {
            signature,
            w: common::values(HIDDEN * features, 11),
            u: common::values(HIDDEN * HIDDEN, 12).iter().map(|v| v * 0.6).collect(),
            b: common::values(HIDDEN, 13),
            v: common::values(HIDDEN, 14).iter().map(|v| v * 2.0).collect(),
        }
    }

    fn run(&self, h: &mut [f32], events: &[f32]) {
        let f = self.signature.features;
        for x in events.chunks_exact(f) {
            let previous = h.to_vec();
            for (i, hi) in h.iter_mut().enumerate() {
                let mut s = self.b[i];
                s += (0..f).map(|j| self.w[i * f + j] * x[j]).sum::<f32>();
                s += (0..HIDDEN).map(|k| self.u[i * HIDDEN + k] * previous[k]).sum::<f32>();
                *hi = s.tanh();
            }
        }
    }

    fn head(&self, h: &[f32]) -> f32 {
        let z: f32 = h.iter().zip(&self.v).map(|(a, b)| a * b).sum::<f32>() + 0.1;
        1.0 / (1.0 + (-z).exp())
    }
}

impl SequenceModel for TinyRnn {
    fn signature(&self) -> &SequenceSignature {
        &self.signature
    }
    fn predict(&self, inputs: &[f32], rows: usize, seq_len: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        let n = seq_len * self.signature.features;
        for (x, out) in inputs.chunks_exact(n).zip(outputs.iter_mut()).take(rows) {
            let mut h = [0.0f32; HIDDEN];
            self.run(&mut h, x);
            *out = self.head(&h);
        }
        Ok(())
    }
    fn run_prefix(
        &self,
        initial: Option<&[f32]>,
        inputs: &[f32],
        rows: usize,
        seq_len: usize,
        states: &mut [f32],
    ) -> lumen::Result<()> {
        let n = seq_len * self.signature.features;
        for r in 0..rows {
            let h = &mut states[r * HIDDEN..(r + 1) * HIDDEN];
            match initial {
                Some(init) => h.copy_from_slice(&init[r * HIDDEN..(r + 1) * HIDDEN]),
                None => h.fill(0.0),
            }
            self.run(h, &inputs[r * n..(r + 1) * n]);
        }
        Ok(())
    }
    fn predict_from_state(
        &self,
        states: &[f32],
        inputs: &[f32],
        rows: usize,
        seq_len: usize,
        outputs: &mut [f32],
    ) -> lumen::Result<()> {
        let n = seq_len * self.signature.features;
        for r in 0..rows {
            let mut h = [0.0f32; HIDDEN];
            h.copy_from_slice(&states[r * HIDDEN..(r + 1) * HIDDEN]);
            self.run(&mut h, &inputs[r * n..(r + 1) * n]);
            outputs[r] = self.head(&h);
        }
        Ok(())
    }
}

/// Depends only on the last `k` events: tanh(Σ w·x over them) plus an interaction of the
/// last two events.
struct LastK {
    signature: SequenceSignature,
    k: usize,
}

impl SequenceModel for LastK {
    fn signature(&self) -> &SequenceSignature {
        &self.signature
    }
    fn predict(&self, inputs: &[f32], rows: usize, seq_len: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        let f = self.signature.features;
        for (x, out) in inputs.chunks_exact(seq_len * f).zip(outputs.iter_mut()).take(rows) {
            let recent = &x[(seq_len - self.k.min(seq_len)) * f..];
            let s: f32 = recent.iter().enumerate().map(|(i, v)| v * (0.3 + 0.1 * (i % 5) as f32)).sum();
            *out = s.tanh() + x[(seq_len - 1) * f] * x[(seq_len - 2) * f + 1];
        }
        Ok(())
    }
}

/// A model that writes NaN, or fails, on every call.
struct Broken {
    signature: SequenceSignature,
    nan: bool,
}

impl SequenceModel for Broken {
    fn signature(&self) -> &SequenceSignature {
        &self.signature
    }
    fn predict(&self, _: &[f32], _: usize, _: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        if self.nan {
            outputs.fill(f32::NAN);
            Ok(())
        } else {
            Err(lumen::Error::new(ErrorKind::ModelFailed, "model: test failure"))
        }
    }
}

/// Wraps a model with a batch limit it enforces and a count of every row it was handed.
struct Counted {
    inner: TinyRnn,
    rows: std::sync::atomic::AtomicU64,
}

impl Counted {
    fn new(limit: usize) -> Self {
        let mut inner = TinyRnn::new(2, true);
        inner.signature.max_batch_rows = Some(limit);
        Self { inner, rows: Default::default() }
    }

    fn take(&self, rows: usize) -> lumen::Result<()> {
        assert!(rows <= self.inner.signature.max_batch_rows.unwrap(), "batch of {rows} rows over the limit");
        self.rows.fetch_add(rows as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
}

impl SequenceModel for Counted {
    fn signature(&self) -> &SequenceSignature {
        self.inner.signature()
    }
    fn predict(&self, inputs: &[f32], rows: usize, seq_len: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        self.take(rows)?;
        self.inner.predict(inputs, rows, seq_len, outputs)
    }
    fn run_prefix(
        &self,
        initial: Option<&[f32]>,
        inputs: &[f32],
        rows: usize,
        seq_len: usize,
        states: &mut [f32],
    ) -> lumen::Result<()> {
        self.take(rows)?;
        self.inner.run_prefix(initial, inputs, rows, seq_len, states)
    }
    fn predict_from_state(
        &self,
        states: &[f32],
        inputs: &[f32],
        rows: usize,
        seq_len: usize,
        outputs: &mut [f32],
    ) -> lumen::Result<()> {
        self.take(rows)?;
        self.inner.predict_from_state(states, inputs, rows, seq_len, outputs)
    }
}

fn sequence(seq_len: usize, features: usize, seed: u64) -> Vec<f32> {
    common::values(seq_len * features, seed).iter().map(|v| v * 1.5).collect()
}

fn params(features: usize) -> TimeShapParams {
    TimeShapParams::new(SequenceBackground::Event(vec![0.1; features]))
}

/// Exact Shapley values from the definition for players given as a cell → player map
/// (cells whose player is off take the background's values).
fn brute_force(model: &dyn SequenceModel, x: &[f32], bg: &[f32], seq_len: usize, map: &[usize], m: usize) -> Vec<f64> {
    let value = |mask: usize| {
        let row: Vec<f32> =
            x.iter().zip(bg).zip(map).map(|((&xv, &bv), &p)| if mask >> p & 1 == 1 { xv } else { bv }).collect();
        let mut out = [0.0f32];
        model.predict(&row, 1, seq_len, &mut out).unwrap();
        f64::from(out[0])
    };
    let values: Vec<f64> = (0..1usize << m).map(value).collect();
    common::brute_force_shapley(&values, m)
}

/// The cell → player map of an explanation's players on a sequence of `seq_len × f`.
fn cell_map(explanation: &TimeShapExplanation, seq_len: usize, f: usize) -> Vec<usize> {
    let players = &explanation.players;
    let split = explanation.pruning.split();
    let find = |wanted: &Player| players.iter().position(|p| p == wanted).unwrap();
    (0..seq_len * f)
        .map(|c| {
            let (event, feature) = (c / f, c % f);
            if event < split {
                return find(&Player::PrunedEvents);
            }
            players
                .iter()
                .position(|p| match *p {
                    Player::Event { event: e } => e == event,
                    Player::Feature { feature: j } => j == feature,
                    Player::Cell { event: e, feature: j } => e == event && j == feature,
                    _ => false,
                })
                .or_else(|| players.iter().position(|p| *p == Player::OtherFeaturesOfEvent { event }))
                .or_else(|| players.iter().position(|p| *p == Player::OtherEventsOfFeature { feature }))
                .unwrap_or_else(|| find(&Player::OtherCells))
        })
        .collect()
}

fn assert_matches_brute_force(model: &dyn SequenceModel, x: &[f32], explanation: &TimeShapExplanation, tol: f64) {
    let (seq_len, f) = (explanation.pruning.sequence_len, model.signature().features);
    let bg = vec![0.1f32; seq_len * f];
    let map = cell_map(explanation, seq_len, f);
    let expected = brute_force(model, x, &bg, seq_len, &map, explanation.players.len());
    assert!(explanation.exact);
    for (i, (&got, want)) in explanation.values().iter().zip(&expected).enumerate() {
        assert!((got - want).abs() < tol, "player {i} ({:?}): {got} vs {want}", explanation.players[i]);
    }
}

fn assert_local_accuracy(explanation: &TimeShapExplanation, tol: f64) {
    let e = &explanation.explanation;
    let sum: f64 = explanation.values().iter().sum();
    let total = e.predictions[0] - e.base_values[0];
    assert!((sum - total).abs() < tol, "Σφ = {sum}, f(x) − base = {total}");
    assert!(e.diagnostics[0].completeness_gap.as_ref().unwrap()[0].abs() < tol);
}

backend_tests! {
    fn pruning_keeps_exactly_the_events_the_model_reads(backend) {
        let Some(engine) = common::engine(backend, 2) else { return };
        for k in [1, 3, 6] {
            let model = LastK { signature: SequenceSignature::new(3, 1), k };
            let x = sequence(15, 3, 5);
            let mut p = params(3);
            p.tolerance = Some(0.0);
            let pruning = timeshap_prune(&engine, &model, &x, 15, &p, false).unwrap();
            assert_eq!(pruning.pruned_len, k.clamp(2, 15), "k = {k}");
            assert_eq!(pruning.split(), 15 - pruning.pruned_len);
            // The walk stops there: one point per split from L − 1 back to the pruned one.
            assert_eq!(pruning.curve.len(), pruning.pruned_len);
            let last = pruning.curve.last().unwrap();
            assert_eq!(last.older_value, 0.0);
            assert!(pruning.curve[..pruning.curve.len() - 1].iter().all(|p| p.older_value.abs() > 0.0));
            for point in &pruning.curve {
                let total = pruning.prediction - pruning.base;
                assert!((point.older_value + point.newer_value - total).abs() < 1e-12);
            }
        }
    }

    fn full_curve_gives_the_pruned_length_of_every_tolerance(backend) {
        let Some(engine) = common::engine(backend, 2) else { return };
        let model = TinyRnn::new(2, false);
        let x = sequence(12, 2, 8);
        let mut p = params(2);
        p.tolerance = Some(1e-3);
        let full = timeshap_prune(&engine, &model, &x, 12, &p, true).unwrap();
        assert_eq!(full.curve.len(), 11);
        assert_eq!(full.curve.iter().map(|p| p.split).collect::<Vec<_>>(), (1..12).rev().collect::<Vec<_>>());
        let walked = timeshap_prune(&engine, &model, &x, 12, &p, false).unwrap();
        assert_eq!(walked.pruned_len, full.pruned_len);
        assert_eq!(&full.curve[..walked.curve.len()], &walked.curve[..]);
        for eta in [0.0, 1e-4, 1e-3, 1e-2, 0.1, 1.0] {
            let expected = full.curve.iter().find(|p| p.older_value.abs() <= eta).map_or(12, |p| p.newer_len);
            assert_eq!(full.pruned_len_at(eta), Some(expected));
        }
        // Monotone: a larger tolerance never keeps more events.
        let lens: Vec<usize> = [0.0, 1e-4, 1e-3, 1e-2, 0.1].iter().map(|&e| full.pruned_len_at(e).unwrap()).collect();
        assert!(lens.windows(2).all(|w| w[1] <= w[0]), "{lens:?}");
    }

    fn event_level_equals_brute_force_shapley(backend) {
        let Some(engine) = common::engine(backend, 2) else { return };
        let model = TinyRnn::new(3, false);
        let x = sequence(6, 3, 21);
        let explanation = timeshap_event(&engine, &model, &x, 6, &params(3)).unwrap();
        assert_eq!(explanation.players.len(), 6);
        assert_eq!(explanation.players[0], Player::Event { event: 5 });
        assert_eq!(explanation.explanation.feature_names.as_ref().unwrap()[0], "Event -1");
        assert_matches_brute_force(&model, &x, &explanation, 1e-5);
        assert_local_accuracy(&explanation, 1e-5);
    }

    fn feature_level_equals_brute_force_shapley(backend) {
        let Some(engine) = common::engine(backend, 2) else { return };
        let mut model = TinyRnn::new(4, false);
        model.signature.feature_names = Some(["amount", "location", "ip", "age"].map(String::from).to_vec());
        let x = sequence(5, 4, 22);
        let explanation = timeshap_feature(&engine, &model, &x, 5, &params(4)).unwrap();
        assert_eq!(explanation.players.len(), 4);
        assert_eq!(explanation.explanation.feature_names.as_ref().unwrap()[2], "ip");
        assert_matches_brute_force(&model, &x, &explanation, 1e-5);
    }

    fn pruned_levels_equal_brute_force_with_the_lumped_player(backend) {
        let Some(engine) = common::engine(backend, 2) else { return };
        let model = TinyRnn::new(2, false);
        let x = sequence(10, 2, 23);
        let mut p = params(2);
        let curve = timeshap_prune(&engine, &model, &x, 10, &p, true).unwrap();
        // A tolerance that prunes to 4 events: the value of the older part at split 6.
        p.tolerance = Some(curve.curve.iter().find(|c| c.split == 6).unwrap().older_value.abs() * 1.000001);
        let event = timeshap_event(&engine, &model, &x, 10, &p).unwrap();
        assert!(event.pruning.pruned_len <= 4 && event.pruning.pruned_len >= 1);
        assert_eq!(event.players.last(), Some(&Player::PrunedEvents));
        assert_eq!(event.players.len(), event.pruning.pruned_len + 1);
        assert_matches_brute_force(&model, &x, &event, 1e-5);
        assert_local_accuracy(&event, 1e-5);
        let feature = timeshap_feature(&engine, &model, &x, 10, &p).unwrap();
        assert_eq!(feature.players.len(), 3);
        assert_matches_brute_force(&model, &x, &feature, 1e-5);
        assert_local_accuracy(&feature, 1e-5);
    }

    fn cell_level_groups_keep_local_accuracy(backend) {
        let Some(engine) = common::engine(backend, 2) else { return };
        let model = TinyRnn::new(3, false);
        let x = sequence(9, 3, 24);
        let mut p = params(3);
        p.tolerance = Some(0.02);
        for relevance in [
            CellRelevance::TopK { events: 2, features: 1 },
            CellRelevance::TopK { events: 3, features: 3 },
            CellRelevance::Threshold { events: 0.01, features: 0.01 },
            CellRelevance::Threshold { events: 10.0, features: 10.0 },
        ] {
            let report = timeshap_local(&engine, &model, &x, 9, &p, &relevance).unwrap();
            let cell = &report.cell;
            assert_local_accuracy(cell, 1e-5);
            assert_matches_brute_force(&model, &x, cell, 1e-5);
            // The three levels explain the same difference f(x) − base.
            for level in [&report.event, &report.feature] {
                assert!((level.explanation.predictions[0] - cell.explanation.predictions[0]).abs() < 1e-6);
                assert!((level.explanation.base_values[0] - cell.explanation.base_values[0]).abs() < 1e-6);
            }
            let cells = cell.players.iter().filter(|p| matches!(p, Player::Cell { .. })).count();
            match relevance {
                CellRelevance::TopK { events, features } => {
                    let kept = report.pruning.pruned_len;
                    assert_eq!(cells, events.min(kept) * features.min(3), "{relevance:?}");
                }
                CellRelevance::Threshold { events, .. } if events > 1.0 => {
                    assert_eq!(cells, 0);
                    assert!(cell.players.contains(&Player::OtherCells) || cell.players.len() == 1);
                }
                CellRelevance::Threshold { .. } => {}
            }
            assert_eq!(cell.players.contains(&Player::PrunedEvents), report.pruning.pruned_len < 9);
        }
        let only_cells = timeshap_cell(&engine, &model, &x, 9, &p, &CellRelevance::TopK { events: 2, features: 2 });
        assert_local_accuracy(&only_cells.unwrap(), 1e-5);
    }

    fn state_path_gives_the_values_of_full_re_evaluation(backend) {
        let Some(engine) = common::engine(backend, 2) else { return };
        let with_state = TinyRnn::new(3, true);
        let without = TinyRnn::new(3, false);
        let x = sequence(40, 3, 25);
        let mut p = params(3);
        p.tolerance = Some(0.005);
        let a = timeshap_prune(&engine, &with_state, &x, 40, &p, true).unwrap();
        let b = timeshap_prune(&engine, &without, &x, 40, &p, true).unwrap();
        assert!(a.used_state && !b.used_state);
        assert_eq!(a.pruned_len, b.pruned_len);
        assert!(a.pruned_len < 40, "the test needs some pruning");
        for (pa, pb) in a.curve.iter().zip(&b.curve) {
            assert!((pa.older_value - pb.older_value).abs() < 1e-9, "{pa:?} vs {pb:?}");
        }
        // The state path runs far fewer events, not fewer coalitions.
        let relevance = CellRelevance::TopK { events: 2, features: 2 };
        let sa = timeshap_local(&engine, &with_state, &x, 40, &p, &relevance).unwrap();
        let sb = timeshap_local(&engine, &without, &x, 40, &p, &relevance).unwrap();
        for (ea, eb) in [(&sa.event, &sb.event), (&sa.feature, &sb.feature), (&sa.cell, &sb.cell)] {
            assert_eq!(ea.players, eb.players);
            for (va, vb) in ea.values().iter().zip(eb.values()) {
                assert!((va - vb).abs() < 1e-6, "{va} vs {vb}");
            }
        }
        // Turning the state path off on a stateful model is full re-evaluation too.
        p.use_state = false;
        let c = timeshap_prune(&engine, &with_state, &x, 40, &p, true).unwrap();
        assert!(!c.used_state);
        assert_eq!(c.curve, b.curve);
    }

    fn sampled_values_keep_local_accuracy_and_report_errors(backend) {
        let Some(engine) = common::engine(backend, 2) else { return };
        let model = TinyRnn::new(2, true);
        let x = sequence(24, 2, 26);
        let mut p = params(2);
        p.budget = 600;
        let explanation = timeshap_event(&engine, &model, &x, 24, &p).unwrap();
        assert!(!explanation.exact);
        assert_local_accuracy(&explanation, 1e-5);
        let errors = explanation.explanation.standard_errors.as_ref().unwrap();
        assert!(errors.iter().any(|&e| e > 0.0));
        let json = explanation.explanation.to_json().unwrap();
        for key in ["\"method\":\"time_shap\"", "\"pruning\"", "\"pruned_len\"", "\"curve\"", "\"seed\":7", "\"exact\":false"] {
            assert!(json.contains(key), "{key} missing from {json}");
        }
        assert!(explanation.explanation.audit.model_rows_evaluated >= 600);
    }

    fn results_do_not_depend_on_thread_count(backend) {
        let (Some(one), Some(four)) = (common::engine(backend, 1), common::engine(backend, 4)) else { return };
        let mut model = TinyRnn::new(2, false);
        model.signature.concurrent = true;
        let x = sequence(20, 2, 27);
        let mut p = params(2);
        p.budget = 500;
        p.tolerance = Some(1e-4);
        let relevance = CellRelevance::TopK { events: 3, features: 1 };
        let a = timeshap_local(&one, &model, &x, 20, &p, &relevance).unwrap();
        let b = timeshap_local(&four, &model, &x, 20, &p, &relevance).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.event.explanation.to_json().unwrap(), b.event.explanation.to_json().unwrap());
    }

    fn global_report_summarises_many_sequences(backend) {
        let Some(engine) = common::engine(backend, 2) else { return };
        let model = TinyRnn::new(2, true);
        let lengths = [6usize, 9, 12, 7];
        let data: Vec<f32> =
            lengths.iter().enumerate().flat_map(|(i, &l)| sequence(l, 2, 40 + i as u64)).collect();
        let mut local = params(2);
        local.tolerance = Some(0.01);
        local.budget = 200;
        let mut global = GlobalParams::new(local, vec![0.0, 0.01, 0.05]);
        global.seeds = 3;
        let report = timeshap_global(&engine, &model, &data, &lengths, &global).unwrap();
        assert_eq!(report.sequences, 4);
        assert_eq!(report.event_importance[0].distance, 0);
        assert_eq!(report.event_importance[0].summary.count, 4);
        assert_eq!(report.feature_importance.len(), 2);
        assert!(report.feature_importance.iter().all(|f| f.values.len() == 4));
        assert_eq!(report.pruning_table.len(), 3);
        let lens: Vec<f64> = report.pruning_table.iter().map(|r| r.mean_len).collect();
        assert!(lens.windows(2).all(|w| w[1] <= w[0]), "{lens:?}");
        assert_eq!(report.pruning_table[0].max_len, 12, "η = 0 prunes nothing on an RNN");
        for row in &report.pruning_table {
            assert!((0.0..=1.0).contains(&row.exact_share));
            assert!(row.relative_std >= 0.0);
            if row.exact_share == 1.0 {
                assert_eq!(row.relative_std, 0.0);
            }
        }
        // η = 0 keeps 12 events of the longest: 2^12 − 2 > 200, so that one is sampled.
        assert!(report.pruning_table[0].exact_share < 1.0);
        assert!(report.pruning_table[0].relative_std > 0.0);
        // Per-sequence event values agree with the local explanation of each sequence.
        let first = timeshap_event(&engine, &model, &data[..12], 6, &global.local).unwrap();
        let most_recent = first.values()[0];
        assert!(report.event_importance[0].summary.min <= most_recent + 1e-9);
        assert!(report.to_json().unwrap().contains("\"pruning_table\""));
    }

    fn batch_limits_hold_and_every_model_row_is_counted(backend) {
        let Some(engine) = common::engine(backend, 2) else { return };
        let x = sequence(16, 2, 32);
        for (limit, use_state) in [(1, true), (1, false), (3, true)] {
            let model = Counted::new(limit);
            let mut p = params(2);
            p.tolerance = Some(0.005);
            p.use_state = use_state;
            let explanation = timeshap_event(&engine, &model, &x, 16, &p).unwrap();
            assert_eq!(explanation.pruning.used_state, use_state);
            let seen = model.rows.load(std::sync::atomic::Ordering::Relaxed);
            assert_eq!(explanation.explanation.audit.model_rows_evaluated, seen);
            assert_eq!(explanation.explanation.diagnostics[0].model_rows_evaluated, seen);
            assert!(explanation.pruning.model_rows_evaluated < seen);
        }
    }

    fn fixed_pruning_index_equals_the_tolerance_run_that_lands_on_it(backend) {
        let Some(engine) = common::engine(backend, 2) else { return };
        let model = TinyRnn::new(2, true);
        let x = sequence(10, 2, 23);
        let mut p = params(2);
        let curve = timeshap_prune(&engine, &model, &x, 10, &p, true).unwrap();
        // A tolerance just above |φ_older| at split 6 prunes to at most 4 events.
        p.tolerance = Some(curve.curve.iter().find(|c| c.split == 6).unwrap().older_value.abs() * 1.000001);
        let relevance = CellRelevance::TopK { events: 2, features: 1 };
        for budget in [lumen::explain::timeshap::DEFAULT_BUDGET, 12] {
            p.budget = budget;
            let by_tolerance = timeshap_local(&engine, &model, &x, 10, &p, &relevance).unwrap();
            let kept = by_tolerance.pruning.pruned_len;
            assert!((1..10).contains(&kept), "the tolerance prunes: kept {kept}");
            let mut fixed = p.clone();
            fixed.tolerance = None;
            fixed.pruning_index = Some(-(kept as i64));
            let by_index = timeshap_local(&engine, &model, &x, 10, &fixed, &relevance).unwrap();
            assert_eq!(by_index.pruning.pruned_len, kept);
            assert_eq!(by_index.pruning.fixed_index, Some(-(kept as i64)));
            assert_eq!(by_index.pruning.pruning_index(), by_tolerance.pruning.pruning_index());
            // No walk: only f(x) and f(background) were evaluated for the pruning.
            assert!(by_index.pruning.curve.is_empty());
            assert_eq!(by_index.pruning.model_rows_evaluated, 2);
            assert_eq!(by_index.pruning.prediction.to_bits(), by_tolerance.pruning.prediction.to_bits());
            for (a, b) in [
                (&by_tolerance.event, &by_index.event),
                (&by_tolerance.feature, &by_index.feature),
                (&by_tolerance.cell, &by_index.cell),
            ] {
                assert_eq!(a.players, b.players);
                assert_eq!(a.exact, b.exact);
                let bits = |e: &TimeShapExplanation| e.values().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(a), bits(b), "budget {budget}, {:?} level", a.level);
                assert_eq!(a.explanation.predictions, b.explanation.predictions);
                assert_eq!(a.explanation.base_values, b.explanation.base_values);
                assert_eq!(a.explanation.standard_errors, b.explanation.standard_errors);
            }
        }
        // -L keeps every event: the unpruned explanation, without the lumped player.
        let mut all = params(2);
        all.pruning_index = Some(-10);
        let kept_all = timeshap_event(&engine, &model, &x, 10, &all).unwrap();
        let unpruned = timeshap_event(&engine, &model, &x, 10, &params(2)).unwrap();
        assert_eq!(kept_all.values(), unpruned.values());
        assert!(!kept_all.players.contains(&Player::PrunedEvents));
        // The full curve beside a fixed index keeps the index's pruned length.
        all.pruning_index = Some(-3);
        let with_curve = timeshap_prune(&engine, &model, &x, 10, &all, true).unwrap();
        assert_eq!((with_curve.pruned_len, with_curve.curve), (3, curve.curve));
    }

    fn timeshap_curve_has_both_end_points(backend) {
        let Some(engine) = common::engine(backend, 2) else { return };
        let model = TinyRnn::new(2, false);
        let x = sequence(7, 2, 40);
        let mut p = params(2);
        p.tolerance = Some(0.05);
        let full = timeshap_prune(&engine, &model, &x, 7, &p, true).unwrap();
        let points = full.timeshap_curve().unwrap();
        assert_eq!(points.iter().map(|q| q.t).collect::<Vec<_>>(), vec![0, -1, -2, -3, -4, -5, -6, -7]);
        let total = full.prediction - full.base;
        assert_eq!((points[0].older_value, points[0].newer_value), (total, 0.0));
        assert_eq!((points[7].older_value, points[7].newer_value), (0.0, total));
        for (q, lumen_point) in points[1..7].iter().zip(&full.curve) {
            assert_eq!(q.t, lumen_point.split as i64 - 7);
            assert_eq!(-q.t, lumen_point.newer_len as i64);
            assert_eq!((q.older_value, q.newer_value), (lumen_point.older_value, lumen_point.newer_value));
        }
        for q in &points {
            assert!((q.older_value + q.newer_value - total).abs() < 1e-12);
        }
        // timeshap's pruning_idx: the first t (from -1 back) with |φ_older| <= η, else -L.
        let expected = points[1..].iter().find(|q| q.older_value.abs() <= 0.05).map_or(-7, |q| q.t);
        assert_eq!(full.pruning_index(), expected);
        assert_eq!(full.pruning_index(), -(full.pruned_len as i64));
        // A walk that stopped early has no whole curve to give.
        let mut stop = params(2);
        stop.tolerance = Some(1e9);
        let walked = timeshap_prune(&engine, &model, &x, 7, &stop, false).unwrap();
        assert_eq!(walked.curve.len(), 1);
        assert_eq!(walked.timeshap_curve(), None);
    }

    fn timeshap_names_follow_the_package(backend) {
        let Some(engine) = common::engine(backend, 2) else { return };
        let mut model = TinyRnn::new(2, false);
        model.signature.feature_names = Some(["amount", "ip"].map(String::from).to_vec());
        let x = sequence(6, 2, 41);
        let mut p = params(2);
        p.pruning_index = Some(-3);
        let report = timeshap_local(&engine, &model, &x, 6, &p, &CellRelevance::TopK { events: 1, features: 1 }).unwrap();
        assert_eq!(report.event.timeshap_names, ["Event -1", "Event -2", "Event -3", "Pruned Events"]);
        assert_eq!(report.event.players[0].timeshap_event(6), Some(-1));
        assert_eq!(report.event.players[2], Player::Event { event: 3 });
        assert_eq!(report.event.players[2].timeshap_event(6), Some(-3));
        assert_eq!(Player::PrunedEvents.timeshap_event(6), None);
        assert_eq!(report.feature.timeshap_names, ["amount", "ip", "Pruned Events"]);
        let cell = &report.cell;
        let Player::Cell { event, feature } = cell.players[0] else { panic!("{:?}", cell.players) };
        let name = ["amount", "ip"][feature];
        assert_eq!(cell.timeshap_names[0], format!("(Event -{}, {name})", 6 - event));
        let other = ["amount", "ip"][1 - feature];
        let expected: Vec<String> = vec![
            format!("(Event -{}, {name})", 6 - event),
            format!("(Event -{}, Other Features)", 6 - event),
            format!("(Other Events, {name})"),
            "(Other Events, Other Features)".to_owned(),
            "(Pruned Events, Pruned Events)".to_owned(),
        ];
        assert_eq!(cell.timeshap_names, expected, "other feature {other}");
        assert_eq!(cell.players[3], Player::OtherCells);
        assert_eq!(cell.explanation.feature_names.as_ref().unwrap()[3], "Other Cells");
    }

    fn bad_input_is_rejected_with_clear_errors(backend) {
        let Some(engine) = common::engine(backend, 1) else { return };
        let model = TinyRnn::new(3, false);
        let x = sequence(5, 3, 30);
        let check = |result: lumen::Result<TimeShapExplanation>, kind: ErrorKind, needle: &str| {
            let e = result.unwrap_err();
            assert_eq!(e.kind(), kind, "{e}");
            assert!(e.message().contains(needle), "{e}");
        };
        let p = params(3);
        check(timeshap_event(&engine, &model, &[], 0, &p), ErrorKind::InvalidArgument, "seq_len: is 0");
        check(timeshap_event(&engine, &model, &x[..3], 1, &p), ErrorKind::InvalidArgument, "at least 2 events");
        check(timeshap_event(&engine, &model, &x[..14], 5, &p), ErrorKind::LengthMismatch, "sequence");
        let mut nan = x.clone();
        nan[4] = f32::NAN;
        check(timeshap_event(&engine, &model, &nan, 5, &p), ErrorKind::NonFiniteInput, "sequence: element 4");
        let mut negative = params(3);
        negative.tolerance = Some(-0.1);
        check(timeshap_event(&engine, &model, &x, 5, &negative), ErrorKind::InvalidArgument, "tolerance");
        negative.tolerance = Some(f64::NAN);
        check(timeshap_event(&engine, &model, &x, 5, &negative), ErrorKind::InvalidArgument, "tolerance");
        let wrong_event = TimeShapParams::new(SequenceBackground::Event(vec![0.0; 2]));
        check(timeshap_event(&engine, &model, &x, 5, &wrong_event), ErrorKind::LengthMismatch, "background");
        let wrong_sequence = TimeShapParams::new(SequenceBackground::Sequence(vec![0.0; 4 * 3]));
        check(timeshap_event(&engine, &model, &x, 5, &wrong_sequence), ErrorKind::LengthMismatch, "background");
        let right_sequence = TimeShapParams::new(SequenceBackground::Sequence(vec![0.1; 5 * 3]));
        assert!(timeshap_event(&engine, &model, &x, 5, &right_sequence).is_ok());
        let mut target = params(3);
        target.target = 1;
        check(timeshap_event(&engine, &model, &x, 5, &target), ErrorKind::InvalidArgument, "target");
        let mut budget = params(3);
        budget.budget = 1;
        check(timeshap_feature(&engine, &model, &x, 5, &budget), ErrorKind::InvalidArgument, "budget");
        let threshold = CellRelevance::Threshold { events: -1.0, features: 0.0 };
        let e = timeshap_local(&engine, &model, &x, 5, &p, &threshold).unwrap_err();
        assert!(e.message().contains("relevance.events"), "{e}");
        for nan in [true, false] {
            let broken = Broken { signature: SequenceSignature::new(3, 1), nan };
            let kind = if nan { ErrorKind::ModelNonFiniteOutput } else { ErrorKind::ModelFailed };
            check(timeshap_event(&engine, &broken, &x, 5, &p), kind, "model");
        }
        let e = SequenceBackground::<f32>::average_event(&[1.0, 2.0, 3.0], 2).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LengthMismatch);
        assert!(SequenceBackground::<f32>::average_event(&[], 2).is_err());
        assert_eq!(
            SequenceBackground::<f32>::average_event(&[1.0, 2.0, 3.0, 6.0], 2).unwrap(),
            SequenceBackground::Event(vec![2.0, 4.0])
        );
        let mut both = params(3);
        both.tolerance = Some(0.1);
        both.pruning_index = Some(-2);
        check(timeshap_event(&engine, &model, &x, 5, &both), ErrorKind::InvalidArgument, "set one of them");
        for (index, needle) in [(0, "expected a negative index"), (3, "expected a negative index"), (-6, "-5 <= index <= -1")] {
            let mut bad = params(3);
            bad.pruning_index = Some(index);
            check(timeshap_event(&engine, &model, &x, 5, &bad), ErrorKind::InvalidArgument, needle);
            let e = timeshap_prune(&engine, &model, &x, 5, &bad, true).unwrap_err();
            assert!(e.message().starts_with("pruning_index: "), "{e}");
        }
        let global = GlobalParams::new(params(3), vec![0.1]);
        let e = timeshap_global(&engine, &model, &x, &[4], &global).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LengthMismatch);
        let e = timeshap_global(&engine, &model, &x, &[], &global).unwrap_err();
        assert!(e.message().contains("lengths"), "{e}");
    }
}

#[test]
fn sampled_levels_use_and_record_the_chosen_estimator() {
    use lumen::explain::shapley::Estimator;
    let model = TinyRnn::new(2, false);
    let x = sequence(20, 2, 31);
    let engine = Engine::new(lumen::EngineConfig { seed: 3, threads: 2, ..Default::default() }).unwrap();
    let mut p = params(2);
    p.budget = 300;
    let explain = |p: &TimeShapParams| timeshap_event(&engine, &model, &x, 20, p).unwrap();
    let default = explain(&p);
    assert_eq!(default.explanation.parameters["estimator"], Estimator::default().name());
    p.estimator = Estimator::LeverageStratified;
    let linear = explain(&p);
    assert_eq!(linear.explanation.parameters["estimator"], "leverage_stratified");
    assert!(!default.exact && !linear.exact);
    assert_ne!(default.values(), linear.values(), "the interaction fit gives other values than the linear one");
    for explanation in [&default, &linear] {
        assert_local_accuracy(explanation, 1e-5);
        assert!(explanation.explanation.standard_errors.as_ref().is_some_and(|e| e.iter().all(|v| v.is_finite())));
    }
}

#[test]
fn engine_seed_drives_sampled_values() {
    let model = TinyRnn::new(2, false);
    let x = sequence(20, 2, 31);
    let mut p = params(2);
    p.budget = 300;
    let run = |seed| {
        let engine = Engine::new(lumen::EngineConfig { seed, threads: 2, ..Default::default() }).unwrap();
        timeshap_event(&engine, &model, &x, 20, &p).unwrap().values().to_vec()
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2));
}
