//! One way to run a job (`robosim_backend`): settings resolved once and the same from the
//! command line and the library; worker processes that die are robosim's failure, replaced.

use std::process::Command;

use robosim::{
    LimitOverrides,
    backend::{Grading, Place, SandboxSetup, Verification, WorkerCommand},
    grade::{GradeOverrides, Grader, Task, TraceReading},
    verify::{Search, Stopped, Verify, VerifyConfig, VerifyOverrides},
};
use serde_json::Value;

fn settings(args: &[&str]) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_robosim")).arg("settings").args(args).output().expect("robosim");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("JSON")
}

/// The command line resolves its flags through the library: the same settings, with the same
/// defaults (grading's fuel used to be 5 G from the command line, 1 G from Python and the
/// library).
#[test]
fn the_command_line_and_the_library_resolve_the_same_settings() {
    let library = |overrides: VerifyOverrides| serde_json::to_value(overrides.resolve().unwrap()).unwrap();
    assert_eq!(settings(&["verify"]), library(VerifyOverrides::default()));
    assert_eq!(settings(&["verify"]), serde_json::to_value(VerifyConfig::default()).unwrap());
    let flags = ["verify", "--search", "exhaustive", "--max-paths", "7", "--fuel", "3000000000", "--memory-mib", "128"];
    let set = VerifyOverrides {
        search: Some(Search::Exhaustive),
        max_paths: Some(7),
        limits: LimitOverrides { fuel: Some(3_000_000_000), memory_mib: Some(128), ..LimitOverrides::default() },
        ..VerifyOverrides::default()
    };
    assert_eq!(settings(&flags), library(set));
    assert_eq!(settings(&["verify", "--random", "5"])["strategy"], serde_json::json!({"mode": "random", "runs": 5}));

    let grading = |overrides: GradeOverrides| serde_json::to_value(overrides.resolve().unwrap()).unwrap();
    assert_eq!(settings(&["grade"]), grading(GradeOverrides::default()));
    assert_eq!(settings(&["grade"])["limits"]["fuel"], 1_000_000_000u64, "grading's own default");
    let set = GradeOverrides {
        trace: Some(TraceReading::Calls),
        limits: LimitOverrides { deadline_ms: Some(500), ..LimitOverrides::default() },
    };
    assert_eq!(settings(&["grade", "--trace", "calls", "--deadline-ms", "500"]), grading(set));

    // A setting out of range is the tool's error (2), named.
    let output = Command::new(env!("CARGO_BIN_EXE_robosim"))
        .args(["settings", "verify", "--memory-mib", "8"])
        .output()
        .expect("robosim");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("memory_mib must be at least 64, not 8"));
}

/// Workers that take their setup and two requests, then die: the shell passes three lines on,
/// each as it comes (`head` would hold them in its buffer until it exits).
fn dying_workers() -> Place {
    let worker = format!(
        "for i in 1 2 3; do IFS= read -r line; printf '%s\\n' \"$line\"; done | exec '{}' worker",
        env!("CARGO_BIN_EXE_robosim")
    );
    Place::Workers { command: WorkerCommand::new("bash", ["-c", worker.as_str()]), jobs: 1 }
}

/// A verification worker that dies leaves its program *not run* (robosim's failure, never the
/// program's rejection), and the next program gets a new worker.
#[test]
fn a_verification_worker_that_dies_is_not_run_and_replaced() {
    let backend = Verification::new(VerifyConfig::default(), &SandboxSetup::default(), &dying_workers()).unwrap();
    let program = "def task_program():\n    say('hi')\n";
    let verdicts: Vec<_> = (0..6).map(|_| backend.verify(program)).collect();
    let stopped: Vec<Stopped> = verdicts.iter().map(|v| v.stopped()).collect();
    use Stopped::{Exhausted, NotRun};
    assert_eq!(stopped, [Exhausted, Exhausted, NotRun, Exhausted, Exhausted, NotRun]);
    let verdict = &verdicts[2];
    assert!(verdict.was_not_run() && verdict.failure().is_none(), "{verdict:?}");
    assert!(verdict.why_not_run().is_some_and(|why| why.contains("worker")), "{verdict:?}");
}

/// The same for grading: every world of the completion is not run, and grading goes on.
#[test]
fn a_grading_worker_that_dies_is_not_run_and_replaced() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/roboeval");
    let tasks = Task::load_dir(&dir).unwrap();
    let task = &tasks[0];
    let settings = GradeOverrides::default().resolve().unwrap();
    let backend = Grading::new(&dir, settings, &SandboxSetup::default(), &dying_workers()).unwrap();
    let not_run: Vec<bool> = (0..5).map(|_| backend.grade(task, "pass").iter().all(|w| w.not_run())).collect();
    assert_eq!(not_run, [false, false, true, false, false]);
}
