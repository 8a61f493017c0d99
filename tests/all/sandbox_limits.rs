//! Each limit ends the run with its own outcome, and the next run is unaffected.

use std::time::Duration;

use robosim::{Limits, Outcome, Program, world::OpenWorld};

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

/// `[0] * 10**9` asks for more than a 32-bit interpreter can address: the interpreter raises
/// `MemoryError` without asking the host for memory, so it is a Python exception, not the
/// sandbox's limit (which `growing_memory_past_the_limit_is_a_memory_outcome` hits).
#[test]
fn a_billion_element_list_is_a_memory_error_the_interpreter_raises() {
    let report = run_task(&program("huge_list"));
    assert!(
        matches!(&report.outcome, Outcome::PythonError { exc_type, line: Some(2), .. } if exc_type == "MemoryError"),
        "{report:#?}"
    );
    next_run_is_clean();
}

/// The memory limit is the host's to report: a program that raises `MemoryError` itself
/// gets a Python exception with its own message.
#[test]
fn a_memory_error_the_program_raises_is_its_own() {
    let report = run_task("def task_program():\n    raise MemoryError('fake')\n");
    assert!(
        matches!(&report.outcome, Outcome::PythonError { exc_type, message, .. } if exc_type == "MemoryError" && message == "fake"),
        "{report:#?}"
    );
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

/// `tests/fixtures/flood/<name>.py`: programs that try to make the host do or keep a lot.
fn flood(name: &str) -> String {
    let path = crate::fixtures().join("flood").join(format!("{name}.py"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn data_passed_to_the_world_is_bounded() {
    for name in ["say_list", "ask_options", "long_messages", "membership_queries"] {
        let report = run_task(&flood(name));
        // Building 1.5 M options may exhaust the guest's own memory first: also a clean end.
        let bounded = match name {
            "ask_options" => matches!(report.outcome, Outcome::RobotDataLimitExceeded | Outcome::MemoryExceeded),
            _ => report.outcome == Outcome::RobotDataLimitExceeded,
        };
        assert!(bounded, "{name}: {:?}", report.outcome);
        let traced: usize = report.trace.iter().map(|e| serde_json::to_string(e).map_or(0, |s| s.len())).sum();
        assert!(traced <= Limits::default().robot_data_bytes, "{name}: {traced} bytes of trace kept");
    }
    // A smaller allowance is honoured exactly: 3 calls of ~40 bytes fit in 150, not 4.
    let limits = Limits { robot_data_bytes: 150, ..Limits::default() };
    let report = run_with("def task_program():\n    for i in range(10):\n        say('hello')\n", &limits, 0);
    assert_eq!(report.outcome, Outcome::RobotDataLimitExceeded);
    assert!((1..10).contains(&report.trace.len()), "{}", report.trace.len());
    next_run_is_clean();
}

#[test]
fn entropy_costs_fuel_and_reports_are_cut() {
    let report = run_task(&flood("urandom"));
    assert!(
        matches!(report.outcome, Outcome::FuelExhausted | Outcome::MemoryExceeded),
        "100 MB of entropy a time must not be free: {:?}",
        report.outcome
    );
    match run_task(&flood("exception_text")).outcome {
        Outcome::PythonError { exc_type, message, .. } => {
            assert_eq!(exc_type, "ValueError");
            assert!(message.len() < 20_000 && message.contains("more bytes]"), "{} bytes", message.len());
        }
        other => panic!("{other:?}"),
    }
    match run_task(&flood("exit_value")).outcome {
        Outcome::Exited { code } => {
            let text = serde_json::to_string(&code).expect("JSON");
            assert!(text.len() < 20_000 && text.contains("items]"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    next_run_is_clean();
}

/// More threads than pool slots: runs wait for a slot instead of failing to instantiate.
#[test]
fn more_threads_than_pool_slots_all_complete() {
    let config = robosim::SandboxConfig { max_concurrent_runs: 2, ..robosim::SandboxConfig::default() };
    let sandbox = robosim::Sandbox::with_config(config).unwrap();
    let program = Program::task("def task_program():\n    go_to('kitchen')\n    say('done')\n");
    std::thread::scope(|scope| {
        let runs: Vec<_> = (0..6)
            .map(|_| scope.spawn(|| (0..3).map(|_| sandbox.run(&program, OpenWorld::default()).0).collect::<Vec<_>>()))
            .collect();
        for run in runs {
            for report in run.join().unwrap() {
                assert_eq!(report.outcome, Outcome::Completed, "{report:#?}");
            }
        }
    });
}
