//! Verdicts: accepted or rejected, and how thoroughly the program was explored.

use std::time::Duration;

use robosim_sandbox::{Outcome, TraceEvent};
use robosim_world::ChoiceRecord;
use serde::{Deserialize, Serialize};

use crate::ErrorClass;

/// The verdict on one program: what was decided, and what the search spent.
///
/// Written as a flat JSON object (`accepted`, `paths`, `exhausted`, `stopped`, `fuel_used`,
/// `wall_time`, `failure`, `not_run`), all derived from the one [`Decision`], so a verdict
/// can never say it was accepted with a failure, or exhausted when it was capped.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "VerdictFile<Failure>")]
pub struct Verdict {
    pub decision: Decision,
    /// Distinct paths (runs) explored.
    pub paths: usize,
    /// Fuel used by all paths together (interpreter start-up excluded).
    pub fuel_used: u64,
    pub wall_time: Duration,
}

/// What was decided about a program.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// No path failed; the search ended as `stopped` says.
    Accepted { stopped: SearchEnd },
    /// The first failing path.
    Rejected { failure: Box<Failure> },
    /// robosim could not verify the program (`why`): its own failure (the wall-clock safety
    /// net fired, a worker process died), never the program's; counted apart.
    NotRun { why: String },
}

/// Why the search of an accepted program ended (declared in the order summaries list them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchEnd {
    /// A bound ended it: the path cap, the depth bound, the fuel budget or the number of
    /// random runs.
    Capped,
    /// Every path (within the depth bound) was explored.
    Exhausted,
    /// The coverage search's patience ran out: that many paths in a row showed nothing new.
    Saturated,
}

impl SearchEnd {
    /// The same end as a [`Stopped`].
    #[must_use]
    pub const fn stopped(self) -> Stopped {
        match self {
            Self::Exhausted => Stopped::Exhausted,
            Self::Saturated => Stopped::Saturated,
            Self::Capped => Stopped::Capped,
        }
    }

    /// The end of an acceptance a [`Stopped`] names, if it names one (not `failed` or `not_run`).
    #[must_use]
    pub const fn of(stopped: Stopped) -> Option<Self> {
        match stopped {
            Stopped::Exhausted => Some(Self::Exhausted),
            Stopped::Saturated => Some(Self::Saturated),
            Stopped::Capped => Some(Self::Capped),
            Stopped::Failed | Stopped::NotRun => None,
        }
    }
}

impl Verdict {
    /// The verdict when robosim could not verify the program (`why`): neither accepted nor a
    /// rejection of the program, counted apart.
    #[must_use]
    pub const fn not_run(why: String, paths: usize, fuel_used: u64, wall_time: Duration) -> Self {
        Self { decision: Decision::NotRun { why }, paths, fuel_used, wall_time }
    }

    /// No path failed.
    #[must_use]
    pub const fn accepted(&self) -> bool {
        matches!(self.decision, Decision::Accepted { .. })
    }

    /// Every path of the choice tree (within the depth bound) was explored, and none failed.
    #[must_use]
    pub const fn exhausted(&self) -> bool {
        matches!(self.decision, Decision::Accepted { stopped: SearchEnd::Exhausted })
    }

    /// Why the search stopped.
    #[must_use]
    pub const fn stopped(&self) -> Stopped {
        match &self.decision {
            Decision::Accepted { stopped } => stopped.stopped(),
            Decision::Rejected { .. } => Stopped::Failed,
            Decision::NotRun { .. } => Stopped::NotRun,
        }
    }

    /// For a rejection: the first failing path.
    #[must_use]
    pub fn failure(&self) -> Option<&Failure> {
        match &self.decision {
            Decision::Rejected { failure } => Some(failure),
            _ => None,
        }
    }

    /// Why robosim could not verify the program, when it could not.
    #[must_use]
    pub fn why_not_run(&self) -> Option<&str> {
        match &self.decision {
            Decision::NotRun { why } => Some(why),
            _ => None,
        }
    }

