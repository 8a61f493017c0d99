//! RoboEval's trace logic, as its `rtl.py` defines it: a run's trace of robot actions
//! ([`Element`]), static checks that match one element by regular expressions ([`Match`]),
//! trace windows that fall back to the whole trace when nothing matches ([`Window`]), and the
//! checks a task state states over them ([`Expr`]).
//!
//! Patterns are Python regular expressions searched (not matched) in the element's text,
//! ignoring case ([`SearchPattern`]); they may use look-around (`contain_words` builds
//! `^(?=.*a)(?=.*b).*$`).
//!
//! ```
//! use robosim_grade::rtl::{Element, Expr};
//!
//! let trace = [Element::go_to("printer room"), Element::check_entity("stapler"), Element::go_to("start_loc")];
//! let check: Expr = serde_json::from_str(
//!     r#"{"exists": {"check_entity": "stapler"}, "in": [{"after_first": {"go_to": "printer room"}}]}"#,
//! )?;
//! assert_eq!(check.eval(&trace), Ok(true));
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::fmt;

use robosim_world::{SearchPattern, Work};
use serde::Deserialize;

/// What a trace element records: the robot action RoboEval prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    GoTo,
    Say,
    Ask,
    CheckEntity,
    Pick,
    Place,
    /// A line RoboEval reads as an element of some other name (a program's own print run
    /// into the simulator's line, or one written to look like it): it matches no check, but
    /// it holds its place in the trace.
    Other,
}

impl Action {
    /// The action RoboEval's simulator prints as `name`.
    #[must_use]
    pub fn named(name: &str) -> Self {
        match name {
            "GoTo" => Self::GoTo,
            "Say" => Self::Say,
            "Ask" => Self::Ask,
            "CheckEntity" => Self::CheckEntity,
            "Pick" => Self::Pick,
            "Place" => Self::Place,
            _ => Self::Other,
        }
    }
}

/// One element of a RoboEval trace: the action, its text (the location, message, question,
/// entity or object as the program passed it) and, for `Ask`, the options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub action: Action,
    pub value: String,
    pub options: Option<Vec<String>>,
}

impl Element {
    fn new(action: Action, value: &str) -> Self {
        Self { action, value: value.to_owned(), options: None }
    }

    #[must_use]
    pub fn go_to(location: &str) -> Self {
        Self::new(Action::GoTo, location)
    }

    #[must_use]
    pub fn say(message: &str) -> Self {
        Self::new(Action::Say, message)
    }

    #[must_use]
    pub fn check_entity(entity: &str) -> Self {
        Self::new(Action::CheckEntity, entity)
    }

    #[must_use]
    pub fn pick(object: &str) -> Self {
        Self::new(Action::Pick, object)
    }

    #[must_use]
    pub fn place(object: &str) -> Self {
        Self::new(Action::Place, object)
    }

    #[must_use]
    pub fn ask(question: &str, options: &[&str]) -> Self {
        Self { options: Some(options.iter().map(|&o| o.to_owned()).collect()), ..Self::new(Action::Ask, question) }
    }
}

impl fmt::Display for Element {
    /// As RoboEval's simulator prints it: `GoTo /$@!/ kitchen /$@!/ None`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let options = self.options.as_ref().map_or_else(
            || "None".to_owned(),
            |o| format!("[{}]", o.iter().map(|o| format!("{o:?}")).collect::<Vec<_>>().join(", ")),
        );
        write!(f, "{:?} /$@!/ {} /$@!/ {options}", self.action, self.value)
    }
}

/// A pattern of a check: RoboEval's `re.search(p, text, re.IGNORECASE)`.
pub type Pattern = SearchPattern;

/// A search, charged to `work`; a search `work` cannot pay for, or one past the matcher's
/// backtracking limit (where Python would raise), is an evaluation error.
fn search(pattern: &Pattern, text: &str, work: &mut Work) -> Result<bool, String> {
    pattern.search_charged(text, work).map_err(|_| crate::rtl_eval::over())
}

