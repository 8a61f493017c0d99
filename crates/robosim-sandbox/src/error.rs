//! The crate's error type.

use std::path::PathBuf;

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
    pub(crate) fn engine(err: wasmtime::Error) -> Self {
        Self::Engine(err.into())
    }

    pub(crate) fn link(err: wasmtime::Error) -> Self {
        Self::Link(err.into())
    }

    pub(crate) fn compile(err: wasmtime::Error) -> Self {
        Self::Compile(err.into())
    }
}
