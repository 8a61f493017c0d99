//! [`RoboEvalWorld`]: a concrete world that behaves as RoboEval's simulator (`simulator.py`
//! in ut-amrl/codebotler) does, so that a benchmark state graded by robosim gives the trace
//! and the errors RoboEval's harness gives.
//!
//! Its rules, which differ from [`ConcreteWorld`](crate::ConcreteWorld)'s on purpose:
//! - every name in a state (room, object label, person, answer) is a regular expression
//!   *searched* (ignoring case) inside the string the program passes: `go_to("the kitchen
//!   please")` goes to `kitchen`, the first room (in the state's order) found in it;
//! - `is_in_room(e)` is true when an object label or a person's name at the robot's room is
//!   found in `e` (a person named `.*` is found in anything);
//! - `ask` pops the person's answers in order (the last one stays), returns the first option
//!   the answer is found in; otherwise, when the answer is found in the question, the first
//!   option containing "yes", else the first option containing "no"; otherwise the next person
//!   there is tried, and with none left the ask fails;
//! - `pick` takes the first object at the robot's room whose label is found in the argument;
//!   `place` needs the exact string picked, and leaves it (as a new label) in the room.
//!
//! ```
//! use robosim_protocol::Value;
//! use robosim_world::{RoboEvalAgent, RoboEvalState, RoboEvalWorld, World};
//!
//! let state = RoboEvalState {
//!     locations: vec!["alice's office".into(), "start_loc".into()],
//!     objects: vec![],
//!     agents: vec![RoboEvalAgent { name: ".*".into(), location: "alice's office".into(), answers: vec!["donut".into()] }],
//!     robot: "start_loc".into(),
//! };
//! let mut world = RoboEvalWorld::new(&state)?;
//! world.go_to(&Value::from("Alice's office"))?;
//! assert!(world.is_in_room(&Value::from("person"))?);
//! let options = Value::from(vec!["cupcake", "donut"]);
//! assert_eq!(world.ask(&Value::from("Alice"), &Value::from("Which one?"), &options)?, "donut");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::{collections::VecDeque, sync::LazyLock};

use robosim_protocol::Value;
use serde::{Deserialize, Serialize};

use crate::{RobotError, RobotErrorKind, SearchPattern, Work, World};

/// A benchmark state as a task file writes it (RoboEval's `State`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoboEvalState {
    /// The rooms, in the order `go_to` tries them and `get_all_rooms` returns them.
    pub locations: Vec<String>,
    #[serde(default)]
    pub objects: Vec<RoboEvalObject>,
    #[serde(default)]
    pub agents: Vec<RoboEvalAgent>,
    /// Where the robot starts.
    pub robot: String,
}

/// An object: a label (a pattern) in a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoboEvalObject {
    pub label: String,
    pub location: String,
}

/// A person: a name (a pattern), a room, and the answers (patterns) they give in turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoboEvalAgent {
    pub name: String,
    pub location: String,
    pub answers: Vec<String>,
}

/// Why a state cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoboEvalStateError {
    #[error("{what} {name:?} is in {location:?}, which is not one of the locations")]
    UnknownLocation { what: &'static str, name: String, location: String },
}

/// A name (room, label, person, answer, or a name the program placed) as a pattern. One that
/// does not compile stays `None` and fails every search, as Python raises only when it
/// searches with it.
#[derive(Debug, Clone)]
struct Pat(Option<SearchPattern>);

impl Pat {
    /// A name of the state, compiled once when the world is built.
    fn new(source: &str) -> Self {
        Self(SearchPattern::new(source).ok())
    }

    /// A name the program placed: compiled for this run only, its compiling charged to `work`
    /// (which, when it cannot pay, is left exceeded and the run ends).
    fn placed(source: &str, work: &mut Work) -> Self {
        Self(SearchPattern::untrusted(source, work).ok())
    }

    /// Found in `text` (the program's), the search charged to `work`; a pattern that does not
    /// compile is an error, as Python's exception would be, and so is a search `work` cannot
    /// pay for (the sandbox then ends the run).
    fn found(&self, text: &str, work: &mut Work) -> Result<bool, ()> {
        self.0.as_ref().ok_or(())?.search_charged(text, work).map_err(|_| ())
    }
}

