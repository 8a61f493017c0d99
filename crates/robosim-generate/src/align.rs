//! The `align` stage (3 of 4): InstAlign, as the reference does it. The model reasons about
//! the accepted program (the calls it makes, what it does step by step) and ends with a
//! corrected instruction under `# Final Corrected Instruction:`; then it reasons about which
//! of the two instructions fits the program (the original always shown first, as
//! "Instruction 1") and ends with `Final Answer: Instruction 1` or `… 2`. Only those marked
//! answers are read: reasoning that mentions "Instruction 2" or contains a lone "A" decides
//! nothing, and an answer without its marker is recorded as unparsed, never guessed.

use robosim_llm::Message;
use serde::{Deserialize, Serialize};

use robosim_parallel::map_collect;

use crate::{
    Error, OnProgress, Progress, Stage, StageSampling,
    context::Context,
    files::{self, read_jsonl, write_jsonl},
    programs::TaskPrograms,
};

/// Which instruction was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    Original,
    Revised,
    /// The revision said the same as the original (no judgement asked).
    Unchanged,
    /// An answer had no marked result (see `note`): the original is kept.
    Unparsed,
    /// A request failed for good: the original is kept.
    LlmError,
}

/// A line of `aligned.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aligned {
    pub task_id: String,
    pub original: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revised: Option<String>,
    pub choice: Choice,
    /// Why an answer could not be read (`align:unparsed …`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The instruction that goes into the dataset.
    pub instruction: String,
    pub program: String,
}

/// What the align stage did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AlignStats {
    pub pairs: u64,
    pub kept_original: u64,
    pub kept_revised: u64,
    pub unchanged: u64,
    /// Answers without their marked result: revisions, decisions.
    pub unparsed: u64,
    pub unparsed_revisions: u64,
    pub unparsed_decisions: u64,
    pub llm_errors: u64,
}

impl Context {
    pub(crate) fn align(&self, on_progress: OnProgress<'_>) -> Result<AlignStats, Error> {
        let programs: Vec<TaskPrograms> = read_jsonl(&self.path(files::PROGRAMS), "programs")?;
        let accepted: Vec<(String, String, String)> =
            programs.into_iter().filter_map(|t| Some((t.task_id, t.instruction, t.program?))).collect();
        on_progress(Progress::Started { stage: Stage::Align, total: accepted.len() as u64 });
        let aligned = map_collect(
            &accepted,
            self.config.concurrency,
            |_, (id, instruction, program)| self.align_one(id, instruction, program),
            || on_progress(Progress::Advanced { stage: Stage::Align }),
        );
        let aligned = aligned.into_iter().collect::<Result<Vec<_>, _>>()?;
        write_jsonl(&self.path(files::ALIGNED), &aligned)?;
        let mut stats = AlignStats { pairs: aligned.len() as u64, ..AlignStats::default() };
        for a in &aligned {
            *match a.choice {
                Choice::Original => &mut stats.kept_original,
                Choice::Revised => &mut stats.kept_revised,
                Choice::Unchanged => &mut stats.unchanged,
                Choice::Unparsed => &mut stats.unparsed,
                Choice::LlmError => &mut stats.llm_errors,
            } += 1;
            match a.note.as_deref() {
                Some(note) if note.starts_with(UNPARSED_REVISION) => stats.unparsed_revisions += 1,
                Some(note) if note.starts_with(UNPARSED_DECISION) => stats.unparsed_decisions += 1,
                _ => {}
            }
        }
        Ok(stats)
    }

