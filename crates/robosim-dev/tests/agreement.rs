//! Agreement with the reference checker on `../shared/corpus/dev.jsonl` (1,404 real
//! LLM-written programs), through the real binary (`just agreement` prints the table).

use std::{collections::HashMap, path::PathBuf, process::Command};

use robosim_verify::{Verifier, VerifyConfig};
use serde_json::Value;

#[test]
fn dev_corpus_agrees_with_the_reference() {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/dev.jsonl");
    if !corpus.is_file() {
        println!("skipped: {} is not there (the reference material is not beside the project)", corpus.display());
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let details = dir.path().join("details.jsonl");
    let output = Command::new(env!("CARGO_BIN_EXE_robosim-dev"))
        .arg("agreement")
        .arg(&corpus)
        .arg("--details")
        .arg(&details)
        .output()
        .expect("run robosim-dev agreement");
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.contains("1404 programs"), "{table}\n{}", String::from_utf8_lossy(&output.stderr));
    println!("{table}");

    let text = std::fs::read_to_string(&details).expect("details");
    let disagreements: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).expect("JSON")).collect();
    // Every program the reference rejects, robosim rejects too.
    let missed: Vec<_> = disagreements.iter().filter(|d| d["kind"] == "reference rejects, robosim accepts").collect();
    assert!(missed.is_empty(), "robosim accepts programs the reference rejects: {missed:#?}");

    // Every rejection robosim makes alone comes with a path that replays to the same error.
    let programs: HashMap<String, String> = std::fs::read_to_string(&corpus)
        .expect("corpus")
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("JSON"))
        .map(|row| (row["id"].to_string(), row["program"].as_str().unwrap_or_default().to_owned()))
        .collect();
    let verifier = Verifier::new(VerifyConfig::default()).expect("sandbox");
    for rejection in disagreements.iter().filter(|d| d["kind"] == "reference accepts, robosim rejects") {
        let failure = &rejection["verdict"]["failure"];
        let choices: Vec<u32> = serde_json::from_value(failure["choices"].clone()).expect("choices");
        let report = verifier.replay(&programs[&rejection["id"].to_string()], &choices);
        assert_eq!(serde_json::to_value(&report.outcome).expect("JSON"), failure["outcome"], "{}", rejection["id"]);
    }
    // The table's totals match the details.
    let same = table.lines().find(|l| l.contains("both reject, same class")).unwrap_or_default();
    assert!(!same.is_empty(), "{table}");
}