    /// Whether robosim failed to verify the program (see [`Verdict::not_run`]).
    #[must_use]
    pub const fn was_not_run(&self) -> bool {
        matches!(self.decision, Decision::NotRun { .. })
    }
}

/// A [`Verdict`] as a file holds it (and as robosim has always written it).
#[derive(Serialize, Deserialize)]
struct VerdictFile<F> {
    accepted: bool,
    paths: usize,
    exhausted: bool,
    #[serde(default)]
    stopped: Stopped,
    fuel_used: u64,
    #[serde(with = "robosim_sandbox::duration_secs")]
    wall_time: Duration,
    failure: Option<F>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    not_run: Option<String>,
}

impl Serialize for Verdict {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        VerdictFile {
            accepted: self.accepted(),
            paths: self.paths,
            exhausted: self.exhausted(),
            stopped: self.stopped(),
            fuel_used: self.fuel_used,
            wall_time: self.wall_time,
            failure: self.failure(),
            not_run: self.why_not_run().map(str::to_owned),
        }
        .serialize(serializer)
    }
}

impl From<VerdictFile<Failure>> for Verdict {
    /// Read back: a failure makes a rejection, a reason for not running a not-run verdict,
    /// else an acceptance stopped as the file says (a file that said `failed` or `not_run`
    /// with neither is read as not run, since it cannot be an acceptance).
    fn from(file: VerdictFile<Failure>) -> Self {
        let decision = match (file.failure, file.not_run, SearchEnd::of(file.stopped)) {
            (Some(failure), _, _) => Decision::Rejected { failure: Box::new(failure) },
            (None, Some(why), _) => Decision::NotRun { why },
            (None, None, Some(stopped)) => Decision::Accepted { stopped },
            (None, None, None) => Decision::NotRun { why: "the verdict read back has no failure and no reason".into() },
        };
        Self { decision, paths: file.paths, fuel_used: file.fuel_used, wall_time: file.wall_time }
    }
}

/// Why a search stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stopped {
    /// Every path (within the depth bound) was explored.
    Exhausted,
    /// The coverage search's patience ran out: that many paths in a row showed nothing new.
    Saturated,
    /// A bound ended it: the path cap, the depth bound, the fuel budget or the number of
    /// random runs.
    #[default]
    Capped,
    /// A path failed (the program is rejected).
    Failed,
    /// robosim could not finish verifying the program (see [`Verdict::not_run`]).
    NotRun,
}

impl Stopped {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Exhausted => "exhausted",
            Self::Saturated => "saturated",
            Self::Capped => "capped",
            Self::Failed => "failed",
            Self::NotRun => "not_run",
        }
    }
}

/// A failing path: what went wrong, where, and how to replay it. Read back (from a verdicts
/// file or a cache), its class is taken from its outcome wherever the outcome decides it, so
/// a program's own `TimeOutError` never reads back as robosim's time-out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "FailureFile")]
pub struct Failure {
    /// The error class, written as the reference names it: `RobotPickError`, `NameError`,
    /// `TimeOutError`, …
    pub class: ErrorClass,
    /// The program line, when known.
    pub line: Option<u32>,
    /// The reference-style last line: `RobotPickError: object does not exist in room`.
    pub error: String,
    pub outcome: Outcome,
    /// The alternative taken at each choice point: `Verifier::replay` runs this path again.
    /// At most [`RECORD_CHOICES`], the first ones (a replay takes the first alternative past
    /// them, so a path cut short may not fail again).
    pub choices: Vec<u32>,
    /// Choices left out of `choices` (after it).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub choices_omitted: usize,
    /// The same choices, with what was decided (cut like `trace`).
    pub decisions: Vec<ChoiceRecord>,
    /// Decisions left out of `decisions` (between its first and last part).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub decisions_omitted: usize,
    /// Robot calls up to the failure: at most [`RECORD_EVENTS`], the first ones and the last
    /// ones; long strings and lists in them cut visibly ([`RECORD_VALUE_BYTES`],
    /// [`RECORD_VALUE_ITEMS`]), so a verdict stays small whatever the program did.
    pub trace: Vec<TraceEvent>,
    /// Robot calls left out of `trace` (between its first and last part).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub trace_omitted: usize,
}

