//! Robot errors: the typed ways a robot call can contradict the world.

use robosim_protocol::Value;
use serde::{Deserialize, Serialize};

/// Which robot error (the name the program sees starts the exception's message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RobotErrorKind {
    RobotGoToError,
    RobotIsInRoomError,
    RobotAskError,
    RobotSayError,
    RobotPickError,
    RobotPlaceError,
    RobotTypeError,
    /// RoboEval's name for a failed `is_in_room`.
    RobotCheckEntityError,
    /// Python's `TypeError`, raised by the world: a robot function called with the wrong
    /// number of arguments (the guest's wrappers normally catch this first), or, in a
    /// [`RoboEvalWorld`](crate::RoboEvalWorld), an argument of the wrong type.
    #[serde(rename = "TypeError")]
    Arity,
}

impl RobotErrorKind {
    /// The name as programs and the reference checker spell it.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::RobotGoToError => "RobotGoToError",
            Self::RobotIsInRoomError => "RobotIsInRoomError",
            Self::RobotAskError => "RobotAskError",
            Self::RobotSayError => "RobotSayError",
            Self::RobotPickError => "RobotPickError",
            Self::RobotPlaceError => "RobotPlaceError",
            Self::RobotTypeError => "RobotTypeError",
            Self::RobotCheckEntityError => "RobotCheckEntityError",
            Self::Arity => "TypeError",
        }
    }
}

/// A robot call the world refuses, with a message naming the entity and the fact it
/// contradicts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{}: {message}", kind.name())]
pub struct RobotError {
    pub kind: RobotErrorKind,
    pub message: String,
}

impl RobotError {
    pub fn new(kind: RobotErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into() }
    }
}

/// A string argument, trimmed: a robot error of `kind` when it is not a string or is blank.
pub(crate) fn string_arg<'a>(value: &'a Value, kind: RobotErrorKind, what: &str) -> Result<&'a str, RobotError> {
    let s = value
        .as_str()
        .ok_or_else(|| RobotError::new(kind, format!("{what} must be a string, not {}", value.repr())))?
        .trim();
    if s.is_empty() {
        return Err(RobotError::new(kind, format!("{what} is empty")));
    }
    Ok(s)
}
