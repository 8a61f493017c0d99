//! What grading one completion in one world (or state) found.

use robosim_sandbox::{RunReport, TraceEvent};
use serde::{Deserialize, Serialize};

/// The longest error or failed-check reason a grade record keeps (cut visibly).
pub(crate) const MAX_REASON_BYTES: usize = 2048;

/// One completion in one world.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// The program line the run's error was raised on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// A world that failed: the robot calls the host recorded, in order (what the robot did,
    /// whatever the program printed), the first [`RECORD_CALLS`] of them with their values
    /// cut short, so that a reader (`robosim report`) can show the failure room by room.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<TraceEvent>,
    /// Calls left out of `calls`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub calls_omitted: usize,
}

/// The most robot calls a failed world's record keeps.
pub const RECORD_CALLS: usize = 200;
/// The longest value (an argument, an answer) a recorded call keeps, in bytes, and items.
const CALL_VALUE_BYTES: usize = 256;
const CALL_VALUE_ITEMS: usize = 16;

const fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The outcome of a world robosim could not finish running (see [`WorldResult::not_run`]).
pub const NOT_RUN: &str = "not_run";

impl WorldResult {
    /// A result not yet judged, of a world named `world` whose run ended as `report` says.
    #[must_use]
    pub fn of_run(world: String, report: &RunReport, robot_calls: usize) -> Self {
        Self {
            world,
            passed: false,
            outcome: report.outcome.kind().to_owned(),
            error: None,
            failed_checks: Vec::new(),
            robot_calls,
            trace_cut: None,
            line: report.outcome.line(),
            calls: Vec::new(),
            calls_omitted: 0,
        }
    }

    /// Keeps the robot calls of `report` when this world failed (bounded, see `calls`).
    pub fn keep_calls_if_failed(&mut self, report: &RunReport) {
        if self.passed || self.not_run() {
            return;
        }
        self.calls =
            report.trace.iter().take(RECORD_CALLS).map(|e| e.truncated(CALL_VALUE_BYTES, CALL_VALUE_ITEMS)).collect();
        self.calls_omitted = report.trace.len().saturating_sub(RECORD_CALLS);
    }

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
