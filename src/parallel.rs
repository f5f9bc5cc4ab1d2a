//! Calls of a one-thread engine run in place, on the calling thread, instead of on the
//! engine's one worker.
//!
//! Handing a call to the worker and back costs two thread switches, and the worker, once
//! idle, spins through rayon's yields before it sleeps: together 5–11 % of a one-row
//! KernelSHAP explanation at M = 16, budget 2080 (process CPU time,
//! `benches/floor_ratio.sh`; `benches/compare/README.md`, "A one-thread engine runs in
//! place"). While a call runs in place, the engine's parallel loops go through the helpers
//! here, which then run them as plain loops on this thread (never on rayon's global pool,
//! whose threads would outlive `lumen_engine_free`); everywhere else they are rayon's
//! parallel loops on the current pool. The items of every loop are independent, so either
//! way gives the same bits.

use std::cell::RefCell;
use std::marker::PhantomData;

use rayon::iter::plumbing::{Producer, ProducerCallback};
use rayon::iter::{FromParallelIterator, IndexedParallelIterator, ParallelIterator};

use crate::thread_scope::ThreadScope;

thread_local! {
    /// Whether the call running on this thread runs in place.
    static IN_PLACE: RefCell<bool> = const { RefCell::new(false) };
}

/// Whether the call running on this thread runs in place: its parallel loops then run as
/// plain loops here.
pub(crate) fn in_place() -> bool {
    IN_PLACE.with(|mode| *mode.borrow())
}

/// Runs `call` in place on this thread.
pub(crate) fn run_in_place<T>(call: impl FnOnce() -> T) -> T {
    let _scope = ThreadScope::set(&IN_PLACE, true);
    call()
}

/// Runs `op` on `pool`, or here when this call runs in place.
pub(crate) fn install<T: Send>(pool: &rayon::ThreadPool, op: impl FnOnce() -> T + Send) -> T {
    if in_place() {
        op()
    } else {
        pool.install(op)
    }
}

/// Calls `f` on every item of `items`: in parallel on the current pool, or in order here
/// when this call runs in place.
pub(crate) fn for_each<I, F>(items: I, f: F)
where
    I: IndexedParallelIterator,
    F: Fn(I::Item) + Sync + Send,
{
    if in_place() {
        items.with_producer(Sequential(ForEach(f)));
    } else {
        items.for_each(f);
    }
}

/// [`for_each`] with a state per task made by `init` (one in all when in place).
pub(crate) fn for_each_init<I, S, INIT, F>(items: I, init: INIT, f: F)
where
    I: IndexedParallelIterator,
    INIT: Fn() -> S + Sync + Send,
    F: Fn(&mut S, I::Item) + Sync + Send,
{
    if in_place() {
        items.with_producer(Sequential(ForEachInit(init, f)));
    } else {
        items.for_each_init(init, f);
    }
}

/// `f` of every item of `items`, with a state per task made by `init`, collected in order.
pub(crate) fn map_init_collect<I, S, T, C, INIT, F>(items: I, init: INIT, f: F) -> C
where
    I: IndexedParallelIterator,
    T: Send,
    C: FromIterator<T> + FromParallelIterator<T>,
    INIT: Fn() -> S + Sync + Send,
    F: Fn(&mut S, I::Item) -> T + Sync + Send,
{
    if in_place() {
        items.with_producer(Sequential(MapInitCollect(init, f, PhantomData)))
    } else {
        items.map_init(init, f).collect()
    }
}

/// The items of `items` collected in order (into a `Vec`, or a `Result` of one, which
/// stops at the first error).
pub(crate) fn collect<I, C>(items: I) -> C
where
    I: IndexedParallelIterator,
    C: FromIterator<I::Item> + FromParallelIterator<I::Item>,
{
    if in_place() {
        items.with_producer(Sequential(Collect(PhantomData)))
    } else {
        items.collect()
    }
}

/// Runs a parallel iterator's items in order through its producer's plain iterator, which
/// touches no thread pool.
struct Sequential<L>(L);

impl<T, L: PlainLoop<T>> ProducerCallback<T> for Sequential<L> {
    type Output = L::Output;

    fn callback<P: Producer<Item = T>>(self, producer: P) -> L::Output {
        self.0.run(producer.into_iter())
    }
}

/// A loop over items of type `T`, run in order.
trait PlainLoop<T> {
    type Output;

    /// Runs the loop over `items`.
    fn run(self, items: impl Iterator<Item = T>) -> Self::Output;
}

/// Calls its function on every item.
struct ForEach<F>(F);

impl<T, F: Fn(T)> PlainLoop<T> for ForEach<F> {
    type Output = ();

