//! The `programs` stage (2 of 4): programs for each task, checked by RoboSim as they arrive (rejection
//! sampling): up to K samples, the first accepted one kept.

use std::collections::BTreeMap;

use robosim_llm::{Completion, Message};
use robosim_sandbox::extract_program;
use serde::{Deserialize, Serialize};

use robosim_parallel::map_collect;

use crate::{
    Error, OnProgress, Progress, Stage,
    context::Context,
    files::{self, read_jsonl, write_jsonl},
    instructions::sample,
    library::Task,
};

/// What became of one sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptStatus {
    Accepted,
    /// RoboSim rejected it.
    Rejected,
    /// The answer had no program (no `def task_program`).
    NoCode,
    /// The request failed for good (after retries).
    LlmError,
    /// robosim could not verify it (its own failure, not the program's).
    NotRun,
}

/// One sampled program and its verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub sample: u32,
    pub status: AttemptStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    /// The failure class (e.g. `RobotPickError`, `NameError`, `llm:timeout`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Paths RoboSim explored.
    #[serde(default)]
    pub paths: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
}

impl Attempt {
    const fn new(sample: u32, status: AttemptStatus) -> Self {
        Self { sample, status, program: None, class: None, error: None, line: None, paths: 0, finish_reason: None }
    }
}

/// A task and its samples (a line of `programs.jsonl`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskPrograms {
    pub task_id: String,
    pub instruction: String,
    pub accepted: bool,
    /// The accepted program.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    pub attempts: Vec<Attempt>,
}

/// What the programs stage did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProgramStats {
    pub tasks: u64,
    pub accepted_tasks: u64,
    pub rejected_tasks: u64,
    /// Accepted tasks / tasks.
    pub task_acceptance_rate: f64,
    pub samples: u64,
    pub samples_by_status: BTreeMap<AttemptStatus, u64>,
    /// Accepted samples / samples that had a program.
    pub sample_acceptance_rate: f64,
    /// Tasks accepted at the first, second, … sample.
    pub accepted_at_sample: Vec<u64>,
    /// Rejections and failures by class.
    pub error_classes: BTreeMap<String, u64>,
    /// Answers cut off at the token limit.
    pub truncated_answers: u64,
}

impl Context {
    pub(crate) fn programs(&self, on_progress: OnProgress<'_>) -> Result<ProgramStats, Error> {
        let tasks: Vec<Task> = read_jsonl(&self.path(files::TASKS), "instructions")?;
        on_progress(Progress::Started { stage: Stage::Programs, total: tasks.len() as u64 });
        let results = map_collect(
            &tasks,
            self.config.concurrency,
            |_, task| self.sample_programs(task),
            || on_progress(Progress::Advanced { stage: Stage::Programs }),
        );
        let results = results.into_iter().collect::<Result<Vec<_>, _>>()?;
        write_jsonl(&self.path(files::PROGRAMS), &results)?;
        Ok(self.program_stats(&results))
    }

    /// Samples until one program is accepted or K are spent.
    fn sample_programs(&self, task: &Task) -> Result<TaskPrograms, Error> {
        let messages = self.program_messages(task);
        let mut attempts = Vec::new();
        for k in 0..self.config.samples {
            let attempt = match self.ask(&Self::request(&self.config.sampling.programs, messages.clone(), k))? {
                Err(e) => Attempt {
                    class: Some(format!("llm:{}", e.kind())),
                    error: Some(e.to_string()),
                    ..Attempt::new(k, AttemptStatus::LlmError)
                },
                Ok(answer) => self.check_answer(k, &answer),
            };
            let accepted = attempt.status == AttemptStatus::Accepted;
            attempts.push(attempt);
            if accepted {
                break;
            }
        }
        let program = attempts.last().filter(|a| a.status == AttemptStatus::Accepted).and_then(|a| a.program.clone());
        Ok(TaskPrograms {
            task_id: task.id.clone(),
            instruction: task.instruction.clone(),
            accepted: program.is_some(),
            program,
            attempts,
        })
    }

    /// Extracts the program from an answer and verifies it.
    fn check_answer(&self, k: u32, answer: &Completion) -> Attempt {
        let finish_reason = answer.finish_reason.clone();
        let Some(code) = extract_code(&answer.content) else {
            return Attempt { class: Some("no_code".into()), finish_reason, ..Attempt::new(k, AttemptStatus::NoCode) };
        };
        let verdict = self.verifier.verify(&code);
        let status = match &verdict {
            v if v.was_not_run() => AttemptStatus::NotRun,
            v if v.accepted() => AttemptStatus::Accepted,
            _ => AttemptStatus::Rejected,
        };
        let mut attempt = Attempt { paths: verdict.paths, finish_reason, ..Attempt::new(k, status) };
        if let Some(why) = verdict.why_not_run() {
            attempt.class = Some("not_run".into());
            attempt.error = Some(why.to_owned());
        }
        if let Some(failure) = verdict.failure() {
            attempt.class = Some(failure.class.clone().into());
            attempt.error = Some(failure.error.clone());
            attempt.line = failure.line;
        }
        attempt.program = Some(code);
        attempt
    }

    /// System prompt with the API, seed pairs as earlier turns, then the task.
    fn program_messages(&self, task: &Task) -> Vec<Message> {
        let mut rng = self.rng(&task.id, 0);
        let mut messages = vec![Message::system(self.seeds.prompts.program_system.render(&[("api", &self.seeds.api)]))];
        let with_programs: Vec<(&str, &str)> =
            self.seeds.tasks.iter().filter_map(|t| Some((t.instruction.as_str(), t.program.as_deref()?))).collect();
        for (instruction, program) in sample(&mut rng, &with_programs, self.config.few_shot_programs) {
            messages.push(Message::user(*instruction));
            messages.push(Message::assistant(format!("```python\n{program}```")));
        }
        messages.push(Message::user(&task.instruction));
        messages
    }

    fn program_stats(&self, results: &[TaskPrograms]) -> ProgramStats {
        let mut stats = ProgramStats {
            tasks: results.len() as u64,
            accepted_at_sample: vec![0; self.config.samples as usize],
            ..ProgramStats::default()
        };
        let mut verified = 0u64;
        for task in results {
            if task.accepted {
                stats.accepted_tasks += 1;
                if let Some(slot) = stats.accepted_at_sample.get_mut(task.attempts.len() - 1) {
                    *slot += 1;
                }
            } else {
                stats.rejected_tasks += 1;
            }
            for attempt in &task.attempts {
                stats.samples += 1;
                *stats.samples_by_status.entry(attempt.status).or_default() += 1;
                verified += u64::from(matches!(attempt.status, AttemptStatus::Accepted | AttemptStatus::Rejected));
                if let Some(class) = &attempt.class {
                    *stats.error_classes.entry(class.clone()).or_default() += 1;
                }
                stats.truncated_answers += u64::from(attempt.finish_reason.as_deref() == Some("length"));
            }
        }
        stats.task_acceptance_rate = ratio(stats.accepted_tasks, stats.tasks);
        stats.sample_acceptance_rate =
            ratio(stats.samples_by_status.get(&AttemptStatus::Accepted).copied().unwrap_or(0), verified);
        stats
    }
}

pub(crate) fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { (a as f64 / b as f64 * 10_000.0).round() / 10_000.0 }
}

/// The program in a model's answer (see [`extract_program`]), or `None` when there is no
/// `def task_program` in it.
#[must_use]
pub fn extract_code(answer: &str) -> Option<String> {
    let code = extract_program(answer);
    code.contains("def task_program").then(|| code.trim_end().to_owned() + "\n")
}
