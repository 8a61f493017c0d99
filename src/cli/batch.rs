//! `robosim verify-batch INPUT.jsonl`: the main job.

use std::{io::Write, path::PathBuf, time::Duration};

use clap::Args;
use robosim::batch::{self, BatchConfig, Progress, Summary};

use super::shared::{ExitStatus, ExploreArgs};

#[derive(Debug, Args)]
pub(crate) struct BatchArgs {
    /// JSONL input: one object per line with `program` (and usually `id`, `instruction`).
    input: PathBuf,
    /// The verdicts file [default: INPUT.verdicts.jsonl beside the input].
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The training set of accepted, de-duplicated pairs [default: INPUT.accepted.jsonl].
    #[arg(long, value_name = "FILE")]
    accepted: Option<PathBuf>,
    /// Do not write a training set.
    #[arg(long, conflicts_with = "accepted")]
    no_accepted: bool,
    #[command(flatten)]
    pub(crate) jobs: super::shared::JobsArgs,
    /// Continue an interrupted run: records already written are checked, not redone.
    #[arg(long)]
    resume: bool,
    /// Keep verdicts in DIR by program, settings and guest, and take them from there when a
    /// program comes again (in this batch or a later one).
    #[arg(long, value_name = "DIR")]
    cache: Option<PathBuf>,
    /// Programs larger than this (bytes) are invalid input.
    #[arg(long, default_value_t = batch::DEFAULT_MAX_PROGRAM_BYTES)]
    max_program_bytes: usize,
    /// Verify only every N-th line starting at line K+1 (K from 0, as job-array task ids):
    /// records keep their input line numbers; outputs default to
    /// INPUT.verdicts.shard-K-of-N.jsonl and no training set (`merge-verdicts` writes it).
    #[arg(long, value_name = "K/N")]
    shard: Option<batch::Shard>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    pub(crate) explore: ExploreArgs,
}

#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// The shards' verdicts files (every shard of the batch, once, in any order).
    #[arg(required = true)]
    shards: Vec<PathBuf>,
    /// The merged verdicts file.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The training set of the whole batch.
    #[arg(long, value_name = "FILE")]
    accepted: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

/// `robosim merge-verdicts`: exit 0 when everything was accepted, 1 when something was
/// rejected or invalid (as `verify-batch`), 2 when the shards do not make one batch.
pub(crate) fn merge(args: &MergeArgs) -> anyhow::Result<ExitStatus> {
    let config =
        batch::MergeConfig { shards: args.shards.clone(), output: args.out.clone(), accepted: args.accepted.clone() };
    let summary = batch::merge(&config)?;
    super::shared::print_out(args.json, &summary, |out, summary| {
        writeln!(
            out,
            "{} records from {} shards: {} accepted, {} rejected, {} invalid input",
            summary.records,
            args.shards.len(),
            summary.accepted,
            summary.rejected,
            summary.invalid_input
        )?;
        writeln!(out, "verdicts: {}", config.output.display())?;
        if let (Some(path), Some(t)) = (&config.accepted, &summary.training_set) {
            writeln!(out, "training set: {} ({} pairs)", path.display(), t.written)?;
        }
        Ok(())
    })?;
    eprintln!("{}", super::report::hint(&config.output));
    Ok(exit_status(&summary))
}

/// 2 when robosim could not verify some program, else 1 when anything was rejected or
/// invalid, else 0.
fn exit_status(summary: &Summary) -> ExitStatus {
    if summary.not_run > 0 {
        return ExitStatus::Error;
    }
    ExitStatus::failure_if(summary.rejected + summary.invalid_input > 0)
}

