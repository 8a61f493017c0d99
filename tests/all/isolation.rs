//! Isolation between programs, enforced by the host: a program's verdict (or grade) is the
//! same alone, first, last, and after any program that tampers with the interpreter, in
//! `verify-batch` (one job or two, either order), the library and `grade`.
//!
//! `tests/fixtures/isolation/tamper_*.py` each change interpreter-wide state a later program
//! could see (builtins, `sys` settings, hooks, module attributes, the API's classes, the
//! prelude's namespace, finalizers, memory); `ordinary_*.py` are programs whose verdicts
//! those changes would flip if they carried over.

use std::{fs, path::PathBuf, process::Command};

use robosim::{
    batch::verify_stream,
    verify::{Verdict, Verifier, VerifyConfig},
};
use serde_json::{Value, json};

use crate::{Dir, SANDBOX, fixtures};

/// `(name, source)` of the fixtures whose names start with `prefix`, sorted.
fn programs(prefix: &str) -> Vec<(String, String)> {
    let dir = fixtures().join("isolation");
    let mut found: Vec<(String, String)> = fs::read_dir(&dir)
        .expect("isolation fixtures")
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let stem = name.strip_prefix(prefix)?.strip_suffix(".py")?.to_owned();
            Some((stem, fs::read_to_string(entry.path()).expect("fixture")))
        })
        .collect();
    found.sort();
    found
}

/// What must not depend on what ran before: the verdict, the failure and the exploration
/// (paths, fuel), not the wall time.
fn key(verdict: &Verdict) -> Value {
    json!({
        "accepted": verdict.accepted(),
        "paths": verdict.paths,
        "exhausted": verdict.exhausted(),
        "fuel": verdict.fuel_used,
        "class": verdict.failure().map(|f| f.class.clone()),
        "line": verdict.failure().and_then(|f| f.line),
        "error": verdict.failure().map(|f| f.error.clone()),
        "choices": verdict.failure().map(|f| f.choices.clone()),
    })
}

fn verifier() -> Verifier {
    Verifier::with_sandbox(SANDBOX.clone(), VerifyConfig { fuel_budget: 4_000_000_000, ..VerifyConfig::default() })
}

/// B₁…Bₙ, A₁, B₁…Bₙ, A₂, …, B₁…Bₙ: every ordinary program first, after each tamperer, last.
fn interleaved(ordinary: &[(String, String)], tamperers: &[(String, String)]) -> Vec<(String, String)> {
    let mut batch: Vec<(String, String)> = ordinary.to_vec();
    for (name, source) in tamperers {
        batch.push((format!("tamper_{name}"), source.clone()));
        batch.extend(ordinary.iter().cloned());
    }
    batch
}

#[test]
fn the_fixtures_cover_the_reported_tamperers() {
    let tamperers = programs("tamper_");
    assert!(tamperers.len() >= 19, "{}", tamperers.len());
    let ordinary = programs("ordinary_");
    let verifier = verifier();
    // The ordinary programs span verdicts: accepted, and rejected for several reasons.
    let classes: Vec<Option<String>> =
        ordinary.iter().map(|(_, s)| verifier.verify(s).failure().map(|f| f.class.clone().into())).collect();
    for expected in [None, Some("RobotPickError"), Some("NameError"), Some("RecursionError")] {
        assert!(classes.contains(&expected.map(str::to_owned)), "{expected:?} in {classes:?}");
    }
}

#[test]
fn library_verdicts_are_the_same_alone_and_after_every_tamperer() {
    let ordinary = programs("ordinary_");
    let tamperers = programs("tamper_");
    let verifier = verifier();
    let alone: Vec<Value> = ordinary.iter().map(|(_, s)| key(&verifier.verify(s))).collect();
    for jobs in [1, 2] {
        for reversed in [false, true] {
            let mut tamperers = tamperers.clone();
            if reversed {
                tamperers.reverse();
            }
            let batch = interleaved(&ordinary, &tamperers);
            let sources: Vec<String> = batch.iter().map(|(_, s)| s.clone()).collect();
            let mut after = "nothing".to_owned();
            for (index, verdict) in verify_stream(verifier.clone(), jobs, sources) {
                let name = &batch[index].0;
                if let Some(i) = ordinary.iter().position(|(n, _)| n == name) {
                    assert_eq!(key(&verdict), alone[i], "{name} after {after} (jobs {jobs}, reversed {reversed})");
                } else {
                    after.clone_from(name);
                }
            }
        }
    }
}