/// A static check: one action whose text matches a pattern (and, for `ask`, one of whose
/// options matches the second).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Match {
    GoTo(Pattern),
    Say(Pattern),
    CheckEntity(Pattern),
    Pick(Pattern),
    Place(Pattern),
    Ask(Pattern, Pattern),
}

impl Match {
    /// Whether `element` matches, the searches charged to `work`.
    pub(crate) fn matches(&self, element: &Element, work: &mut Work) -> Result<bool, String> {
        let (action, pattern, option) = match self {
            Self::GoTo(p) => (Action::GoTo, p, None),
            Self::Say(p) => (Action::Say, p, None),
            Self::CheckEntity(p) => (Action::CheckEntity, p, None),
            Self::Pick(p) => (Action::Pick, p, None),
            Self::Place(p) => (Action::Place, p, None),
            Self::Ask(p, o) => (Action::Ask, p, Some(o)),
        };
        if action != element.action {
            return Ok(false);
        }
        let first = search(pattern, &element.value, work)?;
        let Some(option) = option else { return Ok(first) };
        let Some(options) = &element.options else {
            return Err(format!("StaticCheck: the {action:?} element has no options"));
        };
        // As rtl.py: the first option that matches decides, and then only the text counts.
        for candidate in options {
            if search(option, candidate, work)? {
                return Ok(first);
            }
        }
        Ok(false)
    }
}

/// A window onto the trace. When nothing matches, the trace is left as it was (RoboEval's
/// rule), so a window never fails on its own.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Window {
    AfterFirst(Match),
    BeforeFirst(Match),
    AfterLast(Match),
    BeforeLast(Match),
}

/// What a state's check says about the trace. Written in JSON as RoboEval's Python reads:
/// `true`, `{"and": [..]}`, `{"or": [..]}`, `{"not": ..}`, and the trace queries
/// `{"exists": M, "in": [W..]}`, `{"terminal": M, "in": ..}`, `{"precedes": [M, M], "in": ..}`,
/// `{"act_at_first": {"location": "..", "action": M}, "in": ..}`, `{"count": M, "in": ..,
/// "equals": n}`, where `in` lists windows applied from the whole trace, left to right.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "ExprFile")]
pub enum Expr {
    Const(bool),
    And(Vec<Self>),
    Or(Vec<Self>),
    Not(Box<Self>),
    Query { windows: Vec<Window>, query: Box<Query> },
}

/// A question asked of a window of the trace.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    /// `Exists(m)`.
    Exists(Match),
    /// `Terminal(m)`: the last element matches (an empty trace is an evaluation error).
    Terminal(Match),
    /// `Precedes(a, b)`: `AfterFirst(a).Exists(b)`.
    Precedes(Match, Match),
    /// `ActAtFirst(location, action)`: the robot went to `location`, and `action` happened
    /// between its first arrival there and the next `go_to` somewhere that is not it.
    ActAtFirst { location: String, action: Match, arrive: Match, leave: Match },
    /// `ActAtFirst` at any visit: at the first, or (while another `go_to` there follows)
    /// after each later arrival, as RoboEval's tasks loop it (`act_at_any`).
    ActAtAny { location: String, action: Match, arrive: Match, leave: Match },
    /// Exactly `n` elements match.
    Count(Match, usize),
}

impl Expr {
    /// The check's value on `trace`; `Err` where RoboEval's Python would raise, or when it
    /// would do more work than [`CHECK_WORK`](crate::rtl_eval::CHECK_WORK).
    ///
    /// # Errors
    /// `terminal` on an empty window, a pattern past the backtracking limit, the allowance.
    pub fn eval(&self, trace: &[Element]) -> Result<bool, String> {
        self.eval_within(trace, &mut Work::new(crate::rtl_eval::CHECK_WORK))
    }

