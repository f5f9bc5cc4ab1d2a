//! What a host process may rely on: an absurd thread count is refused at once (it used to
//! hang or abort the host), and a panic contained at the C boundary prints nothing on the
//! host's stderr, while the host's own panics still reach the host's own panic hook.

use std::ffi::CStr;
use std::process::Command;
use std::ptr;

use lumen::ffi::explain::{lumen_engine_explain_feature_ablation, lumen_feature_ablation_options_default};
use lumen::ffi::{engine, lumen_status, model, model_into_handle};
use lumen::{Model, ModelSignature};

/// Set in the child process that performs the panicking calls.
const CHILD: &str = "LUMEN_HOSTING_TEST_CHILD";

fn last_error() -> String {
    // SAFETY: lumen_last_error_message never returns NULL and the string is NUL-terminated.
    unsafe { CStr::from_ptr(lumen::ffi::boundary::lumen_last_error_message()) }.to_string_lossy().into_owned()
}

#[test]
fn thread_counts_above_the_cap_are_refused_at_once() {
    for threads in [u32::MAX, 100_000, engine::LUMEN_MAX_THREADS + 1] {
        let mut options = engine::lumen_engine_options_default();
        options.threads = threads;
        let mut handle = ptr::null_mut();
        // SAFETY: valid options and out pointer.
        let status = unsafe { engine::lumen_engine_new(&options, &mut handle) };
        assert_eq!(status, lumen_status::InvalidArgument, "threads = {threads}");
        assert!(handle.is_null());
        let message = last_error();
        assert!(message.contains(&format!("threads: is {threads}, expected at most 1024")), "{message}");
    }
}

/// A Rust model whose `predict` panics.
struct Panics(ModelSignature);

impl Model for Panics {
    fn signature(&self) -> &ModelSignature {
        &self.0
    }
    fn predict(&self, _: &[f32], _: usize, _: &mut [f32]) -> lumen::Result<()> {
        panic!("deliberate panic inside a model");
    }
}

/// In the child: the host installs its own hook, then panics once itself (caught), then
/// makes two Lumen calls whose model panics (on the calling thread and on a worker).
#[test]
fn child_process_body() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    std::panic::set_hook(Box::new(|_| eprintln!("HOST HOOK")));
    let mut engine_handle = ptr::null_mut();
    let mut options = engine::lumen_engine_options_default();
    options.threads = 2;
    // SAFETY: valid options and out pointer.
    assert_eq!(unsafe { engine::lumen_engine_new(&options, &mut engine_handle) }, lumen_status::Ok);
    let model_handle = model_into_handle(Box::new(Panics(ModelSignature::flat(4, 1))));
    let ablation = lumen_feature_ablation_options_default();
    let inputs = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
    let mut out = ptr::null_mut();
    for rows in [1, 2] {
        // SAFETY: every pointer is valid for the duration of the call.
        let status = unsafe {
            lumen_engine_explain_feature_ablation(
                engine_handle,
                model_handle,
                inputs.as_ptr(),
                4 * rows,
                rows,
                &ablation,
                &mut out,
            )
        };
        assert_eq!(status, lumen_status::Panic);
        assert!(last_error().contains("deliberate panic inside a model"), "{}", last_error());
    }
    assert!(std::panic::catch_unwind(|| panic!("the host's own panic")).is_err());
    // SAFETY: handles from above, freed once.
    unsafe {
        model::lumen_model_free(model_handle);
        engine::lumen_engine_free(engine_handle);
    }
}

#[test]
fn contained_panics_print_nothing_and_the_hosts_hook_still_runs() {
    let output = Command::new(std::env::current_exe().expect("the test binary's path"))
        .args(["--exact", "child_process_body", "--nocapture", "--test-threads", "1"])
        .env(CHILD, "1")
        .env("RUST_BACKTRACE", "full")
        .output()
        .expect("the child test process runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "the child did not run its body:\n{stdout}");
    assert!(!stderr.contains("deliberate panic"), "a contained panic was printed:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.matches("HOST HOOK").count(), 1, "the host's hook must see its own panic only:\n{stderr}");
}

/// A linear model that counts the rows it evaluated.
struct CountingLinear {
    signature: ModelSignature,
    rows: std::sync::atomic::AtomicUsize,
}

impl Model for CountingLinear {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }
    fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        for (x, out) in inputs.chunks(self.signature.input_len()).zip(outputs.iter_mut()) {
            *out = x.iter().enumerate().map(|(i, v)| (i % 7) as f32 * v).sum();
        }
        self.rows.fetch_add(rows, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

#[test]
fn a_cancel_after_the_last_model_call_stops_kernel_shaps_solve() {
    use lumen::engine::call_control::{CallControl, CancelToken, ControlScope};
    use lumen::explain::shapley::{kernel_shap, Background, KernelShapParams, ShapleyGame};
    use std::sync::atomic::Ordering;
    use std::sync::Arc;
    use std::time::Duration;

    // 400 players and 6000 coalitions: the model calls end quickly, the regression and
    // its jackknife then compute for about half a second in a release build (many
    // seconds in a debug one).
    const PLAYERS: usize = 400;
    let model = Arc::new(CountingLinear { signature: ModelSignature::flat(PLAYERS, 1), rows: Default::default() });
    let engine = lumen::Engine::new(lumen::EngineConfig { threads: 1, ..Default::default() }).unwrap();
    let x: Vec<f32> = (0..PLAYERS).map(|i| (i % 5) as f32).collect();
    let game = ShapleyGame::new(Background::new(vec![0.0; PLAYERS], PLAYERS, None).unwrap());
    let mut params = KernelShapParams::new(game);
    params.budget = Some(6000);
    let token = CancelToken::new();

    // Cancels once every coalition row was evaluated and the model has not been called
    // for 50 ms: the solve has started, and no model call is left to notice the cancel.
    let watcher = {
        let (model, token) = (Arc::clone(&model), token.clone());
        std::thread::spawn(move || {
            let mut last = 0;
            loop {
                std::thread::sleep(Duration::from_millis(50));
                let now = model.rows.load(Ordering::SeqCst);
                if now >= 6000 && now == last {
                    token.cancel();
                    return now;
                }
                last = now;
            }
        })
    };
    let scope = ControlScope::enter(Some(Arc::new(CallControl::new(Some(token), None, None, None))));
    let result = kernel_shap(&engine, model.as_ref(), &x, 1, &params);
    drop(scope);
    let rows_when_cancelled = watcher.join().unwrap();
    let error = result.expect_err("the solve must stop once cancelled");
    assert_eq!(error.kind(), lumen::ErrorKind::Cancelled, "{}", error.message());
    assert_eq!(model.rows.load(Ordering::SeqCst), rows_when_cancelled, "no model call after the cancel");
}
