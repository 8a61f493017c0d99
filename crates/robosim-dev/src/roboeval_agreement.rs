//! `robosim-dev roboeval-agreement CORPUS.jsonl`: robosim's grades on RoboEval's tasks against the
//! per-state verdicts RoboEval's own harness gave (the shape of
//! `../shared/corpus/roboeval_dev.jsonl`: `task`, `program`, `roboeval.states[].passed`).
//! Prints agreement per task and overall, per state and per program, and writes every
//! disagreement with both traces.

use std::{collections::BTreeMap, fs, io::Write, path::PathBuf};

use anyhow::Context;
use clap::Args;
use robosim_backend::Grading;
use robosim_grade::{
    GradeConfig, GradeOverrides, Task, WorldResult, grade,
    roboeval::{EvalClass, run_state},
};
use serde_json::{Value, json};

#[derive(Debug, Args)]
pub(crate) struct RoboEvalAgreementArgs {
    /// The labelled corpus (JSONL with `task`, `program`, `roboeval.states[].passed`).
    corpus: PathBuf,
    /// The RoboEval tasks.
    #[arg(long, value_name = "DIR")]
    tasks: PathBuf,
    /// Write the disagreements, with robosim's and RoboEval's traces, to this JSONL file
    /// (robosim's grade records go beside it, `FILE.grades.jsonl`).
    #[arg(long, value_name = "FILE")]
    details: PathBuf,
    #[command(flatten)]
    jobs: crate::JobsArgs,
    /// Grading settings over the defaults, as JSON (`{"trace": "calls", "fuel": 2000000000}`).
    #[arg(long, value_name = "JSON", default_value = "{}")]
    settings: String,
}

#[derive(Default)]
struct Tally {
    states: (u64, u64),
    programs: (u64, u64),
    /// RoboEval's error-breakdown class, where the corpus records it.
    classes: (u64, u64),
}

/// The class RoboEval's evaluation gives a graded record's states.
fn class_of(record: &Value) -> anyhow::Result<EvalClass> {
    // An invalid-input record has no worlds.
    let states: Vec<WorldResult> =
        if record["worlds"].is_null() { Vec::new() } else { serde_json::from_value(record["worlds"].clone())? };
    Ok(EvalClass::of(&states))
}

/// Prints the table; `Ok(false)` when anything disagrees.
pub(crate) fn run(args: &RoboEvalAgreementArgs) -> anyhow::Result<bool> {
    let tasks = Task::load_dir(&args.tasks)?;
    let mut config = GradeConfig::new(&args.corpus);
    config.output = robosim_fs::beside(&args.details, "grades");
    config.jobs = args.jobs.threads();
    let overrides: GradeOverrides = serde_json::from_str(&args.settings).context("--settings")?;
    let grading = overrides.resolve()?;
    let grader = Grading::new(&args.tasks, grading, &crate::sandbox_setup(), &args.jobs.place()?)?;
    // This process's own sandbox runs only the states it shows, one at a time.
    let sandbox = crate::sandbox_setup().sandbox(grading.limits, 1)?;
    if let Some(dir) = config.output.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let summary = grade(&config, &tasks, &grader, &mut |_| {})?;
    let corpus = fs::read_to_string(&args.corpus).with_context(|| format!("reading {}", args.corpus.display()))?;
    let grades = fs::read_to_string(&config.output).with_context(|| format!("reading {}", config.output.display()))?;
    let mut tally: BTreeMap<String, Tally> = BTreeMap::new();
    let mut details = std::io::BufWriter::new(
        fs::File::create(&args.details).with_context(|| format!("creating {}", args.details.display()))?,
    );
    for (line, (row, record)) in corpus.lines().zip(grades.lines()).enumerate() {
        let row: Value = serde_json::from_str(row).with_context(|| format!("corpus line {}", line + 1))?;
        let record: Value = serde_json::from_str(record)?;
        let name = row["task"].as_str().unwrap_or_default().to_owned();
        let theirs: Vec<bool> = row["roboeval"]["states"]
            .as_array()
            .map(|s| s.iter().map(|s| s["passed"] == true).collect())
            .unwrap_or_default();
        let ours: Vec<bool> =
            record["worlds"].as_array().map(|w| w.iter().map(|w| w["passed"] == true).collect()).unwrap_or_default();
        let entry = tally.entry(name.clone()).or_default();
        let class = class_of(&record)?;
        let class_differs = row["roboeval"]["error"].as_str().is_some_and(|theirs| {
            entry.classes.1 += 1;
            entry.classes.0 += u64::from(theirs == class.name());
            theirs != class.name()
        });
        if class_differs {
            let disagreement = json!({
                "line": line + 1, "id": row["id"], "task": name, "class": {"robosim": class, "roboeval": row["roboeval"]["error"]},
                "robosim": record["worlds"], "roboeval": row["roboeval"]["states"], "program": row["program"],
            });
            writeln!(details, "{disagreement}")?;
        }
        let same = ours == theirs;
        entry.programs.0 += u64::from(same);
        entry.programs.1 += 1;
        for k in 0..theirs.len() {
            let agree = ours.get(k) == Some(&theirs[k]);
            entry.states.0 += u64::from(agree);
            entry.states.1 += 1;
            if agree {
                continue;
            }
            let task = tasks.iter().find(|t| t.name == name);
            let trace: Option<Vec<String>> = task.and_then(|t| t.states.get(k)).map(|case| {
                let program = row["program"].as_str().unwrap_or_default();
                run_state(case, program, &sandbox, &grading).1.elements.iter().map(ToString::to_string).collect()
            });
            let disagreement = json!({
                "line": line + 1,
                "id": row["id"],
                "task": name,
                "state": k,
                "robosim": {"passed": ours.get(k), "result": record["worlds"].get(k), "trace": trace},
                "roboeval": row["roboeval"]["states"][k],
                "program": row["program"],
            });
            writeln!(details, "{disagreement}")?;
        }
    }
    details.flush()?;
    let mut out = std::io::stdout().lock();
    let pct = |(a, b): (u64, u64)| if b == 0 { 100.0 } else { 100.0 * a as f64 / b as f64 };
    let mut total = Tally::default();
    writeln!(out, "{:<24} {:>17} {:>17}", "task", "states agree", "programs agree")?;
    for (name, t) in &tally {
        writeln!(
            out,
            "{name:<24} {:>7}/{:<5} {:>5.1}% {:>5}/{:<5} {:>5.1}%",
            t.states.0,
            t.states.1,
            pct(t.states),
            t.programs.0,
            t.programs.1,
            pct(t.programs)
        )?;
        total.states = (total.states.0 + t.states.0, total.states.1 + t.states.1);
        total.programs = (total.programs.0 + t.programs.0, total.programs.1 + t.programs.1);
        total.classes = (total.classes.0 + t.classes.0, total.classes.1 + t.classes.1);
    }
    writeln!(
        out,
        "overall: states {}/{} ({:.2}%), programs {}/{} ({:.2}%), RoboEval error class {}/{} (where recorded); graded in {:.1} s; disagreements in {}",
        total.states.0,
        total.states.1,
        pct(total.states),
        total.programs.0,
        total.programs.1,
        pct(total.programs),
        total.classes.0,
        total.classes.1,
        summary.wall_time,
        args.details.display()
    )?;
    Ok(total.states.0 == total.states.1 && total.programs.0 == total.programs.1 && total.classes.0 == total.classes.1)
}
