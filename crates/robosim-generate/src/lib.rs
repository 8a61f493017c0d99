//! robosim's data pipeline, the generation half of Robo-Instruct: from a handful of seed
//! tasks and the robot API to a fine-tuning dataset of aligned (instruction, program) pairs,
//! written by a model served behind an OpenAI-compatible chat-completions API.
//!
//! Stages, each reading the previous one's file in the output directory:
//! 1. **instructions** — Self-Instruct (few-shot from the seeds, mixing in generated tasks)
//!    and Evol-Instruct (four rewrite styles); near-duplicates (ROUGE-L ≥ threshold) dropped;
//!    kept tasks go to the task library `tasks.jsonl`, reused by later rounds and runs;
//! 2. **programs** — up to K programs per task, each checked by RoboSim as it arrives
//!    (rejection sampling): the first accepted one is kept, the rejected ones are recorded with
//!    their errors (`programs.jsonl`);
//! 3. **align** — InstAlign: the model revises each instruction to state what its program
//!    does, then picks the original or the revision (`aligned.jsonl`);
//! 4. **export** — de-duplication, programs that call no robot function dropped, the dataset
//!    as chat `messages` and as instruction/output JSONL, and `stats.json`.
//!
//! Every model answer is cached on disk and every random choice is seeded, so a run stopped
//! at any point and started again sends only the requests it had not finished.
//!
//! ```no_run
//! use robosim_generate::{Pipeline, PipelineConfig, Stage};
//! use robosim_llm::{Client, ClientConfig};
//! use robosim_verify::{Verifier, VerifyConfig};
//!
//! let mut llm = ClientConfig::new("http://127.0.0.1:8000/v1", "Qwen2.5-Coder-7B-Instruct");
//! llm.cache_dir = Some("out/cache".into());
//! let config = PipelineConfig::new("seeds", "out");
//! let pipeline = Pipeline::new(config, Client::new(llm), Verifier::new(VerifyConfig::default())?)?;
//! let stats = pipeline.run(&Stage::ALL, &|_event| {})?;
//! println!("{}", serde_json::to_string_pretty(&stats)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod align;
mod export;
mod instructions;
mod library;
mod parallel;
mod programs;
mod seeds;
mod similarity;

use std::{
    fs,
    path::{Path, PathBuf},
};

pub use align::{AlignStats, Aligned, Choice};
pub use export::{ExportStats, calls_robot_api};
pub use instructions::{InstructionStats, parse_instruction_list, parse_rewrite};
pub use library::{Rejection, Task, TaskLibrary};
pub use programs::{Attempt, AttemptStatus, ProgramStats, TaskPrograms, extract_code};
pub use seeds::{EvolStyle, Prompts, SeedTask, Seeds, Template};
pub use similarity::{rouge_l, tokens};

use robosim_llm::Client;
use robosim_verify::Verifier;
use serde_json::{Map, Value};

/// What can stop the pipeline (a failed model call does not: it is recorded and the
/// pipeline goes on).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("seeds/tasks.jsonl line {line}: {detail}")]
    Seed { line: usize, detail: String },
    #[error("prompt template {name}: {detail}")]
    Template { name: String, detail: String },
    #[error("{path} line {line}: {detail}")]
    Library { path: PathBuf, line: usize, detail: String },
    /// A stage's input file is missing: the stage before it has not run.
    #[error("{path} does not exist: run the `{stage}` stage first")]
    MissingInput { path: PathBuf, stage: &'static str },
    #[error(transparent)]
    Llm(#[from] robosim_llm::Error),
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io { path: path.to_owned(), source }
    }
}

/// A pipeline stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    Instructions,
    Programs,
    Align,
    Export,
}

impl Stage {
    pub const ALL: [Self; 4] = [Self::Instructions, Self::Programs, Self::Align, Self::Export];

    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Instructions => "instructions",
            Self::Programs => "programs",
            Self::Align => "align",
            Self::Export => "export",
        }
    }
}

/// Progress, for bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A stage (or an instruction round) begins with `total` units of work.
    Started {
        stage: Stage,
        total: u64,
    },
    /// One unit done.
    Advanced {
        stage: Stage,
    },
    Finished {
        stage: Stage,
    },
}

/// The pipeline's knobs.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    pub seeds_dir: PathBuf,
    pub out_dir: PathBuf,
    /// Generated tasks wanted in the library (counting those from earlier runs).
    pub target_tasks: usize,
    /// Model requests per instruction round.
    pub requests_per_round: usize,
    /// New tasks asked for in each Self-Instruct request.
    pub tasks_per_request: usize,
    /// Few-shot examples per Self-Instruct prompt: from the seeds, and from generated tasks
    /// once the library has that many.
    pub seed_examples: usize,
    pub generated_examples: usize,
    /// Share of instruction requests that are Evol-Instruct rewrites of a library task.
    pub evol_ratio: f64,
    /// ROUGE-L F at or above which a new task counts as a near-duplicate.
    pub similarity_threshold: f64,
    /// Instruction rounds, at most, in this run; it also stops after 3 rounds that add nothing.
    pub max_rounds: usize,
    /// Programs sampled per task, at most (K).
    pub samples: u32,
    /// Seed (instruction, program) pairs shown before each task.
    pub few_shot_programs: usize,
    /// Threads sending requests (and verifying).
    pub concurrency: usize,
    pub seed: u64,
}

