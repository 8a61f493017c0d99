//! RoboEval's tasks as RoboEval grades them: a program is rewritten as RoboEval's harness
//! rewrites it, run in each state's [`RoboEvalWorld`], its robot calls turned into the trace
//! RoboEval's simulator prints, and each state's check ([`Expr`]) evaluated on that trace.
//!
//! The harness (`simple_tracer.py`) lower-cases every double-quoted string in the program's
//! text, turns `task_program()` into `task_program(robot)` and each API call `f(` into
//! `robot.f(` by plain text substitution (side effects included: `essay(` becomes
//! `esrobot.say(`), multiplies every `time.sleep(x)`'s argument by zero, and runs the result
//! after `import sys`, `import time`. (This is robo-instruct's harness, the one the paper ran;
//! codebotler's own turned `time.sleep(1)` into `time.sleep(0.01)`.) Robosim does the same
//! text rewrite and binds `robot` to its robot module.
//! A state fails when the run raises, or times out where the state does not expect it
//! (a time-out here is running out of fuel or robot calls, never wall time, so grading is
//! deterministic); otherwise its check decides, on the (partial) trace.

use std::sync::LazyLock;

use regex::Regex;
use robosim_protocol::{RobotFunction, Value, truncate_text};
use robosim_sandbox::extract_program;
use robosim_sandbox::{Limits, Outcome, Program, RunReport, Sandbox, Session};
use robosim_world::{RoboEvalState, RoboEvalWorld};
use serde::{Deserialize, Serialize};

use crate::{
    Grading,
    printed::{ReadTrace, read},
    result::{FailedCheck, MAX_REASON_BYTES, WorldResult},
    rtl::Expr,
};

/// One benchmark state and its check, as a RoboEval task file writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "CaseFile")]
pub struct RoboEvalCase {
    pub state: RoboEvalState,
    /// The program is expected to run until it is stopped (it waits for something that never
    /// comes); the check then judges what it did until then.
    pub timeout: bool,
    pub check: Expr,
    built: RoboEvalWorld,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    locations: Vec<String>,
    #[serde(default)]
    objects: Vec<robosim_world::RoboEvalObject>,
    #[serde(default)]
    agents: Vec<robosim_world::RoboEvalAgent>,
    robot: String,
    #[serde(default)]
    timeout: bool,
    check: Expr,
}

impl TryFrom<CaseFile> for RoboEvalCase {
    type Error = String;

    fn try_from(file: CaseFile) -> Result<Self, String> {
        let CaseFile { locations, objects, agents, robot, timeout, check } = file;
        let state = RoboEvalState { locations, objects, agents, robot };
        let built = RoboEvalWorld::new(&state).map_err(|e| e.to_string())?;
        Ok(Self { state, timeout, check, built })
    }
}

impl RoboEvalCase {
    /// A fresh copy of the state's world.
    #[must_use]
    pub fn fresh(&self) -> RoboEvalWorld {
        self.built.clone()
    }
}

/// `time.sleep(…)` with up to two levels of parentheses inside, as the harness's regular
/// expression finds it (the same leftmost-first match in `regex` as in Python's `re`).
static SLEEP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"time\.sleep\(((?:[^()]+|\((?:[^()]+|\([^()]*\))*\))*)\)").expect("a valid pattern"));

/// What RoboEval's harness runs for `program`: its text rewrite, after `import sys`,
/// `import time` and with `robot` bound to the robot module.
#[must_use]
pub fn harness_source(program: &str) -> String {
    let mut text = robosim_sandbox::lowercase_double_quoted(program);
    text = text.replace("task_program()", "task_program(robot)");
    for function in [
        RobotFunction::GetCurrentLocation,
        RobotFunction::GetAllRooms,
        RobotFunction::IsInRoom,
        RobotFunction::Say,
        RobotFunction::GoTo,
        RobotFunction::Ask,
        RobotFunction::Pick,
        RobotFunction::Place,
    ] {
        let name = function.name();
        text = text.replace(&format!("{name}("), &format!("robot.{name}("));
    }
    text = SLEEP.replace_all(&text, "time.sleep(($1) * 0)").into_owned();
    format!("{HARNESS_PRELUDE}{text}\n\ntask_program(robot)\n")
}

/// What RoboEval's harness puts before the program (every rewrite after it keeps the
/// program's lines where they were).
const HARNESS_PRELUDE: &str = "import sys\nimport time\nimport robot\n";

/// The completion's own line of a line of [`harness_source`] (none for the harness's lines).
fn completion_line(harness_line: u32) -> Option<u32> {
    let prelude = HARNESS_PRELUDE.matches('\n').count() as u32;
    harness_line.checked_sub(prelude).filter(|l| *l > 0)
}

