//! [`ConcreteWorld`]: a fully specified world, for grading (RoboEval style). Rooms, objects
//! per room, people per room with their answers, where the robot starts. A call fails where
//! a real robot would: going to a room that does not exist, asking someone who is not there,
//! picking what is not in the room.

use regex::{Regex, RegexBuilder};
use robosim_protocol::Value;
use serde::{Deserialize, Serialize};

use crate::{RobotError, RobotErrorKind, World, error::string_arg, key};

/// A world as a task file describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorldSpec {
    pub rooms: Vec<String>,
    /// Where the robot starts (default: the first room).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub robot: Option<String>,
    #[serde(default)]
    pub objects: Vec<ObjectSpec>,
    #[serde(default)]
    pub people: Vec<PersonSpec>,
}

/// An object in a room. Several objects may share a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectSpec {
    pub name: String,
    pub room: String,
    /// Other names it answers to: a regular expression matched against the whole name the
    /// program uses, ignoring case (e.g. `"(black |blue )?pen"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<String>,
}

/// A person in a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonSpec {
    /// Matched exactly (ignoring case and surrounding spaces); `person`, `someone` and
    /// `anyone` also name whoever is in the room.
    pub name: String,
    pub room: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<String>,
    /// How they answer, first matching rule first. Without rules they pick the first option.
    #[serde(default)]
    pub answers: Vec<AnswerSpec>,
}

/// One answering rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerSpec {
    /// Questions this rule is for: a regular expression searched for in the question,
    /// ignoring case (default: every question).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// The option they choose: the first option this regular expression is found in,
    /// ignoring case.
    pub answer: String,
    /// What they say when no option matches (default `"I don't know"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
}

/// Why a world description cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("the world has no rooms")]
    NoRooms,
    #[error("room {0:?} is listed twice")]
    DuplicateRoom(String),
    #[error("{what} is in room {room:?}, which is not in `rooms`")]
    UnknownRoom { what: String, room: String },
    #[error("bad pattern {pattern:?}: {detail}")]
    Pattern { pattern: String, detail: String },
}

#[derive(Debug, Clone)]
struct Object {
    name: String,
    labels: Option<Regex>,
    /// `None` while the robot holds it.
    room: Option<String>,
}

#[derive(Debug, Clone)]
struct Person {
    name: String,
    labels: Option<Regex>,
    room: String,
    answers: Vec<(Option<Regex>, Regex, String)>,
}

/// A concrete world: every fact given up front; nothing is decided during the run.
#[derive(Debug, Clone)]
pub struct ConcreteWorld {
    rooms: Vec<String>,
    location: String,
    objects: Vec<Object>,
    people: Vec<Person>,
    holding: Option<usize>,
}

const ANYONE: [&str; 3] = ["person", "someone", "anyone"];

/// A pattern from a task file as robosim reads every one (world names and labels, answer
/// rules, grading checks): a regular expression, ignoring case, matched against the `whole`
/// text or searched for anywhere in it.
///
/// # Errors
/// When `source` is not a regular expression.
pub fn case_insensitive(source: &str, whole: bool) -> Result<Regex, regex::Error> {
    let anchored = if whole { format!("^(?:{source})$") } else { source.to_owned() };
    RegexBuilder::new(&anchored).case_insensitive(true).build()
}

fn pattern(text: &str, whole: bool) -> Result<Regex, SpecError> {
    case_insensitive(text, whole).map_err(|e| SpecError::Pattern { pattern: text.to_owned(), detail: e.to_string() })
}

impl ConcreteWorld {
    /// # Errors
    /// No rooms, a duplicate room, an object, person or robot in an unknown room, a bad
    /// pattern.
    pub fn new(spec: &WorldSpec) -> Result<Self, SpecError> {
        let first = spec.rooms.first().ok_or(SpecError::NoRooms)?;
        for (i, room) in spec.rooms.iter().enumerate() {
            if spec.rooms[..i].iter().any(|r| key(r) == key(room)) {
                return Err(SpecError::DuplicateRoom(room.clone()));
            }
        }
        let room = |what: &str, name: &str| {
            spec.rooms
                .iter()
                .find(|r| key(r) == key(name))
                .cloned()
                .ok_or_else(|| SpecError::UnknownRoom { what: what.to_owned(), room: name.to_owned() })
        };
        let labels = |l: &Option<String>| l.as_deref().map(|l| pattern(l, true)).transpose();
        let location = match &spec.robot {
            Some(start) => room("the robot", start)?,
            None => first.clone(),
        };
        let objects = spec
            .objects
            .iter()
            .map(|o| {
                let room = room(&format!("object {:?}", o.name), &o.room)?;
                Ok(Object { name: o.name.clone(), labels: labels(&o.labels)?, room: Some(room) })
            })
            .collect::<Result<_, SpecError>>()?;
        let people = spec
            .people
            .iter()
            .map(|p| {
                let answers = p
                    .answers
                    .iter()
                    .map(|a| {
                        let question = a.question.as_deref().map(|q| pattern(q, false)).transpose()?;
                        let reply = a.reply.clone().unwrap_or_else(|| "I don't know".to_owned());
                        Ok((question, pattern(&a.answer, false)?, reply))
                    })
                    .collect::<Result<_, SpecError>>()?;
                let room = room(&format!("person {:?}", p.name), &p.room)?;
                Ok(Person { name: p.name.clone(), labels: labels(&p.labels)?, room, answers })
            })
            .collect::<Result<_, SpecError>>()?;
        Ok(Self { rooms: spec.rooms.clone(), location, objects, people, holding: None })
    }

