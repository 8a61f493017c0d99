//! The three work endpoints: each takes its items, queues them (or refuses), runs them on the
//! backends in blocking threads, in order, and answers with one result per item.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{
    Json,
    extract::State,
    response::{IntoResponse, Response},
};
use robosim_grade::{GradeRecord, GradeStatus, Grader, Task, WorldResult, roboeval::post_process};
use robosim_parallel::{Window, json_weight, ordered_map};
use robosim_sandbox::DEFAULT_MAX_PROGRAM_BYTES;
use robosim_verify::{Verdict, Verify};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{Queued, ServerState};

/// Why an item was not run: the request's deadline passed before its turn.
const LATE: &str = "the request's deadline passed before this item's turn (the server was busy); send it again";

/// `f` over `items` on the backends' threads, in order; an item whose turn comes after
/// `deadline` gets `late(item)` instead. `None` when the work itself failed (a panic: robosim's
/// bug), which the handlers answer with 500.
async fn run_all<T, R>(
    state: &Arc<ServerState>,
    items: Vec<T>,
    f: impl Fn(&ServerState, &T) -> R + Send + Sync + 'static,
    late: impl Fn(&T) -> R + Send + Sync + 'static,
) -> Option<Vec<R>>
where
    T: Send + Sync + 'static,
    R: Send + Serialize + 'static,
{
    let deadline = Instant::now() + state.limits.request_timeout;
    let _permit = state.slots.acquire().await.ok()?;
    let state = state.clone();
    let work = tokio::task::spawn_blocking(move || {
        let jobs = state.backends.jobs;
        let mut out = Vec::with_capacity(items.len());
        let work = |item: &&T| if Instant::now() > deadline { late(item) } else { f(&state, item) };
        let sink = |_: &T, result| {
            out.push(result);
            Ok::<(), std::convert::Infallible>(())
        };
        let Ok(()) = ordered_map(items.iter(), jobs, Window::items(jobs * 4), work, json_weight, sink);
        out
    });
    work.await.ok()
}

/// The answer when robosim itself failed a whole request.
fn failed() -> Response {
    (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "robosim failed on this request; its log says why\n")
        .into_response()
}

#[derive(Deserialize)]
pub(crate) struct GradeBody {
    completions: Vec<Value>,
}

/// The record of one completion (`line`: its 1-based place in the request).
fn grade_one(state: &ServerState, (line, value): &(usize, Value)) -> GradeRecord {
    // The one task the completion names (read_completion says what is wrong otherwise).
    let named = value.get("task").and_then(Value::as_str).and_then(|n| state.by_name.get_key_value(n));
    let by_name = named.map(|(name, &i)| (name.as_str(), &state.backends.tasks[i])).into_iter().collect();
    match robosim_grade::read_completion(value, &by_name, DEFAULT_MAX_PROGRAM_BYTES) {
        Ok((task, source)) => {
            let worlds = state.backends.grading.grade(task, &source);
            GradeRecord::graded(*line, value, task, state.backends.grading.trace(), worlds)
        }
        Err(message) => GradeRecord::invalid(*line, message),
    }
}

fn late_record(state: &ServerState, (line, value): &(usize, Value)) -> GradeRecord {
    let task = value.get("task").and_then(Value::as_str).and_then(|n| state.by_name.get(n));
    match task {
        Some(&i) => {
            let task = &state.backends.tasks[i];
            GradeRecord::graded(*line, value, task, state.backends.grading.trace(), robosim_grade::not_run(task, LATE))
        }
        None => GradeRecord::invalid(*line, LATE.to_owned()),
    }
}

/// `POST /grade`.
pub(crate) async fn grade(State(state): State<Arc<ServerState>>, Json(body): Json<GradeBody>) -> Response {
    let started = Instant::now();
    let queued = match Queued::take(&state, body.completions.len()) {
        Ok(queued) => queued,
        Err(refused) => return refused.into_response(),
    };
    let items: Vec<(usize, Value)> = body.completions.into_iter().enumerate().map(|(i, v)| (i + 1, v)).collect();
    let late_state = state.clone();
    let Some(records) = run_all(&state, items, grade_one, move |item| late_record(&late_state, item)).await else {
        return failed();
    };
    drop(queued);
    for record in &records {
        state.metrics.graded(status_name(record.status));
    }
    state.metrics.request("grade", records.len(), started.elapsed());
    Json(json!({ "grades": records })).into_response()
}

