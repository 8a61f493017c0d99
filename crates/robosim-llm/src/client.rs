//! The client: one blocking request at a time per call, safe to share between threads.

use std::{
    io,
    path::PathBuf,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use serde::Serialize;

use crate::{
    CacheKey, ChatRequest, Completion, Error, ResponseCache, TextRequest,
    wire::{Input, WireRequest, parse_completion},
};

/// Where the server is and how to sample.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The API root, e.g. `http://127.0.0.1:8000/v1`; `/chat/completions` (or `/completions`)
    /// is appended.
    pub base_url: String,
    pub model: String,
    /// Sent as `Authorization: Bearer …` when set.
    pub api_key: Option<String>,
    pub temperature: f64,
    pub top_p: f64,
    pub max_tokens: u32,
    /// Added to each request's sample number to make its sampling seed.
    pub seed: u64,
    /// For one attempt, from connecting to the last byte of the answer.
    pub timeout: Duration,
    /// Attempts after the first one, for failures worth retrying.
    pub retries: u32,
    /// The first backoff; it doubles per retry (with jitter) up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// Where answers are cached; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
}

impl ClientConfig {
    /// Defaults for a local server: no key, temperature 0.8, top-p 0.95, 1024 tokens,
    /// 120 s per attempt, 5 retries from 1 s up to 30 s, no cache.
    #[must_use]
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            model: model.into(),
            api_key: None,
            temperature: 0.8,
            top_p: 0.95,
            max_tokens: 1024,
            seed: 0,
            timeout: Duration::from_secs(120),
            retries: 5,
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            cache_dir: None,
        }
    }
}

/// What a client has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ClientStats {
    /// Requests sent (each attempt counts).
    pub requests: u64,
    /// Attempts that failed and were retried.
    pub retries: u64,
    /// Answers served from the cache.
    pub cache_hits: u64,
    /// Calls that failed for good.
    pub failures: u64,
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    retries: AtomicU64,
    cache_hits: AtomicU64,
    failures: AtomicU64,
}

/// A chat-completions client. Share it (`&Client` is `Sync`) between worker threads.
#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    agent: ureq::Agent,
    cache: Option<ResponseCache>,
    counters: Counters,
}

/// A request's own sampling settings (chat or text).
struct Sampling<'a> {
    temperature: Option<f64>,
    top_p: Option<f64>,
    max_tokens: Option<u32>,
    stop: &'a [String],
    sample: u32,
}

/// Why one attempt failed, and whether another is worth it.
struct Failed {
    error: Error,
    retry: bool,
    /// The server's `Retry-After`, if it sent one.
    after: Option<Duration>,
}

