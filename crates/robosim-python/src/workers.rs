//! `verify_many`'s worker processes: this Python running the extension's `_serve_verify`,
//! one program at a time over pipes (`robosim_parallel::ProcessPool`), as the `robosim`
//! command's `verify-worker`s do.

use std::borrow::Cow;

use pyo3::prelude::*;
use robosim_parallel::{ProcessPool, Window, WorkerError, json_weight, ordered_map};
use robosim_verify::{Verdict, Verifier, VerifyConfig};
use serde::{Deserialize, Serialize};

/// One request: verify `program`.
#[derive(Debug, Serialize, Deserialize)]
struct Request<'a> {
    program: Cow<'a, str>,
}

/// The pool of worker processes of one verifier.
#[derive(Debug)]
pub(crate) struct Workers {
    pool: ProcessPool,
}

impl Workers {
    /// Workers running `sys.executable` with the verifier's settings (started when needed).
    pub(crate) fn new(py: Python<'_>, config: &VerifyConfig) -> PyResult<Self> {
        let python: String = py.import("sys")?.getattr("executable")?.extract()?;
        let settings = serde_json::to_string(config).map_err(crate::failed)?;
        let code = format!("import robosim._robosim as r; r._serve_verify({settings:?})");
        Ok(Self { pool: ProcessPool::new(python, ["-c".to_owned(), code]) })
    }

    /// `programs` verified by up to `jobs` workers at once; verdicts in input order. A program
    /// whose worker cannot be started is verified by `fallback` in this process; one whose
    /// worker died is rejected as a `Trap` that says so.
    pub(crate) fn verify_all(&self, fallback: &Verifier, programs: &[String], jobs: usize) -> Vec<Verdict> {
        let verify = |program: &&String| match self.pool.call::<Verdict>(&Request { program: Cow::Borrowed(program) }) {
            Ok(verdict) => verdict,
            Err(WorkerError::Spawn { .. }) => fallback.verify(program),
            Err(e) => Verdict::machinery_failed(format!("the verification worker failed: {e}")),
        };
        let mut verdicts = Vec::with_capacity(programs.len());
        let sink = |_: &String, verdict| {
            verdicts.push(verdict);
            Ok::<(), std::convert::Infallible>(())
        };
        let Ok(()) = ordered_map(programs.iter(), jobs, Window::items(jobs * 16), verify, json_weight, sink);
        verdicts
    }
}

/// The worker's side: verdicts for the programs on stdin until it closes.
pub(crate) fn serve(verifier: &Verifier) -> std::io::Result<()> {
    robosim_parallel::serve(|request: Request<'_>| verifier.verify(&request.program))
}