    fn align_one(&self, id: &str, original: &str, program: &str) -> Result<Aligned, Error> {
        let mut aligned = Aligned {
            task_id: id.to_owned(),
            original: original.to_owned(),
            revised: None,
            choice: Choice::LlmError,
            note: None,
            instruction: original.to_owned(),
            program: program.to_owned(),
        };
        let prompts = &self.seeds.prompts;
        let sampling = &self.config.sampling;
        let revise = prompts.revise.messages(&[("instruction", original), ("program", program.trim_end())]);
        let Some(answers) = self.ask_all(&sampling.revise, &revise)? else { return Ok(aligned) };
        let revised = vote(answers.iter().map(|a| parse_revision(a)), |r| crate::tokens(r));
        let revised = match revised {
            Ok(revised) => revised,
            Err(why) => {
                aligned.choice = Choice::Unparsed;
                aligned.note = Some(format!("{UNPARSED_REVISION}: {why}"));
                return Ok(aligned);
            }
        };
        aligned.revised = Some(revised.clone());
        if crate::tokens(&revised) == crate::tokens(original) {
            aligned.choice = Choice::Unchanged;
            return Ok(aligned);
        }
        let choose =
            prompts.choose.messages(&[("program", program.trim_end()), ("original", original), ("revised", &revised)]);
        let Some(answers) = self.ask_all(&sampling.decide, &choose)? else { return Ok(aligned) };
        match vote(answers.iter().map(|a| parse_decision(a)), |d| *d) {
            Ok(Decision::Revised) => {
                aligned.choice = Choice::Revised;
                aligned.instruction = revised;
            }
            Ok(Decision::Original) => aligned.choice = Choice::Original,
            Err(why) => {
                aligned.choice = Choice::Unparsed;
                aligned.note = Some(format!("{UNPARSED_DECISION}: {why}"));
            }
        }
        Ok(aligned)
    }
}

impl Context {
    /// `stage.best_of` answers to `messages` (samples 0, 1, …), the failed requests left
    /// out; `None` when every request failed.
    fn ask_all(&self, stage: &StageSampling, messages: &[Message]) -> Result<Option<Vec<String>>, Error> {
        let mut answers = Vec::new();
        for sample in 0..stage.best_of.max(1) {
            if let Ok(answer) = self.ask(&Self::request(stage, messages.to_vec(), sample))? {
                answers.push(answer.content);
            }
        }
        Ok((!answers.is_empty()).then_some(answers))
    }
}

/// The answer most of the parsed answers give (`key` says which are the same); among equally
/// common ones, the first given. Unparsed answers do not vote; with none parsed, the first
/// one's reason.
fn vote<T, K: PartialEq>(
    parsed: impl Iterator<Item = Result<T, &'static str>>,
    key: impl Fn(&T) -> K,
) -> Result<T, &'static str> {
    let mut first_error = None;
    let mut candidates: Vec<(T, usize)> = Vec::new();
    for answer in parsed {
        match answer {
            Ok(value) => match candidates.iter_mut().find(|(c, _)| key(c) == key(&value)) {
                Some((_, votes)) => *votes += 1,
                None => candidates.push((value, 1)),
            },
            Err(why) => {
                first_error.get_or_insert(why);
            }
        }
    }
    let best = candidates.iter().map(|(_, v)| *v).max().unwrap_or(0);
    candidates.into_iter().find(|(_, v)| *v == best).map(|(c, _)| c).ok_or_else(|| first_error.unwrap_or("no answer"))
}

const UNPARSED_REVISION: &str = "align:unparsed revision";
const UNPARSED_DECISION: &str = "align:unparsed decision";

/// The marker before the corrected instruction in a revision.
const REVISION_MARKER: &str = "final corrected instruction";
/// The marker before the decision.
const DECISION_MARKER: &str = "final answer";

/// Where the text after the last `marker` (ignoring case) starts, if the marker is there.
fn after_last(text: &str, marker: &str) -> Option<usize> {
    // ASCII lower-casing keeps byte offsets.
    text.to_ascii_lowercase().rfind(marker).map(|i| i + marker.len())
}

/// Text after a marker, without the heading punctuation around it (`:`, `*`, `#`).
fn unmark(text: &str) -> &str {
    text.trim_start_matches(|c: char| c == ':' || c == '*' || c == '#' || c.is_whitespace())
}

/// The corrected instruction of a revision: the paragraph under its last `# Final Corrected
/// Instruction:` marker (up to a blank line, a heading or a code fence), quotes and emphasis
/// taken off.
///
/// # Errors
/// Why there is none: no marker, or nothing after it.
pub(crate) fn parse_revision(answer: &str) -> Result<String, &'static str> {
    let start = after_last(answer, REVISION_MARKER).ok_or("no `# Final Corrected Instruction:` marker")?;
    let mut lines = Vec::new();
    for line in unmark(&answer[start..]).lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with("```") {
            if lines.is_empty() && line.is_empty() {
                continue;
            }
            break;
        }
        lines.push(line);
    }
    let text = lines.join(" ");
    let text = text.trim_matches(|c: char| c == '"' || c == '*' || c == '`' || c.is_whitespace());
    if text.is_empty() { Err("nothing after the `# Final Corrected Instruction:` marker") } else { Ok(text.to_owned()) }
}

