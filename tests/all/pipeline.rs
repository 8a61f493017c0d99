//! The generation pipeline, every stage, against a real local HTTP server that speaks the
//! chat-completions protocol and answers from a script (`model` below) instead of a model.

use std::{
    collections::HashMap,
    fs,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use parking_lot::Mutex;
use robosim::{
    generate::{AttemptStatus, Pipeline, PipelineConfig, Stage, TaskPrograms, rouge_l, tokens},
    llm::{
        Client, ClientConfig,
        mock::{Received, Reply, ScriptedServer},
    },
    verify::{Verifier, VerifyConfig},
};
use serde_json::Value;

use crate::{Dir, SANDBOX, fixtures};

const DONE: &str = ", and then say that the task is done.";
/// What the scripted model adds when asked to evolve a task (by sampling seed).
const EVOL_TAILS: [&str; 6] = [
    "First ask Ravi at the front desk whether now is a good time, and only go ahead if he says yes.",
    "If the elevator is out of order, tell the facilities manager in the basement instead of finishing.",
    "Before leaving, check that the charging dock in the hallway has no spare batteries lying around.",
    "When you are done, visit the mail room and say out loud how many rooms you passed through.",
    "Skip any room where a meeting is going on, and tell me later which rooms you skipped.",
    "Also pick up any empty coffee mug you see on the way and drop it off in the kitchen sink.",
];

pub(crate) fn pool() -> Vec<String> {
    let text = fs::read_to_string(fixtures().join("pipeline/self_instruct_pool.txt")).expect("pool fixture");
    text.lines().map(str::to_owned).collect()
}

/// The scripted "model". Faults first: request 0 is rate-limited, 1 is cut off mid-JSON, 2 has
/// no choices (all retried). Then by prompt: a numbered list of tasks from the pool, a rewrite,
/// a program (by keywords of the task), a revised instruction, a judgement.
pub(crate) fn model(request: &Received, n: usize, pool: &[String], slow_telescope: bool) -> Reply {
    match n {
        0 => return Reply::raw(429, r#"{"error":"rate limited"}"#).header("retry-after", "0"),
        1 => return Reply::raw(200, r#"{"choices":[{"message":{"role":"assistant","content":"1. Go"#),
        2 => return Reply::raw(200, r#"{"choices":[]}"#),
        _ => {}
    }
    let text = request.text();
    let seed = request.body["seed"].as_u64().unwrap_or(0) as usize;
    let user = request.last_user();
    let field = |label: &str| user.lines().find_map(|l| l.strip_prefix(label)).unwrap_or("").trim().to_owned();
    if user.starts_with("Write one new and interesting task") {
        // The reference's shape: one task per request.
        return Reply::content(pool[seed % pool.len()].clone());
    }
    if user.contains("new tasks for the robot") {
        let items: String = (0..4).map(|i| format!("{}. {}\n", i + 1, pool[(seed * 4 + i) % pool.len()])).collect();
        return Reply::content(format!("Here are four new tasks:\n\n{items}"));
    }
    if user.contains("Rewrite the robot task below") {
        return Reply::content(format!("Rewritten task: {} {}", field("Task:"), EVOL_TAILS[seed % EVOL_TAILS.len()]));
    }
    if user.contains("# Original Instruction:") {
        // InstAlign's revision: reasoning, then the marked answer.
        let original = user.lines().skip_while(|l| !l.starts_with("# Original Instruction:")).nth(1).unwrap_or("");
        let revised = if original.contains("lobby") {
            original.to_owned()
        } else {
            format!("{}{DONE}", original.trim_end_matches('.'))
        };
        return Reply::content(format!(
            "# API Usage:\ngo_to(\"office\")\n    - go to the office\n# What The Program Does:\nThe robot goes (A).\n\n# Final Corrected Instruction:\n{revised}\n"
        ));
    }
    if user.contains("### Instruction 1") {
        // InstAlign's decision: reasoning that names both, then the marked answer.
        if text.contains("printer") {
            return Reply::content("Instruction 2 looks right. Both seem fine to me.");
        }
        let revised = user.split("### Instruction 2").nth(1).unwrap_or("").trim_start().lines().next().unwrap_or("");
        let pick = if revised.ends_with(DONE) { 2 } else { 1 };
        return Reply::content(format!(
            "Instruction 2 adds a step; Instruction 1 does not. B or A?\nFinal Answer: Instruction {pick}"
        ));
    }
    assert!(text.contains("You write Python programs"), "unexpected prompt: {text}");
    program(user, seed, slow_telescope)
}

fn program(task: &str, sample: usize, slow_telescope: bool) -> Reply {
    let code =
        |body: &str| Reply::content(format!("Here is the program:\n\n```python\ndef task_program():\n{body}```\n"));
    if task.contains("telescope") && slow_telescope {
        return code("    pass\n").delay(Duration::from_secs(3));
    }
    if task.contains("stapler") {
        return match sample {
            0 => Reply::content("Sorry, I cannot write code for that."),
            1 => code("    go_to(\"supply room\")\n    pick(\"stapler\")\n    pick(\"tape\")\n"),
            _ => code(
                "    go_to(\"supply room\")\n    pick(\"stapler\")\n    go_to(\"Maya's office\")\n    place(\"stapler\")\n",
            ),
        };
    }
    if task.contains("umbrella") {
        return code("    go_to(coat_room)\n");
    }
    if task.contains("lobby") {
        return code("    go_to(\"lobby\")\n    say(\"Hello!\")\n");
    }
    if task.starts_with("Count") {
        return code("    n = 0\n    for i in range(10):\n        n += 1\n");
    }
    code(&format!("    go_to(\"office\")\n    say({})\n", serde_json::to_string(task).expect("a string")))
}

pub(crate) fn config(out: &Path) -> PipelineConfig {
    let mut config = PipelineConfig::new(seeds(), out);
    config.target_tasks = 16;
    config.requests_per_round = 4;
    config.tasks_per_request = 4;
    config.evol_ratio = 0.25;
    config.concurrency = 4;
    // The pool borrows an example task's prompt (stapler delivery); decontamination has its
    // own test (pipeline_settings).
    config.decontaminate = Some(Vec::new());
    config
}

pub(crate) fn seeds() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds")
}

pub(crate) fn client(server: &ScriptedServer, cache: PathBuf) -> Client {
    let mut llm = ClientConfig::new(server.base_url(), "scripted");
    llm.cache_dir = Some(cache);
    llm.timeout = Duration::from_millis(400);
    (llm.retries, llm.backoff) = (2, Duration::from_millis(5));
    Client::new(llm)
}

pub(crate) fn jsonl(path: &Path) -> Vec<Value> {
    fs::read_to_string(path).expect("stage file").lines().map(|l| serde_json::from_str(l).expect("JSON")).collect()
}

#[test]
fn every_stage_against_a_scripted_server() {
    let dir = Dir::new("pipeline");
    let pool = Arc::new(pool());
    let server = {
        let pool = pool.clone();
        ScriptedServer::start(move |r, n| model(r, n, &pool, true)).unwrap()
    };
    let verifier = Verifier::with_sandbox(SANDBOX.clone(), VerifyConfig::default());
    let pipeline = Pipeline::new(config(&dir.0), client(&server, dir.path("cache")), verifier.clone()).unwrap();
    let stats = pipeline.run(&Stage::ALL, &|_| {}).unwrap();

    // Instructions: the library is full, near-duplicates stayed out, both methods are in it.
    let tasks = jsonl(&dir.path("tasks.jsonl"));
    assert_eq!(tasks.len(), 16);
    let instructions: Vec<&str> = tasks.iter().map(|t| t["instruction"].as_str().unwrap()).collect();
    assert!(instructions.contains(&pool[0].as_str()));
    assert!(!instructions.contains(&pool[10].as_str()), "the near-duplicate of task 1 went in");
    assert!(stats.instructions.as_ref().unwrap().dropped_similar >= 1);
    assert!(tasks.iter().any(|t| t["origin"] == "self_instruct"));
    assert!(tasks.iter().any(|t| t["origin"].as_str().unwrap().starts_with("evol:") && t["parent"].is_string()));
    for (i, a) in instructions.iter().enumerate() {
        for b in &instructions[..i] {
            assert!(rouge_l(&tokens(a), &tokens(b)) < 0.7, "{a:?} ~ {b:?}");
        }
    }

    // Programs: rejection sampling with RoboSim, every attempt recorded.
    let programs: Vec<TaskPrograms> =
        jsonl(&dir.path("programs.jsonl")).into_iter().map(|v| serde_json::from_value(v).unwrap()).collect();
    let by_instruction = |i: &str| programs.iter().find(|p| p.instruction == i).unwrap();
    let stapler = by_instruction(&pool[0]);
    let statuses: Vec<AttemptStatus> = stapler.attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [AttemptStatus::NoCode, AttemptStatus::Rejected, AttemptStatus::Accepted]);
    assert_eq!(stapler.attempts[1].class.as_deref(), Some("RobotPickError"));
    assert_eq!(stapler.attempts[1].line, Some(4));
    assert!(stapler.accepted && stapler.program.as_deref().unwrap().contains("place(\"stapler\")"));
    let umbrella = by_instruction(&pool[1]);
    assert!(!umbrella.accepted && umbrella.attempts.len() == 3);
    assert!(umbrella.attempts.iter().all(|a| a.class.as_deref() == Some("NameError")));
    let telescope = by_instruction(&pool[9]);
    assert!(!telescope.accepted);
    assert!(telescope.attempts.iter().all(|a| a.class.as_deref() == Some("llm:timeout")), "{telescope:?}");
    assert!(stats.programs.as_ref().unwrap().error_classes["RobotPickError"] >= 1);

    // InstAlign: revised where the judge chose it, unchanged, unparsed.
    let aligned = jsonl(&dir.path("aligned.jsonl"));
    let find = |i: &str| aligned.iter().find(|a| a["original"] == i).unwrap().clone();
    assert_eq!(find(&pool[0])["choice"], "revised");
    assert!(find(&pool[0])["instruction"].as_str().unwrap().ends_with(DONE));
    assert_eq!(find(&pool[2])["choice"], "unchanged");
    assert_eq!(find(&pool[5])["choice"], "unparsed");
    assert_eq!(find(&pool[5])["instruction"], pool[5].as_str());
    assert!(find(&pool[5])["note"].as_str().unwrap().starts_with("align:unparsed decision"), "{}", find(&pool[5]));
    // The revision prompt is turns (system, a worked example, the task), the original shown
    // first in the decision.
    let received = server.received();
    let revise = received.iter().find(|r| r.last_user().contains("# Original Instruction:")).unwrap();
    let roles: Vec<&str> = revise.messages().iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["system", "user", "assistant", "user"]);
    let decide = received.iter().find(|r| r.last_user().contains("### Instruction 1")).unwrap();
    let first =
        decide.last_user().split("### Instruction 1").nth(1).unwrap().split("### Instruction 2").next().unwrap();
    assert!(pool.iter().any(|p| p == first.trim()), "Instruction 1 is the original: {first:?}");
    assert_eq!(aligned.len() as u64, stats.programs.as_ref().unwrap().accepted_tasks);

    // Export: both shapes, no duplicates, nothing without a robot call.
    let messages = jsonl(&dir.path("dataset.messages.jsonl"));
    let pairs = jsonl(&dir.path("dataset.instruction.jsonl"));
    assert_eq!(messages.len(), pairs.len());
    let export = stats.export.as_ref().unwrap();
    assert_eq!(export.full.written, pairs.len() as u64);
    assert!(export.full.no_robot_call >= 1);
    assert!(export.full.duplicate_programs >= 1, "the two lobby tasks share a program");
    // The paper's variants, counted from the recorded attempts.
    let programs = jsonl(&dir.path("programs.jsonl"));
    let first_with_code = programs.iter().filter(|t| t["attempts"][0]["program"].is_string()).count();
    let accepted = programs.iter().filter(|t| t["accepted"] == true).count();
    let variant = |name: &str| export.variants[name].clone();
    assert_eq!(variant("self-instruct").input as usize, first_with_code);
    assert_eq!(variant("reject-unsolvable").input as usize, accepted);
    assert_eq!(variant("robo-instruct"), export.full);
    let firsts: Vec<&str> = programs.iter().map(|t| t["attempts"][0]["status"].as_str().unwrap()).collect();
    let verified = firsts.iter().filter(|s| ["accepted", "rejected"].contains(s)).count();
    let rejected = firsts.iter().filter(|s| **s == "rejected").count();
    assert_eq!(export.first_programs_verified as usize, verified);
    assert!((export.first_programs_rejected_rate - rejected as f64 / verified as f64).abs() < 1e-3);
    for name in ["self-instruct", "reject-unsolvable", "robo-instruct"] {
        let written = jsonl(&dir.path(&format!("variants/{name}/dataset.text.jsonl"))).len() as u64;
        assert_eq!(written, variant(name).written, "{name}");
    }
    // The unverified variant keeps a program RoboSim rejected; the verified ones do not.
    let self_instruct = jsonl(&dir.path("variants/self-instruct/dataset.instruction.jsonl"));
    assert!(self_instruct.iter().any(|p| !verifier.verify(p["output"].as_str().unwrap()).accepted()));
    // The text format: the API, the instruction, the program.
    let text = jsonl(&dir.path("dataset.text.jsonl"));
    assert_eq!(text.len(), pairs.len());
    let sample = robosim::generate::text_field("PREFIX", "Go to the lab.", "def task_program():\n    go_to(\"lab\")\n");
    insta::assert_snapshot!("text_format", sample);
    assert_eq!(
        text[0]["text"],
        robosim::generate::text_field(
            fs::read_to_string(seeds().join("robot_api.py")).unwrap().trim_end(),
            pairs[0]["instruction"].as_str().unwrap(),
            pairs[0]["output"].as_str().unwrap()
        )
    );
    for (m, p) in messages.iter().zip(&pairs) {
        assert_eq!(m["messages"][0]["role"], "user");
        assert_eq!(m["messages"][0]["content"], p["instruction"]);
        assert_eq!(m["messages"][1]["content"], p["output"]);
        assert!(robosim::generate::calls_robot_api(p["output"].as_str().unwrap()));
        assert!(verifier.verify(p["output"].as_str().unwrap()).accepted());
    }
    assert_eq!(pairs.iter().filter(|p| p["output"].as_str().unwrap().contains("lobby")).count(), 1);
    assert!(!pairs.iter().any(|p| p["instruction"].as_str().unwrap().starts_with("Count")));
    let on_disk: Value = serde_json::from_str(&fs::read_to_string(dir.path("stats.json")).unwrap()).unwrap();
    for section in ["instructions", "programs", "align", "export", "llm"] {
        assert!(on_disk[section].is_object(), "stats.json lacks {section}");
    }
    assert!(stats.llm.retries >= 3, "the faults were retried: {:?}", stats.llm);

    // Run again: every answer comes from the cache; only the failed (timed-out) requests are
    // asked again, and the outputs are the same.
    let before = server.received().len();
    let dataset = fs::read_to_string(dir.path("dataset.instruction.jsonl")).unwrap();
    let pipeline = Pipeline::new(config(&dir.0), client(&server, dir.path("cache")), verifier).unwrap();
    let again = pipeline.run(&Stage::ALL, &|_| {}).unwrap();
    assert!(again.llm.cache_hits > 0);
    let asked: Vec<Received> = server.received().split_off(before);
    assert!(asked.iter().all(|r| r.last_user().contains("telescope")), "re-asked an answered request");
    assert_eq!(fs::read_to_string(dir.path("dataset.instruction.jsonl")).unwrap(), dataset);
}

#[test]
fn a_stage_without_its_input_says_which_stage_to_run() {
    let dir = Dir::new("pipeline-missing");
    let server = ScriptedServer::start(|_, _| Reply::content("")).unwrap();
    let verifier = Verifier::with_sandbox(SANDBOX.clone(), VerifyConfig::default());
    let pipeline = Pipeline::new(config(&dir.0), client(&server, dir.path("cache")), verifier).unwrap();
    let error = pipeline.run(&[Stage::Align], &|_| {}).unwrap_err().to_string();
    assert!(error.contains("programs.jsonl does not exist: run the `programs` stage first"), "{error}");
}

#[test]
fn a_damaged_stats_file_is_an_error_and_is_left_alone() {
    let dir = Dir::new("pipeline-stats");
    fs::write(dir.path("stats.json"), "{\"programs\": ").unwrap();
    let server = ScriptedServer::start(|_, _| Reply::content("")).unwrap();
    let verifier = Verifier::with_sandbox(SANDBOX.clone(), VerifyConfig::default());
    let pipeline = Pipeline::new(config(&dir.0), client(&server, dir.path("cache")), verifier).unwrap();
    let error = pipeline.run(&[], &|_| {}).unwrap_err().to_string();
    assert!(error.contains("stats.json is not a statistics file"), "{error}");
    assert_eq!(fs::read_to_string(dir.path("stats.json")).unwrap(), "{\"programs\": ");
}

fn cli(out: &Path, server: &ScriptedServer) -> Command {
    cli_with(out, server, 2)
}

fn cli_with(out: &Path, server: &ScriptedServer, concurrency: usize) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_robosim"));
    command
        .args(["pipeline", out.to_str().expect("UTF-8 path"), "--model", "scripted", "--base-url", &server.base_url()])
        .args(["--seeds", seeds().to_str().expect("UTF-8 path"), "--tasks", "10", "--requests-per-round", "4"])
        .args(["--tasks-per-request", "4", "--concurrency", &concurrency.to_string(), "--backoff-ms", "5", "--json"])
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    command
}