/// The options `ask` falls back to.
static YES: LazyLock<Pat> = LazyLock::new(|| Pat::new("yes"));
static NO: LazyLock<Pat> = LazyLock::new(|| Pat::new("no"));

#[derive(Debug, Clone)]
struct Agent {
    name: Pat,
    location: String,
    answers: VecDeque<Pat>,
}

/// A world that behaves as RoboEval's simulator; see the module docs.
#[derive(Debug, Clone)]
pub struct RoboEvalWorld {
    /// (name, pattern), in the state's order.
    locations: Vec<(String, Pat)>,
    /// (label, location), in the order they were added.
    objects: Vec<(Pat, String)>,
    agents: Vec<Agent>,
    robot: String,
    holding: Option<String>,
    /// Pattern work for the program (see [`Work`]): the sandbox sets its allowance.
    work: Work,
}

impl RoboEvalWorld {
    /// # Errors
    /// An object, person or the robot in a room that is not among the locations.
    pub fn new(state: &RoboEvalState) -> Result<Self, RoboEvalStateError> {
        let known = |what: &'static str, name: &str, location: &str| {
            if state.locations.iter().any(|l| l == location) {
                Ok(())
            } else {
                Err(RoboEvalStateError::UnknownLocation { what, name: name.to_owned(), location: location.to_owned() })
            }
        };
        for object in &state.objects {
            known("the object", &object.label, &object.location)?;
        }
        for agent in &state.agents {
            known("the person", &agent.name, &agent.location)?;
        }
        known("the robot", "robot", &state.robot)?;
        Ok(Self {
            locations: state.locations.iter().map(|l| (l.clone(), Pat::new(l))).collect(),
            objects: state.objects.iter().map(|o| (Pat::new(&o.label), o.location.clone())).collect(),
            agents: state
                .agents
                .iter()
                .map(|a| Agent {
                    name: Pat::new(&a.name),
                    location: a.location.clone(),
                    answers: a.answers.iter().map(|answer| Pat::new(answer)).collect(),
                })
                .collect(),
            robot: state.robot.clone(),
            holding: None,
            work: Work::new(u64::MAX),
        })
    }

    /// The object the robot holds, as the program named it.
    #[must_use]
    pub fn holding(&self) -> Option<&str> {
        self.holding.as_deref()
    }

    /// The room the robot is in.
    #[must_use]
    pub fn location(&self) -> &str {
        &self.robot
    }

    /// Is any object label or person name at the robot's room found in `entity`?
    fn present(&mut self, entity: &str) -> Result<bool, ()> {
        for (label, location) in &self.objects {
            if *location == self.robot && label.found(entity, &mut self.work)? {
                return Ok(true);
            }
        }
        for agent in &self.agents {
            if agent.location == self.robot && agent.name.found(entity, &mut self.work)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn answer(&mut self, person: &str, question: &str, options: &[String]) -> Result<Option<String>, ()> {
        let work = &mut self.work;
        for agent in self.agents.iter_mut().filter(|a| a.location == self.robot) {
            if !agent.name.found(person, work)? {
                continue;
            }
            let answer =
                if agent.answers.len() > 1 { agent.answers.pop_front() } else { agent.answers.front().cloned() };
            // A person without answers makes RoboEval's `answers[0]` raise: the ask fails.
            let answer = answer.ok_or(())?;
            for option in options {
                if answer.found(option, work)? {
                    return Ok(Some(option.clone()));
                }
            }
            let fallback = if answer.found(question, work)? { &*YES } else { &*NO };
            for option in options {
                if fallback.found(option, work)? {
                    return Ok(Some(option.clone()));
                }
            }
        }
        Ok(None)
    }
}

/// RoboEval checks types first and raises Python's `TypeError` with the robot error's name
/// in the message (`TypeError: RobotGoToError: location must be a string`).
fn text<'a>(value: &'a Value, name: &str, what: &str) -> Result<&'a str, RobotError> {
    value.as_str().ok_or_else(|| RobotError::new(RobotErrorKind::Arity, format!("{name}: {what} must be a string")))
}

fn failed(kind: RobotErrorKind, message: &str) -> RobotError {
    RobotError::new(kind, message.to_owned())
}

impl World for RoboEvalWorld {
    fn work(&mut self) -> Option<&mut Work> {
        Some(&mut self.work)
    }

