//! robosim's batch verification: a JSONL file of generated (instruction, program) pairs
//! in, one verdict record per line out (in input order, flushed as it goes), and a clean
//! training set.
//!
//! Programs are verified on `jobs` threads sharing one sandbox. Bad lines (empty, not JSON,
//! no `program`, not UTF-8, too large) become `invalid_input` records and the batch goes on.
//! An interrupted run continues with `resume`: the records already written are checked
//! against the input, a torn last line is cut off, and nothing is done twice.
//!
//! ```
//! use robosim_batch::{BatchConfig, run};
//! use robosim_verify::{Verifier, VerifyConfig};
//!
//! # let dir = tempfile::tempdir()?;
//! # let input = dir.path().join("raw.jsonl");
//! # std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/raw.jsonl"), &input)?;
//! // The shipped example batch (data/raw.jsonl): verdicts and a training set beside it.
//! let verifier = Verifier::new(VerifyConfig::default())?;
//! let config = BatchConfig::new(&input);
//! let summary = run(&config, &verifier, &mut |_progress| {})?;
//! assert_eq!(summary.records, 13);
//! assert_eq!(summary.accepted + summary.rejected + summary.invalid_input, 13);
//! assert!(config.output.is_file() && summary.training_set.is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

mod error;
mod input;
mod manifest;
mod merge;
mod output;
mod reuse;
mod run;
mod stream;
mod summary;
mod training;

pub use error::Error;
pub use input::{Input, Line, parse_line, too_long_line};
pub use manifest::{Manifest, Shard, ShardOf};
pub use merge::{MergeConfig, merge};
pub use output::{Record, RecordMeta, Status};
pub use stream::verify_stream;
pub use summary::{Slow, Summary};
pub use training::TrainingSetStats;

pub use robosim_sandbox::DEFAULT_MAX_PROGRAM_BYTES;
pub use run::{BatchConfig, Progress, manifest, run};
