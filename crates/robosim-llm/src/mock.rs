//! A local OpenAI-compatible server (chat and text completions) that answers from a script: for testing code that uses
//! [`crate::Client`] without a model (CI machines cannot run one).
//!
//! ```
//! use robosim_llm::{ChatRequest, Client, ClientConfig, Message, mock::{Reply, ScriptedServer}};
//!
//! let server = ScriptedServer::start(|request, _n| Reply::content(format!("echo: {}", request.last_user())))?;
//! let client = Client::new(ClientConfig::new(server.base_url(), "m"));
//! let answer = client.chat(&ChatRequest::new(vec![Message::user("hi")])).unwrap();
//! assert_eq!(answer.content, "echo: hi");
//! assert_eq!(server.received().len(), 1);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::{io, sync::Arc, thread::JoinHandle, time::Duration};

use parking_lot::Mutex;
use serde_json::{Value, json};

/// What the server received.
#[derive(Debug, Clone)]
pub struct Received {
    /// The request's path, e.g. `/v1/chat/completions` or `/v1/completions`.
    pub path: String,
    /// The request body (Null if it was not JSON).
    pub body: Value,
    pub authorization: Option<String>,
}

impl Received {
    /// The content of the last user message ("" if none).
    #[must_use]
    pub fn last_user(&self) -> &str {
        self.messages().iter().rev().find(|m| m["role"] == "user").and_then(|m| m["content"].as_str()).unwrap_or("")
    }

    /// All message contents, joined by newlines.
    #[must_use]
    pub fn text(&self) -> String {
        self.messages().iter().filter_map(|m| m["content"].as_str()).collect::<Vec<_>>().join("\n")
    }

    #[must_use]
    pub fn messages(&self) -> &[Value] {
        self.body["messages"].as_array().map_or(&[], Vec::as_slice)
    }

    /// The prompt of a text-completion request ("" if none).
    #[must_use]
    pub fn prompt(&self) -> &str {
        self.body["prompt"].as_str().unwrap_or("")
    }

    /// A text-completion request (to `/completions`), not a chat request.
    #[must_use]
    pub fn is_text(&self) -> bool {
        !self.path.ends_with("/chat/completions")
    }
}

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(String, String)>,
    /// How long to wait before answering (to provoke time-outs).
    pub delay: Duration,
}

impl Reply {
    /// A well-formed completion with this content.
    #[must_use]
    pub fn content(content: impl Into<String>) -> Self {
        let body = json!({
            "id": "chatcmpl-scripted",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content.into()}, "finish_reason": "stop"}],
        });
        Self::raw(200, body.to_string())
    }

    /// A well-formed text completion (the answer of `/completions`) with this text.
    #[must_use]
    pub fn text(text: impl Into<String>) -> Self {
        let body = json!({
            "id": "cmpl-scripted",
            "object": "text_completion",
            "choices": [{"index": 0, "text": text.into(), "finish_reason": "stop"}],
        });
        Self::raw(200, body.to_string())
    }

    /// The answer `content` in the shape the request asked for: a chat completion to a chat
    /// request, a text completion to a text one.
    #[must_use]
    pub fn answer(request: &Received, content: impl Into<String>) -> Self {
        if request.is_text() { Self::text(content) } else { Self::content(content) }
    }

    /// Any status and body.
    #[must_use]
    pub fn raw(status: u16, body: impl Into<String>) -> Self {
        Self { status, body: body.into(), headers: Vec::new(), delay: Duration::ZERO }
    }

    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    #[must_use]
    pub const fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

type Script = dyn Fn(&Received, usize) -> Reply + Send + Sync;

/// The server: listens on 127.0.0.1 (a free port) until dropped; each request is answered on
/// its own thread by `script(request, n)`, `n` counting requests from 0.
pub struct ScriptedServer {
    server: Arc<tiny_http::Server>,
    base_url: String,
    received: Arc<Mutex<Vec<Received>>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for ScriptedServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptedServer").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

impl ScriptedServer {
    /// Starts the server.
    ///
    /// # Errors
    /// When no local port can be bound.
    pub fn start(script: impl Fn(&Received, usize) -> Reply + Send + Sync + 'static) -> io::Result<Self> {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").map_err(io::Error::other)?);
        let port = server.server_addr().to_ip().map_or(0, |a| a.port());
        let received = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let thread = {
            let (server, received) = (Arc::clone(&server), Arc::clone(&received));
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    let (script, received) = (Arc::clone(&script), Arc::clone(&received));
                    std::thread::spawn(move || answer(request, &*script, &received));
                }
            })
        };
        Ok(Self { server, base_url: format!("http://127.0.0.1:{port}/v1"), received, thread: Some(thread) })
    }

    /// The URL to give a [`crate::ClientConfig`].
    #[must_use]
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// Every request received so far, in arrival order.
    #[must_use]
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().clone()
    }
}

fn answer(mut request: tiny_http::Request, script: &Script, log: &Mutex<Vec<Received>>) {
    let mut body = String::new();
    let _ = request.as_reader().read_to_string(&mut body);
    let authorization =
        request.headers().iter().find(|h| h.field.equiv("authorization")).map(|h| h.value.as_str().to_owned());
    let path = request.url().to_owned();
    let received = Received { path, body: serde_json::from_str(&body).unwrap_or(Value::Null), authorization };
    let n = {
        let mut log = log.lock();
        log.push(received.clone());
        log.len() - 1
    };
    let reply = script(&received, n);
    std::thread::sleep(reply.delay);
    let mut response = tiny_http::Response::from_string(reply.body).with_status_code(reply.status);
    for (name, value) in reply.headers.iter().chain([&("content-type".to_owned(), "application/json".to_owned())]) {
        if let Ok(header) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response.add_header(header);
        }
    }
    // The client may have given up (time-out tests): a failed write is expected then.
    let _ = request.respond(response);
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
