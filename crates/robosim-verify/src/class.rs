//! [`ErrorClass`]: what kind of failure ended a path, as the reference checker names it.

use std::fmt;

use robosim_sandbox::Outcome;
use serde::{Deserialize, Serialize};

/// The class of a failure, written (JSON, summaries) as the reference's name for it:
/// `TimeOutError`, `RobotPickError`, `NameError`, …
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum ErrorClass {
    /// `TimeOutError`: fuel, deadline or robot-call limit. The reference cannot tell a long
    /// run from an endless one: both time out.
    TimeOut,
    /// `MemoryError`: a memory bound was hit.
    Memory,
    /// `RecursionError`: Python's recursion limit or the native stack.
    Recursion,
    /// `OutputLimitExceeded`: printed too much.
    OutputLimit,
    /// `RobotDataLimitExceeded`: passed too much data to or from the world.
    RobotDataLimit,
    /// `Trap`: the guest failed in a way no program should cause.
    Trap,
    /// A robot error: `RobotPickError`, `RobotTypeError`, …
    Robot(String),
    /// Any other Python exception, or `SyntaxError`/`IndentationError`/`TabError`.
    Python(String),
}

impl ErrorClass {
    /// The failure class of an outcome; `None` when the run succeeded.
    #[must_use]
    pub fn of(outcome: &Outcome) -> Option<Self> {
        Some(match outcome {
            Outcome::Completed | Outcome::Exited { .. } => return None,
            // A program's own exception class is always `Python`, whatever its name: a
            // `class TimeOutError(Exception)` must not pass for a time-out.
            Outcome::SyntaxError { message, .. } => {
                Self::Python(message.split(':').next().unwrap_or("SyntaxError").to_owned())
            }
            Outcome::RobotError { name, .. } => Self::Robot(name.clone()),
            Outcome::PythonError { exc_type, .. } => {
                Self::Python(exc_type.rsplit('.').next().unwrap_or(exc_type).to_owned())
            }
            Outcome::FuelExhausted | Outcome::DeadlineExceeded | Outcome::RobotCallLimitExceeded => Self::TimeOut,
            Outcome::MemoryExceeded => Self::Memory,
            Outcome::StackExhausted => Self::Recursion,
            Outcome::OutputLimitExceeded => Self::OutputLimit,
            Outcome::RobotDataLimitExceeded => Self::RobotDataLimit,
            Outcome::Trap { .. } => Self::Trap,
        })
    }

    /// Whether robosim (a limit, the machinery) ended the run, not the program.
    #[must_use]
    pub const fn is_robosims(&self) -> bool {
        !matches!(self, Self::Robot(_) | Self::Python(_))
    }

    /// The name a summary counts it under: [`as_str`](Self::as_str), except that a Python
    /// exception named like one of robosim's classes (`class TimeOutError(Exception)`, a
    /// `MemoryError` the program raised or the interpreter raised without the host refusing
    /// memory) is counted apart from robosim's, as `TimeOutError (a Python exception)`.
    #[must_use]
    pub fn summary_key(&self) -> String {
        match self {
            Self::Python(name) | Self::Robot(name) if Self::from(name.as_str()).is_robosims() => {
                format!("{name} (a Python exception)")
            }
            other => other.as_str().to_owned(),
        }
    }

    /// The reference's name for it.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::TimeOut => "TimeOutError",
            Self::Memory => "MemoryError",
            Self::Recursion => "RecursionError",
            Self::OutputLimit => "OutputLimitExceeded",
            Self::RobotDataLimit => "RobotDataLimitExceeded",
            Self::Trap => "Trap",
            Self::Robot(name) | Self::Python(name) => name,
        }
    }
}

/// An [`ErrorClass`] as a summary counts it: a map key written (and ordered) as its
/// [`summary_key`](ErrorClass::summary_key), so robosim's time-out and a program's own
/// `TimeOutError` are two keys, never one written twice.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CountedClass(pub ErrorClass);

impl Ord for CountedClass {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.summary_key().cmp(&other.0.summary_key()).then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for CountedClass {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for CountedClass {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.summary_key())
    }
}

impl fmt::Display for CountedClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0.summary_key())
    }
}

/// Reads a name back: the inverse of [`ErrorClass::as_str`], except that a program's
/// exception named like one of robosim's classes reads back as robosim's. A verdict read
/// from a file takes its class from its outcome instead (see `Failure`), which tells them
/// apart.
impl From<&str> for ErrorClass {
    fn from(name: &str) -> Self {
        match name {
            "TimeOutError" => Self::TimeOut,
            "MemoryError" => Self::Memory,
            "RecursionError" => Self::Recursion,
            "OutputLimitExceeded" => Self::OutputLimit,
            "RobotDataLimitExceeded" => Self::RobotDataLimit,
            "Trap" => Self::Trap,
            robot if robot.starts_with("Robot") && robot.ends_with("Error") => Self::Robot(robot.to_owned()),
            other => Self::Python(other.to_owned()),
        }
    }
}

impl From<String> for ErrorClass {
    fn from(name: String) -> Self {
        Self::from(name.as_str())
    }
}

impl From<ErrorClass> for String {
    fn from(class: ErrorClass) -> Self {
        class.as_str().to_owned()
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for ErrorClass {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorClass;

    #[test]
    fn names_read_back_as_the_same_class() {
        for name in
            ["TimeOutError", "MemoryError", "RecursionError", "Trap", "RobotPickError", "NameError", "SyntaxError"]
        {
            let class = ErrorClass::from(name);
            assert_eq!(class.as_str(), name);
            let json = serde_json::to_string(&class).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<ErrorClass>(&json).unwrap(), class);
        }
        assert_eq!(ErrorClass::from("RobotPickError"), ErrorClass::Robot("RobotPickError".into()));
        assert_eq!(ErrorClass::from("TimeOutError"), ErrorClass::TimeOut);
        assert_eq!(ErrorClass::TimeOut.summary_key(), "TimeOutError");
        assert_eq!(ErrorClass::Python("TimeOutError".into()).summary_key(), "TimeOutError (a Python exception)");
        assert_eq!(ErrorClass::Python("ValueError".into()).summary_key(), "ValueError");
    }
}
