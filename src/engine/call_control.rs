//! Stopping a call from outside: a cancel token (triggered from any thread, also from
//! inside a model callback), a deadline, and a progress callback that may ask to stop.
//! A call's [`CallControl`] is installed for the calling thread with [`ControlScope`];
//! the batch runner captures it when it is created and checks it before every model batch,
//! and long compute phases check it as they go, so a stopped call ends within one model
//! batch (or one step of a solve) of the trigger, frees what it holds and leaves the
//! engine usable.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};
use crate::model::callback_scope::CallbackScope;
use crate::thread_scope::ThreadScope;

/// A cancellation flag shared between the caller and the calls it may stop. Cloning
/// shares the flag. Thread-safe.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels every call that watches this token (now and until [`CancelToken::reset`]).
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Makes the token usable for new calls.
    pub fn reset(&self) {
        self.0.store(false, Ordering::SeqCst);
    }

    /// Whether [`CancelToken::cancel`] was called (and not reset since).
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// A progress callback: receives the fraction of the call's model rows done so far (non-
/// decreasing, in [0, 1]); returns `false` to stop the call.
pub type ProgressFn = Box<dyn Fn(f64) -> bool + Send + Sync>;

/// How one call may be stopped, and its progress; and what it says of its rows (a seed, row
/// keys, per-row targets). A method that splits its rows into sub-calls gives each a
/// [`CallControl::for_rows`] control that shares the stopping state and the progress.
pub struct CallControl {
    stop: Arc<StopState>,
    /// The seed of this call's random draws, instead of the engine's.
    seed: Option<u64>,
    /// One key per explained row, instead of a hash of the row's values.
    row_keys: Option<Vec<u64>>,
    /// One output per explained row, explained for that row only.
    row_targets: Option<Vec<u32>>,
}

/// What a call and its sub-calls share: how they stop and their progress.
struct StopState {
    cancel: Option<CancelToken>,
    deadline: Option<(Instant, Duration)>,
    progress: Option<ProgressFn>,
    max_model_threads: Option<usize>,
    /// Model rows planned so far and done so far (runs announce their rows as they start).
    planned_rows: AtomicU64,
    done_rows: AtomicU64,
    /// The last fraction reported, so reports never go backwards; also serialises reports.
    reported: Mutex<f64>,
    /// Set once the progress callback asked to stop.
    stopped_by_progress: AtomicBool,
}

impl std::fmt::Debug for CallControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallControl")
            .field("cancel", &self.stop.cancel)
            .field("deadline", &self.stop.deadline)
            .field("progress", &self.stop.progress.is_some())
            .field("max_model_threads", &self.stop.max_model_threads)
            .field("seed", &self.seed)
            .field("row_keys", &self.row_keys.as_ref().map(Vec::len))
            .field("row_targets", &self.row_targets.as_ref().map(Vec::len))
            .finish_non_exhaustive()
    }
}

impl CallControl {
    /// A control that watches `cancel`, stops `timeout` after now, reports to `progress`
    /// and lets at most `max_model_threads` model calls of a concurrent model overlap.
    pub fn new(
        cancel: Option<CancelToken>,
        timeout: Option<Duration>,
        progress: Option<ProgressFn>,
        max_model_threads: Option<usize>,
    ) -> Self {
        let stop = StopState {
            cancel,
            deadline: timeout.map(|t| (Instant::now() + t, t)),
            progress,
            max_model_threads,
            planned_rows: AtomicU64::new(0),
            done_rows: AtomicU64::new(0),
            reported: Mutex::new(0.0),
            stopped_by_progress: AtomicBool::new(false),
        };
        Self { stop: Arc::new(stop), seed: None, row_keys: None, row_targets: None }
    }

    /// This control, its call drawing from `seed` instead of the engine's seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// This control, the call's rows keyed by `row_keys` (one per explained row; TimeSHAP:
    /// one per sequence) instead of a hash of their values. A row's random draws depend
    /// only on the seed and its key.
    pub fn with_row_keys(mut self, row_keys: Vec<u64>) -> Self {
        self.row_keys = Some(row_keys);
        self
    }

    /// This control, each explained row explaining its own output `row_targets[row]` (as
    /// Captum's per-row `target`) instead of the method's shared targets.
    pub fn with_row_targets(mut self, row_targets: Vec<u32>) -> Self {
        self.row_targets = Some(row_targets);
        self
    }

    /// The control of a sub-call over the call's rows `rows` (indices into its rows): the
    /// same stopping state, progress and seed, those rows' keys, no per-row targets.
    pub fn for_rows(&self, rows: &[usize]) -> Self {
        Self {
            stop: Arc::clone(&self.stop),
            seed: self.seed,
            row_keys: self.row_keys.as_ref().map(|keys| rows.iter().map(|&r| keys[r]).collect()),
            row_targets: None,
        }
    }

    /// The call's seed override.
    pub fn seed(&self) -> Option<u64> {
        self.seed
    }

    /// The call's row keys.
    pub fn row_keys(&self) -> Option<&[u64]> {
        self.row_keys.as_deref()
    }

    /// The call's per-row targets.
    pub fn row_targets(&self) -> Option<&[u32]> {
        self.row_targets.as_deref()
    }

