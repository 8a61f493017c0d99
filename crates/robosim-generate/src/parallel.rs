//! Ordered parallel map: results come back in input order whatever finishes first, so a
//! stage's output does not depend on thread timing (and a re-run hits the same cache keys).

use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;

/// `f(index, item)` for every item on `workers` threads; `done()` after each item.
pub(crate) fn ordered_map<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    f: impl Fn(usize, &T) -> R + Sync,
    done: impl Fn() + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new(items.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers.clamp(1, items.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let result = f(i, item);
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
            |_, &x| {
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
