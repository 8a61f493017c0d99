//! The `instructions` stage (1 of 4): new tasks by Self-Instruct and Evol-Instruct, into the task library.

use std::collections::BTreeMap;

use robosim_llm::{ChatRequest, Completion, Message};

use crate::config::RequestShape;
use serde::Serialize;

use robosim_parallel::map_collect;

use crate::{
    Error, OnProgress, Progress, Stage,
    context::Context,
    files,
    library::{Rejection, Task, TaskLibrary},
    seeds::EvolStyle,
};

/// What the instruction stage did in this run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct InstructionStats {
    pub rounds: usize,
    pub self_instruct_requests: u64,
    pub evol_requests: u64,
    /// Instructions parsed out of answers.
    pub candidates: u64,
    pub kept_self_instruct: u64,
    /// Kept rewrites, per style.
    pub kept_evol: BTreeMap<&'static str, u64>,
    pub dropped_similar: u64,
    /// Near-duplicates of a benchmark prompt.
    pub dropped_contaminated: u64,
    /// Dropped for their form, by reason (too short, too long, code, refusal, unchanged, …).
    pub dropped_invalid: BTreeMap<&'static str, u64>,
    /// Requests that failed for good (after retries).
    pub llm_errors: u64,
    /// Generated tasks in the library after the stage.
    pub library_size: usize,
}

enum Job {
    /// Several new tasks, as a list ([`RequestShape::List`]).
    SelfInstruct,
    /// One new task ([`RequestShape::Turns`]).
    SelfInstructOne,
    Evol {
        style: EvolStyle,
        parent: Option<String>,
        instruction: String,
    },
}

/// The request of each turn of a [`RequestShape::Turns`] Self-Instruct prompt.
const ASK_FOR_A_TASK: &str =
    "Write one new and interesting task for this robot, one it can carry out with the capabilities above.";

impl Context {
    pub(crate) fn instructions(&self, on_progress: OnProgress<'_>) -> Result<InstructionStats, Error> {
        let seeds: Vec<&str> = self.seeds.tasks.iter().map(|t| t.instruction.as_str()).collect();
        let mut library = TaskLibrary::open(self.path(files::TASKS), &seeds, &self.benchmark, self.similarity.clone())?;
        let target = self.config.target_tasks;
        let mut stats = InstructionStats::default();
        on_progress(Progress::Started {
            stage: Stage::Instructions,
            total: target.saturating_sub(library.tasks().len()) as u64,
        });
        let mut round = library.next_round();
        let mut idle_rounds = 0;
        while library.tasks().len() < target && stats.rounds < self.config.max_rounds && idle_rounds < 3 {
            let jobs = self.plan_round(&library, round);
            let answers = map_collect(&jobs, self.config.concurrency, |_, (_, r)| self.ask(r), || {});
            let before = library.tasks().len();
            for ((job, _), answer) in jobs.iter().zip(answers) {
                match job {
                    Job::SelfInstruct | Job::SelfInstructOne => stats.self_instruct_requests += 1,
                    Job::Evol { .. } => stats.evol_requests += 1,
                }
                let answer = match answer? {
                    Ok(answer) => answer,
                    Err(_) => {
                        stats.llm_errors += 1;
                        continue;
                    }
                };
                for (task, origin) in candidates(job, &answer, round) {
                    stats.candidates += 1;
                    if library.tasks().len() >= target {
                        break;
                    }
                    if let Err(reason) = validate(&task.instruction, job) {
                        *stats.dropped_invalid.entry(reason).or_default() += 1;
                    } else if let Err(rejection) = library.add(task, parent_of(job)) {
                        match rejection {
                            Rejection::TooSimilar => stats.dropped_similar += 1,
                            Rejection::Contaminated => stats.dropped_contaminated += 1,
                        }
                    } else {
                        match origin {
                            None => stats.kept_self_instruct += 1,
                            Some(style) => *stats.kept_evol.entry(style.name()).or_default() += 1,
                        }
                        on_progress(Progress::Advanced { stage: Stage::Instructions });
                    }
                }
            }
            library.append_from(before)?;
            idle_rounds = if library.tasks().len() > before { 0 } else { idle_rounds + 1 };
            round += 1;
            stats.rounds += 1;
        }
        stats.library_size = library.tasks().len();
        Ok(stats)
    }

