//! `robosim grade TASKS_DIR COMPLETIONS.jsonl`: pass@1 on benchmark tasks.

use std::{path::PathBuf, process::ExitCode, sync::Arc};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use robosim::{
    Sandbox,
    grade::{GradeConfig, GradeEvent, Summary, Task, grade},
};

#[derive(Debug, Args)]
pub(crate) struct GradeArgs {
    /// A directory of task files (`*.json`: prompts, concrete worlds, checks).
    tasks: PathBuf,
    /// JSONL: one object per line with `task` and `completion` (or `program`); `id`, `prompt`
    /// are carried through.
    completions: PathBuf,
    /// The records [default: COMPLETIONS.grades.jsonl].
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Worker threads [default: all cores].
    #[arg(long, short)]
    pub(crate) jobs: Option<usize>,
    /// Completions larger than this (bytes) are invalid input.
    #[arg(long, default_value_t = 1 << 20)]
    max_program_bytes: usize,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    limits: super::LimitArgs,
}

impl GradeArgs {
    pub(crate) fn limits_for_sandbox(&self) -> robosim::Limits {
        self.limits.limits()
    }
}

pub(crate) fn run(sandbox: &Arc<Sandbox>, args: &GradeArgs) -> anyhow::Result<ExitCode> {
    let tasks = Task::load_dir(&args.tasks)?;
    let mut config = GradeConfig::new(&args.completions);
    if let Some(out) = &args.out {
        config.output.clone_from(out);
    }
    config.jobs = args.jobs.unwrap_or_else(super::cores);
    config.limits = args.limits.limits();
    config.max_program_bytes = args.max_program_bytes;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {per_sec} ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let summary = grade(&config, &tasks, sandbox, &mut |event| match event {
        GradeEvent::Started { total } => bar.set_length(total),
        GradeEvent::Graded { .. } => bar.inc(1),
    })?;
    bar.finish_and_clear();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_summary(&summary, &config);
    }
    Ok(if summary.failed + summary.invalid_input == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn print_summary(summary: &Summary, config: &GradeConfig) {
    const SHOWN: usize = 50;
    for failure in summary.failures.iter().take(SHOWN) {
        println!("FAIL {failure}");
    }
    if summary.failures.len() > SHOWN {
        println!("… and {} more failures in {}", summary.failures.len() - SHOWN, config.output.display());
    }
    let width = summary.tasks.keys().map(String::len).max().unwrap_or(4).max(4);
    println!("\n{:<width$}  {:>6}  {:>11}  {:>6}", "task", "passed", "completions", "pass@1");
    for (name, task) in &summary.tasks {
        println!("{name:<width$}  {:>6}  {:>11}  {:>6.3}", task.passed, task.completions, task.pass_at_1);
    }
    println!(
        "\n{} completions: {} passed, {} failed, {} invalid input; pass@1 {:.3} (mean over tasks {:.3}); {:.1} s",
        summary.completions,
        summary.passed,
        summary.failed,
        summary.invalid_input,
        summary.pass_at_1,
        summary.mean_task_pass_at_1,
        summary.wall_time,
    );
    println!("records: {}", config.output.display());
}
