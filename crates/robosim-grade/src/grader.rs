//! [`Grader`]: what runs a completion in a task's worlds: a sandbox in this process
//! ([`InProcess`]), or anything else that answers the same (robosim's CLI uses worker
//! processes, see `robosim_parallel::ProcessPool`).

use robosim_sandbox::{LimitOverrides, Limits, Sandbox, SettingError};
use serde::{Deserialize, Serialize};

use crate::{FailedCheck, Task, TraceReading, WorldResult, grade_one, grade_together, roboeval::state_name};

/// The limits a grading run gets unless told otherwise: the sandbox's defaults with 1 G fuel
/// per world or state, far more than RoboEval's programs need (on the labelled corpus every
/// verdict is the same with 1 G, 2 G and 5 G). Fuel is a count of instructions, and some
/// take longer than others (bulk copies of memory: up to about 0.5 ns a unit here), so this
/// keeps a completion of a five-state task within about 2.5 s of compute whatever it does.
#[must_use]
pub fn grade_limits() -> Limits {
    Limits { fuel: 1_000_000_000, ..Limits::default() }
}

/// How completions are graded: the limits of each run, and how the trace of a RoboEval state
/// is read (robosim's own tasks always judge the robot's calls).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grading {
    pub limits: Limits,
    pub trace: TraceReading,
}

impl Default for Grading {
    /// [`grade_limits`], and RoboEval's own reading of the trace.
    fn default() -> Self {
        Self { limits: grade_limits(), trace: TraceReading::Printed }
    }
}

/// Grading settings the user set; `None` keeps the default ([`Grading::default`], the one
/// place grading's defaults are written). The command line (`robosim settings grade` prints
/// the result), the Python keywords and Rust callers all resolve through it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GradeOverrides {
    pub trace: Option<TraceReading>,
    #[serde(flatten)]
    pub limits: LimitOverrides,
}

impl GradeOverrides {
    /// The settings: [`Grading::default`] with what was set replaced, each checked.
    ///
    /// # Errors
    /// The first setting out of its range.
    pub fn resolve(&self) -> Result<Grading, SettingError> {
        let base = Grading::default();
        Ok(Grading { limits: self.limits.over(base.limits)?, trace: self.trace.unwrap_or(base.trace) })
    }
}

/// Runs a completion in every world (or RoboEval state) of a task and checks each run.
pub trait Grader: Sync {
    fn grade(&self, task: &Task, source: &str) -> Vec<WorldResult>;

    /// How it reads the trace of a RoboEval state.
    fn trace(&self) -> TraceReading;

    /// `source` graded on `task` and on each of `also` (its ablations, say): one result list
    /// per task, `task`'s first. A grader may run each shared state once for all of them.
    fn grade_together(&self, task: &Task, also: &[&Task], source: &str) -> Vec<Vec<WorldResult>> {
        std::iter::once(task).chain(also.iter().copied()).map(|t| self.grade(t, source)).collect()
    }
}

/// Grading in this process: each completion in instances of its own of `sandbox`, as `grading` says.
#[derive(Debug, Clone, Copy)]
pub struct InProcess<'a> {
    pub sandbox: &'a Sandbox,
    pub grading: Grading,
}

impl<'a> InProcess<'a> {
    /// With the default [`Grading`].
    #[must_use]
    pub fn new(sandbox: &'a Sandbox) -> Self {
        Self { sandbox, grading: Grading::default() }
    }
}

impl Grader for InProcess<'_> {
    fn grade(&self, task: &Task, source: &str) -> Vec<WorldResult> {
        grade_one(task, source, self.sandbox, &self.grading)
    }

    fn trace(&self) -> TraceReading {
        self.grading.trace
    }

    fn grade_together(&self, task: &Task, also: &[&Task], source: &str) -> Vec<Vec<WorldResult>> {
        grade_together(task, also, source, self.sandbox, &self.grading)
    }
}

/// The results of a completion that could not be run at all (`why`): every world failed,
/// with `why` as its error.
#[must_use]
pub fn not_run(task: &Task, why: &str) -> Vec<WorldResult> {
    let names: Vec<String> = if task.states.is_empty() {
        task.worlds.iter().map(|w| w.name().to_owned()).collect()
    } else {
        (0..task.states.len()).map(state_name).collect()
    };
    names
        .into_iter()
        .map(|world| WorldResult {
            world,
            passed: false,
            outcome: crate::NOT_RUN.into(),
            error: Some(why.to_owned()),
            failed_checks: Vec::<FailedCheck>::new(),
            robot_calls: 0,
            trace_cut: None,
            line: None,
            calls: Vec::new(),
            calls_omitted: 0,
        })
        .collect()
}
