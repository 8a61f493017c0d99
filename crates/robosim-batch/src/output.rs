//! The verdicts file: a manifest line, then one record per input line, in input order.
//!
//! A record is the input object, untouched, plus a `robosim` field with the result. The
//! manifest says what produced the file (tool version, guest hash, settings), so two runs
//! are never mixed up: `--resume` continues a file only when the manifest matches, and only
//! after checking that every record already there belongs to the input line it claims.

use std::{
    fs::{File, OpenOptions},
    io::{BufRead, BufReader, Seek, SeekFrom},
    path::Path,
};

use robosim_fs::JsonlWriter;
use robosim_verify::Verdict;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::{Error, Input, Line, Manifest};

/// A line of the verdicts file: the input object, untouched, and robosim's result under
/// `robosim`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Every field of the input object (none for a line that was not one).
    #[serde(flatten)]
    pub input: Map<String, Value>,
    pub robosim: RecordMeta,
}

/// What robosim made of one input line. (The verdicts file has every object's keys in
/// alphabetical order: see `Writer::write`.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordMeta {
    /// The input's `id`, or its line number when it has none; an id over [`MAX_ID_BYTES`] as
    /// JSON is cut (a string keeping both ends of its JSON): the input object, carried through
    /// beside it, has it whole.
    pub id: Value,
    /// How `--resume` recognises the input line (see [`robosim_fs::line_hash`]).
    pub input_hash: String,
    /// 1-based input line number.
    pub line: u64,
    /// Why the line could not be verified (`invalid_input` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
}

/// A record's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Accepted,
    Rejected,
    /// The line was not a verifiable record (bad JSON, no program, too large, …).
    InvalidInput,
    /// robosim could not verify the program (its own failure: the wall-clock safety net, a
    /// dead worker); the verdict's `not_run` says why. Neither accepted nor rejected.
    NotRun,
}

impl Record {
    /// The record for one input line and its verdict (`None` for an invalid line).
    #[must_use]
    pub fn new(line: &Line, verdict: Option<Verdict>) -> Self {
        let (id, input, status, message) = match &line.input {
            Input::Program { id, fields, .. } => {
                let status = match verdict.as_ref() {
                    Some(v) if v.was_not_run() => Status::NotRun,
                    Some(v) if v.accepted() => Status::Accepted,
                    _ => Status::Rejected,
                };
                let mut input = fields.clone();
                // The result goes under `robosim`: an input field of that name (a verdicts file
                // verified again) is replaced, never written twice.
                input.remove("robosim");
                (id.clone(), input, status, None)
            }
            Input::Invalid { id, message } => (id.clone(), Map::new(), Status::InvalidInput, Some(message.clone())),
        };
        let robosim = RecordMeta {
            id: bounded_id(id),
            input_hash: line.hash.clone(),
            line: line.number,
            message,
            status,
            verdict,
        };
        Self { input, robosim }
    }

    /// The input's `instruction`, if it is a string.
    #[must_use]
    pub fn instruction(&self) -> Option<&str> {
        self.input.get("instruction").and_then(Value::as_str)
    }

    /// The input's `program`, if it is a string.
    #[must_use]
    pub fn program(&self) -> Option<&str> {
        self.input.get("program").and_then(Value::as_str)
    }
}

/// The most bytes (as JSON) of an input's id that a record repeats under `robosim`.
pub const MAX_ID_BYTES: usize = 1 << 10;

/// `id`, or for one over [`MAX_ID_BYTES`] as JSON, its JSON text cut visibly.
fn bounded_id(id: Value) -> Value {
    let json = id.to_string();
    if json.len() <= MAX_ID_BYTES {
        return id;
    }
    Value::String(robosim_protocol::truncate_text(&json, MAX_ID_BYTES / 2))
}

/// The key of the manifest line.
const MANIFEST_KEY: &str = "robosim_manifest";

/// The manifest a verdicts file's first line holds, if it is one.
pub(crate) fn manifest_of(line: &Value) -> Option<Manifest> {
    line.get(MANIFEST_KEY).and_then(|m| Manifest::deserialize(m).ok())
}

/// Whether `line`, the last line of a file, is the start of a manifest line that was cut
/// while it was written (no record can follow it).
fn torn_manifest(line: &[u8]) -> bool {
    let start = format!("{{\"{MANIFEST_KEY}\"");
    let n = line.len().min(start.len());
    line[..n] == start.as_bytes()[..n]
}

/// Appends records to a verdicts file, one flushed line each, keys in alphabetical order at
/// every level (as the file has always had them).
#[derive(Debug)]
pub(crate) struct Writer(JsonlWriter);