    fn get_current_location(&mut self) -> Result<String, RobotError> {
        Ok(self.robot.clone())
    }

    fn get_all_rooms(&mut self) -> Result<Vec<String>, RobotError> {
        Ok(self.locations.iter().map(|(name, _)| name.clone()).collect())
    }

    fn is_in_room(&mut self, object: &Value) -> Result<bool, RobotError> {
        let entity = text(object, "RobotCheckEntityError", "entity")?;
        self.present(entity)
            .map_err(|()| failed(RobotErrorKind::RobotCheckEntityError, "object_in_room or agent_in_room failed"))
    }

    fn go_to(&mut self, location: &Value) -> Result<(), RobotError> {
        let wanted = text(location, "RobotGoToError", "location")?;
        let failure = || failed(RobotErrorKind::RobotGoToError, "update_robot_location failed");
        for (room, pattern) in &self.locations {
            if pattern.found(wanted, &mut self.work).map_err(|()| failure())? {
                self.robot = room.clone();
                return Ok(());
            }
        }
        Err(failure())
    }

    fn ask(&mut self, person: &Value, question: &Value, options: &Value) -> Result<String, RobotError> {
        let person = text(person, "RobotAskError", "person")?;
        let question = text(question, "RobotAskError", "question")?;
        let Value::List(options) = options else {
            return Err(RobotError::new(RobotErrorKind::Arity, "RobotAskError: options must be a list"));
        };
        if options.is_empty() {
            return Err(failed(RobotErrorKind::RobotAskError, "invalid options"));
        }
        // RoboEval compares `str(option)`.
        let options: Vec<String> = options.iter().map(Value::py_str).collect();
        match self.answer(person, question, &options) {
            Ok(Some(option)) => Ok(option),
            Ok(None) | Err(()) => Err(failed(RobotErrorKind::RobotAskError, "ask_agent failed")),
        }
    }

    fn say(&mut self, message: &Value) -> Result<(), RobotError> {
        text(message, "RobotSayError", "message").map(|_| ())
    }

    fn pick(&mut self, obj: &Value) -> Result<(), RobotError> {
        let obj = text(obj, "RobotPickError", "obj")?;
        if let Some(held) = &self.holding {
            return Err(RobotError::new(RobotErrorKind::RobotPickError, format!("Robot is already holding {held}")));
        }
        let failure = || failed(RobotErrorKind::RobotPickError, "removeObject failed");
        let mut found = None;
        for (i, (label, location)) in self.objects.iter().enumerate() {
            if *location == self.robot && label.found(obj, &mut self.work).map_err(|()| failure())? {
                found = Some(i);
                break;
            }
        }
        let index = found.ok_or_else(failure)?;
        self.objects.remove(index);
        self.holding = Some(obj.to_owned());
        Ok(())
    }

