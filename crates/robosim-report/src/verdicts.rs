//! A verdicts file of `verify-batch`: acceptance, error classes, paths per program and how
//! searches stopped, time per program; the rejected, invalid and not-run records.

use std::{collections::BTreeMap, path::Path};

use serde_json::{Value, json};

use crate::{
    Error, Kind, Section, Stat, bucket,
    input::{Lines, cell, text},
    rows::{Row, Sampler},
    svg,
};

const PATHS: [(&str, f64); 8] = [
    ("1", 1.0),
    ("2", 2.0),
    ("3–4", 4.0),
    ("5–8", 8.0),
    ("9–16", 16.0),
    ("17–32", 32.0),
    ("33–64", 64.0),
    ("65+", f64::MAX),
];
const TIMES: [(&str, f64); 8] = [
    ("≤1 ms", 0.001),
    ("≤3 ms", 0.003),
    ("≤10 ms", 0.01),
    ("≤30 ms", 0.03),
    ("≤100 ms", 0.1),
    ("≤300 ms", 0.3),
    ("≤1 s", 1.0),
    (">1 s", f64::MAX),
];

#[derive(Default)]
struct Counts {
    records: u64,
    accepted: u64,
    rejected: u64,
    invalid: u64,
    not_run: u64,
    unreadable: u64,
    classes: BTreeMap<String, u64>,
    stopped: BTreeMap<String, u64>,
    paths: [u64; PATHS.len()],
    times: [u64; TIMES.len()],
    wall_time: f64,
    total_paths: u64,
}

pub fn section(input: usize, path: &Path) -> Result<Section, Error> {
    let mut section = Section::new(Kind::Verdicts, path);
    let mut counts = Counts::default();
    let mut sampler = Sampler::default();
    for (number, value) in Lines::open(path)? {
        let value = match value {
            Ok(Value::Object(map)) => Value::Object(map),
            Ok(_) | Err(_) => {
                counts.unreadable += 1;
                continue;
            }
        };
        if let Some(manifest) = value.get("robosim_manifest") {
            section.notes.push(manifest_note(manifest));
            continue;
        }
        let Some(meta) = value.get("robosim") else {
            counts.unreadable += 1;
            continue;
        };
        counts.records += 1;
        let verdict = meta.get("verdict").unwrap_or(&Value::Null);
        let failure = verdict.get("failure").unwrap_or(&Value::Null);
        if let Some(paths) = verdict.get("paths").and_then(Value::as_f64) {
            counts.paths[bucket(&PATHS, paths)] += 1;
        }
        if let Some(time) = verdict.get("wall_time").and_then(Value::as_f64) {
            counts.times[bucket(&TIMES, time)] += 1;
            counts.wall_time += time;
        }
        if let Some(paths) = verdict.get("paths").and_then(Value::as_u64) {
            counts.total_paths += paths;
        }
        let (class, error, line) = match text(meta, "status") {
            "accepted" => {
                counts.accepted += 1;
                // How an acceptance's search ended (a rejection's always ends where it failed).
                if let Some(stopped) = verdict.get("stopped").and_then(Value::as_str) {
                    *counts.stopped.entry(stopped.to_owned()).or_default() += 1;
                }
                continue;
            }
            "rejected" => {
                counts.rejected += 1;
                let class = text(failure, "class");
                (
                    if class.is_empty() { "rejected" } else { class }.to_owned(),
                    text(failure, "error").to_owned(),
                    failure.get("line"),
                )
            }
            "not_run" => {
                counts.not_run += 1;
                ("not_run".to_owned(), text(verdict, "not_run").to_owned(), None)
            }
            _ => {
                counts.invalid += 1;
                ("invalid_input".to_owned(), text(meta, "message").to_owned(), None)
            }
        };
        *counts.classes.entry(class.clone()).or_default() += 1;
        let id = cell(meta.get("id").or_else(|| value.get("id")));
        let detail = json!({
            "kind": "verdict",
            "id": id,
            "input_line": meta.get("line"),
            "instruction": value.get("instruction"),
            "program": value.get("program"),
            "status": meta.get("status"),
            "class": class,
            "error": error,
            "line": line,
            "paths": verdict.get("paths"),
            "stopped": verdict.get("stopped"),
            "decisions": failure.get("decisions"),
            "decisions_omitted": failure.get("decisions_omitted"),
            "trace": failure.get("trace"),
            "trace_omitted": failure.get("trace_omitted"),
            "traceback": failure.get("outcome").and_then(|o| o.get("traceback")),
        });
        sampler.push(Row {
            input,
            order: number,
            id,
            class,
            task: cell(value.get("source")),
            line: line.and_then(Value::as_u64).and_then(|l| u32::try_from(l).ok()),
            text: error.lines().next().unwrap_or("").to_owned(),
            detail,
            source_line: None,
        });
    }
    section.failures = sampler.total();
    section.rows = sampler.finish();
    fill(&mut section, &counts);
    Ok(section)
}

