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
//! ```
//! use robosim_generate::{Pipeline, PipelineConfig, Stage};
//! use robosim_llm::{Client, ClientConfig};
//! use robosim_verify::{Verifier, VerifyConfig};
//! # use robosim_llm::mock::{Reply, ScriptedServer};
//! # let server = ScriptedServer::start(|request, _| {
//! #     let asked = request.last_user();
//! #     Reply::content(if asked.contains("new tasks for the robot") {
//! #         "1. Go to the kitchen and tell whoever is there that lunch is ready\n2. Check whether the library has a red book\n".to_owned()
//! #     } else {
//! #         "```python\ndef task_program():\n    go_to('kitchen')\n    say('Lunch is ready')\n```".to_owned()
//! #     })
//! # })?;
//! # let base_url = server.base_url();
//! # let out = tempfile::tempdir()?;
//! # let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/../../seeds");
//!
//! // base_url: the model's server, e.g. vLLM's http://127.0.0.1:8000/v1 (scripted here);
//! // seeds: the shipped seeds/ directory.
//! let mut llm = ClientConfig::new(&base_url, "Qwen2.5-Coder-7B-Instruct");
//! llm.cache_dir = Some(out.path().join("cache"));
//! let mut config = PipelineConfig::new(seeds, out.path());
//! config.target_tasks = 2;
//! let pipeline = Pipeline::new(config, Client::new(llm), Verifier::new(VerifyConfig::default())?)?;
//! let stats = pipeline.run(&Stage::ALL, &|_progress| {})?;
//! assert!(out.path().join("stats.json").is_file());
//! println!("{}", serde_json::to_string_pretty(&stats)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

mod align;
mod config;
mod context;
mod error;
mod export;
pub mod files;
mod instructions;
mod library;
mod pipeline;
mod programs;
mod progress;
mod seeds;
mod similarity;

pub use align::{AlignStats, Aligned, Choice};
pub use config::{PipelineConfig, RequestShape, Sampling, StageSampling};
pub use error::Error;
pub use export::{ExportStats, Variant, VariantStats, calls_robot_api, text_field};
pub use instructions::{InstructionStats, parse_instruction_list, parse_rewrite};
pub use library::{Rejection, Task, TaskLibrary};
pub use pipeline::{Decontamination, Pipeline, RunStats};
pub use programs::{Attempt, AttemptStatus, ProgramStats, TaskPrograms, extract_code};
pub use progress::{OnProgress, Progress, Stage};
pub use seeds::{EvolStyle, Prompts, SeedTask, Seeds, Template};
pub use similarity::{DedupMethod, Similarity, benchmark_prompts, edit_similarity, rouge_l, tokens};
