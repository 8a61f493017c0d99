//! [`run`]: a batch from input file to verdicts file, training set and summary.

use std::{
    fs::File,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    time::Instant,
};

use robosim_fs::{RawLine, beside};
use robosim_parallel::{Window, json_weight, ordered_map};
use robosim_verify::{Verify, VerifyConfig};

use crate::{
    DEFAULT_MAX_PROGRAM_BYTES, Error, Input, Line, Manifest, Record, Shard, ShardOf, Status, Summary, output,
    parse_line,
    reuse::{Origin, Reuse},
    too_long_line, training,
};

/// What to verify and where the results go.
#[derive(Debug, Clone)]
pub struct BatchConfig {
    pub input: PathBuf,
    /// The verdicts file.
    pub output: PathBuf,
    /// The training set (accepted pairs, de-duplicated), if wanted.
    pub accepted: Option<PathBuf>,
    /// Threads calling the backend (for worker processes, more than there are workers:
    /// `robosim_backend::Place::threads`).
    pub jobs: usize,
    /// Continue an interrupted verdicts file instead of starting over.
    pub resume: bool,
    pub max_program_bytes: usize,
    /// A directory of verdicts kept by program, settings and guest: programs found there are
    /// not verified again.
    pub cache: Option<PathBuf>,
    /// Verify only this shard of the input (records keep their input line numbers); see
    /// [`merge`](crate::merge) for putting shards back together.
    pub shard: Option<Shard>,
}

impl BatchConfig {
    /// Defaults: outputs beside the input (`raw.jsonl` → `raw.verdicts.jsonl`,
    /// `raw.accepted.jsonl`), one worker per core.
    pub fn new(input: impl Into<PathBuf>) -> Self {
        let input = input.into();
        Self {
            output: beside(&input, "verdicts"),
            accepted: Some(beside(&input, "accepted")),
            input,
            jobs: robosim_parallel::cores(),
            resume: false,
            max_program_bytes: DEFAULT_MAX_PROGRAM_BYTES,
            cache: None,
            shard: None,
        }
    }

    /// Outputs named for `shard` (`raw.verdicts.shard-3-of-8.jsonl`) and no training set,
    /// which only the merged batch can have (duplicates are dropped across all shards).
    #[must_use]
    pub fn for_shard(input: impl Into<PathBuf>, shard: Shard) -> Self {
        let mut config = Self::new(input);
        config.output = beside(&config.input, &format!("verdicts.shard-{}-of-{}", shard.index, shard.count));
        config.accepted = None;
        config.shard = Some(shard);
        config
    }
}

/// What a running batch reports, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// `total` input lines, of which `resumed` were already done.
    Started { total: u64, resumed: u64 },
    /// One more record written.
    Record { line: u64, status: Status },
}

/// The manifest a batch verified under `settings` writes.
///
/// # Errors
/// When the settings cannot be written as JSON.
pub fn manifest(settings: &VerifyConfig, max_program_bytes: usize) -> Result<Manifest, Error> {
    Ok(Manifest {
        tool: "robosim".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        guest_sha256: robosim_sandbox::GUEST_SHA256.into(),
        settings: serde_json::to_value(settings).map_err(Error::Settings)?,
        max_program_bytes,
        shard: None,
    })
}

