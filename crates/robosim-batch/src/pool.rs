//! An ordered parallel map: items go to `jobs` workers, results come back in input order.
//!
//! At most `window` items are in flight or waiting to be written, so memory stays bounded
//! however slow one program is compared to the ones after it.

use std::collections::BTreeMap;

use crossbeam::channel;

/// Runs `work` on every item on `jobs` threads (each with its own state from `init`) and
/// hands `(item, result)` to `sink` in input order, on the calling thread. Stops early (and
/// returns the error) when `sink` fails.
pub fn ordered_map<T, S, R, E>(
    items: impl Iterator<Item = T> + Send,
    jobs: usize,
    window: usize,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, &T) -> R + Sync,
    mut sink: impl FnMut(T, R) -> Result<(), E>,
) -> Result<(), E>
where
    T: Send,
    R: Send,
{
    let window = window.max(1);
    let (credit_tx, credit_rx) = channel::bounded::<()>(window);
    let (work_tx, work_rx) = channel::bounded::<(usize, T)>(window);
    let (done_tx, done_rx) = channel::unbounded::<(usize, T, R)>();
    for _ in 0..window {
        credit_tx.send(()).expect("the credit channel has room for the window");
    }
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for (index, item) in items.enumerate() {
                // Wait for a written record before reading further ahead.
                if credit_rx.recv().is_err() || work_tx.send((index, item)).is_err() {
                    break;
                }
            }
        });
        for _ in 0..jobs.max(1) {
            let (work_rx, done_tx, init, work) = (work_rx.clone(), done_tx.clone(), &init, &work);
            scope.spawn(move || {
                let mut state = init();
                for (index, item) in work_rx {
                    let result = work(&mut state, &item);
                    if done_tx.send((index, item, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop((work_rx, done_tx));
        let mut pending = BTreeMap::new();
        let mut next = 0;
        let mut outcome = Ok(());
        'collect: for (index, item, result) in &done_rx {
            pending.insert(index, (item, result));
            while let Some((item, result)) = pending.remove(&next) {
                if let Err(err) = sink(item, result) {
                    outcome = Err(err);
                    break 'collect;
                }
                next += 1;
                let _ = credit_tx.send(());
            }
        }
        // Dropping these ends the reader (no more credits) and the workers (nowhere to send).
        drop((credit_tx, done_rx));
        outcome
    })
}

#[cfg(test)]
mod tests {
    use super::ordered_map;

    #[test]
    fn results_come_back_in_input_order() {
        let mut seen = Vec::new();
        ordered_map(
            0..200u64,
            4,
            8,
            || (),
            |(), &i| {
                // Early items are the slow ones.
                std::thread::sleep(std::time::Duration::from_micros((200 - i) * 20));
                i * 2
            },
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
            4,
            || (),
            |(), &i| i,
            |_, _| {
                written += 1;
                if written == 10 { Err("disk full") } else { Ok(()) }
            },
        );
        assert_eq!(result, Err("disk full"));
        assert_eq!(written, 10);
    }
}
