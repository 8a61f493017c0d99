//! The RoboEval port is the benchmark version the Robo-Instruct paper ran (ut-amrl/robo-instruct's
//! `roboeval/`, = codebotler HEAD), checked two ways with verdicts from RoboEval's own code
//! (`dev/roboeval`, run against checkouts of the benchmark; see `seeds/roboeval/README.md`):
//!
//! - `tests/fixtures/roboeval/versions.jsonl`: programs written to tell the benchmark's versions
//!   apart (a "without" summary, an arrival message without "enjoy", …), each with the per-state
//!   verdicts RoboEval's own harness gave it on robo-instruct's task files and on codebotler
//!   7298339's (the version robosim had ported before);
//! - `tests/fixtures/roboeval/harness.jsonl`: programs that meet the harness's own rewrite rules;
//! - `tests/fixtures/roboeval/traces.jsonl`: traces generated from the labelled corpus's programs
//!   (run on RoboEval's simulator, then mutated), each with the verdict of the state's own test
//!   function on RoboEval's own `rtl.py`, for every state of the 20 tasks — the only check of
//!   the two loops (`StaplerDelivery`, `FindBackpack`) that cannot be compared as trees.

use std::path::PathBuf;

use robosim::grade::{
    Task,
    roboeval::EvalClass,
    rtl::{Action, Element, Expr},
};
use serde_json::Value;

use crate::{SANDBOX, fixtures};

fn tasks() -> Vec<Task> {
    Task::load_dir(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds/roboeval")).expect("the RoboEval tasks load")
}

fn rows(file: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(fixtures().join("roboeval").join(file)).expect("the fixture");
    text.lines().map(|line| serde_json::from_str(line).expect("JSON")).collect()
}

fn states(verdict: &Value) -> Vec<bool> {
    verdict["states"].as_array().expect("states").iter().map(|s| s.as_bool().expect("a bool")).collect()
}

/// Grades each row's program and compares every state's verdict, and RoboEval's error class,
/// with what RoboEval's own harness gave it (`roboeval`); returns the tasks seen.
fn graded_as_roboeval_grades(rows: &[Value]) -> std::collections::BTreeSet<&str> {
    let tasks = tasks();
    let mut seen = std::collections::BTreeSet::new();
    let mut disagreements = Vec::new();
    for row in rows {
        let (id, name) = (row["id"].as_str().expect("id"), row["task"].as_str().expect("task"));
        let task = tasks.iter().find(|t| t.name == name).expect("a known task");
        let program = row["program"].as_str().expect("a program");
        let results = robosim::grade::grade_one(task, program, &SANDBOX, &robosim::grade::Grading::default());
        let ours: Vec<bool> = results.iter().map(|r| r.passed).collect();
        let class = EvalClass::of(&results).name();
        let theirs = states(&row["roboeval"]);
        if ours != theirs || class != row["roboeval"]["error"] {
            disagreements
                .push(format!("{id}: robosim {ours:?} {class}, RoboEval {theirs:?} {}", row["roboeval"]["error"]));
        }
        seen.insert(name);
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    seen
}

#[test]
fn programs_that_tell_the_benchmark_versions_apart_get_the_papers_verdicts() {
    let rows = rows("versions.jsonl");
    for row in &rows {
        // The fixture is only worth having if each program's verdict moved between versions.
        assert_ne!(states(&row["roboeval"]), states(&row["roboeval_7298339"]), "{}: the versions agree", row["id"]);
    }
    let seen: Vec<_> = graded_as_roboeval_grades(&rows).into_iter().collect();
    let five = ["ElevatorTour", "MovieMessenger", "SayGoodDay", "SetTemperature", "StaplerSupply"];
    assert_eq!(seen, five, "every updated task is covered");
}

/// `tests/fixtures/roboeval/harness.jsonl`: the harness's own rewrite of the program (every
/// `time.sleep` argument times zero, where its pattern finds the call).
#[test]
fn programs_are_rewritten_as_robo_instructs_harness_rewrites_them() {
    graded_as_roboeval_grades(&rows("harness.jsonl"));
}

#[test]
fn every_states_check_judges_generated_traces_as_roboevals_own_test_does() {
    let tasks = tasks();
    let rows = rows("traces.jsonl");
    let mut disagreements = Vec::new();
    // Per state: traces RoboEval's test passes, fails, raises on.
    let mut covered = std::collections::BTreeMap::<(&str, usize), [usize; 3]>::new();
    for (i, row) in rows.iter().enumerate() {
        let name = row["task"].as_str().expect("task");
        let state = usize::try_from(row["state"].as_u64().expect("state")).expect("small");
        let task = tasks.iter().find(|t| t.name == name).expect("a known task");
        let trace: Vec<Element> = row["trace"]
            .as_array()
            .expect("a trace")
            .iter()
            .map(|e| Element {
                action: Action::named(e[0].as_str().expect("a name")),
                value: e[1].as_str().expect("a value").to_owned(),
                options: e[2].as_array().map(|o| o.iter().map(|s| s.as_str().expect("an option").to_owned()).collect()),
            })
            .collect();
        let expected = &row["roboeval"];
        let ours = task.states[state].check.eval(&trace);
        let same = match &ours {
            Ok(value) => expected.as_bool() == Some(*value),
            Err(_) => expected == "error",
        };
        let kind = match expected.as_bool() {
            Some(true) => 0,
            Some(false) => 1,
            None => 2,
        };
        covered.entry((name, state)).or_default()[kind] += 1;
        if !same {
            disagreements.push(format!("line {}: {name} state {state}: robosim {ours:?}, RoboEval {expected}", i + 1));
        }
    }
    assert!(disagreements.is_empty(), "{} of {}:\n{}", disagreements.len(), rows.len(), disagreements.join("\n"));
    let states: usize = tasks.iter().map(|t| t.states.len()).sum();
    assert_eq!(covered.len(), states, "every state of every task has traces");
    for ((name, state), [passing, failing, _]) in &covered {
        let task = tasks.iter().find(|t| t.name == *name).expect("a known task");
        // A state whose check is `true` (LunchTimeAblation's second) fails nothing.
        let constant = matches!(task.states[*state].check, Expr::Const(true));
        assert!(
            *passing > 0 && (*failing > 0 || constant),
            "{name} state {state}: {passing} passing, {failing} failing"
        );
    }
}
