//! robosim's LLM client: a blocking client for servers that speak the OpenAI-compatible
//! chat-completions protocol (vLLM, llama.cpp's server, Ollama, hosted APIs), and its plain
//! text-completions endpoint for base models.
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

#![forbid(unsafe_code)]

mod cache;
mod client;
mod error;
#[cfg(feature = "mock")]
pub mod mock;
mod wire;

pub use cache::{CacheKey, ResponseCache};
pub use client::{Client, ClientConfig, ClientStats};
pub use error::Error;
pub use wire::{ChatRequest, Completion, Message, Role, TextRequest};
