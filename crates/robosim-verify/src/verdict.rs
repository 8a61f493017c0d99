//! Verdicts: accepted or rejected, and how thoroughly the program was explored.

use std::time::Duration;

use robosim_sandbox::{Outcome, TraceEvent};
use robosim_world::ChoiceRecord;
use serde::{Deserialize, Serialize};

/// The verdict on one program.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub accepted: bool,
    /// Distinct paths (runs) explored.
    pub paths: usize,
    /// Every path of the choice tree (within the depth bound) was explored.
    pub exhausted: bool,
    /// Fuel used by all paths together (interpreter start-up excluded).
    pub fuel_used: u64,
    #[serde(with = "robosim_sandbox::duration_secs")]
    pub wall_time: Duration,
    /// For a rejection: the first failing path.
    pub failure: Option<Failure>,
}

/// A failing path: what went wrong, where, and how to replay it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// The error class, as the reference names it: `RobotPickError`, `NameError`,
    /// `TimeOutError`, …
    pub class: String,
    /// The program line, when known.
    pub line: Option<u32>,
    /// The reference-style last line: `RobotPickError: object does not exist in room`.
    pub error: String,
    pub outcome: Outcome,
    /// The alternative taken at each choice point: `Verifier::replay` runs this path again.
    pub choices: Vec<u32>,
    /// The same choices, with what was decided.
    pub decisions: Vec<ChoiceRecord>,
    /// Robot calls up to the failure.
    pub trace: Vec<TraceEvent>,
}

/// Whether an outcome is a failure, and its class (the reference's name for it).
#[must_use]
pub fn failure_class(outcome: &Outcome) -> Option<String> {
    Some(match outcome {
        Outcome::Completed | Outcome::Exited { .. } => return None,
        Outcome::SyntaxError { message, .. } => message.split(':').next().unwrap_or("SyntaxError").to_owned(),
        Outcome::RobotError { name, .. } => name.clone(),
        Outcome::PythonError { exc_type, .. } => exc_type.rsplit('.').next().unwrap_or(exc_type).to_owned(),
        // The reference cannot tell a long run from an endless one: both time out.
        Outcome::FuelExhausted | Outcome::DeadlineExceeded | Outcome::RobotCallLimitExceeded => {
            "TimeOutError".to_owned()
        }
        Outcome::MemoryExceeded => "MemoryError".to_owned(),
        Outcome::StackExhausted => "RecursionError".to_owned(),
        Outcome::OutputLimitExceeded => "OutputLimitExceeded".to_owned(),
        Outcome::Trap { .. } => "Trap".to_owned(),
    })
}

/// The class of an error line as the reference checker prints it:
/// `Exception: RobotPickError: …` → `RobotPickError`; `NameError: …` → `NameError`.
#[must_use]
pub fn reference_class(error: &str) -> &str {
    let error = error.trim();
    let error = error.strip_prefix("Exception: ").unwrap_or(error);
    error.split(':').next().unwrap_or_default().trim()
}

/// The reference-style last error line for a failing outcome.
#[must_use]
pub fn error_line(outcome: &Outcome) -> String {
    match outcome {
        Outcome::SyntaxError { message, .. } => message.clone(),
        Outcome::RobotError { name, message, .. } => format!("{name}: {message}"),
        Outcome::PythonError { exc_type, message, .. } if message.is_empty() => exc_type.clone(),
        Outcome::PythonError { exc_type, message, .. } => format!("{exc_type}: {message}"),
        Outcome::FuelExhausted => "TimeOutError: the fuel limit was reached".to_owned(),
        Outcome::DeadlineExceeded => "TimeOutError: the wall-clock deadline passed".to_owned(),
        Outcome::RobotCallLimitExceeded => "TimeOutError: too many robot calls".to_owned(),
        Outcome::Trap { message } => {
            format!("Trap: {}", message.lines().next().unwrap_or_default())
        }
        other => other.kind().to_owned(),
    }
}
