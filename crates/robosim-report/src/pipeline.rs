//! A `pipeline` output directory: the funnel from generated tasks to exported pairs with the
//! acceptance of each stage, the first-program rejection rate, error classes; every rejected
//! program; InstAlign's original and revised instructions with their differences marked.

use std::{collections::BTreeMap, fmt::Write as _, path::Path};

use serde_json::{Value, json};
use similar::{ChangeTag, TextDiff};

use crate::{
    Error, Kind, Section, Stat,
    input::{Lines, read_json, text},
    page::esc,
    rows::{Row, Sampler},
    svg,
};

/// The most InstAlign revisions the page lists.
const REVISIONS: usize = 500;

fn num(value: &Value, path: &[&str]) -> f64 {
    path.iter().try_fold(value, |v, k| v.get(k)).and_then(Value::as_f64).unwrap_or(0.0)
}

pub fn section(input: usize, dir: &Path) -> Result<Section, Error> {
    let mut section = Section::new(Kind::Pipeline, dir);
    let stats = read_json(&dir.join("stats.json"), "a pipeline statistics file")?;
    let mut sampler = Sampler::default();
    let (mut tasks, mut with_program, mut accepted) = (0_u64, 0_u64, 0_u64);
    let mut classes: BTreeMap<String, u64> = BTreeMap::new();
    let programs = dir.join("programs.jsonl");
    if programs.is_file() {
        for (number, value) in Lines::open(&programs)? {
            let Ok(task) = value else { continue };
            tasks += 1;
            accepted += u64::from(task.get("accepted") == Some(&Value::Bool(true)));
            let attempts = task.get("attempts").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
            with_program += u64::from(attempts.iter().any(|a| a.get("program").is_some()));
            for (k, attempt) in attempts.iter().enumerate() {
                let status = text(attempt, "status");
                if status == "accepted" {
                    continue;
                }
                let class = match text(attempt, "class") {
                    "" => status.to_owned(),
                    class => class.to_owned(),
                };
                *classes.entry(class.clone()).or_default() += 1;
                let line = attempt.get("line").and_then(Value::as_u64).and_then(|l| u32::try_from(l).ok());
                let id = format!("{}#{}", text(&task, "task_id"), cell_u64(attempt.get("sample")));
                let error = text(attempt, "error");
                sampler.push(Row {
                    input,
                    order: number * 64 + k,
                    id: id.clone(),
                    class: class.clone(),
                    task: text(&task, "task_id").to_owned(),
                    line,
                    text: error.lines().next().unwrap_or("").to_owned(),
                    detail: json!({
                        "kind": "attempt", "id": id, "instruction": task.get("instruction"), "program": attempt.get("program"),
                        "status": status, "class": class, "error": error, "line": line, "paths": attempt.get("paths"),
                    }),
                    source_line: None,
                });
            }
        }
    }
    let aligned = dir.join("aligned.jsonl");
    let (mut pairs, mut revised) = (0_u64, Vec::new());
    if aligned.is_file() {
        for (_, value) in Lines::open(&aligned)? {
            let Ok(record) = value else { continue };
            pairs += 1;
            let revision = text(&record, "revised");
            if !revision.is_empty() && revision != text(&record, "original") && revised.len() < REVISIONS {
                revised.push(record);
            }
        }
    }
    section.failures = sampler.total();
    section.rows = sampler.finish();
    let exported = num(&stats, &["export", "written"]) as u64;
    let first_rejected = num(&stats, &["export", "first_programs_rejected_rate"]);
    section.stats = vec![
        Stat::count("tasks", "tasks with programs asked", tasks),
        Stat::count("programs", "tasks that got a program", with_program),
        Stat::count("accepted", "tasks with an accepted program", accepted),
        Stat::count("aligned", "pairs through InstAlign", pairs),
        Stat::count("exported", "pairs exported (robo-instruct)", exported),
        Stat::rate("first_programs_rejected_rate", "first programs RoboSim rejected", first_rejected),
        Stat::rate(
            "sample_acceptance_rate",
            "programs accepted / sampled",
            num(&stats, &["programs", "sample_acceptance_rate"]),
        ),
    ];
    let library = num(&stats, &["instructions", "library_size"]) as u64;
    let mut funnel = Vec::new();
    if library > 0 {
        funnel.push(("generated tasks".to_owned(), library));
    }
    funnel.extend([
        ("tasks asked for programs".to_owned(), tasks),
        ("got a program".to_owned(), with_program),
        ("accepted by RoboSim".to_owned(), accepted),
        ("aligned".to_owned(), pairs),
        ("exported".to_owned(), exported),
    ]);
    let top = funnel.first().map_or(0, |f| f.1).max(1);
    let items: Vec<(String, f64, String)> = funnel
        .iter()
        .map(|(l, n)| (l.clone(), *n as f64, format!("{n} ({:.0} %)", *n as f64 / top as f64 * 100.0)))
        .collect();
    section.plots.push(("Funnel".into(), svg::bars("From tasks to exported pairs", &items, svg::PALETTE[0])));
    let rates: Vec<(String, f64, String)> = [
        ("programs: sample acceptance", num(&stats, &["programs", "sample_acceptance_rate"])),
        ("programs: task acceptance", num(&stats, &["programs", "task_acceptance_rate"])),
        ("first programs rejected", first_rejected),
        ("align: kept revised", share(&stats, "kept_revised")),
        ("export: written / input", ratio(num(&stats, &["export", "written"]), num(&stats, &["export", "input"]))),
    ]
    .into_iter()
    .map(|(l, r)| (l.to_owned(), r, format!("{:.1} %", r * 100.0)))
    .collect();
    section.plots.push(("Acceptance per stage".into(), svg::bars("Acceptance per stage", &rates, svg::PALETTE[5])));
    let mut sorted: Vec<(&String, &u64)> = classes.iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let items: Vec<(String, f64, String)> =
        sorted.iter().take(20).map(|(k, n)| ((*k).clone(), **n as f64, n.to_string())).collect();
    if !items.is_empty() {
        section.plots.push((
            "Why programs failed".into(),
            svg::bars("Program samples that failed, by class", &items, svg::FAIL),
        ));
    }
    if let Some(model) = stats.pointer("/settings/model").and_then(Value::as_str) {
        section.notes.push(format!("model {model}"));
    }
    section.extra = revisions(&revised, pairs);
    Ok(section)
}

