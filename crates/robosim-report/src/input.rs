//! What an input is (told from its contents, not its name) and reading its JSONL lines.

use std::{
    fs::File,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
};

use serde::Serialize;
use serde_json::Value;

use crate::Error;

/// The kinds of run a report shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A verdicts file of `verify-batch` (or merged shards).
    Verdicts,
    /// A grades file of `grade`.
    Grades,
    /// An output directory of `eval`.
    Eval,
    /// An output directory of `pipeline`.
    Pipeline,
}

impl Kind {
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Verdicts => "verdicts",
            Self::Grades => "grades",
            Self::Eval => "eval",
            Self::Pipeline => "pipeline",
        }
    }

    /// What `path` holds.
    ///
    /// # Errors
    /// [`Error::UnknownInput`] when it is none of the kinds, [`Error::Io`] when it cannot be read.
    pub fn of(path: &Path) -> Result<Self, Error> {
        let unknown = || Error::UnknownInput { path: path.to_owned() };
        if path.is_dir() {
            return if path.join("summary.json").is_file() && path.join("grades.jsonl").is_file() {
                Ok(Self::Eval)
            } else if path.join("stats.json").is_file() {
                Ok(Self::Pipeline)
            } else {
                Err(unknown())
            };
        }
        // The first records that say what they are (a verdicts file starts with its manifest;
        // an invalid line's record says little, so a few lines are looked at).
        for (_, value) in Lines::open(path)?.take(64) {
            let Ok(Value::Object(record)) = value else { continue };
            if record.contains_key("robosim_manifest") || record.contains_key("robosim") {
                return Ok(Self::Verdicts);
            }
            if record.contains_key("worlds") || (record.contains_key("trace") && record.contains_key("task")) {
                return Ok(Self::Grades);
            }
        }
        Err(unknown())
    }
}

/// The lines of a JSONL file, numbered from 1, each parsed (or why not).
#[derive(Debug)]
pub struct Lines {
    reader: BufReader<File>,
    number: usize,
    buffer: String,
    path: PathBuf,
}

impl Lines {
    /// # Errors
    /// When the file cannot be opened.
    pub fn open(path: &Path) -> Result<Self, Error> {
        let file = File::open(path).map_err(Error::io(path))?;
        Ok(Self {
            reader: BufReader::with_capacity(1 << 20, file),
            number: 0,
            buffer: String::new(),
            path: path.to_owned(),
        })
    }
}

impl Iterator for Lines {
    type Item = (usize, Result<Value, String>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.buffer.clear();
            match self.reader.read_line(&mut self.buffer) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => {
                    self.number += 1;
                    // Not UTF-8, say: that line is unreadable, the next may not be.
                    return Some((self.number, Err(format!("{}: {e}", self.path.display()))));
                }
            }
            self.number += 1;
            let text = self.buffer.trim();
            if text.is_empty() {
                continue;
            }
            return Some((self.number, serde_json::from_str(text).map_err(|e| e.to_string())));
        }
    }
}

/// `path`'s JSON, or an error naming `what` it should have been.
pub fn read_json(path: &Path, what: &'static str) -> Result<Value, Error> {
    let text = std::fs::read_to_string(path).map_err(Error::io(path))?;
    serde_json::from_str(&text).map_err(|source| Error::Json { path: path.to_owned(), what, source })
}

/// The string at `key`, or "".
pub fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

/// A value as a table cell: strings as they are, anything else as JSON; empty for null.
pub fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}
