//! The verdicts file: a manifest line, then one record per input line, in input order.
//!
//! A record is the input object, untouched, plus a `robosim` field with the result. The
//! manifest says what produced the file (tool version, guest hash, settings), so two runs
//! are never mixed up: `--resume` continues a file only when the manifest matches, and only
//! after checking that every record already there belongs to the input line it claims.

use std::{
    fs::{File, OpenOptions},
    io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write},
    path::{Path, PathBuf},
};

use robosim_verify::Verdict;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::{Error, Input, Line};

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

/// The key of the manifest line.
const MANIFEST_KEY: &str = "robosim_manifest";

/// The output record for one input line.
#[must_use]
pub fn record(line: &Line, verdict: Option<&Verdict>) -> Value {
    let mut result = Map::new();
    result.insert("line".into(), json!(line.number));
    result.insert("input_hash".into(), json!(line.hash));
    let mut object = match &line.input {
        Input::Program { id, fields, .. } => {
            result.insert("id".into(), id.clone());
            let accepted = verdict.is_some_and(|v| v.accepted);
            result.insert("status".into(), json!(if accepted { "accepted" } else { "rejected" }));
            if let Some(verdict) = verdict {
                result.insert("verdict".into(), serde_json::to_value(verdict).unwrap_or(Value::Null));
            }
            fields.clone()
        }
        Input::Invalid { id, message } => {
            result.insert("id".into(), id.clone());
            result.insert("status".into(), json!("invalid_input"));
            result.insert("message".into(), json!(message));
            Map::new()
        }
    };
    object.insert("robosim".into(), Value::Object(result));
    Value::Object(object)
}

/// Appends records to a verdicts file, one flushed line each.
#[derive(Debug)]
pub(crate) struct Writer {
    out: BufWriter<File>,
    path: PathBuf,
}

impl Writer {
    /// Starts a new file (replacing any old one) with `manifest` as its first line.
    pub(crate) fn create(path: &Path, manifest: &Manifest) -> Result<Self, Error> {
        let file = File::create(path).map_err(|source| Error::io(path, source))?;
        let mut writer = Self { out: BufWriter::new(file), path: path.to_owned() };
        writer.write(&json!({ MANIFEST_KEY: manifest }))?;
        Ok(writer)
    }

    pub(crate) fn write(&mut self, value: &Value) -> Result<(), Error> {
        let io = |source| Error::io(&self.path, source);
        serde_json::to_writer(&mut self.out, value).map_err(|e| io(e.into()))?;
        self.out.write_all(b"\n").map_err(io)?;
        // Flushed per record: a killed run loses at most the line being written.
        self.out.flush().map_err(io)
    }

    pub(crate) fn finish(mut self) -> Result<(), Error> {
        self.out.flush().map_err(|source| Error::io(&self.path, source))?;
        self.out.get_ref().sync_all().map_err(|source| Error::io(&self.path, source))
    }
}

/// Reopens an interrupted verdicts file. Checks the manifest and every complete record
/// against the input (line number and hash), cuts off a torn last line, and returns the
/// writer positioned after the last good record, with the records found.
pub(crate) fn resume(
    path: &Path,
    manifest: &Manifest,
    input_hashes: &mut dyn Iterator<Item = Result<String, Error>>,
) -> Result<(Writer, Vec<Value>), Error> {
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
        let parsed: Option<Value> = serde_json::from_slice(&raw).ok();
        if first {
            let found = parsed
                .as_ref()
                .and_then(|v| v.get(MANIFEST_KEY))
                .and_then(|m| serde_json::from_value::<Manifest>(m.clone()).ok());
            match found {
                Some(found) if found == *manifest && complete => {}
                Some(found) => return Err(Error::ManifestMismatch { path: path.to_owned(), found: Box::new(found) }),
                None => return Err(Error::NotAVerdictsFile { path: path.to_owned() }),
            }
            first = false;
            kept_bytes += read as u64;
            continue;
        }
        let expected_line = records.len() as u64 + 1;
        let check = parsed
            .as_ref()
            .and_then(|v| v.get("robosim"))
            .map(|r| (r.get("line").cloned(), r.get("input_hash").cloned()));
        let good = match (complete, check) {
            (true, Some((Some(line), Some(hash)))) => {
                let input_hash = input_hashes.next().transpose()?;
                if line != json!(expected_line) || input_hash.as_ref().is_none_or(|h| json!(h) != hash) {
                    return Err(Error::ResumeMismatch { path: path.to_owned(), line: expected_line });
                }
                true
            }
            _ => false,
        };
        if !good {
            // Only the very last line may be torn (the run was killed while writing it).
            if reader.fill_buf().map_err(io)?.is_empty() {
                break;
            }
            return Err(Error::ResumeMismatch { path: path.to_owned(), line: expected_line });
        }
        kept_bytes += read as u64;
        records.push(parsed.unwrap_or(Value::Null));
    }
    if first {
        return Err(Error::NotAVerdictsFile { path: path.to_owned() });
    }
    let mut file = OpenOptions::new().write(true).open(path).map_err(io)?;
    file.set_len(kept_bytes).map_err(io)?;
    file.seek(SeekFrom::End(0)).map_err(io)?;
    Ok((Writer { out: BufWriter::new(file), path: path.to_owned() }, records))
}
