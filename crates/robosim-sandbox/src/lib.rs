//! robosim's sandbox: runs untrusted Python robot programs in RustPython compiled to
//! `wasm32-wasip1`, under wasmtime, with the eight robot functions as host functions
//! backed by a [`World`](robosim_world::World).
//!
//! Every program gets a fresh instance from the pristine snapshot (a [`Session`] belongs to
//! one program); every run is bounded by fuel, memory, a wall-clock deadline, output size, a
//! number of robot calls and the bytes passed to and from the world; each limit ends the run
//! with its own [`Outcome`]. The guest gets no filesystem, network, environment or arguments.
//!
//! ```
//! use robosim_sandbox::{Outcome, Program, Sandbox};
//! use robosim_world::OpenWorld;
//!
//! let sandbox = Sandbox::new()?;
//! let program = Program::task(
//!     "def task_program():\n    go_to('kitchen')\n    say('I am in the ' + get_current_location())\n",
//! );
//! let (report, _world) = sandbox.run(&program, OpenWorld::default());
//! assert_eq!(report.outcome, Outcome::Completed);
//! assert_eq!(report.trace.len(), 3);
//! # Ok::<(), robosim_sandbox::Error>(())
//! ```

// The one unsafe operation (loading the compiled guest from the cache) is allowed where it is.
#![deny(unsafe_code)]

mod cache;
mod compile;
mod engine;
mod error;
mod extract;
mod guest;
mod imports;
mod limits;
mod normalize;
mod program;
mod report;
mod runtime;
mod session;
mod settings;
mod snapshot;
mod state;
mod wasi;

pub use cache::{CachePolicy, default_cache_dir};
pub use compile::{MAX_HOST_COMPILE_BYTES, compile as compile_on_host};
pub use engine::{ModuleLoad, Sandbox, SandboxConfig};
pub use error::{Error, WasmtimeError};
pub use extract::extract_program;
pub use guest::{GUEST_SHA256, GUEST_WASM};
pub use limits::{EPOCH_TICK, Limits, MAX_WASM_STACK};
pub use normalize::lowercase_double_quoted;
pub use program::{DEFAULT_MAX_PROGRAM_BYTES, Program};
pub use report::{CallResult, DEADLINE_NOT_RUN, Outcome, RunReport, StdoutWrite, TraceEvent, duration_secs};
pub use session::Session;
pub use settings::{LimitOverrides, MAX_MEMORY_MIB, MIN_MEMORY_MIB, SettingError, setting, size_setting};
