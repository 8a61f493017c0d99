//! One evaluation: every prompt of every task asked `n` times (in parallel, answers cached),
//! each answer post-processed and graded as it arrives, records written in a fixed order.

use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
    time::Instant,
};

use robosim_fs::JsonlWriter;
use robosim_grade::{
    Grader, Task, WorldResult,
    roboeval::{EvalClass, post_process},
};
use robosim_llm::{Client, ClientStats, Completion};
use serde::Serialize;

use crate::{
    Error,
    prompt::{Api, PromptTemplate, Request, Sampling, request},
    summary::{TaskResult, mean_pass_at, round},
};

/// What to evaluate and how.
#[derive(Debug, Clone)]
pub struct EvalConfig {
    /// Where `completions.jsonl`, `grades.jsonl` and `summary.json` go.
    pub out: PathBuf,
    pub api: Api,
    pub template: PromptTemplate,
    pub sampling: Sampling,
    /// The k of pass@k (those above the samples per prompt are left out).
    pub ks: Vec<u64>,
    /// Requests in flight at once; each worker grades the answers it gets.
    pub concurrency: usize,
    /// Also grade each completion on its task's ablations (same prompts, other checks).
    pub ablations: bool,
}

impl EvalConfig {
    /// Greedy, robosim's prompt over `/completions`, pass@1, 8 requests in flight,
    /// ablations graded.
    #[must_use]
    pub fn new(out: impl Into<PathBuf>) -> Self {
        Self {
            out: out.into(),
            api: Api::Completions,
            template: PromptTemplate::default(),
            sampling: Sampling::greedy(),
            ks: vec![1],
            concurrency: 8,
            ablations: true,
        }
    }

    fn check(&self) -> Result<(), Error> {
        let bad = |setting, expected, value: String| Err(Error::Setting { setting, expected, value });
        if self.sampling.samples == 0 {
            return bad("samples", "at least 1", "0".into());
        }
        if !(0.0..=2.0).contains(&self.sampling.temperature) {
            return bad("temperature", "between 0 and 2", self.sampling.temperature.to_string());
        }
        if !(self.sampling.top_p > 0.0 && self.sampling.top_p <= 1.0) {
            return bad("top_p", "in (0, 1]", self.sampling.top_p.to_string());
        }
        if self.ks.contains(&0) {
            return bad("k", "at least 1", "0".into());
        }
        Ok(())
    }
}

/// Progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Started {
        total: u64,
    },
    /// One completion graded (`None`: the request failed).
    Graded {
        class: Option<EvalClass>,
    },
}

/// A line of `completions.jsonl`; `robosim grade` can grade the file again as it is.
#[derive(Debug, Serialize)]
struct CompletionRecord<'a> {
    task: &'a str,
    prompt_index: usize,
    sample: u32,
    prompt: &'a str,
    /// The program graded: the answer post-processed as RoboEval does.
    completion: Option<&'a str>,
    /// The model's answer as it came.
    raw: Option<&'a str>,
    finish_reason: Option<&'a str>,
    cached: bool,
    /// Why there is no answer (the request failed after its retries).
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// How one completion fared on one task.
#[derive(Debug, Clone, Serialize)]
pub struct Graded {
    pub passed: bool,
    pub class: EvalClass,
    pub states: Vec<WorldResult>,
}

impl Graded {
    fn of(states: Vec<WorldResult>) -> Self {
        Self { passed: states.iter().all(|s| s.passed), class: EvalClass::of(&states), states }
    }

    /// robosim could not finish grading it (see [`WorldResult::not_run`]).
    fn not_run(&self) -> bool {
        self.states.iter().any(WorldResult::not_run)
    }
}

/// A line of `grades.jsonl`.
#[derive(Debug, Serialize)]
struct GradeRecord<'a> {
    task: &'a str,
    prompt_index: usize,
    sample: u32,
    #[serde(flatten)]
    graded: Option<&'a Graded>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    ablations: BTreeMap<&'a str, &'a Graded>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

