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

mod cache;
mod engine;
mod imports;
mod limits;
mod report;
mod session;
mod slots;
mod snapshot;
mod state;
mod wasi;

use std::path::PathBuf;

pub use engine::{
    CachePolicy, EPOCH_TICK, MAX_WASM_STACK, ModuleLoad, Program, Sandbox, SandboxConfig, default_cache_dir,
};
pub use limits::Limits;
pub use report::{CallResult, Outcome, RunReport, TraceEvent, duration_secs};
pub use session::Session;

/// The guest module (RustPython + robot API), built by this crate's build script.
pub static GUEST_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/robosim_guest.wasm"));
/// SHA-256 of [`GUEST_WASM`], hex.
pub const GUEST_SHA256: &str = env!("ROBOSIM_GUEST_SHA256");

/// wasmtime's error, with its whole chain of causes.
pub type WasmtimeError = Box<dyn std::error::Error + Send + Sync>;

/// Why a sandbox could not be set up. (A program's failure is an [`Outcome`], not an error.)
/// Each variant keeps wasmtime's error as its source, so `{:#}` or a walk of
/// `Error::source` shows every cause.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("creating the wasmtime engine failed")]
    Engine(#[source] WasmtimeError),
    #[error("compiling the guest module failed")]
    Compile(#[source] WasmtimeError),
    #[error("writing the compiled guest to the cache {path} failed")]
    Cache {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("pre-initialising the guest (snapshot) failed while {stage}")]
    Snapshot {
        stage: &'static str,
        #[source]
        source: WasmtimeError,
    },
    #[error("linking the guest's imports failed")]
    Link(#[source] WasmtimeError),
}

impl Error {
    fn engine(err: wasmtime::Error) -> Self {
        Self::Engine(err.into())
    }

    fn link(err: wasmtime::Error) -> Self {
        Self::Link(err.into())
    }

    fn compile(err: wasmtime::Error) -> Self {
        Self::Compile(err.into())
    }
}
