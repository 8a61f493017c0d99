//! The pipeline's error type.

use std::path::{Path, PathBuf};

/// What can stop the pipeline (a failed model call does not: it is recorded and the
/// pipeline goes on).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("seeds/tasks.jsonl line {line}: {detail}")]
    Seed { line: usize, detail: String },
    #[error("prompt template {name}: {detail}")]
    Template { name: String, detail: String },
    #[error("{path} line {line}: {detail}")]
    Library { path: PathBuf, line: usize, detail: String },
    /// A stage's input file is missing: the stage before it has not run.
    #[error("{path} does not exist: run the `{stage}` stage first")]
    MissingInput { path: PathBuf, stage: &'static str },
    /// A record could not be written as JSON.
    #[error("{path}: cannot write a record as JSON")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// `stats.json` exists but is not a statistics object (it is not overwritten).
    #[error("{path} is not a statistics file ({detail}); move it away or fix it")]
    Stats { path: PathBuf, detail: String },
    /// Settings (a file or a flag) that do not read.
    #[error("settings from {origin}: {detail}")]
    Settings { origin: String, detail: String },
    #[error(transparent)]
    Llm(#[from] robosim_llm::Error),
    #[error(transparent)]
    File(#[from] robosim_fs::Error),
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io { path: path.to_owned(), source }
    }
}
