//! One way to run a job: a [`Verification`] or a [`Grading`] backend runs its programs in this
//! process or in a pool of worker processes, as the caller chooses with a [`Place`]; every
//! command and the Python package get their backends here.
//!
//! A worker is any process that calls [`serve_worker`]: the hidden `robosim worker`
//! subcommand, or a Python interpreter running the extension module. It reads its job and
//! every setting as one JSON line ([`WorkerSetup`]), made from the same value the parent
//! resolved, so a worker can never verify or grade under other settings than the parent
//! reports; then it answers one request per line. A worker that dies (or answers nonsense)
//! is an infrastructure failure: its program or completion is *not run*, counted apart from
//! the rejections and failures of programs, the worker is replaced, and the batch goes on.
//!
//! ```
//! use robosim_backend::{Place, SandboxSetup, Verification};
//! use robosim_verify::{Verify, VerifyConfig};
//!
//! let backend = Verification::new(VerifyConfig::default(), &SandboxSetup::default(), &Place::InProcess)?;
//! let verdict = backend.verify("def task_program():\n    if not is_in_room('pen'):\n        pick('pen')\n");
//! assert!(!verdict.accepted());
//! assert_eq!(backend.config(), &VerifyConfig::default());
//! # Ok::<(), robosim_backend::Error>(())
//! ```

#![forbid(unsafe_code)]

mod grade;
mod place;
mod verify;
mod worker;

pub use grade::Grading;
pub use place::{Place, SandboxSetup, WorkerCommand};
pub use verify::Verification;
pub use worker::{Job, WorkerSetup, no_huge_pages, serve_worker};

/// Why a backend or a worker could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Sandbox(#[from] robosim_sandbox::Error),
    #[error(transparent)]
    Tasks(#[from] robosim_grade::Error),
    /// The worker's own input or output failed, or its setup line was not one.
    #[error("the worker's pipes failed: {0}")]
    Pipe(#[from] std::io::Error),
}
