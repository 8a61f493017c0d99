//! The explorer: runs one program over many synthesised worlds.

use std::{sync::Arc, time::Instant};

use robosim_sandbox::{
    DEADLINE_NOT_RUN, Limits, Outcome, Program, RunReport, Sandbox, SandboxConfig, Session, extract_program,
    lowercase_double_quoted,
};
use robosim_world::{Replay, SynthWorld, Then};
use serde::{Deserialize, Serialize};

use crate::{
    Decision, ErrorClass, Failure, SearchEnd, Stopped, Verdict,
    guided::{Coverage, Guided, Prefer, Tree},
    verdict::{
        RECORD_BYTES, RECORD_CHOICES, RECORD_VALUE_BYTES, RECORD_VALUE_ITEMS, bounded, bounded_error, bounded_outcome,
        within,
    },
};

/// Paths in a row that show nothing new before a coverage search stops (the default).
pub const DEFAULT_PATIENCE: usize = 12;

/// How the choice tree is explored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Strategy {
    /// Depth-first over the tree of choices, by replay: run with a forced prefix, record the
    /// new choice points, backtrack to the deepest one with an untried alternative. Choices
    /// beyond `max_depth` are random (seeded), so choice-driven loops still end.
    Exhaustive { max_paths: usize, max_depth: usize },
    /// The same tree, searched where paths find something new (see the `guided` module): the
    /// first path, its mirror (the last alternative everywhere), then branches whose side
    /// was never seen at their program site first, else depth-first. Stops *saturated* when
    /// `patience` paths in a row show nothing new (0: never), besides the bounds above.
    Coverage { max_paths: usize, max_depth: usize, patience: usize },
    /// `runs` runs with random choices (seeds `seed`, `seed + 1`, …), as the reference does:
    /// rejected on the first failure, or on the second time-out.
    Random { runs: usize },
}

impl Default for Strategy {
    fn default() -> Self {
        Self::Coverage { max_paths: 100, max_depth: 40, patience: DEFAULT_PATIENCE }
    }
}

/// How a [`Verifier`] explores and bounds each program.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VerifyConfig {
    pub strategy: Strategy,
    /// Seed for random choices and for the guest's entropy.
    pub seed: u64,
    /// Limits for each path.
    pub limits: Limits,
    /// Fuel for all paths of one program together; exploration stops when it is spent.
    pub fuel_budget: u64,
    /// Lower-case double-quoted strings in the source first, as the reference does. Off by
    /// default: the world compares entity names case-insensitively instead (spec §2).
    pub reference_normalization: bool,
    /// The function to call after the module body; the reference calls `task_program()`.
    #[serde(skip)]
    pub entry: Option<&'static str>,
}

impl Default for VerifyConfig {
    fn default() -> Self {
        Self {
            strategy: Strategy::default(),
            seed: 0,
            limits: Limits { fuel: 2_000_000_000, ..Limits::default() },
            fuel_budget: 20_000_000_000,
            reference_normalization: false,
            entry: Some("task_program"),
        }
    }
}

/// What reaches a verdict on a program: a [`Verifier`] in this process, or anything that
/// answers the same (robosim's CLI hands programs to worker processes).
pub trait Verify: Sync + std::fmt::Debug {
    fn verify(&self, source: &str) -> Verdict;

    /// The settings its verdicts are reached under: what a verdicts file's manifest and a
    /// verdict cache's keys record, so they can never differ from the verdicts'.
    fn config(&self) -> &VerifyConfig;
}

impl Verify for Verifier {
    fn verify(&self, source: &str) -> Verdict {
        Self::verify(self, source)
    }

    fn config(&self) -> &VerifyConfig {
        Self::config(self)
    }
}

/// Explores programs and reaches verdicts. Cheap to clone (the [`Sandbox`] is shared) and
/// usable from many threads at once.
#[derive(Debug, Clone)]
pub struct Verifier {
    sandbox: Arc<Sandbox>,
    config: VerifyConfig,
}

type World = SynthWorld<Replay>;

impl Verifier {
    /// A verifier with its own sandbox (default cache, per-path limits from `config`).
    ///
    /// # Errors
    /// When the sandbox cannot be set up (see [`robosim_sandbox::Error`]).
    pub fn new(config: VerifyConfig) -> Result<Self, robosim_sandbox::Error> {
        let sandbox = Sandbox::with_config(SandboxConfig { limits: config.limits, ..SandboxConfig::default() })?;
        Ok(Self::with_sandbox(Arc::new(sandbox), config))
    }

