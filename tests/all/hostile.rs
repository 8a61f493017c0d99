//! Hostile completions and programs (`tests/fixtures/hostile/`), each with the outcome it must
//! get: forged or hidden traces, patterns that cost the host, floods of visits, output and
//! values, records a program could dress up. Each is graded (verified) in both trace readings,
//! with one and two jobs, in the file's order, in reverse, and alone in a process of its own:
//! the records must be the expected ones and the same every time.

use std::{fs, path::Path};

use serde_json::Value;

use crate::{
    Dir,
    batch::{batch, records, robosim},
    fixtures,
};

fn lines(file: &str) -> Vec<Value> {
    let text = fs::read_to_string(fixtures().join("hostile").join(file)).expect("the fixture");
    text.lines().map(|l| serde_json::from_str(l).expect("JSON")).collect()
}

fn write(path: &Path, rows: &[&Value]) {
    fs::write(path, rows.iter().map(|r| r.to_string() + "\n").collect::<String>()).expect("input");
}

/// A record without what depends on where it stood in its file, by id.
fn by_id(mut record: Value) -> (String, Value) {
    let object = record.as_object_mut().expect("a record");
    object.remove("line");
    if let Some(meta) = object.get_mut("robosim").and_then(Value::as_object_mut) {
        meta.remove("line");
        if let Some(verdict) = meta.get_mut("verdict").and_then(Value::as_object_mut) {
            verdict.remove("wall_time");
        }
    }
    let id = record["id"].as_str().expect("an id").to_owned();
    (id, record)
}

/// `robosim grade` on `rows` with `args`: the records, by id.
fn grade(dir: &Dir, name: &str, rows: &[&Value], args: &[&str]) -> Vec<(String, Value)> {
    let input = dir.path(&format!("{name}.jsonl"));
    let out = dir.path(&format!("{name}.grades.jsonl"));
    write(&input, rows);
    let tasks = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/roboeval");
    let mut all = vec!["grade", tasks.to_str().expect("utf-8"), input.to_str().expect("utf-8")];
    all.extend(["--out", out.to_str().expect("utf-8")]);
    all.extend_from_slice(args);
    let output = robosim(&all);
    assert!(matches!(output.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&output.stderr));
    let text = fs::read_to_string(&out).expect("grades");
    text.lines().map(|l| by_id(serde_json::from_str(l).expect("JSON"))).collect()
}

#[test]
fn hostile_completions_get_their_grades_in_every_order_with_any_jobs_in_both_readings() {
    let dir = Dir::new("hostile-grade");
    let rows = lines("completions.jsonl");
    let forward: Vec<&Value> = rows.iter().collect();
    let backward: Vec<&Value> = rows.iter().rev().collect();
    for reading in ["printed", "calls"] {
        let graded = grade(&dir, &format!("{reading}-1"), &forward, &["--jobs", "1", "--trace", reading]);
        for (row, (id, record)) in rows.iter().zip(&graded) {
            let expected = &row["expect"][reading];
            let states: Vec<Value> = record["worlds"]
                .as_array()
                .expect("worlds")
                .iter()
                .map(|w| serde_json::json!([w["passed"], w["outcome"]]))
                .collect();
            let mut cuts: Vec<&str> = record["worlds"]
                .as_array()
                .expect("worlds")
                .iter()
                .filter_map(|w| w["trace_cut"]["by"].as_str())
                .collect();
            cuts.sort_unstable();
            cuts.dedup();
            assert_eq!(record["trace"], reading, "{id}");
            assert_eq!(
                (&record["status"], &Value::from(states), &Value::from(cuts)),
                (&expected["status"], &expected["states"], &expected["cut_by"]),
                "{id} ({reading}): {}",
                row["why"]
            );
        }
        let sorted = |mut records: Vec<(String, Value)>| {
            records.sort_by(|a, b| a.0.cmp(&b.0));
            records
        };
        let reference = sorted(graded);
        for (name, order, jobs) in [("2", &forward, "2"), ("reverse-1", &backward, "1"), ("reverse-2", &backward, "2")]
        {
            let again = grade(&dir, &format!("{reading}-{name}"), order, &["--jobs", jobs, "--trace", reading]);
            assert_eq!(sorted(again), reference, "{reading}, {name}: the same grades");
        }
        for row in &rows {
            let alone = grade(&dir, &format!("{reading}-alone"), &[row], &["--jobs", "1", "--trace", reading]);
            let expected = reference.iter().find(|(id, _)| Some(id.as_str()) == row["id"].as_str()).expect("graded");
            assert_eq!(&alone[0], expected, "{} alone ({reading})", row["id"]);
        }
    }
}

