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
//! The protocol is one JSON object per line each way: the parent writes a request to the
//! worker's stdin and reads one answer line from its stdout. A worker exits when its stdin
//! closes.

use std::{
    ffi::OsString,
    io::{BufRead, BufReader, Write},
    path::PathBuf,
    process::{Child, ChildStdin, ChildStdout, Command, Stdio},
};

use parking_lot::Mutex;
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
/// calls at once) and reused. Share it (`&ProcessPool` is `Sync`) between the threads of an
/// [`crate::ordered_map`].
pub struct ProcessPool {
    program: PathBuf,
    args: Vec<OsString>,
    idle: Mutex<Vec<Worker>>,
}

impl std::fmt::Debug for ProcessPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessPool").field("program", &self.program).field("args", &self.args).finish_non_exhaustive()
    }
}

impl ProcessPool {
    #[must_use]
    pub fn new(program: impl Into<PathBuf>, args: impl IntoIterator<Item = impl Into<OsString>>) -> Self {
        Self { program: program.into(), args: args.into_iter().map(Into::into).collect(), idle: Mutex::new(Vec::new()) }
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
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            return Err(spawn(std::io::Error::other("no pipes to the child")));
        };
        Ok(Worker { child, stdin, stdout: BufReader::new(stdout) })
    }

    /// Sends `request` to an idle worker (starting one if none is idle) and reads its answer.
    /// A worker that fails is dropped; the next call starts another.
    ///
    /// # Errors
    /// The worker cannot be started, died before answering, or answered malformed JSON.
    pub fn call<R: DeserializeOwned>(&self, request: &impl Serialize) -> Result<R, WorkerError> {
        let mut line = serde_json::to_vec(request).map_err(|e| WorkerError::Malformed { reason: e.to_string() })?;
        line.push(b'\n');
        let idle = self.idle.lock().pop();
        let mut worker = match idle {
            Some(worker) => worker,
            None => self.spawn()?,
        };
        let answer = worker.ask(&line)?;
        let parsed = serde_json::from_str(&answer).map_err(|e| WorkerError::Malformed { reason: e.to_string() });
        if parsed.is_ok() {
            self.idle.lock().push(worker);
        }
        parsed
    }
}

/// The worker side: answers each request line of stdin with `answer(request)` on one line of
/// stdout, until stdin closes.
///
/// # Errors
/// Reading stdin or writing stdout fails, or a request is not the request's JSON.
pub fn serve<Q: DeserializeOwned, A: Serialize>(mut answer: impl FnMut(Q) -> A) -> std::io::Result<()> {
    let stdin = std::io::stdin().lock();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lines() {
        let request: Q = serde_json::from_str(&line?).map_err(std::io::Error::other)?;
        serde_json::to_writer(&mut stdout, &answer(request)).map_err(std::io::Error::other)?;
        stdout.write_all(b"\n")?;
        stdout.flush()?;
    }
    Ok(())
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
        assert_eq!(pool.idle.lock().len(), 1, "one worker served the three requests");
    }

    #[test]
    fn a_worker_that_dies_or_babbles_is_an_error_and_is_replaced() {
        let pool = ProcessPool::new("sh", ["-c", "exit 3"]);
        let err = pool.call::<Value>(&json!(1)).unwrap_err();
        assert!(matches!(&err, WorkerError::Died { status } if status.contains('3')), "{err}");
        assert!(pool.idle.lock().is_empty());
        let pool = ProcessPool::new("sh", ["-c", "read line; echo not json"]);
        assert!(matches!(pool.call::<Value>(&json!(1)), Err(WorkerError::Malformed { .. })));
        let pool = ProcessPool::new("/nonexistent/worker", std::iter::empty::<&str>());
        assert!(matches!(pool.call::<Value>(&json!(1)), Err(WorkerError::Spawn { .. })));
    }
}
