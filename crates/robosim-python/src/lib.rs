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

mod grade;
mod settings;
mod workers;

use std::sync::{Arc, OnceLock};

use pyo3::{
    create_exception,
    exceptions::{PyException, PyValueError},
    prelude::*,
};
use robosim_backend::{SandboxSetup, Verification};
use robosim_sandbox::{Program, Sandbox, SandboxConfig};
use robosim_verify::{Decision, Search, Verify, VerifyConfig, VerifyOverrides};

use crate::settings::{LimitKeywords, count, value_error};

/// mimalloc for the module's own allocations (Python's are its own affair), as the `robosim`
/// command has: verifying allocates and frees small blocks on every robot call and path.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

/// A sandbox with `limits` and a slot per core.
fn sandbox(limits: robosim_sandbox::Limits) -> PyResult<Arc<Sandbox>> {
    let config = SandboxConfig {
        limits,
        max_concurrent_runs: u32::try_from(robosim_parallel::cores()).unwrap_or(u32::MAX),
        ..SandboxConfig::default()
    };
    Sandbox::with_config(config).map(Arc::new).map_err(failed)
}

/// The sandbox `run` uses (made on first use).
fn shared_sandbox(py: Python<'_>) -> PyResult<Arc<Sandbox>> {
    static SHARED: OnceLock<Arc<Sandbox>> = OnceLock::new();
    if let Some(sandbox) = SHARED.get() {
        return Ok(sandbox.clone());
    }
    let made = py.detach(|| sandbox(robosim_sandbox::Limits::default()))?;
    Ok(SHARED.get_or_init(|| made).clone())
}

/// The verdict on one program. Verdicts compare equal when they say the same, and pickle
/// (as their JSON).
#[pyclass(frozen, eq, module = "robosim", name = "Verdict")]
#[derive(PartialEq)]
struct PyVerdict(robosim_verify::Verdict);

#[pymethods]
impl PyVerdict {
    /// A verdict from its dict (as `to_dict` gives it, or a verdicts file's `robosim` record).
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        serde_json::from_str(text).map(Self).map_err(|e| PyValueError::new_err(format!("not a verdict: {e}")))
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let from_json = slf.get_type().getattr("from_json")?;
        Ok((from_json, (serde_json::to_string(&slf.get().0).map_err(failed)?,)))
    }

    /// True when no path failed.
    #[getter]
    fn accepted(&self) -> bool {
        self.0.accepted()
    }

    /// The failure's class as the reference names it (`RobotPickError`, `NameError`,
    /// `TimeOutError`, …), or None.
    #[getter]
    fn error_class(&self) -> Option<String> {
        self.0.failure().map(|f| f.class.to_string())
    }

    /// The reference-style last error line, or None.
    #[getter]
    fn error(&self) -> Option<String> {
        self.0.failure().map(|f| f.error.clone())
    }

    /// The program line of the failure, when known.
    #[getter]
    fn line(&self) -> Option<u32> {
        self.0.failure().and_then(|f| f.line)
    }

    /// Paths (runs) explored.
    #[getter]
    fn paths(&self) -> usize {
        self.0.paths
    }

    /// Every path of the choice tree (within the depth bound) was run.
    #[getter]
    fn exhausted(&self) -> bool {
        self.0.exhausted()
    }

    /// Why the search stopped: "exhausted", "saturated", "capped", "failed", or "not_run"
    /// (robosim could not verify the program: see `not_run`).
    #[getter]
    fn stopped(&self) -> &'static str {
        self.0.stopped().as_str()
    }

    /// Why robosim could not verify the program (its own failure, not the program's), or None.
    #[getter]
    fn not_run(&self) -> Option<String> {
        self.0.why_not_run().map(str::to_owned)
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
        self.0.failure().map(|f| to_python(py, f)).transpose()
    }

    /// The whole verdict as a dict, as `verify-batch` writes it.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.0)
    }

    fn __repr__(&self) -> String {
        match &self.0.decision {
            Decision::Accepted { stopped } => {
                format!("<Verdict accepted, {} paths, {}>", self.0.paths, stopped.stopped().as_str())
            }
            Decision::Rejected { failure: f } => {
                let line = f.line.map_or_else(|| "?".to_owned(), |l| l.to_string());
                format!("<Verdict rejected: {} at line {line}, {} paths>", f.error, self.0.paths)
            }
            Decision::NotRun { why } => format!("<Verdict not run: {why}>"),
        }
    }
}

/// Verifies robot programs: explores the worlds each program's choices open, in the
/// sandbox, and reaches a verdict. Each keyword left at None keeps robosim's default (as
/// `robosim settings verify` prints them); settings are checked when it is made
/// (`ValueError`). A verifier pickles as its settings.
#[pyclass(frozen, module = "robosim", name = "Verifier")]
struct PyVerifier {
    verifier: robosim_verify::Verifier,
    /// Worker processes for `verify_many` with several jobs (started on first use, kept).
    workers: workers::Kept<Verification>,
}