/// The whole evaluation (written to `summary.json`).
#[derive(Debug, Clone, Serialize)]
pub struct EvalSummary {
    pub model: String,
    pub api: Api,
    pub sampling: Sampling,
    /// How the trace of each RoboEval state was read (`printed`, as RoboEval reads it, or
    /// `calls`).
    pub trace: robosim_grade::TraceReading,
    pub prompt_suffix: String,
    /// The prompt prefix's length in bytes (the prefix itself is long).
    pub prompt_prefix_bytes: usize,
    pub completions: u64,
    pub passed: u64,
    /// Requests that failed for good: not graded, left out of pass@k.
    pub request_errors: u64,
    /// Answers robosim could not finish grading (its own failure, on their task or an
    /// ablation): left out of pass@k; running again grades them from the cache.
    pub not_run: u64,
    /// The mean over tasks of each task's pass@k.
    pub pass_at: BTreeMap<String, f64>,
    pub errors: BTreeMap<EvalClass, u64>,
    pub tasks: BTreeMap<String, TaskResult>,
    /// The same completions graded on the ablation tasks.
    pub ablations: BTreeMap<String, TaskResult>,
    pub llm: ClientStats,
    pub wall_time: f64,
}

struct Item<'a> {
    task: &'a Task,
    prompt_index: usize,
    sample: u32,
}

struct Answer {
    completion: Result<(Completion, String), String>,
    graded: Option<Graded>,
    ablations: Vec<(String, Graded)>,
}

