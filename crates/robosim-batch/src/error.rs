//! The crate's error type.

use std::path::{Path, PathBuf};

use crate::Manifest;

/// Why a batch could not be run. (A bad program or input line is a record, not an error.)
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path} was written by other settings, another input or another robosim ({found:?}); remove it or use the same settings"
    )]
    ManifestMismatch { path: PathBuf, found: Box<Manifest> },
    #[error("{path} is not a robosim verdicts file (no manifest line); refusing to resume into it")]
    NotAVerdictsFile { path: PathBuf },
    #[error("{path}: record {line} does not belong to input line {line} (was the input changed?); refusing to resume")]
    ResumeMismatch { path: PathBuf, line: u64 },
    /// A line of a verdicts file being read back (for the training set) is not a record.
    #[error("{path}: line {line} is not a verdict record")]
    BadRecord {
        path: PathBuf,
        line: u64,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path} is not the verdicts file of a shard (it was not written with --shard)")]
    NotAShard { path: PathBuf },
    #[error("{path} does not belong with {first}: it was {why}; refusing to merge")]
    ShardMismatch { path: PathBuf, first: PathBuf, why: &'static str },
    #[error("shard {index} is given twice: {paths:?}")]
    ShardTwice { index: u64, paths: Vec<PathBuf> },
    #[error("shards {missing:?} of {count} are missing")]
    ShardsMissing { missing: Vec<u64>, count: u64 },
    #[error("{path} ends after {have} of its {expected} records (was its run stopped? continue it with --resume)")]
    ShardIncomplete { path: PathBuf, have: u64, expected: u64 },
    #[error("{path} holds more than its {expected} records")]
    ShardTooLong { path: PathBuf, expected: u64 },
    #[error("cannot write the settings into the manifest")]
    Settings(#[source] serde_json::Error),
    #[error(transparent)]
    File(#[from] robosim_fs::Error),
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io { path: path.to_owned(), source }
    }
}
