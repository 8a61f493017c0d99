//! robosim's reward server: grading, verification and OpenRLHF's `get_reward` over HTTP, for
//! trainers that run on other machines (`robosim serve TASKS_DIR`).
//!
//! Endpoints: `POST /grade` (`{"completions": [{"task", "completion"}, …]}` → `{"grades": […]}`,
//! the records `robosim grade` writes, in order), `POST /verify` (`{"programs": […]}` →
//! `{"verdicts": […]}`), `POST /get_reward` (OpenRLHF's remote reward model: `{"query",
//! "prompts", "labels"}` → `{"rewards", "scores", "extra_logs"}`), `GET /health`, `GET /metrics`
//! (Prometheus text). Every resource a client can make it spend is bounded: the body size and
//! the batch size (413), the items queued over all requests (429 with `Retry-After`), each
//! request's time (items not started by its deadline come back `not_run`); programs run in
//! the backend's worker processes, so a hostile one costs its own grade only.
//!
//! ```
//! use std::sync::Arc;
//!
//! use robosim_backend::{Grading, Place, SandboxSetup, Verification};
//! use robosim_serve::{Backends, Limits, Server};
//!
//! let tasks = concat!(env!("CARGO_MANIFEST_DIR"), "/../../seeds/examples");
//! let grading = Grading::new(tasks.as_ref(), Default::default(), &SandboxSetup::default(), &Place::InProcess)?;
//! let verification = Verification::new(Default::default(), &SandboxSetup::default(), &Place::InProcess)?;
//! let backends = Backends::new(tasks.as_ref(), grading, verification, 1)?;
//! let server = Server::new(backends, Limits::default(), None);
//! let runtime = tokio::runtime::Runtime::new()?;
//! runtime.block_on(async {
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//!     let port = listener.local_addr()?.port();
//!     let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//!     let serving = tokio::spawn(server.serve(listener, async { stopped.await.ok(); }));
//!     // A client would POST to http://127.0.0.1:{port}/grade here.
//!     stop.send(()).ok();
//!     serving.await??;
//!     Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
//! })
//! .map_err(|e| e.to_string())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

mod handlers;
mod metrics;

use std::{
    collections::HashMap,
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    extract::{DefaultBodyLimit, Request, State},
    http::{StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use robosim_backend::{Grading, Verification};
use robosim_grade::Task;

pub use metrics::Metrics;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Tasks(#[from] robosim_grade::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// What the server grades and verifies with.
#[derive(Debug)]
pub struct Backends {
    tasks: Vec<Task>,
    grading: Grading,
    verification: Verification,
    /// Items in progress at once over all requests (threads calling the backends).
    jobs: usize,
}

impl Backends {
    /// The tasks of `tasks_dir` (the same directory `grading` was made for), graded by
    /// `grading`, programs verified by `verification`, `jobs` items at once.
    ///
    /// # Errors
    /// When the tasks cannot be loaded.
    pub fn new(tasks_dir: &Path, grading: Grading, verification: Verification, jobs: usize) -> Result<Self, Error> {
        Ok(Self { tasks: Task::load_dir(tasks_dir)?, grading, verification, jobs: jobs.max(1) })
    }
}

/// The bounds of what clients can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest request body (413 past it).
    pub max_body_bytes: usize,
    /// The most items (completions, programs, queries) in one request (413 past it).
    pub max_batch: usize,
    /// The most items queued or in progress over all requests; a request that would pass it
    /// is refused with 429 and `Retry-After`.
    pub max_queued: usize,
    /// A request's deadline: items not started by then come back `not_run`.
    pub request_timeout: Duration,
    /// `/get_reward`: the share of worlds passed instead of 1/0.
    pub fraction: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 << 20,
            max_batch: 8192,
            max_queued: 32_768,
            request_timeout: Duration::from_secs(300),
            fraction: false,
        }
    }
}