/// Which instruction a decision chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// "Instruction 1".
    Original,
    /// "Instruction 2".
    Revised,
}

/// The decision after the last `Final Answer` marker: the line it is on (or, if that is
/// empty, the next non-empty one) must name exactly one of "Instruction 1" and
/// "Instruction 2" (a bare `1` or `2` also counts).
///
/// # Errors
/// Why there is none: no marker, or neither or both instructions named after it.
pub(crate) fn parse_decision(answer: &str) -> Result<Decision, &'static str> {
    let start = after_last(answer, DECISION_MARKER).ok_or("no `Final Answer:` marker")?;
    let rest = unmark(&answer[start..]);
    let line = rest.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default().to_ascii_lowercase();
    let words: Vec<&str> = line.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let named =
        |n: &str| words.windows(2).any(|w| w[0] == "instruction" && w[1] == n) || (words.len() == 1 && words[0] == n);
    match (named("1"), named("2")) {
        (true, false) => Ok(Decision::Original),
        (false, true) => Ok(Decision::Revised),
        (true, true) => Err("both instructions named after `Final Answer:`"),
        (false, false) => Err("no instruction named after `Final Answer:`"),
    }
}

#[cfg(test)]
mod tests {
    use super::{Decision, parse_decision, parse_revision};

    #[test]
    fn the_revision_is_read_from_under_its_marker_only() {
        let answer = "# API Usage:\ngo_to(\"lab\")\n    - go to the lab\n# What The Program Does:\nThe robot goes to the lab (A) and says \"hi\".\n\n# Final Corrected Instruction:\nGo to the lab and say hi.\n\nNote: that is all.";
        assert_eq!(parse_revision(answer), Ok("Go to the lab and say hi.".into()));
        // On the marker's line, in bold, quoted, over two lines; a later code block is not read.
        let answer =
            "**Final Corrected Instruction:** \"Go to the lab\nand say hi.\"\n```python\ndef task_program(): pass\n```";
        assert_eq!(parse_revision(answer), Ok("Go to the lab and say hi.".into()));
        // The last marker counts (a model that restates the task's headings first).
        let answer = "I will end with # Final Corrected Instruction: below.\n# Final Corrected Instruction:\nSay hi.";
        assert_eq!(parse_revision(answer), Ok("Say hi.".into()));
    }

    #[test]
    fn a_revision_without_its_marked_answer_is_unparsed() {
        assert!(parse_revision("Go to the lab and say hi.").is_err());
        assert!(parse_revision("# Final Corrected Instruction:\n\n```python\nsay('hi')\n```").is_err());
    }

    #[test]
    fn the_decision_is_read_from_the_final_answer_only() {
        let reasoning = "Instruction 2 mentions the lab, but A robot that says \"B\" ... Instruction 1 is closer.\n";
        assert_eq!(parse_decision(&format!("{reasoning}Final Answer: Instruction 1")), Ok(Decision::Original));
        assert_eq!(parse_decision(&format!("{reasoning}**Final Answer:** ### Instruction 2")), Ok(Decision::Revised));
        assert_eq!(parse_decision(&format!("{reasoning}Final answer:\n\nInstruction 2.")), Ok(Decision::Revised));
        assert_eq!(parse_decision(&format!("{reasoning}FINAL ANSWER: 1")), Ok(Decision::Original));
    }

    #[test]
    fn a_decision_without_a_clear_final_answer_is_unparsed() {
        assert!(parse_decision("Instruction 2 is better.").is_err(), "no marker: the reasoning is not read");
        assert!(parse_decision("Final Answer: both Instruction 1 and Instruction 2 work").is_err());
        assert!(parse_decision("Final Answer: B").is_err());
        assert!(parse_decision("Final Answer:").is_err());
        assert!(parse_decision("Final Answer: Instruction 12").is_err());
    }
}
