//! robosim's ordered parallel map, shared by every command that works on many items
//! (`verify-batch`, `grade`, the pipeline's stages): items go to `jobs` workers, results come
//! back in input order, so output never depends on thread timing.
//!
//! At most `window` items are in flight or waiting to be written, and no further item is
//! read while the results waiting to be written weigh more than a byte budget, so memory
//! stays bounded however slow one item is compared to the ones after it, and however
//! large its neighbours' results are.
//!
//! ```
//! use robosim_parallel::{Window, ordered_map};
//!
//! let mut squares = Vec::new();
//! ordered_map(1..=5u64, 2, Window::items(4), |&n| n * n, |_, _| 8, |_, square| {
//!     squares.push(square);
//!     Ok::<(), ()>(())
//! })
//! .unwrap();
//! assert_eq!(squares, [1, 4, 9, 16, 25]);
//! ```

#![forbid(unsafe_code)]

mod process;

use std::collections::BTreeMap;

use crossbeam::channel;
use parking_lot::{Condvar, Mutex};
pub use process::{ProcessPool, WorkerError, read_setup, serve, serve_from};

/// The stack of each thread [`ordered_map`] starts to run the work.
const WORKER_STACK_BYTES: usize = 16 << 20;

/// How many items an [`ordered_map`] keeps in flight, and how many bytes of finished results
/// it lets wait for their turn before it stops reading ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub items: usize,
    pub bytes: usize,
}

impl Window {
    /// `items` in flight, and 64 MiB of waiting results.
    #[must_use]
    pub const fn items(items: usize) -> Self {
        Self { items, bytes: 64 << 20 }
    }

    /// The window of a stream of items that vary widely in cost: [`READ_AHEAD`] items per job
    /// (and the byte budget). One item that runs for a second (a program that spins until its
    /// fuel runs out) then holds up only its own record: the other jobs go on with the items
    /// after it, where a window of a few items per job left them idle behind it.
    #[must_use]
    pub const fn ahead(jobs: usize) -> Self {
        let jobs = if jobs == 0 { 1 } else { jobs };
        Self::items(jobs.saturating_mul(READ_AHEAD))
    }
}

/// Items per job a [`Window::ahead`] lets run ahead of the oldest unwritten one.
pub const READ_AHEAD: usize = 512;

/// This machine's cores (at least one): how many jobs the commands run at once by default.
#[must_use]
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// The size of `value` as JSON, counted without building it: a result's weight.
pub fn json_weight(value: &impl serde::Serialize) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing to a counter cannot fail; a value serde refuses weighs what it wrote so far.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

