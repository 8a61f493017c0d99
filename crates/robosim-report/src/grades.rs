//! Grades — a grades file of `grade`, or the grades of an `eval` output directory — per task
//! pass@1 with RoboEval's error breakdown, a task × state pass matrix, pass@k curves (eval);
//! every failed completion with each state's failed check and robot calls.

use std::{
    collections::{BTreeMap, HashMap},
    path::Path,
};

use serde_json::{Value, json};

use crate::{
    Error, Kind, Section, Stat,
    input::{Lines, cell, read_json, text},
    rows::{Row, Sampler},
    svg,
};

/// RoboEval's error breakdown, in its order, with the colour of each.
const BREAKDOWN: [(&str, &str); 5] = [
    ("Success", svg::PASS),
    ("CompletionError", svg::PALETTE[2]),
    ("RobotExecutionError", svg::FAIL),
    ("PythonError", svg::PALETTE[4]),
    ("not_run", svg::PALETTE[7]),
];

#[derive(Default)]
struct Task {
    completions: u64,
    passed: u64,
    breakdown: [u64; BREAKDOWN.len()],
    /// Per world (state), in the task's order: its name, passed, graded.
    worlds: Vec<(String, u64, u64)>,
}

#[derive(Default)]
struct Counts {
    passed: u64,
    failed: u64,
    invalid: u64,
    not_run: u64,
    request_errors: u64,
    unreadable: u64,
    tasks: BTreeMap<String, Task>,
}

/// Whether a world's (state's) result says it passed.
fn passed(world: &Value) -> bool {
    world.get("passed") == Some(&Value::Bool(true))
}

/// How one completion fared: its RoboEval class (breakdown) and the finer class the table
/// filters by (the error's name, `CompletionError` for a failed check).
fn classes(worlds: &[Value]) -> (usize, String) {
    for world in worlds {
        if text(world, "outcome") == "not_run" {
            return (4, "not_run".into());
        }
    }
    for world in worlds {
        let error = text(world, "error");
        if error.is_empty() {
            continue;
        }
        let name = error.trim_start_matches("SIM: ").trim_start_matches("EVAL: ");
        let name = name.split([':', ' ']).next().unwrap_or("").to_owned();
        let coarse = if error.contains("Robot") { 2 } else { 3 };
        return (coarse, if name.is_empty() { "error".into() } else { name });
    }
    if worlds.iter().all(passed) { (0, "Success".into()) } else { (1, "CompletionError".into()) }
}

impl Counts {
    /// Counts a graded completion of `task` in `worlds`; its row when it failed.
    fn graded(&mut self, task: &str, worlds: &[Value]) -> Option<(String, Option<u32>, String)> {
        let (coarse, fine) = classes(worlds);
        let entry = self.tasks.entry(task.to_owned()).or_default();
        // A completion robosim could not finish grading is no completion of the task's pass@1.
        entry.completions += u64::from(coarse != 4);
        entry.breakdown[coarse] += 1;
        for (j, world) in worlds.iter().enumerate() {
            let passed = u64::from(passed(world));
            match entry.worlds.get_mut(j) {
                Some(w) => (w.1, w.2) = (w.1 + passed, w.2 + 1),
                None => entry.worlds.push((text(world, "world").to_owned(), passed, 1)),
            }
        }
        match coarse {
            0 => {
                self.passed += 1;
                entry.passed += 1;
                None
            }
            4 => {
                self.not_run += 1;
                Some((fine, None, first_problem(worlds)))
            }
            _ => {
                self.failed += 1;
                let line = worlds
                    .iter()
                    .filter(|w| !passed(w))
                    .find_map(|w| w.get("line")?.as_u64())
                    .and_then(|l| u32::try_from(l).ok());
                Some((fine, line, first_problem(worlds)))
            }
        }
    }
}

/// The first failed world's error or failed check, in one line.
fn first_problem(worlds: &[Value]) -> String {
    let Some(world) = worlds.iter().find(|w| !passed(w)) else { return String::new() };
    let error = text(world, "error");
    let problem = if error.is_empty() {
        world.get("failed_checks").and_then(|c| c.get(0)).map_or_else(String::new, |c| match text(c, "check") {
            // A RoboEval state's one check is named after the state.
            check if check == text(world, "world") => text(c, "reason").to_owned(),
            check => format!("{check}: {}", text(c, "reason")),
        })
    } else {
        error.to_owned()
    };
    format!("{}: {}", text(world, "world"), problem.lines().next().unwrap_or(""))
}

