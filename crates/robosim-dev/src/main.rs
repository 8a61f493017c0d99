//! `robosim-dev`: the tools robosim's developers measure it with, kept out of the user's
//! `robosim` command (as ruff keeps `ruff_dev`). Run them through `just agreement` and
//! `just roboeval-agreement`.
//!
//! Settings are given as JSON over the defaults (`--settings '{"max_paths": 50}'`), resolved
//! by the same library functions as `robosim`'s flags and Python's keywords.

mod agreement;
mod roboeval_agreement;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use robosim_backend::{Place, SandboxSetup, WorkerCommand};

#[derive(Debug, Parser)]
#[command(name = "robosim-dev", about = "robosim's developer tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compare robosim's verdicts with the reference checker's on a corpus.
    Agreement(agreement::AgreementArgs),
    /// Grade a labelled corpus on RoboEval's tasks and compare with RoboEval's own per-state
    /// verdicts: agreement per task, state and program, every disagreement with both traces.
    RoboevalAgreement(roboeval_agreement::RoboEvalAgreementArgs),
    /// The worker process of the commands above (see `robosim_backend`).
    #[command(hide = true)]
    Worker,
}

/// `-j/--jobs`: programs at once, 1 in this process, more in worker processes.
#[derive(Debug, Args)]
struct JobsArgs {
    /// Programs run at once [default: all cores].
    #[arg(long, short)]
    jobs: Option<usize>,
}

impl JobsArgs {
    fn place(&self) -> anyhow::Result<Place> {
        Ok(Place::for_jobs(self.threads(), WorkerCommand::current_exe_worker()?))
    }

    fn threads(&self) -> usize {
        self.jobs.unwrap_or_else(robosim_parallel::cores).max(1)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Agreement(args) => agreement::run(args),
        Command::RoboevalAgreement(args) => roboeval_agreement::run(args),
        Command::Worker => robosim_backend::serve_worker().map(|()| true).map_err(Into::into),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("robosim-dev: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// The sandbox setup of these tools: robosim's defaults.
fn sandbox_setup() -> SandboxSetup {
    SandboxSetup::default()
}
