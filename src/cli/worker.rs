//! Grading in worker processes: `robosim grade-worker` (hidden) is the worker, and [`grader`]
//! gives the commands that grade a [`Grader`] that hands each completion to one.
//!
//! Why processes and not threads: see `robosim_parallel::ProcessPool` (on a virtual machine,
//! threads running copy-on-write snapshots slow each other down with TLB shootdowns).

use std::{borrow::Cow, collections::HashMap, path::PathBuf};

use clap::Args;
use robosim::{
    Sandbox,
    grade::{Grader, InProcess, Task, WorldResult, not_run},
    parallel::{ProcessPool, serve},
};
use serde::{Deserialize, Serialize};

use super::{
    Cli,
    shared::{ExitStatus, LimitArgs},
};

#[derive(Debug, Args)]
pub(crate) struct GradeWorkerArgs {
    /// The task files the requests name.
    #[arg(long)]
    tasks: PathBuf,
    #[command(flatten)]
    pub(crate) limits: LimitArgs,
}

/// One request: grade `source` on the task named `task`.
#[derive(Debug, Serialize, Deserialize)]
struct Request<'a> {
    task: Cow<'a, str>,
    source: Cow<'a, str>,
}

/// The worker: answers each request line on stdin with the task's world results on stdout.
pub(crate) fn run(sandbox: &Sandbox, args: &GradeWorkerArgs) -> anyhow::Result<ExitStatus> {
    let tasks = Task::load_dir(&args.tasks)?;
    let by_name: HashMap<&str, &Task> = tasks.iter().map(|t| (t.name.as_str(), t)).collect();
    let grader = InProcess { sandbox, limits: args.limits.limits() };
    serve(|request: Request<'_>| -> Vec<WorldResult> {
        // The parent only names tasks it loaded from the same directory.
        by_name.get(request.task.as_ref()).map_or_else(Vec::new, |task| grader.grade(task, &request.source))
    })?;
    Ok(ExitStatus::Success)
}

/// Grading through worker processes.
struct Workers {
    pool: ProcessPool,
}

impl Grader for Workers {
    fn grade(&self, task: &Task, source: &str) -> Vec<WorldResult> {
        let request = Request { task: Cow::Borrowed(&task.name), source: Cow::Borrowed(source) };
        match self.pool.call::<Vec<WorldResult>>(&request) {
            Ok(results) if !results.is_empty() => results,
            Ok(_) => not_run(task, "the grading worker does not know this task"),
            Err(e) => not_run(task, &format!("the grading worker failed: {e}")),
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
    jobs: usize,
) -> anyhow::Result<Box<dyn Grader + 'a>> {
    if jobs <= 1 {
        return Ok(Box::new(InProcess { sandbox, limits: limits.limits() }));
    }
    let mut args: Vec<std::ffi::OsString> = Vec::new();
    if let Some(dir) = &cli.cache_dir {
        args.extend(["--cache-dir".into(), dir.clone().into_os_string()]);
    }
    if cli.no_snapshot {
        args.push("--no-snapshot".into());
    }
    args.extend(["grade-worker".into(), "--tasks".into(), tasks.as_os_str().to_owned()]);
    args.extend(limits.to_args().into_iter().map(Into::into));
    let exe = std::env::current_exe()?;
    Ok(Box::new(Workers { pool: ProcessPool::new(exe, args) }))
}
