//! Occlusion against closed forms: for a linear model, f(x) − f(x with window W at the
//! baseline) = Σ_{i∈W} w_i (x_i − b_i), and Captum averages that over covering windows.

mod common;

use common::{values, Linear};
use lumen::backend::Baselines;
use lumen::{occlusion, OcclusionParams};

/// Captum's window starts along one dimension: 0, s, 2s, … for ceil((n − w)/s) + 1 windows.
fn starts(n: usize, w: usize, s: usize) -> Vec<usize> {
    (0..((n - w).div_ceil(s) + 1)).map(|k| k * s).collect()
}

/// The reference: enumerate every window, accumulate its closed-form delta on the
/// elements it covers (clipped at the border), divide by the cover count.
fn reference_2d(
    shape: [usize; 2],
    window: [usize; 2],
    strides: [usize; 2],
    w: &[f32],
    x: &[f32],
    b: &[f32],
) -> Vec<f32> {
    let (h, wd) = (shape[0], shape[1]);
    let mut sum = vec![0.0f64; h * wd];
    let mut count = vec![0u32; h * wd];
    for &r0 in &starts(h, window[0], strides[0]) {
        for &c0 in &starts(wd, window[1], strides[1]) {
            let cells: Vec<usize> = (r0..(r0 + window[0]).min(h))
                .flat_map(|r| (c0..(c0 + window[1]).min(wd)).map(move |c| r * wd + c))
                .collect();
            let delta: f64 = cells.iter().map(|&i| f64::from(w[i]) * f64::from(x[i] - b[i])).sum();
            for &i in &cells {
                sum[i] += delta;
                count[i] += 1;
            }
        }
    }
    sum.iter().zip(&count).map(|(s, &c)| if c == 0 { 0.0 } else { (s / f64::from(c)) as f32 }).collect()
}

fn assert_close(actual: &[f64], expected: &[f32], tolerance: f64) {
    assert_eq!(actual.len(), expected.len());
    for (i, (a, &e)) in actual.iter().zip(expected).enumerate() {
        let e = f64::from(e);
        assert!((a - e).abs() <= tolerance * (1.0 + e.abs()), "element {i}: got {a}, expected {e}");
    }
}

