//! The messages exchanged between robosim's Python guest (RustPython compiled to
//! `wasm32-wasip1`) and its host.
//!
//! Both sides link this crate, so the wire format is defined once. Every message between
//! guest and host (what to run, robot calls and replies, how a run ended) travels in
//! postcard ([`wire`]), a compact serde format; every record robosim writes is JSON, and a
//! program's robot traffic is charged as JSON.
//!
//! ```
//! use robosim_protocol::{Request, RobotFunction, Site, Value};
//!
//! let site = Site { line: 3, column: 5 };
//! let call = Request::Robot { function: RobotFunction::GoTo, args: vec![Value::from("kitchen")], site };
//! let wire = serde_json::to_string(&call).unwrap();
//! assert_eq!(serde_json::from_str::<Request>(&wire).unwrap(), call);
//! assert_eq!(RobotFunction::GoTo.name(), "go_to");
//! ```

#![forbid(unsafe_code)]

mod json_len;
mod value;
pub mod wire;

pub use value::{Tagged, Value, truncate_items, truncate_text, truncate_values};

use serde::{Deserialize, Serialize};

/// The eight functions of the robot API, in the order the spec lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RobotFunction {
    GetCurrentLocation,
    GetAllRooms,
    IsInRoom,
    GoTo,
    Ask,
    Say,
    Pick,
    Place,
}

impl RobotFunction {
    /// Every robot function, in the spec's order.
    pub const ALL: [Self; 8] = [
        Self::GetCurrentLocation,
        Self::GetAllRooms,
        Self::IsInRoom,
        Self::GoTo,
        Self::Ask,
        Self::Say,
        Self::Pick,
        Self::Place,
    ];

    /// The Python name of the function.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::GetCurrentLocation => "get_current_location",
            Self::GetAllRooms => "get_all_rooms",
            Self::IsInRoom => "is_in_room",
            Self::GoTo => "go_to",
            Self::Ask => "ask",
            Self::Say => "say",
            Self::Pick => "pick",
            Self::Place => "place",
        }
    }

    /// Looks a function up by its Python name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    /// How many positional arguments the function takes.
    #[must_use]
    pub const fn arity(self) -> usize {
        match self {
            Self::GetCurrentLocation | Self::GetAllRooms => 0,
            Self::IsInRoom | Self::GoTo | Self::Say | Self::Pick | Self::Place => 1,
            Self::Ask => 3,
        }
    }
}

impl std::fmt::Display for RobotFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What the guest asks of the host while a program runs. (Externally tagged: serde reads
/// it in one pass, without buffering.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    /// A call of one of the eight robot functions, with the Python arguments as given, made
    /// at `site` in the program.
    Robot {
        function: RobotFunction,
        args: Vec<Value>,
        #[serde(default)]
        site: Site,
    },
    /// `item in container`, where the container came from the world (the room list, a room
    /// name): whether it holds is the world's choice, made once and then kept.
    Contains {
        container: Container,
        item: String,
        #[serde(default)]
        site: Site,
    },
    /// `time.sleep(seconds)`: advances the virtual clock; never waits.
    Sleep { seconds: f64 },
}

/// A [`Request::Robot`] whose arguments are any sequence that serialises as values do
/// ([`Tagged`]): what a guest writes straight from its own objects. The same bytes on the
/// wire as the request (tested).
#[derive(Debug, Serialize)]
#[serde(rename = "Request", rename_all = "snake_case")]
pub enum RobotCall<A> {
    /// As [`Request::Robot`] (the first variant, so the same tag).
    Robot { function: RobotFunction, args: A, site: Site },
}

/// Where in the program a request was made: the line and column of the Python code that
/// was running (1-based; 0 when unknown). Explorers use it to tell choice points and robot
/// calls at different places in the program apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct Site {
    pub line: u32,
    pub column: u32,
}

impl Site {
    /// Is the place known?
    #[must_use]
    pub const fn is_known(self) -> bool {
        self.line != 0
    }

