//! The engine: a chosen backend, a thread pool, the caller's seed and the memory budget
//! for perturbation batches. One engine may serve many explanations, from many threads.

pub mod call_control;
pub mod memory;
mod pool;
pub mod quiet_panics;
pub mod row_keys;
pub mod scratch;

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use pool::WorkerPool;

use crate::backend::{Backend, BackendKind, CpuBackend};
use crate::element::Element;
use crate::error::{Error, ErrorKind, Result};
use crate::parallel;

/// Default memory budget of one call: what an explanation keeps (regression rows, path
/// points, populations) plus the batches it evaluates at once.
pub const DEFAULT_MEMORY_BUDGET_BYTES: usize = 256 << 20;
/// The most worker threads an engine may have: more only costs memory and start-up time
/// (a request of 100 000 threads would hang the host for minutes).
pub const MAX_THREADS: usize = 1024;

/// The backend a caller asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BackendChoice {
    /// CUDA when a driver and a device are present, otherwise the CPU.
    #[default]
    Auto,
    /// The rayon CPU backend.
    Cpu,
    /// The CUDA backend, or an error when it cannot run.
    Cuda,
}

/// How an engine is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    /// Requested backend.
    pub backend: BackendChoice,
    /// Worker threads; 0 means one per available core.
    pub threads: usize,
    /// Seed of every random choice the engine makes.
    pub seed: u64,
    /// Bytes one call may hold: its working set plus the batches it evaluates at once.
    pub memory_budget_bytes: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self { backend: BackendChoice::Auto, threads: 0, seed: 0, memory_budget_bytes: DEFAULT_MEMORY_BUDGET_BYTES }
    }
}

/// A configured engine.
pub struct Engine {
    config: EngineConfig,
    threads: usize,
    pool: WorkerPool,
    backend: Box<dyn Backend>,
    backend_note: Option<String>,
    scratch: Arc<scratch::ScratchCache>,
    /// Whether a one-thread engine runs calls in place (see [`Engine::on_workers`]).
    calls_in_place: bool,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.config)
            .field("threads", &self.threads)
            .field("backend", &self.backend.kind())
            .field("backend_note", &self.backend_note)
            .finish()
    }
}

/// Why the CUDA backend cannot be used by this build.
#[cfg(not(feature = "cuda"))]
const CUDA_NOT_BUILT: &str = "this build of lumen has no CUDA backend (built without the `cuda` feature)";

/// The CUDA backend on device 0 and a description of the device, or why it cannot run here.
#[cfg(feature = "cuda")]
fn cuda_backend() -> Result<(Box<dyn Backend>, String)> {
    let backend = crate::backend::cuda::CudaBackend::new(0)?;
    let device = backend.device().describe();
    Ok((Box::new(backend), device))
}

/// The CUDA backend, or why it cannot run here.
#[cfg(not(feature = "cuda"))]
fn cuda_backend() -> Result<(Box<dyn Backend>, String)> {
    Err(Error::new(ErrorKind::BackendUnavailable, CUDA_NOT_BUILT))
}

/// The backend for `choice`, and for `auto` a note saying why it chose what it chose.
fn choose_backend(choice: BackendChoice) -> Result<(Box<dyn Backend>, Option<String>)> {
    match choice {
        BackendChoice::Cpu => Ok((Box::new(CpuBackend), None)),
        BackendChoice::Auto => Ok(match cuda_backend() {
            Ok((cuda, device)) => (cuda, Some(format!("auto chose cuda: device 0 is {device}"))),
            Err(e) => (Box::new(CpuBackend), Some(format!("auto chose cpu: {}", e.message()))),
        }),
        BackendChoice::Cuda => cuda_backend().map(|(cuda, _)| (cuda, None)).map_err(|e| {
            Error::new(
                ErrorKind::BackendUnavailable,
                format!("backend: cuda was requested but {}; use cpu or auto", e.message()),
            )
        }),
    }
}