impl Client {
    #[must_use]
    pub fn new(config: ClientConfig) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(config.timeout))
            .http_status_as_error(false)
            .build()
            .into();
        let cache = config.cache_dir.clone().map(ResponseCache::new);
        Self { config, agent, cache, counters: Counters::default() }
    }

    #[must_use]
    pub const fn config(&self) -> &ClientConfig {
        &self.config
    }

    #[must_use]
    pub fn stats(&self) -> ClientStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ClientStats {
            requests: get(&self.counters.requests),
            retries: get(&self.counters.retries),
            cache_hits: get(&self.counters.cache_hits),
            failures: get(&self.counters.failures),
        }
    }

    /// Asks for one chat completion: from the cache if it has it, else from the server,
    /// retrying as configured; a successful answer is cached.
    ///
    /// # Errors
    /// The last attempt's error once retries are spent, at once for errors not worth
    /// retrying (4xx other than 408/409/429), or [`Error::Cache`].
    pub fn chat(&self, request: &ChatRequest) -> Result<Completion, Error> {
        let ChatRequest { messages, temperature, top_p, max_tokens, stop, sample } = request;
        let sampling =
            Sampling { temperature: *temperature, top_p: *top_p, max_tokens: *max_tokens, stop, sample: *sample };
        self.send(&self.wire(Input::Messages { messages }, &sampling), "chat/completions", true)
    }

    /// Asks for one text completion (`/completions`, the model continues the prompt), as
    /// [`Client::chat`] does for chat.
    ///
    /// # Errors
    /// As [`Client::chat`].
    pub fn complete(&self, request: &TextRequest) -> Result<Completion, Error> {
        let TextRequest { prompt, temperature, top_p, max_tokens, stop, sample } = request;
        let sampling =
            Sampling { temperature: *temperature, top_p: *top_p, max_tokens: *max_tokens, stop, sample: *sample };
        self.send(&self.wire(Input::Prompt { prompt }, &sampling), "completions", false)
    }

    /// The body of a request: the request's sampling settings, the client's where it has none.
    fn wire<'a>(&'a self, input: Input<'a>, sampling: &Sampling<'a>) -> WireRequest<'a> {
        WireRequest {
            model: &self.config.model,
            input,
            temperature: sampling.temperature.unwrap_or(self.config.temperature),
            top_p: sampling.top_p.unwrap_or(self.config.top_p),
            max_tokens: sampling.max_tokens.unwrap_or(self.config.max_tokens),
            stop: sampling.stop,
            seed: self.config.seed.wrapping_add(u64::from(sampling.sample)),
            stream: false,
        }
    }

    fn send(&self, wire: &WireRequest<'_>, endpoint: &str, chat: bool) -> Result<Completion, Error> {
        let body = serde_json::to_vec(wire).map_err(|e| Error::Malformed { reason: e.to_string(), attempts: 0 })?;
        let key = CacheKey::of(&body);
        if let Some(hit) = self.cache.as_ref().and_then(|c| c.get(&key)) {
            self.counters.cache_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(Completion { cached: true, attempts: 0, ..hit });
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            match self.attempt(&body, endpoint, chat, attempt) {
                Ok(mut completion) => {
                    completion.attempts = attempt;
                    if let Some(cache) = &self.cache {
                        cache.put(&key, &completion)?;
                    }
                    return Ok(completion);
                }
                Err(failed) if failed.retry && attempt <= self.config.retries => {
                    self.counters.retries.fetch_add(1, Ordering::Relaxed);
                    std::thread::sleep(
                        failed.after.unwrap_or_else(|| self.backoff(attempt)).min(self.config.max_backoff),
                    );
                }
                Err(failed) => {
                    self.counters.failures.fetch_add(1, Ordering::Relaxed);
                    return Err(failed.error);
                }
            }
        }
    }

    /// Exponential backoff with full jitter in its upper half, so workers that failed
    /// together do not come back together.
    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.config.backoff.saturating_mul(1 << (attempt - 1).min(16));
        base.mul_f64(0.5 + fastrand::f64() / 2.0)
    }

    fn attempt(&self, body: &[u8], endpoint: &str, chat: bool, attempts: u32) -> Result<Completion, Failed> {
        let url = format!("{}/{endpoint}", self.config.base_url.trim_end_matches('/'));
        let mut request = self.agent.post(&url).header("content-type", "application/json");
        if let Some(key) = &self.config.api_key {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        let transport = |e: ureq::Error| self.transport_error(e, attempts);
        let mut response = request.send(body).map_err(transport)?;
        let status = response.status().as_u16();
        let after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = response.body_mut().read_to_string().map_err(transport)?;
        if !(200..300).contains(&status) {
            let retry = matches!(status, 408 | 409 | 429 | 500..=599);
            let body = text.chars().take(500).collect();
            return Err(Failed { error: Error::Status { status, body, attempts }, retry, after });
        }
        // A broken body is most often a server or proxy hiccup: worth another try.
        parse_completion(&text, chat).map_err(|reason| Failed {
            error: Error::Malformed { reason, attempts },
            retry: true,
            after: None,
        })
    }

    fn transport_error(&self, error: ureq::Error, attempts: u32) -> Failed {
        let timeout_ms = u64::try_from(self.config.timeout.as_millis()).unwrap_or(u64::MAX);
        // A malformed base URL will not mend itself; anything else (refused while the
        // server starts, reset, DNS) might.
        let retry = !matches!(error, ureq::Error::BadUri(_));
        let error = match error {
            ureq::Error::Timeout(_) => Error::Timeout { timeout_ms, attempts },
            ureq::Error::Io(e) if matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock) => {
                Error::Timeout { timeout_ms, attempts }
            }
            other => Error::Transport { message: other.to_string(), attempts },
        };
        Failed { error, retry, after: None }
    }
}