pub(crate) fn run(cli: &super::Cli, args: &BatchArgs) -> anyhow::Result<ExitStatus> {
    let mut config =
        args.shard.map_or_else(|| BatchConfig::new(&args.input), |s| BatchConfig::for_shard(&args.input, s));
    if let Some(out) = &args.out {
        config.output.clone_from(out);
    }
    config.accepted = if args.no_accepted { None } else { args.accepted.clone().or(config.accepted) };
    config.resume = args.resume;
    config.max_program_bytes = args.max_program_bytes;
    config.cache.clone_from(&args.cache);
    let backend;
    (backend, config.jobs) = super::backend::verification(cli, args.explore.config()?, args.jobs.get())?;

    // indicatif draws nothing when stderr is not a terminal.
    let bar = super::shared::progress_bar();
    bar.enable_steady_tick(Duration::from_millis(200));
    let (mut accepted, mut rejected, mut invalid) = (0u64, 0u64, 0u64);
    let summary = batch::run(&config, &backend, &mut |event| match event {
        Progress::Started { total, resumed } => {
            bar.set_length(total);
            bar.set_position(resumed);
        }
        Progress::Record { status, .. } => {
            match status {
                batch::Status::Accepted => accepted += 1,
                // Not run: robosim's failure, counted in the summary (and the exit code).
                batch::Status::Rejected | batch::Status::NotRun => rejected += 1,
                batch::Status::InvalidInput => invalid += 1,
            }
            bar.set_message(format!("{accepted} accepted, {rejected} rejected, {invalid} invalid"));
            bar.inc(1);
        }
    })?;
    bar.finish_and_clear();

    super::shared::print_out(args.json, &summary, |out, summary| print_summary(out, summary, &config))?;
    eprintln!("{}", super::report::hint(&config.output));
    Ok(exit_status(&summary))
}

fn print_summary(out: &mut impl Write, s: &Summary, config: &BatchConfig) -> std::io::Result<()> {
    writeln!(
        out,
        "{} records: {} accepted, {} rejected, {} invalid input{}{}",
        s.records,
        s.accepted,
        s.rejected,
        s.invalid_input,
        if s.not_run > 0 {
            format!(", {} not verified (robosim failed; see `not_run`)", s.not_run)
        } else {
            String::new()
        },
        if s.resumed > 0 { format!(" ({} resumed)", s.resumed) } else { String::new() }
    )?;
    for (class, count) in &s.by_class {
        writeln!(out, "  {class:<34} {count:>6}")?;
    }
    if s.reused + s.cache_hits > 0 {
        writeln!(out, "not verified again: {} repeated in the batch, {} from the cache", s.reused, s.cache_hits)?;
    }
    writeln!(
        out,
        "{} paths (per program: mean {}, 95th percentile {}; accepted after a search that was {}) in {:.2} s: {:.1} programs/s, {:.0} paths/s",
        s.paths,
        s.paths_mean,
        s.paths_p95,
        stopped(&s.stopped),
        s.wall_time.as_secs_f64(),
        s.programs_per_second,
        s.paths_per_second
    )?;
    if !s.slowest.is_empty() {
        writeln!(out, "slowest:")?;
        for slow in &s.slowest {
            writeln!(
                out,
                "  line {:>6}  {:>8.1} ms  {:>4} paths  id {}",
                slow.line,
                slow.seconds * 1e3,
                slow.paths,
                slow.id
            )?;
        }
    }
    writeln!(out, "verdicts: {}", config.output.display())?;
    if let (Some(path), Some(t)) = (&config.accepted, &s.training_set) {
        writeln!(
            out,
            "training set: {} ({} pairs; dropped {} duplicate instructions, {} duplicate programs, {} without instruction)",
            path.display(),
            t.written,
            t.duplicate_instructions,
            t.duplicate_programs,
            t.without_instruction
        )?;
    }
    Ok(())
}

/// `812 exhausted, 290 saturated, 2 capped`.
fn stopped(counts: &std::collections::BTreeMap<robosim::verify::SearchEnd, u64>) -> String {
    if counts.is_empty() {
        return "never run".to_owned();
    }
    counts.iter().map(|(why, n)| format!("{n} {}", why.stopped().as_str())).collect::<Vec<_>>().join(", ")
}
