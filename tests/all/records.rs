//! Records a program cannot dress up, and the reference's rule for robot functions named
//! without a call: the host says what stopped a run, lines are the program's own, classes read
//! back from files by outcome, a verdicts file torn in its first line resumes.

use std::fs;

use robosim::verify::{Verifier, VerifyConfig};
use serde_json::{Value, json};

use crate::{
    Dir, SANDBOX,
    batch::{batch, record_line, records},
};

fn verifier() -> Verifier {
    Verifier::with_sandbox(SANDBOX.clone(), VerifyConfig::default())
}

/// (class, line, outcome kind) of a program's first failure; `None` when it is accepted.
fn failure(source: &str) -> Option<(String, Option<u32>, &'static str)> {
    let verdict = verifier().verify(source);
    verdict.failure().map(|f| (f.class.to_string(), f.line, f.outcome.kind()))
}

#[test]
fn a_line_is_the_programs_only_in_code_compiled_from_its_text() {
    // Code the program compiles under its own file name claims line 42 of a 2-line program:
    // the line reported is the `exec` call's.
    let source = "def task_program():\n    exec(compile('\\n' * 41 + 'raise ValueError(1)', '<program>', 'exec'))\n";
    assert_eq!(failure(source), Some(("ValueError".into(), Some(2), "python_error")));
    // A function the program defines is its own code: the line inside it.
    let source = "def helper():\n    raise KeyError('k')\n\ndef task_program():\n    helper()\n";
    assert_eq!(failure(source), Some(("KeyError".into(), Some(2), "python_error")));
}

#[test]
fn a_robot_function_named_without_a_call_is_undefined_as_in_the_reference() {
    // A truncated answer: the reference's `robot.` rewrite leaves `ask` undefined.
    let truncated = "def task_program():\n    go_to('kitchen')\n    response = ask\n";
    assert_eq!(failure(truncated), Some(("NameError".into(), Some(3), "python_error")));
    let verdict = verifier().verify(truncated);
    assert_eq!(verdict.failure().expect("rejected").error, "NameError: name 'ask' is not defined");
    for (source, accepted) in [
        // Not evaluated: no error, as in the reference.
        ("def task_program():\n    if False:\n        f = say\n    say('hi')\n", true),
        // The program's own binding of the name is an ordinary variable; calls stay the robot's.
        ("def task_program():\n    say = 'hello'\n    say(say)\n", true),
        // Passed around as a value: undefined.
        ("def task_program():\n    for f in [go_to, say]:\n        pass\n", false),
        // A space before the parenthesis: the reference's rewrite does not see a call.
        ("def task_program():\n    say ('hi')\n", false),
        // robosim's own module: its functions are attributes, and an import binds them.
        (
            "import robot\nfrom robot import say\ndef task_program():\n    f = robot.go_to\n    f('lab')\n    say('hi')\n",
            true,
        ),
        // In strings and comments nothing changes.
        ("def task_program():\n    say('ask')  # ask\n", true),
    ] {
        assert_eq!(verifier().verify(source).accepted(), accepted, "{source}");
    }
}

#[test]
fn limits_are_the_hosts_and_a_programs_own_classes_are_counted_apart() {
    let dir = Dir::new("own-classes");
    let input = dir.path("in.jsonl");
    let programs = [
        ("fake-memory", "def task_program():\n    raise MemoryError('fake')\n"),
        (
            "own-timeout",
            "class TimeOutError(Exception):\n    pass\n\ndef task_program():\n    raise TimeOutError('mine')\n",
        ),
        ("real-timeout", "def task_program():\n    while True:\n        pass\n"),
    ];
    let lines: Vec<String> = programs.iter().map(|(id, p)| record_line(id, p)).collect();
    fs::write(&input, lines.join("\n") + "\n").expect("input");
    let out = dir.path("out.jsonl");
    let run = |extra: &[&str]| {
        let mut args = vec!["--out", out.to_str().expect("utf-8"), "--no-accepted", "--json"];
        args.extend_from_slice(extra);
        let output = batch(&input, &args);
        assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice::<Value>(&output.stdout).expect("a JSON summary")
    };
    let expected_classes = json!({
        "MemoryError (a Python exception)": 1, "TimeOutError (a Python exception)": 1, "TimeOutError": 1,
    });
    let expected_outcomes = json!({"python_error": 2, "fuel_exhausted": 1});
    let summary = run(&[]);
    assert_eq!((&summary["by_class"], &summary["by_outcome"]), (&expected_classes, &expected_outcomes));
    let kinds: Vec<Value> =
        records(&out).iter().map(|r| r["robosim"]["verdict"]["failure"]["outcome"]["kind"].clone()).collect();
    assert_eq!(kinds, [json!("python_error"), json!("python_error"), json!("fuel_exhausted")]);
    let message = &records(&out)[0]["robosim"]["verdict"]["failure"]["outcome"]["message"];
    assert_eq!(message, "fake");
    // Read back by `--resume`, every record keeps its kind of class.
    let summary = run(&["--resume"]);
    assert_eq!(summary["resumed"], 3);
    assert_eq!((&summary["by_class"], &summary["by_outcome"]), (&expected_classes, &expected_outcomes));
}