backend_tests! {
    fn hand_computed_1d(backend) {
        // f(x) = x0 + 2·x1 + 3·x2 + 4·x3, x = 1, baseline 0, window 2, stride 1.
        // Windows {0,1}→3, {1,2}→5, {2,3}→7; element means: 3, (3+5)/2, (5+7)/2, 7.
        let Some(engine) = common::engine(backend, 2) else { return };
        let model = Linear::new(&[4], vec![vec![1.0, 2.0, 3.0, 4.0]], vec![0.5]);
        let e = occlusion(&engine, &model, &[1.0; 4], 1, &OcclusionParams::new(vec![2])).unwrap();
        assert_eq!(e.attributions, vec![3.0, 4.0, 6.0, 7.0]);
        assert_eq!(e.predictions, vec![10.5]);
        assert_eq!(e.base_values, vec![0.5]);
        assert_eq!(e.diagnostics[0].model_rows_evaluated, 3 + 1);
        assert_eq!(e.audit.model_rows_evaluated, 3 + 1 + 1);
        assert!(e.diagnostics[0].completeness_gap.is_none());
    }

    fn hand_computed_border_clipping(backend) {
        // n = 6, window 3, stride 2: ceil((6 − 3)/2) + 1 = 3 windows starting at 0, 2, 4,
        // the last clipped to {4, 5}. f = Σ x_i, x = 1, baseline 0.
        let Some(engine) = common::engine(backend, 1) else { return };
        let model = Linear::new(&[6], vec![vec![1.0; 6]], vec![0.0]);
        let mut params = OcclusionParams::new(vec![3]);
        params.strides = Some(vec![2]);
        let e = occlusion(&engine, &model, &[1.0; 6], 1, &params).unwrap();
        // Deltas: {0,1,2}→3, {2,3,4}→3, {4,5}→2. Element 4: (3+2)/2 = 2.5; element 5: 2.
        assert_eq!(e.attributions, vec![3.0, 3.0, 3.0, 3.0, 2.5, 2.0]);
        assert_eq!(e.diagnostics[0].model_rows_evaluated, 3 + 1);
    }

    fn uncovered_elements_get_zero(backend) {
        // Window 1, stride 2 over 5 elements covers 0, 2, 4 only.
        let Some(engine) = common::engine(backend, 1) else { return };
        let model = Linear::new(&[5], vec![vec![1.0, 2.0, 3.0, 4.0, 5.0]], vec![0.0]);
        let mut params = OcclusionParams::new(vec![1]);
        params.strides = Some(vec![2]);
        let e = occlusion(&engine, &model, &[1.0; 5], 1, &params).unwrap();
        assert_eq!(e.attributions, vec![1.0, 0.0, 3.0, 0.0, 5.0]);
        // Window 2, stride 5 over 9: Captum's third window would start at 10, past the
        // border; it covers nothing, so only the windows at 0 and 5 are evaluated.
        let model = Linear::new(&[9], vec![vec![1.0; 9]], vec![0.0]);
        let mut params = OcclusionParams::new(vec![2]);
        params.strides = Some(vec![5]);
        let e = occlusion(&engine, &model, &[1.0; 9], 1, &params).unwrap();
        assert_eq!(e.attributions, vec![2.0, 2.0, 0.0, 0.0, 0.0, 2.0, 2.0, 0.0, 0.0]);
        assert_eq!(e.diagnostics[0].model_rows_evaluated, 2 + 1);
    }

    fn linear_2d_matches_reference(backend) {
        let Some(engine) = common::engine(backend, 2) else { return };
        let shape = [7, 9];
        let w = values(63, 1);
        let model = Linear::new(&shape, vec![w.clone()], vec![0.25]);
        let x = values(63, 2);
        let b = values(63, 3);
        for (window, strides) in [([2, 2], [1, 1]), ([3, 2], [2, 3]), ([7, 9], [1, 1]), ([1, 1], [1, 1]), ([4, 5], [3, 4]), ([2, 3], [5, 5])] {
            let params = OcclusionParams {
                window_shape: window.to_vec(),
                strides: Some(strides.to_vec()),
                baseline: Baselines::Shared(b.clone()),
                targets: None,
                perturbations_per_eval: Some(5),
            };
            let e = occlusion(&engine, &model, &x, 1, &params).unwrap();
            assert_close(&e.attributions, &reference_2d(shape, window, strides, &w, &x, &b), 1e-5);
        }
    }

    fn three_d_channels_and_rows(backend) {
        // A 2×4×4 input (C×H×W), window 2×2×2 stride 2×2×2: windows tile exactly, so each
        // element's attribution is its window's delta. Two rows, per-row baselines, two outputs.
        let Some(engine) = common::engine(backend, 2) else { return };
        let shape = [2, 4, 4];
        let w0 = values(32, 4);
        let w1 = values(32, 5);
        let model = Linear::new(&shape, vec![w0.clone(), w1.clone()], vec![0.0, 1.0]);
        let x = values(64, 6);
        let b = values(64, 7);
        let params = OcclusionParams {
            window_shape: vec![2, 2, 2],
            strides: Some(vec![2, 2, 2]),
            baseline: Baselines::PerRow(b.clone()),
            targets: Some(vec![1]),
            perturbations_per_eval: None,
        };
        let e = occlusion(&engine, &model, &x, 2, &params).unwrap();
        assert_eq!(e.outputs, vec![1]);
        assert_eq!(e.attributions.len(), 2 * 32);
        for r in 0..2 {
            let (xr, br) = (&x[r * 32..(r + 1) * 32], &b[r * 32..(r + 1) * 32]);
            // Element (c, y, z) lies in the window with corner (c/2, y/2, z/2)·2.
            let block = |i: usize| (i / 16 / 2, (i / 4) % 4 / 2, i % 4 / 2);
            for i in 0..32 {
                let delta: f32 = (0..32).filter(|&j| block(j) == block(i)).map(|j| w1[j] * (xr[j] - br[j])).sum();
                let got = e.row_attributions(r, 0)[i];
                assert!((got - f64::from(delta)).abs() < 1e-5, "row {r} element {i}: {got} vs {delta}");
            }
        }
    }

    fn windows_that_change_nothing_skip_the_model(backend) {
        // A sparse 6×8 image under a zero baseline: only the windows over its few nonzero
        // pixels change the row; the others have a delta of exactly 0 and no model row.
        let Some(engine) = common::engine(backend, 2) else { return };
        let shape = [6, 8];
        let w = values(48, 11);
        let model = Linear::new(&shape, vec![w.clone()], vec![0.5]);
        let mut x = vec![0.0f32; 2 * 48];
        for (i, v) in [(9, 0.75), (10, -1.5), (37, 2.0), (48 + 20, 1.25)] {
            x[i] = v;
        }
        let (window, strides) = ([2, 3], [2, 2]);
        let windows: Vec<Vec<usize>> = starts(6, 2, 2)
            .iter()
            .flat_map(|&r0| starts(8, 3, 2).into_iter().map(move |c0| (r0, c0)))
            .map(|(r0, c0)| (r0..r0 + 2).flat_map(|r| (c0..(c0 + 3).min(8)).map(move |c| r * 8 + c)).collect())
            .collect();
        for ppe in [Some(1), Some(3), None] {
            let params = OcclusionParams {
                window_shape: window.to_vec(),
                strides: Some(strides.to_vec()),
                baseline: Baselines::Scalar(0.0),
                targets: None,
                perturbations_per_eval: ppe,
            };
            let e = occlusion(&engine, &model, &x, 2, &params).unwrap();
            for r in 0..2 {
                let xr = &x[r * 48..(r + 1) * 48];
                let reference = reference_2d(shape, window, strides, &w, xr, &[0.0; 48]);
                assert_close(e.row_attributions(r, 0), &reference, 1e-6);
                let changing = windows.iter().filter(|cells| cells.iter().any(|&i| xr[i] != 0.0)).count();
                // f(x) and the windows that change it; the shared baseline once, in the audit.
                assert_eq!(e.diagnostics[r].model_rows_evaluated, changing as u64 + 1, "row {r}");
                assert!(changing < windows.len());
            }
        }
        // A row equal to its baseline: no window changes it, and only f(x) is evaluated.
        let e = occlusion(&engine, &model, &[0.0; 48], 1, &OcclusionParams::new(vec![2, 3])).unwrap();
        assert!(e.attributions.iter().all(|&a| a.to_bits() == 0.0f64.to_bits()));
        assert_eq!(e.diagnostics[0].model_rows_evaluated, 1);
        assert_eq!(e.predictions, e.base_values);
    }

    fn batch_size_does_not_change_results(backend) {
        let Some(engine) = common::engine(backend, 2) else { return };
        let model = Linear::new(&[5, 6], vec![values(30, 8)], vec![0.0]);
        let x = values(60, 9);
        let run = |ppe| {
            let mut params = OcclusionParams::new(vec![2, 3]);
            params.perturbations_per_eval = ppe;
            occlusion(&engine, &model, &x, 2, &params).unwrap().attributions
        };
        let reference = run(Some(1));
        for ppe in [Some(2), Some(7), Some(1000), None] {
            assert_eq!(run(ppe), reference, "perturbations_per_eval {ppe:?}");
        }
    }
}

#[test]
fn rejects_bad_windows() {
    let engine = common::engine(lumen::backend::BackendKind::Cpu, 1).unwrap();
    let model = Linear::new(&[3, 4], vec![vec![1.0; 12]], vec![0.0]);
    let x = vec![0.5; 12];
    let err = |window: Vec<usize>, strides: Option<Vec<usize>>| {
        let mut params = OcclusionParams::new(window);
        params.strides = strides;
        occlusion(&engine, &model, &x, 1, &params).unwrap_err()
    };
    let e = err(vec![4, 1], None);
    assert_eq!(e.kind(), lumen::ErrorKind::InvalidArgument);
    assert!(e.message().contains("window_shape"), "{e}");
    assert_eq!(err(vec![2], None).kind(), lumen::ErrorKind::LengthMismatch);
    assert!(err(vec![1, 1], Some(vec![0, 1])).message().contains("strides"));
    assert_eq!(err(vec![1, 1], Some(vec![1])).kind(), lumen::ErrorKind::LengthMismatch);
}
