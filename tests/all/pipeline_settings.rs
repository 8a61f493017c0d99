//! The pipeline's settings reach the wire: the `paper` preset's sampling per kind of request,
//! its Self-Instruct shape and few-shot counts, best-of voting, and every setting recorded.

use std::sync::Arc;

use robosim::{
    generate::{Pipeline, PipelineConfig, RequestShape, Stage},
    llm::mock::{Received, ScriptedServer},
    verify::{Verifier, VerifyConfig},
};
use serde_json::Value;

use crate::{
    Dir, SANDBOX,
    pipeline::{client, jsonl, model, pool, seeds},
};

/// Which kind of request this is.
fn kind(request: &Received) -> &'static str {
    let user = request.last_user();
    if user.starts_with("Write one new and interesting task") {
        "instructions"
    } else if user.contains("# Original Instruction:") {
        "revise"
    } else if user.contains("### Instruction 1") {
        "decide"
    } else {
        "programs"
    }
}

#[test]
fn the_paper_preset_reaches_the_wire_for_every_kind_of_request() {
    let dir = Dir::new("pipeline-paper");
    let pool = Arc::new(pool());
    let server = {
        let pool = pool.clone();
        // Past the scripted model's three opening faults: this test is about the settings.
        ScriptedServer::start(move |r, n| model(r, n + 3, &pool, false)).unwrap()
    };
    let preset = seeds().join("presets/paper.toml");
    let mut config = PipelineConfig::from_settings_file(&preset, seeds(), &dir.0).unwrap();
    assert_eq!(config.self_instruct_shape, RequestShape::Turns);
    config.target_tasks = 4;
    config.requests_per_round = 4;
    config.concurrency = 2;
    let verifier = Verifier::with_sandbox(SANDBOX.clone(), VerifyConfig::default());
    let pipeline = Pipeline::new(config, client(&server, dir.path("cache")), verifier).unwrap();
    let stats = pipeline.run(&Stage::ALL, &|_| {}).unwrap();

    let received = server.received();
    let expect = |kind_: &str, temperature: f64, top_p: f64, max_tokens: u64| {
        let requests: Vec<&Received> = received.iter().filter(|r| kind(r) == kind_).collect();
        assert!(!requests.is_empty(), "no {kind_} request");
        for r in &requests {
            assert_eq!(r.body["temperature"].as_f64(), Some(temperature), "{kind_}");
            assert_eq!(r.body["top_p"].as_f64(), Some(top_p), "{kind_}");
            assert_eq!(r.body["max_tokens"].as_u64(), Some(max_tokens), "{kind_}");
        }
        requests
    };
    // Self-Instruct: the capabilities as system prompt, six example tasks as earlier answers.
    for r in expect("instructions", 0.999, 0.95, 1024) {
        let roles: Vec<&str> = r.messages().iter().map(|m| m["role"].as_str().unwrap()).collect();
        assert_eq!(roles.len(), 1 + 2 * 6 + 1, "{roles:?}");
        assert_eq!((roles[0], roles[1], roles[2]), ("system", "user", "assistant"));
        assert!(r.messages()[0]["content"].as_str().unwrap().contains("def go_to"));
    }
    // Programs: six seed pairs as earlier turns.
    for r in expect("programs", 0.999, 0.95, 1024) {
        assert_eq!(r.messages().len(), 1 + 2 * 6 + 1);
    }
    // InstAlign: three samples of each request (sampling seeds 0, 1, 2), which then vote.
    for (kind_, top_p) in [("revise", 0.95), ("decide", 0.2)] {
        let requests = expect(kind_, 0.3, top_p, 2048);
        let mut seeds: Vec<u64> = requests.iter().map(|r| r.body["seed"].as_u64().unwrap()).collect();
        seeds.sort_unstable();
        assert_eq!(seeds.len() % 3, 0, "{kind_}: {seeds:?}");
        assert_eq!(seeds.iter().filter(|s| **s == 0).count() * 3, seeds.len(), "{kind_}: {seeds:?}");
    }
    let aligned = jsonl(&dir.path("aligned.jsonl"));
    assert!(aligned.iter().any(|a| a["choice"] == "revised"), "{aligned:?}");

    // Every setting used is recorded, in the statistics returned and in stats.json.
    assert_eq!(stats.settings.sampling.decide.best_of, 3);
    let file: Value = serde_json::from_str(&std::fs::read_to_string(dir.path("stats.json")).unwrap()).unwrap();
    assert_eq!(file["settings"]["self_instruct_shape"], "turns");
    assert_eq!(file["settings"]["sampling"]["decide"]["top_p"], 0.2);
    assert_eq!(file["settings"]["few_shot_programs"], 6);
}

