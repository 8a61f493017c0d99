//! Sharded batches (`verify-batch --shard K/N`) and `merge-verdicts`: shards merged are the
//! unsharded run, byte for byte apart from timings; shards that do not make one batch are
//! refused.

use std::{fs, path::Path};

use serde_json::{Value, json};

use crate::{
    Dir,
    batch::{BAD, GOOD, batch, record_line, records, robosim},
};

/// A batch with accepted, rejected and invalid lines, repeated programs and a repeated
/// instruction (so the training set must be built across shards).
fn input(dir: &Dir) -> std::path::PathBuf {
    let mut lines: Vec<String> = (0..11)
        .map(|i| match i % 4 {
            0 => record_line(&format!("g{i}"), &format!("{GOOD}# {i}\n")),
            1 => record_line(&format!("b{i}"), BAD),
            2 => json!({"id": format!("d{i}"), "instruction": "task g0", "program": GOOD}).to_string(),
            _ => record_line(&format!("s{i}"), GOOD),
        })
        .collect();
    lines.insert(5, "{not json".into());
    let path = dir.path("in.jsonl");
    fs::write(&path, lines.join("\n") + "\n").expect("input");
    path
}

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// A verdicts file's lines, as bytes, with every `wall_time` number blanked.
fn without_timings(path: &Path) -> Vec<String> {
    const KEY: &str = r#""wall_time":"#;
    let text = fs::read_to_string(path).expect("verdicts file");
    text.lines()
        .map(|line| {
            let mut out = String::new();
            let mut rest = line;
            while let Some(at) = rest.find(KEY) {
                out.push_str(&rest[..at + KEY.len()]);
                rest = rest[at + KEY.len()..].trim_start_matches(|c: char| c.is_ascii_digit() || ".eE+-".contains(c));
            }
            out + rest
        })
        .collect()
}

fn shards(dir: &Dir, input: &Path, count: u64, extra: &[&str]) -> Vec<std::path::PathBuf> {
    (0..count)
        .map(|k| {
            let mut args = vec!["--shard".to_owned(), format!("{k}/{count}"), "--jobs".into(), "1".into()];
            args.extend(extra.iter().map(|a| (*a).to_owned()));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let output = batch(input, &args);
            assert!(output.status.code().is_some_and(|c| c < 2), "{}", String::from_utf8_lossy(&output.stderr));
            dir.path(&format!("in.verdicts.shard-{k}-of-{count}.jsonl"))
        })
        .collect()
}

fn merge(shards: &[std::path::PathBuf], out: &Path, accepted: &Path) -> std::process::Output {
    let mut args = vec!["merge-verdicts", "--out", s(out), "--accepted", s(accepted)];
    args.extend(shards.iter().map(|p| s(p)));
    robosim(&args)
}

#[test]
fn shards_merged_are_the_unsharded_batch_byte_for_byte() {
    let dir = Dir::new("shard-merge");
    let input = input(&dir);
    let whole = batch(&input, &["--jobs", "1"]);
    assert_eq!(whole.status.code(), Some(1), "{}", String::from_utf8_lossy(&whole.stderr));
    let parts = shards(&dir, &input, 3, &[]);
    // A shard keeps input line numbers: shard 1 of 3 holds lines 2, 5, 8, 11.
    let lines: Vec<u64> = records(&parts[1]).iter().map(|r| r["robosim"]["line"].as_u64().expect("line")).collect();
    assert_eq!(lines, [2, 5, 8, 11]);
    assert!(!dir.path("in.accepted.shard-1-of-3.jsonl").exists(), "no per-shard training set by default");

    let (out, accepted) = (dir.path("merged.jsonl"), dir.path("merged.accepted.jsonl"));
    // In any order.
    let output = merge(&[parts[2].clone(), parts[0].clone(), parts[1].clone()], &out, &accepted);
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(without_timings(&out), without_timings(&dir.path("in.verdicts.jsonl")));
    assert_eq!(
        fs::read_to_string(&accepted).expect("merged training set"),
        fs::read_to_string(dir.path("in.accepted.jsonl")).expect("training set")
    );
    assert_eq!(records(&out).len(), 12);
}

