//! `robosim verify FILE.py`: explore one program and print the verdict.

use std::{fs, io::Write, path::PathBuf};

use anyhow::Context;
use clap::Args;
use robosim::verify::{Stopped, Verdict, Verify};

use super::shared::{ExitStatus, ExploreArgs};

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The program (Python, or an LLM answer with the program in a fenced block).
    file: PathBuf,
    /// Print the verdict as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    pub(crate) explore: ExploreArgs,
}

pub(crate) fn run(cli: &super::Cli, args: &VerifyArgs) -> anyhow::Result<ExitStatus> {
    let source = fs::read_to_string(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let (verifier, _) = super::backend::verification(cli, args.explore.config()?, 1)?;
    let verdict = verifier.verify(&source);
    super::shared::print_out(args.json, &verdict, print_verdict)?;
    if verdict.was_not_run() {
        return Ok(ExitStatus::Error);
    }
    Ok(ExitStatus::failure_if(!verdict.accepted()))
}

fn print_verdict(out: &mut impl Write, verdict: &Verdict) -> std::io::Result<()> {
    let coverage = match verdict.stopped() {
        Stopped::Exhausted => "every path",
        Stopped::Saturated => "saturated: the last paths showed nothing new",
        Stopped::Capped => "stopped by a bound",
        Stopped::Failed => "stopped at the failure",
        Stopped::NotRun => "robosim could not finish",
    };
    if let Some(why) = &verdict.why_not_run() {
        return writeln!(out, "not verified: {why}");
    }
    let head = if verdict.accepted() { "accepted" } else { "rejected" };
    writeln!(
        out,
        "{head}: {} paths ({coverage}), {} fuel, {:.1} ms",
        verdict.paths,
        verdict.fuel_used,
        verdict.wall_time.as_secs_f64() * 1e3
    )?;
    let Some(failure) = &verdict.failure() else { return Ok(()) };
    let line = failure.line.map_or_else(|| "?".to_owned(), |l| l.to_string());
    writeln!(out, "line {line}: {}", failure.error)?;
    writeln!(out, "failing path (replay with these choices): {:?}", failure.choices)?;
    for decision in &failure.decisions {
        writeln!(out, "  decided: {}", serde_json::to_string(decision)?)?;
    }
    super::shared::print_trace(out, &failure.trace)?;
    Ok(())
}