#[test]
fn a_killed_run_resumes_from_the_cache_and_ends_as_an_uninterrupted_one() {
    let pool = Arc::new(pool());
    let hang = Arc::new(AtomicBool::new(true));
    // Bodies answered successfully, and how often: a resumed run must not pay twice.
    let answered = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
    // Requests 0–7 whose reply is made (a request is received before its handler runs).
    let settled = Arc::new(AtomicUsize::new(0));
    let server = {
        let (pool, hang, answered, settled) = (pool.clone(), hang.clone(), answered.clone(), settled.clone());
        ScriptedServer::start(move |r, n| {
            // From request 8 on, the first run gets no more answers: it is killed while waiting.
            if n >= 8 && hang.load(Ordering::SeqCst) {
                return Reply::content("never delivered").delay(Duration::from_secs(30));
            }
            let reply = model(r, n, &pool, false);
            // Requests 0–2 are the scripted faults, not answers.
            if n > 2 && reply.status == 200 {
                *answered.lock().entry(r.body.to_string()).or_default() += 1;
            }
            if n < 8 {
                settled.fetch_add(1, Ordering::SeqCst);
            }
            reply
        })
        .unwrap()
    };
    let dir = Dir::new("pipeline-kill");
    let mut child = cli(&dir.0, &server).stdout(Stdio::null()).spawn().unwrap();
    let started = Instant::now();
    while server.received().len() < 9 {
        assert!(started.elapsed() < Duration::from_secs(120), "the run never reached request 9");
        assert!(child.try_wait().unwrap().is_none(), "the run ended before the kill");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Kill once every answer sent has reached the cache (the client writes each as it
    // arrives), so the only unanswered requests are the hanging ones. Every answering handler
    // must have run first: on a loaded machine one may still be about to answer request 7.
    let answered_total = || answered.lock().values().sum::<usize>();
    let cached =
        || crate::files_under(&dir.path("cache")).iter().filter(|p| p.extension().is_some_and(|e| e == "json")).count();
    while settled.load(Ordering::SeqCst) < 8 || cached() < answered_total() {
        assert!(started.elapsed() < Duration::from_secs(120), "answers never reached the cache");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    hang.store(false, Ordering::SeqCst);

    let resumed = cli(&dir.0, &server).output().unwrap();
    assert!(resumed.status.success());
    let stats: Value = serde_json::from_slice(&resumed.stdout).unwrap();
    assert!(stats["llm"]["cache_hits"].as_u64().unwrap() >= 1, "{}", stats["llm"]);
    let twice: Vec<_> = answered.lock().iter().filter(|(_, n)| **n > 1).map(|(b, _)| b.clone()).collect();
    assert!(twice.is_empty(), "answered twice: {twice:?}");

    // The same run, never interrupted, against a fresh server.
    let clean_server = ScriptedServer::start(move |r, n| model(r, n, &pool, false)).unwrap();
    let clean = Dir::new("pipeline-clean");
    assert!(cli(&clean.0, &clean_server).output().unwrap().status.success());
    for file in
        ["tasks.jsonl", "programs.jsonl", "aligned.jsonl", "dataset.messages.jsonl", "dataset.instruction.jsonl"]
    {
        assert_eq!(
            fs::read_to_string(dir.path(file)).unwrap(),
            fs::read_to_string(clean.path(file)).unwrap(),
            "{file} differs after the resume"
        );
    }
}

/// More workers than the sandbox's default 64 pool slots, with 80 programs in flight at
/// once (each spins for a while before its robot calls): every verdict as with two workers.
#[test]
fn many_workers_give_the_verdicts_two_give() {
    // The answers come after a pause, so all 80 verifications start together.
    let server = |delay: u64| {
        ScriptedServer::start(move |_, _| {
            let code =
                "def task_program():\n    for i in range(300000):\n        pass\n    pick('cup')\n    pick('pen')\n";
            Reply::content(format!("```python\n{code}```")).delay(Duration::from_millis(delay))
        })
        .unwrap()
    };
    let tasks: String = (0..80)
        .map(|i| format!("{{\"id\":\"t{i}\",\"instruction\":\"Task {i}\",\"origin\":\"self_instruct\",\"round\":0}}\n"))
        .collect();
    let run = |name: &str, concurrency: usize, server: ScriptedServer| {
        let dir = Dir::new(name);
        fs::write(dir.path("tasks.jsonl"), &tasks).unwrap();
        let output = cli_with(&dir.0, &server, concurrency).args(["--stages", "programs", "--samples", "1"]).output();
        assert!(output.unwrap().status.success());
        fs::read_to_string(dir.path("programs.jsonl")).unwrap()
    };
    let (two, many) = (run("pipeline-two", 2, server(0)), run("pipeline-many", 80, server(500)));
    assert_eq!(two.matches("\"class\":\"RobotPickError\"").count(), 80, "{two}");
    assert_eq!(two, many);
}

#[test]
fn an_unreachable_server_is_a_tool_failure() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = Dir::new("pipeline-down");
    let output = Command::new(env!("CARGO_BIN_EXE_robosim"))
        .args(["pipeline", dir.0.to_str().unwrap(), "--model", "m", "--retries", "0", "--tasks", "4"])
        .args(["--base-url", &format!("http://127.0.0.1:{port}/v1"), "--seeds", seeds().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("every model request failed"), "{stderr}");
}

#[test]
fn the_seed_programs_are_accepted_by_robosim() {
    let seeds = robosim::generate::Seeds::load(seeds()).unwrap();
    let verifier = Verifier::with_sandbox(SANDBOX.clone(), VerifyConfig::default());
    for task in &seeds.tasks {
        let program = task.program.as_deref().expect("every shipped seed has its program");
        let verdict = verifier.verify(program);
        assert!(verdict.accepted(), "{}: {:?}", task.id, verdict.failure().map(|f| &f.error));
        assert!(robosim::generate::calls_robot_api(program));
    }
}