#[test]
fn merge_refuses_shards_that_do_not_make_one_batch() {
    let dir = Dir::new("shard-refuse");
    let input = input(&dir);
    let parts = shards(&dir, &input, 2, &[]);
    let (out, accepted) = (dir.path("merged.jsonl"), dir.path("acc.jsonl"));
    let refused = |shards: &[std::path::PathBuf], why: &str| {
        let output = merge(shards, &out, &accepted);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{why}: {stderr}");
        assert!(stderr.contains(why), "expected '{why}' in: {stderr}");
    };
    refused(&parts[..1], "shards [1] of 2 are missing");
    refused(&[parts[0].clone(), parts[0].clone()], "shard 0 is given twice");
    refused(&[parts[0].clone(), dir.path("in.verdicts.jsonl")], "No such file");
    assert!(batch(&input, &["--jobs", "1"]).status.code().is_some_and(|c| c < 2));
    refused(&[parts[0].clone(), dir.path("in.verdicts.jsonl")], "not the verdicts file of a shard");

    // Shard 1 again with other settings: refused.
    let other = dir.path("other.jsonl");
    let output = batch(&input, &["--shard", "1/2", "--max-paths", "7", "--out", s(&other)]);
    assert!(output.status.code().is_some_and(|c| c < 2));
    refused(&[parts[0].clone(), other], "written with other settings");

    // Shard 1 of another input: refused.
    let changed = dir.path("changed.jsonl");
    let mut text = fs::read_to_string(&input).expect("input");
    text.push_str(&record_line("extra", GOOD));
    fs::write(&changed, text).expect("changed input");
    let output = batch(&changed, &["--shard", "1/2", "--out", s(&dir.path("changed-1.jsonl"))]);
    assert!(output.status.code().is_some_and(|c| c < 2));
    refused(&[parts[0].clone(), dir.path("changed-1.jsonl")], "cut from another input");

    // Shard 1 of a batch cut in three: refused.
    let three = dir.path("three.jsonl");
    assert!(batch(&input, &["--shard", "1/3", "--out", s(&three)]).status.code().is_some_and(|c| c < 2));
    refused(&[parts[0].clone(), three], "one of another number of shards");

    // A shard cut short (its run killed): refused, and --resume completes it.
    let full = fs::read_to_string(&parts[1]).expect("shard");
    let cut: Vec<&str> = full.lines().collect();
    fs::write(&parts[1], cut[..cut.len() - 2].join("\n") + "\n").expect("cut");
    refused(&parts, "ends after");
    let output = batch(&input, &["--shard", "1/2", "--resume", "--jobs", "1"]);
    assert!(output.status.code().is_some_and(|c| c < 2), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(merge(&parts, &out, &accepted).status.code().is_some_and(|c| c < 2));
    assert_eq!(records(&out).len(), 12);
    let ids: Vec<Value> = records(&out).iter().map(|r| r["robosim"]["line"].clone()).collect();
    assert_eq!(ids, (1..=12).map(Value::from).collect::<Vec<_>>());
}

#[test]
fn a_bad_shard_argument_is_a_usage_error() {
    let dir = Dir::new("shard-arg");
    let input = input(&dir);
    for bad in ["2/2", "1/0", "x"] {
        let output = batch(&input, &["--shard", bad]);
        assert_eq!(output.status.code(), Some(2), "{bad}");
    }
}

/// A verdict cache filled by one shard serves the whole batch: its keys hold the program, the
/// settings and the guest, never the shard or the input (they used to hold the manifest, with
/// the shard and the input's hash, and the whole batch got no hit).
#[test]
fn a_cache_filled_by_a_shard_serves_the_whole_batch() {
    let dir = Dir::new("shard-cache");
    let lines: Vec<String> = (0..8).map(|i| record_line(&format!("p{i}"), &format!("{GOOD}# {i}\n"))).collect();
    let input = dir.path("in.jsonl");
    fs::write(&input, lines.join("\n") + "\n").expect("input");
    let cache = dir.path("cache");
    let shard = batch(&input, &["--shard", "0/2", "--jobs", "1", "--cache", s(&cache), "--json"]);
    assert_eq!(shard.status.code(), Some(0), "{}", String::from_utf8_lossy(&shard.stderr));
    let whole = batch(&input, &["--jobs", "1", "--cache", s(&cache), "--json"]);
    assert_eq!(whole.status.code(), Some(0), "{}", String::from_utf8_lossy(&whole.stderr));
    let summary: Value = serde_json::from_slice(&whole.stdout).expect("summary");
    assert_eq!(summary["cache_hits"].as_u64(), Some(4), "shard 0/2 verified lines 1, 3, 5, 7: {summary:#}");
    // Other settings are other verdicts: nothing is taken from the cache.
    let other = batch(&input, &["--jobs", "1", "--cache", s(&cache), "--json", "--max-paths", "7"]);
    let summary: Value = serde_json::from_slice(&other.stdout).expect("summary");
    assert_eq!(summary["cache_hits"].as_u64(), Some(0), "{summary:#}");
}
