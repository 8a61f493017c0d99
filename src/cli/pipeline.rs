//! `robosim pipeline OUT_DIR`: the Robo-Instruct data pipeline against an OpenAI-compatible
//! server.

use std::{io::Write, path::PathBuf};

use anyhow::bail;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use parking_lot::Mutex;
use robosim::{
    generate::{DedupMethod, Pipeline, PipelineConfig, Progress, RequestShape, RunStats, Stage},
    llm::Client,
};

use super::shared::{ExitStatus, ExploreArgs, ServerArgs};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StageArg {
    Instructions,
    Programs,
    Align,
    Export,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PresetArg {
    /// The Robo-Instruct paper's procedure.
    Paper,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DedupArg {
    /// ROUGE-L F over word tokens (Self-Instruct's).
    RougeL,
    /// Edit similarity over word tokens or `--tokenizer`'s (the reference's).
    Edit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ShapeArg {
    List,
    Turns,
}

#[derive(Debug, Args)]
pub(crate) struct PipelineArgs {
    /// Where the task library, stage files, dataset, statistics and (by default) the response
    /// cache go. Running again in the same directory resumes: cached answers are not re-asked.
    out: PathBuf,
    /// The seed tasks, robot API and prompt templates (a directory), or a file of seed tasks
    /// only (JSONL with `instruction` and optional `program`, or one instruction per line, as
    /// the reference's `seed_instructions.csv`), the rest then coming from `seeds/`.
    #[arg(long, default_value = "seeds")]
    seeds: PathBuf,
    /// Prompt templates from this directory instead of SEEDS/prompts (the same file names
    /// and holes).
    #[arg(long, value_name = "DIR")]
    prompts: Option<PathBuf>,
    /// The stages to run, in order.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "instructions,programs,align,export")]
    stages: Vec<StageArg>,

    #[command(flatten)]
    server: ServerArgs,
    /// Start from a shipped settings file: `paper` is the paper's procedure
    /// (`seeds/presets/paper.toml`). Flags given as well override it.
    #[arg(long, value_enum, conflicts_with = "settings")]
    preset: Option<PresetArg>,
    /// Start from a settings file (TOML, the keys of `seeds/presets/paper.toml`).
    #[arg(long, value_name = "FILE")]
    settings: Option<PathBuf>,
    /// One sampling setting of one kind of request, `STAGE.KEY=VALUE` (repeatable): STAGE is
    /// instructions, programs, revise or decide; KEY temperature, top_p, max_tokens, stop or
    /// best_of; VALUE is TOML (`--sampling 'programs.stop=["\n\n"]'`).
    #[arg(long, value_name = "STAGE.KEY=VALUE")]
    sampling: Vec<String>,
    /// Temperature of the instruction, program and revision requests (decisions stay as set).
    #[arg(long)]
    temperature: Option<f64>,
    /// Top-p of the instruction, program and revision requests.
    #[arg(long)]
    top_p: Option<f64>,
    /// Maximum tokens of every request.
    #[arg(long)]
    max_tokens: Option<u32>,
    /// Model requests in flight at once; each verifies the programs it gets back (in one of
    /// `-j` worker processes).
    #[arg(long, default_value_t = 8)]
    pub(crate) concurrency: usize,
    #[command(flatten)]
    pub(crate) jobs: super::shared::JobsArgs,

    /// Generated tasks wanted in the task library, counting those from earlier runs [default: 100].
    #[arg(long)]
    tasks: Option<usize>,
    /// Model requests per instruction round [default: 8].
    #[arg(long)]
    requests_per_round: Option<usize>,
    /// How Self-Instruct asks: a list of new tasks per request, or the reference's chat turns
    /// with one task per request [default: list].
    #[arg(long, value_enum)]
    self_instruct_shape: Option<ShapeArg>,
    /// New tasks asked for in each Self-Instruct request of the list shape [default: 8].
    #[arg(long)]
    tasks_per_request: Option<usize>,
    /// Share of instruction requests that are Evol-Instruct rewrites [default: 0.3].
    #[arg(long)]
    evol_ratio: Option<f64>,
    /// How near-duplicate tasks are told [default: rouge-l].
    #[arg(long, value_enum)]
    dedup: Option<DedupArg>,
    /// ROUGE-L at or above which (rouge-l), or edit similarity above which (edit), a task is a
    /// near-duplicate [default: 0.7].
    #[arg(long)]
    similarity: Option<f64>,
    /// A Hugging Face `tokenizer.json` for edit similarity (as the reference uses its model's
    /// tokenizer) [default: word tokens].
    #[arg(long, value_name = "FILE")]
    tokenizer: Option<PathBuf>,
    /// Task directories whose prompts generated tasks and seeds must not copy (repeatable)
    /// [default: SEEDS/roboeval and SEEDS/examples].
    #[arg(long, value_name = "DIR", conflicts_with = "no_decontaminate")]
    decontaminate: Vec<PathBuf>,
    /// Do not check against any benchmark's prompts.
    #[arg(long)]
    no_decontaminate: bool,
    /// Pairs kept per dataset variant, at most (the paper keeps 5,000).
    #[arg(long, value_name = "N")]
    max_examples: Option<usize>,
    /// Programs sampled per task, at most (K) [default: 3].
    #[arg(long)]
    samples: Option<u32>,
    /// Seed (instruction, program) pairs shown before each task [default: 4].
    #[arg(long)]
    few_shot: Option<usize>,
    /// Print the run's statistics as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    explore: ExploreArgs,
}

/// The settings: robosim's defaults, then the preset or settings file, then the flags.
fn config(args: &PipelineArgs) -> anyhow::Result<PipelineConfig> {
    let (seeds_dir, seed_tasks) = if args.seeds.is_file() {
        (PathBuf::from("seeds"), Some(args.seeds.clone()))
    } else {
        (args.seeds.clone(), None)
    };
    let file = match (&args.preset, &args.settings) {
        (Some(PresetArg::Paper), _) => Some(seeds_dir.join("presets/paper.toml")),
        (None, file) => file.clone(),
    };
    let mut config = match &file {
        Some(file) => PipelineConfig::from_settings_file(file, &seeds_dir, &args.out)?,
        None => PipelineConfig::new(&seeds_dir, &args.out),
    };
    config.seed_tasks = seed_tasks;
    config.prompts_dir.clone_from(&args.prompts);
    let sampling = &mut config.sampling;
    for stage in [&mut sampling.instructions, &mut sampling.programs, &mut sampling.revise] {
        stage.temperature = args.temperature.unwrap_or(stage.temperature);
        stage.top_p = args.top_p.unwrap_or(stage.top_p);
    }
    for stage in [&mut sampling.instructions, &mut sampling.programs, &mut sampling.revise, &mut sampling.decide] {
        stage.max_tokens = args.max_tokens.unwrap_or(stage.max_tokens);
    }
    for assignment in &args.sampling {
        sampling.set(assignment)?;
    }
    let set = |value: Option<usize>, field: &mut usize| *field = value.unwrap_or(*field);
    set(args.tasks, &mut config.target_tasks);
    set(args.requests_per_round, &mut config.requests_per_round);
    set(args.tasks_per_request, &mut config.tasks_per_request);
    set(args.few_shot, &mut config.few_shot_programs);
    config.self_instruct_shape = match args.self_instruct_shape {
        Some(ShapeArg::List) => RequestShape::List,
        Some(ShapeArg::Turns) => RequestShape::Turns,
        None => config.self_instruct_shape,
    };
    config.evol_ratio = args.evol_ratio.unwrap_or(config.evol_ratio);
    config.similarity_threshold = args.similarity.unwrap_or(config.similarity_threshold);
    config.dedup = match args.dedup {
        Some(DedupArg::RougeL) => DedupMethod::RougeL,
        Some(DedupArg::Edit) => DedupMethod::Edit,
        None => config.dedup,
    };
    if args.tokenizer.is_some() {
        config.tokenizer.clone_from(&args.tokenizer);
    }
    if args.no_decontaminate {
        config.decontaminate = Some(Vec::new());
    } else if !args.decontaminate.is_empty() {
        config.decontaminate = Some(args.decontaminate.clone());
    }
    config.max_examples = args.max_examples.or(config.max_examples);
    config.samples = args.samples.unwrap_or(config.samples);
    config.concurrency = args.concurrency.max(1);
    config.seed = args.explore.seed.unwrap_or(config.seed);
    Ok(config)
}

pub(crate) fn run(cli: &super::Cli, args: &PipelineArgs) -> anyhow::Result<ExitStatus> {
    let mut llm = args.server.client_config(&args.out)?;
    let config = config(args)?;
    llm.seed = config.seed;
    // One seed for the model's sampling and the verifier's choices.
    let verify = robosim::verify::VerifyConfig { seed: config.seed, ..args.explore.config()? };
    let (verifier, _) = super::backend::verification(cli, verify, args.jobs.get())?;
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
    super::shared::print_out(args.json, &stats, |out, stats| print_summary(out, stats, args))?;
    eprintln!("{}", super::report::hint(&args.out));
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
        let variants: Vec<String> = s.variants.iter().map(|(name, v)| format!("{name} {}", v.written)).collect();
        writeln!(
            out,
            "export: {} pairs written ({} duplicate instructions, {} duplicate programs, {} without robot calls) to {dir}/dataset.{{messages,instruction,text}}.jsonl; variants in {dir}/variants: {}; first programs rejected by RoboSim: {:.1}% of {}",
            s.full.written,
            s.full.duplicate_instructions,
            s.full.duplicate_programs,
            s.full.no_robot_call,
            variants.join(", "),
            100.0 * s.first_programs_rejected_rate,
            s.first_programs_verified,
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
