//! The checker language: temporal properties of a robot-call trace, plus the final state.
//!
//! A check is a JSON object with one key:
//!
//! | check | holds when |
//! |---|---|
//! | `{"eventually": P}` | some event matches `P` |
//! | `{"never": P}` | no event matches `P` |
//! | `{"always": P}` | every event matches `P` |
//! | `{"before": [P, Q]}` | every event matching `Q` has an earlier one matching `P` |
//! | `{"sequence": [P1, P2, …]}` | events matching `P1`, `P2`, … happen in this order |
//! | `{"count": {"of": P, "min": n, "max": m}}` | between `n` and `m` events match `P` |
//! | `{"said": "regex"}` | the robot said something containing `regex` |
//! | `{"reports_answer": "person"}` | after each answer `person` gave, the robot said it |
//! | `{"ends_at": "room"}` | the robot finished in `room` |
//! | `{"object_ends_in": {"object": "o", "room": "r"}}` | an object `o` is in `r` at the end |
//! | `{"ends_holding": "o"}` / `{"ends_holding": null}` | the robot ends holding `o` / nothing |
//! | `{"all": [C…]}`, `{"any": [C…]}`, `{"not": C}`, `{"implies": [C1, C2]}` | logic |
//!
//! Patterns `P` are described in [`crate::Pattern`].

use robosim_protocol::RobotFunction;
use robosim_world::{ConcreteWorld, Work};
use serde::Deserialize;

use crate::pattern::{Name, Pattern, Step, Text};

/// A check on one run.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Check {
    Eventually(Pattern),
    Never(Pattern),
    Always(Pattern),
    Before(Pattern, Pattern),
    Sequence(Vec<Pattern>),
    Count(Count),
    Said(Text),
    ReportsAnswer(Name),
    EndsAt(Name),
    ObjectEndsIn { object: String, room: String },
    EndsHolding(Option<Name>),
    All(Vec<Check>),
    Any(Vec<Check>),
    Not(Box<Check>),
    Implies(Box<Check>, Box<Check>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Count {
    pub of: Pattern,
    #[serde(default)]
    pub min: Option<usize>,
    #[serde(default)]
    pub max: Option<usize>,
}

/// What a check looks at: the trace and the world as the run left it.
#[derive(Debug)]
pub struct Run<'a> {
    pub events: &'a [Step],
    pub world: &'a ConcreteWorld,
}

/// Why a check did not hold: it fails on the run, or evaluating it would have cost more than
/// a check may spend (which no `not` turns into a pass).
enum Failed {
    Check(String),
    Work,
}

impl From<String> for Failed {
    fn from(reason: String) -> Self {
        Self::Check(reason)
    }
}

impl From<&str> for Failed {
    fn from(reason: &str) -> Self {
        Self::Check(reason.to_owned())
    }
}

impl Check {
    /// `Ok` when the check holds, else why not (naming the event that broke it, if one did).
    /// Its work is bounded (see `CHECK_WORK`): a check that would cost more fails, saying so,
    /// the same everywhere.
    ///
    /// # Errors
    /// The reason the check fails.
    pub fn eval(&self, run: &Run<'_>) -> Result<(), String> {
        self.eval_within(run, &mut Work::new(crate::rtl_eval::CHECK_WORK)).map_err(|failed| match failed {
            Failed::Check(reason) => reason,
            Failed::Work => crate::rtl_eval::over(),
        })
    }

