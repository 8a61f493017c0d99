//! robosim's world model: what each robot API call means.
//!
//! The sandbox forwards every robot call a program makes to a [`World`]. This crate knows
//! nothing of WebAssembly or Python: arguments arrive as protocol [`Value`]s, exactly as the
//! program passed them, and each call returns a value or a typed [`RobotError`].
//!
//! ```
//! use robosim_world::{OpenWorld, World};
//! use robosim_protocol::{RobotFunction, Value};
//!
//! let mut world = OpenWorld::default();
//! world.go_to(&Value::from("kitchen")).unwrap();
//! assert_eq!(world.get_current_location().unwrap(), "kitchen");
//! let answer = world.dispatch(RobotFunction::Ask, &["Ann".into(), "Tea?".into(), vec!["yes", "no"].into()]);
//! assert_eq!(answer.unwrap(), Value::from("yes"));
//! ```

mod error;
mod open;

pub use error::{RobotError, RobotErrorKind};
pub use open::OpenWorld;

use robosim_protocol::{RobotFunction, Value};

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
    fn ask(
        &mut self,
        person: &Value,
        question: &Value,
        options: &Value,
    ) -> Result<String, RobotError>;
    fn say(&mut self, message: &Value) -> Result<(), RobotError>;
    fn pick(&mut self, obj: &Value) -> Result<(), RobotError>;
    fn place(&mut self, obj: &Value) -> Result<(), RobotError>;

    /// Calls `function` with positional `args`. The guest checks arity, so a wrong count
    /// here is reported as a `TypeError`-like robot error rather than a panic.
    fn dispatch(&mut self, function: RobotFunction, args: &[Value]) -> Result<Value, RobotError> {
        if args.len() != function.arity() {
            return Err(RobotError::new(
                RobotErrorKind::Arity,
                format!(
                    "{function}() takes {} arguments but {} were given",
                    function.arity(),
                    args.len()
                ),
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
