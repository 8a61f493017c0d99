//! The crate's error type.

use std::path::PathBuf;

/// What can go wrong with a chat request (after the retries, where they apply).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with an error status.
    #[error("the server answered {status} after {attempts} attempt(s): {body}")]
    Status { status: u16, body: String, attempts: u32 },
    /// No answer within the time-out.
    #[error("no answer within {timeout_ms} ms after {attempts} attempt(s)")]
    Timeout { timeout_ms: u64, attempts: u32 },
    /// The connection failed or broke.
    #[error("cannot reach the server after {attempts} attempt(s): {message}")]
    Transport { message: String, attempts: u32 },
    /// The answer was not a chat completion (bad JSON, no choices, no message).
    #[error("malformed answer after {attempts} attempt(s): {reason}")]
    Malformed { reason: String, attempts: u32 },
    /// The cache directory could not be written.
    #[error("cannot write the response cache at {path}")]
    Cache {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// A short, stable name for statistics and records.
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Status { .. } => "status",
            Self::Timeout { .. } => "timeout",
            Self::Transport { .. } => "transport",
            Self::Malformed { .. } => "malformed",
            Self::Cache { .. } => "cache",
        }
    }
}
