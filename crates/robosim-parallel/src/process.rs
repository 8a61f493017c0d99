//! [`ProcessPool`]: work done in child processes, one request at a time each, over pipes.
//!
//! Threads of one process share one address space, and on a virtual machine that is costly
//! for robosim: every run starts from the guest's copy-on-write snapshot, each first write to
//! a snapshot page is a page fault that must flush that page from the TLB of every CPU
//! running another thread of the process (an inter-processor interrupt, which a hypervisor
//! makes slow). Measured on a 2-core VM, grading with 2 threads was *slower* than with one.
//! Workers in processes of their own flush only their own TLB. They also keep the parent
//! safe: a worker that dies takes only its current request with it.
//!
//! The protocol is one JSON object per line each way: a new worker first gets the pool's setup
//! line (if it has one: what the worker is for and under which settings), then the parent
//! writes a request to the worker's stdin and reads one answer line from its stdout. A worker
//! exits when its stdin closes.

use std::{
    ffi::OsString,
    io::{BufRead, BufReader, Read, Write},
    path::PathBuf,
    process::{Child, ChildStdin, ChildStdout, Command, Stdio},
};

use parking_lot::{Condvar, Mutex};
use serde::{Serialize, de::DeserializeOwned};

/// Why a request got no answer.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("cannot start the worker process {program}: {source}")]
    Spawn {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The worker exited (or closed its output) before it answered.
    #[error("the worker process ended without an answer ({status})")]
    Died { status: String },
    /// The worker answered something that is not the answer's JSON.
    #[error("the worker process answered malformed JSON: {reason}")]
    Malformed { reason: String },
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Worker {
    fn ask(&mut self, request: &[u8]) -> Result<String, WorkerError> {
        let mut answer = String::new();
        let sent = self.stdin.write_all(request).and_then(|()| self.stdin.flush());
        let read = sent.and_then(|()| self.stdout.read_line(&mut answer));
        match read {
            Ok(n) if n > 0 && answer.ends_with('\n') => Ok(answer),
            _ => {
                // It is gone or going: reap it, so the reason can be told.
                let _ = self.child.kill();
                let status = self.child.wait().map_or_else(|e| e.to_string(), |s| s.to_string());
                Err(WorkerError::Died { status })
            }
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Closing stdin ends a healthy worker; a stuck one is killed.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Child processes running `program args…`, started as needed (at most one per thread that
/// calls at once, and at most [`with_max`](Self::with_max)) and reused. Share it
/// (`&ProcessPool` is `Sync`) between the threads of an [`crate::ordered_map`].
pub struct ProcessPool {
    program: PathBuf,
    args: Vec<OsString>,
    /// The first line each new worker reads (with its newline).
    setup: Option<Vec<u8>>,
    max: usize,
    state: Mutex<PoolState>,
    freed: Condvar,
}

#[derive(Default)]
struct PoolState {
    idle: Vec<Worker>,
    /// Workers alive: idle, or busy with a request.
    alive: usize,
}

impl std::fmt::Debug for ProcessPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessPool").field("program", &self.program).field("args", &self.args).finish_non_exhaustive()
    }
}

impl ProcessPool {
    #[must_use]
    pub fn new(program: impl Into<PathBuf>, args: impl IntoIterator<Item = impl Into<OsString>>) -> Self {
        Self {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
            setup: None,
            max: usize::MAX,
            state: Mutex::new(PoolState::default()),
            freed: Condvar::new(),
        }
    }

    /// Each new worker first reads `setup` as one JSON line.
    ///
    /// # Panics
    /// Never: a value serde can write is written.
    #[must_use]
    pub fn with_setup(self, setup: &impl Serialize) -> Self {
        let mut line = serde_json::to_vec(setup).expect("the setup is JSON");
        line.push(b'\n');
        Self { setup: Some(line), ..self }
    }

    /// At most `max` workers at once (at least one): callers past them wait for a free one.
    #[must_use]
    pub fn with_max(self, max: usize) -> Self {
        Self { max: max.max(1), ..self }
    }

    /// The program and arguments each worker runs.
    #[must_use]
    pub fn command(&self) -> (&std::path::Path, &[OsString]) {
        (&self.program, &self.args)
    }

    fn spawn(&self) -> Result<Worker, WorkerError> {
        let spawn = |source| WorkerError::Spawn { program: self.program.clone(), source };
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(spawn)?;
        let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            return Err(spawn(std::io::Error::other("no pipes to the child")));
        };
        // A worker that cannot take its setup fails on its first request, and says why then.
        if let Some(setup) = &self.setup {
            let _ = stdin.write_all(setup);
        }
        Ok(Worker { child, stdin, stdout: BufReader::new(stdout) })
    }

    /// An idle worker, or a new one when fewer than `max` are alive; else waits for one.
    fn take(&self) -> Result<Worker, WorkerError> {
        let mut state = self.state.lock();
        loop {
            if let Some(worker) = state.idle.pop() {
                return Ok(worker);
            }
            if state.alive < self.max {
                state.alive += 1;
                drop(state);
                return self.spawn().inspect_err(|_| self.lost());
            }
            self.freed.wait(&mut state);
        }
    }

    /// A worker went away (died, babbled, or could not start): room for another.
    fn lost(&self) {
        self.state.lock().alive -= 1;
        self.freed.notify_one();
    }

    /// Sends `request` to an idle worker (starting one if none is idle) and reads its answer.
    /// A worker that fails is dropped; the next call starts another.
    ///
    /// # Errors
    /// The worker cannot be started, died before answering, or answered malformed JSON.
    pub fn call<R: DeserializeOwned>(&self, request: &impl Serialize) -> Result<R, WorkerError> {
        let mut line = serde_json::to_vec(request).map_err(|e| WorkerError::Malformed { reason: e.to_string() })?;
        line.push(b'\n');
        let mut worker = self.take()?;
        let answer = match worker.ask(&line) {
            Ok(answer) => answer,
            Err(e) => {
                drop(worker);
                self.lost();
                return Err(e);
            }
        };
        let parsed = serde_json::from_str(&answer).map_err(|e| WorkerError::Malformed { reason: e.to_string() });
        if parsed.is_ok() {
            self.state.lock().idle.push(worker);
            self.freed.notify_one();
        } else {
            drop(worker);
            self.lost();
        }
        parsed
    }
}

/// The worker side: answers each request line of stdin with `answer(request)` on one line of
/// stdout, until stdin closes.
///
/// # Errors
/// Reading stdin or writing stdout fails, or a request is not the request's JSON.
pub fn serve<Q: DeserializeOwned, A: Serialize>(answer: impl FnMut(Q) -> A) -> std::io::Result<()> {
    serve_from(std::io::stdin().lock(), &mut std::io::stdout().lock(), answer)
}

/// [`serve`] on any input and output (a worker reads its setup line from stdin first, then
/// serves the rest).
///
/// # Errors
/// As [`serve`].
pub fn serve_from<Q: DeserializeOwned, A: Serialize>(
    input: impl BufRead,
    output: &mut impl Write,
    mut answer: impl FnMut(Q) -> A,
) -> std::io::Result<()> {
    for line in input.lines() {
        let request: Q = serde_json::from_str(&line?).map_err(std::io::Error::other)?;
        serde_json::to_writer(&mut *output, &answer(request)).map_err(std::io::Error::other)?;
        output.write_all(b"\n")?;
        output.flush()?;
    }
    Ok(())
}

/// Reads a worker's setup line (see [`ProcessPool::with_setup`]) from `input`.
///
/// # Errors
/// Reading fails, the input ends first, or the line is not the setup's JSON.
pub fn read_setup<S: DeserializeOwned>(input: &mut impl BufRead) -> std::io::Result<S> {
    let mut line = String::new();
    // A setup is small: a longer line is not one.
    input.take(1 << 20).read_line(&mut line)?;
    if !line.ends_with('\n') {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "no setup line"));
    }
    serde_json::from_str(&line).map_err(std::io::Error::other)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{ProcessPool, WorkerError};

    #[test]
    fn a_worker_answers_each_request_and_is_reused() {
        // `cat` answers every line with itself.
        let pool = ProcessPool::new("cat", std::iter::empty::<&str>());
        for n in 0..3 {
            let answer: Value = pool.call(&json!({"n": n, "text": "a\nb"})).unwrap();
            assert_eq!(answer, json!({"n": n, "text": "a\nb"}));
        }
        assert_eq!(pool.state.lock().idle.len(), 1, "one worker served the three requests");
    }

    #[test]
    fn a_worker_that_dies_or_babbles_is_an_error_and_is_replaced() {
        let pool = ProcessPool::new("sh", ["-c", "exit 3"]);
        let err = pool.call::<Value>(&json!(1)).unwrap_err();
        assert!(matches!(&err, WorkerError::Died { status } if status.contains('3')), "{err}");
        assert!(pool.state.lock().idle.is_empty());
        let pool = ProcessPool::new("sh", ["-c", "read line; echo not json"]);
        assert!(matches!(pool.call::<Value>(&json!(1)), Err(WorkerError::Malformed { .. })));
        let pool = ProcessPool::new("/nonexistent/worker", std::iter::empty::<&str>());
        assert!(matches!(pool.call::<Value>(&json!(1)), Err(WorkerError::Spawn { .. })));
        assert_eq!(pool.state.lock().alive, 0, "a worker that never started takes no room");
    }

    #[test]
    fn each_new_worker_reads_the_setup_first_and_the_pool_holds_at_most_max() {
        // Answers each request with the setup line it read first.
        let pool = ProcessPool::new("sh", ["-c", "read setup; while read line; do echo \"$setup\"; done"])
            .with_setup(&json!({"job": "echo"}))
            .with_max(2);
        std::thread::scope(|scope| {
            for _ in 0..6 {
                scope.spawn(|| {
                    for _ in 0..5 {
                        assert_eq!(pool.call::<Value>(&json!(0)).unwrap(), json!({"job": "echo"}));
                    }
                });
            }
        });
        let state = pool.state.lock();
        assert!(state.alive <= 2 && state.idle.len() == state.alive, "{} alive", state.alive);
    }
}