#[test]
fn hostile_programs_get_their_verdicts_in_every_order_with_any_jobs_and_stay_small() {
    let dir = Dir::new("hostile-verify");
    let rows = lines("programs.jsonl");
    let run = |name: &str, rows: &[&Value], jobs: &str| {
        let input = dir.path(&format!("{name}.jsonl"));
        write(&input, rows);
        let out = dir.path(&format!("{name}.verdicts.jsonl"));
        let output = batch(&input, &["--out", out.to_str().expect("utf-8"), "--no-accepted", "--jobs", jobs]);
        assert!(matches!(output.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&output.stderr));
        let text = fs::read_to_string(&out).expect("verdicts");
        for line in text.lines().skip(1) {
            assert!(line.len() < 96 << 10, "a verdict of {} bytes", line.len());
        }
        let mut found: Vec<(String, Value)> = records(&out).into_iter().map(by_id).collect();
        found.sort_by(|a, b| a.0.cmp(&b.0));
        found
    };
    let forward: Vec<&Value> = rows.iter().collect();
    let backward: Vec<&Value> = rows.iter().rev().collect();
    let reference = run("forward-1", &forward, "1");
    for row in &rows {
        let (_, record) = reference.iter().find(|(id, _)| Some(id.as_str()) == row["id"].as_str()).expect("verified");
        let failure = &record["robosim"]["verdict"]["failure"];
        let found = serde_json::json!({
            "status": record["robosim"]["status"], "class": failure["class"], "line": failure["line"],
            "outcome": failure["outcome"]["kind"],
        });
        assert_eq!(found, row["expect"], "{}: {}", row["id"], row["instruction"]);
    }
    assert_eq!(run("forward-2", &forward, "2"), reference);
    assert_eq!(run("backward-2", &backward, "2"), reference);
    for row in &rows {
        let alone = run("alone", &[row], "1");
        let expected = reference.iter().find(|(id, _)| Some(id.as_str()) == row["id"].as_str()).expect("verified");
        assert_eq!(&alone[0], expected, "{} alone", row["id"]);
    }
}

/// A hundred distinct programs each saying a 25^4 nested list: their verdicts stay small
/// (they took 815 KB each when lists were cut per level).
#[test]
fn a_batch_of_flooding_programs_writes_small_verdicts() {
    let dir = Dir::new("hostile-nested");
    let input = dir.path("nested.jsonl");
    let rows: Vec<String> = (0..100)
        .map(|i| {
            let program =
                format!("def task_program():\n    # variant {i}\n    say([[[[{}] * 25] * 25] * 25] * 25)\n", i % 10);
            crate::batch::record_line(&format!("n{i}"), &program)
        })
        .collect();
    fs::write(&input, rows.join("\n") + "\n").expect("input");
    let out = dir.path("nested.verdicts.jsonl");
    let output = batch(&input, &["--out", out.to_str().expect("utf-8"), "--no-accepted", "--jobs", "2"]);
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    let size = fs::metadata(&out).expect("verdicts").len();
    assert!(size < 1 << 20, "{size} bytes of verdicts for 100 programs");
}
