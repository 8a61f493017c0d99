//! The `align` stage (3 of 4): InstAlign. The model rewrites each instruction to state what its accepted
//! program does, then judges which of the two the program carries out more faithfully; the
//! chosen one goes on. The two are shown in a seeded random order, so a model that prefers
//! "A" does not always pick the same side.

use robosim_llm::{ChatRequest, Message};
use serde::{Deserialize, Serialize};

use robosim_parallel::map_collect;

use crate::{
    Error, OnProgress, Progress, Stage,
    context::Context,
    files::{self, read_jsonl, write_jsonl},
    instructions::parse_rewrite,
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
    /// The model's judgement named neither: the original is kept.
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
    pub unparsed: u64,
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
        }
        Ok(stats)
    }

    fn align_one(&self, id: &str, original: &str, program: &str) -> Result<Aligned, Error> {
        let mut aligned = Aligned {
            task_id: id.to_owned(),
            original: original.to_owned(),
            revised: None,
            choice: Choice::LlmError,
            instruction: original.to_owned(),
            program: program.to_owned(),
        };
        let prompts = &self.seeds.prompts;
        let revise = prompts.revise.render(&[("instruction", original), ("program", program.trim_end())]);
        let revised = match self.ask(&ChatRequest::new(vec![Message::user(revise)]))? {
            Ok(answer) => parse_rewrite(&answer.content),
            Err(_) => return Ok(aligned),
        };
        let Some(revised) = revised else {
            aligned.choice = Choice::Unparsed;
            return Ok(aligned);
        };
        aligned.revised = Some(revised.clone());
        if crate::tokens(&revised) == crate::tokens(original) {
            aligned.choice = Choice::Unchanged;
            return Ok(aligned);
        }
        let revised_first = self.rng(id, 1).bool();
        let (a, b) = if revised_first { (revised.as_str(), original) } else { (original, revised.as_str()) };
        let choose = prompts.choose.render(&[("program", program.trim_end()), ("a", a), ("b", b)]);
        // A judgement, not a creative answer: sampled greedily.
        let request = ChatRequest::new(vec![Message::user(choose)]).temperature(0.0);
        let letter = match self.ask(&request)? {
            Ok(answer) => parse_choice(&answer.content),
            Err(_) => return Ok(aligned),
        };
        aligned.choice = match (letter, revised_first) {
            (Some('A'), true) | (Some('B'), false) => Choice::Revised,
            (Some(_), _) => Choice::Original,
            (None, _) => Choice::Unparsed,
        };
        if aligned.choice == Choice::Revised {
            aligned.instruction = revised;
        }
        Ok(aligned)
    }
}

/// The letter a judgement answer names: a lone `A` or `B` word (as in "B", "Answer: A",
/// "**B**", "(A)"), the first one found.
#[must_use]
pub(crate) fn parse_choice(answer: &str) -> Option<char> {
    answer.split(|c: char| !c.is_ascii_alphanumeric()).find(|w| *w == "A" || *w == "B").and_then(|w| w.chars().next())
}

#[cfg(test)]
mod tests {
    use super::parse_choice;

    #[test]
    fn finds_the_letter() {
        assert_eq!(parse_choice("B"), Some('B'));
        assert_eq!(parse_choice("Answer: **A**."), Some('A'));
        assert_eq!(parse_choice("I think (B) is better"), Some('B'));
        assert_eq!(parse_choice("Both are fine"), None);
        assert_eq!(parse_choice("ABBA"), None);
    }
}
