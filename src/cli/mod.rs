//! Command-line interface.

mod backend;
mod batch;
mod eval;
mod grade;
mod pipeline;
mod report;
mod run;
mod serve;
mod shared;
mod verify;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use robosim::Limits;

pub(crate) use shared::ExitStatus;

#[derive(Debug, Parser)]
#[command(
    name = "robosim",
    version,
    about = "Verify LLM-written robot programs in a sandboxed, lazily synthesised world"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Where the compiled guest is cached (default: $ROBOSIM_CACHE_DIR or ~/.cache/robosim).
    #[arg(long, global = true, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Start the interpreter in every run instead of from the pre-initialised snapshot.
    #[arg(long, global = true)]
    no_snapshot: bool,
    /// Compile every program inside the guest instead of on the host (the same outcomes,
    /// slower; for comparison).
    #[arg(long, global = true)]
    compile_in_guest: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run one Python program and print its outcome and robot-call trace.
    Run(run::RunArgs),
    /// Verify a JSONL batch of (instruction, program) pairs: verdicts and a training set.
    VerifyBatch(batch::BatchArgs),
    /// Merge the verdicts files of a batch's shards (`verify-batch --shard K/N`) into one,
    /// as one run writes it, and write the batch's training set.
    MergeVerdicts(batch::MergeArgs),
    /// Explore one program over every world its choices open and print the verdict.
    Verify(verify::VerifyArgs),
    /// Generate training data with a model behind an OpenAI-compatible server: Self-Instruct and
    /// Evol-Instruct tasks, programs checked by RoboSim (rejection sampling), InstAlign, export.
    Pipeline(Box<pipeline::PipelineArgs>),
    /// Grade model completions on benchmark tasks: each run in the task's concrete worlds,
    /// its robot-call trace checked; pass@1 per task and overall.
    Grade(grade::GradeArgs),
    /// Evaluate a model behind an OpenAI-compatible server on RoboEval: every prompt of every
    /// task, `-n` completions each, graded as RoboEval grades them; pass@k and RoboEval's error
    /// breakdown.
    Eval(eval::EvalArgs),
    /// Make one self-contained HTML page of a run — a verdicts file, a grades file, an eval
    /// or a pipeline output directory (several side by side) — with plots and every failure.
    Report(report::ReportArgs),
    /// Compile the guest module and store it in the cache (the first start takes 10–40 s).
    Prepare,
    /// Serve grading, verification and OpenRLHF's get_reward over HTTP, for trainers that run
    /// elsewhere (a reward server).
    Serve(Box<serve::ServeArgs>),
    /// Print the settings a job runs under with the given flags, as JSON: every default,
    /// with what the flags override.
    Settings(backend::SettingsArgs),
    /// The worker process of every parallel command: its job and settings as one JSON line on
    /// stdin, then one request per line (see `robosim_backend`).
    #[command(hide = true)]
    Worker,
}

pub(crate) fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    match &cli.command {
        Command::Run(args) => {
            let limits = args.limits.overrides().over(Limits::default())?;
            let sandbox = cli.sandbox_setup().sandbox(limits, 1)?;
            run::run(&sandbox, args)
        }
        Command::VerifyBatch(args) => batch::run(&cli, args),
        Command::MergeVerdicts(args) => batch::merge(args),
        Command::Verify(args) => verify::run(&cli, args),
        Command::Pipeline(args) => pipeline::run(&cli, args),
        Command::Grade(args) => {
            let (grader, threads) = backend::grading(&cli, &args.tasks, &args.grading, args.jobs.get())?;
            grade::run(&grader, args, threads)
        }
        Command::Eval(args) => {
            // Its completions are graded as its requests come back (`--concurrency` at once).
            let (grader, _) = backend::grading(&cli, &args.tasks, &args.grading, args.jobs.get())?;
            eval::run(&grader, args)
        }
        Command::Settings(args) => backend::settings(args),
        Command::Report(args) => report::run(args),
        Command::Serve(args) => serve::run(&cli, args),
        Command::Worker => backend::worker(),
        Command::Prepare => {
            let sandbox = cli.sandbox_setup().sandbox(Limits::default(), 1)?;
            let load = sandbox.module_load();
            let how = if load.from_cache { "loaded from the cache" } else { "compiled and cached" };
            eprintln!("robosim: guest {how} in {:.3} s", load.time.as_secs_f64());
            Ok(ExitStatus::Success)
        }
    }
}