fn robosim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_robosim")).args(args).output().expect("run robosim")
}

/// The records of a verdicts file, without the manifest line.
fn records(path: &PathBuf) -> Vec<Value> {
    fs::read_to_string(path).expect("output").lines().skip(1).map(|l| serde_json::from_str(l).expect("JSON")).collect()
}

#[test]
fn verify_batch_verdicts_are_the_same_alone_and_after_every_tamperer() {
    let dir = Dir::new("isolation-batch");
    let ordinary = programs("ordinary_");
    let tamperers = programs("tamper_");
    for reversed in [false, true] {
        let mut tamperers = tamperers.clone();
        if reversed {
            tamperers.reverse();
        }
        let batch = interleaved(&ordinary, &tamperers);
        let input = dir.path("in.jsonl");
        let lines: Vec<String> =
            batch.iter().map(|(name, source)| json!({"id": name, "program": source}).to_string()).collect();
        fs::write(&input, lines.join("\n") + "\n").expect("write batch");
        for jobs in ["1", "2"] {
            let out = dir.path(&format!("out-{jobs}-{reversed}.jsonl"));
            let output = robosim(&[
                "verify-batch",
                input.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--no-accepted",
                "--jobs",
                jobs,
            ]);
            assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
            let records = records(&out);
            assert_eq!(records.len(), batch.len());
            let verdict_of = |r: &Value| {
                let v = &r["robosim"]["verdict"];
                json!([
                    r["robosim"]["status"],
                    v["paths"],
                    v["exhausted"],
                    v["fuel_used"],
                    v["failure"]["class"],
                    v["failure"]["line"],
                    v["failure"]["choices"]
                ])
            };
            for (i, (name, _)) in ordinary.iter().enumerate() {
                let first = verdict_of(&records[i]);
                for (record, (n, _)) in records.iter().zip(&batch).skip(ordinary.len()) {
                    if n == name {
                        assert_eq!(verdict_of(record), first, "{name} in a batch (jobs {jobs}, reversed {reversed})");
                    }
                }
            }
        }
    }
}

#[test]
fn grades_are_the_same_alone_and_after_every_tamperer() {
    let dir = Dir::new("isolation-grade");
    let task_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds/examples");
    let task_fixtures = fixtures().join("grade/StaplerDelivery");
    let failing = fs::read_to_string(task_fixtures.join("fail_keeps_it.py")).expect("fixture");
    let passing = fs::read_to_string(task_fixtures.join("pass_direct.py")).expect("fixture");
    let ordinary = [
        ("failing", failing),
        ("empty", "def task_program():\n    pass\n".to_owned()),
        ("passing", passing),
        ("no_entry", "x = 1\n".to_owned()),
    ];
    let mut lines = Vec::new();
    let mut names = Vec::new();
    let mut push = |name: &str, source: &str| {
        lines.push(json!({"id": name, "task": "StaplerDelivery", "completion": source}).to_string());
        names.push(name.to_owned());
    };
    for (name, source) in &ordinary {
        push(name, source);
    }
    for (tamperer, source) in programs("tamper_") {
        push(&format!("tamper_{tamperer}"), &source);
        for (name, source) in &ordinary {
            push(name, source);
        }
    }
    let input = dir.path("completions.jsonl");
    fs::write(&input, lines.join("\n") + "\n").expect("write completions");
    for jobs in ["1", "2"] {
        let output = robosim(&["grade", task_dir.to_str().unwrap(), input.to_str().unwrap(), "--jobs", jobs]);
        assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
        let records: Vec<Value> = fs::read_to_string(dir.path("completions.grades.jsonl"))
            .expect("grades")
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON"))
            .collect();
        let grade_of = |r: &Value| {
            let worlds: Vec<Value> = r["worlds"]
                .as_array()
                .expect("worlds")
                .iter()
                .map(|w| json!([w["passed"], w["outcome"], w["error"], w["failed_checks"]]))
                .collect();
            json!([r["status"], worlds])
        };
        assert_eq!(records[0]["status"], "failed");
        assert_eq!(records[1]["status"], "failed");
        assert_eq!(records[2]["status"], "passed", "{:#}", records[2]);
        for (i, (name, _)) in ordinary.iter().enumerate() {
            let alone = grade_of(&records[i]);
            for (record, n) in records.iter().zip(&names).skip(ordinary.len()) {
                if n == name {
                    assert_eq!(grade_of(record), alone, "{name} after a tamperer (jobs {jobs})");
                }
            }
        }
    }
}

