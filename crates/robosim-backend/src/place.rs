//! Where a job's programs run, and the sandbox each process makes for them.

use std::{ffi::OsString, path::PathBuf, sync::Arc};

use robosim_parallel::ProcessPool;
use robosim_sandbox::{CachePolicy, Limits, Sandbox, SandboxConfig};
use serde::{Deserialize, Serialize};

use crate::{Error, WorkerSetup};

/// How a process makes its sandbox: the guest cache, whether runs start from the snapshot
/// and whether programs are compiled on the host. The parent sends its own to its workers, so
/// every process runs the same guest the same way; limits come from the job's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxSetup {
    pub cache: CachePolicy,
    pub snapshot: bool,
    #[serde(default = "yes")]
    pub host_compile: bool,
}

const fn yes() -> bool {
    true
}

impl Default for SandboxSetup {
    fn default() -> Self {
        let config = SandboxConfig::default();
        Self { cache: config.cache, snapshot: config.snapshot, host_compile: config.host_compile }
    }
}

impl SandboxSetup {
    /// A sandbox whose runs default to `limits`, with a slot for each of `runs_at_once`.
    ///
    /// # Errors
    /// When the sandbox cannot be set up.
    pub fn sandbox(&self, limits: Limits, runs_at_once: usize) -> Result<Arc<Sandbox>, Error> {
        let config = SandboxConfig {
            cache: self.cache.clone(),
            limits,
            snapshot: self.snapshot,
            // One pool slot per thread running programs; more would only reserve address space.
            max_concurrent_runs: u32::try_from(runs_at_once.max(1)).unwrap_or(u32::MAX),
            host_compile: self.host_compile,
        };
        Ok(Arc::new(Sandbox::with_config(config)?))
    }
}

/// The command that starts a worker process (it must call [`crate::serve_worker`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerCommand {
    pub program: PathBuf,
    pub args: Vec<OsString>,
}

impl WorkerCommand {
    #[must_use]
    pub fn new(program: impl Into<PathBuf>, args: impl IntoIterator<Item = impl Into<OsString>>) -> Self {
        Self { program: program.into(), args: args.into_iter().map(Into::into).collect() }
    }

    /// This executable's `robosim worker` (the `robosim` binary).
    ///
    /// # Errors
    /// When the path of this executable cannot be found.
    pub fn current_exe_worker() -> std::io::Result<Self> {
        Ok(Self::new(std::env::current_exe()?, ["worker"]))
    }

    pub(crate) fn pool(&self, setup: &WorkerSetup, jobs: usize) -> ProcessPool {
        ProcessPool::new(&self.program, &self.args).with_setup(setup).with_max(jobs).with_depth(WORKER_DEPTH)
    }
}

/// Where a job's programs run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// In this process, on the caller's threads (as many at once as there are cores).
    InProcess,
    /// In at most `jobs` worker processes started by `command` as needed and kept: on a
    /// virtual machine, threads running copy-on-write snapshots slow each other down (see
    /// `robosim_parallel::ProcessPool`), processes do not.
    Workers { command: WorkerCommand, jobs: usize },
}

/// Requests a worker process holds at once: it starts on its next as soon as it has answered
/// one (see `robosim_parallel::ProcessPool::with_depth`), even when the parent's threads wait
/// for a core (with a core per worker, they run only when a worker yields one). Measured on
/// the dev corpus with `-j 2` (8 alternating runs): 2,105 programs/s median with one, 2,165
/// with two, 2,217 with four. A program that runs long holds up the requests behind it in its
/// worker (at most three), not the other workers.
const WORKER_DEPTH: usize = 4;

impl Place {
    /// The threads that keep the jobs busy here (the threads of a
    /// `robosim_parallel::ordered_map` calling the backend): in this process, one per job of
    /// the `jobs` asked for; with workers, one per request they hold at once (each has its
    /// next request waiting while it answers one).
    #[must_use]
    pub fn threads(&self, jobs: usize) -> usize {
        match self {
            Self::InProcess => jobs.max(1),
            Self::Workers { jobs: workers, .. } => (*workers).max(1) * WORKER_DEPTH,
        }
    }

    /// What `-j/--jobs N` means in every command: one job runs in this process, more in `N`
    /// worker processes started by `command`.
    #[must_use]
    pub fn for_jobs(jobs: usize, command: WorkerCommand) -> Self {
        if jobs <= 1 { Self::InProcess } else { Self::Workers { command, jobs } }
    }
}
