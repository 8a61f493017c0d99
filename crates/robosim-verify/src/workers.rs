//! Verifying in worker processes: [`Workers`] hands each program to a child process running
//! [`serve`] (the `robosim verify-worker` command, or a Python process with the extension
//! module), one JSON line each way over pipes (`robosim_parallel::ProcessPool`).
//!
//! Why processes and not threads: see `robosim_parallel::ProcessPool` (on a virtual machine,
//! threads running copy-on-write snapshots slow each other down with TLB shootdowns).

use std::{borrow::Cow, time::Duration};

use robosim_parallel::{ProcessPool, WorkerError};
use serde::{Deserialize, Serialize};

use crate::{Verdict, Verifier, Verify};

/// One request: verify `program`.
#[derive(Debug, Serialize, Deserialize)]
struct Request<'a> {
    program: Cow<'a, str>,
}

/// A [`Verify`] backend whose verdicts come from worker processes. A worker that dies
/// leaves its program not run, saying so ([`Verdict::not_run`]): robosim's failure, not the
/// program's.
#[derive(Debug)]
pub struct Workers {
    pool: ProcessPool,
    fallback: Option<Verifier>,
}

impl Workers {
    /// Workers started by `pool` (each must run [`serve`] under the settings wanted).
    #[must_use]
    pub const fn new(pool: ProcessPool) -> Self {
        Self { pool, fallback: None }
    }

    /// When no worker can be started, verify in this process with `verifier` instead.
    #[must_use]
    pub fn or_in_process(self, verifier: Verifier) -> Self {
        Self { fallback: Some(verifier), ..self }
    }
}

impl Verify for Workers {
    fn verify(&self, source: &str) -> Verdict {
        match self.pool.call::<Verdict>(&Request { program: Cow::Borrowed(source) }) {
            Ok(verdict) => verdict,
            Err(e) => match (&e, &self.fallback) {
                (WorkerError::Spawn { .. }, Some(verifier)) => verifier.verify(source),
                _ => Verdict::not_run(format!("the verification worker failed: {e}"), 0, 0, Duration::ZERO),
            },
        }
    }
}

/// The worker's side: answers each program on stdin with its verdict on stdout, until stdin
/// closes.
///
/// # Errors
/// Reading stdin or writing stdout fails, or a request is not a request.
pub fn serve(verifier: &Verifier) -> std::io::Result<()> {
    robosim_parallel::serve(|request: Request<'_>| verifier.verify(&request.program))
}
