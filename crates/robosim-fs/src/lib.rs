//! Files as robosim writes and reads them: outputs named beside their input, files replaced
//! atomically (a reader sees the old file or the new one, never half of one), JSONL written a
//! line at a time, and JSONL input read without ever holding a line longer than a cap.
//!
//! ```
//! use std::io::BufReader;
//!
//! use robosim_fs::{JsonlWriter, RawLine, beside, bounded_lines};
//!
//! let dir = tempfile::tempdir()?;
//! let input = dir.path().join("raw.jsonl");
//! let out = beside(&input, "verdicts");
//! assert_eq!(out.file_name().unwrap(), "raw.verdicts.jsonl");
//!
//! let mut writer = JsonlWriter::create(&out)?;
//! writer.line(&serde_json::json!({"id": 1, "program": "pass"}))?;
//! writer.finish()?;
//!
//! // A line over the cap is hashed as it streams past, never held.
//! let lines: Vec<RawLine> = bounded_lines(BufReader::new(std::fs::File::open(&out)?), 16).collect::<Result<_, _>>()?;
//! assert!(matches!(lines[0], RawLine::TooLong { bytes: 25, .. }));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod lines;

use std::{
    fs::{self, File, OpenOptions},
    io::{BufWriter, Write},
    path::{Path, PathBuf},
};

pub use lines::{BoundedLines, MAX_JSON_VALUES, RawLine, bounded_lines, hex, line_cap, line_hash, too_many_values};
use serde::Serialize;

/// A file that could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: cannot write a value as JSON: {source}", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

impl Error {
    fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io { path: path.to_owned(), source }
    }

    /// The file concerned.
    #[must_use]
    pub fn path(&self) -> &Path {
        match self {
            Self::Io { path, .. } | Self::Json { path, .. } => path,
        }
    }
}

impl From<Error> for std::io::Error {
    /// The underlying I/O error (a JSON one as `Other`), for callers whose errors carry the
    /// path themselves.
    fn from(e: Error) -> Self {
        match e {
            Error::Io { source, .. } => source,
            Error::Json { source, .. } => Self::other(source),
        }
    }
}

/// `dir/name.jsonl` → `dir/name.<what>.jsonl`: where a command writes what it made of an input.
#[must_use]
pub fn beside(input: &Path, what: &str) -> PathBuf {
    let stem = input.file_stem().and_then(|s| s.to_str()).unwrap_or("batch");
    input.with_file_name(format!("{stem}.{what}.jsonl"))
}

/// Replaces `path` with `bytes`: written to a fresh temporary file in the same directory
/// (made if missing; a unique name, so concurrent writers never share one), synced, and
/// renamed into place, so a reader (or a run killed meanwhile) sees the old file or the new one.
///
/// # Errors
/// The directory or the file cannot be written.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = make_parent(path)?;
    let io = |e| Error::io(path, e);
    let mut builder = tempfile::Builder::new();
    builder.prefix(".robosim-").suffix(".tmp");
    // As a file made with `File::create` (0666 less the umask): a temporary file is private
    // (0600), and a run's files on a shared drive are for others to read too.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut temp = builder.tempfile_in(dir).map_err(io)?;
    temp.write_all(bytes).map_err(io)?;
    temp.as_file().sync_data().map_err(io)?;
    temp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// The directory `path` is in (`.` for a bare name), made if missing.
fn make_parent(path: &Path) -> Result<&Path, Error> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or_else(|| Path::new("."));
    fs::create_dir_all(dir).map_err(|e| Error::io(path, e))?;
    Ok(dir)
}

/// [`write_atomic`] of `value` as (pretty) JSON with a final newline.
///
/// # Errors
/// As [`write_atomic`], or the value cannot be written as JSON.
pub fn write_json_atomic(path: &Path, value: &impl Serialize) -> Result<(), Error> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|source| Error::Json { path: path.to_owned(), source })?;
    bytes.push(b'\n');
    write_atomic(path, &bytes)
}

/// [`write_atomic`] of `records` as JSONL.
///
/// # Errors
/// As [`write_atomic`], or a record cannot be written as JSON.
pub fn write_jsonl_atomic<T: Serialize>(path: &Path, records: &[T]) -> Result<(), Error> {
    let mut bytes = Vec::new();
    for record in records {
        serde_json::to_writer(&mut bytes, record).map_err(|source| Error::Json { path: path.to_owned(), source })?;
        bytes.push(b'\n');
    }
    write_atomic(path, &bytes)
}