fn cell_u64(value: Option<&Value>) -> u64 {
    value.and_then(Value::as_u64).unwrap_or(0)
}

fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 { 0.0 } else { a / b }
}

fn share(stats: &Value, key: &str) -> f64 {
    ratio(num(stats, &["align", key]), num(stats, &["align", "pairs"]))
}

/// InstAlign's revisions: original and revised side by side, words removed and added marked.
fn revisions(revised: &[Value], pairs: u64) -> String {
    if revised.is_empty() {
        return String::new();
    }
    let mut html = format!(
        "<h3>InstAlign's revisions</h3><p>{} of {pairs} instructions were revised{}; the instruction kept is marked.</p>\
         <table class=\"diff\"><thead><tr><th scope=\"col\">task</th><th scope=\"col\">original</th>\
         <th scope=\"col\">revised</th></tr></thead><tbody>",
        revised.len(),
        if revised.len() == REVISIONS { " (the first shown)" } else { "" }
    );
    for record in revised {
        let (original, revision) = (text(record, "original"), text(record, "revised"));
        let diff = TextDiff::from_words(original, revision);
        let (mut old, mut new) = (String::new(), String::new());
        for change in diff.iter_all_changes() {
            let word = esc(change.value());
            match change.tag() {
                ChangeTag::Equal => {
                    old.push_str(&word);
                    new.push_str(&word);
                }
                ChangeTag::Delete => {
                    let _ = write!(old, "<del>{word}</del>");
                }
                ChangeTag::Insert => {
                    let _ = write!(new, "<ins>{word}</ins>");
                }
            }
        }
        let kept_revised = text(record, "instruction") == revision;
        let _ = write!(
            html,
            "<tr><td>{}</td><td{}>{old}</td><td{}>{new}</td></tr>",
            esc(text(record, "task_id")),
            if kept_revised { "" } else { " class=\"kept\"" },
            if kept_revised { " class=\"kept\"" } else { "" },
        );
    }
    html.push_str("</tbody></table>");
    html
}