    fn eval_within(&self, run: &Run<'_>, work: &mut Work) -> Result<(), Failed> {
        // Each check's own scans are linear in the trace; a scan's worth is charged.
        work.charge(run.events.len() as u64 + 1).map_err(|_| Failed::Work)?;
        let events = run.events;
        let first = |p: &Pattern| events.iter().position(|e| p.matches(e));
        let event = |i: usize| format!("event {} {}", i + 1, events[i].describe());
        match self {
            Self::Eventually(p) => first(p).map(|_| ()).ok_or_else(|| "no event matched".into()),
            Self::Never(p) => first(p).map_or(Ok(()), |i| Err(format!("{} matched", event(i)).into())),
            Self::Always(p) => events
                .iter()
                .position(|e| !p.matches(e))
                .map_or(Ok(()), |i| Err(format!("{} did not match", event(i)).into())),
            Self::Before(p, q) => match (first(p), first(q)) {
                (_, None) => Ok(()),
                (Some(i), Some(j)) if i < j => Ok(()),
                (_, Some(j)) => Err(format!("{} came before any event matching the first pattern", event(j)).into()),
            },
            Self::Sequence(steps) => {
                let mut from = 0;
                for (k, step) in steps.iter().enumerate() {
                    match events[from..].iter().position(|e| step.matches(e)) {
                        Some(i) => from += i + 1,
                        None => {
                            return Err(format!(
                                "step {} of {} never happened after the steps before it",
                                k + 1,
                                steps.len()
                            )
                            .into());
                        }
                    }
                }
                Ok(())
            }
            Self::Count(Count { of, min, max }) => {
                let n = events.iter().filter(|e| of.matches(e)).count();
                if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                    let bounds = format!(
                        "{}..={}",
                        min.map_or(String::new(), |m| m.to_string()),
                        max.map_or(String::new(), |m| m.to_string())
                    );
                    return Err(format!("{n} events matched, wanted {bounds}").into());
                }
                Ok(())
            }
            Self::Said(text) => {
                let said = |e: &Step| e.function == RobotFunction::Say && text.0.matches(&e.arg(0).unwrap_or_default());
                if events.iter().any(said) {
                    return Ok(());
                }
                let all: Vec<String> =
                    events.iter().filter(|e| e.function == RobotFunction::Say).filter_map(|e| e.arg(0)).collect();
                Err(format!("nothing said matched; said: {all:?}").into())
            }
            Self::ReportsAnswer(person) => reports_answer(events, person, work),
            Self::EndsAt(room) => {
                let at = run.world.location();
                if room.0.matches(at) { Ok(()) } else { Err(format!("the robot ended in {at:?}").into()) }
            }
            Self::ObjectEndsIn { object, room } => {
                if run.world.object_in(object, room) {
                    return Ok(());
                }
                let places: Vec<String> = run
                    .world
                    .objects()
                    .into_iter()
                    .filter(|(name, _)| robosim_world::key(name) == robosim_world::key(object))
                    .map(|(_, r)| r.map_or_else(|| "held by the robot".to_owned(), |r| format!("in {r:?}")))
                    .collect();
                Err(format!("no {object:?} in {room:?} at the end ({object:?}: {})", places.join(", ")).into())
            }
            Self::EndsHolding(what) => match (what, run.world.holding()) {
                (None, None) => Ok(()),
                (Some(p), Some(held)) if p.0.matches(held) => Ok(()),
                (_, Some(held)) => Err(format!("the robot ended holding {held:?}").into()),
                (_, None) => Err("the robot ended holding nothing".into()),
            },
            Self::All(checks) => checks.iter().enumerate().try_for_each(|(i, c)| match c.eval_within(run, work) {
                Err(Failed::Check(e)) => Err(format!("part {}: {e}", i + 1).into()),
                other => other,
            }),
            Self::Any(checks) => {
                let mut reasons = Vec::new();
                for check in checks {
                    match check.eval_within(run, work) {
                        Ok(()) => return Ok(()),
                        Err(Failed::Check(reason)) => reasons.push(reason),
                        Err(Failed::Work) => return Err(Failed::Work),
                    }
                }
                Err(format!("none held: {}", reasons.join("; ")).into())
            }
            Self::Not(check) => match check.eval_within(run, work) {
                Ok(()) => Err("the negated check held".into()),
                Err(Failed::Check(_)) => Ok(()),
                Err(Failed::Work) => Err(Failed::Work),
            },
            Self::Implies(condition, then) => match condition.eval_within(run, work) {
                Ok(()) => match then.eval_within(run, work) {
                    Err(Failed::Check(e)) => Err(format!("the condition held but: {e}").into()),
                    other => other,
                },
                Err(Failed::Check(_)) => Ok(()),
                Err(Failed::Work) => Err(Failed::Work),
            },
        }
    }
}

/// After every answer from `person`, the robot says something containing that answer. Each
/// answer is looked for in every later message: the searches are charged to `work`.
fn reports_answer(events: &[Step], person: &Name, work: &mut Work) -> Result<(), Failed> {
    // What was said, lower-cased once, with where it was said.
    let said: Vec<(usize, String)> = events
        .iter()
        .enumerate()
        .filter(|(_, s)| s.function == RobotFunction::Say)
        .filter_map(|(i, s)| s.arg(0).map(|t| (i, t.to_lowercase())))
        .collect();
    for (i, e) in events.iter().enumerate() {
        if e.function != RobotFunction::Ask || !person.0.matches(&e.arg(0).unwrap_or_default()) {
            continue;
        }
        let Some(answer) = e.returned_text() else { continue };
        let needle = answer.trim().to_lowercase();
        let mut reported = false;
        let later = said.partition_point(|(at, _)| *at <= i);
        for (_, text) in &said[later..] {
            work.charge(text.len() as u64 + needle.len() as u64 + 1).map_err(|_| Failed::Work)?;
            if text.contains(&needle) {
                reported = true;
                break;
            }
        }
        if !reported {
            return Err(format!("the answer {answer:?} to event {} {} was never said", i + 1, e.describe()).into());
        }
    }
    Ok(())
}
