//! Command-line interface.

mod run;

use std::{path::PathBuf, process::ExitCode, time::Duration};

use clap::{Args, Parser, Subcommand};
use robosim::{CachePolicy, Limits, Sandbox, SandboxConfig};

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
    /// Compile the guest module and store it in the cache (the first start takes 10–40 s).
    Prepare,
}

/// Per-run limits, shared by the commands that run programs.
#[derive(Debug, Args)]
pub(crate) struct LimitArgs {
    /// Fuel for the program (about 7.7 G per second of compute).
    #[arg(long, default_value_t = Limits::default().fuel)]
    fuel: u64,
    /// Guest memory, in MiB.
    #[arg(long, default_value_t = Limits::default().memory_bytes >> 20)]
    memory_mib: usize,
    /// Wall-clock deadline per run, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    deadline_ms: u64,
    /// Bytes of printed output kept before the run is stopped.
    #[arg(long, default_value_t = Limits::default().output_bytes)]
    output_bytes: usize,
    /// Robot calls allowed per run.
    #[arg(long, default_value_t = Limits::default().robot_calls)]
    robot_calls: u64,
}

impl LimitArgs {
    pub(crate) fn limits(&self) -> Limits {
        Limits {
            fuel: self.fuel,
            memory_bytes: self.memory_mib << 20,
            deadline: Duration::from_millis(self.deadline_ms),
            output_bytes: self.output_bytes,
            robot_calls: self.robot_calls,
        }
    }
}

fn sandbox(cli: &Cli, limits: Limits) -> anyhow::Result<Sandbox> {
    let cache = cli.cache_dir.clone().map_or(CachePolicy::Default, CachePolicy::Dir);
    Ok(Sandbox::with_config(SandboxConfig { cache, limits, snapshot: !cli.no_snapshot })?)
}

pub(crate) fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Run(args) => {
            let sandbox = sandbox(&cli, args.limits.limits())?;
            run::run(&sandbox, args)
        }
        Command::Prepare => {
            let sandbox = sandbox(&cli, Limits::default())?;
            let load = sandbox.module_load();
            let how = if load.from_cache { "loaded from the cache" } else { "compiled and cached" };
            eprintln!("robosim: guest {how} in {:.3} s", load.time.as_secs_f64());
            Ok(ExitCode::SUCCESS)
        }
    }
}
