//! Task files: one JSON file per task, with its prompts, its concrete worlds, and the checks
//! every run (and each world's own checks) must pass.

use std::{
    fs,
    path::{Path, PathBuf},
};

use robosim_world::{ConcreteWorld, WorldSpec};
use serde::Deserialize;

use crate::{Error, check::Check, roboeval::RoboEvalCase};

/// A named check.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedCheck {
    pub name: String,
    pub check: Check,
}

/// One world of a task, with the checks that only apply in it. Its concrete world is built
/// when it is deserialised, so a `TaskWorld` that exists always has one.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "TaskWorldFile")]
pub struct TaskWorld {
    name: String,
    spec: WorldSpec,
    checks: Vec<NamedCheck>,
    built: ConcreteWorld,
}

/// A world as the task file writes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskWorldFile {
    name: String,
    world: WorldSpec,
    #[serde(default)]
    checks: Vec<NamedCheck>,
}

impl TryFrom<TaskWorldFile> for TaskWorld {
    type Error = String;

    fn try_from(file: TaskWorldFile) -> Result<Self, String> {
        let built = ConcreteWorld::new(&file.world).map_err(|e| format!("world {:?}: {e}", file.name))?;
        Ok(Self { name: file.name, spec: file.world, checks: file.checks, built })
    }
}

impl TaskWorld {
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The world as the task file describes it.
    #[must_use]
    pub const fn spec(&self) -> &WorldSpec {
        &self.spec
    }

    /// The checks that apply in this world only.
    #[must_use]
    pub fn checks(&self) -> &[NamedCheck] {
        &self.checks
    }

    /// A fresh copy of the world, as the task describes it (built once, cloned per run).
    #[must_use]
    pub fn fresh(&self) -> ConcreteWorld {
        self.built.clone()
    }
}

/// A benchmark task. Deserialising one checks it: at least one world (or RoboEval state),
/// every world builds.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "TaskFile")]
pub struct Task {
    pub name: String,
    pub description: String,
    /// The prompt variants a model is given.
    pub prompts: Vec<String>,
    /// robosim's own concrete worlds (none for a RoboEval task).
    pub worlds: Vec<TaskWorld>,
    /// Checks for every world.
    pub checks: Vec<NamedCheck>,
    /// RoboEval's states, in its order, each with its check (none for robosim's own tasks):
    /// graded as RoboEval grades them (see [`crate::roboeval`]).
    pub states: Vec<RoboEvalCase>,
    /// For a RoboEval ablation: the task whose prompts and states it re-checks.
    pub ablation_of: Option<String>,
    /// Where the task comes from (a benchmark file).
    pub source: Option<String>,
    /// The file it was loaded from (empty when made otherwise).
    pub path: PathBuf,
}

/// A task as its file writes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskFile {
    name: String,
    #[serde(default)]
    description: String,
    prompts: Vec<String>,
    #[serde(default)]
    worlds: Vec<TaskWorld>,
    #[serde(default)]
    checks: Vec<NamedCheck>,
    #[serde(default)]
    states: Vec<RoboEvalCase>,
    #[serde(default)]
    ablation_of: Option<String>,
    #[serde(default)]
    source: Option<String>,
}

impl TryFrom<TaskFile> for Task {
    type Error = &'static str;

    fn try_from(file: TaskFile) -> Result<Self, &'static str> {
        let TaskFile { name, description, prompts, worlds, checks, states, ablation_of, source } = file;
        match (worlds.is_empty(), states.is_empty()) {
            (true, true) => return Err("the task has no worlds"),
            (false, false) => return Err("a task has either robosim `worlds` or RoboEval `states`, not both"),
            (true, false) if !checks.is_empty() => return Err("RoboEval states carry their own checks"),
            _ => {}
        }
        Ok(Self { name, description, prompts, worlds, checks, states, ablation_of, source, path: PathBuf::new() })
    }
}

impl Task {
    /// Reads and checks one task file (every world must build).
    ///
    /// # Errors
    /// Unreadable file, bad JSON or pattern, a world that does not build, no worlds.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = fs::read_to_string(path).map_err(|source| Error::Io { path: path.to_owned(), source })?;
        let mut task: Self =
            serde_json::from_str(&text).map_err(|e| Error::Task { path: path.to_owned(), detail: e.to_string() })?;
        task.path = path.to_owned();
        Ok(task)
    }

    /// Every `*.json` task in `dir`, by name.
    ///
    /// # Errors
    /// As [`Task::load`]; also no tasks, or two tasks with one name.
    pub fn load_dir(dir: &Path) -> Result<Vec<Self>, Error> {
        let entries = fs::read_dir(dir).map_err(|source| Error::Io { path: dir.to_owned(), source })?;
        let mut paths = Vec::new();
        for entry in entries {
            let path = entry.map_err(|source| Error::Io { path: dir.to_owned(), source })?.path();
            if path.extension().is_some_and(|e| e == "json") {
                paths.push(path);
            }
        }
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
}

#[cfg(test)]
mod tests {
    use super::Task;

    /// A task made through serde is checked as `Task::load` checks a file: no unbuilt world.
    #[test]
    fn a_deserialised_task_always_has_built_worlds() {
        let task = |worlds: &str| {
            serde_json::from_str::<Task>(&format!(r#"{{"name":"t","prompts":["p"],"worlds":{worlds}}}"#))
        };
        let error = task("[]").unwrap_err().to_string();
        assert!(error.contains("the task has no worlds"), "{error}");
        let error = task(r#"[{"name":"w","world":{"rooms":[]}}]"#).unwrap_err().to_string();
        assert!(error.contains(r#"world "w""#), "{error}");
        let error = task(r#"[{"name":"w","world":{"rooms":["a","a"]}}]"#).unwrap_err().to_string();
        assert!(error.contains(r#"world "w""#), "{error}");
        let task = task(r#"[{"name":"w","world":{"rooms":["hall","lab"],"robot":"lab"}}]"#).unwrap();
        assert_eq!(task.worlds[0].fresh().location(), "lab");
        assert_eq!(task.worlds[0].name(), "w");
    }
}
