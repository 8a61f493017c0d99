//! What the commands share: exit statuses, limit, exploration and `-j/--jobs` arguments, and
//! how a trace is printed.

use std::{io::Write, path::PathBuf, time::Duration};

use clap::Args;
use robosim::{
    CallResult, TraceEvent,
    llm::ClientConfig,
    verify::{VerifyConfig, VerifyOverrides},
};

/// How a command ended; the process exits with its code (as ruff does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitStatus {
    /// 0: nothing to report.
    Success,
    /// 1: findings (a program was rejected, a completion failed, a line was invalid).
    Failure,
    /// 2: the tool itself failed (bad arguments, unreadable files, a broken task file).
    Error,
}

impl ExitStatus {
    pub(crate) const fn failure_if(findings: bool) -> Self {
        if findings { Self::Failure } else { Self::Success }
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        match status {
            ExitStatus::Success => Self::SUCCESS,
            ExitStatus::Failure => Self::from(1),
            ExitStatus::Error => Self::from(2),
        }
    }
}

/// Where the model is served and how requests are retried and cached, shared by the commands
/// that ask a model.
#[derive(Debug, Args)]
pub(crate) struct ServerArgs {
    /// The server's API root (vLLM: http://127.0.0.1:8000/v1; llama.cpp: http://127.0.0.1:8080/v1; Ollama:
    /// http://127.0.0.1:11434/v1).
    #[arg(long, env = "ROBOSIM_LLM_BASE_URL", default_value = "http://127.0.0.1:8000/v1")]
    pub(crate) base_url: String,
    /// The model name the server knows.
    #[arg(long, env = "ROBOSIM_LLM_MODEL")]
    model: String,
    /// The environment variable holding the API key (sent as a bearer token if set).
    #[arg(long, default_value = "OPENAI_API_KEY", value_name = "VAR")]
    api_key_env: String,
    /// Seconds per request attempt.
    #[arg(long, default_value_t = 120.0)]
    timeout: f64,
    /// Retries per request (429, 5xx, time-outs, broken answers), with exponential backoff.
    #[arg(long, default_value_t = 5)]
    retries: u32,
    /// The first backoff, in milliseconds (doubles per retry, up to 30 s).
    #[arg(long, default_value_t = 1000)]
    backoff_ms: u64,
    /// The response cache [default: OUT/cache].
    #[arg(long, value_name = "DIR")]
    llm_cache: Option<PathBuf>,
    /// Ask the server every time.
    #[arg(long, conflicts_with = "llm_cache")]
    no_llm_cache: bool,
}

impl ServerArgs {
    /// The client settings, caching under `out/cache` unless told otherwise; sampling
    /// settings are the client's defaults until the command sets them.
    pub(crate) fn client_config(&self, out: &std::path::Path) -> anyhow::Result<ClientConfig> {
        let mut llm = ClientConfig::new(&self.base_url, &self.model);
        llm.api_key = std::env::var(&self.api_key_env).ok().filter(|k| !k.is_empty());
        llm.timeout = Duration::try_from_secs_f64(self.timeout)?;
        llm.retries = self.retries;
        llm.backoff = Duration::from_millis(self.backoff_ms);
        llm.cache_dir = (!self.no_llm_cache).then(|| self.llm_cache.clone().unwrap_or_else(|| out.join("cache")));
        Ok(llm)
    }
}

/// Per-run limits, shared by the commands that run programs. Each flag only overrides: the
/// defaults are the job's own (`robosim settings verify|grade` prints them).
#[derive(Debug, Args)]
pub(crate) struct LimitArgs {
    /// Fuel for the program, per run (about 7.7 G per second of compute) [default: 2 G per
    /// path to verify, 1 G per world or state to grade, 5 G to run a program].
    #[arg(long)]
    fuel: Option<u64>,
    /// Guest memory, in MiB [default: 256].
    #[arg(long)]
    memory_mib: Option<u64>,
    /// Wall-clock deadline per run, in milliseconds (a safety net behind fuel) [default: 10000].
    #[arg(long)]
    deadline_ms: Option<u64>,
    /// Bytes of printed output kept before the run is stopped [default: 1 MiB].
    #[arg(long)]
    output_bytes: Option<u64>,
    /// Robot calls allowed per run [default: 10000].
    #[arg(long)]
    robot_calls: Option<u64>,
    /// Bytes a run may pass to and get back from the world (robot-call arguments and
    /// results, `in` queries), counted as JSON [default: 1 MiB].
    #[arg(long)]
    robot_data_bytes: Option<u64>,
}

impl LimitArgs {
    pub(crate) const fn overrides(&self) -> robosim::LimitOverrides {
        robosim::LimitOverrides {
            fuel: self.fuel,
            memory_mib: self.memory_mib,
            deadline_ms: self.deadline_ms,
            output_bytes: self.output_bytes,
            robot_calls: self.robot_calls,
            robot_data_bytes: self.robot_data_bytes,
        }
    }
}

/// The settings of grading: limits and the reading of the trace.
#[derive(Debug, Args)]
pub(crate) struct GradingArgs {
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    trace: TraceArgs,
}

impl GradingArgs {
    /// What the flags set.
    pub(crate) const fn overrides(&self) -> robosim::grade::GradeOverrides {
        robosim::grade::GradeOverrides { trace: self.trace.reading(), limits: self.limits.overrides() }
    }

