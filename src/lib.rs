//! robosim checks robot programs written by LLMs (the Robo-Instruct method) by running them
//! in a sandbox: RustPython compiled to WebAssembly, under wasmtime, with the robot API as
//! host functions backed by a world model.
//!
//! This crate is the user-facing face of the workspace: it re-exports what other Rust tools
//! need, and its binary is the `robosim` command.
//!
//! ```
//! use robosim::{Outcome, Program, Sandbox, world::OpenWorld};
//!
//! let sandbox = Sandbox::new()?;
//! let (report, _) = sandbox.run(&Program::task("def task_program():\n    pick(1)\n"), OpenWorld::default());
//! assert!(matches!(report.outcome, Outcome::RobotError { ref name, line: Some(2), .. } if name == "RobotPickError"));
//! # Ok::<(), robosim::SandboxError>(())
//! ```

#![forbid(unsafe_code)]

pub use robosim_backend as backend;
pub use robosim_batch as batch;
pub use robosim_eval as eval;
pub use robosim_fs as fs;
pub use robosim_generate as generate;
pub use robosim_grade as grade;
pub use robosim_llm as llm;
pub use robosim_parallel as parallel;
pub use robosim_protocol as protocol;
pub use robosim_report as report;
pub use robosim_sandbox::{
    CachePolicy, CallResult, DEFAULT_MAX_PROGRAM_BYTES, Error as SandboxError, LimitOverrides, Limits, Outcome,
    Program, RunReport, Sandbox, SandboxConfig, TraceEvent, compile_on_host, extract_program,
};
pub use robosim_verify as verify;
pub use robosim_world as world;