#[test]
fn a_verdicts_file_torn_in_its_manifest_line_or_empty_is_resumed_from_the_start() {
    let dir = Dir::new("torn-manifest");
    let input = dir.path("in.jsonl");
    fs::write(&input, record_line("a", crate::batch::GOOD) + "\n").expect("input");
    let out = dir.path("out.jsonl");
    let out_arg = out.to_str().expect("utf-8");
    assert_eq!(batch(&input, &["--out", out_arg, "--no-accepted"]).status.code(), Some(0));
    let whole = fs::read_to_string(&out).expect("verdicts");
    let manifest_end = whole.find('\n').expect("a manifest line");
    for torn in [&whole[..manifest_end / 2], "", &whole[..manifest_end]] {
        fs::write(&out, torn).expect("torn file");
        let output = batch(&input, &["--out", out_arg, "--no-accepted", "--resume"]);
        assert_eq!(output.status.code(), Some(0), "{torn:?}: {}", String::from_utf8_lossy(&output.stderr));
        assert_eq!(fs::read_to_string(&out).expect("verdicts").lines().count(), 2, "{torn:?}");
    }
    // A file that is not a verdicts file at all is still refused.
    fs::write(&out, "{\"something\": \"else\"}\n").expect("other file");
    assert_eq!(batch(&input, &["--out", out_arg, "--no-accepted", "--resume"]).status.code(), Some(2));
}

/// The wall-clock deadline is a safety net: a run that hits it (fuel plentiful, deadline tiny)
/// leaves the program not verified, never rejected; a batch says so and counts it apart.
#[test]
fn a_run_past_the_wall_clock_deadline_is_robosims_failure_not_the_programs() {
    let limits = robosim::Limits {
        fuel: u64::MAX / 4,
        deadline: std::time::Duration::from_millis(50),
        ..robosim::Limits::default()
    };
    let verifier = Verifier::with_sandbox(
        SANDBOX.clone(),
        VerifyConfig { limits, fuel_budget: u64::MAX, ..VerifyConfig::default() },
    );
    let busy = "def task_program():\n    while True:\n        pass\n";
    let verdict = verifier.verify(busy);
    assert!(verdict.was_not_run() && !verdict.accepted() && verdict.failure().is_none(), "{verdict:?}");
    assert_eq!(verdict.stopped().as_str(), "not_run");

    let dir = Dir::new("not-run");
    let input = dir.path("in.jsonl");
    fs::write(&input, record_line("busy", busy) + "\n" + &record_line("good", crate::batch::GOOD) + "\n")
        .expect("input");
    let mut config = robosim::batch::BatchConfig::new(&input);
    config.output = dir.path("out.jsonl");
    config.accepted = None;
    config.jobs = 1;
    let summary = robosim::batch::run(&config, &verifier, &mut |_| {}).expect("the batch runs");
    assert_eq!((summary.not_run, summary.accepted, summary.rejected), (1, 1, 0));
    let statuses: Vec<Value> = records(&config.output).iter().map(|r| r["robosim"]["status"].clone()).collect();
    assert_eq!(statuses, [json!("not_run"), json!("accepted")]);

    // Grading: the completion is not graded, and `grade` exits 2.
    let completions = dir.path("completions.jsonl");
    let line = json!({"task": "GetDrink", "completion": busy});
    fs::write(&completions, format!("{line}\n")).expect("completions");
    let tasks = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/roboeval");
    let out = dir.path("grades.jsonl");
    let output = crate::batch::robosim(&[
        "grade",
        tasks.to_str().expect("utf-8"),
        completions.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
        "--jobs",
        "1",
        "--fuel",
        "4000000000000000000",
        "--deadline-ms",
        "50",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", String::from_utf8_lossy(&output.stdout));
    let record: Value = serde_json::from_str(fs::read_to_string(&out).expect("grades").trim()).expect("JSON");
    assert_eq!(record["status"], "not_run");
    assert!(record["worlds"].as_array().expect("worlds").iter().all(|w| w["outcome"] == "not_run"));
}