    /// A verifier sharing `sandbox`.
    #[must_use]
    pub const fn with_sandbox(sandbox: Arc<Sandbox>, config: VerifyConfig) -> Self {
        Self { sandbox, config }
    }

    /// The sandbox programs run in.
    #[must_use]
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    #[must_use]
    pub const fn config(&self) -> &VerifyConfig {
        &self.config
    }

    /// The program to run: extracted from an LLM answer, normalised if asked.
    fn program(&self, text: &str) -> Program {
        let source = extract_program(text);
        let source =
            if self.config.reference_normalization { lowercase_double_quoted(&source) } else { source.into_owned() };
        Program { source, filename: "<program>".into(), entry: self.config.entry.map(str::to_owned) }
    }

    /// Runs one path: the given choices first, then as `then` says.
    fn run_path(&self, session: &mut Session<'_>, forced: Vec<u32>, then: Then) -> (RunReport, World) {
        let world = SynthWorld::new(Replay::new(forced, then));
        session.run_with(world, &self.config.limits, self.config.seed)
    }

    /// Replays one path (e.g. a [`Failure`]'s `choices`) in a fresh instance; later choices
    /// take the first alternative.
    #[must_use]
    pub fn replay(&self, source: &str, choices: &[u32]) -> RunReport {
        self.run_path(&mut self.sandbox.session(&self.program(source)), choices.to_vec(), Then::First).0
    }

    /// Explores `source` and returns the verdict. The program starts from the pristine
    /// snapshot in an instance of its own (see [`Session`]): its verdict does not depend on
    /// what was verified before it, on this thread or any other.
    #[must_use]
    pub fn verify(&self, source: &str) -> Verdict {
        let started = Instant::now();
        let program = self.program(source);
        let mut session = self.sandbox.session(&program);
        let mut search = Search::default();
        let stopped = match self.config.strategy {
            Strategy::Exhaustive { max_paths, max_depth } => {
                self.depth_first(&mut session, &mut search, max_paths, max_depth)
            }
            Strategy::Coverage { max_paths, max_depth, patience } => {
                self.guided(&mut session, &mut search, Bounds { max_paths, max_depth, patience })
            }
            Strategy::Random { runs } => self.random(&mut session, &mut search, runs),
        };
        if search.deadline {
            return Verdict::not_run(DEADLINE_NOT_RUN.to_owned(), search.paths, search.fuel, started.elapsed());
        }
        let decision = match search.failure {
            Some(failure) => Decision::Rejected { failure: Box::new(failure) },
            // The searches stop `Failed` only with a failure and never `NotRun`.
            None => Decision::Accepted { stopped: SearchEnd::of(stopped).unwrap_or(SearchEnd::Capped) },
        };
        Verdict { decision, paths: search.paths, fuel_used: search.fuel, wall_time: started.elapsed() }
    }

    /// Stops `Exhausted` when the whole tree (within the depth bound) was explored.
    fn depth_first(
        &self,
        session: &mut Session<'_>,
        search: &mut Search,
        max_paths: usize,
        max_depth: usize,
    ) -> Stopped {
        let mut prefix = Vec::new();
        let mut truncated = false;
        loop {
            if search.paths >= max_paths || search.fuel >= self.config.fuel_budget {
                return Stopped::Capped;
            }
            let rng = fastrand::Rng::with_seed(self.config.seed ^ search.paths as u64);
            let (report, world) = self.run_path(session, prefix, Then::FirstUpTo { depth: max_depth, rng });
            if search.record(report, world.choices()) {
                return Stopped::Failed;
            }
            let choices = world.choices();
            truncated |= choices.len() > max_depth;
            let branchable = &choices[..choices.len().min(max_depth)];
            // The deepest choice with an untried alternative; everything after it is redone.
            let Some(i) = branchable.iter().rposition(|c| c.chosen + 1 < c.alternatives) else {
                return if truncated { Stopped::Capped } else { Stopped::Exhausted };
            };
            prefix = branchable[..i].iter().map(|c| c.chosen).collect();
            prefix.push(branchable[i].chosen + 1);
        }
    }