#[test]
fn the_machinery_is_out_of_the_programs_reach() {
    let verifier = verifier();
    for (probe, expected) in [
        // Builtin functions: nothing to rewrite.
        ("robot.go_to.__globals__", "AttributeError"),
        ("robot.say.__code__", "AttributeError"),
        ("robot.pick.__closure__", "AttributeError"),
        // Named without a call, a robot function is no name at all, as in the reference.
        ("go_to.__globals__", "NameError"),
        // Neither the prelude nor a native helper module can be imported.
        ("__import__('_robosim')", "ModuleNotFoundError"),
        ("__import__('_robosim_prelude')", "ModuleNotFoundError"),
        // The classes of world-made names and lists are immutable.
        ("setattr(type(get_current_location()), '__contains__', lambda s, i: True)", "TypeError"),
        ("setattr(type(get_all_rooms()), '__contains__', lambda s, i: True)", "TypeError"),
    ] {
        let verdict = verifier.verify(&format!("import robot\ndef task_program():\n    {probe}\n"));
        let failure = verdict.failure().unwrap_or_else(|| panic!("{probe} should fail"));
        assert_eq!(failure.class, expected, "{probe}: {}", failure.error);
    }
    // A program that raises its own RobotError is not taken for the world's error.
    let verdict =
        verifier.verify("import robot\ndef task_program():\n    raise robot.RobotError('RobotPickError', 'x')\n");
    assert_eq!(verdict.failure().expect("fails").class, "RobotError");
}

#[test]
fn within_one_program_the_usual_changes_do_not_carry_to_its_next_path() {
    // Path 1 (the apple is there) marks builtins; path 2 would skip its failing branch if the
    // mark carried over. The guest's check sees builtins changed, so path 2 starts afresh.
    let source = "import builtins\ndef task_program():\n    if getattr(builtins, '_seen', False):\n        return\n    builtins._seen = True\n    if not is_in_room('apple'):\n        pick('apple')\n";
    let verdict = verifier().verify(source);
    assert_eq!(verdict.failure().expect("the second path fails").class, "RobotPickError");
    // A clean program's paths share one instance.
    let program = robosim::Program::task("def task_program():\n    if is_in_room('apple'):\n        say('yes')\n");
    let mut session = SANDBOX.session(&program);
    for _ in 0..3 {
        let (report, _) = session.run_with(robosim::world::OpenWorld::default(), SANDBOX.limits(), 0);
        assert_eq!(report.outcome, robosim::Outcome::Completed);
    }
    assert_eq!(session.instances(), 1);
}

