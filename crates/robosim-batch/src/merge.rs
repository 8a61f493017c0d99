//! [`merge`]: the verdicts files of a batch's shards back into one, as one run writes it.

use std::{
    collections::BTreeMap,
    fs::File,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    time::Instant,
};

use crate::{Error, Manifest, Record, Summary, output, run::read_records, training};

/// The shards' verdicts files and where the merged batch goes.
#[derive(Debug, Clone)]
pub struct MergeConfig {
    /// One verdicts file per shard, in any order.
    pub shards: Vec<PathBuf>,
    /// The merged verdicts file.
    pub output: PathBuf,
    /// The training set of the whole batch, if wanted.
    pub accepted: Option<PathBuf>,
}

/// Merges the shards of one batch: checks that they were written by the same robosim with
/// the same settings from the same input, that every shard is there once and complete, then
/// writes their records in input order (byte for byte as the shards hold them, under the
/// manifest one unsharded run writes) and the training set of the whole batch.
///
/// # Errors
/// [`Error::NotAShard`], [`Error::ShardMismatch`], [`Error::ShardsMissing`],
/// [`Error::ShardTwice`], [`Error::ShardIncomplete`], and I/O errors.
pub fn merge(config: &MergeConfig) -> Result<Summary, Error> {
    let started = Instant::now();
    let mut opened: BTreeMap<u64, (PathBuf, Reader)> = BTreeMap::new();
    let mut first: Option<(PathBuf, Manifest)> = None;
    for path in &config.shards {
        let mut reader = BufReader::new(File::open(path).map_err(|source| Error::io(path, source))?);
        let manifest = read_manifest(path, &mut reader)?;
        let Some(of) = manifest.shard.clone() else { return Err(Error::NotAShard { path: path.clone() }) };
        match &first {
            None => first = Some((path.clone(), manifest)),
            Some((first_path, expected)) => {
                if let Some(why) = difference(expected, &manifest) {
                    return Err(Error::ShardMismatch { path: path.clone(), first: first_path.clone(), why });
                }
            }
        }
        if let Some((other, _)) = opened.insert(of.index, (path.clone(), reader)) {
            return Err(Error::ShardTwice { index: of.index, paths: vec![other, path.clone()] });
        }
    }
    let Some((_, mut manifest)) = first else { return Err(Error::ShardsMissing { missing: Vec::new(), count: 0 }) };
    let of = manifest.shard.take().expect("checked: a shard");
    let missing: Vec<u64> = (0..of.count).filter(|i| !opened.contains_key(i)).collect();
    if !missing.is_empty() {
        return Err(Error::ShardsMissing { missing, count: of.count });
    }
    let mut shards: Vec<(PathBuf, Reader, u64)> = opened.into_values().map(|(p, r)| (p, r, 0)).collect();
    let mut writer = output::Writer::create(&config.output, &manifest)?;
    let mut summary = Summary::default();
    let mut raw = Vec::new();
    for i in 0..of.input_lines {
        let index = i % of.count;
        let (path, reader, read) = &mut shards[index as usize];
        let incomplete = |have| {
            let expected = crate::Shard { index, count: of.count }.lines_of(of.input_lines);
            Error::ShardIncomplete { path: path.clone(), have, expected }
        };
        raw.clear();
        let n = reader.read_until(b'\n', &mut raw).map_err(|source| Error::io(path, source))?;
        if n == 0 || raw.last() != Some(&b'\n') {
            return Err(incomplete(*read));
        }
        raw.pop();
        let record: Record = serde_json::from_slice(&raw).map_err(|_| incomplete(*read))?;
        if record.robosim.line != i + 1 {
            return Err(incomplete(*read));
        }
        *read += 1;
        writer.write_raw(&raw)?;
        summary.add(&record, false);
    }
    for (path, reader, read) in &mut shards {
        if !reader.fill_buf().map_err(|source| Error::io(path, source))?.is_empty() {
            return Err(Error::ShardTooLong { path: path.clone(), expected: *read });
        }
    }
    writer.finish()?;
    summary.finish(started.elapsed(), 0);
    if let Some(accepted) = &config.accepted {
        summary.training_set = Some(training::write(accepted, read_records(&config.output)?)?);
    }
    Ok(summary)
}

type Reader = BufReader<File>;

/// How two shards' manifests differ (apart from the shard's index), if they do.
fn difference(a: &Manifest, b: &Manifest) -> Option<&'static str> {
    let (Some(x), Some(y)) = (&a.shard, &b.shard) else { return Some("not both shards") };
    if (&a.tool, &a.version, &a.guest_sha256) != (&b.tool, &b.version, &b.guest_sha256) {
        Some("written by another robosim")
    } else if (&a.settings, a.max_program_bytes) != (&b.settings, b.max_program_bytes) {
        Some("written with other settings")
    } else if (&x.input_sha256, x.input_lines) != (&y.input_sha256, y.input_lines) {
        Some("cut from another input")
    } else if x.count != y.count {
        Some("one of another number of shards")
    } else {
        None
    }
}

fn read_manifest(path: &Path, reader: &mut Reader) -> Result<Manifest, Error> {
    let mut first = Vec::new();
    reader.read_until(b'\n', &mut first).map_err(|source| Error::io(path, source))?;
    serde_json::from_slice(&first)
        .ok()
        .as_ref()
        .and_then(output::manifest_of)
        .ok_or_else(|| Error::NotAVerdictsFile { path: path.to_owned() })
}
