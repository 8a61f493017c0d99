//! Grading a JSONL file of completions: each one run in every world of its task, in
//! parallel, records written in input order.

use std::{
    collections::{BTreeMap, HashMap},
    fs::File,
    io::BufReader,
    path::PathBuf,
    time::Instant,
};

use robosim_protocol::{RobotFunction, Value as PyValue};
use robosim_sandbox::extract_program;
use robosim_sandbox::{CallResult, Outcome, Program, RunReport, Sandbox};
use robosim_world::key;
use serde::Serialize;
use serde_json::Value;

use crate::{
    Error, Grading, TraceReading,
    check::Run,
    grader::Grader,
    pattern::Step,
    result::{FailedCheck, MAX_REASON_BYTES, WorldResult},
    roboeval::{RoboEvalCase, grade_state_sets, same_states},
    task::Task,
};

/// What to grade and where the records go.
#[derive(Debug, Clone)]
pub struct GradeConfig {
    /// JSONL: one object per line with `task` (a task name) and `completion` (or `program`);
    /// `id` and `prompt` are carried through.
    pub completions: PathBuf,
    /// One record per line [default: beside the input, `X.jsonl` → `X.grades.jsonl`, named as
    /// `verify-batch` names its outputs].
    pub output: PathBuf,
    /// Threads calling the grader (for worker processes, more than there are workers:
    /// `robosim_backend::Place::threads`).
    pub jobs: usize,
    /// Completions larger than this are invalid input.
    pub max_program_bytes: usize,
}

impl GradeConfig {
    #[must_use]
    pub fn new(completions: impl Into<PathBuf>) -> Self {
        let completions = completions.into();
        let jobs = robosim_parallel::cores();
        Self {
            output: robosim_fs::beside(&completions, "grades"),
            completions,
            jobs,
            max_program_bytes: robosim_sandbox::DEFAULT_MAX_PROGRAM_BYTES,
        }
    }
}

/// Progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Started { total: u64 },
    Graded { status: GradeStatus },
}

/// A line of the grades file (written with every object's keys in alphabetical order, as the
/// file has always had them).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GradeRecord {
    /// The completion's `id` (null when it has none); absent for invalid input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    /// 1-based line of the completions file.
    pub line: usize,
    /// Why the line was not graded (invalid input only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The completion's `prompt` (null when it has none); absent for invalid input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<Value>,
    pub status: GradeStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// How the trace was read: for a RoboEval task the grader's reading, for robosim's own
    /// tasks always `calls`; absent for invalid input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<TraceReading>,
    /// One result per world of the task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worlds: Option<Vec<WorldResult>>,
}

/// How a completion fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GradeStatus {
    /// Every check held in every world.
    Passed,
    Failed,
    /// Not graded: bad JSON, unknown task, no completion, too large.
    InvalidInput,
    /// robosim could not finish grading it (its own failure: the wall-clock safety net, a
    /// dead worker): not counted as passed or failed.
    NotRun,
}

impl GradeStatus {
    /// How a completion fared in `worlds`: not run if any world was not run, else passed if
    /// every world passed.
    #[must_use]
    pub fn of(worlds: &[WorldResult]) -> Self {
        if worlds.iter().any(WorldResult::not_run) {
            Self::NotRun
        } else if worlds.iter().all(|w| w.passed) {
            Self::Passed
        } else {
            Self::Failed
        }
    }

    /// The name records and metrics give it (as serde writes it).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::InvalidInput => "invalid_input",
            Self::NotRun => "not_run",
        }
    }
}

impl GradeRecord {
    /// The record of the completion `value` on line `line`, graded on `task` with `worlds`,
    /// a RoboEval task's trace read as `trace`.
    #[must_use]
    pub fn graded(line: usize, value: &Value, task: &Task, trace: TraceReading, worlds: Vec<WorldResult>) -> Self {
        let status = GradeStatus::of(&worlds);
        Self {
            id: Some(value.get("id").cloned().unwrap_or(Value::Null)),
            line,
            message: None,
            prompt: Some(value.get("prompt").cloned().unwrap_or(Value::Null)),
            status,
            task: Some(task.name.clone()),
            trace: Some(if task.states.is_empty() { TraceReading::Calls } else { trace }),
            worlds: Some(worlds),
        }
    }