/// A grades file of `grade`; the programs come from the completions file beside it
/// (`x.grades.jsonl` → `x.jsonl`) when it is there.
pub fn grades_file(input: usize, path: &Path) -> Result<Section, Error> {
    let mut section = Section::new(Kind::Grades, path);
    let (mut counts, mut sampler) = (Counts::default(), Sampler::default());
    let mut reading = None;
    for (number, value) in Lines::open(path)? {
        let Ok(record) = value else {
            counts.unreadable += 1;
            continue;
        };
        if reading.is_none() {
            reading = record.get("trace").and_then(Value::as_str).map(str::to_owned);
        }
        let line = record.get("line").and_then(Value::as_u64).map(|l| l as usize);
        let id = cell(record.get("id"));
        let id = if id.is_empty() { format!("line {}", line.unwrap_or(number)) } else { id };
        let task = text(&record, "task").to_owned();
        let row = match text(&record, "status") {
            "invalid_input" => {
                counts.invalid += 1;
                Some(("invalid_input".to_owned(), None, text(&record, "message").to_owned()))
            }
            _ => {
                let worlds = record.get("worlds").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
                counts.graded(&task, worlds)
            }
        };
        if let Some(found) = row {
            let detail = json!({
                "kind": "grade", "id": id, "task": task, "prompt": record.get("prompt"), "status": record.get("status"),
                "class": found.0, "trace": record.get("trace"), "worlds": record.get("worlds"), "message": record.get("message"),
            });
            sampler.push(failure_row(input, number, id, task, found, detail, line));
        }
    }
    let name = path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let completions = name.strip_suffix(".grades.jsonl").map(|stem| path.with_file_name(format!("{stem}.jsonl")));
    section.failures = sampler.total();
    section.rows = sampler.finish();
    match completions.filter(|p| p.is_file()) {
        Some(source) => attach_programs(&mut section.rows, &source, "completion", true)?,
        None => section
            .notes
            .push("the completions file was not found beside the grades file: programs are not shown".into()),
    }
    if let Some(reading) = reading {
        section.notes.push(format!("trace read as `{reading}`"));
    }
    fill(&mut section, &counts);
    Ok(section)
}

/// An `eval` output directory: `grades.jsonl`, `completions.jsonl` (same order) and `summary.json`.
pub fn eval_dir(input: usize, dir: &Path) -> Result<Section, Error> {
    let mut section = Section::new(Kind::Eval, dir);
    let summary = read_json(&dir.join("summary.json"), "an eval summary")?;
    let (mut counts, mut sampler) = (Counts::default(), Sampler::default());
    for (number, value) in Lines::open(&dir.join("grades.jsonl"))? {
        let Ok(record) = value else {
            counts.unreadable += 1;
            continue;
        };
        let task = text(&record, "task").to_owned();
        let id = format!("{task}/{}/{}", cell(record.get("prompt_index")), cell(record.get("sample")));
        let row = if record.get("states").is_none() {
            counts.request_errors += 1;
            Some(("request_error".to_owned(), None, text(&record, "error").to_owned()))
        } else {
            let states = record.get("states").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
            counts.graded(&task, states)
        };
        if let Some(found) = row {
            let detail = json!({
                "kind": "grade", "id": id, "task": task, "class": found.0, "worlds": record.get("states"),
                "ablations": record.get("ablations"), "message": record.get("error"), "trace": summary.get("trace"),
            });
            sampler.push(failure_row(input, number, id, task, found, detail, Some(number)));
        }
    }
    section.failures = sampler.total();
    section.rows = sampler.finish();
    attach_programs(&mut section.rows, &dir.join("completions.jsonl"), "completion", false)?;
    section.notes.push(format!(
        "model {}, api {}, trace read as `{}`",
        cell(summary.get("model")),
        cell(summary.get("api")),
        cell(summary.get("trace"))
    ));
    let pass_at: BTreeMap<u64, f64> = summary
        .get("pass_at")
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.parse().ok()?, v.as_f64()?))).collect())
        .unwrap_or_default();
    section.pass_at = pass_at.iter().map(|(k, v)| (*k as f64, *v)).collect();
    fill(&mut section, &counts);
    let named = [
        (1, "pass_at_1", "pass@1 (mean over tasks)"),
        (5, "pass_at_5", "pass@5"),
        (10, "pass_at_10", "pass@10"),
        (20, "pass_at_20", "pass@20"),
    ];
    for (k, key, label) in named {
        if let Some(v) = pass_at.get(&k) {
            section.stats.push(Stat::rate(key, label, *v));
        }
    }
    section.stats.push(Stat::count("request_errors", "request errors", counts.request_errors));
    if section.pass_at.len() > 1 {
        let curve = svg::curves("pass@k", &[(section.title.clone(), section.pass_at.clone())], "k (samples)");
        section.plots.push(("pass@k".into(), curve));
    }
    Ok(section)
}