/// How one state's run ended, as RoboEval sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateRun {
    /// robosim could not finish the run (the wall-clock safety net fired): the state is not
    /// graded, as no verdict of RoboEval's depends on the machine.
    NotRun,
    /// The program finished (or timed out as the state expects): the check decides.
    Judge,
    /// It timed out where it should not have.
    UnexpectedTimeout,
    /// It raised (a Python error or a robot error): the state fails.
    Raised,
}

/// How RoboEval's harness takes `outcome` for a state that does or does not expect a
/// time-out.
#[must_use]
pub fn state_run(outcome: &Outcome, expects_timeout: bool) -> StateRun {
    match outcome {
        Outcome::Completed => StateRun::Judge,
        // `exit()`, `exit(0)`: the interpreter ends with status 0, a success for the harness.
        Outcome::Exited { code: Value::None | Value::Int(0) } => StateRun::Judge,
        Outcome::DeadlineExceeded => StateRun::NotRun,
        // Stopped by a budget: where RoboEval's wall clock would have stopped it.
        Outcome::FuelExhausted | Outcome::RobotCallLimitExceeded | Outcome::RobotDataLimitExceeded => {
            if expects_timeout { StateRun::Judge } else { StateRun::UnexpectedTimeout }
        }
        _ => StateRun::Raised,
    }
}

/// Robot calls a state that expects a time-out may make before it is stopped. RoboEval's
/// harness stops a run after 1 s of wall time (its sleeps take no time), by which a waiting
/// loop has made thousands of calls; the checks of the states that expect the wait look at
/// what happens at the first visits, which 1,000 calls cover (on the labelled corpus's 286
/// such states every verdict agrees).
pub const TIMEOUT_ROBOT_CALLS: u64 = 1_000;

/// The limits of a run in `case`: a waiting program is stopped after
/// [`TIMEOUT_ROBOT_CALLS`] where the state expects it to wait.
fn case_limits(case: &RoboEvalCase, limits: &Limits) -> Limits {
    if case.timeout { Limits { robot_calls: limits.robot_calls.min(TIMEOUT_ROBOT_CALLS), ..*limits } } else { *limits }
}

/// The program RoboEval's harness runs for a completion.
fn harness_program(source: &str) -> Program {
    Program::script(harness_source(&extract_program(source)), "<completion>")
}

/// Runs `source` in one state (in a fresh instance): the report and the trace, read as
/// `grading` says.
#[must_use]
pub fn run_state(case: &RoboEvalCase, source: &str, sandbox: &Sandbox, grading: &Grading) -> (RunReport, ReadTrace) {
    run_case(&harness_program(source), case, sandbox, grading)
}

fn run_case(program: &Program, case: &RoboEvalCase, sandbox: &Sandbox, grading: &Grading) -> (RunReport, ReadTrace) {
    run_in(&mut sandbox.session(program), case, grading)
}

/// Runs the session's program in `case`'s state.
fn run_in(session: &mut Session<'_>, case: &RoboEvalCase, grading: &Grading) -> (RunReport, ReadTrace) {
    let (report, _) = session.run_with(case.fresh(), &case_limits(case, &grading.limits), 0);
    let trace = read(grading.trace, &report.trace, &report.stdout, &report.stdout_writes);
    (report, trace)
}

/// The error RoboEval records for a state that timed out where it should not have.
const UNEXPECTED_TIMEOUT: &str = "SIM: TimeoutError: program should not timeout";

/// The name of state `i` in results.
pub(crate) fn state_name(i: usize) -> String {
    format!("state {i}")
}

/// Whether two lists of cases run the same states (RoboEval's state and time-out expectation,
/// in the same order), so that one run of a state serves both lists' checks: a task and its
/// ablations.
pub(crate) fn same_states(a: &[RoboEvalCase], b: &[RoboEvalCase]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.state == y.state && x.timeout == y.timeout)
}

/// Runs `source` in every state, in one session, and judges each as RoboEval does,
/// once for each list of cases in `sets`: the lists must have [`same_states`], so each state is
/// run once and only the checks differ. One result list per set.
pub(crate) fn grade_state_sets(
    sets: &[&[RoboEvalCase]],
    source: &str,
    sandbox: &Sandbox,
    grading: &Grading,
) -> Vec<Vec<WorldResult>> {
    let program = harness_program(source);
    let mut results: Vec<Vec<WorldResult>> = sets.iter().map(|set| Vec::with_capacity(set.len())).collect();
    let Some(first) = sets.first() else { return results };
    // The states share an instance as a program's paths do (see `Session`): each still starts
    // from a fresh namespace and world, no other program's runs ever reach it, and the states
    // run in their fixed order, so a grade stays a function of the completion and the settings.
    let mut session = sandbox.session(&program);
    for (i, case) in first.iter().enumerate() {
        let (report, trace) = run_in(&mut session, case, grading);
        for (set, out) in sets.iter().zip(&mut results) {
            out.push(judge(i, &set[i], &report, &trace));
        }
    }
    results
}