#[test]
fn a_flood_batch_ends_in_typed_outcomes_and_small_records() {
    let dir = Dir::new("isolation-flood");
    let flood = fixtures().join("flood");
    let mut lines = Vec::new();
    let mut names: Vec<String> = fs::read_dir(&flood)
        .expect("flood fixtures")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in &names {
        let source = fs::read_to_string(flood.join(name)).expect("fixture");
        lines.push(json!({"id": name, "program": source}).to_string());
    }
    lines.push(json!({"id": "ordinary", "program": "def task_program():\n    say('hi')\n"}).to_string());
    let input = dir.path("flood.jsonl");
    fs::write(&input, lines.join("\n") + "\n").expect("write batch");
    let out = dir.path("flood.verdicts.jsonl");
    let output = robosim(&["verify-batch", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--jobs", "2"]);
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    let size = fs::metadata(&out).expect("verdicts").len();
    assert!(size < 4 << 20, "the verdicts of {} flooding programs take {size} bytes", names.len());
    let records = records(&out);
    for (record, name) in records.iter().zip(&names) {
        let class = record["robosim"]["verdict"]["failure"]["class"].as_str().unwrap_or("accepted");
        let expected: &[&str] = match name.as_str() {
            "urandom.py" => &["TimeOutError", "MemoryError"],
            "ask_options.py" => &["RobotDataLimitExceeded", "TimeOutError", "MemoryError"],
            "exception_text.py" => &["ValueError"],
            "exit_value.py" => &["accepted"],
            _ => &["RobotDataLimitExceeded"],
        };
        assert!(expected.contains(&class), "{name}: {class}");
        let trace = &record["robosim"]["verdict"]["failure"]["trace"];
        assert!(trace.as_array().is_none_or(|t| t.len() <= robosim::verify::RECORD_EVENTS), "{name}");
    }
    assert_eq!(records.last().expect("records")["robosim"]["status"], "accepted");
}

#[test]
fn verdicts_keep_long_traces_and_values_cut_visibly() {
    let source =
        "def task_program():\n    for i in range(1000):\n        say('x' * 600)\n    pick('a')\n    pick('b')\n";
    let verdict = verifier().verify(source);
    let failure = verdict.failure().expect("holding two objects fails");
    assert_eq!(failure.class, "RobotPickError");
    assert_eq!(failure.trace.len(), robosim::verify::RECORD_EVENTS);
    assert_eq!(failure.trace_omitted, 1002 - robosim::verify::RECORD_EVENTS);
    // The last events (the failure) are kept; long strings say how much was cut.
    assert_eq!(failure.trace.last().expect("events").function, robosim::protocol::RobotFunction::Pick);
    let first = serde_json::to_string(&failure.trace[0]).expect("JSON");
    assert!(first.contains("bytes]") && first.len() < 700, "{first}");
}

#[test]
fn within_one_completion_the_usual_changes_do_not_carry_to_its_next_state() {
    // A completion's states share an instance as a program's paths do. StaplerDelivery's
    // reference program passes its three RoboEval states; the marked copy does nothing in any
    // state after one that set a mark in builtins, so it would fail states 1 and 2 if the mark
    // carried over. The guest sees builtins changed, so each next state starts afresh.
    let body = "    list_of_rooms = get_all_rooms()\n    for room in list_of_rooms:\n        if \"printer room\" not in room:\n            continue\n        go_to(room)\n        if not is_in_room(\"stapler\"):\n            go_to(\"supply room\")\n            pick(\"stapler\")\n            go_to(room)\n            place(\"stapler\")\n";
    let reference = format!("def task_program():\n{body}");
    let marked = format!(
        "import builtins\ndef task_program():\n    if getattr(builtins, '_seen', False):\n        return\n    builtins._seen = True\n{body}"
    );
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds/roboeval");
    let tasks = robosim::grade::Task::load_dir(&dir).expect("tasks");
    let task = tasks.iter().find(|t| t.name == "StaplerDelivery").expect("StaplerDelivery");
    let grading = robosim::grade::Grading::default();
    for source in [&reference, &marked] {
        let worlds = robosim::grade::grade_one(task, source, &SANDBOX, &grading);
        assert_eq!(worlds.len(), 3);
        assert!(worlds.iter().all(|w| w.passed), "{source}: {worlds:?}");
    }
}
