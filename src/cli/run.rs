//! `robosim run FILE.py`

use std::{fs, io::Write, path::PathBuf};

use anyhow::Context;
use clap::Args;
use robosim::{Outcome, Program, RunReport, Sandbox, world::OpenWorld};

use super::shared::{ExitStatus, LimitArgs};

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// The Python file to run (`-` for standard input).
    file: PathBuf,
    /// Run the module body only; by default `task_program()` is called afterwards, as the
    /// reference checker does.
    #[arg(long)]
    script: bool,
    /// Print the whole report as JSON.
    #[arg(long)]
    json: bool,
    /// Seed for the guest's entropy (`random`, hashing).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[command(flatten)]
    pub(crate) limits: LimitArgs,
}

pub(crate) fn run(sandbox: &Sandbox, args: &RunArgs) -> anyhow::Result<ExitStatus> {
    let source = if args.file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("reading standard input")?
    } else {
        fs::read_to_string(&args.file).with_context(|| format!("reading {}", args.file.display()))?
    };
    let filename = args.file.display().to_string();
    let program =
        if args.script { Program::script(source, filename) } else { Program { filename, ..Program::task(source) } };
    let (report, _) = sandbox.run_with(&program, OpenWorld::default(), sandbox.limits(), args.seed);
    super::shared::print_out(args.json, &report, print_report)?;
    Ok(match report.outcome {
        Outcome::Completed => ExitStatus::Success,
        Outcome::Exited { .. } => ExitStatus::Success,
        _ => ExitStatus::Failure,
    })
}

fn print_report(out: &mut impl Write, report: &RunReport) -> std::io::Result<()> {
    super::shared::print_trace(out, &report.trace)?;
    if !report.stdout.is_empty() {
        writeln!(out, "--- stdout\n{}", report.stdout.trim_end())?;
    }
    if !report.stderr.is_empty() {
        writeln!(out, "--- stderr\n{}", report.stderr.trim_end())?;
    }
    let outcome = match &report.outcome {
        Outcome::RobotError { name, message, line, .. } => {
            format!("robot_error at line {}: {name}: {message}", fmt_line(*line))
        }
        Outcome::PythonError { exc_type, message, line, .. } => {
            format!("python_error at line {}: {exc_type}: {message}", fmt_line(*line))
        }
        Outcome::SyntaxError { message, line, column } => {
            format!("syntax_error at line {}, column {}: {message}", fmt_line(*line), fmt_line(*column))
        }
        Outcome::Exited { code } => format!("exited ({})", code.repr()),
        Outcome::Trap { message } => format!("trap: {message}"),
        other => other.kind().to_owned(),
    };
    writeln!(
        out,
        "--- {outcome}\n    {} robot calls, {} fuel ({} at start-up), {:.2} ms",
        report.trace.len(),
        report.fuel_used,
        report.startup_fuel,
        report.wall_time.as_secs_f64() * 1e3
    )
}

fn fmt_line(line: Option<u32>) -> String {
    line.map_or_else(|| "?".to_owned(), |l| l.to_string())
}
