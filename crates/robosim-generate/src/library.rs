//! The task library (the GenSim idea): every accepted generated task, persisted as JSONL,
//! de-duplicated by ROUGE-L against everything already in it and against the seeds, and
//! drawn on for few-shot examples in later rounds and later runs.

use std::{
    fs::{self, File, OpenOptions},
    io::{BufWriter, Write},
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

use crate::{
    Error,
    similarity::{rouge_l, tokens},
};

/// A generated task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    pub instruction: String,
    /// `self_instruct` or `evol:<style>`.
    pub origin: String,
    /// The task an evolved one was rewritten from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    pub round: usize,
}

/// Why a candidate did not go in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// ROUGE-L with an existing task (seed or generated) at or over the threshold.
    TooSimilar,
}

/// The library: seed instructions (for similarity only) and generated tasks.
#[derive(Debug)]
pub struct TaskLibrary {
    path: PathBuf,
    tasks: Vec<Task>,
    /// Tokens of seeds then tasks, for similarity.
    known: Vec<Vec<String>>,
    threshold: f64,
}

impl TaskLibrary {
    /// Opens (or starts) the library at `path`; `seeds` count for similarity.
    ///
    /// # Errors
    /// An unreadable file or a line that is not a task (a torn last line from an interrupted
    /// run is dropped instead).
    pub fn open(path: impl Into<PathBuf>, seeds: &[&str], threshold: f64) -> Result<Self, Error> {
        let path = path.into();
        let mut tasks: Vec<Task> = Vec::new();
        let mut torn = false;
        if path.exists() {
            let text = fs::read_to_string(&path).map_err(|source| Error::Io { path: path.clone(), source })?;
            let lines: Vec<&str> = text.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                match serde_json::from_str(line) {
                    Ok(task) => tasks.push(task),
                    // Only the last line can be torn by a kill; anything else is damage.
                    Err(_) if i + 1 == lines.len() && !text.ends_with('\n') => torn = true,
                    Err(e) => return Err(Error::Library { path, line: i + 1, detail: e.to_string() }),
                }
            }
        }
        if torn {
            rewrite(&path, &tasks)?;
        }
        let known = seeds.iter().map(|s| tokens(s)).chain(tasks.iter().map(|t| tokens(&t.instruction))).collect();
        Ok(Self { path, tasks, known, threshold })
    }

    #[must_use]
    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The round after the last one recorded.
    #[must_use]
    pub fn next_round(&self) -> usize {
        self.tasks.iter().map(|t| t.round + 1).max().unwrap_or(0)
    }

    /// Whether `instruction` is new enough to go in. An Evol-Instruct rewrite is compared with
    /// everything but the task it was rewritten from (`parent`): it grows out of that one on
    /// purpose, and would otherwise always look like a near-duplicate of it.
    ///
    /// # Errors
    /// The rejection.
    pub fn check(&self, instruction: &str, parent: Option<&str>) -> Result<(), Rejection> {
        let candidate = tokens(instruction);
        let parent = parent.map(tokens);
        if self.known.iter().any(|k| Some(k) != parent.as_ref() && rouge_l(&candidate, k) >= self.threshold) {
            return Err(Rejection::TooSimilar);
        }
        Ok(())
    }

    /// Adds a task if it passes [`TaskLibrary::check`] (not yet written: see `flush`).
    ///
    /// # Errors
    /// The rejection.
    pub fn add(&mut self, mut task: Task, parent: Option<&str>) -> Result<(), Rejection> {
        self.check(&task.instruction, parent)?;
        task.id = format!("task-{:05}", self.tasks.len() + 1);
        self.known.push(tokens(&task.instruction));
        self.tasks.push(task);
        Ok(())
    }

    /// Appends the tasks from `from` on to the file.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn append_from(&self, from: usize) -> Result<(), Error> {
        let io = |source| Error::Io { path: self.path.clone(), source };
        if let Some(parent) = self.path.parent() {
            fs::create_dir_all(parent).map_err(io)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(&self.path).map_err(io)?;
        let mut out = BufWriter::new(file);
        for task in &self.tasks[from..] {
            serde_json::to_writer(&mut out, task).map_err(|e| io(e.into()))?;
            out.write_all(b"\n").map_err(io)?;
        }
        out.flush().map_err(io)
    }
}

fn rewrite(path: &Path, tasks: &[Task]) -> Result<(), Error> {
    let io = |source| Error::Io { path: path.to_owned(), source };
    let mut out = BufWriter::new(File::create(path).map_err(io)?);
    for task in tasks {
        serde_json::to_writer(&mut out, task).map_err(|e| io(e.into()))?;
        out.write_all(b"\n").map_err(io)?;
    }
    out.flush().map_err(io)
}
