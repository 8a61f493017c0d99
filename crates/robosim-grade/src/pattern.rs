//! Step patterns: which robot calls (steps of a run's trace) a check is about.

use regex::Regex;
use robosim_protocol::{RobotFunction, Value};
use serde::{Deserialize, Deserializer, de::Error as _};

/// One robot call in a trace, where the robot was when it made it, and what it returned
/// (`None` when the call raised).
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub function: RobotFunction,
    pub args: Vec<Value>,
    pub returned: Option<Value>,
    pub at: String,
}

impl Step {
    /// `go_to('kitchen')`, for messages.
    #[must_use]
    pub fn describe(&self) -> String {
        let args: Vec<String> = self.args.iter().map(Value::repr).collect();
        format!("{}({}) at {:?}", self.function, args.join(", "), self.at)
    }

    /// Argument `i` as text (strings as they are, anything else as its repr).
    #[must_use]
    pub fn arg(&self, i: usize) -> Option<String> {
        self.args.get(i).map(Value::py_str)
    }

    #[must_use]
    pub fn returned_text(&self) -> Option<String> {
        self.returned.as_ref().map(Value::py_str)
    }
}

/// A case-insensitive regular expression, either matched against the whole text (names) or
/// searched for in it (sentences).
#[derive(Debug, Clone)]
pub struct Pat {
    regex: Regex,
}

impl Pat {
    fn new(source: &str, whole: bool) -> Result<Self, regex::Error> {
        Ok(Self { regex: robosim_world::case_insensitive(source, whole)? })
    }

    #[must_use]
    pub fn matches(&self, text: &str) -> bool {
        self.regex.is_match(text.trim())
    }
}

/// Matched against the whole text: `"kitchen"` is the kitchen, not "kitchen 2".
#[derive(Debug, Clone)]
pub struct Name(pub Pat);

/// Searched for in the text: `"tea"` is found in "Ana wants tea".
#[derive(Debug, Clone)]
pub struct Text(pub Pat);

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let source = String::deserialize(d)?;
        Pat::new(&source, true).map(Self).map_err(D::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let source = String::deserialize(d)?;
        Pat::new(&source, false).map(Self).map_err(D::Error::custom)
    }
}

/// Which events a check is about. Every field given must hold; none given matches every
/// event.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pattern {
    /// The function called.
    #[serde(default)]
    pub call: Option<RobotFunction>,
    /// The first argument (the location, object, person or message), whole.
    #[serde(default)]
    pub arg: Option<Name>,
    /// Searched for in the first argument (for `say`).
    #[serde(default)]
    pub contains: Option<Text>,
    /// Searched for in the question (for `ask`).
    #[serde(default)]
    pub question: Option<Text>,
    /// The value returned (an answer, a location), whole; an event that raised never matches.
    #[serde(default)]
    pub returned: Option<Name>,
    /// Where the robot was, whole.
    #[serde(default)]
    pub at: Option<Name>,
    /// Whether the call raised a robot error.
    #[serde(default)]
    pub failed: Option<bool>,
    /// None of these may match.
    #[serde(default)]
    pub not: Option<Box<Pattern>>,
    /// One of these must match.
    #[serde(default)]
    pub any: Option<Vec<Pattern>>,
}

impl Pattern {
    #[must_use]
    pub fn matches(&self, event: &Step) -> bool {
        let first = || event.arg(0).unwrap_or_default();
        self.call.is_none_or(|f| f == event.function)
            && self.arg.as_ref().is_none_or(|p| p.0.matches(&first()))
            && self.contains.as_ref().is_none_or(|p| p.0.matches(&first()))
            && self.question.as_ref().is_none_or(|p| p.0.matches(&event.arg(1).unwrap_or_default()))
            && self.returned.as_ref().is_none_or(|p| event.returned_text().is_some_and(|r| p.0.matches(&r)))
            && self.at.as_ref().is_none_or(|p| p.0.matches(&event.at))
            && self.failed.is_none_or(|f| f == event.returned.is_none())
            && self.not.as_ref().is_none_or(|p| !p.matches(event))
            && self.any.as_ref().is_none_or(|ps| ps.iter().any(|p| p.matches(event)))
    }
}
