//! `verify_many`'s worker processes: this Python running the extension's `_serve_verify`
//! (`robosim_verify::serve`), fed as `verify-batch` feeds the `robosim verify-worker`s.

use pyo3::prelude::*;
use robosim_parallel::{ProcessPool, Window, json_weight, ordered_map};
use robosim_verify::{Verdict, Verifier, Verify, Workers};

/// Workers running `sys.executable` with `verifier`'s settings (started when needed); when
/// none can be started, `verifier` verifies in this process.
pub(crate) fn workers(py: Python<'_>, verifier: &Verifier) -> PyResult<Workers> {
    let python: String = py.import("sys")?.getattr("executable")?.extract()?;
    let settings = serde_json::to_string(verifier.config()).map_err(crate::failed)?;
    let code = format!("import robosim._robosim as r; r._serve_verify({settings:?})");
    Ok(Workers::new(ProcessPool::new(python, ["-c".to_owned(), code])).or_in_process(verifier.clone()))
}

/// `programs` verified by `backend` on `jobs` threads; verdicts in input order.
pub(crate) fn verify_all(backend: &dyn Verify, programs: &[String], jobs: usize) -> Vec<Verdict> {
    let mut verdicts = Vec::with_capacity(programs.len());
    let sink = |_: &String, verdict| {
        verdicts.push(verdict);
        Ok::<(), std::convert::Infallible>(())
    };
    let verify = |program: &&String| backend.verify(program);
    let Ok(()) = ordered_map(programs.iter(), jobs, Window::items(jobs * 16), verify, json_weight, sink);
    verdicts
}
