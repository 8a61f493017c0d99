//! What grading one completion in one world (or state) found.

use serde::{Deserialize, Serialize};

/// The longest error or failed-check reason a grade record keeps (cut visibly).
pub(crate) const MAX_REASON_BYTES: usize = 2048;

/// One completion in one world.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorldResult {
    pub world: String,
    pub passed: bool,
    /// How the run ended (`completed`, `robot_error`, `fuel_exhausted`, …; `not_run` when it
    /// could not be run).
    pub outcome: String,
    /// The error that ended the run, with its line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Checks that did not hold.
    pub failed_checks: Vec<FailedCheck>,
    /// Robot calls the run made (however many of them the trace that was judged holds).
    pub robot_calls: usize,
    /// A RoboEval state read as RoboEval reads it ([`TraceReading::Printed`](crate::TraceReading)):
    /// where the reading stopped before the robot's last call, and what stopped it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_cut: Option<crate::TraceCut>,
}

/// The outcome of a world robosim could not finish running (see [`WorldResult::not_run`]).
pub const NOT_RUN: &str = "not_run";

impl WorldResult {
    /// Whether robosim could not finish running the completion in this world (its own
    /// failure: the wall-clock safety net, a dead worker), so the world says nothing of it.
    #[must_use]
    pub fn not_run(&self) -> bool {
        self.outcome == NOT_RUN
    }
}

/// A check that did not hold, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedCheck {
    pub check: String,
    pub reason: String,
}
