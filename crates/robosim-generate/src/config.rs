//! The pipeline's settings: the knobs of each stage and the sampling settings of each kind of
//! request, from defaults, a settings file (TOML; `seeds/presets/paper.toml` is the paper's
//! procedure) and flags.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{DedupMethod, Error};

/// How the model is sampled for one kind of request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StageSampling {
    pub temperature: f64,
    pub top_p: f64,
    pub max_tokens: u32,
    /// Strings at which the server stops (none: the server's default).
    pub stop: Vec<String>,
    /// Samples asked for each request, one kept by a vote among their parsed answers (the
    /// reference asks vLLM for `best_of = 3`, the likeliest of three, which an
    /// OpenAI-compatible server does not offer for chat; a vote is the nearest it allows).
    /// Used by `revise` and `decide`; 1 asks once.
    pub best_of: u32,
}

impl Default for StageSampling {
    /// robosim's defaults: temperature 0.8, top-p 0.95, 1,024 tokens, asked once.
    fn default() -> Self {
        Self { temperature: 0.8, top_p: 0.95, max_tokens: 1024, stop: Vec::new(), best_of: 1 }
    }
}

/// The sampling settings of each kind of request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sampling {
    /// Self-Instruct and Evol-Instruct requests.
    pub instructions: StageSampling,
    /// Programs for a task (rejection sampling).
    pub programs: StageSampling,
    /// InstAlign's revision of an instruction.
    pub revise: StageSampling,
    /// InstAlign's decision between the original and the revision.
    pub decide: StageSampling,
}

impl Default for Sampling {
    /// [`StageSampling::default`] everywhere, except greedy decisions.
    fn default() -> Self {
        Self {
            instructions: StageSampling::default(),
            programs: StageSampling::default(),
            revise: StageSampling::default(),
            decide: StageSampling { temperature: 0.0, ..StageSampling::default() },
        }
    }
}

impl Sampling {
    /// Sets one value from `stage.key=value` (`programs.temperature=1.0`, `decide.best_of=3`,
    /// `instructions.stop=["\n\n"]`; a value is TOML).
    ///
    /// # Errors
    /// [`Error::Settings`] for an unknown stage or key, or a value of the wrong type.
    pub fn set(&mut self, assignment: &str) -> Result<(), Error> {
        let bad = |detail: String| Error::Settings { origin: "a --sampling flag".into(), detail };
        let (path, value) =
            assignment.split_once('=').ok_or_else(|| bad(format!("{assignment:?} is not STAGE.KEY=VALUE")))?;
        let (stage, key) = path.trim().split_once('.').ok_or_else(|| bad(format!("{path:?} is not STAGE.KEY")))?;
        let target = match stage {
            "instructions" => &mut self.instructions,
            "programs" => &mut self.programs,
            "revise" => &mut self.revise,
            "decide" => &mut self.decide,
            other => return Err(bad(format!("unknown stage {other:?} (instructions, programs, revise, decide)"))),
        };
        // Through TOML, so a flag reads exactly as the settings file would.
        let mut table = toml::Table::try_from(&*target).map_err(|e| bad(e.to_string()))?;
        if !table.contains_key(key) {
            return Err(bad(format!("unknown key {key:?} (temperature, top_p, max_tokens, stop, best_of)")));
        }
        let value: toml::Value = format!("v = {}", value.trim())
            .parse::<toml::Table>()
            .map_err(|e| bad(format!("{value:?}: {e}")))?
            .remove("v")
            .unwrap_or(toml::Value::Boolean(false));
        table.insert(key.to_owned(), value);
        *target = table.try_into().map_err(|e: toml::de::Error| bad(e.to_string()))?;
        Ok(())
    }
}

/// How a Self-Instruct request asks for new tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestShape {
    /// One message: the API, numbered example tasks, "write N new ones" (robosim's).
    List,
    /// The API as the system prompt, each example task as an earlier answer to "generate a
    /// task", one new task per request (the reference's).
    Turns,
}

