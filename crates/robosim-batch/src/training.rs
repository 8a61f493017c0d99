//! The training set: accepted (instruction, program) pairs, de-duplicated as the reference
//! does (first by instruction, keeping the first accepted program for each, then by program).

use std::{collections::HashSet, path::Path};

use robosim_fs::JsonlWriter;
use robosim_sandbox::extract_program;
use serde::Serialize;

use crate::{Error, Record, Status};

/// A line of the training set.
#[derive(Serialize)]
struct Pair<'a> {
    id: &'a serde_json::Value,
    instruction: &'a str,
    program: &'a str,
}

/// What went into the training set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TrainingSetStats {
    pub written: u64,
    pub duplicate_instructions: u64,
    pub duplicate_programs: u64,
    /// Accepted records with no `instruction` (a pair needs one).
    pub without_instruction: u64,
}

/// Writes the training set from the verdict records (in input order).
pub(crate) fn write(
    path: &Path,
    records: impl Iterator<Item = Result<Record, Error>>,
) -> Result<TrainingSetStats, Error> {
    let mut out = JsonlWriter::create(path)?;
    let mut stats = TrainingSetStats::default();
    let (mut instructions, mut programs) = (HashSet::new(), HashSet::new());
    for record in records {
        let record = record?;
        if record.robosim.status != Status::Accepted {
            continue;
        }
        let Some(instruction) = record.instruction() else {
            stats.without_instruction += 1;
            continue;
        };
        let program = extract_program(record.program().unwrap_or_default()).trim_end().to_owned() + "\n";
        if !instructions.insert(instruction.trim().to_owned()) {
            stats.duplicate_instructions += 1;
            continue;
        }
        if !programs.insert(program.clone()) {
            stats.duplicate_programs += 1;
            continue;
        }
        let pair = Pair { id: &record.robosim.id, instruction, program: &program };
        out.line(&pair)?;
        stats.written += 1;
    }
    out.finish()?;
    Ok(stats)
}