/// The server: its backends, limits, token and counters.
pub struct Server {
    state: Arc<ServerState>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("limits", &self.state.limits).finish_non_exhaustive()
    }
}

pub(crate) struct ServerState {
    pub(crate) backends: Backends,
    pub(crate) by_name: HashMap<String, usize>,
    pub(crate) limits: Limits,
    token: Option<String>,
    pub(crate) queued: AtomicUsize,
    pub(crate) metrics: Metrics,
    /// Lets only `jobs` blocking batches call the backends at once (each on its own threads).
    pub(crate) slots: tokio::sync::Semaphore,
}

impl Server {
    /// A server for `backends` under `limits`; with `token`, every endpoint but `/health` wants
    /// `Authorization: Bearer <token>`.
    #[must_use]
    pub fn new(backends: Backends, limits: Limits, token: Option<String>) -> Self {
        let by_name = backends.tasks.iter().enumerate().map(|(i, t)| (t.name.clone(), i)).collect();
        let slots = tokio::sync::Semaphore::new(backends.jobs);
        let state = ServerState {
            backends,
            by_name,
            limits,
            token,
            queued: AtomicUsize::new(0),
            metrics: Metrics::default(),
            slots,
        };
        Self { state: Arc::new(state) }
    }

    /// The routes, for embedding in another axum application.
    pub fn router(&self) -> Router {
        let state = self.state.clone();
        Router::new()
            .route("/grade", post(handlers::grade))
            .route("/verify", post(handlers::verify))
            .route("/get_reward", post(handlers::get_reward))
            .route("/metrics", get(metrics::render))
            .layer(middleware::from_fn_with_state(state.clone(), authorize))
            .route("/health", get(|| async { "ok\n" }))
            .layer(DefaultBodyLimit::max(self.state.limits.max_body_bytes))
            .with_state(state)
    }

    /// Serves on `listener` until `shutdown` completes, then stops accepting and lets the
    /// requests in flight finish (a SIGTERM drains).
    ///
    /// # Errors
    /// When the listener fails.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router()).with_graceful_shutdown(shutdown).await
    }
}

/// Refuses requests without the bearer token, when there is one.
async fn authorize(State(state): State<Arc<ServerState>>, request: Request, next: Next) -> Response {
    if let Some(token) = &state.token {
        let given = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        if given.and_then(|v| v.strip_prefix("Bearer ")) != Some(token.as_str()) {
            state.metrics.refused("unauthorized");
            return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "a bearer token is required\n")
                .into_response();
        }
    }
    next.run(request).await
}

/// Items of one request counted in the queue while it lives.
pub(crate) struct Queued<'a> {
    state: &'a ServerState,
    items: usize,
}

/// Why a request's items were refused.
pub(crate) enum Refusal {
    TooLarge { items: usize, max: usize },
    Busy { queued: usize },
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Self::TooLarge { items, max } => {
                (StatusCode::PAYLOAD_TOO_LARGE, format!("{items} items in one request; the most is {max}\n"))
                    .into_response()
            }
            Self::Busy { queued } => {
                let message = format!("{queued} items are queued; try again shortly\n");
                (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")], message).into_response()
            }
        }
    }
}

impl<'a> Queued<'a> {
    /// Room for `items` more, or why not.
    pub(crate) fn take(state: &'a ServerState, items: usize) -> Result<Self, Refusal> {
        let limits = &state.limits;
        if items > limits.max_batch {
            state.metrics.refused("batch_too_large");
            return Err(Refusal::TooLarge { items, max: limits.max_batch });
        }
        let mut now = state.queued.load(Ordering::Relaxed);
        loop {
            if now + items > limits.max_queued {
                state.metrics.refused("busy");
                return Err(Refusal::Busy { queued: now });
            }
            match state.queued.compare_exchange(now, now + items, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => return Ok(Self { state, items }),
                Err(actual) => now = actual,
            }
        }
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.state.queued.fetch_sub(self.items, Ordering::AcqRel);
    }
}
