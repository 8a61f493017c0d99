//! `robosim eval OUT_DIR`: a served model evaluated on RoboEval in one command.

use std::{io::Write, path::PathBuf};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use robosim::{
    eval::{Api, EvalConfig, EvalSummary, Progress, PromptTemplate, Sampling, TaskResult, evaluate},
    grade::{Grader, Task},
    llm::Client,
};

use super::shared::{ExitStatus, ServerArgs};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ApiArg {
    /// `/completions`: the model continues the prompt (base models, as the paper evaluates).
    Completions,
    /// `/chat/completions`: the prompt as one user message (instruction-tuned models).
    Chat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SamplingArg {
    /// One completion per prompt at temperature 0.
    Greedy,
    /// RoboEval's: 20 completions per prompt at temperature 0.2, top-p 0.95.
    Roboeval,
}

#[derive(Debug, Args)]
pub(crate) struct EvalArgs {
    /// Where `completions.jsonl`, `grades.jsonl`, `summary.json` and (by default) the response
    /// cache go. Running again resumes: answers already cached are not asked for again.
    out: PathBuf,
    /// The benchmark's task files.
    #[arg(long, default_value = "seeds/roboeval")]
    pub(crate) tasks: PathBuf,
    /// Evaluate only these tasks (their ablations are graded with them).
    #[arg(long = "task", value_name = "NAME", value_delimiter = ',')]
    only: Vec<String>,
    #[command(flatten)]
    server: ServerArgs,
    /// How the model is asked.
    #[arg(long, value_enum, default_value = "completions")]
    api: ApiArg,
    /// Sampling preset; the flags below override its parts. Both presets use RoboEval's
    /// max tokens (512), top-p (0.95) and, for `completions`, its stop strings.
    #[arg(long, value_enum, default_value = "greedy")]
    sampling: SamplingArg,
    /// Completions per prompt.
    #[arg(long, short = 'n')]
    samples: Option<u32>,
    #[arg(long)]
    temperature: Option<f64>,
    #[arg(long)]
    top_p: Option<f64>,
    #[arg(long)]
    max_tokens: Option<u32>,
    /// A stop string (repeat the flag for more; `\n` and `\t` are read as escapes). Replaces
    /// RoboEval's `\n#`, `\ndef`, `\nclass`, "```", `import` (sent with `--api completions`).
    #[arg(long, value_name = "TEXT", conflicts_with = "no_stop")]
    stop: Vec<String>,
    /// Send no stop strings.
    #[arg(long)]
    no_stop: bool,
    /// The text before each instruction, instead of robosim's own (the robot API and worked
    /// examples, ending in `# Instruction: `): for instance RoboEval's
    /// `code_generation/prompt_prefix.py` from a checkout, for exact reproduction.
    #[arg(long, value_name = "FILE")]
    prompt_file: Option<PathBuf>,
    /// The text after each instruction (`\n` and `\t` are read as escapes).
    #[arg(long, value_name = "TEXT", default_value = "\\ndef task_program():\\n")]
    prompt_suffix: String,
    /// The k of pass@k (those above `-n` are left out).
    #[arg(short, long, value_delimiter = ',', default_value = "1,5,10,20")]
    k: Vec<u64>,
    /// Do not grade completions on their task's ablations.
    #[arg(long)]
    no_ablations: bool,
    /// The sampling seed of sample 0 (sample i is sent seed + i).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Model requests in flight at once; each grades what it gets back (in one of `-j` worker
    /// processes).
    #[arg(long, default_value_t = 8)]
    pub(crate) concurrency: usize,
    #[command(flatten)]
    pub(crate) jobs: super::shared::JobsArgs,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    pub(crate) grading: super::shared::GradingArgs,
}

/// `\n`, `\t` and `\\` in a command-line string, as a shell user would write them.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some(other) => out.extend(['\\', other]),
            None => out.push('\\'),
        }
    }
    out
}

