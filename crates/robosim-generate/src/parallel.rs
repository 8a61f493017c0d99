//! Ordered parallel map: results come back in input order whatever finishes first, so a
//! stage's output does not depend on thread timing (and a re-run hits the same cache keys).

use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;

/// `f(state, index, item)` for every item on `workers` threads, each with its own `init()`
/// state; `done()` after each item.
pub(crate) fn ordered_map<T: Sync, R: Send, S>(
    items: &[T],
    workers: usize,
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, usize, &T) -> R + Sync,
    done: impl Fn() + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new(items.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers.clamp(1, items.len().max(1)) {
            scope.spawn(|| {
                let mut state = init();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let result = f(&mut state, i, item);
                    results.lock()[i] = Some(result);
                    done();
                }
            });
        }
    });
    results.into_inner().into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn keeps_input_order() {
        let items: Vec<u64> = (0..50).collect();
        let done = AtomicUsize::new(0);
        let out = super::ordered_map(
            &items,
            4,
            || 0u64,
            |calls, _, &x| {
                *calls += 1;
                // Later items finish first.
                std::thread::sleep(std::time::Duration::from_micros(50 * (50 - x)));
                x * 2
            },
            || {
                done.fetch_add(1, Ordering::Relaxed);
            },
        );
        assert_eq!(out, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert_eq!(done.load(Ordering::Relaxed), 50);
    }
}
