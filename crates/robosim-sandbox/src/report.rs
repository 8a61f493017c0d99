//! What a run produced: its [`Outcome`], the robot-call trace, captured output, costs.

use std::time::Duration;

use robosim_protocol::{RobotFunction, Value};
use serde::{Deserialize, Serialize};

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// The program (and its entry function) returned.
    Completed,
    /// The program called `exit()` / `sys.exit(code)`.
    Exited { code: Value },
    /// The source does not compile.
    SyntaxError { message: String, line: Option<u32>, column: Option<u32> },
    /// A robot call failed and the error escaped the program.
    RobotError { name: String, message: String, line: Option<u32>, traceback: String },
    /// Any other Python exception escaped the program.
    PythonError { exc_type: String, message: String, line: Option<u32>, traceback: String },
    /// The fuel limit was reached.
    FuelExhausted,
    /// The wall-clock deadline passed.
    DeadlineExceeded,
    /// The guest asked for more memory than the limit allows.
    MemoryExceeded,
    /// The guest's native stack overflowed (deep recursion below Python's own limit).
    StackExhausted,
    /// The program printed more than the output limit.
    OutputLimitExceeded,
    /// The program made more robot calls than allowed.
    RobotCallLimitExceeded,
    /// The program passed more data to or from the world than allowed (huge `say`
    /// messages, `ask` with a million options, endless `in` queries).
    RobotDataLimitExceeded,
    /// The guest trapped for another reason (a bug in the guest, not in the program).
    Trap { message: String },
}

/// Why a run that hit the wall-clock deadline is robosim's failure, not the program's: the
/// deadline is a safety net behind fuel, so a verdict or grade never rests on it.
pub const DEADLINE_NOT_RUN: &str = "the wall-clock deadline passed before the fuel ran out: the machine was too slow or \
     too busy to finish the program (a safety net, never the program's fault); verify it again";

impl Outcome {
    /// The reference-style last error line of a failing outcome
    /// (`RobotPickError: object does not exist in room`, `NameError: …`, `TimeOutError: …`).
    #[must_use]
    pub fn error_line(&self) -> String {
        match self {
            Self::SyntaxError { message, .. } => message.clone(),
            Self::RobotError { name, message, .. } => format!("{name}: {message}"),
            Self::PythonError { exc_type, message, .. } if message.is_empty() => exc_type.clone(),
            Self::PythonError { exc_type, message, .. } => format!("{exc_type}: {message}"),
            Self::FuelExhausted => "TimeOutError: the fuel limit was reached".to_owned(),
            Self::DeadlineExceeded => "TimeOutError: the wall-clock deadline passed".to_owned(),
            Self::RobotCallLimitExceeded => "TimeOutError: too many robot calls".to_owned(),
            Self::RobotDataLimitExceeded => {
                "RobotDataLimitExceeded: the program passed too much data to or from the world".to_owned()
            }
            Self::Trap { message } => format!("Trap: {}", message.lines().next().unwrap_or_default()),
            other => other.kind().to_owned(),
        }
    }

    /// A short, stable name for the outcome's class (`completed`, `robot_error`, …).
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Exited { .. } => "exited",
            Self::SyntaxError { .. } => "syntax_error",
            Self::RobotError { .. } => "robot_error",
            Self::PythonError { .. } => "python_error",
            Self::FuelExhausted => "fuel_exhausted",
            Self::DeadlineExceeded => "deadline_exceeded",
            Self::MemoryExceeded => "memory_exceeded",
            Self::StackExhausted => "stack_exhausted",
            Self::OutputLimitExceeded => "output_limit_exceeded",
            Self::RobotCallLimitExceeded => "robot_call_limit_exceeded",
            Self::RobotDataLimitExceeded => "robot_data_limit_exceeded",
            Self::Trap { .. } => "trap",
        }
    }

    /// The program line the outcome points at, when there is one.
    #[must_use]
    pub const fn line(&self) -> Option<u32> {
        match self {
            Self::SyntaxError { line, .. } | Self::RobotError { line, .. } | Self::PythonError { line, .. } => *line,
            _ => None,
        }
    }
}

/// One robot call, as the host saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceEvent {
    pub function: RobotFunction,
    pub args: Vec<Value>,
    /// The value returned, or the robot error raised (`"RobotPickError: …"`).
    #[serde(flatten)]
    pub result: CallResult,
}

impl TraceEvent {
    /// A copy for a record of bounded size (see [`Value::truncated`]).
    #[must_use]
    pub fn truncated(&self, max_bytes: usize, max_items: usize) -> Self {
        Self {
            function: self.function,
            args: self.args.iter().map(|a| a.truncated(max_bytes, max_items)).collect(),
            result: match &self.result {
                CallResult::Returned(value) => CallResult::Returned(value.truncated(max_bytes, max_items)),
                CallResult::Raised(error) => CallResult::Raised(robosim_protocol::truncate_text(error, max_bytes)),
            },
        }
    }
}

/// The result of one robot call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallResult {
    Returned(Value),
    Raised(String),
}

/// Everything one run produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub outcome: Outcome,
    pub trace: Vec<TraceEvent>,
    /// Text the program printed to stdout (cut at the output limit).
    pub stdout: String,
    /// Where each write to stdout fell among the robot calls: the number of calls made before
    /// it, and the byte offset in `stdout` where its text starts (in order). A harness that
    /// reads the program's output and its own per-call prints from one stream (RoboEval's)
    /// is emulated with it.
    #[serde(skip)]
    pub stdout_writes: Vec<StdoutWrite>,
    /// Where in the program each robot call of `trace` was made (same length as `trace`;
    /// unknown sites are `Site::default()`).
    #[serde(skip)]
    pub call_sites: Vec<robosim_protocol::Site>,
    /// Text the program wrote to stderr (cut at the output limit).
    pub stderr: String,
    /// Fuel the program used (interpreter start-up excluded).
    pub fuel_used: u64,
    /// Fuel the interpreter's start-up used in this run (0 when started from a snapshot).
    pub startup_fuel: u64,
    /// Wall time of the whole run, start-up included.
    #[serde(with = "duration_secs")]
    pub wall_time: Duration,
    /// Seconds the program slept on the virtual clock.
    pub slept: f64,
}

/// One write to stdout, placed among the robot calls (see [`RunReport::stdout_writes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StdoutWrite {
    /// Robot calls made before the write.
    pub calls: usize,
    /// Where its text starts in [`RunReport::stdout`].
    pub offset: usize,
}

/// Serde helper: a [`Duration`] as (fractional) seconds.
pub mod duration_secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialises as seconds.
    ///
    /// # Errors
    /// As the serializer's.
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }

    /// Deserialises from seconds.
    ///
    /// # Errors
    /// As the deserializer's.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Duration::try_from_secs_f64(f64::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}
