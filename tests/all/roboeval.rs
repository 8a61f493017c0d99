//! RoboEval's 16 tasks and 4 ablations (`seeds/roboeval`), graded as RoboEval grades them:
//! robosim's per-state verdicts agree with those RoboEval's own harness gave the programs of
//! `../shared/corpus/roboeval_dev.jsonl` (`just roboeval-agreement` runs all 6,639; this test
//! a tenth of them, every task represented).

use std::path::PathBuf;

use robosim::{
    Limits,
    grade::{Grading, Task},
};
use serde_json::Value;

use crate::SANDBOX;

fn tasks() -> Vec<Task> {
    Task::load_dir(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds/roboeval")).expect("the RoboEval tasks load")
}

#[test]
fn the_benchmark_has_its_20_tasks_with_their_prompts_and_states() {
    let tasks = tasks();
    assert_eq!(tasks.len(), 20);
    for task in &tasks {
        assert_eq!(task.prompts.len(), 5, "{}", task.name);
        assert!(!task.states.is_empty() && task.worlds.is_empty(), "{}", task.name);
        if let Some(main) = &task.ablation_of {
            let main = tasks.iter().find(|t| &t.name == main).expect("the ablated task");
            // An ablation re-checks the main task's prompts, in as many states.
            assert_eq!(task.prompts, main.prompts, "{}", task.name);
            assert_eq!(task.states.len(), main.states.len(), "{}", task.name);
        }
    }
    let ablations = tasks.iter().filter(|t| t.ablation_of.is_some()).count();
    assert_eq!(ablations, 4);
}

#[test]
fn verdicts_agree_with_roboeval_on_a_tenth_of_the_labelled_corpus() {
    let Some(corpus) = crate::shared("corpus/roboeval_dev.jsonl") else { return };
    let tasks = tasks();
    let limits = Limits { fuel: 2_000_000_000, ..Limits::default() };
    let text = std::fs::read_to_string(corpus).expect("the corpus");
    let (mut states, mut disagreements) = (0, Vec::new());
    for (i, line) in text.lines().enumerate().step_by(10) {
        let row: Value = serde_json::from_str(line).expect("JSON");
        let name = row["task"].as_str().expect("a task");
        let task = tasks.iter().find(|t| t.name == name).expect("a known task");
        let results = robosim::grade::grade_one(
            task,
            row["program"].as_str().expect("a program"),
            &SANDBOX,
            &Grading { limits, ..Grading::default() },
        );
        let expected: Vec<bool> =
            row["roboeval"]["states"].as_array().expect("states").iter().map(|s| s["passed"] == true).collect();
        assert_eq!(results.len(), expected.len(), "line {}: {name}", i + 1);
        for (k, (ours, theirs)) in results.iter().zip(&expected).enumerate() {
            states += 1;
            if ours.passed != *theirs {
                disagreements.push(format!("line {} {name} state {k}: robosim {ours:?}, RoboEval {theirs}", i + 1));
            }
        }
    }
    assert!(states > 1_500, "{states} states");
    assert!(
        disagreements.is_empty(),
        "{} of {states} states disagree:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

/// A program that waits forever: stopped by the robot-call budget, judged on its partial trace
/// where the state expects the wait, failed where it does not.
#[test]
fn a_waiting_program_is_stopped_and_judged_as_roboeval_does() {
    let tasks = tasks();
    let task = tasks.iter().find(|t| t.name == "ElevatorTour").expect("ElevatorTour");
    let program = "def task_program():\n    while True:\n        is_in_room(\"person\")\n        time.sleep(1)\n";
    let results = robosim::grade::grade_one(
        task,
        program,
        &SANDBOX,
        &Grading { limits: Limits::default(), ..Grading::default() },
    );
    for (case, result) in task.states.iter().zip(&results) {
        assert_eq!(result.outcome, "robot_call_limit_exceeded", "{result:?}");
        // A state that expects the wait gets RoboEval's budget; any other the full one.
        let budget =
            if case.timeout { robosim::grade::roboeval::TIMEOUT_ROBOT_CALLS } else { Limits::default().robot_calls };
        assert_eq!(result.robot_calls as u64, budget, "{result:?}");
        let unexpected = result.error.as_deref() == Some("SIM: TimeoutError: program should not timeout");
        assert_eq!(unexpected, !case.timeout, "{result:?}");
    }
    assert!(task.states.iter().any(|s| s.timeout) && task.states.iter().any(|s| !s.timeout));
}

/// RoboEval reads its trace back from the program's stdout: a line the program prints before
/// its last robot call ends the trace there, one printed after it changes nothing.
#[test]
fn a_program_that_prints_loses_the_trace_after_its_print_as_in_roboeval() {
    let tasks = tasks();
    let task = tasks.iter().find(|t| t.name == "SayGoodDay").expect("SayGoodDay");
    let program = |before: &str, after: &str| {
        format!(
            "def task_program():\n    for room in get_all_rooms():\n        if \"lab\" not in room:\n            continue\n{before}        go_to(room)\n        if is_in_room(\"person\"):\n            say(\"Good day!\")\n{after}"
        )
    };
    let passed =
        |source: &str| robosim::grade::grade_one(task, source, &SANDBOX, &Grading::default()).iter().all(|s| s.passed);
    assert!(passed(&program("", "")));
    assert!(passed(&program("", "    print(\"done\")\n")), "a print after the last call is harmless");
    assert!(!passed(&program("        print(\"visiting\", room)\n", "")), "the trace ends at the first print");
}
