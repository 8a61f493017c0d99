//! Task files: one JSON file per task, with its prompts, its concrete worlds, and the checks
//! every run (and each world's own checks) must pass.

use std::{
    fs,
    path::{Path, PathBuf},
};

use robosim_world::{ConcreteWorld, WorldSpec};
use serde::Deserialize;

use crate::{Error, check::Check};

/// A named check.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedCheck {
    pub name: String,
    pub check: Check,
}

/// One world of a task, with the checks that only apply in it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskWorld {
    pub name: String,
    pub world: WorldSpec,
    #[serde(default)]
    pub checks: Vec<NamedCheck>,
}

/// A benchmark task.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Task {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The prompt variants a model is given.
    pub prompts: Vec<String>,
    pub worlds: Vec<TaskWorld>,
    /// Checks for every world.
    #[serde(default)]
    pub checks: Vec<NamedCheck>,
    #[serde(skip)]
    pub path: PathBuf,
    /// The worlds, built once when the task loads; each run gets a clone.
    #[serde(skip)]
    built: Vec<ConcreteWorld>,
}

impl Task {
    /// Reads and checks one task file (every world must build).
    ///
    /// # Errors
    /// Unreadable file, bad JSON or pattern, a world that does not build, no worlds.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = fs::read_to_string(path).map_err(|source| Error::Io { path: path.to_owned(), source })?;
        let bad = |detail: String| Error::Task { path: path.to_owned(), detail };
        let mut task: Self = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if task.worlds.is_empty() {
            return Err(bad("the task has no worlds".into()));
        }
        for world in &task.worlds {
            let built = ConcreteWorld::new(&world.world).map_err(|e| bad(format!("world {:?}: {e}", world.name)))?;
            task.built.push(built);
        }
        task.path = path.to_owned();
        Ok(task)
    }

    /// Every `*.json` task in `dir`, by name.
    ///
    /// # Errors
    /// As [`Task::load`]; also no tasks, or two tasks with one name.
    pub fn load_dir(dir: &Path) -> Result<Vec<Self>, Error> {
        let entries = fs::read_dir(dir).map_err(|source| Error::Io { path: dir.to_owned(), source })?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        paths.sort();
        let tasks = paths.iter().map(|p| Self::load(p)).collect::<Result<Vec<_>, _>>()?;
        if tasks.is_empty() {
            return Err(Error::NoTasks { dir: dir.to_owned() });
        }
        for (i, task) in tasks.iter().enumerate() {
            if let Some(other) = tasks[..i].iter().find(|t| t.name == task.name) {
                return Err(Error::Task {
                    path: task.path.clone(),
                    detail: format!("task name {:?} is also used by {}", task.name, other.path.display()),
                });
            }
        }
        Ok(tasks)
    }

    /// A fresh copy of world `i`, as the task describes it.
    #[must_use]
    pub fn world(&self, i: usize) -> ConcreteWorld {
        self.built[i].clone()
    }
}
