//! What can stop a report from being made.

use std::path::PathBuf;

/// Why a report could not be made. A malformed line inside an input is not one of these: it
/// is counted and shown on the page, and the rest of the input is read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "{path}: not a run robosim wrote (expected a verdicts file of verify-batch, a grades file of grade, an eval \
         output directory with summary.json and grades.jsonl, or a pipeline output directory with stats.json)"
    )]
    UnknownInput { path: PathBuf },
    #[error("{path}: {what} is not valid JSON: {source}")]
    Json { path: PathBuf, what: &'static str, source: serde_json::Error },
    #[error("no input given")]
    NoInput,
}

impl Error {
    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Io { path: path.to_owned(), source }
    }
}
