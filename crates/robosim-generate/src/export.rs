//! The `export` stage (4 of 4): the datasets. From one run, the paper's three variants —
//! `robo-instruct` (verified programs with InstAlign's instructions), `reject-unsolvable`
//! (verified programs with their tasks' own instructions, no InstAlign) and `self-instruct`
//! (each task's first program, unverified) — each de-duplicated (instruction, then program),
//! programs that call no robot function dropped, and written as chat `messages`,
//! instruction/output (Alpaca) and `text` (a prefix, `# Instruction:`, the program: what the
//! paper trains on) JSONL. The full variant is also written at the top of the run directory.

use std::collections::{BTreeMap, HashSet};

use robosim_protocol::RobotFunction;
use serde::Serialize;
use serde_json::json;

use crate::{
    Error, OnProgress, Progress, Stage,
    align::Aligned,
    context::Context,
    files::{self, read_jsonl, write_jsonl},
    programs::{AttemptStatus, TaskPrograms, ratio},
};

/// A dataset variant of the paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Variant {
    /// Each task's first program, not verified (Self-Instruct).
    SelfInstruct,
    /// Verified programs, the tasks' own instructions (RoboSim's rejection sampling alone).
    RejectUnsolvable,
    /// Verified programs, InstAlign's instructions (Robo-Instruct).
    RoboInstruct,
}

impl Variant {
    pub const ALL: [Self; 3] = [Self::SelfInstruct, Self::RejectUnsolvable, Self::RoboInstruct];

    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::SelfInstruct => "self-instruct",
            Self::RejectUnsolvable => "reject-unsolvable",
            Self::RoboInstruct => "robo-instruct",
        }
    }
}

/// What went into one variant's dataset.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct VariantStats {
    /// Pairs before the final filters.
    pub input: u64,
    pub written: u64,
    pub duplicate_instructions: u64,
    pub duplicate_programs: u64,
    pub no_robot_call: u64,
    /// Pairs past `max_examples`.
    pub over_cap: u64,
    pub instruction_words: Lengths,
    pub program_lines: Lengths,
}

/// What went into the datasets.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ExportStats {
    /// The `robo-instruct` variant (the files at the top of the run directory).
    #[serde(flatten)]
    pub full: VariantStats,
    /// Every variant written (`robo-instruct` only when the align stage has run).
    pub variants: BTreeMap<&'static str, VariantStats>,
    /// Tasks whose first program was verified (accepted or rejected) and the share of them
    /// RoboSim rejected: the paper's "Self-Instruct programs that fail RoboSim".
    pub first_programs_verified: u64,
    pub first_programs_rejected_rate: f64,
    /// Tasks with a verified program / tasks (rejection sampling's yield).
    pub task_acceptance_rate: f64,
}

/// A length distribution.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Lengths {
    pub min: usize,
    pub median: usize,
    pub mean: f64,
    pub max: usize,
}

impl Lengths {
    fn of(mut values: Vec<usize>) -> Self {
        if values.is_empty() {
            return Self::default();
        }
        values.sort_unstable();
        let mean = values.iter().sum::<usize>() as f64 / values.len() as f64;
        Self {
            min: values[0],
            median: values[values.len() / 2],
            mean: (mean * 10.0).round() / 10.0,
            max: values[values.len() - 1],
        }
    }
}

/// One (instruction, program) pair of a variant.
struct Pair {
    id: String,
    instruction: String,
    program: String,
}

