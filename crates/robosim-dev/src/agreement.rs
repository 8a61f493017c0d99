//! `robosim-dev agreement CORPUS.jsonl`: robosim's verdicts against the reference checker's.
//!
//! Each line holds `id`, `program` and `reference: {accepted, error}` (the shape of
//! `../shared/corpus/dev.jsonl`). Prints the agreement table and, with `--details`, writes
//! every disagreement with its replayable failing path.

use std::{collections::BTreeMap, fs, io::Write, path::PathBuf, time::Instant};

use anyhow::Context;
use clap::Args;
use robosim_backend::Verification;
use robosim_batch::verify_stream;
use robosim_verify::{Verdict, VerifyOverrides, reference_class};
use serde::{Deserialize, Serialize};

#[derive(Debug, Args)]
pub(crate) struct AgreementArgs {
    /// The corpus (JSONL with `id`, `program`, `reference`).
    corpus: PathBuf,
    /// Write the disagreements, with their failing paths, to this JSONL file.
    #[arg(long, value_name = "FILE")]
    details: Option<PathBuf>,
    #[command(flatten)]
    jobs: crate::JobsArgs,
    /// Only the first N programs.
    #[arg(long)]
    limit: Option<usize>,
    /// Verification settings over the defaults, as JSON (`{"search": "random", "random_runs": 100}`).
    #[arg(long, value_name = "JSON", default_value = "{}")]
    settings: String,
}

#[derive(Debug, Deserialize)]
struct Row {
    id: serde_json::Value,
    program: String,
    reference: Reference,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Reference {
    accepted: bool,
    #[serde(default)]
    error: String,
}

#[derive(Debug, Serialize)]
struct Disagreement<'a> {
    id: &'a serde_json::Value,
    kind: &'static str,
    reference: &'a Reference,
    verdict: &'a Verdict,
}

/// Prints the table; `Ok(false)` when there are disagreements.
pub(crate) fn run(args: &AgreementArgs) -> anyhow::Result<bool> {
    let text = fs::read_to_string(&args.corpus).with_context(|| format!("reading {}", args.corpus.display()))?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        rows.push(serde_json::from_str::<Row>(line).with_context(|| format!("line {}", i + 1))?);
    }
    rows.truncate(args.limit.unwrap_or(usize::MAX));
    let overrides: VerifyOverrides = serde_json::from_str(&args.settings).context("--settings")?;
    let backend = Verification::new(overrides.resolve()?, &crate::sandbox_setup(), &args.jobs.place()?)?;
    let started = Instant::now();
    let programs: Vec<String> = rows.iter().map(|row| row.program.clone()).collect();
    let verdicts: Vec<Verdict> = verify_stream(backend, args.jobs.threads(), programs).map(|(_, v)| v).collect();
    let elapsed = started.elapsed();

    let mut table: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut by_class: BTreeMap<String, usize> = BTreeMap::new();
    let mut details = Vec::new();
    for (row, verdict) in rows.iter().zip(&verdicts) {
        let ours = verdict.failure().map(|f| f.class.as_str());
        let kind = match (row.reference.accepted, ours) {
            (true, None) => "both accept",
            (false, Some(class)) if class == reference_class(&row.reference.error) => "both reject, same class",
            (false, Some(_)) => "both reject, different class",
            (false, None) => "reference rejects, robosim accepts",
            (true, Some(class)) => {
                *by_class.entry(class.to_owned()).or_default() += 1;
                "reference accepts, robosim rejects"
            }
        };
        *table.entry(kind).or_default() += 1;
        if !kind.starts_with("both accept") && kind != "both reject, same class" {
            details.push(Disagreement { id: &row.id, kind, reference: &row.reference, verdict });
        }
    }

    let mut out = std::io::stdout().lock();
    writeln!(out, "{} programs from {}", rows.len(), args.corpus.display())?;
    for (kind, count) in &table {
        writeln!(out, "  {kind:<40} {count:>6}")?;
    }
    if !by_class.is_empty() {
        writeln!(out, "robosim-only rejections by class:")?;
        for (class, count) in &by_class {
            writeln!(out, "  {class:<40} {count:>6}")?;
        }
    }
    let paths: usize = verdicts.iter().map(|v| v.paths).sum();
    let exhausted = verdicts.iter().filter(|v| v.exhausted()).count();
    let saturated = verdicts.iter().filter(|v| v.stopped() == robosim_verify::Stopped::Saturated).count();
    writeln!(
        out,
        "{paths} paths, {exhausted} trees exhausted, {saturated} searches saturated; {:.1} s, {:.1} programs/s, {:.0} paths/s",
        elapsed.as_secs_f64(),
        rows.len() as f64 / elapsed.as_secs_f64(),
        paths as f64 / elapsed.as_secs_f64()
    )?;
    if let Some(path) = &args.details {
        let mut file = fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        for detail in &details {
            serde_json::to_writer(&mut file, detail)?;
            writeln!(file)?;
        }
        writeln!(out, "{} disagreements written to {}", details.len(), path.display())?;
    }
    Ok(details.is_empty())
}
