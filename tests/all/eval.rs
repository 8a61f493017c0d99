//! `robosim eval`: a model (here a scripted stand-in behind a real local HTTP server) evaluated
//! on RoboEval's tasks: the requests RoboEval would send, its post-processing, grading, pass@k,
//! the error breakdown, the records, resuming from the cache.

use std::{collections::BTreeMap, fs, path::PathBuf, process::Command};

use robosim::{
    eval::{Api, EvalConfig, Sampling, default_prefix, evaluate, pass_at_k},
    grade::{GradeConfig, Grading, InProcess, Task, grade, grade_one, roboeval::EvalClass},
    llm::{
        Client, ClientConfig,
        mock::{Received, Reply, ScriptedServer},
    },
};
use serde_json::Value;

use crate::{Dir, SANDBOX, fixtures};

/// `tests/fixtures/eval/answers.json`: per task, the body of a passing program, one failing a
/// check, one raising a robot error and one raising a Python error.
pub(crate) fn answers() -> BTreeMap<String, BTreeMap<String, String>> {
    let text = fs::read_to_string(fixtures().join("eval/answers.json")).expect("the answers fixture");
    serde_json::from_str(&text).expect("JSON")
}

pub(crate) fn tasks(names: &[&str]) -> Vec<Task> {
    let all = Task::load_dir(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds/roboeval")).expect("tasks");
    all.into_iter().filter(|t| names.iter().any(|n| Some(*n) == t.ablation_of.as_deref().or(Some(&t.name)))).collect()
}

/// Which task and prompt a request is for (its text ends with the instruction, then the suffix).
fn asked<'a>(tasks: &'a [Task], text: &str) -> (&'a Task, usize) {
    let text = text.strip_suffix("\ndef task_program():\n").expect("the prompt ends with the function's head");
    tasks
        .iter()
        .filter(|t| t.ablation_of.is_none())
        .find_map(|t| t.prompts.iter().position(|p| text.ends_with(&format!("# Instruction: {p}"))).map(|i| (t, i)))
        .expect("a benchmark prompt")
}

/// The scripted model: sample 0 passes, 1 fails a check, 2 raises a robot error, 3 a Python
/// error; on the last prompt of each task sample 1 passes too.
pub(crate) fn model(request: &Received, tasks: &[Task], answers: &BTreeMap<String, BTreeMap<String, String>>) -> Reply {
    let (task, prompt) = asked(tasks, request.prompt());
    let kind = match request.body["seed"].as_u64().expect("a seed") {
        0 => "pass",
        1 if prompt == task.prompts.len() - 1 => "pass",
        1 => "check",
        2 => "robot",
        _ => "python",
    };
    Reply::answer(request, answers[&task.name][kind].clone())
}