    /// The coverage-guided search (see [`Strategy::Coverage`]).
    fn guided(&self, session: &mut Session<'_>, search: &mut Search, bounds: Bounds) -> Stopped {
        let mut tree = Tree::default();
        let mut coverage = Coverage::default();
        let (mut truncated, mut stale) = (false, 0);
        let (mut prefix, mut mirror) = (Vec::new(), false);
        loop {
            if search.paths >= bounds.max_paths || search.fuel >= self.config.fuel_budget {
                return Stopped::Capped;
            }
            let rng = fastrand::Rng::with_seed(self.config.seed ^ search.paths as u64);
            let prefer = if mirror { Prefer::Last } else { Prefer::Unseen(Arc::clone(&coverage.seen)) };
            let world = SynthWorld::new(Guided::new(prefix, bounds.max_depth, prefer, rng));
            let (report, world) = session.run_with(world, &self.config.limits, self.config.seed);
            // The chooser (and its share of the seen sides) goes with the world.
            let choices = world.into_choices();
            let new = coverage.add(&report, &choices);
            if search.record(report, &choices) {
                return Stopped::Failed;
            }
            truncated |= choices.len() > bounds.max_depth;
            let nodes = tree.insert(&choices, bounds.max_depth);
            tree.offer(&nodes, new > 0, search.paths, &coverage.seen);
            stale = if new == 0 { stale + 1 } else { 0 };
            // The second path mirrors the first: the last alternative at every choice.
            mirror = search.paths == 1 && tree.has_untried();
            let next = if mirror { Some(Vec::new()) } else { tree.next(&coverage.seen) };
            let Some(next) = next else {
                return if truncated { Stopped::Capped } else { Stopped::Exhausted };
            };
            if bounds.patience > 0 && stale >= bounds.patience {
                return Stopped::Saturated;
            }
            prefix = next;
        }
    }

    fn random(&self, session: &mut Session<'_>, search: &mut Search, runs: usize) -> Stopped {
        let mut timeouts = 0;
        for run in 0..runs {
            if search.fuel >= self.config.fuel_budget {
                return Stopped::Capped;
            }
            let rng = fastrand::Rng::with_seed(self.config.seed.wrapping_add(run as u64));
            let (report, world) = self.run_path(session, Vec::new(), Then::Random(rng));
            // The wall-clock safety net is no time-out of the program's (see `Search::record`).
            let timed_out = report.outcome != Outcome::DeadlineExceeded
                && ErrorClass::of(&report.outcome) == Some(ErrorClass::TimeOut);
            timeouts += usize::from(timed_out);
            // As the reference: one time-out may be bad luck, two reject.
            if timed_out && timeouts < 2 {
                search.paths += 1;
                search.fuel = search.fuel.saturating_add(report.fuel_used);
                continue;
            }
            if search.record(report, world.choices()) {
                return Stopped::Failed;
            }
        }
        Stopped::Capped
    }
}

/// The bounds of a coverage search.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    max_paths: usize,
    max_depth: usize,
    patience: usize,
}

/// What the exploration has found so far.
#[derive(Debug, Default)]
struct Search {
    paths: usize,
    fuel: u64,
    failure: Option<Failure>,
    /// A path hit the wall-clock deadline: the program was not verified (robosim's failure).
    deadline: bool,
}

impl Search {
    /// Counts a finished path; returns true (stop) when it failed, or when it hit the
    /// wall-clock deadline (a safety net: fuel ends every run long before it on a machine
    /// that keeps up, so hitting it says nothing about the program).
    fn record(&mut self, report: RunReport, choices: &[robosim_world::ChoiceRecord]) -> bool {
        self.paths += 1;
        self.fuel = self.fuel.saturating_add(report.fuel_used);
        if report.outcome == Outcome::DeadlineExceeded {
            self.deadline = true;
            return true;
        }
        let Some(class) = ErrorClass::of(&report.outcome) else {
            return false;
        };
        let (mut decisions, decisions_omitted) =
            bounded(choices, |c| c.truncated(RECORD_VALUE_BYTES, RECORD_VALUE_ITEMS));
        let (mut trace, trace_omitted) =
            bounded(&report.trace, |e| e.truncated(RECORD_VALUE_BYTES, RECORD_VALUE_ITEMS));
        // Both within one byte budget: each cut alone leaves a verdict of up to some MiB.
        let left = within(&mut decisions, RECORD_BYTES / 2, |c| c.truncated(0, 0));
        within(&mut trace, RECORD_BYTES / 2 + left, |e| e.truncated(0, 0));
        self.failure = Some(Failure {
            class,
            line: report.outcome.line(),
            error: bounded_error(&report.outcome.error_line()),
            choices: choices.iter().take(RECORD_CHOICES).map(|c| c.chosen).collect(),
            choices_omitted: choices.len().saturating_sub(RECORD_CHOICES),
            decisions,
            decisions_omitted,
            trace,
            trace_omitted,
            outcome: bounded_outcome(report.outcome),
        });
        true
    }
}
