//! Command-line interface.

mod agreement;
mod batch;
mod eval;
mod grade;
mod pipeline;
mod roboeval_agreement;
mod run;
mod shared;
mod verify;
mod worker;

use std::{path::PathBuf, sync::Arc};

use clap::{Parser, Subcommand};
use robosim::{CachePolicy, Limits, Sandbox, SandboxConfig, verify::VerifyConfig};

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
    /// Compare robosim's verdicts with the reference checker's on a corpus.
    Agreement(agreement::AgreementArgs),
    /// Generate training data with a model behind an OpenAI-compatible server: Self-Instruct and
    /// Evol-Instruct tasks, programs checked by RoboSim (rejection sampling), InstAlign, export.
    Pipeline(pipeline::PipelineArgs),
    /// Grade a labelled corpus on RoboEval's tasks and compare with RoboEval's own per-state
    /// verdicts: agreement per task, state and program, every disagreement with both traces.
    RoboevalAgreement(roboeval_agreement::RoboEvalAgreementArgs),
    /// Grade model completions on benchmark tasks: each run in the task's concrete worlds,
    /// its robot-call trace checked; pass@1 per task and overall.
    Grade(grade::GradeArgs),
    /// Evaluate a model behind an OpenAI-compatible server on RoboEval: every prompt of every
    /// task, `-n` completions each, graded as RoboEval grades them; pass@k and RoboEval's error
    /// breakdown.
    Eval(eval::EvalArgs),
    /// Compile the guest module and store it in the cache (the first start takes 10–40 s).
    Prepare,
    /// The worker process of parallel grading: JSON requests on stdin, results on stdout.
    #[command(hide = true)]
    GradeWorker(worker::GradeWorkerArgs),
    /// The worker process of parallel verification: programs on stdin, verdicts on stdout.
    #[command(hide = true)]
    VerifyWorker(worker::VerifyWorkerArgs),
}

/// The sandbox for a command running up to `jobs` programs at once.
fn sandbox(cli: &Cli, limits: Limits, jobs: usize) -> anyhow::Result<Arc<Sandbox>> {
    let cache = cli.cache_dir.clone().map_or(CachePolicy::Default, CachePolicy::Dir);
    let mut config = SandboxConfig { cache, limits, snapshot: !cli.no_snapshot, ..SandboxConfig::default() };
    // One pool slot per thread running programs; more would only reserve address space.
    config.max_concurrent_runs = u32::try_from(jobs.max(1)).unwrap_or(u32::MAX);
    Ok(Arc::new(Sandbox::with_config(config)?))
}

pub(crate) fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    match &cli.command {
        Command::Run(args) => {
            let sandbox = sandbox(&cli, args.limits.limits(), 1)?;
            run::run(&sandbox, args)
        }
        // As graders, verification runs in worker processes when there are several jobs.
        Command::VerifyBatch(args) => {
            let sandbox = sandbox(&cli, VerifyConfig::default().limits, 1)?;
            batch::run(&cli, &sandbox, args)
        }
        Command::MergeVerdicts(args) => batch::merge(args),
        Command::Verify(args) => {
            let sandbox = sandbox(&cli, VerifyConfig::default().limits, 1)?;
            verify::run(&sandbox, args)
        }
        Command::Agreement(args) => {
            let sandbox = sandbox(&cli, VerifyConfig::default().limits, args.jobs.get())?;
            agreement::run(&sandbox, args)
        }
        Command::Pipeline(args) => {
            let sandbox = sandbox(&cli, VerifyConfig::default().limits, args.concurrency)?;
            pipeline::run(&sandbox, args)
        }
        // Graders run programs in worker processes (one per job) when there are several jobs;
        // the command's own sandbox then runs only what it shows (one at a time).
        Command::RoboevalAgreement(args) => {
            let sandbox = sandbox(&cli, args.limits.grading(), 1)?;
            let grader = worker::grader(&cli, &sandbox, &args.tasks, &args.limits, args.trace, args.jobs.get())?;
            roboeval_agreement::run(&sandbox, grader.as_ref(), args)
        }
        Command::Grade(args) => {
            let sandbox = sandbox(&cli, args.limits.grading(), 1)?;
            let grader = worker::grader(&cli, &sandbox, &args.tasks, &args.limits, args.trace, args.jobs.get())?;
            grade::run(grader.as_ref(), args)
        }
        Command::Eval(args) => {
            let sandbox = sandbox(&cli, args.limits.grading(), 1)?;
            let grader = worker::grader(&cli, &sandbox, &args.tasks, &args.limits, args.trace, args.grading_jobs())?;
            eval::run(grader.as_ref(), args)
        }
        Command::VerifyWorker(args) => {
            let sandbox = sandbox(&cli, args.limits()?, 1)?;
            worker::verify_run(&sandbox, args)
        }
        Command::GradeWorker(args) => {
            let sandbox = sandbox(&cli, args.limits.grading(), 1)?;
            worker::run(&sandbox, args)
        }
        Command::Prepare => {
            let sandbox = sandbox(&cli, Limits::default(), 1)?;
            let load = sandbox.module_load();
            let how = if load.from_cache { "loaded from the cache" } else { "compiled and cached" };
            eprintln!("robosim: guest {how} in {:.3} s", load.time.as_secs_f64());
            Ok(ExitStatus::Success)
        }
    }
}
