//! The crate's error type.

use std::path::PathBuf;

/// What stops grading (a bad completion line does not: it becomes an `invalid_input` record).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("task file {path}: {detail}")]
    Task { path: PathBuf, detail: String },
    #[error("no task files (*.json) in {dir}")]
    NoTasks { dir: PathBuf },
    #[error(transparent)]
    File(#[from] robosim_fs::Error),
}