/// How state `i` fares, as RoboEval judges `case` on a run and its trace.
fn judge(i: usize, case: &RoboEvalCase, report: &RunReport, read: &ReadTrace) -> WorldResult {
    let trace = &read.elements;
    let mut result = WorldResult::of_run(state_name(i), report, report.trace.len());
    result.trace_cut = read.cut;
    result.line = result.line.and_then(completion_line);
    let error = match state_run(&report.outcome, case.timeout) {
        StateRun::NotRun => {
            result.outcome = crate::NOT_RUN.to_owned();
            Some(robosim_sandbox::DEADLINE_NOT_RUN.to_owned())
        }
        StateRun::Raised => Some(format!("SIM: {}", report.outcome.error_line())),
        StateRun::UnexpectedTimeout => Some(UNEXPECTED_TIMEOUT.to_owned()),
        StateRun::Judge => match case.check.eval(trace) {
            Ok(passed) => {
                result.passed = passed;
                if !passed {
                    let reason = "the state's check does not hold on the trace".to_owned();
                    result.failed_checks.push(FailedCheck { check: state_name(i), reason });
                }
                None
            }
            Err(e) => Some(format!("EVAL: {e}")),
        },
    };
    result.error = error.map(|e| truncate_text(&e, MAX_REASON_BYTES));
    result.keep_calls_if_failed(report);
    result
}

/// How RoboEval's evaluation script files a completion in its error breakdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EvalClass {
    /// Every state passed.
    Success,
    /// It ran everywhere it should, and some state's check failed.
    CompletionError,
    /// A state raised a Python error, or timed out where it should not have.
    PythonError,
    /// A state raised a robot error.
    RobotExecutionError,
}

impl EvalClass {
    /// RoboEval's name for it.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Success => "Success",
            Self::CompletionError => "CompletionError",
            Self::PythonError => "PythonError",
            Self::RobotExecutionError => "RobotExecutionError",
        }
    }

    /// Files a completion by its states' results (from grading a RoboEval task), as
    /// RoboEval's `evaluate_program` does: the first state, in order, that did not run as it
    /// should decides (an unexpected time-out is a Python error; an exception is a robot
    /// error when its message names a robot error, as RoboEval tests for "Robot" in it);
    /// otherwise a failed check makes it a completion error.
    #[must_use]
    pub fn of(states: &[WorldResult]) -> Self {
        for state in states {
            match state.error.as_deref() {
                None => {}
                Some(UNEXPECTED_TIMEOUT) => return Self::PythonError,
                Some(error) if error.contains("Robot") => return Self::RobotExecutionError,
                Some(_) => return Self::PythonError,
            }
        }
        if states.iter().all(|s| s.passed) { Self::Success } else { Self::CompletionError }
    }
}

impl std::fmt::Display for EvalClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The program RoboEval's evaluation takes from a model's answer: the text inside a
/// ```` ```python ```` fence if there is one, `def task_program():` put in front when the
/// answer does not have it (a base model continues a prompt that ends in it), and everything
/// from the next line that starts at column 0 (code after the function) cut off.
#[must_use]
pub fn post_process(answer: &str) -> String {
    const HEAD: &str = "def task_program():\n";
    const CHAT_HEADER: &str = "<|start_header_id|>assistant<|end_header_id|>";
    let mut text: &str = answer;
    let unheaded;
    if text.contains(CHAT_HEADER) {
        unheaded = text.replace(CHAT_HEADER, "");
        text = unheaded.trim();
    }
    if let Some(i) = text.find("```python") {
        text = &text[i + "```python".len()..];
    }
    if let Some(i) = text.find("```") {
        text = &text[..i];
    }
    let program = if text.contains(HEAD) { text.to_owned() } else { format!("{HEAD}{text}") };
    let start = program.find(HEAD).unwrap_or(0);
    let body = &program[start + HEAD.len()..];
    // RoboEval cuts at the first `\n` followed by a character that is not white space.
    let end = body
        .char_indices()
        .find(|&(i, c)| c == '\n' && body[i + 1..].chars().next().is_some_and(|next| !next.is_whitespace()))
        .map_or(body.len(), |(i, _)| i);
    program[start..start + HEAD.len() + end].to_owned()
}