/// A [`Failure`] as a file holds it.
#[derive(Deserialize)]
struct FailureFile {
    class: ErrorClass,
    line: Option<u32>,
    error: String,
    outcome: Outcome,
    choices: Vec<u32>,
    #[serde(default)]
    choices_omitted: usize,
    decisions: Vec<ChoiceRecord>,
    #[serde(default)]
    decisions_omitted: usize,
    trace: Vec<TraceEvent>,
    #[serde(default)]
    trace_omitted: usize,
}

impl From<FailureFile> for Failure {
    fn from(file: FailureFile) -> Self {
        let FailureFile {
            class,
            line,
            error,
            outcome,
            choices,
            choices_omitted,
            decisions,
            decisions_omitted,
            trace,
            trace_omitted,
        } = file;
        let class = ErrorClass::of(&outcome).unwrap_or(class);
        Self {
            class,
            line,
            error,
            outcome,
            choices,
            choices_omitted,
            decisions,
            decisions_omitted,
            trace,
            trace_omitted,
        }
    }
}

/// The most choices a failure's path keeps: a program making more than this many decisions
/// on its failing path is pathological (each takes a few bytes; the robot-data limit allows
/// some hundred thousand).
pub const RECORD_CHOICES: usize = 2_048;

/// The most trace events (and decisions) a verdict keeps.
pub const RECORD_EVENTS: usize = 200;
/// Strings in a verdict's trace and decisions are cut to this many bytes.
pub const RECORD_VALUE_BYTES: usize = 512;
/// Lists in a verdict's trace and decisions are cut to this many items.
pub const RECORD_VALUE_ITEMS: usize = 32;

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
const fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The most bytes (as JSON) a verdict's decisions and trace keep together, however many
/// values the program passed: past them, further items keep only their shape, every string
/// and list in them a marker of what was left out. With [`RECORD_EVENTS`] of each, the
/// markers alone take some 25 KiB, so a verdict stays within about 64 KiB plus its error
/// texts (10 KiB) whatever the program did.
pub const RECORD_BYTES: usize = 64 << 10;

/// Bytes (as JSON) a failure's error line and its outcome's message keep, and its traceback.
const TEXT_JSON_BYTES: usize = 2 << 10;
const TRACEBACK_JSON_BYTES: usize = 8 << 10;

/// `text` cut (visibly, keeping both ends) until its JSON is at most `max` bytes: a message of
/// control characters is six times longer as JSON than as text.
pub(crate) fn cut_json(text: &str, max: usize) -> String {
    let mut keep = max;
    loop {
        let cut = robosim_protocol::truncate_text(text, keep);
        let weight = robosim_parallel::json_weight(&cut);
        if weight <= max || keep <= 64 {
            return cut;
        }
        keep = (keep * max / weight).min(keep - 1).max(64) * 9 / 10;
    }
}

/// The outcome as a verdict keeps it: its texts cut by [`cut_json`], an exit value by
/// [`Value::truncated`](robosim_protocol::Value::truncated).
pub(crate) fn bounded_outcome(outcome: Outcome) -> Outcome {
    let text = |t: String| cut_json(&t, TEXT_JSON_BYTES);
    let traceback = |t: String| cut_json(&t, TRACEBACK_JSON_BYTES);
    match outcome {
        Outcome::SyntaxError { message, line, column } => Outcome::SyntaxError { message: text(message), line, column },
        Outcome::RobotError { name, message, line, traceback: tb } => {
            Outcome::RobotError { name: text(name), message: text(message), line, traceback: traceback(tb) }
        }
        Outcome::PythonError { exc_type, message, line, traceback: tb } => {
            Outcome::PythonError { exc_type: text(exc_type), message: text(message), line, traceback: traceback(tb) }
        }
        Outcome::Exited { code } => Outcome::Exited { code: code.truncated(RECORD_VALUE_BYTES, RECORD_VALUE_ITEMS) },
        Outcome::Trap { message } => Outcome::Trap { message: traceback(message) },
        other => other,
    }
}