impl Engine {
    /// Builds an engine; fails when the backend is unavailable or the budget is zero.
    pub fn new(config: EngineConfig) -> Result<Self> {
        if config.memory_budget_bytes == 0 {
            return Err(Error::invalid("memory_budget_bytes", "is 0, expected a positive number of bytes"));
        }
        let (backend, backend_note) = choose_backend(config.backend)?;
        if config.threads > MAX_THREADS {
            return Err(Error::invalid(
                "threads",
                format!("is {}, expected at most {MAX_THREADS} (0 means one per core)", config.threads),
            ));
        }
        let threads = if config.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_THREADS)
        } else {
            config.threads
        };
        let pool = WorkerPool::new(threads)?;
        let scratch = Arc::new(scratch::ScratchCache::new(threads + 1));
        Ok(Self { config, threads, pool, backend, backend_note, scratch, calls_in_place: true })
    }

    /// This engine, running every call on its workers even when it has one thread, for a
    /// host whose callbacks must not run on the thread that asked (the JVM binding: its
    /// calling thread waits interruptibly, and a model's own interruptible I/O on that
    /// thread would take the interrupt over).
    pub fn with_calls_on_workers(mut self) -> Self {
        self.calls_in_place = false;
        self
    }

    /// The configuration the engine was built with.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Worker threads actually running.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// The caller's seed.
    pub fn seed(&self) -> u64 {
        self.config.seed
    }

    /// The memory budget of one call: its working set and its batches together (less
    /// inside a method that runs another one within its own budget).
    pub fn memory_budget_bytes(&self) -> usize {
        memory::budget_cap().map_or(self.config.memory_budget_bytes, |cap| cap.min(self.config.memory_budget_bytes))
    }

    /// An empty working set under this engine's memory budget, for one call to count
    /// what it keeps before it plans its batches.
    pub fn working_set(&self) -> memory::WorkingSet {
        memory::WorkingSet::new(self.memory_budget_bytes())
    }

    /// The backend in use.
    pub fn backend(&self) -> &dyn Backend {
        self.backend.as_ref()
    }

    /// The backend that builds rows of element type `E`: the engine's own for f32, the CPU
    /// backend for wider elements (the CUDA kernels build f32, f16 and bf16 rows only).
    pub fn backend_for<E: Element>(&self) -> &dyn Backend<E> {
        static CPU: CpuBackend = CpuBackend;
        let own: &dyn Any = &self.backend;
        match own.downcast_ref::<Box<dyn Backend<E>>>() {
            Some(backend) => backend.as_ref(),
            None => &CPU,
        }
    }

    /// The backend kind in use.
    pub fn backend_kind(&self) -> BackendKind {
        self.backend.kind()
    }

    /// Why `auto` chose what it chose, when it fell back.
    pub fn backend_note(&self) -> Option<&str> {
        self.backend_note.as_deref()
    }

    /// The engine's thread pool.
    pub fn pool(&self) -> &rayon::ThreadPool {
        self.pool.pool()
    }

    /// Runs `call` on the engine's workers as one task, under the calling thread's call
    /// control and memory budget cap, its solves taking their buffers from the engine's
    /// cache ([`scratch::call_buffer`]). The pool's installs inside it then run directly,
    /// where each one made from outside the pool hands the work to a worker and back
    /// (45–75 µs each on the two-core machine of `examples/occlusion_overhead.rs`).
    ///
    /// An engine of one thread runs `call` on the calling thread instead, its parallel
    /// loops as plain loops ([`parallel`]), when that thread is no rayon
    /// pool's worker (unless [`with_calls_on_workers`](Self::with_calls_on_workers)): its
    /// one worker would only take the call over while the caller waits.
    pub(crate) fn on_workers<T: Send>(&self, call: impl FnOnce() -> T + Send) -> T {
        if self.calls_in_place && self.threads == 1 && rayon::current_thread_index().is_none() {
            let _buffers = scratch::CacheScope::enter(Arc::clone(&self.scratch));
            return quiet_panics::quietly(|| parallel::run_in_place(call));
        }
        let control = call_control::current();
        let cap = memory::budget_cap();
        self.pool().install(|| {
            let _scope = call_control::ControlScope::enter(control);
            let _buffers = scratch::CacheScope::enter(Arc::clone(&self.scratch));
            match cap {
                Some(bytes) => memory::with_budget_cap(bytes, call),
                None => call(),
            }
        })
    }

    /// A batch buffer of `len` elements, kept for the next call when dropped (contents
    /// unspecified: write before reading); `OutOfMemory` when it cannot be had.
    pub fn scratch<E: Element>(&self, len: usize) -> Result<scratch::Scratch<E>> {
        self.scratch.take(len)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::call_control::{check_current, current, CallControl, CancelToken, ControlScope};
    use super::*;

    #[test]
    fn work_on_the_workers_keeps_the_callers_control_and_budget_cap() {
        let config = EngineConfig { backend: BackendChoice::Cpu, threads: 2, seed: 0, memory_budget_bytes: 1 << 20 };
        let engine = Engine::new(config).unwrap();
        let token = CancelToken::new();
        token.cancel();
        let scope = ControlScope::enter(Some(Arc::new(CallControl::new(Some(token), None, None, None))));
        let (cancelled, budget, worker) = memory::with_budget_cap(1000, || {
            engine
                .on_workers(|| (check_current().is_err(), engine.memory_budget_bytes(), rayon::current_thread_index()))
        });
        assert!(cancelled, "the caller's cancelled control reaches the workers");
        assert_eq!(budget, 1000);
        assert!(worker.is_some(), "the work ran on one of the engine's workers");
        drop(scope);
        // Neither the control nor the cap stays with the worker once the work is done.
        let (control, budget) = engine.on_workers(|| (current().is_none(), engine.memory_budget_bytes()));
        assert!(control);
        assert_eq!(budget, 1 << 20);
    }

    #[test]
    fn a_one_thread_engine_runs_calls_from_outside_any_pool_in_place() {
        let config = EngineConfig { backend: BackendChoice::Cpu, threads: 1, seed: 0, memory_budget_bytes: 1 << 20 };
        let engine = Engine::new(config).unwrap();
        let caller = std::thread::current().id();
        let (here, in_place, budget) = memory::with_budget_cap(1000, || {
            engine.on_workers(|| {
                (std::thread::current().id() == caller, parallel::in_place(), engine.memory_budget_bytes())
            })
        });
        assert!(here && in_place, "the call ran on the calling thread, in place");
        assert_eq!(budget, 1000);
        assert!(!parallel::in_place(), "the mode ends with the call");
        // From another pool's worker, the call goes to the engine's own worker.
        let other = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let (name, in_place) = other
            .install(|| engine.on_workers(|| (std::thread::current().name().map(str::to_owned), parallel::in_place())));
        assert_eq!(name.as_deref(), Some("lumen-worker-0"));
        assert!(!in_place);
        // An engine made to keep its calls on its workers does so.
        let engine = engine.with_calls_on_workers();
        let name = engine.on_workers(|| std::thread::current().name().map(str::to_owned));
        assert_eq!(name.as_deref(), Some("lumen-worker-0"));
    }

    #[test]
    fn calls_take_their_solves_buffers_from_the_engines_cache() {
        for threads in [1, 2] {
            let config = EngineConfig { backend: BackendChoice::Cpu, threads, seed: 0, memory_budget_bytes: 1 << 20 };
            let engine = Engine::new(config).unwrap();
            let kept = engine.scratch::<f64>(1000).unwrap().as_ptr() as usize;
            let inside = engine.on_workers(|| scratch::call_buffer::<f64>("design", 500).unwrap().as_ptr() as usize);
            assert_eq!(inside, kept, "{threads} threads: the call's buffer is the engine's kept one");
            let outside = scratch::call_buffer::<f64>("design", 500).unwrap();
            assert_ne!(outside.as_ptr() as usize, kept, "{threads} threads: outside a call, a buffer of its own");
        }
    }
}