/// A JSONL file written one value a line.
#[derive(Debug)]
pub struct JsonlWriter {
    out: BufWriter<File>,
    path: PathBuf,
}

impl JsonlWriter {
    /// A new file at `path` (its directory made if missing), replacing any old one.
    ///
    /// # Errors
    /// The file cannot be created.
    pub fn create(path: &Path) -> Result<Self, Error> {
        make_parent(path)?;
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        Ok(Self::from_file(path, file))
    }

    /// Lines added at the end of `path` (made if missing, with its directory).
    ///
    /// # Errors
    /// The file cannot be opened.
    pub fn append(path: &Path) -> Result<Self, Error> {
        make_parent(path)?;
        let file = OpenOptions::new().create(true).append(true).open(path).map_err(|e| Error::io(path, e))?;
        Ok(Self::from_file(path, file))
    }

    /// Lines written to `file` (opened and positioned by the caller) at `path`.
    #[must_use]
    pub fn from_file(path: &Path, file: File) -> Self {
        Self { out: BufWriter::new(file), path: path.to_owned() }
    }

    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `value` as one line.
    ///
    /// # Errors
    /// The file cannot be written, or the value cannot be written as JSON.
    pub fn line(&mut self, value: &impl Serialize) -> Result<(), Error> {
        serde_json::to_writer(&mut self.out, value)
            .map_err(|source| Error::Json { path: self.path.clone(), source })?;
        self.out.write_all(b"\n").map_err(|e| Error::io(&self.path, e))
    }

    /// Writes `value` as one line with the keys of every object in alphabetical order (through
    /// a JSON value, whose maps keep keys sorted), as robosim's record files have them.
    ///
    /// # Errors
    /// As [`line`](Self::line).
    pub fn sorted_line(&mut self, value: &impl Serialize) -> Result<(), Error> {
        let value = serde_json::to_value(value).map_err(|source| Error::Json { path: self.path.clone(), source })?;
        self.line(&value)
    }

    /// Writes `line` (a JSON text without its newline) byte for byte.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn raw_line(&mut self, line: &[u8]) -> Result<(), Error> {
        let io = |e| Error::io(&self.path, e);
        self.out.write_all(line).map_err(io)?;
        self.out.write_all(b"\n").map_err(io)
    }

    /// Hands what was written to the system (after each record of a file a killed run must
    /// be able to resume, so it loses at most the line being written).
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn flush(&mut self) -> Result<(), Error> {
        self.out.flush().map_err(|e| Error::io(&self.path, e))
    }

    /// Flushes and syncs the file to disk.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn finish(mut self) -> Result<(), Error> {
        self.flush()?;
        self.out.get_ref().sync_all().map_err(|e| Error::io(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::{JsonlWriter, write_atomic};

    #[test]
    fn atomic_writes_make_the_directory_and_leave_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/file.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn an_atomic_write_has_the_mode_of_a_created_file() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        std::fs::File::create(dir.path().join("created")).unwrap();
        write_atomic(&dir.path().join("atomic"), b"x").unwrap();
        assert_eq!(mode(&dir.path().join("atomic")), mode(&dir.path().join("created")));
    }

    /// Writers racing on one file (two sandboxes storing the compiled guest at once, in one
    /// process or several): the file is always one writer's whole output, and no temporary is left.
    #[test]
    fn concurrent_atomic_writes_leave_one_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("guest.cwasm");
        std::thread::scope(|scope| {
            for i in 0..8u8 {
                let path = &path;
                scope.spawn(move || write_atomic(path, &vec![i; 1 << 20]).unwrap());
            }
        });
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 1 << 20);
        assert!(bytes.iter().all(|&b| b == bytes[0]));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn sorted_lines_sort_keys_at_every_level_and_appends_keep_what_was_there() {
        #[derive(serde::Serialize)]
        struct Out {
            z: u8,
            a: Inner,
        }
        #[derive(serde::Serialize)]
        struct Inner {
            y: u8,
            b: u8,
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let mut writer = JsonlWriter::create(&path).unwrap();
        writer.sorted_line(&Out { z: 1, a: Inner { y: 2, b: 3 } }).unwrap();
        writer.line(&Out { z: 1, a: Inner { y: 2, b: 3 } }).unwrap();
        writer.finish().unwrap();
        let mut writer = JsonlWriter::append(&path).unwrap();
        writer.raw_line(b"{}").unwrap();
        writer.finish().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "{\"a\":{\"b\":3,\"y\":2},\"z\":1}\n{\"z\":1,\"a\":{\"y\":2,\"b\":3}}\n{}\n");
    }
}