    /// The record of line `line`, which could not be graded.
    #[must_use]
    pub fn invalid(line: usize, message: String) -> Self {
        Self {
            id: None,
            line,
            message: Some(message),
            prompt: None,
            status: GradeStatus::InvalidInput,
            task: None,
            trace: None,
            worlds: None,
        }
    }
}

/// pass@1 of one task.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TaskSummary {
    pub completions: u64,
    pub passed: u64,
    pub pass_at_1: f64,
}

/// The whole grading run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub completions: u64,
    pub passed: u64,
    pub failed: u64,
    pub invalid_input: u64,
    /// Completions robosim could not finish grading (its failure, not theirs): left out of
    /// pass@1.
    pub not_run: u64,
    /// Passed / graded completions.
    pub pass_at_1: f64,
    /// The mean of the tasks' pass@1 (each task counts once, however many completions).
    pub mean_task_pass_at_1: f64,
    pub tasks: BTreeMap<String, TaskSummary>,
    /// `line N (id) task / world: check: reason`, for every failure.
    pub failures: Vec<String>,
    pub wall_time: f64,
}

/// The events of a run's trace, each with where the robot was when it made the call.
#[must_use]
pub fn run_events(report: &RunReport, start: &str, rooms: &[String]) -> Vec<Step> {
    let mut at = start.to_owned();
    report
        .trace
        .iter()
        .map(|e| {
            let returned = match &e.result {
                CallResult::Returned(v) => Some(v.clone()),
                CallResult::Raised(_) => None,
            };
            let event = Step { function: e.function, args: e.args.clone(), returned, at: at.clone() };
            if e.function == RobotFunction::GoTo && event.returned.is_some() {
                let to = e.args.first().and_then(PyValue::as_str).unwrap_or_default();
                if let Some(room) = rooms.iter().find(|r| key(r) == key(to)) {
                    at.clone_from(room);
                }
            }
            event
        })
        .collect()
}

/// [`grade_one`] on `task` and on each of `also`, in that order; where they share their
/// RoboEval states (a task and its ablations), each state is run once and judged by every
/// task's check.
pub fn grade_together(
    task: &Task,
    also: &[&Task],
    source: &str,
    sandbox: &Sandbox,
    grading: &Grading,
) -> Vec<Vec<WorldResult>> {
    let shared = !task.states.is_empty() && also.iter().all(|t| same_states(&task.states, &t.states));
    if shared {
        let sets: Vec<&[RoboEvalCase]> =
            std::iter::once(task).chain(also.iter().copied()).map(|t| t.states.as_slice()).collect();
        return grade_state_sets(&sets, source, sandbox, grading);
    }
    std::iter::once(task).chain(also.iter().copied()).map(|t| grade_one(t, source, sandbox, grading)).collect()
}