#[test]
fn a_sampling_flag_sets_one_value_and_names_what_is_wrong() {
    let mut sampling = robosim::generate::Sampling::default();
    sampling.set("programs.temperature=1.0").unwrap();
    sampling.set(r#"instructions.stop=["\n\n", "END"]"#).unwrap();
    sampling.set("decide.best_of = 5").unwrap();
    assert_eq!(sampling.programs.temperature, 1.0);
    assert_eq!(sampling.instructions.stop, ["\n\n", "END"]);
    assert_eq!(sampling.decide.best_of, 5);
    assert_eq!(sampling.revise, robosim::generate::StageSampling::default(), "other stages untouched");
    for (bad, says) in [
        ("programs.temprature=1", "unknown key"),
        ("judge.temperature=1", "unknown stage"),
        ("programs.temperature", "STAGE.KEY=VALUE"),
        ("programs.best_of=\"three\"", "best_of"),
    ] {
        let err = sampling.set(bad).unwrap_err().to_string();
        assert!(err.contains(says), "{bad}: {err}");
    }
}

#[test]
fn decontamination_drops_planted_copies_of_benchmark_prompts_and_keeps_the_rest() {
    use robosim::llm::mock::Reply;
    let dir = Dir::new("pipeline-decontaminate");
    // The benchmark: RoboEval's tasks. Planted: a rewording of one of its prompts; kept: a new task.
    let tasks = robosim::grade::Task::load_dir(&seeds().join("roboeval")).unwrap();
    let prompt = tasks.iter().find(|t| t.name == "StaplerSupply").unwrap().prompts[0].clone();
    let planted = format!("{} Thanks!", prompt.trim_end_matches('.'));
    let fresh = "Water the plants in the greenhouse and tell the gardener when you are done.".to_owned();
    // A seed file with a copy of a benchmark prompt among real seeds.
    let seeds_file = dir.path("seeds.jsonl");
    let mut seed_lines = std::fs::read_to_string(seeds().join("tasks.jsonl")).unwrap();
    seed_lines.push_str(&serde_json::json!({"id": "copied", "instruction": prompt}).to_string());
    seed_lines.push('\n');
    std::fs::write(&seeds_file, seed_lines).unwrap();
    let server = {
        let (planted, fresh) = (planted.clone(), fresh.clone());
        ScriptedServer::start(move |r, _| {
            let seed = r.body["seed"].as_u64().unwrap();
            Reply::content(if seed % 2 == 0 { planted.clone() } else { fresh.clone() })
        })
        .unwrap()
    };
    let mut config = PipelineConfig::new(seeds(), &dir.0);
    config.seed_tasks = Some(seeds_file);
    config.self_instruct_shape = RequestShape::Turns;
    config.evol_ratio = 0.0;
    config.target_tasks = 5;
    config.requests_per_round = 2;
    config.dedup = robosim::generate::DedupMethod::Edit;
    config.similarity_threshold = 0.6;
    let verifier = Verifier::with_sandbox(SANDBOX.clone(), VerifyConfig::default());
    let pipeline = Pipeline::new(config, client(&server, dir.path("cache")), verifier).unwrap();
    let stats = pipeline.run(&[Stage::Instructions], &|_| {}).unwrap();

    let library = jsonl(&dir.path("tasks.jsonl"));
    let instructions: Vec<&str> = library.iter().map(|t| t["instruction"].as_str().unwrap()).collect();
    assert_eq!(instructions, [fresh.as_str()], "the planted copy stayed out, the fresh task went in once");
    let counts = stats.instructions.unwrap();
    assert!(counts.dropped_contaminated >= 1, "{counts:?}");
    assert!(counts.dropped_similar >= 1, "the fresh task's repeats are near-duplicates: {counts:?}");
    assert_eq!(stats.decontamination.seeds_dropped, ["copied"]);
    let examples = robosim::grade::Task::load_dir(&seeds().join("examples")).unwrap();
    let prompts: usize = tasks.iter().chain(&examples).map(|t| t.prompts.len()).sum();
    assert_eq!(stats.decontamination.benchmark_prompts, prompts, "RoboEval's and the examples' prompts");
    // The copied seed is not shown to the model as an example.
    assert!(!server.received().iter().any(|r| r.text().contains(prompt.as_str())));
}

#[test]
fn edit_similarity_compares_the_given_tokenizers_tokens() {
    use robosim::generate::{DedupMethod, Similarity};
    // A word-level tokenizer that knows eight words; every other word is [UNK] (id 0).
    let file = crate::fixtures().join("pipeline/tokenizer.json");
    let with = Similarity::new(DedupMethod::Edit, 0.6, Some(&file)).unwrap();
    assert_eq!(with.tokens("Go to the lab"), [1, 2, 3, 4]);
    let (a, b) = ("fetch quickly tea cups", "bring slowly coffee mugs");
    assert!(with.similar(&with.tokens(a), &with.tokens(b)), "all unknown: the same ids");
    let words = Similarity::new(DedupMethod::Edit, 0.6, None).unwrap();
    assert!(!words.similar(&words.tokens(a), &words.tokens(b)), "word tokens tell them apart");
    let err = Similarity::new(DedupMethod::Edit, 0.6, Some(&crate::fixtures().join("nope.json"))).unwrap_err();
    assert!(err.to_string().contains("nope.json"), "{err}");
}