    /// The bytes the site adds to a request on the wire (`,"site":{"line":3,"column":5}`):
    /// bookkeeping for explorers, so hosts need not count it as the program's traffic.
    #[must_use]
    pub fn wire_len(self) -> usize {
        let digits = |n: u32| n.checked_ilog10().map_or(1, |d| d as usize + 1);
        r#","site":{"line":,"column":}"#.len() + digits(self.line) + digits(self.column)
    }
}

/// A value the world produced that a program tests membership in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Container {
    /// A list from `get_all_rooms()` (as the program holds it now).
    Rooms(Vec<String>),
    /// A location name (`get_current_location()` or an element of the room list).
    Name(String),
}

impl Container {
    /// Plain Python membership, ignoring case as the world does.
    #[must_use]
    pub fn literally_contains(&self, item: &str) -> bool {
        match self {
            Self::Rooms(rooms) => {
                let item = item.trim().to_lowercase();
                rooms.iter().any(|r| r.trim().to_lowercase() == item)
            }
            Self::Name(name) => name.to_lowercase().contains(&item.to_lowercase()),
        }
    }
}

/// The host's answer to a [`Request`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    /// The call returned this value.
    Value { value: Value },
    /// The robot refused: the guest raises a Python exception `"<name>: <message>"`.
    RobotError { name: String, message: String },
    /// The request itself was malformed (a guest bug, not a program error).
    Invalid { message: String },
}

/// What the host asks the guest to run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRequest {
    /// The program's Python source.
    pub source: String,
    /// The file name tracebacks show for the program.
    pub filename: String,
    /// A function to call after the module body ran (the reference calls `task_program()`).
    pub entry: Option<String>,
    /// How many bytes follow this request in the buffer: the program's code, compiled
    /// from `source` by the host (RustPython's marshal format), which the guest then runs
    /// instead of compiling `source` itself; 0 when the guest is to compile it. The program
    /// only ever gives source: these bytes are the host's compiler's output.
    #[serde(default)]
    pub code_bytes: u32,
    /// Run the last program this instance ran, again: `source`, `filename` and `entry` are
    /// left empty and no code follows, since the guest kept them (a program's paths share
    /// an instance, and sending its text on each cost a few per cent of a verification).
    #[serde(default)]
    pub again: bool,
}

/// What the guest reports when a run ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuestReport {
    pub outcome: GuestOutcome,
    /// The interpreter is as the run found it (no module, builtin or robot function added or
    /// replaced), so the next program may run in the same instance.
    pub reusable: bool,
}

/// How a run ended, as the guest saw it. Limits and traps are the host's to report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuestOutcome {
    /// The module body (and the entry function, if any) returned normally.
    Completed,
    /// The program raised `SystemExit` (`exit()`, `sys.exit(n)`).
    Exited { code: Value },
    /// The source does not compile.
    SyntaxError { message: String, line: Option<u32>, column: Option<u32> },
    /// An exception escaped the program.
    Exception(ExceptionInfo),
}

/// An exception that escaped the program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionInfo {
    /// The exception's class name, qualified by its module unless it is a builtin.
    pub exc_type: String,
    /// `str(exception)`.
    pub message: String,
    /// The line of the program (not of library code) where it was raised, innermost first.
    pub line: Option<u32>,
    /// The formatted traceback, as CPython prints it.
    pub traceback: String,
    /// Set when the exception is a robot error raised by the host's world.
    pub robot_error: Option<RobotErrorInfo>,
}

/// A robot error as the host reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RobotErrorInfo {
    pub name: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_adds_its_wire_len_to_a_request() {
        for (line, column) in [(0, 0), (1, 9), (10, 100), (u32::MAX, 12_345)] {
            let site = Site { line, column };
            let call = |site| Request::Robot { function: RobotFunction::Say, args: vec![Value::from("hi")], site };
            let with = serde_json::to_vec(&call(site)).unwrap().len();
            let Request::Robot { function, args, .. } = call(site) else { unreachable!() };
            let without =
                serde_json::to_vec(&serde_json::json!({"robot": {"function": function, "args": args}})).unwrap().len();
            assert_eq!(with - without, site.wire_len(), "{site:?}");
        }
    }
}