    /// Where the robot is.
    #[must_use]
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The name of the object the robot holds.
    #[must_use]
    pub fn holding(&self) -> Option<&str> {
        self.holding.map(|i| self.objects[i].name.as_str())
    }

    /// Where each object is now (`None`: held), by name.
    #[must_use]
    pub fn objects(&self) -> Vec<(&str, Option<&str>)> {
        self.objects.iter().map(|o| (o.name.as_str(), o.room.as_deref())).collect()
    }

    /// Whether an object named (or labelled) `name` is in `room` now.
    #[must_use]
    pub fn object_in(&self, name: &str, room: &str) -> bool {
        self.objects.iter().any(|o| o.matches(name) && o.room.as_deref().is_some_and(|r| key(r) == key(room)))
    }

    fn here(&self, room: Option<&str>) -> bool {
        room.is_some_and(|r| key(r) == key(&self.location))
    }

    fn person_here(&self, name: &str) -> Option<&Person> {
        self.people.iter().find(|p| self.here(Some(&p.room)) && p.matches(name))
    }
}

impl Object {
    fn matches(&self, name: &str) -> bool {
        key(&self.name) == key(name) || self.labels.as_ref().is_some_and(|l| l.is_match(name.trim()))
    }
}

impl Person {
    fn matches(&self, name: &str) -> bool {
        key(&self.name) == key(name)
            || ANYONE.contains(&key(name).as_str())
            || self.labels.as_ref().is_some_and(|l| l.is_match(name.trim()))
    }

    fn answer(&self, question: &str, options: &[&str]) -> String {
        let Some((_, answer, reply)) =
            self.answers.iter().find(|(q, _, _)| q.as_ref().is_none_or(|q| q.is_match(question)))
        else {
            return options.first().map_or_else(String::new, |o| (*o).to_owned());
        };
        options.iter().find(|o| answer.is_match(o)).map_or_else(|| reply.clone(), |o| (*o).to_owned())
    }
}

impl World for ConcreteWorld {
    fn get_current_location(&mut self) -> Result<String, RobotError> {
        Ok(self.location.clone())
    }

    fn get_all_rooms(&mut self) -> Result<Vec<String>, RobotError> {
        Ok(self.rooms.clone())
    }

    fn is_in_room(&mut self, object: &Value) -> Result<bool, RobotError> {
        let name = string_arg(object, RobotErrorKind::RobotIsInRoomError, "entity")?;
        Ok(self.objects.iter().any(|o| self.here(o.room.as_deref()) && o.matches(name))
            || self.person_here(name).is_some())
    }

    fn go_to(&mut self, location: &Value) -> Result<(), RobotError> {
        let name = string_arg(location, RobotErrorKind::RobotGoToError, "location")?;
        let room = self.rooms.iter().find(|r| key(r) == key(name)).ok_or_else(|| {
            RobotError::new(RobotErrorKind::RobotGoToError, format!("there is no location {name:?} in this world"))
        })?;
        self.location = room.clone();
        Ok(())
    }

    fn ask(&mut self, person: &Value, question: &Value, options: &Value) -> Result<String, RobotError> {
        let kind = RobotErrorKind::RobotAskError;
        let name = string_arg(person, kind, "person")?;
        let question = string_arg(question, kind, "question")?;
        let Value::List(options) = options else {
            return Err(RobotError::new(kind, format!("options must be a list, not {}", options.repr())));
        };
        let options = options
            .iter()
            .map(|o| o.as_str().ok_or_else(|| RobotError::new(kind, format!("option {} is not a string", o.repr()))))
            .collect::<Result<Vec<_>, _>>()?;
        if options.is_empty() {
            return Err(RobotError::new(kind, "no option provided"));
        }
        let person = self
            .person_here(name)
            .ok_or_else(|| RobotError::new(kind, format!("{name:?} is not in {:?}", self.location)))?;
        Ok(person.answer(question, &options))
    }

    fn say(&mut self, message: &Value) -> Result<(), RobotError> {
        message.as_str().map(|_| ()).ok_or_else(|| {
            RobotError::new(RobotErrorKind::RobotSayError, format!("message must be a string, not {}", message.repr()))
        })
    }

    fn pick(&mut self, obj: &Value) -> Result<(), RobotError> {
        let kind = RobotErrorKind::RobotPickError;
        let name = string_arg(obj, kind, "obj")?;
        if let Some(held) = self.holding() {
            return Err(RobotError::new(kind, format!("Robot is already holding {held:?} and cannot pick {name:?}")));
        }
        let index = self
            .objects
            .iter()
            .position(|o| self.here(o.room.as_deref()) && o.matches(name))
            .ok_or_else(|| RobotError::new(kind, format!("there is no {name:?} in {:?}", self.location)))?;
        self.objects[index].room = None;
        self.holding = Some(index);
        Ok(())
    }

    fn place(&mut self, obj: &Value) -> Result<(), RobotError> {
        let kind = RobotErrorKind::RobotPlaceError;
        let name = string_arg(obj, kind, "obj")?;
        match self.holding {
            Some(i) if self.objects[i].matches(name) => {
                self.objects[i].room = Some(self.location.clone());
                self.holding = None;
                Ok(())
            }
            Some(i) => Err(RobotError::new(kind, format!("Robot is holding {:?}, not {name:?}", self.objects[i].name))),
            None => Err(RobotError::new(kind, format!("Robot is not holding anything, so cannot place {name:?}"))),
        }
    }
}
