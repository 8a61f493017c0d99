//! The `robosim` binary: output and exit codes.

use std::process::Command;

use crate::fixtures;

fn robosim(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_robosim")).args(args).output().expect("run robosim");
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn run_prints_trace_and_outcome() {
    let file = fixtures().join("programs/robot_error.py");
    let (code, stdout) = robosim(&["run", file.to_str().expect("utf-8 path")]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("go_to('kitchen') -> None"), "{stdout}");
    assert!(stdout.contains("robot_error at line 4: RobotPickError: Robot is already holding 'banana'"), "{stdout}");
}

#[test]
fn run_exits_zero_on_success_and_prints_json() {
    let file = fixtures().join("programs/typical.py");
    let (code, stdout) = robosim(&["run", "--json", file.to_str().expect("utf-8 path")]);
    assert_eq!(code, 0, "{stdout}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON report");
    assert_eq!(report["outcome"]["kind"], "completed");
}

#[test]
fn a_missing_file_is_a_tool_failure() {
    let (code, _) = robosim(&["run", "/nonexistent/program.py"]);
    assert_eq!(code, 2);
}

#[test]
fn verify_rejects_with_a_replayable_path_and_accepts_good_programs() {
    let bad = fixtures().join("programs/pick_in_loop.py");
    let (code, stdout) = robosim(&["verify", bad.to_str().expect("utf-8 path")]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.starts_with("rejected: "), "{stdout}");
    assert!(stdout.contains("line 5: RobotPickError: Robot is already holding 'cup'"), "{stdout}");
    assert!(stdout.contains("failing path (replay with these choices): [0, 0]"), "{stdout}");

    let good = fixtures().join("programs/api_types.py");
    let (code, stdout) = robosim(&["verify", "--json", good.to_str().expect("utf-8 path")]);
    assert_eq!(code, 0, "{stdout}");
    let verdict: serde_json::Value = serde_json::from_str(&stdout).expect("JSON verdict");
    assert_eq!(verdict["accepted"], true);
    assert_eq!(verdict["exhausted"], true);
    // is_in_room(apple): 2 ways; ask: 2 ways.
    assert_eq!(verdict["paths"], 4);
}

/// A module-level constant before `task_program`: `verify` sees the program `run` runs.
#[test]
fn verify_and_run_agree_on_a_program_with_module_constants() {
    let file = fixtures().join("programs/module_constants.py");
    let path = file.to_str().expect("utf-8 path");
    let (code, stdout) = robosim(&["run", path]);
    assert_eq!(code, 0, "{stdout}");
    let (code, stdout) = robosim(&["verify", "--json", path]);
    assert_eq!(code, 0, "{stdout}");
    let verdict: serde_json::Value = serde_json::from_str(&stdout).expect("JSON verdict");
    assert_eq!(verdict["accepted"], true, "{stdout}");
}
