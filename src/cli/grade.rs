//! `robosim grade TASKS_DIR COMPLETIONS.jsonl`: pass@1 on benchmark tasks.

use std::{io::Write, path::PathBuf};

use super::shared::ExitStatus;
use clap::Args;
use robosim::grade::{GradeConfig, Grader, Progress, Summary, Task, grade};

#[derive(Debug, Args)]
pub(crate) struct GradeArgs {
    /// A directory of task files (`*.json`: prompts, concrete worlds, checks).
    pub(crate) tasks: PathBuf,
    /// JSONL: one object per line with `task` and `completion` (or `program`); `id`, `prompt`
    /// are carried through.
    completions: PathBuf,
    /// The records [default: X.grades.jsonl beside X.jsonl].
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) jobs: super::shared::JobsArgs,
    /// Completions larger than this (bytes) are invalid input.
    #[arg(long, default_value_t = robosim::DEFAULT_MAX_PROGRAM_BYTES)]
    max_program_bytes: usize,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    pub(crate) grading: super::shared::GradingArgs,
}

/// `robosim grade`, calling `grader` on `threads` threads.
pub(crate) fn run(grader: &dyn Grader, args: &GradeArgs, threads: usize) -> anyhow::Result<ExitStatus> {
    let tasks = Task::load_dir(&args.tasks)?;
    let mut config = GradeConfig::new(&args.completions);
    if let Some(out) = &args.out {
        config.output.clone_from(out);
    }
    config.jobs = threads;
    config.max_program_bytes = args.max_program_bytes;
    let bar = super::shared::progress_bar();
    let summary = grade(&config, &tasks, grader, &mut |event| match event {
        Progress::Started { total } => bar.set_length(total),
        Progress::Graded { .. } => bar.inc(1),
    })?;
    bar.finish_and_clear();
    super::shared::print_out(args.json, &summary, |out, summary| print_summary(out, summary, &config))?;
    eprintln!("{}", super::report::hint(&config.output));
    if summary.not_run > 0 {
        return Ok(ExitStatus::Error);
    }
    Ok(ExitStatus::failure_if(summary.failed + summary.invalid_input > 0))
}

fn print_summary(out: &mut impl Write, summary: &Summary, config: &GradeConfig) -> std::io::Result<()> {
    const SHOWN: usize = 50;
    for failure in summary.failures.iter().take(SHOWN) {
        writeln!(out, "FAIL {failure}")?;
    }
    if summary.failures.len() > SHOWN {
        writeln!(out, "… and {} more failures in {}", summary.failures.len() - SHOWN, config.output.display())?;
    }
    let width = summary.tasks.keys().map(String::len).max().unwrap_or(4).max(4);
    writeln!(out, "\n{:<width$}  {:>6}  {:>11}  {:>6}", "task", "passed", "completions", "pass@1")?;
    for (name, task) in &summary.tasks {
        writeln!(out, "{name:<width$}  {:>6}  {:>11}  {:>6.3}", task.passed, task.completions, task.pass_at_1)?;
    }
    writeln!(
        out,
        "\n{} completions: {} passed, {} failed, {} invalid input{}; pass@1 {:.3} (mean over tasks {:.3}); {:.1} s",
        summary.completions,
        summary.passed,
        summary.failed,
        summary.invalid_input,
        if summary.not_run > 0 { format!(", {} not graded (robosim failed)", summary.not_run) } else { String::new() },
        summary.pass_at_1,
        summary.mean_task_pass_at_1,
        summary.wall_time,
    )?;
    writeln!(out, "records: {}", config.output.display())
}