    /// [`eval`](Self::eval), its work charged to `work` (see [`crate::rtl_eval`]).
    ///
    /// # Errors
    /// As [`eval`](Self::eval), and when `work` cannot pay for it.
    pub fn eval_within(&self, trace: &[Element], work: &mut Work) -> Result<bool, String> {
        crate::rtl_eval::Eval::new(trace, work).expr(self)
    }
}

/// An expression as a task file writes it.
#[derive(Deserialize)]
#[serde(untagged)]
enum ExprFile {
    Const(bool),
    Op(Box<OpFile>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpFile {
    and: Option<Vec<Expr>>,
    or: Option<Vec<Expr>>,
    not: Option<Expr>,
    exists: Option<Match>,
    terminal: Option<Match>,
    precedes: Option<(Match, Match)>,
    act_at_first: Option<ActAtFirstFile>,
    act_at_any: Option<ActAtFirstFile>,
    count: Option<Match>,
    equals: Option<usize>,
    #[serde(rename = "in", default)]
    windows: Vec<Window>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActAtFirstFile {
    location: String,
    action: Match,
}

impl TryFrom<ExprFile> for Expr {
    type Error = String;

    fn try_from(file: ExprFile) -> Result<Self, String> {
        let op = match file {
            ExprFile::Const(value) => return Ok(Self::Const(value)),
            ExprFile::Op(op) => *op,
        };
        let OpFile { and, or, not, exists, terminal, precedes, act_at_first, act_at_any, count, equals, windows } = op;
        let logic = [and.is_some(), or.is_some(), not.is_some()].into_iter().filter(|&x| x).count();
        let queries = [
            exists.is_some(),
            terminal.is_some(),
            precedes.is_some(),
            act_at_first.is_some(),
            act_at_any.is_some(),
            count.is_some(),
        ]
        .into_iter()
        .filter(|&x| x)
        .count();
        if logic + queries != 1 {
            return Err(
                "a check needs exactly one of and, or, not, exists, terminal, precedes, act_at_first, act_at_any, count".into()
            );
        }
        if equals.is_some() != count.is_some() {
            return Err("`equals` goes with `count`, and `count` needs it".into());
        }
        if logic == 1 && !windows.is_empty() {
            return Err("`in` goes with a trace query, not with and/or/not".into());
        }
        if let Some(all) = and {
            return Ok(Self::And(all));
        }
        if let Some(any) = or {
            return Ok(Self::Or(any));
        }
        if let Some(check) = not {
            return Ok(Self::Not(Box::new(check)));
        }
        let query = if let Some(m) = exists {
            Query::Exists(m)
        } else if let Some(m) = terminal {
            Query::Terminal(m)
        } else if let Some((first, then)) = precedes {
            Query::Precedes(first, then)
        } else if let Some(ActAtFirstFile { location, action }) = act_at_first {
            let (arrive, leave) = visit(&location)?;
            Query::ActAtFirst { location, action, arrive, leave }
        } else if let Some(ActAtFirstFile { location, action }) = act_at_any {
            let (arrive, leave) = visit(&location)?;
            Query::ActAtAny { location, action, arrive, leave }
        } else {
            match (count, equals) {
                (Some(m), Some(n)) => Query::Count(m, n),
                _ => unreachable!("one query is present (checked above)"),
            }
        };
        Ok(Self::Query { windows, query: Box::new(query) })
    }
}

/// As rtl.py builds them for a location: arriving there, and a `go_to` somewhere else.
fn visit(location: &str) -> Result<(Match, Match), String> {
    let arrive = Match::GoTo(Pattern::new(location).map_err(|e| e.to_string())?);
    let elsewhere = format!(r"^(?!.*\b{location}\b).*$");
    let leave = Match::GoTo(Pattern::new(&elsewhere).map_err(|e| e.to_string())?);
    Ok((arrive, leave))
}
