//! A stand-in for a model server, for measuring the generation pipeline: a local
//! chat-completions server (robosim's scripted mock) that answers each program request with a
//! real LLM-written program from a corpus, so RoboSim's rejection sampling sees the real mix
//! of good and subtly wrong programs. It writes a task library with one task per corpus line
//! (`<instruction> [n]`), prints its base URL, and serves until killed. `just bench-pipeline`
//! drives it.
//!
//! `target/release/examples/corpus_llm ../shared/corpus/dev.jsonl OUT_DIR` (built by `just build`)

use std::{collections::HashMap, fmt::Write as _, fs, io::Write as _, sync::Arc};

use robosim::llm::mock::{Reply, ScriptedServer};
use serde_json::{Value, json};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(corpus), Some(out)) = (args.next(), args.next()) else {
        return Err("usage: corpus_llm CORPUS.jsonl OUT_DIR".into());
    };
    let mut programs: HashMap<String, Vec<String>> = HashMap::new();
    let mut tasks = String::new();
    for (i, line) in fs::read_to_string(corpus)?.lines().enumerate() {
        let row: Value = serde_json::from_str(line)?;
        let (Some(instruction), Some(program)) = (row["instruction"].as_str(), row["program"].as_str()) else {
            continue;
        };
        let variants = programs.entry(instruction.to_owned()).or_default();
        let task = json!({"id": format!("task-{:05}", i + 1), "instruction": format!("{instruction} [{}]", variants.len()),
            "origin": "corpus", "round": 0});
        writeln!(tasks, "{task}")?;
        variants.push(program.to_owned());
    }
    fs::create_dir_all(&out)?;
    fs::write(format!("{out}/tasks.jsonl"), tasks)?;

    let programs = Arc::new(programs);
    let server = ScriptedServer::start(move |request, _| {
        let user = request.last_user();
        if user.contains("# Original Instruction:") {
            let original =
                user.lines().skip_while(|l| !l.starts_with("# Original Instruction:")).nth(1).unwrap_or_default();
            return Reply::content(format!(
                "# What The Program Does:\nIt does the task.\n\n# Final Corrected Instruction:\n{original} Report back when done."
            ));
        }
        if user.contains("### Instruction 1") {
            return Reply::content("Instruction 2 adds a report.\nFinal Answer: Instruction 2");
        }
        // A program request: the task's own corpus program for sample 0, then the next ones.
        let sample = request.body["seed"].as_u64().unwrap_or(0) as usize;
        let (instruction, n) = user.rsplit_once(" [").unwrap_or((user, "0]"));
        let n: usize = n.trim_end_matches(']').parse().unwrap_or(0);
        match programs.get(instruction) {
            Some(variants) => Reply::content(format!("```python\n{}```", variants[(n + sample) % variants.len()])),
            None => Reply::content("I do not know that task."),
        }
    })?;
    println!("{}", server.base_url());
    std::io::stdout().flush()?;
    loop {
        std::thread::park();
    }
}
