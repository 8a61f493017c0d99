//! `robosim serve TASKS_DIR`: the reward server (see `robosim_serve`).

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::Context;
use clap::Args;
use robosim::{
    backend::{Grading, Verification},
    grade::TraceReading,
    verify::VerifyOverrides,
};
use robosim_serve::{Backends, Limits, Server};

use super::{Cli, ExitStatus, shared::GradingArgs};

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The task files completions are graded on (robosim's format, or RoboEval's).
    tasks: PathBuf,
    /// The address to listen on (127.0.0.1: this machine only).
    #[arg(long, default_value = "127.0.0.1")]
    host: std::net::IpAddr,
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// The environment variable holding the bearer token every request but /health must carry.
    #[arg(long, value_name = "NAME")]
    token_env: Option<String>,
    #[command(flatten)]
    jobs: super::shared::JobsArgs,
    /// The largest request body, in bytes (413 past it).
    #[arg(long, default_value_t = Limits::default().max_body_bytes)]
    max_body_bytes: usize,
    /// The most items in one request (413 past it).
    #[arg(long, default_value_t = Limits::default().max_batch)]
    max_batch: usize,
    /// The most items queued over all requests (429 with Retry-After past it).
    #[arg(long, default_value_t = Limits::default().max_queued)]
    max_queued: usize,
    /// Seconds a request may take: items not started by then come back not_run.
    #[arg(long, default_value_t = Limits::default().request_timeout.as_secs_f64())]
    request_timeout: f64,
    /// /get_reward: the share of worlds passed instead of 1/0.
    #[arg(long)]
    fraction: bool,
    /// Verification settings over the defaults, as JSON (`{"max_paths": 50}`).
    #[arg(long, value_name = "JSON", default_value = "{}")]
    verify_settings: String,
    /// Grading limits, and the trace reading (default here: `calls`, what the robot did, since
    /// a server grades untrusted completions; `--trace printed` reads stdout as RoboEval does).
    #[command(flatten)]
    grading: GradingArgs,
}

pub(crate) fn run(cli: &Cli, args: &ServeArgs) -> anyhow::Result<ExitStatus> {
    let token = match &args.token_env {
        Some(name) => Some(std::env::var(name).with_context(|| format!("the token variable {name} is not set"))?),
        None => None,
    };
    let mut grading = args.grading.overrides();
    grading.trace.get_or_insert(TraceReading::Calls);
    let grading = grading.resolve()?;
    let overrides: VerifyOverrides = serde_json::from_str(&args.verify_settings).context("--verify-settings")?;
    let jobs = args.jobs.get();
    let place = super::backend::place(jobs)?;
    let setup = cli.sandbox_setup();
    let backends = Backends::new(
        &args.tasks,
        Grading::new(&args.tasks, grading, &setup, &place)?,
        Verification::new(overrides.resolve()?, &setup, &place)?,
        place.threads(jobs),
    )?;
    let limits = Limits {
        max_body_bytes: args.max_body_bytes,
        max_batch: args.max_batch,
        max_queued: args.max_queued,
        request_timeout: Duration::try_from_secs_f64(args.request_timeout)?,
        fraction: args.fraction,
    };
    let server = Server::new(backends, limits, token);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(args.host, args.port)).await?;
        eprintln!("robosim serve: listening on http://{}", listener.local_addr()?);
        server.serve(listener, stop_signal()).await?;
        eprintln!("robosim serve: stopped");
        anyhow::Ok(())
    })?;
    Ok(ExitStatus::Success)
}

/// SIGTERM or Ctrl-C: stop accepting and let the requests in flight finish.
async fn stop_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let terminated = async {
        match term.as_mut() {
            Some(term) => {
                term.recv().await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminated => {}
    }
    eprintln!("robosim serve: draining");
}
