//! robosim's LLM client: a blocking client for servers that speak the OpenAI-compatible
//! chat-completions protocol (vLLM, llama.cpp's server, Ollama, hosted APIs).
//!
//! Made for data generation, where a run sends thousands of requests and may be stopped at
//! any point: failed requests are retried with exponential backoff (429 and 5xx, time-outs,
//! broken connections, answers that are not a well-formed completion), honouring
//! `Retry-After`; answers are cached on disk, keyed by everything that determines them, so
//! a run started again after an interruption pays for nothing twice.
//!
//! ```no_run
//! use robosim_llm::{ChatRequest, Client, ClientConfig, Message};
//!
//! let mut config = ClientConfig::new("http://127.0.0.1:8000/v1", "my-model");
//! config.cache_dir = Some("target/llm-cache".into());
//! let client = Client::new(config);
//! let answer = client.chat(&ChatRequest::new(vec![Message::user("Say hello.")]))?;
//! println!("{}", answer.content);
//! # Ok::<(), robosim_llm::Error>(())
//! ```

mod cache;
mod client;
#[cfg(feature = "mock")]
pub mod mock;
mod wire;

pub use cache::{CacheKey, ResponseCache};
pub use client::{Client, ClientConfig, ClientStats};
pub use wire::{ChatRequest, Completion, Message, Role};

use std::path::PathBuf;

/// What can go wrong with a chat request (after the retries, where they apply).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with an error status.
    #[error("the server answered {status} after {attempts} attempt(s): {body}")]
    Status { status: u16, body: String, attempts: u32 },
    /// No answer within the time-out.
    #[error("no answer within {timeout_ms} ms after {attempts} attempt(s)")]
    Timeout { timeout_ms: u64, attempts: u32 },
    /// The connection failed or broke.
    #[error("cannot reach the server after {attempts} attempt(s): {message}")]
    Transport { message: String, attempts: u32 },
    /// The answer was not a chat completion (bad JSON, no choices, no message).
    #[error("malformed answer after {attempts} attempt(s): {reason}")]
    Malformed { reason: String, attempts: u32 },
    /// The cache directory could not be written.
    #[error("cannot write the response cache at {path}")]
    Cache {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// A short, stable name for statistics and records.
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Status { .. } => "status",
            Self::Timeout { .. } => "timeout",
            Self::Transport { .. } => "transport",
            Self::Malformed { .. } => "malformed",
            Self::Cache { .. } => "cache",
        }
    }
}