const fn status_name(status: GradeStatus) -> &'static str {
    match status {
        GradeStatus::Passed => "passed",
        GradeStatus::Failed => "failed",
        GradeStatus::InvalidInput => "invalid_input",
        GradeStatus::NotRun => "not_run",
    }
}

#[derive(Deserialize)]
pub(crate) struct VerifyBody {
    programs: Vec<String>,
}

/// `POST /verify`.
pub(crate) async fn verify(State(state): State<Arc<ServerState>>, Json(body): Json<VerifyBody>) -> Response {
    let started = Instant::now();
    let queued = match Queued::take(&state, body.programs.len()) {
        Ok(queued) => queued,
        Err(refused) => return refused.into_response(),
    };
    let verify = |state: &ServerState, program: &String| state.backends.verification.verify(program);
    let late = |_: &String| Verdict::not_run(LATE.to_owned(), 0, 0, Duration::ZERO);
    let Some(verdicts) = run_all(&state, body.programs, verify, late).await else { return failed() };
    drop(queued);
    for verdict in &verdicts {
        let class = verdict.failure().map_or_else(|| verdict.stopped().as_str().to_owned(), |f| f.class.summary_key());
        state.metrics.verified(&class);
    }
    state.metrics.request("verify", verdicts.len(), started.elapsed());
    Json(json!({ "verdicts": verdicts })).into_response()
}

/// OpenRLHF's remote reward model request: prompt and response together in `query`, the
/// prompt alone in `prompts`, the task's name in `labels`.
#[derive(Deserialize)]
pub(crate) struct RewardBody {
    query: Vec<String>,
    #[serde(default)]
    prompts: Vec<String>,
    #[serde(default)]
    labels: Vec<Value>,
}

/// One query's reward: `None` when its label names no task.
fn reward_one(state: &ServerState, (query, prompt, label): &(String, String, Value)) -> Option<Vec<WorldResult>> {
    let task: &Task = label.as_str().and_then(|n| state.by_name.get(n)).map(|&i| &state.backends.tasks[i])?;
    let response = query.strip_prefix(prompt.as_str()).unwrap_or(query);
    Some(state.backends.grading.grade(task, &post_process(response)))
}

/// `POST /get_reward`.
pub(crate) async fn get_reward(State(state): State<Arc<ServerState>>, Json(body): Json<RewardBody>) -> Response {
    let started = Instant::now();
    let queued = match Queued::take(&state, body.query.len()) {
        Ok(queued) => queued,
        Err(refused) => return refused.into_response(),
    };
    let n = body.query.len();
    let prompts = body.prompts.into_iter().chain(std::iter::repeat(String::new()));
    let labels = body.labels.into_iter().chain(std::iter::repeat(Value::Null));
    let items: Vec<(String, String, Value)> =
        body.query.into_iter().zip(prompts).zip(labels).map(|((q, p), l)| (q, p, l)).take(n).collect();
    let Some(results) = run_all(&state, items, reward_one, |_| None).await else { return failed() };
    drop(queued);
    let fraction = state.limits.fraction;
    let mut ungraded = 0u64;
    let rewards: Vec<f64> = results
        .iter()
        .map(|worlds| match worlds {
            Some(worlds) if !worlds.is_empty() && !worlds.iter().any(WorldResult::not_run) => {
                let passed = worlds.iter().filter(|w| w.passed).count();
                #[allow(clippy::cast_precision_loss)] // a task has a handful of worlds
                if fraction { passed as f64 / worlds.len() as f64 } else { f64::from(u8::from(passed == worlds.len())) }
            }
            _ => {
                ungraded += 1;
                0.0
            }
        })
        .collect();
    for worlds in &results {
        let status = match worlds {
            None => "invalid_input",
            Some(w) if w.iter().any(WorldResult::not_run) => "not_run",
            Some(w) if w.iter().all(|w| w.passed) => "passed",
            Some(_) => "failed",
        };
        state.metrics.graded(status);
    }
    state.metrics.request("get_reward", rewards.len(), started.elapsed());
    Json(json!({ "rewards": rewards, "scores": rewards, "extra_logs": { "robosim_ungraded": ungraded } }))
        .into_response()
}
