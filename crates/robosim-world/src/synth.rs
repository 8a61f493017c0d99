//! [`SynthWorld`]: the world synthesised on the fly (spec §3).
//!
//! Nothing is known at the start but the four rooms and the robot's place. The first time a
//! program depends on a fact, the world asks its [`Chooser`], records the decision, and
//! holds the fact from then on. Names are entities compared after strip and lower-case.

use foldhash::{HashMap, HashMapExt};

use robosim_protocol::{Container, Site, Value};

use crate::{
    ChoicePoint, ChoiceRecord, Chooser, EntityType, INITIAL_ROOMS, RobotError, RobotErrorKind, START_LOCATION, World,
    entity::{key, key_of},
};

/// After this many consecutive `is_in_room` calls in one room, a known answer is given once
/// more and then forgotten, so `while not is_in_room(x): ...` can end (spec §3).
pub const LOOP_GUARD: u32 = 15;

/// The lazily synthesised world of the reference checker, with its choices made by `C`.
#[derive(Debug, Clone)]
pub struct SynthWorld<C> {
    chooser: C,
    choices: Vec<ChoiceRecord>,
    rooms: Vec<String>,
    location: String,
    /// `key(location)`, kept with it: every `is_in_room` looks facts up by it.
    location_key: String,
    holding: Option<String>,
    types: HashMap<String, EntityType>,
    /// room key → entity key → present? (Nested so that a lookup borrows both keys.)
    facts: HashMap<String, HashMap<String, bool>>,
    /// The room of the last `is_in_room` and how many calls in a row were made there.
    guard: Option<(String, u32)>,
    /// Room name key → is it among the rooms?
    room_exists: HashMap<String, bool>,
    /// (location key, text lower-cased) → does the name contain the text?
    name_contains: HashMap<(String, String), bool>,
    /// Where the call being answered was made (see [`World::at`]).
    site: Site,
}

impl<C: Chooser> SynthWorld<C> {
    /// The initial world: rooms `loc_a`, `loc_b`, `loc_c`, `start_loc`; the robot at
    /// `start_loc`, holding nothing; nothing else decided.
    pub fn new(chooser: C) -> Self {
        Self {
            chooser,
            choices: Vec::new(),
            rooms: INITIAL_ROOMS.iter().map(|r| (*r).to_owned()).collect(),
            location: START_LOCATION.to_owned(),
            location_key: key(START_LOCATION),
            holding: None,
            types: HashMap::new(),
            facts: HashMap::new(),
            guard: None,
            room_exists: HashMap::new(),
            name_contains: HashMap::new(),
            site: Site::default(),
        }
    }

    /// The decisions made so far, in order.
    #[must_use]
    pub fn choices(&self) -> &[ChoiceRecord] {
        &self.choices
    }

    /// The decisions made, without the rest of the world.
    #[must_use]
    pub fn into_choices(self) -> Vec<ChoiceRecord> {
        self.choices
    }

    /// The chooser, e.g. to read its state after a run.
    pub fn chooser(&self) -> &C {
        &self.chooser
    }

    /// What the world knows about `entity` in `room`: `Some(present)` or `None` (unknown).
    #[must_use]
    pub fn fact(&self, room: &str, entity: &str) -> Option<bool> {
        self.fact_in(&key_of(room), entity)
    }

    /// What is known of `entity` in the room whose key is `room_key`.
    fn fact_in(&self, room_key: &str, entity: &str) -> Option<bool> {
        self.facts.get(room_key).and_then(|here| here.get(&*key_of(entity))).copied()
    }

    /// The type a name has been given, if any.
    #[must_use]
    pub fn entity_type(&self, name: &str) -> Option<EntityType> {
        self.types.get(&key(name)).copied()
    }

    /// What the robot holds.
    #[must_use]
    pub fn holding(&self) -> Option<&str> {
        self.holding.as_deref()
    }

    fn decide(&mut self, point: ChoicePoint, alternatives: u32) -> u32 {
        let chosen = self.chooser.choose(&point, self.site, alternatives).min(alternatives - 1);
        let site = self.site.is_known().then_some(self.site);
        self.choices.push(ChoiceRecord { point, alternatives, chosen, site });
        chosen
    }

