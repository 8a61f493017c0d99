//! `Grader`: a task directory loaded once, completions graded in this process or in worker
//! processes (`robosim.grade`, the one-call form, is Python: `python/robosim/__init__.py`).

use std::{collections::HashMap, path::PathBuf};

use pyo3::{exceptions::PyValueError, prelude::*, types::PyList};
use robosim_backend::{Grading, Place};
use robosim_grade::{GradeOverrides, GradeRecord, Grader, Task, TraceReading};
use robosim_sandbox::DEFAULT_MAX_PROGRAM_BYTES;
use serde_json::Value;

use crate::{failed, settings::LimitKeywords, to_python, workers};

fn trace(trace: Option<&str>) -> PyResult<Option<TraceReading>> {
    match trace {
        None => Ok(None),
        Some("printed") => Ok(Some(TraceReading::Printed)),
        Some("calls") => Ok(Some(TraceReading::Calls)),
        Some(other) => Err(PyValueError::new_err(format!("trace must be 'printed' or 'calls', not {other:?}"))),
    }
}

/// Grades completions on the benchmark tasks of one directory (RoboEval's or robosim's task
/// files), as `robosim grade` does: the tasks are loaded once, and each `grade` call runs its
/// completions in this process or in `jobs` worker processes (kept between calls).
#[pyclass(frozen, module = "robosim", name = "Grader")]
pub(crate) struct PyGrader {
    task_dir: PathBuf,
    tasks: Vec<Task>,
    settings: robosim_grade::Grading,
    here: Grading,
    /// Worker processes (started on first use, kept).
    workers: workers::Kept<Grading>,
}

impl PyGrader {
    fn make(py: Python<'_>, task_dir: PathBuf, trace_: Option<&str>, limits: LimitKeywords) -> PyResult<Self> {
        let overrides = GradeOverrides { trace: trace(trace_)?, limits: limits.overrides()? };
        let settings = overrides.resolve().map_err(crate::settings::value_error)?;
        let tasks = Task::load_dir(&task_dir).map_err(failed)?;
        let here = py
            .detach(|| Grading::new(&task_dir, settings, &robosim_backend::SandboxSetup::default(), &Place::InProcess))
            .map_err(failed)?;
        Ok(Self { task_dir, tasks, settings, here, workers: workers::Kept::default() })
    }

    /// The grading of `jobs` worker processes, and the threads that keep them busy.
    fn backend(&self, py: Python<'_>, jobs: usize) -> PyResult<(std::sync::Arc<Grading>, usize)> {
        let place = workers::place(py, jobs)?;
        let threads = place.threads(jobs);
        let grading = self.workers.get(jobs, || {
            Grading::new(&self.task_dir, self.settings, &robosim_backend::SandboxSetup::default(), &place)
                .map_err(failed)
        })?;
        Ok((grading, threads))
    }

    /// `robosim grade`'s record for each completion, in order.
    fn grade_all<'py>(
        &self,
        py: Python<'py>,
        completions: &Bound<'py, PyAny>,
        jobs: usize,
    ) -> PyResult<Bound<'py, PyList>> {
        let by_name: HashMap<&str, &Task> = self.tasks.iter().map(|t| (t.name.as_str(), t)).collect();
        let dumps = py.import("json")?.getattr("dumps")?;
        let mut read = Vec::new();
        for item in completions.try_iter()? {
            // Through JSON, so that a completion is read exactly as a line of a completions file.
            let text: String = dumps.call1((item?,))?.extract()?;
            read.push(serde_json::from_str::<Value>(&text).map_err(|e| format!("not JSON: {e}")).and_then(|value| {
                let (task, source) = robosim_grade::read_completion(&value, &by_name, DEFAULT_MAX_PROGRAM_BYTES)?;
                Ok((value, task, source))
            }));
        }
        let (backend, threads) =
            if jobs > 1 && read.len() > 1 { self.backend(py, jobs).map(|(b, t)| (Some(b), t))? } else { (None, jobs) };
        let grader: &Grading = backend.as_deref().unwrap_or(&self.here);
        let trace = self.settings.trace;
        let records: Vec<GradeRecord> = py.detach(|| {
            let numbered: Vec<(usize, _)> = read.into_iter().enumerate().collect();
            workers::map_in_order(&numbered, threads, |(i, item)| match item {
                Ok((value, task, source)) => GradeRecord::graded(i + 1, value, task, trace, grader.grade(task, source)),
                Err(message) => GradeRecord::invalid(i + 1, message.clone()),
            })
        });
        let out = PyList::empty(py);
        for record in &records {
            out.append(to_python(py, record)?)?;
        }
        Ok(out)
    }
}

#[pymethods]
impl PyGrader {
    #[new]
    #[pyo3(signature = (
        task_dir, *, trace = None, fuel = None, memory_mib = None, deadline_ms = None, output_bytes = None,
        robot_calls = None, robot_data_bytes = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        task_dir: PathBuf,
        trace: Option<&str>,
        fuel: Option<i64>,
        memory_mib: Option<i64>,
        deadline_ms: Option<i64>,
        output_bytes: Option<i64>,
        robot_calls: Option<i64>,
        robot_data_bytes: Option<i64>,
    ) -> PyResult<Self> {
        let limits = LimitKeywords { fuel, memory_mib, deadline_ms, output_bytes, robot_calls, robot_data_bytes };
        Self::make(py, task_dir, trace, limits)
    }

    /// Every setting, as a dict (as `robosim settings grade` prints it).
    fn settings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.settings)
    }

    /// The names of the tasks loaded.
    fn tasks(&self) -> Vec<String> {
        self.tasks.iter().map(|t| t.name.clone()).collect()
    }

    /// `robosim grade`'s record for each completion (a dict with `task` and `completion` or
    /// `program`; `id` and `prompt` carried through), in order, with the GIL released while
    /// they run. `jobs` > 1 (default: 1) grades in that many worker processes, started on
    /// first use and kept with the grader.
    #[pyo3(signature = (completions, jobs = Some(1)))]
    fn grade<'py>(
        &self,
        py: Python<'py>,
        completions: &Bound<'py, PyAny>,
        jobs: Option<i64>,
    ) -> PyResult<Bound<'py, PyList>> {
        let jobs = workers::jobs(jobs)?;
        self.grade_all(py, completions, jobs)
    }

    fn __repr__(&self) -> String {
        format!("<Grader {} tasks from {}>", self.tasks.len(), self.task_dir.display())
    }
}
