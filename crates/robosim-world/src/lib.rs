//! robosim's world model: what each robot API call means.
//!
//! The sandbox forwards every robot call a program makes to a [`World`]. This crate knows
//! nothing of WebAssembly or Python: arguments arrive as protocol [`Value`]s, exactly as the
//! program passed them, and each call returns a value or a typed [`RobotError`].
//!
//! ```
//! use robosim_world::{Replay, RobotErrorKind, SynthWorld, Then, World};
//! use robosim_protocol::Value;
//!
//! // A world whose first decision is forced to the second alternative (`false`).
//! let mut world = SynthWorld::new(Replay::new(vec![1], Then::First));
//! world.go_to(&Value::from("kitchen")).unwrap();
//! assert!(!world.is_in_room(&Value::from("apple")).unwrap());   // decided: absent
//! assert!(!world.is_in_room(&Value::from("Apple ")).unwrap());  // same entity, same answer
//! let err = world.pick(&Value::from("apple")).unwrap_err();
//! assert_eq!(err.kind, RobotErrorKind::RobotPickError);
//! assert_eq!(world.choices().len(), 1);
//! ```

mod choice;
mod concrete;
#[cfg(test)]
mod concrete_tests;
mod entity;
mod error;
mod open;
mod synth;
#[cfg(test)]
mod synth_tests;

pub use choice::{ChoicePoint, ChoiceRecord, Chooser, Replay, Then};
pub use concrete::{AnswerSpec, ConcreteWorld, ObjectSpec, PersonSpec, SpecError, WorldSpec};
pub use entity::{EntityType, key};
pub use error::{RobotError, RobotErrorKind};
pub use open::OpenWorld;
pub use synth::{LOOP_GUARD, SynthWorld};

use robosim_protocol::{Container, RobotFunction, Value};

/// The rooms every world starts with (spec §3).
pub const INITIAL_ROOMS: [&str; 4] = ["loc_a", "loc_b", "loc_c", "start_loc"];
/// Where the robot starts.
pub const START_LOCATION: &str = "start_loc";

/// A world the robot acts in. One method per robot function; arguments are the Python
/// values the program passed, unchecked, because checking them is part of the semantics.
pub trait World: Send {
    fn get_current_location(&mut self) -> Result<String, RobotError>;
    fn get_all_rooms(&mut self) -> Result<Vec<String>, RobotError>;
    fn is_in_room(&mut self, object: &Value) -> Result<bool, RobotError>;
    fn go_to(&mut self, location: &Value) -> Result<(), RobotError>;
    fn ask(&mut self, person: &Value, question: &Value, options: &Value) -> Result<String, RobotError>;
    fn say(&mut self, message: &Value) -> Result<(), RobotError>;
    fn pick(&mut self, obj: &Value) -> Result<(), RobotError>;
    fn place(&mut self, obj: &Value) -> Result<(), RobotError>;

    /// `item in container` for a container the world produced (the room list, a location
    /// name). By default, plain membership ignoring case; a synthesised world may decide.
    fn contains(&mut self, container: &Container, item: &str) -> Result<bool, RobotError> {
        Ok(container.literally_contains(item))
    }

    /// Calls `function` with positional `args`. The guest checks arity, so a wrong count
    /// here is reported as a `TypeError`-like robot error rather than a panic.
    fn dispatch(&mut self, function: RobotFunction, args: &[Value]) -> Result<Value, RobotError> {
        if args.len() != function.arity() {
            return Err(RobotError::new(
                RobotErrorKind::Arity,
                format!("{function}() takes {} arguments but {} were given", function.arity(), args.len()),
            ));
        }
        Ok(match function {
            RobotFunction::GetCurrentLocation => Value::Str(self.get_current_location()?),
            RobotFunction::GetAllRooms => Value::from(self.get_all_rooms()?),
            RobotFunction::IsInRoom => Value::Bool(self.is_in_room(&args[0])?),
            RobotFunction::GoTo => self.go_to(&args[0]).map(|()| Value::None)?,
            RobotFunction::Ask => Value::Str(self.ask(&args[0], &args[1], &args[2])?),
            RobotFunction::Say => self.say(&args[0]).map(|()| Value::None)?,
            RobotFunction::Pick => self.pick(&args[0]).map(|()| Value::None)?,
            RobotFunction::Place => self.place(&args[0]).map(|()| Value::None)?,
        })
    }
}
