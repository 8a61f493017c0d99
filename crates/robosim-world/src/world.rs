//! The [`World`] trait: one method per robot function.

use robosim_protocol::{Container, RobotFunction, Site, Value};

use crate::{RobotError, RobotErrorKind};

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

    /// Told before each robot call and membership test: where in the program it is made. A
    /// world that records its choices keeps it with them; others ignore it.
    fn at(&mut self, _site: Site) {}

    /// The meter of host work the world does in proportion to what the program passes it
    /// (see [`Work`](crate::Work)), if it does any: the sandbox renews its allowance before
    /// each call and charges what was used to the run's fuel. `None` for worlds whose work
    /// per call is bounded by the run's other limits.
    fn work(&mut self) -> Option<&mut crate::Work> {
        None
    }

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