impl Context {
    pub(crate) fn export(&self, on_progress: OnProgress<'_>) -> Result<ExportStats, Error> {
        let programs: Vec<TaskPrograms> = read_jsonl(&self.path(files::PROGRAMS), "programs")?;
        let aligned: Option<Vec<Aligned>> = match read_jsonl(&self.path(files::ALIGNED), "align") {
            Ok(aligned) => Some(aligned),
            Err(Error::MissingInput { .. }) => None,
            Err(e) => return Err(e),
        };
        let mut variants: Vec<(Variant, Vec<Pair>)> = vec![
            (Variant::SelfInstruct, programs.iter().filter_map(first_program).collect()),
            (
                Variant::RejectUnsolvable,
                programs
                    .iter()
                    .filter_map(|t| {
                        Some(Pair {
                            id: t.task_id.clone(),
                            instruction: t.instruction.clone(),
                            program: t.program.clone()?,
                        })
                    })
                    .collect(),
            ),
        ];
        if let Some(aligned) = aligned {
            let pairs = aligned
                .into_iter()
                .map(|a| Pair { id: a.task_id, instruction: a.instruction, program: a.program })
                .collect();
            variants.push((Variant::RoboInstruct, pairs));
        }
        let total: usize = variants.iter().map(|(_, p)| p.len()).sum();
        on_progress(Progress::Started { stage: Stage::Export, total: total as u64 });
        let mut stats = ExportStats::default();
        let prefix = self.text_prefix();
        for (variant, pairs) in variants {
            let (mut kept, mut vstats) = filter(pairs, &|| on_progress(Progress::Advanced { stage: Stage::Export }));
            if let Some(cap) = self.config.max_examples
                && kept.len() > cap
            {
                vstats.over_cap = (kept.len() - cap) as u64;
                kept.truncate(cap);
                vstats.written = cap as u64;
            }
            vstats.instruction_words =
                Lengths::of(kept.iter().map(|p| p.instruction.split_whitespace().count()).collect());
            vstats.program_lines = Lengths::of(kept.iter().map(|p| p.program.lines().count()).collect());
            let dir = self.path(files::VARIANTS).join(variant.name());
            std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            write_formats(&kept, &prefix, &|file| dir.join(file))?;
            if variant == Variant::RoboInstruct {
                write_formats(&kept, &prefix, &|file| self.path(file))?;
                stats.full = vstats.clone();
            }
            stats.variants.insert(variant.name(), vstats);
        }
        let first: Vec<AttemptStatus> = programs.iter().filter_map(|t| t.attempts.first().map(|a| a.status)).collect();
        let verified = first.iter().filter(|s| matches!(s, AttemptStatus::Accepted | AttemptStatus::Rejected)).count();
        let rejected = first.iter().filter(|s| **s == AttemptStatus::Rejected).count();
        stats.first_programs_verified = verified as u64;
        stats.first_programs_rejected_rate = ratio(rejected as u64, verified as u64);
        stats.task_acceptance_rate =
            ratio(programs.iter().filter(|t| t.accepted).count() as u64, programs.len() as u64);
        Ok(stats)
    }

    /// What the `text` format puts before `# Instruction:`: the robot API as prompts show it.
    fn text_prefix(&self) -> String {
        self.seeds.api.trim_end().to_owned()
    }
}

/// A task's first program, whatever RoboSim made of it (the Self-Instruct baseline).
fn first_program(task: &TaskPrograms) -> Option<Pair> {
    let first = task.attempts.first()?;
    Some(Pair { id: task.task_id.clone(), instruction: task.instruction.clone(), program: first.program.clone()? })
}

/// The pairs that pass the final filters, and what they dropped.
fn filter(pairs: Vec<Pair>, advanced: &dyn Fn()) -> (Vec<Pair>, VariantStats) {
    let mut stats = VariantStats { input: pairs.len() as u64, ..VariantStats::default() };
    let (mut instructions, mut programs) = (HashSet::new(), HashSet::new());
    let mut kept = Vec::new();
    for pair in pairs {
        advanced();
        if !calls_robot_api(&pair.program) {
            stats.no_robot_call += 1;
        } else if !instructions.insert(crate::tokens(&pair.instruction)) {
            stats.duplicate_instructions += 1;
        } else if !programs.insert(normalize_program(&pair.program)) {
            stats.duplicate_programs += 1;
        } else {
            kept.push(pair);
        }
    }
    stats.written = kept.len() as u64;
    (kept, stats)
}

/// The `text` field of a pair: the prefix, `# Instruction:` and the instruction, the program
/// (the reference's training text).
#[must_use]
pub fn text_field(prefix: &str, instruction: &str, program: &str) -> String {
    format!("{prefix}\n\n# Instruction: {instruction}\n{program}")
}

