//! The pipeline's settings.

use std::path::PathBuf;

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