/// The row of a failed completion: `found` is its class, failing line and problem (see
/// [`Counts::graded`]); its program is on line `source_line` of the completions file.
fn failure_row(
    input: usize,
    order: usize,
    id: String,
    task: String,
    found: (String, Option<u32>, String),
    detail: Value,
    source_line: Option<usize>,
) -> Row {
    let (class, line, text) = found;
    Row { input, order, id, class, task, line, text, detail, source_line }
}

/// Puts each row's program, from line `source_line` of the completions file `source` (its
/// field `field`, or `program`), into its detail; `extract` takes the code out of an answer as
/// grading does.
fn attach_programs(rows: &mut [Row], source: &Path, field: &str, extract: bool) -> Result<(), Error> {
    let wanted: HashMap<usize, usize> =
        rows.iter().enumerate().filter_map(|(i, r)| Some((r.source_line?, i))).collect();
    if wanted.is_empty() {
        return Ok(());
    }
    for (number, value) in Lines::open(source)? {
        let (Some(&i), Ok(record)) = (wanted.get(&number), value) else { continue };
        let answer = record.get(field).or_else(|| record.get("program")).and_then(Value::as_str).unwrap_or("");
        let program = if extract { robosim_sandbox::extract_program(answer).into_owned() } else { answer.to_owned() };
        if let Some(detail) = rows[i].detail.as_object_mut() {
            detail.insert("program".into(), Value::String(program));
            if detail.get("prompt").is_none_or(Value::is_null) {
                detail.insert("prompt".into(), record.get("prompt").cloned().unwrap_or(Value::Null));
            }
        }
    }
    Ok(())
}

fn fill(section: &mut Section, c: &Counts) {
    let graded = c.passed + c.failed;
    let rate = |p: u64, n: u64| if n == 0 { 0.0 } else { p as f64 / n as f64 };
    let mean = if c.tasks.is_empty() {
        0.0
    } else {
        c.tasks.values().map(|t| rate(t.passed, t.completions)).sum::<f64>() / c.tasks.len() as f64
    };
    section.stats = vec![
        Stat::count("completions", "completions graded", graded),
        Stat::count("passed", "passed", c.passed),
        Stat::count("failed", "failed", c.failed),
        Stat::rate("pass_at_1_overall", "pass@1 (passed / graded)", rate(c.passed, graded)),
        Stat::rate("mean_task_pass_at_1", "mean of the tasks' pass@1", mean),
        Stat::count("invalid_input", "invalid input", c.invalid),
        Stat::count("not_run", "not run", c.not_run),
        Stat::count("tasks", "tasks", c.tasks.len() as u64),
    ];
    if c.unreadable > 0 {
        section.stats.push(Stat::count("unreadable", "unreadable lines", c.unreadable));
    }
    let rows: Vec<(String, Vec<u64>, String)> = c
        .tasks
        .iter()
        .map(|(name, t)| (name.clone(), t.breakdown.to_vec(), format!("{:.2}", rate(t.passed, t.completions))))
        .collect();
    section.plots.push((
        "pass@1 per task".into(),
        svg::stacked("pass@1 per task, with RoboEval's error breakdown", &rows, &BREAKDOWN),
    ));
    let mut totals = [0_u64; BREAKDOWN.len()];
    for t in c.tasks.values() {
        for (sum, n) in totals.iter_mut().zip(t.breakdown) {
            *sum += n;
        }
    }
    let items: Vec<(String, f64, String)> = BREAKDOWN
        .iter()
        .zip(totals)
        .filter(|(_, n)| *n > 0)
        .map(|((name, _), n)| ((*name).to_owned(), n as f64, n.to_string()))
        .collect();
    section
        .plots
        .push(("Error breakdown".into(), svg::bars("Completions by RoboEval's error class", &items, svg::PALETTE[0])));
    // Columns are the worlds' places in their task (RoboEval's states are numbered; robosim's
    // own tasks name theirs, and a cell's tooltip has the name).
    let width = c.tasks.values().map(|t| t.worlds.len()).max().unwrap_or(0);
    if width <= 16 {
        let names: Vec<String> = c.tasks.keys().cloned().collect();
        let cols: Vec<String> = (1..=width).map(|j| j.to_string()).collect();
        let cells: Vec<Vec<(String, u64, u64)>> = c.tasks.values().map(|t| t.worlds.clone()).collect();
        section
            .plots
            .push(("Task × state".into(), svg::matrix("Share passed per task and state (%)", &names, &cols, &cells)));
    } else {
        section.notes.push(format!("a task has {width} worlds: the task × state matrix is left out"));
    }
}
