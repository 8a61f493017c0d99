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

#![forbid(unsafe_code)]

mod choice;
mod concrete;
#[cfg(test)]
mod concrete_tests;
mod entity;
mod error;
mod open;
mod roboeval;
mod search;
mod synth;
#[cfg(test)]
mod synth_tests;
mod work;
mod world;

pub use choice::{ChoicePoint, ChoiceRecord, Chooser, Replay, Then};
pub use concrete::{AnswerSpec, ConcreteWorld, ObjectSpec, PersonSpec, SpecError, WorldSpec, case_insensitive};
pub use entity::{EntityType, key};
pub use error::{RobotError, RobotErrorKind};
pub use open::OpenWorld;
pub use roboeval::{RoboEvalAgent, RoboEvalObject, RoboEvalState, RoboEvalStateError, RoboEvalWorld};
pub use search::{MAX_UNTRUSTED_SIZE, PatternCost, PatternError, SearchPattern};
pub use synth::{LOOP_GUARD, SynthWorld};
pub use work::{OverAllowance, Work};
pub use world::{INITIAL_ROOMS, START_LOCATION, World};
