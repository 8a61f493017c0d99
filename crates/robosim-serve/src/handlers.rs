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
use robosim_parallel::map_collect;
use robosim_sandbox::DEFAULT_MAX_PROGRAM_BYTES;
use robosim_verify::{Verdict, Verify};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{Queued, ServerState};

/// Why an item was not run: the request's deadline passed before its turn.
const LATE: &str = "the request's deadline passed before this item's turn (the server was busy); send it again";

/// The items of one request, queued (or refused: 413, 429), run in order on the backends'
/// threads (`f`; an item whose turn comes after the request's deadline gets `late` instead),
/// and counted in the metrics under `endpoint`. A panic in the work (robosim's bug) is a 500.
async fn answer<T, R>(
    state: &Arc<ServerState>,
    endpoint: &'static str,
    items: Vec<T>,
    f: impl Fn(&ServerState, &T) -> R + Send + Sync + 'static,
    late: impl Fn(&ServerState, &T) -> R + Send + Sync + 'static,
) -> Result<Vec<R>, Response>
where
    T: Send + Sync + 'static,
    R: Send + Serialize + 'static,
{
    let started = Instant::now();
    let _queued = Queued::take(state, items.len()).map_err(IntoResponse::into_response)?;
    let deadline = started + state.limits.request_timeout;
    let failed = || {
        (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "robosim failed on this request; its log says why\n")
            .into_response()
    };
    let _permit = state.slots.acquire().await.map_err(|_| failed())?;
    let shared = state.clone();
    let work = tokio::task::spawn_blocking(move || {
        let state = &*shared;
        let jobs = state.backends.jobs;
        let work = |_, item: &T| if Instant::now() > deadline { late(state, item) } else { f(state, item) };
        map_collect(&items, jobs, work, || {})
    });
    let results = work.await.map_err(|_| failed())?;
    state.metrics.request(endpoint, results.len(), started.elapsed());
    Ok(results)
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
    let items: Vec<(usize, Value)> = body.completions.into_iter().enumerate().map(|(i, v)| (i + 1, v)).collect();
    let records = match answer(&state, "grade", items, grade_one, late_record).await {
        Ok(records) => records,
        Err(refused) => return refused,
    };
    for record in &records {
        state.metrics.graded(record.status.as_str());
    }
    Json(json!({ "grades": records })).into_response()
}

#[derive(Deserialize)]
pub(crate) struct VerifyBody {
    programs: Vec<String>,
}

/// `POST /verify`.
pub(crate) async fn verify(State(state): State<Arc<ServerState>>, Json(body): Json<VerifyBody>) -> Response {
    let verify = |state: &ServerState, program: &String| state.backends.verification.verify(program);
    let late = |_: &ServerState, _: &String| Verdict::not_run(LATE.to_owned(), 0, 0, Duration::ZERO);
    let verdicts = match answer(&state, "verify", body.programs, verify, late).await {
        Ok(verdicts) => verdicts,
        Err(refused) => return refused,
    };
    for verdict in &verdicts {
        let class = verdict.failure().map_or_else(|| verdict.stopped().as_str().to_owned(), |f| f.class.summary_key());
        state.metrics.verified(&class);
    }
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
    let n = body.query.len();
    let prompts = body.prompts.into_iter().chain(std::iter::repeat(String::new()));
    let labels = body.labels.into_iter().chain(std::iter::repeat(Value::Null));
    let items: Vec<(String, String, Value)> =
        body.query.into_iter().zip(prompts).zip(labels).map(|((q, p), l)| (q, p, l)).take(n).collect();
    let results = match answer(&state, "get_reward", items, reward_one, |_, _| None).await {
        Ok(results) => results,
        Err(refused) => return refused,
    };
    let mut ungraded = 0u64;
    let mut rewards = Vec::with_capacity(results.len());
    for worlds in &results {
        let status = worlds.as_deref().map_or(GradeStatus::InvalidInput, GradeStatus::of);
        state.metrics.graded(status.as_str());
        let passed = worlds.as_deref().unwrap_or_default().iter().filter(|w| w.passed).count();
        let all = worlds.as_deref().map_or(0, <[WorldResult]>::len);
        rewards.push(match status {
            GradeStatus::Passed | GradeStatus::Failed if all > 0 => {
                #[allow(clippy::cast_precision_loss)] // a task has a handful of worlds
                if state.limits.fraction { passed as f64 / all as f64 } else { f64::from(u8::from(passed == all)) }
            }
            _ => {
                ungraded += 1;
                0.0
            }
        });
    }
    Json(json!({ "rewards": rewards, "scores": rewards, "extra_logs": { "robosim_ungraded": ungraded } }))
        .into_response()
}