/// Runs `source` in every world of `task` and checks each run, as `grading` says. The runs of
/// one completion share an instance while that is safe, as a program's paths do
/// ([`Session`](robosim_sandbox::Session)): each starts with a fresh namespace and world; a
/// completion's runs start from the pristine snapshot in an instance no other completion
/// has used, so it cannot reach another completion's runs.
pub fn grade_one(task: &Task, source: &str, sandbox: &Sandbox, grading: &Grading) -> Vec<WorldResult> {
    if !task.states.is_empty() {
        return grade_state_sets(&[&task.states], source, sandbox, grading).pop().unwrap_or_default();
    }
    let limits = &grading.limits;
    let program = Program {
        source: extract_program(source).into_owned(),
        filename: "<completion>".into(),
        entry: Some("task_program".into()),
    };
    // The worlds share an instance as a program's paths do (see `Session`).
    let mut session = sandbox.session(&program);
    task.worlds
        .iter()
        .map(|spec| {
            let world = spec.fresh();
            let start = world.location().to_owned();
            let (report, world) = session.run_with(world, limits, 0);
            let events = run_events(&report, &start, &spec.spec().rooms);
            let mut result = WorldResult::of_run(spec.name().to_owned(), &report, events.len());
            if report.outcome == Outcome::DeadlineExceeded {
                result.outcome = crate::NOT_RUN.to_owned();
                result.error = Some(robosim_sandbox::DEADLINE_NOT_RUN.to_owned());
                return result;
            }
            if !matches!(report.outcome, Outcome::Completed) {
                let line = report.outcome.line().map_or_else(String::new, |l| format!(" (line {l})"));
                let error = format!("{}{line}", report.outcome.error_line());
                result.error = Some(robosim_protocol::truncate_text(&error, MAX_REASON_BYTES));
                result.keep_calls_if_failed(&report);
                return result;
            }
            let run = Run { events: &events, world: &world };
            for check in task.checks.iter().chain(spec.checks()) {
                if let Err(reason) = check.check.eval(&run) {
                    // A reason may quote what the program said: bounded like everything in a record.
                    let reason = robosim_protocol::truncate_text(&reason, MAX_REASON_BYTES);
                    result.failed_checks.push(FailedCheck { check: check.name.clone(), reason });
                }
            }
            result.passed = result.failed_checks.is_empty();
            result.keep_calls_if_failed(&report);
            result
        })
        .collect()
}

/// A line of the completions file, understood.
struct Item<'a> {
    line: usize,
    /// The line's length: with the value parsed from it, about what the item holds.
    bytes: usize,
    input: Result<(Value, &'a Task, String), String>,
}

fn parse<'a>(line: usize, text: Result<String, String>, tasks: &HashMap<&str, &'a Task>, max: usize) -> Item<'a> {
    // The value and the source are copies of the line's text: twice its length, roughly.
    let bytes = text.as_ref().map_or(0, |t| 2 * t.len());
    let input = (|| {
        let text = text?;
        robosim_fs::too_many_values(text.as_bytes())?;
        let value: Value = serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
        let (task, source) = read_completion(&value, tasks, max)?;
        Ok((value, task, source))
    })();
    Item { line, bytes, input }
}

/// A completion object understood: its task (by `task` name among `tasks`) and its source
/// (`completion`, else `program`, at most `max` bytes), or why it cannot be graded.
///
/// # Errors
/// The message of an `invalid_input` record.
pub fn read_completion<'a>(
    value: &Value,
    tasks: &HashMap<&str, &'a Task>,
    max: usize,
) -> Result<(&'a Task, String), String> {
    let name = value.get("task").and_then(Value::as_str).ok_or("no `task` string")?;
    let task = *tasks.get(name).ok_or_else(|| format!("unknown task {name:?}"))?;
    let source = value
        .get("completion")
        .or_else(|| value.get("program"))
        .and_then(Value::as_str)
        .ok_or("no `completion` (or `program`) string")?
        .to_owned();
    if source.len() > max {
        return Err(format!("the completion is {} bytes, over the {max}-byte limit", source.len()));
    }
    Ok((task, source))
}