/// Runs `work` on every item on `jobs` threads (the calling thread and `jobs - 1` more) and
/// hands `(item, result)` to `sink` in input order, on the calling thread, between the items
/// it works on itself. `weigh` tells the size in bytes of an item and its result (roughly:
/// what they hold in memory until written). Stops early (and returns the error) when `sink`
/// fails.
pub fn ordered_map<T, R, E>(
    items: impl Iterator<Item = T> + Send,
    jobs: usize,
    window: Window,
    work: impl Fn(&T) -> R + Sync,
    weigh: impl Fn(&T, &R) -> usize + Sync,
    mut sink: impl FnMut(T, R) -> Result<(), E>,
) -> Result<(), E>
where
    T: Send,
    R: Send,
{
    let Window { items: window, bytes: max_waiting } = window;
    let window = window.max(1);
    let (done_tx, done_rx) = channel::unbounded::<(usize, T, R, usize)>();
    // Every job takes its items itself, in input order, when it is ready for one, and the
    // calling thread is one of the jobs: it writes the results (in order) between its own
    // items. No reader or writer thread to wake for every item: with a core per job, each
    // wake-up was a context switch on a core running a program.
    let feed = Feed {
        state: Mutex::new(FeedState { items, taken: 0, written: 0, waiting: 0, open: true }),
        turn: Condvar::new(),
    };
    // A job's work on an item: the result, and its weight counted as waiting to be written.
    let run = |item: &T| {
        let result = work(item);
        let weight = weigh(item, &result);
        feed.state.lock().waiting += weight;
        (result, weight)
    };
    std::thread::scope(|scope| {
        let (feed, run) = (&feed, &run);
        // However this thread leaves (a failing sink, a panic), the other jobs stop taking items.
        let _close = Close(feed);
        for _ in 1..jobs.max(1) {
            let done_tx = done_tx.clone();
            // A roomy stack (address space; pages are touched only as deep as the work goes):
            // a program's host compile runs on it in place when the deepest tree it could
            // make fits, instead of on a stack mapped for it.
            let worker = std::thread::Builder::new().stack_size(WORKER_STACK_BYTES);
            let spawned = worker.spawn_scoped(scope, move || {
                while let Some((index, item)) = feed.take(window, max_waiting, true) {
                    let (result, weight) = run(&item);
                    if done_tx.send((index, item, result, weight)).is_err() {
                        break;
                    }
                }
            });
            spawned.expect("starting a worker thread");
        }
        drop(done_tx);
        let mut pending = BTreeMap::new();
        let mut next = 0;
        loop {
            pending.extend(done_rx.try_iter().map(|(index, item, result, weight)| (index, (item, result, weight))));
            while let Some((item, result, weight)) = pending.remove(&next) {
                let written = sink(item, result);
                next += 1;
                let mut state = feed.state.lock();
                state.written = next;
                state.waiting = state.waiting.saturating_sub(weight);
                drop(state);
                feed.turn.notify_all();
                written?;
            }
            // This thread's own next item; when the window is full, or the items have run out
            // while others are still at work, wait for one of theirs instead.
            match feed.take(window, max_waiting, false) {
                Some((index, item)) => {
                    let (result, weight) = run(&item);
                    pending.insert(index, (item, result, weight));
                }
                None if feed.state.lock().written_all() => return Ok(()),
                None => match done_rx.recv() {
                    Ok((index, item, result, weight)) => {
                        pending.insert(index, (item, result, weight));
                    }
                    // Every other job has ended (one panicked: the scope reports it).
                    Err(_) => return Ok(()),
                },
            }
        }
    })
}

/// Stops the jobs of an [`ordered_map`] from taking further items when dropped.
struct Close<'a, I>(&'a Feed<I>);

impl<I> Drop for Close<'_, I> {
    fn drop(&mut self) {
        self.0.state.lock().open = false;
        self.0.turn.notify_all();
    }
}

/// The items of an [`ordered_map`], taken by its workers.
struct Feed<I> {
    state: Mutex<FeedState<I>>,
    /// Signalled when a result is written (the window moves on) or the run ends.
    turn: Condvar,
}

struct FeedState<I> {
    items: I,
    /// Items taken so far (the index of the next).
    taken: usize,
    /// Results written so far.
    written: usize,
    /// Bytes of finished items and results not yet written.
    waiting: usize,
    /// Cleared when the items run out, or the run stops early.
    open: bool,
}

impl<T, I: Iterator<Item = T>> Feed<I> {
    /// The next item and its index, once it is within `window` of the oldest unwritten one
    /// and the waiting results weigh at most `max_waiting` (waiting for that when `wait`,
    /// else `None` at once); `None` when there are no more or the run stopped. The oldest
    /// unwritten item is always taken already (items are taken in order), so waiting here
    /// never stalls the run: it only stops reading ahead.
    fn take(&self, window: usize, max_waiting: usize, wait: bool) -> Option<(usize, T)> {
        let mut state = self.state.lock();
        while state.open && (state.taken >= state.written + window || state.waiting > max_waiting) {
            if !wait {
                return None;
            }
            self.turn.wait(&mut state);
        }
        if !state.open {
            return None;
        }
        let Some(item) = state.items.next() else {
            state.open = false;
            drop(state);
            self.turn.notify_all();
            return None;
        };
        let index = state.taken;
        state.taken += 1;
        Some((index, item))
    }
}

impl<I> FeedState<I> {
    /// Whether the items have run out and every one taken is written.
    const fn written_all(&self) -> bool {
        !self.open && self.written == self.taken
    }
}

