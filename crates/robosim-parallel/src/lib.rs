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

/// Runs `work` on every item on `jobs` threads and hands `(item, result)` to `sink` in input
/// order, on the calling thread. `weigh` tells the size in bytes of an item and its result
/// (roughly: what they hold in memory until written). Stops early (and returns the error) when `sink` fails.
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
    let (credit_tx, credit_rx) = channel::bounded::<()>(window);
    // A short queue: items are read (and so weighed against the budget) just before they run.
    let (work_tx, work_rx) = channel::bounded::<(usize, T)>(jobs.max(1));
    let (done_tx, done_rx) = channel::unbounded::<(usize, T, R, isize)>();
    for _ in 0..window {
        credit_tx.send(()).expect("the credit channel has room for the window");
    }
    // Bytes of finished results not yet written; `None` once the run is over. A worker adds a
    // result's weight before handing it on, so results still queued for the writer count too
    // (when the writer falls behind, the reader stops as soon as the budget is spent).
    let gate = (Mutex::new(Some(0usize)), Condvar::new());
    let add = |delta: isize| {
        let mut waiting = gate.0.lock();
        if let Some(bytes) = waiting.as_mut() {
            *bytes = bytes.saturating_add_signed(delta);
        }
        gate.1.notify_all();
    };
    std::thread::scope(|scope| {
        let (gate, add) = (&gate, &add);
        scope.spawn(move || {
            for (index, item) in items.enumerate() {
                // Wait for a written record before reading further ahead, and for the waiting
                // results to fit the budget. The next result to write is always in flight or
                // waiting already, so this never stalls the run: it only stops reading ahead.
                if credit_rx.recv().is_err() {
                    break;
                }
                let mut waiting = gate.0.lock();
                while waiting.is_some_and(|bytes| bytes > max_waiting) {
                    gate.1.wait(&mut waiting);
                }
                if waiting.is_none() {
                    break;
                }
                drop(waiting);
                if work_tx.send((index, item)).is_err() {
                    break;
                }
            }
        });
        for _ in 0..jobs.max(1) {
            let (work_rx, done_tx, work, weigh) = (work_rx.clone(), done_tx.clone(), &work, &weigh);
            // A roomy stack (address space; pages are touched only as deep as the work goes):
            // a program's host compile runs on it in place when the deepest tree it could
            // make fits, instead of on a stack mapped for it.
            let worker = std::thread::Builder::new().stack_size(WORKER_STACK_BYTES);
            let spawned = worker.spawn_scoped(scope, move || {
                for (index, item) in work_rx {
                    let result = work(&item);
                    let weight = isize::try_from(weigh(&item, &result)).unwrap_or(isize::MAX);
                    add(weight);
                    if done_tx.send((index, item, result, weight)).is_err() {
                        break;
                    }
                }
            });
            spawned.expect("starting a worker thread");
        }
        drop((work_rx, done_tx));
        let mut pending = BTreeMap::new();
        let mut next = 0;
        let mut outcome = Ok(());
        'collect: for (index, item, result, weight) in &done_rx {
            pending.insert(index, (item, result, weight));
            while let Some((item, result, weight)) = pending.remove(&next) {
                add(-weight);
                if let Err(err) = sink(item, result) {
                    outcome = Err(err);
                    break 'collect;
                }
                next += 1;
                let _ = credit_tx.send(());
            }
        }
        *gate.0.lock() = None;
        gate.1.notify_all();
        // Dropping these ends the reader (no more credits) and the workers (nowhere to send).
        drop((credit_tx, done_rx));
        outcome
    })
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
    // Every result is kept, so weighing them would bound nothing.
    let collected = ordered_map(
        items.iter().enumerate(),
        jobs,
        Window::items(jobs.max(1) * 4),
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
