//! Grading and verifying in worker processes: `robosim grade-worker` and `robosim
//! verify-worker` (hidden) are the workers; [`grader`] and [`verifier`] give the commands that
//! grade or verify a backend that hands each item to one.
//!
//! Why processes and not threads: see `robosim_parallel::ProcessPool` (on a virtual machine,
//! threads running copy-on-write snapshots slow each other down with TLB shootdowns).

use std::{borrow::Cow, collections::HashMap, path::PathBuf};

use clap::Args;
use robosim::{
    Sandbox,
    grade::{Grader, Grading, InProcess, Task, TraceReading, WorldResult, not_run},
    parallel::{ProcessPool, serve},
    verify::{self, Verifier, Verify, VerifyConfig},
};
use serde::{Deserialize, Serialize};

use super::{
    Cli,
    shared::{ExitStatus, LimitArgs, TraceArgs},
};

#[derive(Debug, Args)]
pub(crate) struct GradeWorkerArgs {
    /// The task files the requests name.
    #[arg(long)]
    tasks: PathBuf,
    #[command(flatten)]
    pub(crate) limits: LimitArgs,
    #[command(flatten)]
    trace: TraceArgs,
}

/// One request: grade `source` on the task named `task` and on those named in `also` (which
/// share its states); the answer is one result list per task, `task`'s first.
#[derive(Debug, Serialize, Deserialize)]
struct Request<'a> {
    task: Cow<'a, str>,
    #[serde(default)]
    also: Vec<Cow<'a, str>>,
    source: Cow<'a, str>,
}

/// The worker: answers each request line on stdin with the task's world results on stdout.
pub(crate) fn run(sandbox: &Sandbox, args: &GradeWorkerArgs) -> anyhow::Result<ExitStatus> {
    let tasks = Task::load_dir(&args.tasks)?;
    let by_name: HashMap<&str, &Task> = tasks.iter().map(|t| (t.name.as_str(), t)).collect();
    let grader = InProcess { sandbox, grading: Grading { limits: args.limits.grading(), trace: args.trace.reading() } };
    serve(|request: Request<'_>| -> Vec<Vec<WorldResult>> {
        // The parent only names tasks it loaded from the same directory; an unknown one gets no results.
        let Some(task) = by_name.get(request.task.as_ref()) else { return Vec::new() };
        let Some(also) = request.also.iter().map(|n| by_name.get(n.as_ref()).copied()).collect::<Option<Vec<&Task>>>()
        else {
            return Vec::new();
        };
        grader.grade_together(task, &also, &request.source)
    })?;
    Ok(ExitStatus::Success)
}

/// Grading through worker processes.
struct Workers {
    pool: ProcessPool,
    trace: TraceReading,
}

impl Grader for Workers {
    fn grade(&self, task: &Task, source: &str) -> Vec<WorldResult> {
        self.grade_together(task, &[], source).swap_remove(0)
    }

    fn trace(&self) -> TraceReading {
        self.trace
    }

    fn grade_together(&self, task: &Task, also: &[&Task], source: &str) -> Vec<Vec<WorldResult>> {
        let request = Request {
            task: Cow::Borrowed(&task.name),
            also: also.iter().map(|t| Cow::Borrowed(t.name.as_str())).collect(),
            source: Cow::Borrowed(source),
        };
        let tasks = || std::iter::once(task).chain(also.iter().copied());
        match self.pool.call::<Vec<Vec<WorldResult>>>(&request) {
            Ok(results) if results.len() == 1 + also.len() => results,
            Ok(_) => tasks().map(|t| not_run(t, "the grading worker does not know this task")).collect(),
            Err(e) => tasks().map(|t| not_run(t, &format!("the grading worker failed: {e}"))).collect(),
        }
    }
}

/// The grader for a command grading with `jobs` workers: in this process for one, else in
/// worker processes (this executable, `grade-worker`), started as needed, one per job.
pub(crate) fn grader<'a>(
    cli: &Cli,
    sandbox: &'a Sandbox,
    tasks: &std::path::Path,
    limits: &LimitArgs,
    trace: TraceArgs,
    jobs: usize,
) -> anyhow::Result<Box<dyn Grader + 'a>> {
    if jobs <= 1 {
        return Ok(Box::new(InProcess {
            sandbox,
            grading: Grading { limits: limits.grading(), trace: trace.reading() },
        }));
    }
    let mut args = vec!["--tasks".into(), tasks.as_os_str().to_owned()];
    args.extend(limits.to_args().into_iter().chain(trace.to_args()).map(Into::into));
    Ok(Box::new(Workers { pool: worker_pool(cli, "grade-worker", args)?, trace: trace.reading() }))
}

#[derive(Debug, Args)]
pub(crate) struct VerifyWorkerArgs {
    /// The verifier's settings, as JSON (the parent's, so that both verify alike).
    #[arg(long)]
    settings: String,
}

impl VerifyWorkerArgs {
    fn config(&self) -> anyhow::Result<VerifyConfig> {
        let mut config: VerifyConfig = serde_json::from_str(&self.settings)?;
        // Not part of the serialised settings: a batch always calls `task_program()`.
        config.entry = VerifyConfig::default().entry;
        Ok(config)
    }

    pub(crate) fn limits(&self) -> anyhow::Result<robosim::Limits> {
        Ok(self.config()?.limits)
    }
}

/// The worker: answers each request line on stdin with the program's verdict on stdout.
pub(crate) fn verify_run(sandbox: &std::sync::Arc<Sandbox>, args: &VerifyWorkerArgs) -> anyhow::Result<ExitStatus> {
    let verifier = Verifier::with_sandbox(sandbox.clone(), args.config()?);
    verify::serve(&verifier)?;
    Ok(ExitStatus::Success)
}

/// The backend for a command verifying with `jobs` workers under `verifier`'s settings: the
/// verifier itself for one, else worker processes (this executable, `verify-worker`).
pub(crate) fn verifier<'a>(cli: &Cli, verifier: &'a Verifier, jobs: usize) -> anyhow::Result<Box<dyn Verify + 'a>> {
    if jobs <= 1 {
        return Ok(Box::new(verifier.clone()));
    }
    let args = vec!["--settings".into(), serde_json::to_string(verifier.config())?.into()];
    Ok(Box::new(verify::Workers::new(worker_pool(cli, "verify-worker", args)?)))
}

/// Worker processes running this executable's `subcommand` with `args`, under the same global
/// options (guest cache, snapshot) as this command.
fn worker_pool(cli: &Cli, subcommand: &str, args: Vec<std::ffi::OsString>) -> anyhow::Result<ProcessPool> {
    let mut all: Vec<std::ffi::OsString> = Vec::new();
    if let Some(dir) = &cli.cache_dir {
        all.extend(["--cache-dir".into(), dir.clone().into_os_string()]);
    }
    if cli.no_snapshot {
        all.push("--no-snapshot".into());
    }
    all.push(subcommand.into());
    all.extend(args);
    Ok(ProcessPool::new(std::env::current_exe()?, all))
}
