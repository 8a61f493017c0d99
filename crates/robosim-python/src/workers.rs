//! Worker processes for `verify_many` and `Grader.grade`: this Python running the extension's
//! `_worker` (`robosim_backend::serve_worker`), the same workers `robosim -j N` starts.

use pyo3::prelude::*;
use robosim_backend::{Place, WorkerCommand};
use robosim_parallel::map_collect;

/// `jobs` as Python gave it: None is one per core.
pub(crate) fn jobs(jobs: Option<i64>) -> PyResult<usize> {
    match jobs {
        None => Ok(robosim_parallel::cores()),
        Some(n) if n >= 1 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        Some(n) => Err(pyo3::exceptions::PyValueError::new_err(format!("jobs must be at least 1, not {n}"))),
    }
}

/// `jobs` worker processes running `sys.executable` with this module.
pub(crate) fn place(py: Python<'_>, jobs: usize) -> PyResult<Place> {
    let python: String = py.import("sys")?.getattr("executable")?.extract()?;
    let code = "import robosim._robosim as r; r._worker()";
    Ok(Place::Workers { command: WorkerCommand::new(python, ["-c", code]), jobs })
}

/// A backend of worker processes kept between calls (starting them costs a Python start-up
/// each), made again when a call asks for another number of jobs.
pub(crate) struct Kept<T>(parking_lot::Mutex<Option<(usize, std::sync::Arc<T>)>>);

impl<T> Default for Kept<T> {
    fn default() -> Self {
        Self(parking_lot::Mutex::new(None))
    }
}

impl<T> Kept<T> {
    /// The backend for `jobs` workers: the kept one, or one `make` makes (the old one's workers
    /// exit when its last user drops it).
    pub(crate) fn get(&self, jobs: usize, make: impl FnOnce() -> PyResult<T>) -> PyResult<std::sync::Arc<T>> {
        let mut slot = self.0.lock();
        if let Some((_, kept)) = slot.as_ref().filter(|(n, _)| *n == jobs) {
            return Ok(kept.clone());
        }
        let made = std::sync::Arc::new(make()?);
        *slot = Some((jobs, made.clone()));
        Ok(made)
    }
}

/// `f` over `items` on `threads` threads; results in input order.
pub(crate) fn map_in_order<T: Sync, R: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    map_collect(items, threads, |_, item| f(item), || {})
}
