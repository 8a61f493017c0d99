//! robosim's grader: runs model completions for RoboEval-style benchmark tasks in the
//! sandbox, in each of the task's concrete worlds, and checks each run's robot-call trace and
//! final state against the task's temporal checks. pass@1 per task and overall.
//!
//! A task is a JSON file ([`Task`]): prompt variants, concrete worlds (rooms, objects, people
//! and their answers, the robot's start) and checks in a small language ([`Check`]). A
//! completion passes when, in every world, it runs to the end without an error or a limit and
//! every check holds.
//!
//! ```
//! use robosim_grade::{GradeConfig, InProcess, Task, grade};
//! use robosim_sandbox::Sandbox;
//!
//! let tasks = Task::load_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../seeds/examples").as_ref())?;
//! # let dir = tempfile::tempdir()?;
//! # let completions = dir.path().join("completions.jsonl");
//! # let program = "def task_program():\n    go_to('charging station')\n    say('I am charged')\n";
//! # std::fs::write(&completions, serde_json::json!({"task": "ChargerSearch", "completion": program}).to_string() + "\n")?;
//! // One completion per line: {"task": "ChargerSearch", "completion": "def task_program(): ..."}
//! let config = GradeConfig::new(&completions);
//! let sandbox = Sandbox::new()?;
//! let summary = grade(&config, &tasks, &InProcess::new(&sandbox), &mut |_| {})?;
//! assert_eq!(summary.completions, 1);
//! println!("pass@1: {:.3}", summary.pass_at_1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

mod check;
#[cfg(test)]
mod check_tests;
mod error;
mod grade;
mod grader;
mod pattern;
mod printed;
mod result;
pub mod roboeval;
#[cfg(test)]
mod roboeval_tests;
pub mod rtl;
mod rtl_eval;
#[cfg(test)]
mod rtl_tests;
mod task;

pub use check::{Check, Count, Run};
pub use error::Error;
pub use grade::{
    GradeConfig, GradeRecord, GradeStatus, Progress, Summary, TaskSummary, grade, grade_one, grade_together,
    read_completion, run_events,
};
pub use grader::{GradeOverrides, Grader, Grading, InProcess, grade_limits, not_run};
pub use pattern::{Name, Pattern, Step, Text};
pub use printed::{CutBy, ReadTrace, TraceCut, TraceReading};
pub use result::{FailedCheck, NOT_RUN, WorldResult};
pub use task::{NamedCheck, Task, TaskWorld};
