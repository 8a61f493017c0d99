//! robosim for Python: the extension module `robosim._robosim`, re-exported by the `robosim`
//! package (`python/robosim`). Built into a wheel with maturin (`just wheel`).
//!
//! ```python
//! import robosim
//!
//! verifier = robosim.Verifier(max_paths=100)
//! verdict = verifier.verify("def task_program():\n    if not is_in_room('pen'):\n        pick('pen')\n")
//! assert not verdict.accepted and verdict.error_class == "RobotPickError" and verdict.line == 3
//! verdicts = verifier.verify_many(programs, jobs=4)  # in order; the GIL is released meanwhile
//! ```
//!
//! Every program runs in the same wasm sandbox as the `robosim` command's: a hostile program
//! ends in a typed verdict, never in an exception or a crash of the Python process.

mod settings;
mod workers;

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{Arc, OnceLock},
};

use pyo3::{
    create_exception,
    exceptions::{PyException, PyValueError},
    prelude::*,
    types::PyList,
};
use robosim_grade::Grader;
use robosim_sandbox::{DEFAULT_MAX_PROGRAM_BYTES, Program, Sandbox, SandboxConfig};
use robosim_verify::VerifyConfig;
use serde_json::Value;

use crate::settings::Settings;

create_exception!(
    robosim,
    RobosimError,
    PyException,
    "robosim itself failed (not the program): the sandbox, a task file, …"
);

fn failed(error: impl std::fmt::Display) -> PyErr {
    RobosimError::new_err(error.to_string())
}

/// A Python object from anything serde writes (through `json.loads`: plain dicts, lists,
/// str, int, float, bool, None).
fn to_python<'py>(py: Python<'py>, value: &impl serde::Serialize) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value).map_err(failed)?;
    py.import("json")?.call_method1("loads", (text,))
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// A sandbox with `limits` and a slot per core.
fn sandbox(limits: robosim_sandbox::Limits) -> PyResult<Arc<Sandbox>> {
    let config = SandboxConfig {
        limits,
        max_concurrent_runs: u32::try_from(cores()).unwrap_or(u32::MAX),
        ..SandboxConfig::default()
    };
    Sandbox::with_config(config).map(Arc::new).map_err(failed)
}

/// The sandbox `run` and `grade` share (made on first use).
fn shared_sandbox(py: Python<'_>) -> PyResult<Arc<Sandbox>> {
    static SHARED: OnceLock<Arc<Sandbox>> = OnceLock::new();
    if let Some(sandbox) = SHARED.get() {
        return Ok(sandbox.clone());
    }
    let made = py.detach(|| sandbox(robosim_grade::grade_limits()))?;
    Ok(SHARED.get_or_init(|| made).clone())
}

/// The verdict on one program.
#[pyclass(frozen, module = "robosim", name = "Verdict")]
struct PyVerdict(robosim_verify::Verdict);

#[pymethods]
impl PyVerdict {
    /// True when no path failed.
    #[getter]
    fn accepted(&self) -> bool {
        self.0.accepted
    }

    /// The failure's class as the reference names it (`RobotPickError`, `NameError`,
    /// `TimeOutError`, …), or None.
    #[getter]
    fn error_class(&self) -> Option<String> {
        self.0.failure.as_ref().map(|f| f.class.to_string())
    }

    /// The reference-style last error line, or None.
    #[getter]
    fn error(&self) -> Option<String> {
        self.0.failure.as_ref().map(|f| f.error.clone())
    }

    /// The program line of the failure, when known.
    #[getter]
    fn line(&self) -> Option<u32> {
        self.0.failure.as_ref().and_then(|f| f.line)
    }

    /// Paths (runs) explored.
    #[getter]
    fn paths(&self) -> usize {
        self.0.paths
    }

    /// Every path of the choice tree (within the depth bound) was run.
    #[getter]
    fn exhausted(&self) -> bool {
        self.0.exhausted
    }

    /// Why the search stopped: "exhausted", "saturated", "capped", "failed", or "not_run"
    /// (robosim could not verify the program: see `not_run`).
    #[getter]
    fn stopped(&self) -> &'static str {
        self.0.stopped.as_str()
    }

    /// Why robosim could not verify the program (its own failure, not the program's), or None.
    #[getter]
    fn not_run(&self) -> Option<String> {
        self.0.not_run.clone()
    }

    #[getter]
    fn fuel_used(&self) -> u64 {
        self.0.fuel_used
    }

    /// Seconds.
    #[getter]
    fn wall_time(&self) -> f64 {
        self.0.wall_time.as_secs_f64()
    }

    /// The failing path (choices to replay it, decisions, robot-call trace, outcome) as a
    /// dict, or None.
    #[getter]
    fn failure<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.0.failure.as_ref().map(|f| to_python(py, f)).transpose()
    }

    /// The whole verdict as a dict, as `verify-batch` writes it.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.0)
    }

    fn __repr__(&self) -> String {
        match &self.0.failure {
            None => format!("<Verdict accepted, {} paths, {}>", self.0.paths, self.0.stopped.as_str()),
            Some(f) => {
                let line = f.line.map_or_else(|| "?".to_owned(), |l| l.to_string());
                format!("<Verdict rejected: {} at line {line}, {} paths>", f.error, self.0.paths)
            }
        }
    }
}