pub(crate) fn run(grader: &dyn Grader, args: &EvalArgs) -> anyhow::Result<ExitStatus> {
    let mut tasks = Task::load_dir(&args.tasks)?;
    if !args.only.is_empty() {
        for name in &args.only {
            if !tasks.iter().any(|t| &t.name == name && t.ablation_of.is_none()) {
                bail!("no benchmark task {name:?} in {}", args.tasks.display());
            }
        }
        tasks.retain(|t| args.only.iter().any(|n| Some(n) == t.ablation_of.as_ref().or(Some(&t.name))));
    }
    let mut sampling = match args.sampling {
        SamplingArg::Greedy => Sampling::greedy(),
        SamplingArg::Roboeval => Sampling::roboeval(),
    };
    sampling.samples = args.samples.unwrap_or(sampling.samples);
    sampling.temperature = args.temperature.unwrap_or(sampling.temperature);
    sampling.top_p = args.top_p.unwrap_or(sampling.top_p);
    sampling.max_tokens = args.max_tokens.unwrap_or(sampling.max_tokens);
    if args.no_stop || (args.api == ApiArg::Chat && args.stop.is_empty()) {
        sampling.stop.clear();
    } else if !args.stop.is_empty() {
        sampling.stop = args.stop.iter().map(|s| unescape(s)).collect();
    }
    let prefix = match &args.prompt_file {
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
        None => PromptTemplate::default().prefix,
    };
    let mut config = EvalConfig::new(&args.out);
    config.api = match args.api {
        ApiArg::Completions => Api::Completions,
        ApiArg::Chat => Api::Chat,
    };
    config.template = PromptTemplate { prefix, suffix: unescape(&args.prompt_suffix) };
    config.sampling = sampling;
    config.ks.clone_from(&args.k);
    config.concurrency = args.concurrency.max(1);
    config.ablations = !args.no_ablations;
    let mut llm = args.server.client_config(&args.out)?;
    llm.seed = args.seed;
    let client = Client::new(llm);

    let bar = super::shared::progress_bar();
    let mut passed = 0u64;
    let summary = evaluate(&config, &tasks, &client, grader, &mut |event| match event {
        Progress::Started { total } => bar.set_length(total),
        Progress::Graded { class } => {
            passed += u64::from(class == Some(robosim::grade::roboeval::EvalClass::Success));
            bar.set_message(format!("{passed} passed"));
            bar.inc(1);
        }
    })?;
    bar.finish_and_clear();
    super::shared::print_out(args.json, &summary, |out, summary| print_summary(out, summary, args))?;
    eprintln!("{}", super::report::hint(&args.out));
    if summary.request_errors > 0 && summary.completions == 0 {
        bail!(
            "every model request failed ({} of them): is the server at {} up? (see {}/completions.jsonl)",
            summary.request_errors,
            args.server.base_url,
            args.out.display()
        );
    }
    // Results with holes in them are not results: the run must be completed (run it again).
    Ok(if summary.request_errors + summary.not_run > 0 { ExitStatus::Error } else { ExitStatus::Success })
}

fn print_table(
    out: &mut impl Write,
    title: &str,
    tasks: &std::collections::BTreeMap<String, TaskResult>,
    ks: &[String],
) -> std::io::Result<()> {
    let width = tasks.keys().map(String::len).max().unwrap_or(4).max(title.len());
    write!(out, "{title:<width$}  {:>6}  {:>6}", "passed", "graded")?;
    for k in ks {
        write!(out, "  {:>8}", format!("pass@{k}"))?;
    }
    writeln!(out)?;
    for (name, task) in tasks {
        write!(out, "{name:<width$}  {:>6}  {:>6}", task.passed, task.completions)?;
        for k in ks {
            write!(out, "  {:>8.3}", task.pass_at.get(k).copied().unwrap_or(f64::NAN))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn print_summary(out: &mut impl Write, summary: &EvalSummary, args: &EvalArgs) -> std::io::Result<()> {
    let ks: Vec<String> = summary.pass_at.keys().cloned().collect();
    print_table(out, "task", &summary.tasks, &ks)?;
    if !summary.ablations.is_empty() {
        writeln!(out)?;
        print_table(out, "ablation", &summary.ablations, &ks)?;
    }
    let pass: Vec<String> = summary.pass_at.iter().map(|(k, v)| format!("pass@{k} {v:.4}")).collect();
    writeln!(
        out,
        "\n{} ({:?}, n={}, T={}, top-p={}): {} completions graded, {} passed; {} (mean over {} tasks)",
        summary.model,
        summary.api,
        summary.sampling.samples,
        summary.sampling.temperature,
        summary.sampling.top_p,
        summary.completions,
        summary.passed,
        pass.join(", "),
        summary.tasks.len(),
    )?;
    let errors: Vec<String> = summary.errors.iter().map(|(class, n)| format!("{class} {n}")).collect();
    writeln!(out, "RoboEval error breakdown: {}", errors.join(", "))?;
    let llm = &summary.llm;
    writeln!(
        out,
        "model: {} requests, {} retries, {} failed for good, {} cache hits; {:.1} s",
        llm.requests, llm.retries, summary.request_errors, llm.cache_hits, summary.wall_time
    )?;
    let dir = args.out.display();
    writeln!(out, "records: {dir}/completions.jsonl, {dir}/grades.jsonl, {dir}/summary.json")
}
