//! `robosim report`: a page to look at a run.

use std::{path::PathBuf, time::Instant};

use anyhow::Context as _;
use clap::Args;
use robosim::report::{Report, default_output};

use super::ExitStatus;

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// A verdicts file (`verify-batch`, or merged shards), a grades file (`grade`), an `eval`
    /// or a `pipeline` output directory; several are shown side by side.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// The page to write (default: beside the first input, `X.report.html`, or
    /// `DIR/report.html` for a directory).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub(crate) fn run(args: &ReportArgs) -> anyhow::Result<ExitStatus> {
    let started = Instant::now();
    let report = Report::build(&args.inputs)?;
    let html = report.html();
    let out = args.out.clone().unwrap_or_else(|| default_output(&args.inputs[0]));
    robosim::fs::write_atomic(&out, html.as_bytes()).with_context(|| format!("writing {}", out.display()))?;
    for section in &report.sections {
        eprintln!("robosim: {}: {} failures, {} in the table", section.title, section.failures, section.rows.len());
    }
    eprintln!(
        "robosim: wrote {} ({:.1} MiB) in {:.2} s",
        out.display(),
        html.len() as f64 / f64::from(1 << 20),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitStatus::Success)
}

/// The line a command prints after writing `input`: the command that makes its report.
pub(crate) fn hint(input: &std::path::Path) -> String {
    let path = input.display().to_string();
    let safe = path.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+:=,".contains(c));
    let path = if safe { path } else { format!("'{}'", path.replace('\'', "'\\''")) };
    format!("robosim: see the run: robosim report {path}")
}