    /// The grading settings: the flags given over grading's defaults.
    pub(crate) fn grading(&self) -> anyhow::Result<robosim::grade::Grading> {
        Ok(self.overrides().resolve()?)
    }
}

/// How a RoboEval state's trace is read for its check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Trace {
    /// As RoboEval's harness reads it from stdout: a line the program prints ends the trace
    /// (published numbers reproduce).
    Printed,
    /// Every robot call the host recorded; what the program prints neither adds nor cuts.
    /// For untrusted grading (RL rewards).
    Calls,
}

/// `--trace`.
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct TraceArgs {
    /// How the trace of a RoboEval state is read: `printed` (RoboEval's reading) or `calls`
    /// (what the robot did, for untrusted completions).
    /// [default: printed]
    #[arg(long, value_enum)]
    trace: Option<Trace>,
}

impl TraceArgs {
    pub(crate) const fn reading(self) -> Option<robosim::grade::TraceReading> {
        match self.trace {
            None => None,
            Some(Trace::Printed) => Some(robosim::grade::TraceReading::Printed),
            Some(Trace::Calls) => Some(robosim::grade::TraceReading::Calls),
        }
    }
}

/// The search over a program's tree of choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Search {
    Coverage,
    Exhaustive,
}

/// How programs are explored and bounded (verification). Each flag only overrides: the
/// defaults are [`VerifyConfig::default`]'s (`robosim settings verify` prints them).
#[derive(Debug, Args)]
pub(crate) struct ExploreArgs {
    /// Explore with N random runs per program (as the reference does) instead of searching
    /// the tree of choices.
    #[arg(long, value_name = "N", conflicts_with = "search")]
    random: Option<u64>,
    /// How the tree of choices is searched: `coverage` (where paths show something new,
    /// stopping when `--patience` paths in a row show nothing) or `exhaustive` (plain
    /// depth-first, up to the bounds) [default: coverage].
    #[arg(long, value_enum)]
    search: Option<Search>,
    /// Coverage search: paths in a row that show nothing new before it stops (0: never) [default: 12].
    #[arg(long)]
    patience: Option<u64>,
    /// Paths per program, at most [default: 100].
    #[arg(long)]
    max_paths: Option<u64>,
    /// Choice points explored systematically per path; deeper ones are random [default: 40].
    #[arg(long)]
    max_depth: Option<u64>,
    /// Seed for random choices and the guest's entropy [default: 0].
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// Fuel for all paths of one program together [default: 20 G].
    #[arg(long)]
    fuel_budget: Option<u64>,
    /// Lower-case double-quoted strings first, exactly as the reference checker does.
    #[arg(long)]
    reference_normalization: bool,
    #[command(flatten)]
    limits: LimitArgs,
}

impl ExploreArgs {
    /// What the flags set.
    pub(crate) const fn overrides(&self) -> VerifyOverrides {
        let search = match (self.random, self.search) {
            (Some(_), _) => Some(robosim::verify::Search::Random),
            (None, Some(Search::Coverage)) => Some(robosim::verify::Search::Coverage),
            (None, Some(Search::Exhaustive)) => Some(robosim::verify::Search::Exhaustive),
            (None, None) => None,
        };
        VerifyOverrides {
            search,
            max_paths: self.max_paths,
            max_depth: self.max_depth,
            patience: self.patience,
            random_runs: self.random,
            seed: self.seed,
            fuel_budget: self.fuel_budget,
            reference_normalization: if self.reference_normalization { Some(true) } else { None },
            limits: self.limits.overrides(),
        }
    }

    /// The verification settings: the flags given over the defaults.
    pub(crate) fn config(&self) -> anyhow::Result<VerifyConfig> {
        Ok(self.overrides().resolve()?)
    }
}

/// Prints robot calls one per line: `   3  pick('cup') -> None`.
pub(crate) fn print_trace(out: &mut impl Write, trace: &[TraceEvent]) -> std::io::Result<()> {
    for (i, event) in trace.iter().enumerate() {
        let args: Vec<String> = event.args.iter().map(robosim::protocol::Value::repr).collect();
        let result = match &event.result {
            CallResult::Returned(value) => format!("-> {}", value.repr()),
            CallResult::Raised(error) => format!("!! {error}"),
        };
        writeln!(out, "{:>4}  {}({}) {result}", i + 1, event.function, args.join(", "))?;
    }
    Ok(())
}

/// The progress bar of a command working through a known number of items (set later with
/// `set_length`), with a message slot for running counts.
pub(crate) fn progress_bar() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {per_sec} ETA {eta} {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// `-j/--jobs`, shared by every command that runs programs in parallel: the same meaning
/// everywhere (requests to a model in flight are `--concurrency`).
#[derive(Debug, Args)]
pub(crate) struct JobsArgs {
    /// Programs run at once: 1 in this process, more in as many worker processes [default:
    /// all cores].
    #[arg(long, short)]
    jobs: Option<usize>,
}

impl JobsArgs {
    pub(crate) fn get(&self) -> usize {
        self.jobs.unwrap_or_else(robosim::parallel::cores).max(1)
    }
}

/// Writes `value` to stdout as pretty JSON (`--json`), or as `text` writes it.
pub(crate) fn print_out<T: serde::Serialize>(
    json: bool,
    value: &T,
    text: impl FnOnce(&mut std::io::StdoutLock<'static>, &T) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, value)?;
        writeln!(out)?;
    } else {
        text(&mut out, value)?;
    }
    Ok(())
}