impl Writer {
    /// Starts a new file (replacing any old one) with `manifest` as its first line.
    pub(crate) fn create(path: &Path, manifest: &Manifest) -> Result<Self, Error> {
        let mut writer = Self(JsonlWriter::create(path)?);
        writer.write(&json!({ MANIFEST_KEY: manifest }))?;
        Ok(writer)
    }

    pub(crate) fn write(&mut self, value: &impl Serialize) -> Result<(), Error> {
        self.0.sorted_line(value)?;
        // Flushed per record: a killed run loses at most the line being written.
        Ok(self.0.flush()?)
    }

    /// Appends a line already written by a `Writer` (a shard's record), byte for byte.
    pub(crate) fn write_raw(&mut self, line: &[u8]) -> Result<(), Error> {
        Ok(self.0.raw_line(line)?)
    }

    pub(crate) fn finish(self) -> Result<(), Error> {
        Ok(self.0.finish()?)
    }
}

/// Reopens an interrupted verdicts file. Checks the manifest and every complete record
/// against the input (line number and hash), cuts off a torn last line, and returns the
/// writer positioned after the last good record, with the records found.
pub(crate) fn resume(
    path: &Path,
    manifest: &Manifest,
    input_hashes: &mut dyn Iterator<Item = Result<(u64, String), Error>>,
) -> Result<(Writer, Vec<Record>), Error> {
    let io = |source| Error::io(path, source);
    let file = File::open(path).map_err(io)?;
    let mut reader = BufReader::new(file);
    let mut kept_bytes = 0u64;
    let mut raw = Vec::new();
    let mut records = Vec::new();
    let mut first = true;
    loop {
        raw.clear();
        let read = reader.read_until(b'\n', &mut raw).map_err(io)?;
        if read == 0 {
            break;
        }
        let complete = raw.last() == Some(&b'\n');
        if first && !complete && torn_manifest(&raw) {
            // Killed while writing its first line: nothing was verified yet; start it again.
            return Ok((Writer::create(path, manifest)?, Vec::new()));
        }
        let parsed: Option<Value> = serde_json::from_slice(&raw).ok();
        if first {
            match parsed.as_ref().and_then(manifest_of) {
                Some(found) if found == *manifest && complete => {}
                Some(found) => return Err(Error::ManifestMismatch { path: path.to_owned(), found: Box::new(found) }),
                None => return Err(Error::NotAVerdictsFile { path: path.to_owned() }),
            }
            first = false;
            kept_bytes += read as u64;
            continue;
        }
        let record = parsed.and_then(|v| serde_json::from_value::<Record>(v).ok()).filter(|_| complete);
        let expected = input_hashes.next().transpose()?;
        let expected_line = expected.as_ref().map_or(records.len() as u64 + 1, |(line, _)| *line);
        let Some(record) = record else {
            // Only the very last line may be torn (the run was killed while writing it).
            if reader.fill_buf().map_err(io)?.is_empty() {
                break;
            }
            return Err(Error::ResumeMismatch { path: path.to_owned(), line: expected_line });
        };
        if expected.as_ref() != Some(&(record.robosim.line, record.robosim.input_hash.clone())) {
            return Err(Error::ResumeMismatch { path: path.to_owned(), line: expected_line });
        }
        kept_bytes += read as u64;
        records.push(record);
    }
    if first {
        // An empty file: a run that was killed before it wrote anything.
        return Ok((Writer::create(path, manifest)?, Vec::new()));
    }
    let mut file = OpenOptions::new().write(true).open(path).map_err(io)?;
    file.set_len(kept_bytes).map_err(io)?;
    file.seek(SeekFrom::End(0)).map_err(io)?;
    Ok((Writer(JsonlWriter::from_file(path, file)), records))
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value};

    use super::{MAX_ID_BYTES, Record};
    use crate::{Input, Line};

    #[test]
    fn a_huge_id_is_repeated_cut_under_robosim_and_kept_whole_in_the_input() {
        let id = Value::String("x".repeat(4 << 20));
        let mut fields = Map::new();
        fields.insert("id".into(), id.clone());
        let input = Input::Program { id: id.clone(), instruction: None, program: "pass".into(), fields };
        let record = Record::new(&Line { number: 1, hash: "h".into(), input }, None);
        assert_eq!(record.input["id"], id);
        let cut = record.robosim.id.as_str().expect("a string");
        assert!(cut.len() <= MAX_ID_BYTES && cut.contains("…[+"), "{} bytes", cut.len());
        // A small id is repeated as it is.
        let input =
            Input::Program { id: Value::from(7), instruction: None, program: "pass".into(), fields: Map::new() };
        assert_eq!(Record::new(&Line { number: 1, hash: "h".into(), input }, None).robosim.id, Value::from(7));
    }
}
