//! The server's counters, served at `GET /metrics` in Prometheus's text format.

use std::{collections::BTreeMap, fmt::Write, sync::Arc, sync::atomic::Ordering, time::Duration};

use axum::{extract::State, http::header, response::IntoResponse};
use parking_lot::Mutex;

use crate::ServerState;

/// Latencies kept for the quantiles: the most recent ones.
const LATENCIES: usize = 4096;

/// Requests, items, refusals, outcomes and latencies since the server started.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    requests: BTreeMap<&'static str, u64>,
    items: BTreeMap<&'static str, u64>,
    refused: BTreeMap<&'static str, u64>,
    graded: BTreeMap<&'static str, u64>,
    verified: BTreeMap<String, u64>,
    /// Seconds of the last requests (a ring).
    latencies: Vec<f64>,
    next: usize,
}

impl Metrics {
    pub(crate) fn request(&self, endpoint: &'static str, items: usize, took: Duration) {
        let mut inner = self.inner.lock();
        *inner.requests.entry(endpoint).or_default() += 1;
        *inner.items.entry(endpoint).or_default() += items as u64;
        let seconds = took.as_secs_f64();
        if inner.latencies.len() < LATENCIES {
            inner.latencies.push(seconds);
        } else {
            let at = inner.next;
            inner.latencies[at] = seconds;
        }
        inner.next = (inner.next + 1) % LATENCIES;
    }

    pub(crate) fn refused(&self, why: &'static str) {
        *self.inner.lock().refused.entry(why).or_default() += 1;
    }

    pub(crate) fn graded(&self, status: &'static str) {
        *self.inner.lock().graded.entry(status).or_default() += 1;
    }

    pub(crate) fn verified(&self, class: &str) {
        let mut inner = self.inner.lock();
        match inner.verified.get_mut(class) {
            Some(n) => *n += 1,
            None => {
                inner.verified.insert(class.to_owned(), 1);
            }
        }
    }

    /// The Prometheus exposition of these counters and the queue depth.
    fn text(&self, queued: usize) -> String {
        let inner = self.inner.lock();
        let mut out = String::new();
        let mut family = |name: &str, kind: &str, help: &str, label: &str, values: Vec<(String, u64)>| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (key, value) in values {
                let _ = writeln!(out, "{name}{{{label}=\"{}\"}} {value}", key.replace(['"', '\\', '\n'], "_"));
            }
        };
        let pairs = |map: &BTreeMap<&'static str, u64>| map.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
        family(
            "robosim_requests_total",
            "counter",
            "Requests answered, by endpoint.",
            "endpoint",
            pairs(&inner.requests),
        );
        family(
            "robosim_items_total",
            "counter",
            "Items (completions, programs, queries) answered, by endpoint.",
            "endpoint",
            pairs(&inner.items),
        );
        family(
            "robosim_refused_total",
            "counter",
            "Requests refused, by reason (unauthorized, batch_too_large, busy).",
            "reason",
            pairs(&inner.refused),
        );
        family("robosim_graded_total", "counter", "Completions graded, by status.", "status", pairs(&inner.graded));
        let verified = inner.verified.iter().map(|(k, v)| (k.clone(), *v)).collect();
        family(
            "robosim_verified_total",
            "counter",
            "Programs verified, by error class (or how an accepted search stopped).",
            "class",
            verified,
        );
        let _ = writeln!(
            out,
            "# HELP robosim_queued_items Items queued or in progress now.\n# TYPE robosim_queued_items gauge\nrobosim_queued_items {queued}"
        );
        let mut latencies = inner.latencies.clone();
        latencies.sort_by(f64::total_cmp);
        let _ = writeln!(
            out,
            "# HELP robosim_request_seconds Request latency over the last {LATENCIES} requests.\n# TYPE robosim_request_seconds summary"
        );
        for q in [0.5, 0.9, 0.99] {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
            let at = ((latencies.len() as f64 * q).ceil() as usize).saturating_sub(1);
            if let Some(value) = latencies.get(at) {
                let _ = writeln!(out, "robosim_request_seconds{{quantile=\"{q}\"}} {value}");
            }
        }
        let _ = writeln!(out, "robosim_request_seconds_count {}", latencies.len());
        out
    }
}

/// `GET /metrics`.
pub(crate) async fn render(State(state): State<Arc<ServerState>>) -> impl IntoResponse {
    let text = state.metrics.text(state.queued.load(Ordering::Relaxed));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}
