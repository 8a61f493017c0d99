//! [`Grading`]: completions graded in this process or by worker processes.

use std::{borrow::Cow, path::Path, sync::Arc};

use robosim_grade::{Grader, InProcess, Task, TraceReading, WorldResult, not_run};
use robosim_parallel::ProcessPool;
use robosim_sandbox::Sandbox;

use crate::{Error, Job, Place, SandboxSetup, WorkerSetup, worker::GradeRequest};

/// A [`Grader`] backend for the tasks of one directory: a sandbox in this process, or worker
/// processes that load the same tasks and grade under the same settings.
#[derive(Debug)]
pub struct Grading {
    settings: robosim_grade::Grading,
    how: How,
}

enum How {
    Here(Arc<Sandbox>),
    Workers(ProcessPool),
}

impl std::fmt::Debug for How {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Here(_) => f.write_str("Here"),
            Self::Workers(pool) => f.debug_tuple("Workers").field(pool).finish(),
        }
    }
}

impl Grading {
    /// Grading of the tasks in `tasks` under `settings`, where `place` says.
    ///
    /// # Errors
    /// When this process's sandbox cannot be set up (workers are started on first use).
    pub fn new(
        tasks: &Path,
        settings: robosim_grade::Grading,
        sandbox: &SandboxSetup,
        place: &Place,
    ) -> Result<Self, Error> {
        let how = match place {
            Place::InProcess => How::Here(sandbox.sandbox(settings.limits, robosim_parallel::cores())?),
            Place::Workers { command, jobs } => {
                // Workers resolve the directory from wherever they start.
                let tasks = std::path::absolute(tasks)?;
                let setup = WorkerSetup { sandbox: sandbox.clone(), job: Job::Grade { tasks, settings } };
                How::Workers(command.pool(&setup, *jobs))
            }
        };
        Ok(Self { settings, how })
    }

    /// The settings every completion is graded under.
    #[must_use]
    pub const fn settings(&self) -> &robosim_grade::Grading {
        &self.settings
    }
}

impl Grader for Grading {
    fn grade(&self, task: &Task, source: &str) -> Vec<WorldResult> {
        self.grade_together(task, &[], source).swap_remove(0)
    }

    fn trace(&self) -> TraceReading {
        self.settings.trace
    }

    fn grade_together(&self, task: &Task, also: &[&Task], source: &str) -> Vec<Vec<WorldResult>> {
        let pool = match &self.how {
            How::Here(sandbox) => {
                return InProcess { sandbox, grading: self.settings }.grade_together(task, also, source);
            }
            How::Workers(pool) => pool,
        };
        let request = GradeRequest {
            task: Cow::Borrowed(&task.name),
            also: also.iter().map(|t| Cow::Borrowed(t.name.as_str())).collect(),
            source: Cow::Borrowed(source),
        };
        let tasks = || std::iter::once(task).chain(also.iter().copied());
        match pool.call::<Vec<Vec<WorldResult>>>(&request) {
            Ok(results) if results.len() == 1 + also.len() => results,
            Ok(_) => tasks().map(|t| not_run(t, "the grading worker does not know this task")).collect(),
            Err(e) => tasks().map(|t| not_run(t, &format!("the grading worker failed: {e}"))).collect(),
        }
    }
}