    /// Fails with [`ErrorKind::Cancelled`] or [`ErrorKind::DeadlineExceeded`] once the call
    /// must stop.
    pub fn check(&self) -> Result<()> {
        if self.stop.cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
            return Err(Error::new(ErrorKind::Cancelled, "cancelled: the call's cancel token was triggered"));
        }
        if self.stop.stopped_by_progress.load(Ordering::SeqCst) {
            return Err(Error::new(ErrorKind::Cancelled, "cancelled: the progress callback asked to stop"));
        }
        if let Some((deadline, timeout)) = self.stop.deadline {
            if Instant::now() >= deadline {
                return Err(Error::new(
                    ErrorKind::DeadlineExceeded,
                    format!("deadline exceeded: the call ran past its timeout of {} ms", timeout.as_millis()),
                ));
            }
        }
        Ok(())
    }

    /// The most model calls of a concurrent model that may overlap in this call.
    pub fn max_model_threads(&self) -> Option<usize> {
        self.stop.max_model_threads
    }

    /// Announces `rows` more model rows that this call will evaluate.
    pub fn plan_rows(&self, rows: usize) {
        self.stop.planned_rows.fetch_add(rows as u64, Ordering::SeqCst);
    }

    /// Records `rows` model rows as done, reports progress, and checks whether to stop.
    pub fn rows_done(&self, rows: usize) -> Result<()> {
        let done = self.stop.done_rows.fetch_add(rows as u64, Ordering::SeqCst) + rows as u64;
        let planned = self.stop.planned_rows.load(Ordering::SeqCst);
        // Runs announce their rows as they start, so a finished run (done == planned) may
        // be followed by another: only the end of the call reports 1.
        if done < planned {
            self.report(done as f64 / planned as f64);
        }
        self.check()
    }

    /// Reports that the call finished (fraction 1), when it has a progress callback.
    pub fn finished(&self) {
        self.report(1.0);
    }

    /// Calls the progress callback with `fraction` unless a fraction at least as large
    /// was reported already; one report at a time.
    fn report(&self, fraction: f64) {
        if let Some(progress) = &self.stop.progress {
            let mut reported = self.stop.reported.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if fraction > *reported {
                *reported = fraction;
                let _callback = CallbackScope::enter();
                if !progress(fraction) {
                    self.stop.stopped_by_progress.store(true, Ordering::SeqCst);
                }
            }
        }
    }
}

thread_local! {
    /// The control of the call running on this thread, if it has one.
    static CURRENT: RefCell<Option<Arc<CallControl>>> = const { RefCell::new(None) };
}

/// Installs a call's control for the calling thread until dropped (then the previous one,
/// if calls nest, is back).
#[derive(Debug)]
pub struct ControlScope {
    /// Puts the previous value back when dropped.
    _installed: ThreadScope<Option<Arc<CallControl>>>,
}

impl ControlScope {
    /// Installs `control` (or none) for the calling thread.
    pub fn enter(control: Option<Arc<CallControl>>) -> Self {
        Self { _installed: ThreadScope::set(&CURRENT, control) }
    }
}

/// The control of the call running on this thread (what a batch runner captures).
pub fn current() -> Option<Arc<CallControl>> {
    CURRENT.with(|current| current.borrow().clone())
}

/// Reports the end of the calling thread's call (fraction 1) to its progress callback.
pub fn finish_current() {
    if let Some(control) = current() {
        control.finished();
    }
}

/// Checks the calling thread's control, if any: for long compute phases on the caller's
/// thread between model batches.
pub fn check_current() -> Result<()> {
    CURRENT.with(|current| current.borrow().as_ref().map_or(Ok(()), |control| control.check()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn a_token_stops_the_call_and_resets() {
        let token = CancelToken::new();
        let control = CallControl::new(Some(token.clone()), None, None, None);
        assert!(control.check().is_ok());
        token.cancel();
        assert_eq!(control.check().unwrap_err().kind(), ErrorKind::Cancelled);
        token.reset();
        assert!(control.check().is_ok());
    }

    #[test]
    fn a_past_deadline_is_deadline_exceeded() {
        let control = CallControl::new(None, Some(Duration::ZERO), None, None);
        let error = control.check().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::DeadlineExceeded);
        assert!(error.message().contains("timeout of 0 ms"), "{}", error.message());
    }

    #[test]
    fn progress_is_non_decreasing_and_may_stop_the_call() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let calls = Arc::new(AtomicUsize::new(0));
        let (log, count) = (Arc::clone(&seen), Arc::clone(&calls));
        // Goes on at the first report, asks to stop at the second.
        let progress: ProgressFn = Box::new(move |fraction| {
            log.lock().unwrap().push(fraction);
            count.fetch_add(1, Ordering::SeqCst) < 1
        });
        let control = CallControl::new(None, None, Some(progress), None);
        control.plan_rows(10);
        assert!(control.rows_done(5).is_ok());
        // A finished run reports nothing: another may follow.
        assert!(control.rows_done(5).is_ok());
        control.plan_rows(30);
        // 11 of 40 is below the 0.5 already reported: not reported again.
        assert!(control.rows_done(1).is_ok());
        let error = control.rows_done(19).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Cancelled);
        control.finished();
        assert_eq!(*seen.lock().unwrap(), vec![0.5, 0.75, 1.0]);
    }

    #[test]
    fn scopes_install_and_restore_the_current_control() {
        assert!(current().is_none());
        let token = CancelToken::new();
        token.cancel();
        let outer = ControlScope::enter(Some(Arc::new(CallControl::new(Some(token), None, None, None))));
        assert_eq!(check_current().unwrap_err().kind(), ErrorKind::Cancelled);
        {
            let _inner = ControlScope::enter(None);
            assert!(check_current().is_ok());
        }
        assert!(check_current().is_err());
        drop(outer);
        assert!(current().is_none() && check_current().is_ok());
    }
}