/// Verifies every line of `config.input` with `backend` (a [`Verifier`](robosim_verify::Verifier),
/// or worker processes: see `robosim-backend`) on `config.jobs` threads; returns the summary.
/// The manifest and the cache keys record `backend`'s own settings.
///
/// # Errors
/// I/O errors on the files, and a `resume` into a file that does not match the input or the
/// settings. Nothing about a program or an input line is an error.
pub fn run(
    config: &BatchConfig,
    backend: &dyn Verify,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<Summary, Error> {
    let started = Instant::now();
    let mut manifest = manifest(backend.config(), config.max_program_bytes)?;
    let cap = robosim_fs::line_cap(config.max_program_bytes);
    let total = match config.shard {
        None => input_lines(&config.input, cap)?.count() as u64,
        Some(shard) => {
            let (input_sha256, input_lines) = fingerprint(&config.input)?;
            let of = ShardOf { index: shard.index, count: shard.count, input_sha256, input_lines };
            manifest.shard = Some(of);
            shard.lines_of(input_lines)
        }
    };
    let shard = config.shard;
    let mine = move |i: usize| shard.is_none_or(|s| s.holds(i as u64));
    let mut summary = Summary::default();
    let (mut writer, resumed) = if config.resume && config.output.is_file() {
        let mut hashes = input_lines(&config.input, cap)?
            .enumerate()
            .filter(|(i, _)| mine(*i))
            .map(|(i, line)| line.map(|raw| (i as u64 + 1, raw.hash())));
        let (writer, records) = output::resume(&config.output, &manifest, &mut hashes)?;
        for record in &records {
            summary.add(record, true);
        }
        (writer, records.len() as u64)
    } else {
        (output::Writer::create(&config.output, &manifest)?, 0)
    };
    on_progress(Progress::Started { total, resumed });

    let todo = input_lines(&config.input, cap)?
        .enumerate()
        .filter(move |(i, _)| mine(*i))
        .skip(usize::try_from(resumed).unwrap_or(usize::MAX))
        .map(|(i, raw)| {
            raw.map(|raw| match raw {
                RawLine::Kept(raw) => parse_line(i as u64 + 1, &raw, config.max_program_bytes),
                RawLine::TooLong { bytes, hash } => too_long_line(i as u64 + 1, bytes, hash),
            })
        });
    let mut paths_this_run = 0;
    let reuse = Reuse::new(backend, config.cache.clone())?;
    ordered_map(
        todo,
        config.jobs,
        Window::ahead(config.jobs),
        |line| match line {
            Ok(Line { input: Input::Program { program, .. }, .. }) => Some(reuse.verify(program)),
            _ => None,
        },
        |line, v| {
            let input = match line {
                Ok(Line { input: Input::Program { fields, .. }, .. }) => json_weight(fields),
                _ => 0,
            };
            input + v.as_ref().map_or(0, |(v, _)| json_weight(v))
        },
        |line, verdict| {
            let line = line?;
            let verdict = verdict.map(|(verdict, origin)| {
                match origin {
                    Origin::Verified => paths_this_run += verdict.paths as u64,
                    Origin::Reused => summary.reused += 1,
                    Origin::Cached => summary.cache_hits += 1,
                }
                verdict
            });
            let record = Record::new(&line, verdict);
            writer.write(&record)?;
            summary.add(&record, false);
            on_progress(Progress::Record { line: line.number, status: record.robosim.status });
            Ok::<(), Error>(())
        },
    )?;
    writer.finish()?;
    summary.finish(started.elapsed(), paths_this_run);
    if let Some(accepted) = &config.accepted {
        let records = read_records(&config.output)?;
        summary.training_set = Some(training::write(accepted, records)?);
    }
    Ok(summary)
}

/// SHA-256 (hex) of a file's bytes and its number of lines (as [`lines`] counts them).
fn fingerprint(path: &Path) -> Result<(String, u64), Error> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut file = File::open(path).map_err(|source| Error::io(path, source))?;
    let (mut hasher, mut buf) = (Sha256::new(), vec![0u8; 1 << 16]);
    let (mut newlines, mut last) = (0u64, None);
    loop {
        let n = file.read(&mut buf).map_err(|source| Error::io(path, source))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        newlines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        last = Some(buf[n - 1]);
    }
    // A last line without a newline is a line too.
    let lines = newlines + u64::from(last.is_some_and(|b| b != b'\n'));
    Ok((robosim_fs::hex(&hasher.finalize()), lines))
}

/// The input's lines as raw bytes, without line endings (`\n` or `\r\n`).
pub(crate) fn lines(path: &Path) -> Result<impl Iterator<Item = Result<Vec<u8>, Error>> + Send + use<>, Error> {
    let owned = path.to_owned();
    let file = File::open(path).map_err(|source| Error::io(path, source))?;
    Ok(BufReader::new(file).split(b'\n').map(move |line| {
        let mut line = line.map_err(|source| Error::io(&owned, source))?;
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Ok(line)
    }))
}

/// The lines of an input file, none over `cap` bytes held (see [`RawLine`]).
fn input_lines(path: &Path, cap: usize) -> Result<impl Iterator<Item = Result<RawLine, Error>> + Send + use<>, Error> {
    let owned = path.to_owned();
    let file = File::open(path).map_err(|source| Error::io(path, source))?;
    Ok(robosim_fs::bounded_lines(BufReader::new(file), cap)
        .map(move |line| line.map_err(|source| Error::io(&owned, source))))
}

/// The records of a verdicts file (after its manifest), read one at a time; a line that is
/// not a record is an error (the file was just written or checked by `resume`).
pub(crate) fn read_records(path: &Path) -> Result<impl Iterator<Item = Result<Record, Error>> + use<>, Error> {
    let owned = path.to_owned();
    Ok(lines(path)?.enumerate().skip(1).map(move |(i, line)| {
        serde_json::from_slice(&line?).map_err(|source| Error::BadRecord {
            path: owned.clone(),
            line: i as u64 + 1,
            source,
        })
    }))
}
