//! `robosim report` on each kind of run, made by the real commands (verify-batch and grade on
//! the shipped data; eval and pipeline against scripted models behind real local servers):
//! the page's headline numbers equal the run's own summary, every failure is in the table,
//! and the command writes one self-contained file. (The page in a browser: tests/python.)
//!
//! `ROBOSIM_BLESS_REPORT_FIXTURES=1` also copies the eval and pipeline runs to
//! `tests/fixtures/report`, where the browser tests find them.

use std::{fs, path::Path, process::Command, sync::Arc};

use robosim::{
    eval::{EvalConfig, Sampling, evaluate},
    generate::{Pipeline, Stage},
    grade::InProcess,
    llm::mock::ScriptedServer,
    report::{Kind, Report, Section},
    verify::{Verifier, VerifyConfig},
};
use serde_json::Value;

use crate::{Dir, SANDBOX, fixtures};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).expect("a JSON file")).expect("JSON")
}

fn robosim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_robosim")).args(args).output().expect("run robosim")
}

fn stat<'a>(section: &'a Section, key: &str) -> &'a str {
    section.stat(key).unwrap_or_else(|| panic!("no stat {key}"))
}

fn bless(from: &Path, name: &str) {
    if std::env::var_os("ROBOSIM_BLESS_REPORT_FIXTURES").is_none() {
        return;
    }
    let to = fixtures().join("report").join(name);
    let _ = fs::remove_dir_all(&to);
    fs::create_dir_all(&to).expect("fixture dir");
    for entry in fs::read_dir(from).expect("run dir").flatten() {
        if entry.path().is_file() {
            fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
}

#[test]
fn a_verdicts_page_counts_what_verify_batch_counted() {
    let dir = Dir::new("report-verdicts");
    let input = dir.path("raw.jsonl");
    fs::copy(root().join("data/raw.jsonl"), &input).expect("copy the example batch");
    let out = robosim(&["verify-batch", input.to_str().expect("utf-8"), "--json", "-j", "2"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: Value = serde_json::from_slice(&out.stdout).expect("the summary");
    let verdicts = dir.path("raw.verdicts.jsonl");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("robosim report {}", verdicts.display())), "the command says how: {stderr}");

    let out = robosim(&["report", verdicts.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let page = fs::read_to_string(dir.path("raw.verdicts.report.html")).expect("the page beside the verdicts");
    for key in ["records", "accepted", "rejected", "invalid_input", "not_run", "paths"] {
        assert!(page.contains(&format!("data-stat=\"{key}\">{}<", summary[key])), "{key}");
    }
    assert!(!page.contains("http://") && !page.contains("https://"), "nothing from the network");

    let report = Report::build(&[verdicts]).expect("the report");
    let section = &report.sections[0];
    assert_eq!(section.kind, Kind::Verdicts);
    let failures = summary["rejected"].as_u64().unwrap() + summary["invalid_input"].as_u64().unwrap();
    assert_eq!((section.failures, section.rows.len() as u64), (failures, failures));
    for (class, n) in summary["by_class"].as_object().expect("classes") {
        assert_eq!(section.rows.iter().filter(|r| &r.class == class).count() as u64, n.as_u64().unwrap(), "{class}");
    }
    let poll = section.rows.iter().find(|r| r.id == "poll-2").expect("a rejected program");
    assert_eq!((poll.class.as_str(), poll.line), ("TypeError", Some(10)));
    let stopped: Vec<(String, u64)> =
        summary["stopped"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap())).collect();
    for (how, n) in stopped {
        assert!(page.contains(&format!("<title>{how}: {n}</title>")), "acceptances that stopped {how}");
    }
    assert!(poll.detail["program"].as_str().unwrap().contains("say(count + "));
    assert_eq!(poll.detail["trace"].as_array().map(Vec::len), Some(11), "the failing path's robot calls");
}

#[test]
fn a_grades_page_has_each_failed_world_with_its_calls_and_the_program() {
    let dir = Dir::new("report-grades");
    let input = dir.path("completions.jsonl");
    fs::copy(root().join("data/completions.jsonl"), &input).expect("copy the example completions");
    let tasks = root().join("seeds/examples");
    let out = robosim(&["grade", tasks.to_str().unwrap(), input.to_str().unwrap(), "--json", "-j", "2"]);
    assert_eq!(out.status.code(), Some(1));
    let summary: Value = serde_json::from_slice(&out.stdout).expect("the summary");
    let report = Report::build(&[dir.path("completions.grades.jsonl")]).expect("the report");
    let section = &report.sections[0];
    assert_eq!(section.kind, Kind::Grades);
    assert_eq!(
        stat(section, "completions"),
        (summary["passed"].as_u64().unwrap() + summary["failed"].as_u64().unwrap()).to_string()
    );
    assert_eq!(stat(section, "passed"), summary["passed"].to_string());
    assert_eq!(stat(section, "pass_at_1_overall"), format!("{:.4}", summary["pass_at_1"].as_f64().unwrap()));
    assert_eq!(
        stat(section, "mean_task_pass_at_1"),
        format!("{:.4}", summary["mean_task_pass_at_1"].as_f64().unwrap())
    );
    assert_eq!(section.failures, summary["failed"].as_u64().unwrap());
    let row = section.rows.iter().find(|r| r.id == "StaplerDelivery/fail_unknown_room").expect("row");
    assert_eq!((row.class.as_str(), row.line), ("RobotGoToError", Some(4)));
    assert!(row.detail["program"].as_str().unwrap().starts_with("def task_program"), "the program, out of its fence");
    // The grade record keeps the failed world's line and robot calls; the page has them too.
    let records = fs::read_to_string(dir.path("completions.grades.jsonl")).unwrap();
    let record: Value = records
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|r| r["id"] == "StaplerDelivery/fail_unknown_room")
        .expect("the record");
    let world = &record["worlds"][0];
    assert_eq!(world["line"], 4);
    let calls = world["calls"].as_array().expect("the failed world's robot calls");
    assert_eq!(calls.last().unwrap()["function"], "go_to");
    assert!(calls.last().unwrap()["raised"].as_str().unwrap().starts_with("RobotGoToError"));
    let shown = row.detail["worlds"][0]["calls"].as_array().expect("the calls on the page");
    assert_eq!(shown.len(), calls.len());
    assert_eq!(shown.last().unwrap()[3], calls.last().unwrap()["raised"]);
    let passed = record["worlds"].as_array().unwrap().iter().filter(|w| w["passed"] == true);
    assert!(passed.into_iter().all(|w| w.get("calls").is_none()), "a passed world keeps no calls");
}

#[test]
fn eval_and_pipeline_pages_agree_with_their_summaries() {
    let dir = Dir::new("report-runs");
    // Two evals of a scripted model, 4 and 2 samples per prompt.
    let tasks = crate::eval::tasks(&["SayGoodDay", "CountSavory"]);
    let answers = crate::eval::answers();
    let server = {
        let (tasks, answers) = (tasks.clone(), answers.clone());
        ScriptedServer::start(move |request, _| crate::eval::model(request, &tasks, &answers)).expect("server")
    };
    let mut outs = Vec::new();
    for samples in [4, 2] {
        let out = dir.path(&format!("eval-{samples}"));
        let mut config = EvalConfig::new(&out);
        config.sampling = Sampling { samples, ..Sampling::roboeval() };
        config.ks = vec![1, 2, 4];
        let client = crate::pipeline::client(&server, dir.path("cache"));
        evaluate(&config, &tasks, &client, &InProcess::new(&SANDBOX), &mut |_| {}).expect("the evaluation");
        outs.push(out);
    }
    let report = Report::build(&outs).expect("two evals side by side");
    for (section, out) in report.sections.iter().zip(&outs) {
        let summary = json(&out.join("summary.json"));
        assert_eq!(section.kind, Kind::Eval);
        assert_eq!(stat(section, "completions"), summary["completions"].to_string());
        assert_eq!(stat(section, "passed"), summary["passed"].to_string());
        assert_eq!(stat(section, "pass_at_1"), format!("{:.4}", summary["pass_at"]["1"].as_f64().unwrap()));
        let failed = summary["completions"].as_u64().unwrap() - summary["passed"].as_u64().unwrap();
        assert_eq!(section.failures, failed);
        let robot = summary["errors"]["RobotExecutionError"].as_u64().unwrap_or(0);
        assert_eq!(section.rows.iter().filter(|r| r.class.starts_with("Robot")).count() as u64, robot);
        assert!(
            section
                .rows
                .iter()
                .all(|r| r.detail["program"].as_str().is_some_and(|p| p.starts_with("def task_program")))
        );
    }
    assert!(report.html().contains("pass@k of the evals compared"));
    bless(&outs[0], "eval-4");
    bless(&outs[1], "eval-2");

    // A pipeline run against the scripted generator of the pipeline tests.
    let pool = Arc::new(crate::pipeline::pool());
    let server = {
        let pool = pool.clone();
        ScriptedServer::start(move |r, n| crate::pipeline::model(r, n, &pool, false)).expect("server")
    };
    let out = dir.path("pipeline");
    let verifier = Verifier::with_sandbox(SANDBOX.clone(), VerifyConfig::default());
    let client = crate::pipeline::client(&server, dir.path("pipeline-cache"));
    let pipeline = Pipeline::new(crate::pipeline::config(&out), client, verifier).expect("the pipeline");
    let stats = pipeline.run(&Stage::ALL, &|_| {}).expect("the run");
    let report = Report::build(std::slice::from_ref(&out)).expect("the report");
    let section = &report.sections[0];
    let programs = stats.programs.as_ref().expect("programs ran");
    let export = stats.export.as_ref().expect("export ran");
    assert_eq!(stat(section, "tasks"), programs.tasks.to_string());
    assert_eq!(stat(section, "accepted"), programs.accepted_tasks.to_string());
    assert_eq!(stat(section, "aligned"), stats.align.as_ref().expect("align ran").pairs.to_string());
    assert_eq!(stat(section, "exported"), export.full.written.to_string());
    assert_eq!(stat(section, "first_programs_rejected_rate"), format!("{:.4}", export.first_programs_rejected_rate));
    let failed_samples: u64 = programs.error_classes.values().sum();
    assert_eq!(section.failures, failed_samples);
    assert!(section.extra.contains("<del>") || section.extra.contains("<ins>"), "InstAlign's revisions, marked");
    bless(&out, "pipeline");
}

#[test]
fn what_is_not_a_run_is_a_typed_error_and_a_bad_line_is_counted() {
    let dir = Dir::new("report-bad");
    let other = dir.path("other.jsonl");
    fs::write(&other, "{\"hello\": 1}\n").unwrap();
    let error = Report::build(&[other]).unwrap_err();
    assert!(matches!(error, robosim::report::Error::UnknownInput { .. }), "{error}");
    // Verdicts made here: a clean clone has no verdicts of the example batch until it is run.
    let input = dir.path("x.jsonl");
    let batch = fs::read_to_string(root().join("data/raw.jsonl")).expect("the example batch");
    fs::write(&input, batch.lines().take(8).map(|line| format!("{line}\n")).collect::<String>()).unwrap();
    let out = robosim(&["verify-batch", input.to_str().expect("utf-8"), "-j", "1"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
    let verdicts = dir.path("x.verdicts.jsonl");
    let good = fs::read_to_string(&verdicts).expect("verify-batch wrote verdicts");
    fs::write(&verdicts, format!("{good}{{not json\n")).unwrap();
    let report = Report::build(&[verdicts]).expect("a bad line does not stop the report");
    assert_eq!(report.sections[0].stat("unreadable"), Some("1"));
    let out = robosim(&["report", dir.path("missing.jsonl").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_roboeval_state_names_the_completions_own_line() {
    // RoboEval's harness puts its imports before the program; the record's line is the program's.
    let tasks = crate::eval::tasks(&["SayGoodDay"]);
    let program = "def task_program():\n    start = get_current_location()\n    go_to(\"the moon\")\n";
    let states = robosim::grade::grade_one(&tasks[0], program, &SANDBOX, &robosim::grade::Grading::default());
    assert!(!states.is_empty());
    for state in states {
        assert_eq!((state.passed, state.line), (false, Some(3)), "{state:?}");
        assert_eq!(state.calls.last().map(|c| c.function.name()), Some("go_to"));
    }
}
