//! The engine's worker threads: a rayon pool whose threads are joined when it is dropped,
//! so that after `lumen_engine_free` no Lumen thread is left running in the host process
//! (a host may unload the library right after).

use std::thread::JoinHandle;

use crate::error::{Error, ErrorKind, Result};

/// A rayon thread pool that owns and joins its threads.
pub struct WorkerPool {
    pool: Option<rayon::ThreadPool>,
    threads: Vec<JoinHandle<()>>,
}

impl WorkerPool {
    /// Starts `threads` workers named `lumen-worker-N`.
    pub fn new(threads: usize) -> Result<Self> {
        let mut handles = Vec::with_capacity(threads);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .spawn_handler(|worker| {
                let name = format!("lumen-worker-{}", worker.index());
                handles.push(std::thread::Builder::new().name(name).spawn(move || {
                    super::quiet_panics::mark_worker_thread();
                    worker.run()
                })?);
                Ok(())
            })
            .build()
            .map_err(|e| {
                Error::new(ErrorKind::Internal, format!("threads: could not start {threads} worker threads: {e}"))
            })?;
        Ok(Self { pool: Some(pool), threads: handles })
    }

    /// The rayon pool.
    pub fn pool(&self) -> &rayon::ThreadPool {
        self.pool.as_ref().expect("the pool lives until WorkerPool is dropped")
    }
}

impl Drop for WorkerPool {
    fn drop(&mut self) {
        // Dropping the pool tells its workers to exit once idle; then wait for them.
        drop(self.pool.take());
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}