/// Asks `client` for every completion, grades each one, writes the records and the summary
/// under `config.out`.
///
/// # Errors
/// Bad settings, no task, or the output cannot be written. A failed request is not an
/// error: it is recorded, counted in `request_errors`, and left out of pass@k.
pub fn evaluate(
    config: &EvalConfig,
    tasks: &[Task],
    client: &Client,
    grader: &dyn Grader,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<EvalSummary, Error> {
    config.check()?;
    let started = Instant::now();
    let main: Vec<&Task> = tasks.iter().filter(|t| t.ablation_of.is_none()).collect();
    if main.is_empty() {
        return Err(Error::NoTasks);
    }
    let ablations = |task: &Task| -> Vec<&Task> {
        if !config.ablations {
            return Vec::new();
        }
        tasks.iter().filter(|t| t.ablation_of.as_deref() == Some(task.name.as_str())).collect()
    };
    let samples = config.sampling.samples;
    let items: Vec<Item<'_>> = main
        .iter()
        .flat_map(|task| {
            (0..task.prompts.len())
                .flat_map(move |prompt_index| (0..samples).map(move |sample| Item { task, prompt_index, sample }))
        })
        .collect();
    on_progress(Progress::Started { total: items.len() as u64 });
    fs::create_dir_all(&config.out).map_err(|e| io_error(&config.out, e))?;
    let completions_path = config.out.join("completions.jsonl");
    let grades_path = config.out.join("grades.jsonl");
    let mut completions = JsonlWriter::create(&completions_path)?;
    let mut grades = JsonlWriter::create(&grades_path)?;
    let mut summary = EvalSummary {
        model: client.config().model.clone(),
        api: config.api,
        sampling: config.sampling.clone(),
        trace: grader.trace(),
        prompt_suffix: config.template.suffix.clone(),
        prompt_prefix_bytes: config.template.prefix.len(),
        completions: 0,
        passed: 0,
        request_errors: 0,
        not_run: 0,
        pass_at: BTreeMap::new(),
        errors: BTreeMap::new(),
        tasks: main.iter().map(|t| (t.name.clone(), TaskResult::with_prompts(t.prompts.len()))).collect(),
        ablations: main
            .iter()
            .flat_map(|t| ablations(t))
            .map(|a| (a.name.clone(), TaskResult::with_prompts(a.prompts.len())))
            .collect(),
        llm: ClientStats::default(),
        wall_time: 0.0,
    };
    let work = |item: &Item<'_>| {
        let instruction = &item.task.prompts[item.prompt_index];
        let asked = match request(config.api, &config.template, &config.sampling, instruction, item.sample) {
            Request::Text(r) => client.complete(&r),
            Request::Chat(r) => client.chat(&r),
        };
        let completion = asked.map(|c| {
            let program = post_process(cut_at_stop(&c.content, &config.sampling.stop));
            (c, program)
        });
        let Ok((_, program)) = &completion else {
            return Answer { completion: completion.map_err(|e| e.to_string()), graded: None, ablations: Vec::new() };
        };
        let also = ablations(item.task);
        let mut graded = grader.grade_together(item.task, &also, program).into_iter().map(Graded::of);
        let main = graded.next();
        let ablations = also.iter().map(|a| a.name.clone()).zip(graded).collect();
        Answer { completion: completion.map_err(|e| e.to_string()), graded: main, ablations }
    };
    let window = robosim_parallel::Window::items(config.concurrency.max(1) * 4);
    robosim_parallel::ordered_map(
        items.into_iter(),
        config.concurrency.max(1),
        window,
        work,
        |_, a| a.graded.as_ref().map_or(0, robosim_parallel::json_weight),
        |item, answer| {
            let name = item.task.name.as_str();
            let (completion, program, error) = match &answer.completion {
                Ok((c, program)) => (Some(c), Some(program.as_str()), None),
                Err(e) => (None, None, Some(e.clone())),
            };
            completions.line(&CompletionRecord {
                task: name,
                prompt_index: item.prompt_index,
                sample: item.sample,
                prompt: &item.task.prompts[item.prompt_index],
                completion: program,
                raw: completion.map(|c| c.content.as_str()),
                finish_reason: completion.and_then(|c| c.finish_reason.as_deref()),
                cached: completion.is_some_and(|c| c.cached),
                error: error.clone(),
            })?;
            grades.line(&GradeRecord {
                task: name,
                prompt_index: item.prompt_index,
                sample: item.sample,
                graded: answer.graded.as_ref(),
                ablations: answer.ablations.iter().map(|(n, g)| (n.as_str(), g)).collect(),
                error: error.as_deref(),
            })?;
            let class = answer.graded.as_ref().map(|g| g.class);
            let not_run = answer.graded.as_ref().is_some_and(Graded::not_run)
                || answer.ablations.iter().any(|(_, g)| g.not_run());
            if not_run {
                summary.not_run += 1;
            } else if let Some(graded) = &answer.graded {
                summary.completions += 1;
                summary.passed += u64::from(graded.passed);
                *summary.errors.entry(graded.class).or_default() += 1;
                if let Some(task) = summary.tasks.get_mut(name) {
                    task.add(item.prompt_index, graded.passed);
                    *task.errors.entry(graded.class).or_default() += 1;
                }
                for (ablation, graded) in &answer.ablations {
                    if let Some(task) = summary.ablations.get_mut(ablation) {
                        task.add(item.prompt_index, graded.passed);
                    }
                }
            } else {
                summary.request_errors += 1;
            }
            on_progress(Progress::Graded { class });
            Ok::<(), Error>(())
        },
    )?;
    completions.finish()?;
    grades.finish()?;
    let ks: Vec<u64> = config.ks.iter().copied().filter(|&k| k <= u64::from(samples)).collect();
    for task in summary.tasks.values_mut().chain(summary.ablations.values_mut()) {
        task.finish(&ks);
    }
    summary.pass_at = mean_pass_at(summary.tasks.values());
    summary.llm = client.stats();
    summary.wall_time = round(started.elapsed().as_secs_f64());
    robosim_fs::write_json_atomic(&config.out.join("summary.json"), &summary)?;
    Ok(summary)
}

/// The answer up to the first stop string. Servers stop there themselves, but not all honour
/// every stop string (nor do they when a stop string spans tokens oddly); RoboEval's
/// generation cuts the text again the same way, so an answer is read the same whatever served it.
fn cut_at_stop<'a>(answer: &'a str, stop: &[String]) -> &'a str {
    let end = stop.iter().filter(|s| !s.is_empty()).filter_map(|s| answer.find(s.as_str())).min();
    &answer[..end.unwrap_or(answer.len())]
}

fn io_error(path: &Path, source: std::io::Error) -> Error {
    Error::Io { path: path.to_owned(), source }
}
