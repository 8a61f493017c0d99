//! `robosim verify-batch`, end to end through the real binary.

use std::{
    fs,
    io::Write,
    path::Path,
    process::{Command, Output, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use crate::Dir;

pub(crate) fn robosim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_robosim")).args(args).output().expect("run robosim")
}

pub(crate) fn batch(input: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["verify-batch", input.to_str().expect("utf-8 path")];
    args.extend_from_slice(extra);
    robosim(&args)
}

/// The records of a verdicts file (after the manifest line).
pub(crate) fn records(path: &Path) -> Vec<Value> {
    let text = fs::read_to_string(path).expect("verdicts file");
    let mut lines = text.lines();
    let manifest: Value = serde_json::from_str(lines.next().expect("manifest")).expect("JSON");
    assert!(manifest["robosim_manifest"]["guest_sha256"].is_string(), "{manifest}");
    lines.map(|l| serde_json::from_str(l).expect("each record is JSON")).collect()
}

pub(crate) fn record_line(id: &str, program: &str) -> String {
    json!({ "id": id, "instruction": format!("task {id}"), "program": program }).to_string()
}

pub(crate) const GOOD: &str = "def task_program():\n    go_to('kitchen')\n    say('hi')\n";
pub(crate) const BAD: &str = "def task_program():\n    pick('a')\n    pick('b')\n";
/// Takes a few milliseconds per path and explores many paths.
const SLOW: &str = "def task_program():\n    n = 0\n    for i in range(3000):\n        n += i\n    for room in get_all_rooms():\n        go_to(room)\n        if is_in_room('cup'):\n            say(str(n))\n";

#[test]
fn records_come_out_in_input_order_with_two_jobs() {
    let dir = Dir::new("order");
    let input = dir.path("in.jsonl");
    // Slow programs first, so that later ones finish earlier on the other worker.
    let lines: Vec<String> = (0..24)
        .map(|i| {
            record_line(
                &format!("p{i}"),
                if i < 4 {
                    SLOW
                } else if i % 5 == 0 {
                    BAD
                } else {
                    GOOD
                },
            )
        })
        .collect();
    fs::write(&input, lines.join("\n") + "\n").expect("input");
    let output = batch(&input, &["--jobs", "2"]);
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    let records = records(&dir.path("in.verdicts.jsonl"));
    let ids: Vec<String> = records.iter().map(|r| r["id"].as_str().expect("id").to_owned()).collect();
    assert_eq!(ids, (0..24).map(|i| format!("p{i}")).collect::<Vec<_>>());
    for (i, record) in records.iter().enumerate() {
        assert_eq!(record["robosim"]["line"], json!(i + 1));
        let expected = if i >= 4 && i % 5 == 0 { "rejected" } else { "accepted" };
        assert_eq!(record["robosim"]["status"], expected, "{record}");
        assert_eq!(record["instruction"], format!("task p{i}"), "input fields are carried through");
    }
}

#[test]
fn bad_input_becomes_records_and_the_batch_goes_on() {
    let dir = Dir::new("bad");
    let input = dir.path("in.jsonl");
    let mut bytes = Vec::new();
    for line in [
        record_line("ok-1", GOOD),
        String::new(),
        "{not json".to_owned(),
        json!({"id": "no-program", "instruction": "x"}).to_string(),
        json!({"id": "number", "program": 42}).to_string(),
    ] {
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(b"{\"id\": \"latin1\", \"program\": \"caf\xe9\"}\n");
    bytes.extend_from_slice(json!({"id": "huge", "program": "#".repeat(2 << 20)}).to_string().as_bytes());
    bytes.push(b'\n');
    // A line far over the input limit is not even read into memory.
    bytes.extend_from_slice(json!({"id": "enormous", "program": "#".repeat(12 << 20)}).to_string().as_bytes());
    bytes.push(b'\n');
    bytes.extend_from_slice(record_line("ok-2", GOOD).as_bytes());
    fs::write(&input, bytes).expect("input");

    let output = batch(&input, &[]);
    assert_eq!(output.status.code(), Some(1));
    let records = records(&dir.path("in.verdicts.jsonl"));
    let status: Vec<(&str, &str)> = records
        .iter()
        .map(|r| (r["robosim"]["status"].as_str().expect("status"), r["robosim"]["message"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(status.len(), 9, "{status:#?}");
    assert_eq!(status[0], ("accepted", ""));
    assert_eq!(status[1], ("invalid_input", "the line is empty"));
    assert!(status[2].1.starts_with("the line is not valid JSON"), "{status:?}");
    assert_eq!(status[3], ("invalid_input", "the record has no \"program\" field"));
    assert_eq!(status[4], ("invalid_input", "\"program\" must be a string, not a number"));
    assert!(status[5].1.starts_with("the line is not valid UTF-8"), "{status:?}");
    assert!(status[6].1.starts_with("the program is 2097152 bytes"), "{status:?}");
    assert!(status[7].1.ends_with("bytes; lines longer than the input limit are not read"), "{status:?}");
    assert_eq!(status[8], ("accepted", ""), "the batch went on after the bad lines");
    assert_eq!(records[3]["robosim"]["id"], "no-program", "an invalid record keeps its id");
    assert_eq!(records[1]["robosim"]["id"], 2, "without an id, the line number");
}

#[test]
fn resume_after_a_kill_loses_and_repeats_nothing() {
    let dir = Dir::new("resume");
    let input = dir.path("in.jsonl");
    // Each program distinct (a comment apart): repeated ones would not be verified again.
    let lines: Vec<String> = (0..40)
        .map(|i| record_line(&format!("r{i}"), &format!("{}# variant {i}\n", if i % 7 == 3 { BAD } else { SLOW })))
        .collect();
    fs::write(&input, lines.join("\n") + "\n").expect("input");
    let out = dir.path("in.verdicts.jsonl");

    let mut child = Command::new(env!("CARGO_BIN_EXE_robosim"))
        .args(["verify-batch", input.to_str().expect("utf-8"), "--jobs", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let started = Instant::now();
    while fs::read_to_string(&out).map_or(0, |t| t.lines().count()) < 6 {
        assert!(started.elapsed() < Duration::from_secs(60), "no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("kill -9");
    child.wait().expect("reap");
    let written = fs::read_to_string(&out).expect("partial output").lines().count() - 1;
    assert!(written < 40, "the kill came too late to test anything ({written} records)");
    // A torn last line, as a kill in the middle of a write leaves it.
    fs::OpenOptions::new().append(true).open(&out).expect("open").write_all(b"{\"id\":\"r9").expect("tear");

    let output = batch(&input, &["--jobs", "2", "--resume", "--json"]);
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    let summary: Value = serde_json::from_slice(&output.stdout).expect("JSON summary");
    assert_eq!(summary["records"], 40);
    assert_eq!(summary["resumed"], json!(written));
    let records = records(&out);
    let ids: Vec<&str> = records.iter().map(|r| r["id"].as_str().expect("id")).collect();
    assert_eq!(ids, (0..40).map(|i| format!("r{i}")).collect::<Vec<_>>(), "each line exactly once, in order");
}

#[test]
fn resume_refuses_other_settings_and_other_input() {
    let dir = Dir::new("refuse");
    let input = dir.path("in.jsonl");
    fs::write(&input, record_line("a", GOOD) + "\n" + &record_line("b", GOOD) + "\n").expect("input");
    assert_eq!(batch(&input, &[]).status.code(), Some(0));
    let output = batch(&input, &["--resume", "--max-paths", "7"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("other settings"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    fs::write(&input, record_line("a", BAD) + "\n" + &record_line("b", GOOD) + "\n").expect("changed input");
    let output = batch(&input, &["--resume"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("does not belong to input line 1"));
}

#[test]
fn exit_codes() {
    let dir = Dir::new("exit");
    let input = dir.path("in.jsonl");
    fs::write(&input, record_line("a", GOOD) + "\n").expect("input");
    assert_eq!(batch(&input, &[]).status.code(), Some(0), "all accepted");
    fs::write(&input, record_line("a", BAD) + "\n").expect("input");
    assert_eq!(batch(&input, &[]).status.code(), Some(1), "something rejected");
    assert_eq!(batch(&dir.path("missing.jsonl"), &[]).status.code(), Some(2), "the tool failed");
}

#[test]
fn training_set_keeps_the_first_accepted_program_per_instruction() {
    let dir = Dir::new("train");
    let input = dir.path("in.jsonl");
    let rows = [
        json!({"id": 1, "instruction": "Greet", "program": BAD}),
        json!({"id": 2, "instruction": "Greet", "program": GOOD}),
        json!({"id": 3, "instruction": "Greet ", "program": "def task_program():\n    say('hello')\n"}),
        json!({"id": 4, "instruction": "Greet twice", "program": format!("```python\n{GOOD}```")}),
        json!({"id": 5, "program": GOOD}),
    ];
    fs::write(&input, rows.iter().map(Value::to_string).collect::<Vec<_>>().join("\n")).expect("input");
    let output = batch(&input, &["--json"]);
    let summary: Value = serde_json::from_slice(&output.stdout).expect("JSON summary");
    assert_eq!(
        summary["training_set"],
        json!({"written": 1, "duplicate_instructions": 1, "duplicate_programs": 1, "without_instruction": 1})
    );
    let pairs: Vec<Value> = fs::read_to_string(dir.path("in.accepted.jsonl"))
        .expect("training set")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(pairs, vec![json!({"id": 2, "instruction": "Greet", "program": GOOD})]);
}

#[test]
fn summary_and_records_snapshot() {
    let input = crate::fixtures().join("batch/snapshot.jsonl");
    let dir = Dir::new("snapshot");
    let out = dir.path("verdicts.jsonl");
    let output = batch(&input, &["--json", "--jobs", "2", "--out", out.to_str().expect("utf-8"), "--no-accepted"]);
    let summary: Value = serde_json::from_slice(&output.stdout).expect("JSON summary");
    insta::assert_json_snapshot!("batch_summary", summary, {
        ".wall_time" => "[seconds]",
        ".programs_per_second" => "[rate]",
        ".paths_per_second" => "[rate]",
        ".slowest" => "[slowest]",
        ".fuel" => "[fuel]",
    });
    insta::assert_json_snapshot!("batch_records", records(&out), {
        "[].robosim.verdict.wall_time" => "[seconds]",
        "[].robosim.verdict.fuel_used" => "[fuel]",
    });
}

/// A verdicts file verified again: its `robosim` fields are replaced, never written twice, and
/// the training set reads the new records back.
#[test]
fn an_input_robosim_field_is_replaced() {
    let dir = Dir::new("reverify");
    let input = dir.path("in.jsonl");
    fs::write(&input, record_line("a", GOOD) + "\n").expect("input");
    assert!(batch(&input, &[]).status.success());
    let again = dir.path("again.jsonl");
    let verdicts = fs::read_to_string(dir.path("in.verdicts.jsonl")).expect("verdicts");
    fs::write(&again, verdicts.lines().skip(1).collect::<Vec<_>>().join("\n") + "\n").expect("input");
    let output = batch(&again, &[]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = fs::read_to_string(dir.path("again.verdicts.jsonl")).expect("verdicts");
    let line = text.lines().nth(1).expect("a record");
    assert_eq!(line.matches("\"robosim\":").count(), 1, "{line}");
    assert_eq!(fs::read_to_string(dir.path("again.accepted.jsonl")).expect("training set").lines().count(), 1);
}

/// With several jobs the programs go to worker processes (`robosim worker`); the records are
/// those of one job verifying in process, apart from timings.
#[test]
fn worker_processes_write_the_records_one_job_writes() {
    let dir = Dir::new("batch-workers");
    let programs = crate::fixtures().join("programs");
    let mut names: Vec<String> = fs::read_dir(&programs)
        .expect("fixtures")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut lines: Vec<String> =
        names.iter().map(|n| record_line(n, &fs::read_to_string(programs.join(n)).expect("fixture"))).collect();
    lines.push("{not json".into());
    let input = dir.path("fixtures.jsonl");
    fs::write(&input, lines.join("\n") + "\n").expect("write batch");
    let run = |jobs: &str| {
        let out = dir.path(&format!("j{jobs}.jsonl"));
        let output = batch(&input, &["--jobs", jobs, "--out", out.to_str().expect("utf-8"), "--no-accepted"]);
        assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
        records(&out)
            .into_iter()
            .map(|mut r| {
                if let Some(verdict) = r["robosim"]["verdict"].as_object_mut() {
                    verdict.remove("wall_time");
                }
                r
            })
            .collect::<Vec<Value>>()
    };
    let (one, two) = (run("1"), run("2"));
    assert_eq!(one.len(), names.len() + 1);
    assert!(
        one.iter().any(|r| r["robosim"]["status"] == "rejected")
            && one.iter().any(|r| r["robosim"]["status"] == "accepted")
    );
    assert_eq!(one, two);
}

/// Identical programs (after extraction) are verified once per batch, and `--cache` keeps the
/// verdicts for the next run; the records are the same either way, apart from timings.
#[test]
fn repeated_programs_and_cached_verdicts_are_not_verified_again() {
    let dir = Dir::new("batch-reuse");
    let fenced = format!("Here it is:\n```python\n{GOOD}```\n");
    let lines = [
        record_line("a", GOOD),
        record_line("b", BAD),
        record_line("c", &fenced), // the same program as "a" once extracted
        record_line("d", BAD),
        record_line("e", "def task_program():\n    say('other')\n"),
    ];
    let input = dir.path("repeats.jsonl");
    fs::write(&input, lines.join("\n") + "\n").expect("write batch");
    let cache = dir.path("cache");
    let run = |name: &str| {
        let out = dir.path(name);
        let output = batch(
            &input,
            &[
                "--json",
                "--jobs",
                "2",
                "--no-accepted",
                "--out",
                out.to_str().unwrap(),
                "--cache",
                cache.to_str().unwrap(),
            ],
        );
        assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
        let summary: Value = serde_json::from_slice(&output.stdout).expect("summary JSON");
        let mut records = records(&out);
        for r in &mut records {
            r["robosim"]["verdict"].as_object_mut().map(|v| v.remove("wall_time"));
        }
        (summary, records)
    };
    let (first, first_records) = run("first.jsonl");
    assert_eq!((first["reused"].as_u64(), first["cache_hits"].as_u64()), (Some(2), Some(0)), "{first:#}");
    let (second, second_records) = run("second.jsonl");
    // Every distinct program from the cache; the repeats still reused within the batch.
    assert_eq!((second["reused"].as_u64(), second["cache_hits"].as_u64()), (Some(2), Some(3)), "{second:#}");
    assert_eq!(first_records, second_records);
    assert_eq!(first_records[0]["robosim"]["verdict"], first_records[2]["robosim"]["verdict"]);
    // A damaged cache entry is a miss, not an error.
    for entry in crate::files_under(&cache) {
        fs::write(entry, "{oops").unwrap();
    }
    let (third, third_records) = run("third.jsonl");
    assert_eq!(third["cache_hits"].as_u64(), Some(0));
    assert_eq!(third_records, first_records);
}