/// Grades every completion in `config.completions`; writes `config.output`.
///
/// # Errors
/// The completions file cannot be read or the output written.
pub fn grade(
    config: &GradeConfig,
    tasks: &[Task],
    grader: &dyn Grader,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<Summary, Error> {
    let started = Instant::now();
    // No line over the cap is held: a 400 MB line is hashed past and becomes invalid input.
    let cap = robosim_fs::line_cap(config.max_program_bytes);
    let open = || File::open(&config.completions).map_err(|e| io_error(&config.completions, e));
    let count = robosim_fs::bounded_lines(BufReader::new(open()?), cap).count();
    on_progress(Progress::Started { total: count as u64 });
    let by_name: HashMap<&str, &Task> = tasks.iter().map(|t| (t.name.as_str(), t)).collect();
    let lines = robosim_fs::bounded_lines(BufReader::new(open()?), cap).map(|line| {
        line.map_err(|e| format!("unreadable line: {e}")).and_then(|line| match line {
            robosim_fs::RawLine::Kept(raw) => {
                String::from_utf8(raw).map_err(|e| format!("the line is not valid UTF-8 ({e})"))
            }
            robosim_fs::RawLine::TooLong { bytes, .. } => {
                Err(format!("the line is {bytes} bytes; lines longer than the input limit are not read"))
            }
        })
    });
    let items = lines.enumerate().map(|(i, l)| parse(i + 1, l, &by_name, config.max_program_bytes));
    let mut out = robosim_fs::JsonlWriter::create(&config.output)?;
    let mut summary = Summary::default();
    for task in tasks {
        summary.tasks.insert(task.name.clone(), TaskSummary::default());
    }
    robosim_parallel::ordered_map(
        items,
        config.jobs,
        robosim_parallel::Window::ahead(config.jobs),
        |item| item.input.as_ref().ok().map(|(_, task, source)| grader.grade(task, source)),
        |item, worlds| item.bytes + robosim_parallel::json_weight(worlds),
        |item, worlds| {
            let record = summarize(&mut summary, item, grader.trace(), worlds);
            on_progress(Progress::Graded { status: record.status });
            // Keys sorted, as the file has always had them.
            out.sorted_line(&record)?;
            Ok::<(), Error>(out.flush()?)
        },
    )?;
    for task in summary.tasks.values_mut() {
        task.pass_at_1 = ratio(task.passed, task.completions);
    }
    let graded = summary.passed + summary.failed;
    summary.pass_at_1 = ratio(summary.passed, graded);
    let attempted: Vec<f64> = summary.tasks.values().filter(|t| t.completions > 0).map(|t| t.pass_at_1).collect();
    summary.mean_task_pass_at_1 =
        if attempted.is_empty() { 0.0 } else { round(attempted.iter().sum::<f64>() / attempted.len() as f64) };
    summary.wall_time = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// The record of one line, counted into `summary`.
fn summarize(
    summary: &mut Summary,
    item: Item<'_>,
    trace: TraceReading,
    worlds: Option<Vec<WorldResult>>,
) -> GradeRecord {
    summary.completions += 1;
    let ((value, task, _), worlds) = match (item.input, worlds) {
        (Ok(input), Some(worlds)) => (input, worlds),
        (Err(message), _) => {
            summary.invalid_input += 1;
            return GradeRecord::invalid(item.line, message);
        }
        (Ok(_), None) => {
            summary.invalid_input += 1;
            return GradeRecord::invalid(item.line, "not graded".into());
        }
    };
    let id = value.get("id").cloned().unwrap_or(Value::Null);
    if let Some(w) = worlds.iter().find(|w| w.not_run()) {
        summary.not_run += 1;
        let why = w.error.as_deref().unwrap_or_default();
        summary.failures.push(format!("line {} ({id}) {} / {}: not graded: {why}", item.line, task.name, w.world));
        return GradeRecord::graded(item.line, &value, task, trace, worlds);
    }
    let passed = worlds.iter().all(|w| w.passed);
    let entry = summary.tasks.entry(task.name.clone()).or_default();
    entry.completions += 1;
    entry.passed += u64::from(passed);
    if passed {
        summary.passed += 1;
    } else {
        summary.failed += 1;
    }
    for w in worlds.iter().filter(|w| !w.passed) {
        let what = w.error.as_ref().map_or_else(
            || w.failed_checks.iter().map(|c| format!("{}: {}", c.check, c.reason)).collect::<Vec<_>>().join("; "),
            |e| format!("the run failed: {e}"),
        );
        summary.failures.push(format!("line {} ({id}) {} / {}: {what}", item.line, task.name, w.world));
    }
    GradeRecord::graded(item.line, &value, task, trace, worlds)
}

fn io_error(path: &std::path::Path, source: std::io::Error) -> Error {
    Error::Io { path: path.to_owned(), source }
}

fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { round(a as f64 / b as f64) }
}