    fn decide_bool(&mut self, point: ChoicePoint) -> bool {
        self.decide(point, 2) == 0
    }

    /// Gives `name` its type on first use; refuses a use its type does not allow.
    fn use_as(&mut self, name: &str, used: EntityType) -> Result<(), RobotError> {
        let name_key = key_of(name);
        let Some(stored) = self.types.get_mut(&*name_key) else {
            self.types.insert(name_key.into_owned(), used);
            return Ok(());
        };
        if !stored.accepts(used) {
            return Err(RobotError::new(
                RobotErrorKind::RobotTypeError,
                format!(
                    "{}, but got {} ('{name}' was used as {stored} before)",
                    used.expectation(),
                    stored.reference_name()
                ),
            ));
        }
        *stored = stored.narrowed_by(used);
        Ok(())
    }

    /// What is known of `entity` where the robot is.
    fn fact_here(&self, entity: &str) -> Option<bool> {
        self.fact_in(&self.location_key, entity)
    }

    /// Records whether `entity` is where the robot is.
    fn set_fact_here(&mut self, entity: &str, present: bool) {
        let here = match self.facts.get_mut(&self.location_key) {
            Some(here) => here,
            None => self.facts.entry(self.location_key.clone()).or_default(),
        };
        here.insert(key(entity), present);
    }

    /// Forgets whether `entity` is where the robot is.
    fn forget_fact_here(&mut self, entity: &str) {
        if let Some(here) = self.facts.get_mut(&self.location_key) {
            here.remove(&*key_of(entity));
        }
    }
}

/// A string argument, stripped; `kind`/`what` name the error when it is not a string.
fn string<'a>(value: &'a Value, kind: RobotErrorKind, what: &str) -> Result<&'a str, RobotError> {
    value.as_str().map(str::trim).ok_or_else(|| RobotError::new(kind, format!("{what} must be a string")))
}

fn non_empty<'a>(value: &'a Value, kind: RobotErrorKind, what: &str) -> Result<&'a str, RobotError> {
    let s = string(value, kind, what)?;
    if s.is_empty() {
        return Err(RobotError::new(kind, format!("{what} is empty")));
    }
    Ok(s)
}

impl<C: Chooser> World for SynthWorld<C> {
    fn at(&mut self, site: Site) {
        self.site = site;
    }

    fn get_current_location(&mut self) -> Result<String, RobotError> {
        Ok(self.location.clone())
    }

    fn get_all_rooms(&mut self) -> Result<Vec<String>, RobotError> {
        Ok(self.rooms.clone())
    }

    fn is_in_room(&mut self, object: &Value) -> Result<bool, RobotError> {
        let entity = non_empty(object, RobotErrorKind::RobotIsInRoomError, "entity")?;
        self.use_as(entity, EntityType::ObjectOrPerson)?;
        let count = match &mut self.guard {
            Some((last, count)) if *last == self.location_key => {
                *count += 1;
                *count
            }
            guard => {
                *guard = Some((self.location_key.clone(), 1));
                1
            }
        };
        if let Some(present) = self.fact_here(entity) {
            if count >= LOOP_GUARD {
                self.forget_fact_here(entity);
            }
            return Ok(present);
        }
        let present =
            self.decide_bool(ChoicePoint::IsInRoom { entity: entity.to_owned(), room: self.location.clone() });
        self.set_fact_here(entity, present);
        Ok(present)
    }

    fn go_to(&mut self, location: &Value) -> Result<(), RobotError> {
        let location = non_empty(location, RobotErrorKind::RobotGoToError, "location")?;
        self.use_as(location, EntityType::Location)?;
        location.clone_into(&mut self.location);
        self.location_key = key(location);
        Ok(())
    }