/// The error line as a verdict keeps it.
pub(crate) fn bounded_error(error: &str) -> String {
    cut_json(error, TEXT_JSON_BYTES)
}

/// Keeps `items` within `budget` bytes of JSON: each item's shrunk form (`shrink`, a few
/// bytes that keep its shape) is paid for first, and items keep their full form, in order,
/// while what that adds still fits. So the items weigh at most the budget, or their shrunk
/// forms alone where those pass it. Returns the bytes left of the budget.
pub(crate) fn within<T: Serialize>(items: &mut [T], budget: usize, shrink: impl Fn(&T) -> T) -> usize {
    let weight = |item: &T| robosim_parallel::json_weight(item);
    // Each item's full weight and the least it can weigh (a short item's marker is longer).
    let forms: Vec<(T, usize, usize)> = items
        .iter()
        .map(|item| {
            let small = shrink(item);
            let (full, least) = (weight(item), weight(&small));
            (small, full, least.min(full))
        })
        .collect();
    let mut left = budget.saturating_sub(forms.iter().map(|f| f.2).sum());
    for (item, (small, full, least)) in items.iter_mut().zip(forms) {
        if full - least <= left {
            left -= full - least;
        } else {
            *item = small;
        }
    }
    left
}

/// Keeps the first three quarters and the last quarter of `items` when there are more than
/// [`RECORD_EVENTS`], each cut by `cut`; returns them and how many were left out.
pub(crate) fn bounded<T>(items: &[T], cut: impl Fn(&T) -> T) -> (Vec<T>, usize) {
    if items.len() <= RECORD_EVENTS {
        return (items.iter().map(&cut).collect(), 0);
    }
    let head = RECORD_EVENTS * 3 / 4;
    let tail = RECORD_EVENTS - head;
    let kept = items[..head].iter().chain(&items[items.len() - tail..]).map(&cut).collect();
    (kept, items.len() - RECORD_EVENTS)
}

/// The class of an error line as the reference checker prints it:
/// `Exception: RobotPickError: …` → `RobotPickError`; `NameError: …` → `NameError`.
#[must_use]
pub fn reference_class(error: &str) -> &str {
    let error = error.trim();
    let error = error.strip_prefix("Exception: ").unwrap_or(error);
    error.split(':').next().unwrap_or_default().trim()
}

#[cfg(test)]
mod tests {
    use robosim_protocol::{RobotFunction, Value};
    use robosim_sandbox::{CallResult, TraceEvent};

    use super::{RECORD_EVENTS, within};

    #[test]
    fn items_past_the_byte_budget_keep_only_their_shape_and_the_budget_holds() {
        let event = |text: &str| TraceEvent {
            function: RobotFunction::Say,
            args: vec![Value::Str(text.to_owned())],
            result: CallResult::Returned(Value::None),
        };
        let weight = |items: &[TraceEvent]| items.iter().map(robosim_parallel::json_weight).sum::<usize>();
        // Control characters: each byte is six as JSON.
        let mut items: Vec<TraceEvent> = (0..RECORD_EVENTS).map(|_| event(&"\u{1}".repeat(512))).collect();
        within(&mut items, 16 << 10, |e| e.truncated(0, 0));
        assert!(weight(&items) <= 16 << 10, "{} bytes", weight(&items));
        assert_eq!(items[0], event(&"\u{1}".repeat(512)), "the first keep their full form");
        assert_eq!(items[RECORD_EVENTS - 1].args, [Value::Str("…[+512 bytes]…".into())]);
        // Small items all fit, untouched.
        let mut small: Vec<TraceEvent> = (0..10).map(|i| event(&i.to_string())).collect();
        let before = small.clone();
        let left = within(&mut small, 16 << 10, |e| e.truncated(0, 0));
        assert_eq!((small, left), (before.clone(), (16 << 10) - weight(&before)));
    }
}
