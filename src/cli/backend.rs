//! The backends the commands run programs with (see `robosim_backend`), and the two commands
//! around them: the hidden `robosim worker` and `robosim settings`.

use std::path::Path;

use clap::{Args, Subcommand};
use robosim::{
    backend::{Grading, Place, SandboxSetup, Verification, WorkerCommand},
    verify::VerifyConfig,
};

use super::{
    Cli, ExitStatus,
    shared::{ExploreArgs, GradingArgs},
};

impl Cli {
    /// How this command's sandboxes (its own and its workers') are made.
    pub(crate) fn sandbox_setup(&self) -> SandboxSetup {
        let cache = self.cache_dir.clone().map_or(robosim::CachePolicy::Default, robosim::CachePolicy::Dir);
        SandboxSetup { cache, snapshot: !self.no_snapshot, host_compile: !self.compile_in_guest }
    }
}

/// `-j N`: this process for one, else `N` workers running this executable's `robosim worker`.
pub(crate) fn place(jobs: usize) -> anyhow::Result<Place> {
    Ok(Place::for_jobs(jobs, WorkerCommand::current_exe_worker()?))
}

/// Verification under `config` with `jobs` programs at once, and the threads to call it on.
pub(crate) fn verification(cli: &Cli, config: VerifyConfig, jobs: usize) -> anyhow::Result<(Verification, usize)> {
    let place = place(jobs)?;
    Ok((Verification::new(config, &cli.sandbox_setup(), &place)?, place.threads(jobs)))
}

/// Grading of the tasks in `tasks` under `args` with `jobs` completions at once, and the
/// threads to call it on.
pub(crate) fn grading(cli: &Cli, tasks: &Path, args: &GradingArgs, jobs: usize) -> anyhow::Result<(Grading, usize)> {
    let place = place(jobs)?;
    Ok((Grading::new(tasks, args.grading()?, &cli.sandbox_setup(), &place)?, place.threads(jobs)))
}

/// `robosim worker`: reads its job and settings as one JSON line on stdin, then answers one
/// request per line.
pub(crate) fn worker() -> anyhow::Result<ExitStatus> {
    robosim::backend::serve_worker()?;
    Ok(ExitStatus::Success)
}

#[derive(Debug, Args)]
pub(crate) struct SettingsArgs {
    #[command(subcommand)]
    job: SettingsJob,
}

#[derive(Debug, Subcommand)]
enum SettingsJob {
    /// The settings `verify` and `verify-batch` run under with these flags.
    Verify(ExploreArgs),
    /// The settings `grade` and `eval` run under with these flags.
    Grade(GradingArgs),
}

/// `robosim settings verify|grade [FLAGS]`: the settings the flags resolve to, as JSON (as a
/// verdicts file's manifest records them).
pub(crate) fn settings(args: &SettingsArgs) -> anyhow::Result<ExitStatus> {
    let value = match &args.job {
        SettingsJob::Verify(explore) => serde_json::to_value(explore.config()?)?,
        SettingsJob::Grade(grading) => serde_json::to_value(grading.grading()?)?,
    };
    super::shared::print_out(true, &value, |_, _| Ok(()))?;
    Ok(ExitStatus::Success)
}