    fn ask(&mut self, person: &Value, question: &Value, options: &Value) -> Result<String, RobotError> {
        let kind = RobotErrorKind::RobotAskError;
        let person = string(person, kind, "person")?;
        let question = string(question, kind, "question")?;
        let Value::List(options) = options else {
            return Err(RobotError::new(kind, "options must be a list"));
        };
        if options.is_empty() {
            return Err(RobotError::new(kind, "no option provided"));
        }
        let mut answers = Vec::with_capacity(options.len());
        for option in options {
            match option {
                Value::Str(s) if s.is_empty() => {
                    return Err(RobotError::new(kind, "option is an empty string"));
                }
                Value::Str(s) => answers.push(s.clone()),
                other => {
                    return Err(RobotError::new(kind, format!("option '{}' is not a string", other.py_str())));
                }
            }
        }
        if question.is_empty() {
            return Err(RobotError::new(kind, "question is an empty string"));
        }
        self.use_as(person, EntityType::Person)?;
        match self.fact_here(person) {
            Some(false) => {
                return Err(RobotError::new(
                    kind,
                    format!(
                        "person does not exist in room ('{person}' is known to be absent from '{}')",
                        self.location
                    ),
                ));
            }
            Some(true) => {}
            None => self.set_fact_here(person, true),
        }
        let alternatives = u32::try_from(answers.len()).unwrap_or(u32::MAX);
        let chosen = self.decide(ChoicePoint::Answer { person: person.to_owned(), options: answers }, alternatives);
        // The answer is the chosen option of the decision just recorded (not a second copy
        // of every option).
        match self.choices.last().map(|record| &record.point) {
            Some(ChoicePoint::Answer { options, .. }) => Ok(options[chosen as usize].clone()),
            _ => unreachable!("decide records the point it was given"),
        }
    }

    fn say(&mut self, message: &Value) -> Result<(), RobotError> {
        string(message, RobotErrorKind::RobotSayError, "message").map(|_| ())
    }

    fn pick(&mut self, obj: &Value) -> Result<(), RobotError> {
        let kind = RobotErrorKind::RobotPickError;
        let obj = non_empty(obj, kind, "obj")?;
        if let Some(held) = &self.holding {
            return Err(RobotError::new(
                kind,
                format!("Robot is already holding '{obj}' (it holds '{held}'; one object at a time)"),
            ));
        }
        // The reference takes the object before the type and existence checks, so a pick
        // that fails on them (and is caught) leaves the robot holding it. Kept for fidelity:
        // a program that relies on either behaviour gets the reference's verdict.
        self.holding = Some(obj.to_owned());
        self.use_as(obj, EntityType::Object)?;
        match self.fact_here(obj) {
            Some(false) => Err(RobotError::new(
                kind,
                format!("object does not exist in room ('{obj}' is known to be absent from '{}')", self.location),
            )),
            // Picked up: whether another one is here is unknown again.
            Some(true) => {
                self.forget_fact_here(obj);
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn place(&mut self, obj: &Value) -> Result<(), RobotError> {
        let kind = RobotErrorKind::RobotPlaceError;
        let obj = non_empty(obj, kind, "obj")?;
        match &self.holding {
            None => {
                return Err(RobotError::new(kind, format!("Robot is not currently holding '{obj}'")));
            }
            Some(held) if key(held) != key(obj) => {
                return Err(RobotError::new(
                    kind,
                    format!("Robot is currently holding '{held}' but it is not '{obj}'"),
                ));
            }
            Some(_) => self.holding = None,
        }
        self.use_as(obj, EntityType::Object)?;
        self.set_fact_here(obj, true);
        Ok(())
    }

    fn contains(&mut self, container: &Container, item: &str) -> Result<bool, RobotError> {
        if container.literally_contains(item) {
            return Ok(true);
        }
        match container {
            Container::Rooms(_) => {
                let name = key(item);
                if let Some(&exists) = self.room_exists.get(&name) {
                    return Ok(exists);
                }
                let exists = self.decide_bool(ChoicePoint::RoomExists { name: item.trim().to_owned() });
                self.room_exists.insert(name, exists);
                if exists {
                    self.rooms.push(item.trim().to_owned());
                }
                Ok(exists)
            }
            Container::Name(name) => {
                let fact = (key(name), item.to_lowercase());
                if let Some(&holds) = self.name_contains.get(&fact) {
                    return Ok(holds);
                }
                let holds = self.decide_bool(ChoicePoint::NameContains { name: name.clone(), text: item.to_owned() });
                self.name_contains.insert(fact, holds);
                Ok(holds)
            }
        }
    }
}