/// The pipeline's knobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineConfig {
    #[serde(skip)]
    pub seeds_dir: PathBuf,
    #[serde(skip)]
    pub out_dir: PathBuf,
    /// Seed tasks from this file instead of `seeds_dir/tasks.jsonl` (see [`crate::Seeds::load_with`]).
    #[serde(skip_deserializing)]
    pub seed_tasks: Option<PathBuf>,
    /// Prompt templates from this directory instead of `seeds_dir/prompts`.
    #[serde(skip_deserializing)]
    pub prompts_dir: Option<PathBuf>,
    /// Generated tasks wanted in the library (counting those from earlier runs).
    pub target_tasks: usize,
    /// Model requests per instruction round.
    pub requests_per_round: usize,
    /// How Self-Instruct asks ([`RequestShape::Turns`] asks for one task per request).
    pub self_instruct_shape: RequestShape,
    /// New tasks asked for in each Self-Instruct request of shape [`RequestShape::List`].
    pub tasks_per_request: usize,
    /// Example tasks per Self-Instruct prompt, from the seeds.
    pub seed_examples: usize,
    /// Generated tasks among the examples, once the library has `generated_examples_after`.
    pub generated_examples: usize,
    pub generated_examples_after: usize,
    /// Whether generated examples replace seed examples (the reference: 6 seeds, later 4
    /// seeds + 2 generated) or come on top of them (robosim's).
    pub generated_replace_seeds: bool,
    /// Share of instruction requests that are Evol-Instruct rewrites of a library task.
    pub evol_ratio: f64,
    /// How near-duplicate tasks are told ([`DedupMethod`]), among generated tasks, against the
    /// seeds and against the benchmark's prompts.
    pub dedup: DedupMethod,
    /// ROUGE-L F at or above which (`rouge-l`), or edit similarity above which (`edit`), two
    /// tasks are the same.
    pub similarity_threshold: f64,
    /// A Hugging Face `tokenizer.json` whose tokens edit similarity compares (the reference
    /// uses its model's); without one, word tokens.
    pub tokenizer: Option<PathBuf>,
    /// Task directories whose prompts generated tasks and seeds must not copy [default: the
    /// seeds directory's `roboeval` and `examples`, those that exist; `[]` turns it off].
    pub decontaminate: Option<Vec<PathBuf>>,
    /// Pairs kept per dataset variant, at most (the first ones, after de-duplication).
    pub max_examples: Option<usize>,
    /// Instruction rounds, at most, in this run; it also stops after 3 rounds that add nothing.
    pub max_rounds: usize,
    /// Programs sampled per task, at most (K).
    pub samples: u32,
    /// Seed (instruction, program) pairs shown before each task.
    pub few_shot_programs: usize,
    /// The sampling settings of each kind of request.
    pub sampling: Sampling,
    /// Threads sending requests (and verifying).
    pub concurrency: usize,
    pub seed: u64,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            seeds_dir: PathBuf::new(),
            out_dir: PathBuf::new(),
            seed_tasks: None,
            prompts_dir: None,
            target_tasks: 100,
            requests_per_round: 8,
            self_instruct_shape: RequestShape::List,
            tasks_per_request: 8,
            seed_examples: 6,
            generated_examples: 2,
            generated_examples_after: 2,
            generated_replace_seeds: false,
            evol_ratio: 0.3,
            dedup: DedupMethod::RougeL,
            similarity_threshold: 0.7,
            tokenizer: None,
            decontaminate: None,
            max_examples: None,
            max_rounds: 1000,
            samples: 3,
            few_shot_programs: 4,
            sampling: Sampling::default(),
            concurrency: 8,
            seed: 0,
        }
    }
}

impl PipelineConfig {
    #[must_use]
    pub fn new(seeds_dir: impl Into<PathBuf>, out_dir: impl Into<PathBuf>) -> Self {
        Self { seeds_dir: seeds_dir.into(), out_dir: out_dir.into(), ..Self::default() }
    }

    /// The task directories to decontaminate against (see [`PipelineConfig::decontaminate`]).
    #[must_use]
    pub fn benchmark_dirs(&self) -> Vec<PathBuf> {
        self.decontaminate.clone().unwrap_or_else(|| {
            ["roboeval", "examples"].iter().map(|d| self.seeds_dir.join(d)).filter(|d| d.is_dir()).collect()
        })
    }

    /// Settings from a TOML file over robosim's defaults (a key the file leaves out keeps its
    /// default; an unknown key is an error).
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::Settings`].
    pub fn from_settings_file(
        path: &Path,
        seeds_dir: impl Into<PathBuf>,
        out_dir: impl Into<PathBuf>,
    ) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let config: Self = toml::from_str(&text)
            .map_err(|e| Error::Settings { origin: path.display().to_string(), detail: e.to_string() })?;
        Ok(Self { seeds_dir: seeds_dir.into(), out_dir: out_dir.into(), ..config })
    }
}
