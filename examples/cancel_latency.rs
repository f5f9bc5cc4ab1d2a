//! How long a cancelled call takes to return: the time from `CancelToken::cancel` to the
//! explain call's `Err(Cancelled)`, for KernelSHAP on a model whose batches take a known
//! time, cancelled while model batches run and while its regression solves with no model
//! call left. Prints the median, the 95th percentile and the largest latency.
//!
//! Run: `cargo run --release --example cancel_latency [-- TRIALS [BATCH_MS]]`
//! (defaults: 20 trials, 5 ms per model batch).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lumen::engine::call_control::{CallControl, CancelToken, ControlScope};
use lumen::explain::shapley::{kernel_shap, Background, KernelShapParams, ShapleyGame};
use lumen::{Engine, EngineConfig, ErrorKind, Model, ModelSignature};

/// A linear model whose every call sleeps `pause` (a remote or heavy model's latency).
struct Slow {
    signature: ModelSignature,
    pause: Duration,
    rows: AtomicUsize,
}

impl Model for Slow {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }
    fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        std::thread::sleep(self.pause);
        for (x, out) in inputs.chunks(self.signature.input_len()).zip(outputs.iter_mut()) {
            *out = x.iter().enumerate().map(|(i, v)| (i % 5) as f32 * v).sum();
        }
        self.rows.fetch_add(rows, Ordering::SeqCst);
        Ok(())
    }
}

/// One cancelled call: cancels when `ready` says so, returns the trigger → return time.
fn cancelled_call(
    model: &Arc<Slow>,
    players: usize,
    budget: usize,
    ready: impl Fn(usize) -> bool + Send + 'static,
) -> Duration {
    let engine = Engine::new(EngineConfig { threads: 1, ..Default::default() }).expect("an engine");
    let x: Vec<f32> = (0..players).map(|i| (i % 7) as f32).collect();
    let mut params = KernelShapParams::new(ShapleyGame::new(
        Background::new(vec![0.0; players], players, None).expect("a background"),
    ));
    params.budget = Some(budget);
    let token = CancelToken::new();
    let triggered: Arc<Mutex<Option<Instant>>> = Arc::default();
    model.rows.store(0, Ordering::SeqCst);
    let watcher = {
        let (model, token, triggered) = (Arc::clone(model), token.clone(), Arc::clone(&triggered));
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_millis(1));
            if ready(model.rows.load(Ordering::SeqCst)) {
                *triggered.lock().expect("the trigger time") = Some(Instant::now());
                token.cancel();
                return;
            }
        })
    };
    let scope = ControlScope::enter(Some(Arc::new(CallControl::new(Some(token), None, None, None))));
    let result = kernel_shap(&engine, model.as_ref(), &x, 1, &params);
    let returned = Instant::now();
    drop(scope);
    watcher.join().expect("the watcher");
    let error = result.expect_err("the call was cancelled");
    assert_eq!(error.kind(), ErrorKind::Cancelled, "{}", error.message());
    let trigger = triggered.lock().expect("the trigger time").expect("the trigger fired");
    returned.saturating_duration_since(trigger)
}

fn summary(label: &str, mut latencies: Vec<Duration>) {
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    println!(
        "{label:<48} median {:>7.2} ms   p95 {:>7.2} ms   max {:>7.2} ms   ({} trials)",
        at(0.5).as_secs_f64() * 1e3,
        at(0.95).as_secs_f64() * 1e3,
        latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
        latencies.len()
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let trials: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let batch_ms: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);

    // During model batches: 16 players, 4096 coalitions in batches that each sleep.
    let mut signature = ModelSignature::flat(16, 1);
    signature.max_batch_rows = Some(64);
    let model = Arc::new(Slow { signature, pause: Duration::from_millis(batch_ms), rows: AtomicUsize::new(0) });
    let during: Vec<Duration> = (0..trials)
        .map(|trial| {
            let after_rows = 64 * (2 + trial % 20);
            cancelled_call(&model, 16, 4096, move |rows| rows >= after_rows)
        })
        .collect();
    summary(&format!("cancel during model batches ({batch_ms} ms each)"), during);

    // During the solve: 300 players, 6000 coalitions; cancel once every row was evaluated.
    let model =
        Arc::new(Slow { signature: ModelSignature::flat(300, 1), pause: Duration::ZERO, rows: AtomicUsize::new(0) });
    let solve: Vec<Duration> =
        (0..trials.min(5)).map(|_| cancelled_call(&model, 300, 6000, |rows| rows >= 6000)).collect();
    summary("cancel during the regression (300 players)", solve);
}
