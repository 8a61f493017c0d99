//! `robosim pipeline OUT_DIR`: the Robo-Instruct data pipeline against an OpenAI-compatible
//! server.

use std::{io::Write, path::PathBuf, sync::Arc};

use anyhow::bail;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use parking_lot::Mutex;
use robosim::{
    Sandbox,
    generate::{Pipeline, PipelineConfig, Progress, RunStats, Stage},
    llm::Client,
    verify::Verifier,
};

use super::shared::{ExitStatus, ExploreArgs, ServerArgs};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StageArg {
    Instructions,
    Programs,
    Align,
    Export,
}

#[derive(Debug, Args)]
pub(crate) struct PipelineArgs {
    /// Where the task library, stage files, dataset, statistics and (by default) the response
    /// cache go. Running again in the same directory resumes: cached answers are not re-asked.
    out: PathBuf,
    /// The seed tasks, robot API and prompt templates.
    #[arg(long, default_value = "seeds")]
    seeds: PathBuf,
    /// The stages to run, in order.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "instructions,programs,align,export")]
    stages: Vec<StageArg>,

    #[command(flatten)]
    server: ServerArgs,
    #[arg(long, default_value_t = 0.8)]
    temperature: f64,
    #[arg(long, default_value_t = 0.95)]
    top_p: f64,
    #[arg(long, default_value_t = 1024)]
    max_tokens: u32,
    /// Model requests in flight at once. Each worker verifies the programs it gets back, so
    /// this is also the number of verification threads (`-j`/`--jobs` are other names for it).
    #[arg(long, short = 'j', visible_alias = "jobs", default_value_t = 8)]
    pub(crate) concurrency: usize,

    /// Generated tasks wanted in the task library (counting those from earlier runs).
    #[arg(long, default_value_t = 100)]
    tasks: usize,
    /// Model requests per instruction round.
    #[arg(long, default_value_t = 8)]
    requests_per_round: usize,
    /// New tasks asked for in each Self-Instruct request.
    #[arg(long, default_value_t = 8)]
    tasks_per_request: usize,
    /// Share of instruction requests that are Evol-Instruct rewrites.
    #[arg(long, default_value_t = 0.3)]
    evol_ratio: f64,
    /// ROUGE-L at or above which a new task is a near-duplicate.
    #[arg(long, default_value_t = 0.7)]
    similarity: f64,
    /// Programs sampled per task, at most (K).
    #[arg(long, default_value_t = 3)]
    samples: u32,
    /// Seed (instruction, program) pairs shown before each task.
    #[arg(long, default_value_t = 4)]
    few_shot: usize,
    /// Print the run's statistics as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    explore: ExploreArgs,
}

pub(crate) fn run(sandbox: &Arc<Sandbox>, args: &PipelineArgs) -> anyhow::Result<ExitStatus> {
    let mut llm = args.server.client_config(&args.out)?;
    llm.temperature = args.temperature;
    llm.top_p = args.top_p;
    llm.max_tokens = args.max_tokens;
    llm.seed = args.explore.seed;

    let mut config = PipelineConfig::new(&args.seeds, &args.out);
    config.target_tasks = args.tasks;
    config.requests_per_round = args.requests_per_round;
    config.tasks_per_request = args.tasks_per_request;
    config.evol_ratio = args.evol_ratio;
    config.similarity_threshold = args.similarity;
    config.samples = args.samples;
    config.few_shot_programs = args.few_shot;
    config.concurrency = args.concurrency.max(1);
    config.seed = args.explore.seed;
    let verifier = Verifier::with_sandbox(sandbox.clone(), args.explore.config(sandbox.limits()));
    let pipeline = Pipeline::new(config, Client::new(llm), verifier)?;

    let stages: Vec<Stage> = args
        .stages
        .iter()
        .map(|s| match s {
            StageArg::Instructions => Stage::Instructions,
            StageArg::Programs => Stage::Programs,
            StageArg::Align => Stage::Align,
            StageArg::Export => Stage::Export,
        })
        .collect();
    let bar: Mutex<Option<ProgressBar>> = Mutex::new(None);
    let on_progress = |progress: Progress| {
        let mut bar = bar.lock();
        match progress {
            Progress::Started { stage, total } => {
                let new = ProgressBar::new(total);
                new.set_style(
                    ProgressStyle::with_template("{prefix:>12} [{elapsed_precise}] {bar:30} {pos}/{len} ETA {eta}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                new.set_prefix(stage.name());
                *bar = Some(new);
            }
            Progress::Advanced { .. } => bar.iter().for_each(|b| b.inc(1)),
            Progress::Finished { .. } => bar.take().iter().for_each(ProgressBar::finish),
        }
    };
    let stats = pipeline.run(&stages, &on_progress)?;
    let llm = pipeline.client().stats();
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&stats)?)?;
    } else {
        print_summary(&mut out, &stats, args)?;
    }
    let answered = llm.cache_hits + llm.requests.saturating_sub(llm.retries + llm.failures);
    if llm.failures > 0 && answered == 0 {
        bail!("every model request failed ({} of them): is the server at {} up?", llm.failures, args.server.base_url);
    }
    Ok(ExitStatus::Success)
}

fn print_summary(out: &mut impl Write, stats: &RunStats, args: &PipelineArgs) -> std::io::Result<()> {
    let dir = args.out.display();
    if let Some(s) = &stats.instructions {
        let evol: u64 = s.kept_evol.values().sum();
        writeln!(
            out,
            "instructions: {} kept this run ({} self-instruct, evol {}), {} near-duplicates, {} malformed; library {} ({dir}/tasks.jsonl)",
            s.kept_self_instruct + evol,
            s.kept_self_instruct,
            json(&s.kept_evol),
            s.dropped_similar,
            json(&s.dropped_invalid),
            s.library_size,
        )?;
    }
    if let Some(s) = &stats.programs {
        writeln!(
            out,
            "programs: {}/{} tasks accepted (rate {}), {} samples {}, errors {} ({dir}/programs.jsonl)",
            s.accepted_tasks,
            s.tasks,
            s.task_acceptance_rate,
            s.samples,
            json(&s.samples_by_status),
            json(&s.error_classes),
        )?;
    }
    if let Some(s) = &stats.align {
        writeln!(
            out,
            "align: {} pairs: {} revised, {} original, {} unchanged, {} unparsed, {} failed ({dir}/aligned.jsonl)",
            s.pairs, s.kept_revised, s.kept_original, s.unchanged, s.unparsed, s.llm_errors,
        )?;
    }
    if let Some(s) = &stats.export {
        writeln!(
            out,
            "export: {} pairs written ({} duplicate instructions, {} duplicate programs, {} without robot calls) to {dir}/dataset.messages.jsonl and {dir}/dataset.instruction.jsonl",
            s.written, s.duplicate_instructions, s.duplicate_programs, s.no_robot_call,
        )?;
    }
    let s = &stats.llm;
    writeln!(
        out,
        "model: {} requests, {} retries, {} failures, {} cache hits; statistics in {dir}/stats.json",
        s.requests, s.retries, s.failures, s.cache_hits,
    )
}

/// A map of counts as compact JSON: `{"accepted":3,"rejected":1}`.
fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("<{e}>"))
}