    fn run(self, items: impl Iterator<Item = T>) {
        items.for_each(self.0);
    }
}

/// Calls its function on every item with one state its `init` made.
struct ForEachInit<INIT, F>(INIT, F);

impl<T, S, INIT: Fn() -> S, F: Fn(&mut S, T)> PlainLoop<T> for ForEachInit<INIT, F> {
    type Output = ();

    fn run(self, items: impl Iterator<Item = T>) {
        let (init, f) = (self.0, self.1);
        let mut state = init();
        items.for_each(|item| f(&mut state, item));
    }
}

/// Collects its function of every item, with one state its `init` made, into a `C`.
struct MapInitCollect<INIT, F, C>(INIT, F, PhantomData<C>);

impl<T, S, U, C, INIT, F> PlainLoop<T> for MapInitCollect<INIT, F, C>
where
    C: FromIterator<U>,
    INIT: Fn() -> S,
    F: Fn(&mut S, T) -> U,
{
    type Output = C;

    fn run(self, items: impl Iterator<Item = T>) -> C {
        let (init, f) = (self.0, self.1);
        let mut state = init();
        items.map(|item| f(&mut state, item)).collect()
    }
}

/// Collects the items into a `C`.
struct Collect<C>(PhantomData<C>);

impl<T, C: FromIterator<T>> PlainLoop<T> for Collect<C> {
    type Output = C;

    fn run(self, items: impl Iterator<Item = T>) -> C {
        items.collect()
    }
}

#[cfg(test)]
mod tests {
    use rayon::prelude::*;

    use super::*;

    /// Runs `body` on a fresh thread that is no pool's worker, so that a parallel loop
    /// that escaped in-place mode would show on rayon's global pool.
    fn on_plain_thread<T: Send>(body: impl FnOnce() -> T + Send) -> T {
        std::thread::scope(|scope| scope.spawn(body).join().expect("no panic"))
    }

    #[test]
    fn loops_in_place_run_in_order_on_the_calling_thread() {
        on_plain_thread(|| {
            let caller = std::thread::current().id();
            let mut data: Vec<usize> = (0..1000).collect();
            let seen = std::sync::Mutex::new(Vec::new());
            run_in_place(|| {
                assert!(in_place());
                for_each(data.par_chunks_mut(7).enumerate(), |(chunk, values)| {
                    assert_eq!(std::thread::current().id(), caller);
                    assert_eq!(rayon::current_thread_index(), None);
                    values.iter_mut().for_each(|v| *v += chunk);
                    seen.lock().unwrap().push(chunk);
                });
            });
            assert!(!in_place(), "the mode ends with the call");
            assert_eq!(seen.into_inner().unwrap(), (0..1000usize.div_ceil(7)).collect::<Vec<_>>());
            assert!(data.iter().enumerate().all(|(i, &v)| v == i + i / 7));
        });
    }

    #[test]
    fn every_helper_gives_the_same_in_place_as_in_parallel() {
        let data: Vec<u64> = (0..5000).map(|i| i * 2654435761 % 1009).collect();
        let run = || {
            let mut sums = vec![0u64; data.len().div_ceil(64)];
            for_each(sums.par_iter_mut().zip(data.par_chunks(64)), |(sum, chunk)| *sum = chunk.iter().sum());
            let mut maxima = vec![0u64; sums.len()];
            for_each_init(
                maxima.par_iter_mut().zip(data.par_chunks(64)),
                Vec::new,
                |scratch: &mut Vec<u64>, (max, chunk)| {
                    scratch.clear();
                    scratch.extend_from_slice(chunk);
                    *max = scratch.iter().copied().max().unwrap_or(0);
                },
            );
            let counts: Vec<usize> = map_init_collect(
                data.par_chunks(100),
                || 0usize,
                |calls, chunk| {
                    *calls += 1;
                    chunk.iter().filter(|&&v| v % 2 == 0).count()
                },
            );
            let checked: Result<Vec<u64>, String> =
                collect(data.par_iter().map(|&v| if v < 2000 { Ok(v * 3) } else { Err(format!("{v}")) }));
            (sums, maxima, counts, checked)
        };
        let parallel = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap().install(run);
        let in_place = on_plain_thread(|| run_in_place(run));
        assert_eq!(in_place, parallel);
        assert_eq!(in_place.0.iter().sum::<u64>(), data.iter().sum::<u64>());
    }

    #[test]
    fn a_panic_in_place_ends_the_mode() {
        on_plain_thread(|| {
            let unwound =
                std::panic::catch_unwind(|| crate::engine::quiet_panics::quietly(|| run_in_place(|| panic!("inside"))));
            assert!(unwound.is_err());
            assert!(!in_place());
        });
    }
}