    /// The requests of one round: which kind, with what examples, all from seeded choices.
    fn plan_round(&self, library: &TaskLibrary, round: usize) -> Vec<(Job, ChatRequest)> {
        let mut rng = self.rng("round", round as u64);
        let (seeds, tasks) = (&self.seeds.tasks, library.tasks());
        (0..self.config.requests_per_round)
            .map(|i| {
                let sample = u32::try_from(round * self.config.requests_per_round + i).unwrap_or(u32::MAX);
                let one = self.config.self_instruct_shape == RequestShape::Turns;
                let job = if rng.f64() < self.config.evol_ratio {
                    let style = EvolStyle::ALL[rng.usize(..EvolStyle::ALL.len())];
                    let pick = rng.usize(..seeds.len() + tasks.len());
                    let (parent, instruction) = match pick.checked_sub(seeds.len()) {
                        None => (None, seeds[pick].instruction.clone()),
                        Some(j) => (Some(tasks[j].id.clone()), tasks[j].instruction.clone()),
                    };
                    Job::Evol { style, parent, instruction }
                } else if one {
                    Job::SelfInstructOne
                } else {
                    Job::SelfInstruct
                };
                let messages = match &job {
                    Job::SelfInstruct => vec![Message::user(self.self_instruct_prompt(&mut rng, tasks))],
                    Job::SelfInstructOne => self.self_instruct_turns(&mut rng, tasks),
                    Job::Evol { style, instruction, .. } => {
                        vec![Message::user(
                            self.seeds.prompts.evol[*style as usize].render(&[("instruction", instruction)]),
                        )]
                    }
                };
                (job, Self::request(&self.config.sampling.instructions, messages, sample))
            })
            .collect()
    }

    /// The example tasks of a Self-Instruct prompt: seed tasks, and generated ones once the
    /// library has enough (instead of some seeds, or besides them).
    fn examples<'a>(&'a self, rng: &mut fastrand::Rng, tasks: &'a [Task]) -> Vec<&'a str> {
        let config = &self.config;
        let generated = if tasks.len() >= config.generated_examples_after { config.generated_examples } else { 0 };
        let seeds = if config.generated_replace_seeds {
            config.seed_examples.saturating_sub(generated)
        } else {
            config.seed_examples
        };
        let mut examples: Vec<&str> =
            sample(rng, &self.seeds.tasks, seeds).into_iter().map(|t| t.instruction.as_str()).collect();
        examples.extend(sample(rng, tasks, generated).into_iter().map(|t| t.instruction.as_str()));
        examples
    }

    /// The reference's shape: the robot's capabilities as the system prompt, each example as
    /// an earlier answer to the same request, and the request once more.
    fn self_instruct_turns(&self, rng: &mut fastrand::Rng, tasks: &[Task]) -> Vec<Message> {
        let system = format!(
            "You are a helpful assistant. This robot has the following capabilities:\n\n{}",
            self.seeds.api.trim_end()
        );
        let mut messages = vec![Message::system(system)];
        for example in self.examples(rng, tasks) {
            messages.push(Message::user(ASK_FOR_A_TASK));
            messages.push(Message::assistant(example));
        }
        messages.push(Message::user(ASK_FOR_A_TASK));
        messages
    }

    fn self_instruct_prompt(&self, rng: &mut fastrand::Rng, tasks: &[Task]) -> String {
        let examples = self.examples(rng, tasks);
        let examples: String = examples.iter().enumerate().map(|(i, e)| format!("{}. {e}\n", i + 1)).collect();
        let count = self.config.tasks_per_request.to_string();
        self.seeds.prompts.self_instruct.render(&[
            ("api", &self.seeds.api),
            ("examples", examples.trim_end()),
            ("count", &count),
        ])
    }
}

/// `n` distinct items, in a seeded random order.
pub(crate) fn sample<'a, T>(rng: &mut fastrand::Rng, items: &'a [T], n: usize) -> Vec<&'a T> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    rng.shuffle(&mut order);
    order.into_iter().take(n).map(|i| &items[i]).collect()
}

fn candidates(job: &Job, answer: &Completion, round: usize) -> Vec<(Task, Option<EvolStyle>)> {
    let task = |instruction: String, origin: String, parent: Option<String>| Task {
        id: String::new(),
        instruction,
        origin,
        parent,
        round,
    };
    match job {
        Job::SelfInstruct => {
            let truncated = answer.finish_reason.as_deref() == Some("length");
            parse_instruction_list(&answer.content, truncated)
                .into_iter()
                .map(|i| (task(i, "self_instruct".into(), None), None))
                .collect()
        }
        Job::SelfInstructOne => {
            parse_rewrite(&answer.content).map(|i| (task(i, "self_instruct".into(), None), None)).into_iter().collect()
        }
        Job::Evol { style, parent, .. } => parse_rewrite(&answer.content)
            .map(|i| (task(i, format!("evol:{}", style.name()), parent.clone()), Some(*style)))
            .into_iter()
            .collect(),
    }
}

fn parent_of(job: &Job) -> Option<&str> {
    match job {
        Job::SelfInstruct | Job::SelfInstructOne => None,
        Job::Evol { instruction, .. } => Some(instruction),
    }
}