/// Verifies robot programs: explores the worlds each program's choices open, in the
/// sandbox, and reaches a verdict. Settings are checked when it is made (`ValueError`).
#[pyclass(frozen, module = "robosim", name = "Verifier")]
struct PyVerifier {
    verifier: robosim_verify::Verifier,
    /// Worker processes for `verify_many` with several jobs (started on first use, kept).
    workers: OnceLock<robosim_verify::Workers>,
}

#[pymethods]
impl PyVerifier {
    #[new]
    #[pyo3(signature = (
        *, search = "coverage".to_owned(), max_paths = 100, max_depth = 40, patience = 12, random_runs = 100,
        seed = 0, fuel = 2_000_000_000, fuel_budget = 20_000_000_000, memory_mib = 256, deadline_ms = 10_000,
        robot_calls = 10_000, output_bytes = 1 << 20, robot_data_bytes = 1 << 20, reference_normalization = false
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        search: String,
        max_paths: i64,
        max_depth: i64,
        patience: i64,
        random_runs: i64,
        seed: i64,
        fuel: i64,
        fuel_budget: i64,
        memory_mib: i64,
        deadline_ms: i64,
        robot_calls: i64,
        output_bytes: i64,
        robot_data_bytes: i64,
        reference_normalization: bool,
    ) -> PyResult<Self> {
        let settings = Settings {
            search,
            max_paths,
            max_depth,
            patience,
            random_runs,
            seed,
            fuel,
            fuel_budget,
            memory_mib,
            deadline_ms,
            robot_calls,
            output_bytes,
            robot_data_bytes,
            reference_normalization,
        };
        let config = settings.config()?;
        let sandbox = py.detach(|| sandbox(config.limits))?;
        Ok(Self { verifier: robosim_verify::Verifier::with_sandbox(sandbox, config), workers: OnceLock::new() })
    }

    /// Every setting, as a dict (as a verdicts file's manifest records them).
    fn settings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, self.verifier.config())
    }

    /// The verdict on one program (an LLM answer: a fenced block or text around the code is
    /// fine).
    fn verify(&self, py: Python<'_>, program: String) -> PyVerdict {
        PyVerdict(py.detach(|| self.verifier.verify(&program)))
    }

    /// Verdicts on many programs, in their order, with the GIL released while they run. With
    /// `jobs` > 1 (default: one per core) they go to that many worker processes (this Python
    /// running `robosim._robosim`, started on first use and kept with the verifier): threads
    /// of one process slow each other down in the sandbox's copy-on-write memory. `jobs=1`
    /// verifies in this process.
    #[pyo3(signature = (programs, jobs = None))]
    fn verify_many(&self, py: Python<'_>, programs: &Bound<'_, PyAny>, jobs: Option<i64>) -> PyResult<Vec<PyVerdict>> {
        if programs.is_instance_of::<pyo3::types::PyString>() {
            return Err(PyValueError::new_err("programs must be an iterable of programs, not one str"));
        }
        let programs: Vec<String> = programs.try_iter()?.map(|p| p?.extract::<String>()).collect::<PyResult<_>>()?;
        let jobs = match jobs {
            None => cores(),
            Some(n) if n >= 1 => usize::try_from(n).unwrap_or(usize::MAX),
            Some(n) => return Err(PyValueError::new_err(format!("jobs must be at least 1, not {n}"))),
        };
        let verdicts = if jobs == 1 || programs.len() <= 1 {
            py.detach(|| programs.iter().map(|p| self.verifier.verify(p)).collect())
        } else {
            let workers = match self.workers.get() {
                Some(workers) => workers,
                None => {
                    let made = workers::workers(py, &self.verifier)?;
                    self.workers.get_or_init(|| made)
                }
            };
            py.detach(|| workers::verify_all(workers, &programs, jobs))
        };
        Ok(verdicts.into_iter().map(PyVerdict).collect())
    }

    fn __repr__(&self) -> String {
        format!("<Verifier {}>", serde_json::to_string(self.verifier.config()).unwrap_or_default())
    }
}

