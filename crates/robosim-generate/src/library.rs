//! The task library (the GenSim idea): every accepted generated task, persisted as JSONL,
//! de-duplicated (see [`Similarity`]) against everything already in it and against the seeds,
//! kept apart from the benchmark's prompts (decontamination), and drawn on for few-shot
//! examples in later rounds and later runs.

use std::{
    fs,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

use crate::{Error, files::write_jsonl, similarity::Similarity};

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
    /// A near-duplicate of an existing task (seed or generated).
    TooSimilar,
    /// A near-duplicate of one of the benchmark's prompts.
    Contaminated,
}

/// The library: seed instructions (for similarity only) and generated tasks.
#[derive(Debug)]
pub struct TaskLibrary {
    path: PathBuf,
    tasks: Vec<Task>,
    /// Tokens of seeds then tasks, for similarity.
    known: Vec<Vec<u64>>,
    /// Tokens of the benchmark's prompts.
    benchmark: Vec<Vec<u64>>,
    similarity: Similarity,
}

impl TaskLibrary {
    /// Opens (or starts) the library at `path`; `seeds` count for similarity, `benchmark`
    /// (prompts) for decontamination.
    ///
    /// # Errors
    /// An unreadable file or a line that is not a task (a torn last line from an interrupted
    /// run is dropped instead).
    pub fn open(
        path: impl Into<PathBuf>,
        seeds: &[&str],
        benchmark: &[String],
        similarity: Similarity,
    ) -> Result<Self, Error> {
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
            // Drop the torn line (atomically: a second kill leaves the old file or the new).
            write_jsonl(&path, &tasks)?;
        }
        let tokens = |text: &str| similarity.tokens(text);
        let known = seeds.iter().map(|s| tokens(s)).chain(tasks.iter().map(|t| tokens(&t.instruction))).collect();
        let benchmark = benchmark.iter().map(|p| tokens(p)).collect();
        Ok(Self { path, tasks, known, benchmark, similarity })
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
        let candidate = self.similarity.tokens(instruction);
        if self.benchmark.iter().any(|b| self.similarity.similar(&candidate, b)) {
            return Err(Rejection::Contaminated);
        }
        let parent = parent.map(|p| self.similarity.tokens(p));
        if self.known.iter().any(|k| Some(k) != parent.as_ref() && self.similarity.similar(&candidate, k)) {
            return Err(Rejection::TooSimilar);
        }
        Ok(())
    }

    /// Adds a task if it passes [`TaskLibrary::check`]. It is kept in memory only: the
    /// stage writes the new tasks with [`TaskLibrary::append_from`] at the end of each round.
    ///
    /// # Errors
    /// The rejection.
    pub fn add(&mut self, mut task: Task, parent: Option<&str>) -> Result<(), Rejection> {
        self.check(&task.instruction, parent)?;
        task.id = format!("task-{:05}", self.tasks.len() + 1);
        self.known.push(self.similarity.tokens(&task.instruction));
        self.tasks.push(task);
        Ok(())
    }

    /// Appends the tasks from `from` on to the file.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn append_from(&self, from: usize) -> Result<(), Error> {
        let mut out = robosim_fs::JsonlWriter::append(&self.path)?;
        for task in &self.tasks[from..] {
            out.line(task)?;
        }
        Ok(out.finish()?)
    }
}

#[cfg(test)]
mod tests {
    use super::{Rejection, Task, TaskLibrary};
    use crate::{DedupMethod, Similarity};

    fn rouge() -> Similarity {
        Similarity::new(DedupMethod::RougeL, 0.7, None).unwrap()
    }

    fn task(instruction: &str) -> Task {
        Task {
            id: String::new(),
            instruction: instruction.into(),
            origin: "self_instruct".into(),
            parent: None,
            round: 0,
        }
    }

    #[test]
    fn a_torn_last_line_is_dropped_and_damage_elsewhere_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tasks.jsonl");
        let benchmark = ["Go to the mail room and bring every parcel to reception.".to_owned()];
        let mut library = TaskLibrary::open(&path, &["Say hello to Bob."], &benchmark, rouge()).unwrap();
        library.add(task("Go to the kitchen and pick up the red apple."), None).unwrap();
        library.add(task("Ask Ana whether she wants tea or coffee."), None).unwrap();
        assert_eq!(
            library.add(task("Say hello to Bob!"), None),
            Err(Rejection::TooSimilar),
            "near-duplicate of a seed"
        );
        let copy = task("Go to the mail room, and bring every parcel to the reception desk.");
        assert_eq!(library.add(copy, None), Err(Rejection::Contaminated));
        library.append_from(0).unwrap();
        let whole = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{whole}{{\"id\": \"task-0000")).unwrap();
        let reopened = TaskLibrary::open(&path, &[], &[], rouge()).unwrap();
        assert_eq!(reopened.tasks().len(), 2);
        assert_eq!(reopened.tasks()[1].id, "task-00002");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), whole, "the torn line is gone from the file");
        std::fs::write(&path, format!("{{oops\n{whole}")).unwrap();
        assert!(TaskLibrary::open(&path, &[], &[], rouge()).unwrap_err().to_string().contains("line 1"));
    }
}
