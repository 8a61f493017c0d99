//! The crate's error type.

use std::path::PathBuf;

/// What stops an evaluation. A request that fails for good does not: it is recorded and
/// counted, and the run goes on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no benchmark task to evaluate (ablations are graded with their main task)")]
    NoTasks,
    #[error("{setting} must be {expected}, not {value}")]
    Setting { setting: &'static str, expected: &'static str, value: String },
    #[error(transparent)]
    File(#[from] robosim_fs::Error),
}