impl PyVerifier {
    fn with_config(py: Python<'_>, config: VerifyConfig) -> PyResult<Self> {
        let sandbox = py.detach(|| sandbox(config.limits))?;
        Ok(Self {
            verifier: robosim_verify::Verifier::with_sandbox(sandbox, config),
            workers: workers::Kept::default(),
        })
    }
}

#[pymethods]
impl PyVerifier {
    #[new]
    #[pyo3(signature = (
        *, search = None, max_paths = None, max_depth = None, patience = None, random_runs = None, seed = None,
        fuel = None, fuel_budget = None, memory_mib = None, deadline_ms = None, robot_calls = None,
        output_bytes = None, robot_data_bytes = None, reference_normalization = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        search: Option<&str>,
        max_paths: Option<i64>,
        max_depth: Option<i64>,
        patience: Option<i64>,
        random_runs: Option<i64>,
        seed: Option<i64>,
        fuel: Option<i64>,
        fuel_budget: Option<i64>,
        memory_mib: Option<i64>,
        deadline_ms: Option<i64>,
        robot_calls: Option<i64>,
        output_bytes: Option<i64>,
        robot_data_bytes: Option<i64>,
        reference_normalization: Option<bool>,
    ) -> PyResult<Self> {
        let limits = LimitKeywords { fuel, memory_mib, deadline_ms, output_bytes, robot_calls, robot_data_bytes };
        let overrides = VerifyOverrides {
            search: search.map(str::parse::<Search>).transpose().map_err(value_error)?,
            max_paths: count("max_paths", max_paths)?,
            max_depth: count("max_depth", max_depth)?,
            patience: count("patience", patience)?,
            random_runs: count("random_runs", random_runs)?,
            seed: count("seed", seed)?,
            fuel_budget: count("fuel_budget", fuel_budget)?,
            reference_normalization,
            limits: limits.overrides()?,
        };
        Self::with_config(py, overrides.resolve().map_err(value_error)?)
    }

    /// A verifier with the settings `settings()` gave (JSON).
    #[staticmethod]
    fn from_settings(py: Python<'_>, text: &str) -> PyResult<Self> {
        let config: VerifyConfig =
            serde_json::from_str(text).map_err(|e| PyValueError::new_err(format!("not a verifier's settings: {e}")))?;
        Self::with_config(py, config)
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let from_settings = slf.get_type().getattr("from_settings")?;
        Ok((from_settings, (serde_json::to_string(slf.get().verifier.config()).map_err(failed)?,)))
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
        let jobs = workers::jobs(jobs)?;
        let verdicts = if jobs == 1 || programs.len() <= 1 {
            py.detach(|| programs.iter().map(|p| self.verifier.verify(p)).collect())
        } else {
            let place = workers::place(py, jobs)?;
            let threads = place.threads(jobs);
            let workers = self.workers.get(jobs, || {
                let config = *self.verifier.config();
                Ok(Verification::new(config, &SandboxSetup::default(), &place)
                    .map_err(failed)?
                    // When no worker can be started at all (no usable sys.executable), verify here.
                    .or_in_process(self.verifier.clone()))
            })?;
            py.detach(|| workers::map_in_order(&programs, threads, |p| workers.verify(p)))
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

/// The worker process's loop (`python -c "import robosim._robosim as r; r._worker()"`): its
/// job and settings as one JSON line on stdin, then one request per line (`robosim_backend`).
#[pyfunction]
fn _worker(py: Python<'_>) -> PyResult<()> {
    py.detach(robosim_backend::serve_worker).map_err(failed)
}

/// The program in a model's answer, as RoboEval's evaluation (and `robosim eval`) takes it: the
/// code block if there is one, `def task_program():` added when the answer is only its body,
/// cut where the function ends.
#[pyfunction]
fn extract_task_program(answer: &str) -> String {
    robosim_grade::roboeval::post_process(answer)
}

/// The default settings of a verifier, as a dict.
#[pyfunction]
fn default_settings(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    to_python(py, &VerifyConfig::default())
}

/// The default settings of a grader, as a dict.
#[pyfunction]
fn default_grade_settings(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    to_python(py, &robosim_grade::Grading::default())
}

#[pymodule]
fn _robosim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyVerifier>()?;
    m.add_class::<PyVerdict>()?;
    m.add_class::<grade::PyGrader>()?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(default_settings, m)?)?;
    m.add_function(wrap_pyfunction!(default_grade_settings, m)?)?;
    m.add_function(wrap_pyfunction!(_worker, m)?)?;
    m.add_function(wrap_pyfunction!(extract_task_program, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("RobosimError", m.py().get_type::<RobosimError>())?;
    m.add("GUEST_SHA256", robosim_sandbox::GUEST_SHA256)?;
    Ok(())
}
