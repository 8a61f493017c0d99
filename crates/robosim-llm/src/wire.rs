//! The chat-completions messages, as robosim sends and reads them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    #[must_use]
    pub fn system(content: impl Into<String>) -> Self {
        Self { role: Role::System, content: content.into() }
    }

    #[must_use]
    pub fn user(content: impl Into<String>) -> Self {
        Self { role: Role::User, content: content.into() }
    }

    #[must_use]
    pub fn assistant(content: impl Into<String>) -> Self {
        Self { role: Role::Assistant, content: content.into() }
    }
}

/// One request. Sampling settings left `None` come from the [`crate::ClientConfig`].
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub messages: Vec<Message>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub max_tokens: Option<u32>,
    /// Strings at which the server stops generating (none: the server's default).
    pub stop: Vec<String>,
    /// Which sample this is when the same prompt is asked several times: part of the cache
    /// key, and sent as the sampling seed, so sample 2 is not sample 1 served from the cache.
    pub sample: u32,
}

impl ChatRequest {
    #[must_use]
    pub const fn new(messages: Vec<Message>) -> Self {
        Self { messages, temperature: None, top_p: None, max_tokens: None, stop: Vec::new(), sample: 0 }
    }

    #[must_use]
    pub const fn sample(mut self, sample: u32) -> Self {
        self.sample = sample;
        self
    }

    #[must_use]
    pub const fn temperature(mut self, temperature: f64) -> Self {
        self.temperature = Some(temperature);
        self
    }
}

/// A plain text-completion request (`/completions`): the model continues `prompt`, as base
/// models are evaluated. Sampling settings left `None` come from the [`crate::ClientConfig`].
#[derive(Debug, Clone, PartialEq)]
pub struct TextRequest {
    pub prompt: String,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub max_tokens: Option<u32>,
    pub stop: Vec<String>,
    /// As [`ChatRequest::sample`].
    pub sample: u32,
}

impl TextRequest {
    #[must_use]
    pub fn new(prompt: impl Into<String>) -> Self {
        Self { prompt: prompt.into(), temperature: None, top_p: None, max_tokens: None, stop: Vec::new(), sample: 0 }
    }
}

/// What a request asks for: chat messages or a text prompt.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum Input<'a> {
    Messages { messages: &'a [Message] },
    Prompt { prompt: &'a str },
}

/// The request body as sent (and hashed for the cache key). Fields added since the first
/// release (`stop`) are left out when unused, so the bodies, and the cache keys, of requests
/// that do not use them stay what they were.
#[derive(Debug, Serialize)]
pub(crate) struct WireRequest<'a> {
    pub model: &'a str,
    #[serde(flatten)]
    pub input: Input<'a>,
    pub temperature: f64,
    pub top_p: f64,
    pub max_tokens: u32,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub stop: &'a [String],
    pub seed: u64,
    pub stream: bool,
}

/// A model's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completion {
    pub content: String,
    /// `stop`, `length` (cut off at `max_tokens`), …, as the server says.
    pub finish_reason: Option<String>,
    /// Served from the on-disk cache.
    #[serde(skip)]
    pub cached: bool,
    /// Requests sent for it (0 when cached).
    #[serde(skip)]
    pub attempts: u32,
}

/// Reads the first choice of a response body: `message.content` of a chat completion, `text`
/// of a text completion.
pub(crate) fn parse_completion(body: &str, chat: bool) -> Result<Completion, String> {
    let value: Value = serde_json::from_str(body).map_err(|e| format!("not JSON ({e})"))?;
    let choices = value.get("choices").and_then(Value::as_array).ok_or("no `choices` array")?;
    let choice = choices.first().ok_or("empty `choices`")?;
    let content = if chat {
        choice
            .get("message")
            .and_then(|m| m.get("content"))
            .and_then(Value::as_str)
            .ok_or("the first choice has no `message.content` string")?
    } else {
        choice.get("text").and_then(Value::as_str).ok_or("the first choice has no `text` string")?
    };
    let finish_reason = choice.get("finish_reason").and_then(Value::as_str).map(str::to_owned);
    Ok(Completion { content: content.to_owned(), finish_reason, cached: false, attempts: 0 })
}

#[cfg(test)]
mod tests {
    use super::parse_completion;

    #[test]
    fn reads_the_first_choice() {
        let body = r#"{"choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}"#;
        let completion = parse_completion(body, true).unwrap();
        assert_eq!((completion.content.as_str(), completion.finish_reason.as_deref()), ("hi", Some("stop")));
    }

    #[test]
    fn names_what_is_wrong() {
        assert!(
            parse_completion(r#"{"choices":[{"message":{"content":"hi"#, true).unwrap_err().starts_with("not JSON")
        );
        assert_eq!(parse_completion(r#"{"choices":[]}"#, true).unwrap_err(), "empty `choices`");
        assert_eq!(parse_completion(r#"{"error":"x"}"#, true).unwrap_err(), "no `choices` array");
        assert!(
            parse_completion(r#"{"choices":[{"message":{"content":null}}]}"#, true).unwrap_err().contains("content")
        );
        // A text completion is read from `text`, and a chat answer is not one.
        let text = r#"{"choices":[{"index":0,"text":"    go_to(\"x\")\n","finish_reason":"length"}]}"#;
        let completion = parse_completion(text, false).unwrap();
        assert_eq!(
            (completion.content.as_str(), completion.finish_reason.as_deref()),
            ("    go_to(\"x\")\n", Some("length"))
        );
        assert!(parse_completion(text, true).unwrap_err().contains("message.content"));
    }
}