/// Why an instruction is unfit, if it is.
fn validate(instruction: &str, job: &Job) -> Result<(), &'static str> {
    let words = instruction.split_whitespace().count();
    let lower = instruction.to_lowercase();
    if words < 4 {
        return Err("too_short");
    }
    if words > 120 {
        return Err("too_long");
    }
    if ["```", "def ", "task_program", "import "].iter().any(|c| lower.contains(c)) {
        return Err("code");
    }
    if ["sorry", "as an ai", "i cannot", "i can't"].iter().any(|r| lower.contains(r)) {
        return Err("refusal");
    }
    if !instruction.starts_with(|c: char| c.is_alphanumeric()) {
        return Err("malformed");
    }
    if let Job::Evol { instruction: parent, .. } = job
        && crate::tokens(parent) == crate::tokens(instruction)
    {
        return Err("unchanged");
    }
    Ok(())
}

/// The instructions in a numbered (or bulleted) list answer. Unnumbered lines are a preamble
/// when some lines are numbered; when none is, each non-empty line is one instruction. A
/// `truncated` answer (cut off at the token limit) loses its last item, which may be partial.
#[must_use]
pub fn parse_instruction_list(text: &str, truncated: bool) -> Vec<String> {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("```")).collect();
    let items: Vec<String> = {
        let numbered: Vec<String> = lines.iter().filter_map(|l| strip_marker(l)).collect();
        if numbered.is_empty() { lines.iter().map(|l| clean(l)).collect() } else { numbered }
    };
    let mut items: Vec<String> = items.into_iter().filter(|i| !i.is_empty()).collect();
    if truncated {
        items.pop();
    }
    items
}

/// The text after a list marker (`3.`, `3)`, `-`, `*`, `Task 3:`), if the line has one.
fn strip_marker(line: &str) -> Option<String> {
    let line = line.strip_prefix("**").unwrap_or(line);
    let rest = line.strip_prefix("Task ").or_else(|| line.strip_prefix("task ")).unwrap_or(line);
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits > 0 {
        let after = rest[digits..].strip_prefix(['.', ')', ':'])?;
        return Some(clean(after.trim_start_matches("**")));
    }
    line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")).map(clean)
}

fn clean(text: &str) -> String {
    text.trim().trim_matches(|c| c == '"' || c == '*' || c == '“' || c == '”').trim().to_owned()
}

/// The rewritten instruction in an Evol-Instruct answer: its first paragraph, without a
/// leading label such as "Rewritten task:".
#[must_use]
pub fn parse_rewrite(text: &str) -> Option<String> {
    let mut lines: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with("```") {
            continue;
        }
        let unlabelled = strip_label(line);
        if unlabelled.is_empty() {
            if lines.is_empty() {
                continue; // a label on its own line, or leading blank lines
            }
            break; // the paragraph ended
        }
        lines.push(unlabelled);
    }
    let joined = clean(&lines.join(" "));
    (!joined.is_empty()).then_some(joined)
}

fn strip_label(line: &str) -> &str {
    let bare = line.trim_start_matches('*');
    for label in ["Rewritten task", "Rewritten Task", "Revised instruction", "Revised Instruction", "New task", "Task"]
    {
        if let Some(rest) = bare.strip_prefix(label) {
            let rest = rest.trim_start_matches('*').trim_start();
            if let Some(rest) = rest.strip_prefix(':') {
                return rest.trim_start_matches('*').trim();
            }
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::{parse_instruction_list, parse_rewrite};

    #[test]
    fn numbered_list_after_a_preamble() {
        let text = "Sure! Here are new tasks:\n\n1. Go to the lab and pick up the scope.\n2) **Ask Bo if he is free.**\nTask 3: Say hi.\n";
        assert_eq!(
            parse_instruction_list(text, false),
            ["Go to the lab and pick up the scope.", "Ask Bo if he is free.", "Say hi."]
        );
    }

    #[test]
    fn truncated_answer_loses_its_last_item() {
        assert_eq!(parse_instruction_list("1. Go to the lab.\n2. Ask Bo wh", true), ["Go to the lab."]);
    }

    #[test]
    fn unnumbered_lines_and_bullets() {
        assert_eq!(parse_instruction_list("Go to the lab.\n\nSay hi.", false), ["Go to the lab.", "Say hi."]);
        assert_eq!(parse_instruction_list("- Go to the lab.\n* Say hi.", false), ["Go to the lab.", "Say hi."]);
    }

    #[test]
    fn rewrite_without_its_label() {
        assert_eq!(parse_rewrite("Rewritten task: Go to the lab.").as_deref(), Some("Go to the lab."));
        assert_eq!(
            parse_rewrite("**Rewritten Task:**\n\"Go to the lab\nand wave.\"\n\nThis adds a step.").as_deref(),
            Some("Go to the lab and wave.")
        );
        assert_eq!(parse_rewrite("  \n"), None);
    }
}