/// [`ordered_map`] over a slice, collecting the results: `work(index, item)` on `jobs`
/// threads, `done()` after each result (in input order), the results in input order.
pub fn map_collect<T: Sync, R: Send>(
    items: &[T],
    jobs: usize,
    work: impl Fn(usize, &T) -> R + Sync,
    mut done: impl FnMut(),
) -> Vec<R> {
    let mut results = Vec::with_capacity(items.len());
    // Every result is kept, so weighing them would bound nothing, and the window spans the
    // slice: one slow item (a completion spinning until its fuel runs out, a model's answer
    // that takes its time) never leaves the other jobs idle behind it.
    let collected = ordered_map(
        items.iter().enumerate(),
        jobs,
        Window::items(items.len().max(1)),
        |&(index, item)| work(index, item),
        |_, _| 0,
        |_, result| {
            results.push(result);
            done();
            Ok::<(), std::convert::Infallible>(())
        },
    );
    match collected {
        Ok(()) => results,
        Err(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::{Window, map_collect, ordered_map};

    #[test]
    fn map_collect_keeps_input_order() {
        let items: Vec<u64> = (0..50).collect();
        let mut done = 0;
        let out = map_collect(
            &items,
            4,
            |i, &x| {
                // Later items finish first.
                std::thread::sleep(std::time::Duration::from_micros(50 * (50 - x)));
                (i, x * 2)
            },
            || done += 1,
        );
        assert_eq!(out, items.iter().map(|&x| (x as usize, x * 2)).collect::<Vec<_>>());
        assert_eq!(done, 50);
    }

    #[test]
    fn waiting_results_are_bounded_by_bytes() {
        // Item 0 is slow; the others finish at once and weigh 1 MB each. With a 3 MB budget,
        // reading stops once they wait behind item 0, far below the 64-item window.
        let started = AtomicUsize::new(0);
        let mut most_started_before_first = 0;
        let mut first = true;
        ordered_map(
            0..100usize,
            2,
            Window { items: 64, bytes: 3_000_000 },
            |&i| {
                started.fetch_add(1, Ordering::SeqCst);
                if i == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(300));
                }
                vec![0u8; 1_000_000]
            },
            |_, result: &Vec<u8>| result.len(),
            |_, _| {
                if first {
                    most_started_before_first = started.load(Ordering::SeqCst);
                    first = false;
                }
                Ok::<(), ()>(())
            },
        )
        .unwrap();
        assert_eq!(started.load(Ordering::SeqCst), 100);
        assert!(most_started_before_first <= 12, "{most_started_before_first} started while item 0 ran");
    }

    #[test]
    fn results_come_back_in_input_order() {
        let mut seen = Vec::new();
        ordered_map(
            0..200u64,
            4,
            Window::items(8),
            |&i| {
                // Early items are the slow ones.
                std::thread::sleep(std::time::Duration::from_micros((200 - i) * 20));
                i * 2
            },
            |_, _| 8,
            |item, result| {
                seen.push((item, result));
                Ok::<(), ()>(())
            },
        )
        .unwrap();
        assert_eq!(seen, (0..200).map(|i| (i, i * 2)).collect::<Vec<_>>());
    }

    #[test]
    fn a_panicking_item_ends_the_run_with_its_panic() {
        // Whichever job takes it (the calling thread or the other), the run ends, not hangs
        // with the other job waiting for the window to move.
        for jobs in [1, 2, 3] {
            let run = std::panic::catch_unwind(|| {
                ordered_map(
                    0..10_000u64,
                    jobs,
                    Window::items(2),
                    |&i| assert_ne!(i, 7, "item 7"),
                    |_, _| 0,
                    |_, ()| Ok::<(), ()>(()),
                )
            });
            assert!(run.is_err(), "jobs {jobs}");
        }
    }

    #[test]
    fn a_failing_sink_stops_the_run() {
        let mut written = 0;
        let result = ordered_map(
            0..1000,
            2,
            Window::items(4),
            |&i| i,
            |_, _| 8,
            |_, _| {
                written += 1;
                if written == 10 { Err("disk full") } else { Ok(()) }
            },
        );
        assert_eq!(result, Err("disk full"));
        assert_eq!(written, 10);
    }
}