#[test]
fn a_model_is_evaluated_as_roboeval_evaluates_it_and_resumes_from_its_cache() {
    let tasks = tasks(&["SayGoodDay", "CountSavory"]);
    let answers = answers();
    let server = {
        let (tasks, answers) = (tasks.clone(), answers.clone());
        ScriptedServer::start(move |request, _| model(request, &tasks, &answers)).expect("server")
    };
    let dir = Dir::new("eval");
    let mut llm = ClientConfig::new(server.base_url(), "scripted");
    llm.cache_dir = Some(dir.path("cache"));
    let mut config = EvalConfig::new(dir.path("out"));
    config.sampling = Sampling { samples: 4, ..Sampling::roboeval() };
    config.ks = vec![1, 2, 4, 8];
    config.concurrency = 3;
    let client = Client::new(llm.clone());
    let mut events = 0;
    let summary = evaluate(&config, &tasks, &client, &InProcess::new(&SANDBOX), &mut |_| events += 1)
        .expect("the evaluation runs");

    // What was asked: every prompt of both tasks 4 times, as RoboEval asks a base model.
    let received = server.received();
    assert_eq!(received.len(), 2 * 5 * 4);
    for request in &received {
        assert_eq!(request.path, "/v1/completions");
        assert!(request.prompt().starts_with(&default_prefix()), "robosim's own prompt");
        assert_eq!(request.body["temperature"], 0.2);
        assert_eq!(request.body["top_p"], 0.95);
        assert_eq!(request.body["max_tokens"], 512);
        assert_eq!(request.body["stop"], serde_json::json!(["\n#", "\ndef", "\nclass", "```", "import"]));
    }
    assert_eq!(events, 1 + 40);

    // pass@k from the counts: per prompt 1 of 4 passed, 2 of 4 on the last prompt.
    let expected = |k| (4.0 * pass_at_k(4, 1, k) + pass_at_k(4, 2, k)) / 5.0;
    for task in ["SayGoodDay", "CountSavory"] {
        let result = &summary.tasks[task];
        assert_eq!((result.completions, result.passed), (20, 6), "{task}");
        for k in [1, 2, 4] {
            assert!((result.pass_at[&k.to_string()] - expected(k)).abs() < 1e-4, "{task} pass@{k}");
        }
        assert!(!result.pass_at.contains_key("8"), "k above n is left out");
        let errors: Vec<(EvalClass, u64)> = result.errors.iter().map(|(c, n)| (*c, *n)).collect();
        assert_eq!(
            errors,
            [
                (EvalClass::Success, 6),
                (EvalClass::CompletionError, 4),
                (EvalClass::PythonError, 5),
                (EvalClass::RobotExecutionError, 5)
            ],
            "{task}"
        );
    }
    assert!((summary.pass_at["1"] - expected(1)).abs() < 1e-4);
    assert_eq!((summary.completions, summary.passed, summary.request_errors), (40, 12, 0));

    // The records: the program graded is the answer cut to `task_program`, and grading it
    // again gives the same states; CountSavory's completions are graded on its ablation too.
    let lines = |name: &str| -> Vec<Value> {
        let text = fs::read_to_string(dir.path("out").join(name)).expect(name);
        text.lines().map(|l| serde_json::from_str(l).expect("JSON")).collect()
    };
    let (completions, grades) = (lines("completions.jsonl"), lines("grades.jsonl"));
    assert_eq!((completions.len(), grades.len()), (40, 40));
    let first = completions.iter().find(|c| c["task"] == "SayGoodDay").expect("a SayGoodDay completion");
    let program = first["completion"].as_str().expect("a program");
    assert!(program.starts_with("def task_program():\n") && !program.contains("something else"), "{program}");
    assert!(first["raw"].as_str().expect("the answer").contains("# Instruction: something else"));
    let ablation = tasks.iter().find(|t| t.name == "CountSavoryAblation").expect("the ablation");
    let savory =
        grades.iter().zip(&completions).find(|(g, _)| g["task"] == "CountSavory").expect("a CountSavory grade");
    let again = grade_one(ablation, savory.1["completion"].as_str().expect("program"), &SANDBOX, &Grading::default());
    let recorded: Vec<bool> = savory.0["ablations"]["CountSavoryAblation"]["states"]
        .as_array()
        .expect("ablation states")
        .iter()
        .map(|s| s["passed"] == true)
        .collect();
    assert_eq!(recorded, again.iter().map(|s| s.passed).collect::<Vec<_>>());
    assert_eq!(summary.ablations["CountSavoryAblation"].completions, 20);

    // `robosim grade` grades completions.jsonl as it is, to the same verdicts.
    let regrade = GradeConfig::new(dir.path("out").join("completions.jsonl"));
    let graded = grade(&regrade, &tasks, &InProcess::new(&SANDBOX), &mut |_| {}).expect("grading");
    assert_eq!(graded.passed, 12);

    // Run again: every answer comes from the cache, the results are the same.
    let client = Client::new(llm);
    let again = evaluate(&config, &tasks, &client, &InProcess::new(&SANDBOX), &mut |_| {}).expect("the second run");
    assert_eq!(server.received().len(), 40, "nothing asked twice");
    assert_eq!(again.llm.cache_hits, 40);
    assert_eq!((again.passed, &again.pass_at, &again.errors), (summary.passed, &summary.pass_at, &summary.errors));
    let summary_file: Value =
        serde_json::from_str(&fs::read_to_string(dir.path("out").join("summary.json")).expect("summary"))
            .expect("JSON");
    assert_eq!(summary_file["errors"]["RobotExecutionError"], 10);
}