    fn place(&mut self, obj: &Value) -> Result<(), RobotError> {
        let obj = text(obj, "RobotPlaceError", "obj")?;
        if self.holding.as_deref() != Some(obj) {
            return Err(RobotError::new(RobotErrorKind::RobotPlaceError, format!("Robot is not holding {obj}")));
        }
        self.holding = None;
        self.objects.push((Pat::placed(obj, &mut self.work), self.robot.clone()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use robosim_protocol::Value;

    use super::{RoboEvalAgent, RoboEvalObject, RoboEvalState, RoboEvalWorld};
    use crate::{RobotErrorKind, World};

    fn s(text: &str) -> Value {
        Value::from(text)
    }

    fn world() -> RoboEvalWorld {
        let agent = |name: &str, location: &str, answers: &[&str]| RoboEvalAgent {
            name: name.into(),
            location: location.into(),
            answers: answers.iter().map(|&a| a.to_owned()).collect(),
        };
        RoboEvalWorld::new(&RoboEvalState {
            locations: vec!["kitchen".into(), "alice's office".into(), "office".into(), "start_loc".into()],
            objects: vec![RoboEvalObject { label: "black backpack|bag".into(), location: "kitchen".into() }],
            agents: vec![agent("alice", "alice's office", &["yes", "tea"]), agent(".*", "office", &["sandwich"])],
            robot: "start_loc".into(),
        })
        .unwrap()
    }

    #[test]
    fn go_to_takes_the_first_room_found_in_the_argument() {
        let mut w = world();
        w.go_to(&s("Go to Alice's office please")).unwrap();
        assert_eq!(w.location(), "alice's office");
        // "office" is also in it, but "alice's office" comes first in the state's order.
        w.go_to(&s("the OFFICE")).unwrap();
        assert_eq!(w.location(), "office");
        assert_eq!(w.go_to(&s("garage")).unwrap_err().kind, RobotErrorKind::RobotGoToError);
        assert_eq!(w.go_to(&Value::Int(1)).unwrap_err().kind, RobotErrorKind::Arity);
    }

    #[test]
    fn is_in_room_searches_labels_and_names_in_the_argument() {
        let mut w = world();
        w.go_to(&s("kitchen")).unwrap();
        assert!(w.is_in_room(&s("my old bag")).unwrap());
        assert!(!w.is_in_room(&s("person")).unwrap());
        w.go_to(&s("office")).unwrap();
        assert!(w.is_in_room(&s("anyone at all")).unwrap(), "a person named .* is found in anything");
    }

    #[test]
    fn ask_pops_answers_and_falls_back_to_yes_or_no() {
        let mut w = world();
        w.go_to(&s("alice's office")).unwrap();
        let yes_no = Value::from(vec!["Yes", "No"]);
        // "yes" is found in the option "Yes".
        assert_eq!(w.ask(&s("Alice"), &s("Coffee?"), &yes_no).unwrap(), "Yes");
        // The last answer, "tea", stays: found in the question, so the "yes" option.
        assert_eq!(w.ask(&s("Alice"), &s("Some tea?"), &yes_no).unwrap(), "Yes");
        assert_eq!(w.ask(&s("Alice"), &s("Coffee?"), &yes_no).unwrap(), "No");
        let drinks = Value::from(vec!["coffee", "green tea"]);
        assert_eq!(w.ask(&s("Alice"), &s("Which?"), &drinks).unwrap(), "green tea");
        // No option decides and none says yes or no; nobody else is here.
        let colours = Value::from(vec!["red", "blue"]);
        assert_eq!(w.ask(&s("Alice"), &s("Which?"), &colours).unwrap_err().kind, RobotErrorKind::RobotAskError);
        assert_eq!(w.ask(&s("Bob"), &s("Which?"), &drinks).unwrap_err().kind, RobotErrorKind::RobotAskError);
        assert_eq!(
            w.ask(&s("Alice"), &s("q"), &Value::from(Vec::<&str>::new())).unwrap_err().kind,
            RobotErrorKind::RobotAskError
        );
    }

    #[test]
    fn pick_searches_labels_and_place_needs_the_exact_string() {
        let mut w = world();
        assert_eq!(w.pick(&s("bag")).unwrap_err().kind, RobotErrorKind::RobotPickError, "not here");
        w.go_to(&s("kitchen")).unwrap();
        w.pick(&s("the black backpack")).unwrap();
        assert_eq!(w.holding(), Some("the black backpack"));
        assert_eq!(w.pick(&s("bag")).unwrap_err().kind, RobotErrorKind::RobotPickError, "already holding");
        assert_eq!(w.place(&s("black backpack")).unwrap_err().kind, RobotErrorKind::RobotPlaceError);
        w.go_to(&s("office")).unwrap();
        w.place(&s("the black backpack")).unwrap();
        assert!(w.is_in_room(&s("the black backpack")).unwrap());
        w.go_to(&s("kitchen")).unwrap();
        assert!(!w.is_in_room(&s("bag")).unwrap(), "the only bag was taken away");
    }

    #[test]
    fn a_state_with_an_unknown_room_is_refused_and_a_person_without_answers_cannot_answer() {
        let mut state =
            RoboEvalState { locations: vec!["a".into()], objects: vec![], agents: vec![], robot: "b".into() };
        assert!(RoboEvalWorld::new(&state).is_err());
        state.robot = "a".into();
        state.agents.push(RoboEvalAgent { name: "x".into(), location: "a".into(), answers: vec![] });
        let mut w = RoboEvalWorld::new(&state).unwrap();
        let options = Value::from(vec!["yes", "no"]);
        assert_eq!(w.ask(&s("x"), &s("q"), &options).unwrap_err().kind, RobotErrorKind::RobotAskError);
    }
}
