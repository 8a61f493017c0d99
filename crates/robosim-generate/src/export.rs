//! The `export` stage (4 of 4): the dataset. Final de-duplication (instruction, then program), programs that
//! call no robot function dropped, written as chat `messages` and as instruction/output
//! JSONL.

use std::collections::HashSet;

use robosim_protocol::RobotFunction;
use serde::Serialize;
use serde_json::json;

use crate::{
    Error, OnProgress, Progress, Stage,
    align::Aligned,
    context::Context,
    files::{self, read_jsonl, write_jsonl},
};

/// What went into the dataset.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ExportStats {
    pub input: u64,
    pub written: u64,
    pub duplicate_instructions: u64,
    pub duplicate_programs: u64,
    pub no_robot_call: u64,
    pub instruction_words: Lengths,
    pub program_lines: Lengths,
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

impl Context {
    pub(crate) fn export(&self, on_progress: OnProgress<'_>) -> Result<ExportStats, Error> {
        let aligned: Vec<Aligned> = read_jsonl(&self.path(files::ALIGNED), "align")?;
        on_progress(Progress::Started { stage: Stage::Export, total: aligned.len() as u64 });
        let mut stats = ExportStats { input: aligned.len() as u64, ..ExportStats::default() };
        let (mut instructions, mut programs) = (HashSet::new(), HashSet::new());
        let mut kept = Vec::new();
        for pair in aligned {
            on_progress(Progress::Advanced { stage: Stage::Export });
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
        let messages: Vec<_> = kept
            .iter()
            .map(|p| {
                json!({"id": p.task_id, "messages": [
                    {"role": "user", "content": p.instruction},
                    {"role": "assistant", "content": p.program},
                ]})
            })
            .collect();
        let pairs: Vec<_> = kept
            .iter()
            .map(|p| json!({"id": p.task_id, "instruction": p.instruction, "input": "", "output": p.program}))
            .collect();
        write_jsonl(&self.path(files::MESSAGES), &messages)?;
        write_jsonl(&self.path(files::INSTRUCTION_OUTPUT), &pairs)?;
        stats.written = kept.len() as u64;
        stats.instruction_words = Lengths::of(kept.iter().map(|p| p.instruction.split_whitespace().count()).collect());
        stats.program_lines = Lengths::of(kept.iter().map(|p| p.program.lines().count()).collect());
        Ok(stats)
    }
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