#[test]
fn a_request_that_fails_for_good_is_recorded_and_left_out_of_pass_at_k() {
    let tasks = tasks(&["SayGoodDay"]);
    let answers = answers();
    let server = {
        let (tasks, answers) = (tasks.clone(), answers.clone());
        ScriptedServer::start(move |request, _| {
            let (_, prompt) = asked(&tasks, request.prompt());
            if prompt == 2 { Reply::raw(400, "bad request") } else { model(request, &tasks, &answers) }
        })
        .expect("server")
    };
    let dir = Dir::new("eval-fail");
    let config = EvalConfig::new(dir.path("out"));
    assert_eq!((config.api, config.sampling.samples, config.sampling.temperature), (Api::Completions, 1, 0.0));
    let summary = evaluate(
        &config,
        &tasks,
        &Client::new(ClientConfig::new(server.base_url(), "m")),
        &InProcess::new(&SANDBOX),
        &mut |_| {},
    )
    .expect("the run goes on");
    assert_eq!((summary.completions, summary.request_errors, summary.passed), (4, 1, 4));
    assert_eq!(summary.tasks["SayGoodDay"].pass_at["1"], 1.0, "the failed prompt is not counted");
    let text = fs::read_to_string(dir.path("out").join("completions.jsonl")).expect("records");
    let failed: Value = serde_json::from_str(text.lines().nth(2).expect("line 3")).expect("JSON");
    assert!(failed["error"].as_str().expect("an error").contains("400"), "{failed}");
}

#[test]
fn the_command_asks_a_chat_model_with_the_users_prompt_and_prints_the_results() {
    let tasks = tasks(&["SayGoodDay"]);
    let pass = answers()["SayGoodDay"]["pass"].clone();
    let server = ScriptedServer::start(move |request, _| {
        Reply::answer(request, format!("Sure:\n```python\ndef task_program():\n{pass}```\n"))
    })
    .expect("server");
    let dir = Dir::new("eval-cli");
    let prefix = dir.path("prefix.py");
    fs::write(&prefix, "# My own prompt.\n# Instruction: ").expect("write the prefix");
    let url = server.base_url();
    let out = dir.path("out");
    let output = Command::new(env!("CARGO_BIN_EXE_robosim"))
        .args(["eval", out.to_str().expect("utf-8"), "--task", "SayGoodDay", "--model", "chatty", "--base-url", &url])
        .args(["--api", "chat", "--prompt-file", prefix.to_str().expect("utf-8"), "--prompt-suffix", "\\n"])
        .args(["--tasks", &format!("{}/seeds/roboeval", env!("CARGO_MANIFEST_DIR")), "-j", "2"])
        .output()
        .expect("run robosim");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("SayGoodDay") && stdout.contains("pass@1 1.0000"), "{stdout}");
    assert!(stdout.contains("RoboEval error breakdown: Success 5"), "{stdout}");
    let received = server.received();
    assert_eq!(received.len(), 5);
    for request in &received {
        assert_eq!(request.path, "/v1/chat/completions");
        assert_eq!(request.body["temperature"], 0.0, "greedy by default");
        assert!(request.body.get("stop").is_none(), "no stop strings for a chat model");
        let text = request.last_user();
        assert!(text.starts_with("# My own prompt.\n# Instruction: ") && text.ends_with('\n'), "{text:?}");
        assert!(tasks[0].prompts.iter().any(|p| text.contains(p.as_str())));
    }
    assert!(out.join("summary.json").is_file() && out.join("cache").is_dir());
}
