//! [`Pipeline`]: runs the stages in order and keeps `stats.json`.

use std::fs;

use robosim_llm::{Client, ClientStats};
use robosim_verify::Verify;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{
    AlignStats, Error, ExportStats, InstructionStats, OnProgress, PipelineConfig, ProgramStats, Progress, Seeds,
    Similarity, Stage, context::Context, files, similarity::benchmark_prompts,
};

/// The pipeline: seeds, the model, the verifier.
#[derive(Debug)]
pub struct Pipeline {
    context: Context,
}

/// What a run did: a section per stage that ran, and the model client's counters.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunStats {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instructions: Option<InstructionStats>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub programs: Option<ProgramStats>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub align: Option<AlignStats>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export: Option<ExportStats>,
    pub llm: ClientStats,
    pub decontamination: Decontamination,
    /// Every setting the run used.
    pub settings: PipelineConfig,
}

/// What decontamination compared against, and what it left out before the stages ran.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Decontamination {
    /// Prompts of the benchmark's task files.
    pub benchmark_prompts: usize,
    /// Seeds left out as near-duplicates of a benchmark prompt.
    pub seeds_dropped: Vec<String>,
}

impl Pipeline {
    /// # Errors
    /// When the seeds do not load or the output directory cannot be made.
    pub fn new(config: PipelineConfig, client: Client, verifier: impl Verify + Send + 'static) -> Result<Self, Error> {
        let mut seeds =
            Seeds::load_with(&config.seeds_dir, config.seed_tasks.as_deref(), config.prompts_dir.as_deref())?;
        let similarity = Similarity::new(config.dedup, config.similarity_threshold, config.tokenizer.as_deref())?;
        let benchmark = benchmark_prompts(&config.benchmark_dirs())?;
        // A seed that copies a benchmark prompt would teach the benchmark: it is left out.
        let prompts: Vec<Vec<u64>> = benchmark.iter().map(|p| similarity.tokens(p)).collect();
        let mut contaminated_seeds = Vec::new();
        seeds.tasks.retain(|seed| {
            let tokens = similarity.tokens(&seed.instruction);
            let copied = prompts.iter().any(|p| similarity.similar(&tokens, p));
            if copied {
                contaminated_seeds.push(seed.id.clone());
            }
            !copied
        });
        fs::create_dir_all(&config.out_dir).map_err(|e| Error::io(&config.out_dir, e))?;
        let verifier: Box<dyn Verify + Send> = Box::new(verifier);
        let context = Context { config, seeds, client, verifier, similarity, benchmark, contaminated_seeds };
        Ok(Self { context })
    }

    #[must_use]
    pub const fn client(&self) -> &Client {
        &self.context.client
    }

    /// Runs `stages` in order; returns the statistics of the run (also merged into
    /// `stats.json`, which keeps the sections of stages run earlier).
    ///
    /// # Errors
    /// I/O on the output directory, a stage whose input is missing, a cache that cannot be
    /// written, a `stats.json` that is not one. Model failures are recorded, not raised.
    pub fn run(&self, stages: &[Stage], on_progress: OnProgress<'_>) -> Result<RunStats, Error> {
        let cx = &self.context;
        let mut stats = RunStats::default();
        for stage in Stage::ALL.into_iter().filter(|s| stages.contains(s)) {
            match stage {
                Stage::Instructions => stats.instructions = Some(cx.instructions(on_progress)?),
                Stage::Programs => stats.programs = Some(cx.programs(on_progress)?),
                Stage::Align => stats.align = Some(cx.align(on_progress)?),
                Stage::Export => stats.export = Some(cx.export(on_progress)?),
            }
            on_progress(Progress::Finished { stage });
        }
        stats.llm = cx.client.stats();
        stats.settings = cx.config.clone();
        stats.decontamination =
            Decontamination { benchmark_prompts: cx.benchmark.len(), seeds_dropped: cx.contaminated_seeds.clone() };
        self.merge_stats(&stats)?;
        Ok(stats)
    }

    /// Writes this run's sections into `stats.json` over those of earlier runs.
    fn merge_stats(&self, stats: &RunStats) -> Result<(), Error> {
        let path = self.context.path(files::STATS);
        let mut all: Map<String, Value> = match fs::read_to_string(&path) {
            Ok(text) => {
                serde_json::from_str(&text).map_err(|e| Error::Stats { path: path.clone(), detail: e.to_string() })?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
            Err(e) => return Err(Error::io(&path, e)),
        };
        match serde_json::to_value(stats).map_err(|source| Error::Json { path: path.clone(), source })? {
            Value::Object(new) => all.extend(new),
            _ => unreachable!("RunStats serialises as an object"),
        }
        Ok(robosim_fs::write_json_atomic(&path, &all)?)
    }
}
