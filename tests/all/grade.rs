//! `robosim grade` on the tasks in `seeds/examples` and the fixture programs written for them
//! (`tests/fixtures/grade/<Task>/pass_*.py` must pass, `fail_*.py` must fail, naming the check
//! or error in their `# expect:` line).

use std::{fs, path::PathBuf, process::Command};

use robosim::grade::Task;
use serde_json::{Value, json};

use crate::{Dir, fixtures};

fn tasks_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds/examples")
}

/// (task, file name, source) of every fixture program.
fn fixture_programs() -> Vec<(String, String, String)> {
    let mut programs = Vec::new();
    for task in fs::read_dir(fixtures().join("grade")).expect("fixtures").flatten() {
        for file in fs::read_dir(task.path()).expect("task fixtures").flatten() {
            let name = file.file_name().to_string_lossy().into_owned();
            let source = fs::read_to_string(file.path()).expect("fixture program");
            programs.push((task.file_name().to_string_lossy().into_owned(), name, source));
        }
    }
    programs.sort();
    programs
}

#[test]
fn the_shipped_tasks_load() {
    let tasks = Task::load_dir(&tasks_dir()).unwrap();
    let names: Vec<&str> = tasks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["ChargerSearch", "LunchPoll", "RemoteRestock", "SeminarNotice", "StaplerDelivery"]);
    assert!(tasks.iter().all(|t| !t.prompts.is_empty() && !t.checks.is_empty()));
}

#[test]
fn every_fixture_program_gets_its_expected_grade() {
    let dir = Dir::new("grade");
    let programs = fixture_programs();
    assert!(programs.len() >= 20);
    let mut lines: Vec<String> = programs
        .iter()
        .map(|(task, name, source)| {
            json!({"id": format!("{task}/{name}"), "task": task, "completion": source}).to_string()
        })
        .collect();
    // Bad lines become records; a hostile completion is stopped and graded as failed.
    lines.push("{not json".into());
    lines.push(json!({"task": "NoSuchTask", "completion": "def task_program():\n    pass\n"}).to_string());
    lines.push(json!({"task": "LunchPoll"}).to_string());
    lines.push(json!({"id": "spin", "task": "LunchPoll", "completion": "def task_program():\n    while True:\n        pass\n"}).to_string());
    // A model's answer with prose around the code.
    let (task, _, source) = programs.iter().find(|(_, name, _)| name.starts_with("pass_")).unwrap();
    let chatty = format!("Sure! Here it is:\n```python\n{source}```\nHope this helps.");
    lines.push(json!({"id": "chatty", "task": task, "completion": chatty}).to_string());
    let input = dir.path("completions.jsonl");
    fs::write(&input, lines.join("\n") + "\n").unwrap();

    let output = Command::new(env!("CARGO_BIN_EXE_robosim"))
        .args(["grade", tasks_dir().to_str().unwrap(), input.to_str().unwrap(), "--json", "--jobs", "2"])
        .args(["--fuel", "200000000"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    let records: Vec<Value> = fs::read_to_string(dir.path("completions.grades.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), lines.len());

    for ((task, name, source), record) in programs.iter().zip(&records) {
        assert_eq!(record["id"], format!("{task}/{name}"));
        let expected = if name.starts_with("pass_") { "passed" } else { "failed" };
        assert_eq!(record["status"], expected, "{task}/{name}: {record:#}");
        if let Some(expect) = source.lines().next().and_then(|l| l.strip_prefix("# expect: ")) {
            let worlds = record["worlds"].to_string();
            assert!(worlds.contains(expect), "{task}/{name} should fail on {expect:?}: {worlds}");
        }
    }
    let rest = &records[programs.len()..];
    assert_eq!(rest[0]["status"], "invalid_input");
    assert!(rest[0]["message"].as_str().unwrap().starts_with("not JSON"));
    assert_eq!(rest[1]["message"], "unknown task \"NoSuchTask\"");
    assert_eq!(rest[2]["message"], "no `completion` (or `program`) string");
    assert_eq!(rest[3]["status"], "failed");
    assert_eq!(rest[3]["worlds"][0]["outcome"], "fuel_exhausted");
    assert_eq!(rest[4]["status"], "passed", "{:#}", rest[4]);

    // pass@1 per task: its passing fixtures over its graded completions.
    for (name, task) in summary["tasks"].as_object().unwrap() {
        let mine: Vec<&Value> = records.iter().filter(|r| r["task"] == name.as_str()).collect();
        let passed = mine.iter().filter(|r| r["status"] == "passed").count();
        assert_eq!(task["completions"].as_u64().unwrap() as usize, mine.len());
        assert_eq!(task["passed"].as_u64().unwrap() as usize, passed);
        assert!((task["pass_at_1"].as_f64().unwrap() - passed as f64 / mine.len() as f64).abs() < 1e-3);
    }
    assert_eq!(summary["invalid_input"], 3);
    assert!(summary["failures"].as_array().unwrap().len() as u64 >= summary["failed"].as_u64().unwrap());

    // Graded in this process (one job) instead of two worker processes: the same records,
    // byte for byte (the limits reach the workers: the spinning completion ran out of fuel).
    let in_process = dir.path("in-process.jsonl");
    let output = Command::new(env!("CARGO_BIN_EXE_robosim"))
        .args(["grade", tasks_dir().to_str().unwrap(), input.to_str().unwrap(), "--jobs", "1"])
        .args(["--fuel", "200000000", "--out", in_process.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(fs::read(in_process).unwrap(), fs::read(dir.path("completions.grades.jsonl")).unwrap());
}

#[test]
fn a_broken_task_file_is_a_tool_failure_naming_it() {
    let dir = Dir::new("grade-bad-task");
    fs::write(
        dir.path("t.json"),
        r#"{"name": "T", "prompts": ["x"], "worlds": [{"name": "w", "world": {"rooms": ["a"], "robot": "b"}}]}"#,
    )
    .unwrap();
    fs::write(dir.path("c.jsonl"), "").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_robosim"))
        .args(["grade", dir.0.to_str().unwrap(), dir.path("c.jsonl").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("t.json") && stderr.contains("world \"w\"") && stderr.contains("\"b\""), "{stderr}");
}

/// `robosim grade … | head` with the reader gone before the summary: no panic, no error.
#[test]
fn a_closed_stdout_is_not_a_panic() {
    let dir = Dir::new("grade-closed-pipe");
    let completions = dir.path("completions.jsonl");
    fs::copy(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/completions.jsonl"), &completions).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_robosim"))
        .args(["grade", tasks_dir().to_str().unwrap(), completions.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}