impl PipelineConfig {
    #[must_use]
    pub fn new(seeds_dir: impl Into<PathBuf>, out_dir: impl Into<PathBuf>) -> Self {
        Self {
            seeds_dir: seeds_dir.into(),
            out_dir: out_dir.into(),
            target_tasks: 100,
            requests_per_round: 8,
            tasks_per_request: 8,
            seed_examples: 6,
            generated_examples: 2,
            evol_ratio: 0.3,
            similarity_threshold: 0.7,
            max_rounds: 1000,
            samples: 3,
            few_shot_programs: 4,
            concurrency: 8,
            seed: 0,
        }
    }
}

/// The files of a run.
pub mod files {
    pub const TASKS: &str = "tasks.jsonl";
    pub const PROGRAMS: &str = "programs.jsonl";
    pub const ALIGNED: &str = "aligned.jsonl";
    pub const MESSAGES: &str = "dataset.messages.jsonl";
    pub const INSTRUCTION_OUTPUT: &str = "dataset.instruction.jsonl";
    pub const STATS: &str = "stats.json";
}

/// The pipeline: seeds, the model, the verifier.
#[derive(Debug)]
pub struct Pipeline {
    config: PipelineConfig,
    seeds: Seeds,
    client: Client,
    verifier: Verifier,
}

/// Progress callback, called from worker threads.
pub type OnEvent<'a> = &'a (dyn Fn(Event) + Sync);

impl Pipeline {
    /// # Errors
    /// When the seeds do not load or the output directory cannot be made.
    pub fn new(config: PipelineConfig, client: Client, verifier: Verifier) -> Result<Self, Error> {
        let seeds = Seeds::load(&config.seeds_dir)?;
        fs::create_dir_all(&config.out_dir).map_err(|e| Error::io(&config.out_dir, e))?;
        Ok(Self { config, seeds, client, verifier })
    }

    #[must_use]
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Asks the model. A failed request (after the client's retries) is the inner error, for
    /// the stage to record; a cache that cannot be written stops the pipeline (outer error).
    pub(crate) fn ask(
        &self,
        request: &robosim_llm::ChatRequest,
    ) -> Result<Result<robosim_llm::Completion, robosim_llm::Error>, Error> {
        match self.client.chat(request) {
            Err(robosim_llm::Error::Cache { path, source }) => Err(Error::Io { path, source }),
            answer => Ok(answer),
        }
    }

    pub(crate) fn path(&self, file: &str) -> PathBuf {
        self.config.out_dir.join(file)
    }

    /// A seeded generator for one decision (`what`, `n`), the same on every run.
    pub(crate) fn rng(&self, what: &str, n: u64) -> fastrand::Rng {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ self.config.seed;
        for b in what.bytes().chain(n.to_le_bytes()) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        fastrand::Rng::with_seed(h)
    }

    /// Runs `stages` in order; returns the statistics of the run (also merged into
    /// `stats.json`, which keeps the sections of stages run earlier).
    ///
    /// # Errors
    /// I/O on the output directory, a stage whose input is missing, a cache that cannot be
    /// written. Model failures are recorded, not raised.
    pub fn run(&self, stages: &[Stage], on_event: OnEvent<'_>) -> Result<Value, Error> {
        let mut stats = Map::new();
        for stage in Stage::ALL.into_iter().filter(|s| stages.contains(s)) {
            let section = match stage {
                Stage::Instructions => to_value(&self.instructions(on_event)?),
                Stage::Programs => to_value(&self.programs(on_event)?),
                Stage::Align => to_value(&self.align(on_event)?),
                Stage::Export => to_value(&self.export(on_event)?),
            };
            stats.insert(stage.name().into(), section);
            on_event(Event::Finished { stage });
        }
        stats.insert("llm".into(), to_value(&self.client.stats()));
        self.merge_stats(&stats)?;
        Ok(Value::Object(stats))
    }

    fn merge_stats(&self, new: &Map<String, Value>) -> Result<(), Error> {
        let path = self.path(files::STATS);
        let mut all: Map<String, Value> =
            fs::read_to_string(&path).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
        all.extend(new.clone());
        let text = serde_json::to_string_pretty(&all).unwrap_or_default() + "\n";
        fs::write(&path, text).map_err(|e| Error::io(&path, e))
    }
}

fn to_value(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Writes `records` as JSONL to `path` (through a temporary file, so a kill leaves the old
/// file or the new one).
pub(crate) fn write_jsonl<T: serde::Serialize>(path: &Path, records: &[T]) -> Result<(), Error> {
    let mut text = String::new();
    for record in records {
        text.push_str(&serde_json::to_string(record).unwrap_or_default());
        text.push('\n');
    }
    let tmp = path.with_extension("jsonl.tmp");
    fs::write(&tmp, text).map_err(|e| Error::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

/// Reads a JSONL file written by an earlier stage.
pub(crate) fn read_jsonl<T: serde::de::DeserializeOwned>(path: &Path, stage: &'static str) -> Result<Vec<T>, Error> {
    if !path.exists() {
        return Err(Error::MissingInput { path: path.to_owned(), stage });
    }
    let text = fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| Error::Library {
                path: path.to_owned(),
                line: i + 1,
                detail: e.to_string(),
            })
        })
        .collect()
}
