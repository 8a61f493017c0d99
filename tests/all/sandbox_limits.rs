//! Each limit ends the run with its own outcome, and the next run is unaffected.

use std::time::Duration;

use robosim::{Limits, Outcome};

use crate::{program, run_task, run_with};

/// After a hostile run, an ordinary program still runs normally in the same process.
fn next_run_is_clean() {
    let report = run_task(&program("typical"));
    assert_eq!(report.outcome, Outcome::Completed, "{report:#?}");
}

#[test]
fn infinite_loop_runs_out_of_fuel() {
    let limits = Limits { fuel: 200_000_000, ..Limits::default() };
    let report = run_with(&program("busy_loop"), &limits, 0);
    assert_eq!(report.outcome, Outcome::FuelExhausted);
    assert_eq!(report.fuel_used, 200_000_000);
    next_run_is_clean();
}

#[test]
fn infinite_loop_hits_the_deadline_when_fuel_is_plentiful() {
    let limits = Limits { fuel: u64::MAX / 4, deadline: Duration::from_millis(300), ..Limits::default() };
    let report = run_with(&program("busy_loop"), &limits, 0);
    assert_eq!(report.outcome, Outcome::DeadlineExceeded);
    assert!(report.wall_time < Duration::from_secs(5), "{:?}", report.wall_time);
    next_run_is_clean();
}

#[test]
fn a_billion_element_list_hits_the_memory_limit() {
    let report = run_task(&program("huge_list"));
    assert_eq!(report.outcome, Outcome::MemoryExceeded, "{report:#?}");
    next_run_is_clean();
}

#[test]
fn growing_memory_past_the_limit_is_a_memory_outcome() {
    let limits = Limits { memory_bytes: 96 << 20, ..Limits::default() };
    let report = run_with(
        "def task_program():\n    blocks = []\n    while True:\n        blocks.append(bytearray(1 << 20))\n",
        &limits,
        0,
    );
    assert_eq!(report.outcome, Outcome::MemoryExceeded, "{report:#?}");
    next_run_is_clean();
}

#[test]
fn unbounded_recursion_is_a_recursion_error() {
    let report = run_task(&program("recursion"));
    assert!(
        matches!(report.outcome, Outcome::PythonError { ref exc_type, line: Some(2), .. } if exc_type == "RecursionError"),
        "{report:#?}"
    );
    next_run_is_clean();
}

#[test]
fn printing_100_mb_is_cut_at_the_cap() {
    let report = run_task(&program("print_flood"));
    assert_eq!(report.outcome, Outcome::OutputLimitExceeded);
    let cap = Limits::default().output_bytes;
    assert_eq!(report.stdout.len(), cap);
    assert!(report.stdout.starts_with("xxxx"));
    next_run_is_clean();
}

#[test]
fn too_many_robot_calls_hit_the_call_limit() {
    let limits = Limits { robot_calls: 50, ..Limits::default() };
    let report = run_with("def task_program():\n    while True:\n        say('hi')\n", &limits, 0);
    assert_eq!(report.outcome, Outcome::RobotCallLimitExceeded);
    assert_eq!(report.trace.len(), 50);
    next_run_is_clean();
}

#[test]
fn deep_native_recursion_is_a_clean_outcome() {
    // repr() of a deeply nested list recurses in Rust, not in Python.
    let report =
        run_task("def task_program():\n    x = 1\n    for _ in range(100000):\n        x = [x]\n    say(repr(x))\n");
    assert_eq!(report.outcome, Outcome::StackExhausted, "{report:#?}");
    next_run_is_clean();
}
