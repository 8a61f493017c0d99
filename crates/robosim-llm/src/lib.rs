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
//! ```
//! use robosim_llm::{ChatRequest, Client, ClientConfig, Message};
//! # use robosim_llm::mock::{Reply, ScriptedServer};
//! # let server = ScriptedServer::start(|_, _| Reply::content("Hello."))?;
//! # let base_url = server.base_url();
//!
//! // base_url: "http://127.0.0.1:8000/v1" for vLLM (a scripted server stands in for it here).
//! let mut config = ClientConfig::new(&base_url, "my-model");
//! # let dir = tempfile::tempdir()?;
//! config.cache_dir = Some(dir.path().join("llm-cache"));
//! let client = Client::new(config);
//! let answer = client.chat(&ChatRequest::new(vec![Message::user("Say hello.")]))?;
//! assert_eq!(answer.content, "Hello.");
//! # Ok::<(), Box<dyn std::error::Error>>(())
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
