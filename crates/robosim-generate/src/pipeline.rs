//! [`Pipeline`]: runs the stages in order and keeps `stats.json`.

use std::fs;

use robosim_llm::{Client, ClientStats};
use robosim_verify::Verifier;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{
    AlignStats, Error, ExportStats, InstructionStats, OnProgress, PipelineConfig, ProgramStats, Progress, Seeds, Stage,
    context::Context, files,
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
    /// Every setting the run used.
    pub settings: PipelineConfig,
}

impl Pipeline {
    /// # Errors
    /// When the seeds do not load or the output directory cannot be made.
    pub fn new(config: PipelineConfig, client: Client, verifier: Verifier) -> Result<Self, Error> {
        let seeds = Seeds::load_with(&config.seeds_dir, config.seed_tasks.as_deref(), config.prompts_dir.as_deref())?;
        fs::create_dir_all(&config.out_dir).map_err(|e| Error::io(&config.out_dir, e))?;
        Ok(Self { context: Context { config, seeds, client, verifier } })
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
        let json = |source| Error::Json { path: path.clone(), source };
        match serde_json::to_value(stats).map_err(json)? {
            Value::Object(new) => all.extend(new),
            _ => unreachable!("RunStats serialises as an object"),
        }
        let mut text = serde_json::to_vec_pretty(&all).map_err(json)?;
        text.push(b'\n');
        files::write_atomically(&path, &text)
    }
}