/// The three formats of a dataset, to the files `path` names.
fn write_formats(pairs: &[Pair], prefix: &str, path: &dyn Fn(&str) -> std::path::PathBuf) -> Result<(), Error> {
    let messages: Vec<_> = pairs
        .iter()
        .map(|p| {
            json!({"id": p.id, "messages": [
                {"role": "user", "content": p.instruction},
                {"role": "assistant", "content": p.program},
            ]})
        })
        .collect();
    let alpaca: Vec<_> = pairs
        .iter()
        .map(|p| json!({"id": p.id, "instruction": p.instruction, "input": "", "output": p.program}))
        .collect();
    let text: Vec<_> =
        pairs.iter().map(|p| json!({"id": p.id, "text": text_field(prefix, &p.instruction, &p.program)})).collect();
    write_jsonl(&path(files::MESSAGES), &messages)?;
    write_jsonl(&path(files::INSTRUCTION_OUTPUT), &alpaca)?;
    write_jsonl(&path(files::TEXT), &text)
}

/// The program without comments, blank lines and trailing spaces: two programs that differ
/// only there are the same program.
fn normalize_program(program: &str) -> String {
    strip(program, true).lines().map(str::trim_end).filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join("\n")
}

/// Whether the program calls one of the eight robot functions (outside strings and
/// comments, and not just defines a function of that name).
#[must_use]
pub fn calls_robot_api(program: &str) -> bool {
    let code = strip(program, false);
    let bytes = code.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    RobotFunction::ALL.iter().map(|f| f.name()).any(|name| {
        code.match_indices(name).any(|(at, _)| {
            let before_ok = at == 0 || !ident(bytes[at - 1]) && bytes[at - 1] != b'.';
            let after = code[at + name.len()..].trim_start();
            let defined = code[..at].trim_end().ends_with("def");
            before_ok && after.starts_with('(') && !defined
        })
    })
}

/// The source without comments, and with string literals emptied unless `keep_strings` (a
/// small scanner: enough to tell code from text, not a Python parser).
fn strip(source: &str, keep_strings: bool) -> String {
    let mut out = String::with_capacity(source.len());
    let mut chars = source.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '#' => {
                while chars.peek().is_some_and(|&(_, c)| c != '\n') {
                    chars.next();
                }
            }
            '\'' | '"' => {
                let triple = source[i..].starts_with(&c.to_string().repeat(3));
                let quote = if triple { c.to_string().repeat(3) } else { c.to_string() };
                let body_start = i + quote.len();
                let end =
                    find_close(&source[body_start..], &quote).map_or(source.len(), |e| body_start + e + quote.len());
                out.push_str(if keep_strings { &source[i..end] } else { "\"\"" });
                while chars.peek().is_some_and(|&(j, _)| j < end) {
                    chars.next();
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Where `quote` closes in `body`, skipping backslash escapes.
fn find_close(body: &str, quote: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if body[i..].starts_with(quote) {
            return Some(i);
        } else if c == '\n' && quote.len() == 1 {
            return Some(i); // an unterminated one-line string ends at the line
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{calls_robot_api, normalize_program};

    #[test]
    fn robot_calls_are_found_in_code_only() {
        assert!(calls_robot_api("def task_program():\n    go_to('kitchen')\n"));
        assert!(calls_robot_api("def task_program():\n    x = is_in_room (\"cup\")\n"));
        assert!(!calls_robot_api("def task_program():\n    print('go_to(kitchen)')  # say(hi)\n"));
        assert!(!calls_robot_api("def task_program():\n    return 1\n\ndef go_to(x):\n    pass\n"));
        assert!(!calls_robot_api("def task_program():\n    self.say('x')\n    undergo_to(1)\n"));
        assert!(!calls_robot_api("def task_program():\n    \"\"\"Call say('x').\"\"\"\n    pass\n"));
    }

    #[test]
    fn programs_differing_in_comments_are_the_same() {
        let a = "def task_program():\n    # go\n    go_to('a')  \n\n";
        let b = "def task_program():\n    go_to('a')\n";
        assert_eq!(normalize_program(a), normalize_program(b));
        assert_ne!(normalize_program(b), normalize_program("def task_program():\n    go_to('b')\n"));
    }
}
