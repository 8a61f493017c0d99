//! The files of a run, and how stages read and write them.

use std::{fs, path::Path};

use crate::Error;

pub const TASKS: &str = "tasks.jsonl";
pub const PROGRAMS: &str = "programs.jsonl";
pub const ALIGNED: &str = "aligned.jsonl";
pub const MESSAGES: &str = "dataset.messages.jsonl";
pub const INSTRUCTION_OUTPUT: &str = "dataset.instruction.jsonl";
pub const TEXT: &str = "dataset.text.jsonl";
/// The variants' datasets: `variants/<name>/dataset.*.jsonl`.
pub const VARIANTS: &str = "variants";
pub const STATS: &str = "stats.json";

/// Writes `records` as JSONL to `path` through a temporary file in the same directory, so a
/// kill leaves the old file or the new one.
pub(crate) fn write_jsonl<T: serde::Serialize>(path: &Path, records: &[T]) -> Result<(), Error> {
    Ok(robosim_fs::write_jsonl_atomic(path, records)?)
}

/// Reads a JSONL file written by an earlier stage.
pub(crate) fn read_jsonl<T: serde::de::DeserializeOwned>(path: &Path, stage: &'static str) -> Result<Vec<T>, Error> {
    if !path.exists() {
        return Err(Error::MissingInput { path: path.to_owned(), stage });
    }
    let text = fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| Error::Library {
                path: path.to_owned(),
                line: i + 1,
                detail: e.to_string(),
            })
        })
        .collect()
}