fn manifest_note(manifest: &Value) -> String {
    let settings = manifest.get("settings").unwrap_or(&Value::Null);
    let strategy = settings.get("strategy").unwrap_or(&Value::Null);
    format!(
        "{} {}, search {} (at most {} paths, depth {}, patience {}), seed {}, guest {}",
        text(manifest, "tool"),
        text(manifest, "version"),
        text(strategy, "mode"),
        cell(strategy.get("max_paths")),
        cell(strategy.get("max_depth")),
        cell(strategy.get("patience")),
        cell(settings.get("seed")),
        text(manifest, "guest_sha256").get(..12).unwrap_or(""),
    )
}

fn fill(section: &mut Section, c: &Counts) {
    let verified = c.accepted + c.rejected;
    section.stats = vec![
        Stat::count("records", "records", c.records),
        Stat::count("accepted", "accepted", c.accepted),
        Stat::count("rejected", "rejected", c.rejected),
        Stat::count("invalid_input", "invalid input", c.invalid),
        Stat::count("not_run", "not run", c.not_run),
        Stat::count("paths", "paths explored", c.total_paths),
        Stat::rate(
            "acceptance",
            "accepted / verified",
            if verified == 0 { 0.0 } else { c.accepted as f64 / verified as f64 },
        ),
    ];
    if c.unreadable > 0 {
        section.stats.push(Stat::count("unreadable", "unreadable lines", c.unreadable));
    }
    let mut outcome = vec![
        ("accepted".to_owned(), c.accepted as f64, c.accepted.to_string()),
        ("rejected".to_owned(), c.rejected as f64, c.rejected.to_string()),
    ];
    for (label, n) in [("invalid input", c.invalid), ("not run", c.not_run)] {
        if n > 0 {
            outcome.push((label.to_owned(), n as f64, n.to_string()));
        }
    }
    section.plots.push(("Acceptance".into(), svg::bars("Records by status", &outcome, svg::PALETTE[0])));
    let mut classes: Vec<(&String, &u64)> = c.classes.iter().collect();
    classes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let items: Vec<(String, f64, String)> =
        classes.iter().take(20).map(|(k, n)| ((*k).clone(), **n as f64, n.to_string())).collect();
    if !items.is_empty() {
        section.plots.push(("Error classes".into(), svg::bars("Failures by error class", &items, svg::FAIL)));
    }
    let paths: Vec<(String, u64)> = PATHS.iter().zip(c.paths).map(|((l, _), n)| ((*l).to_owned(), n)).collect();
    section.plots.push((
        "Paths per program".into(),
        svg::histogram("Programs by paths explored", &paths, "paths explored", svg::PALETTE[4]),
    ));
    let stopped: Vec<(String, f64, String)> =
        c.stopped.iter().map(|(k, n)| (k.clone(), *n as f64, n.to_string())).collect();
    section.plots.push((
        "How searches stopped".into(),
        svg::bars("Accepted programs by how the search stopped", &stopped, svg::PALETTE[5]),
    ));
    let times: Vec<(String, u64)> = TIMES.iter().zip(c.times).map(|((l, _), n)| ((*l).to_owned(), n)).collect();
    section.plots.push((
        "Time per program".into(),
        svg::histogram("Programs by wall time", &times, "wall time per program", svg::PALETTE[2]),
    ));
    if c.records > 0 {
        section.notes.push(format!("mean wall time per program {:.1} ms", c.wall_time / c.records as f64 * 1e3));
    }
}
