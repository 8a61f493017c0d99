//! [`Manifest`]: what produced a verdicts file.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What produced a verdicts file. Resuming requires an equal manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub tool: String,
    pub version: String,
    pub guest_sha256: String,
    /// Exploration settings, limits and seed.
    pub settings: Value,
    pub max_program_bytes: usize,
}