/// Runs one program once (module body, then `entry()` unless None) in an open world that
/// answers every question, and returns the run's report as a dict: outcome, robot-call
/// trace, stdout, stderr, fuel, time.
#[pyfunction]
#[pyo3(signature = (program, entry = Some("task_program".to_owned())))]
fn run<'py>(py: Python<'py>, program: String, entry: Option<String>) -> PyResult<Bound<'py, PyAny>> {
    let sandbox = shared_sandbox(py)?;
    let program = Program { source: program, filename: "<program>".into(), entry };
    let report = py.detach(|| sandbox.run(&program, robosim_world::OpenWorld::default()).0);
    to_python(py, &report)
}

/// Grades completions on the benchmark tasks in `task_dir` (RoboEval's or robosim's task
/// files), as `robosim grade` does. Each completion is a dict with `task` and `completion`
/// (or `program`); `id` and `prompt` are carried through. Returns `robosim grade`'s record
/// for each, in order (`line` is its 1-based position): `status` ("passed", "failed",
/// "invalid_input" with a `message`), `task`, `trace` (how it was read), and one result per
/// world. `trace` is "printed" (RoboEval's reading of stdout) or "calls" (every robot call,
/// whatever the program printed: for untrusted completions).
#[pyfunction]
#[pyo3(signature = (task_dir, completions, *, trace = "printed"))]
fn grade<'py>(
    py: Python<'py>,
    task_dir: PathBuf,
    completions: &Bound<'py, PyAny>,
    trace: &str,
) -> PyResult<Bound<'py, PyList>> {
    let trace = match trace {
        "printed" => robosim_grade::TraceReading::Printed,
        "calls" => robosim_grade::TraceReading::Calls,
        other => return Err(PyValueError::new_err(format!("trace must be 'printed' or 'calls', not {other:?}"))),
    };
    let tasks = robosim_grade::Task::load_dir(&task_dir).map_err(failed)?;
    let by_name: HashMap<&str, &robosim_grade::Task> = tasks.iter().map(|t| (t.name.as_str(), t)).collect();
    let sandbox = shared_sandbox(py)?;
    let mut grader = robosim_grade::InProcess::new(&sandbox);
    grader.grading.trace = trace;
    let dumps = py.import("json")?.getattr("dumps")?;
    let out = PyList::empty(py);
    for (i, item) in completions.try_iter()?.enumerate() {
        // Through JSON, so that a completion is read exactly as a line of a completions file.
        let text: String = dumps.call1((item?,))?.extract()?;
        let read = serde_json::from_str::<Value>(&text).map_err(|e| format!("not JSON: {e}")).and_then(|value| {
            let (task, source) = robosim_grade::read_completion(&value, &by_name, DEFAULT_MAX_PROGRAM_BYTES)?;
            Ok((value, task, source))
        });
        let record = match read {
            Ok((value, task, source)) => {
                let worlds = py.detach(|| grader.grade(task, &source));
                robosim_grade::GradeRecord::graded(i + 1, &value, task, trace, worlds)
            }
            Err(message) => robosim_grade::GradeRecord::invalid(i + 1, message),
        };
        out.append(to_python(py, &record)?)?;
    }
    Ok(out)
}

/// The worker process's loop (`python -c "import robosim._robosim as r; r._serve_verify(S)"`):
/// answers each program on stdin with its verdict on stdout under the settings `S` (JSON).
#[pyfunction]
fn _serve_verify(py: Python<'_>, settings: &str) -> PyResult<()> {
    let config: VerifyConfig =
        serde_json::from_str(settings).map_err(|e| PyValueError::new_err(format!("bad settings: {e}")))?;
    let sandbox = py.detach(|| sandbox(config.limits))?;
    let verifier = robosim_verify::Verifier::with_sandbox(sandbox, config);
    py.detach(|| robosim_verify::serve(&verifier)).map_err(failed)
}

/// The default settings of a verifier, as a dict.
#[pyfunction]
fn default_settings(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    to_python(py, &VerifyConfig::default())
}

#[pymodule]
fn _robosim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyVerifier>()?;
    m.add_class::<PyVerdict>()?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(grade, m)?)?;
    m.add_function(wrap_pyfunction!(default_settings, m)?)?;
    m.add_function(wrap_pyfunction!(_serve_verify, m)?)?;
    m.add("RobosimError", m.py().get_type::<RobosimError>())?;
    m.add("GUEST_SHA256", robosim_sandbox::GUEST_SHA256)?;
    Ok(())
}
