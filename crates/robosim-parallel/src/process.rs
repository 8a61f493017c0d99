//! [`ProcessPool`]: work done in child processes over pipes, each answering its requests in
//! the order it was given them.
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
//! writes requests to the worker's stdin (up to the pool's depth before the first is answered)
//! and reads one answer line per request from its stdout, in the same order. A worker exits
//! when its stdin closes.

use std::{
    ffi::OsString,
    io::{BufRead, BufReader, Read, Write},
    path::PathBuf,
    process::{Child, ChildStdin, ChildStdout, Command, Stdio},
    sync::Arc,
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

/// One worker process and the requests it holds: each is written to its stdin (taking a
/// ticket, the request's place in line) and answered on its stdout in the same order.
struct Worker {
    child: Mutex<Child>,
    sending: Mutex<Sending>,
    reading: Mutex<Reading>,
    /// Signalled when an answer has been read (the next ticket's turn) or the worker failed.
    turn: Condvar,
    /// The ticket whose request the worker failed on (it died or babbled answering it): the
    /// requests after it were never started, and go to another worker.
    blamed: Mutex<Option<u64>>,
}

struct Sending {
    stdin: ChildStdin,
    sent: u64,
}

struct Reading {
    stdout: BufReader<ChildStdout>,
    next: u64,
}

/// What became of a request given to a worker.
enum Asked<R> {
    /// Its answer, read back (or the answer was not one: malformed).
    Answer(Result<R, WorkerError>),
    /// The worker failed on an earlier request before it started this one.
    Again,
    Died {
        status: String,
    },
}

impl Worker {
    /// Gives `request` to the worker and reads its answer with `read` when its turn comes. A
    /// failure is blamed on a request before the next one's turn, so that the next knows it
    /// was not its own.
    fn ask<R>(&self, request: &[u8], read: impl FnOnce(&str) -> Result<R, WorkerError>) -> Asked<R> {
        let ticket = {
            let mut sending = self.sending.lock();
            // A write that fails finds the worker gone: the read below tells whose request it
            // was on, so that is all it needs to do.
            let _ = sending.stdin.write_all(request).and_then(|()| sending.stdin.flush());
            sending.sent += 1;
            sending.sent - 1
        };
        let mut reading = self.reading.lock();
        while reading.next != ticket && !self.was_before(ticket) {
            self.turn.wait(&mut reading);
        }
        if self.was_before(ticket) {
            return Asked::Again;
        }
        let mut line = String::new();
        let answered = reading.stdout.read_line(&mut line).is_ok_and(|n| n > 0) && line.ends_with('\n');
        let asked = if answered {
            let answer = read(&line);
            // A worker that babbles is ended; the requests behind this one go to another.
            if answer.is_err() {
                self.blame(ticket);
            }
            Asked::Answer(answer)
        } else if self.blame(ticket) {
            let mut child = self.child.lock();
            let _ = child.kill();
            Asked::Died { status: child.wait().map_or_else(|e| e.to_string(), |s| s.to_string()) }
        } else {
            // Gone, but on an earlier request.
            Asked::Again
        };
        reading.next += 1;
        drop(reading);
        self.turn.notify_all();
        asked
    }

    /// Whether the worker failed on a request before `ticket`'s.
    fn was_before(&self, ticket: u64) -> bool {
        self.blamed.lock().is_some_and(|blamed| blamed < ticket)
    }

    /// Blames the request of `ticket` for the worker's failure, and ends the worker (a reader
    /// blocked on it then sees the end of its output); false when an earlier one was blamed.
    fn blame(&self, ticket: u64) -> bool {
        let mut blamed = self.blamed.lock();
        if blamed.is_some_and(|blamed| blamed < ticket) {
            return false;
        }
        *blamed = Some(ticket);
        drop(blamed);
        let _ = self.child.lock().kill();
        true
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Closing stdin ends a healthy worker; a stuck one is killed.
        let child = self.child.get_mut();
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Child processes running `program args…`, started as needed (at most
/// [`with_max`](Self::with_max)) and reused, each given up to [`with_depth`](Self::with_depth)
/// requests at a time. Share it (`&ProcessPool` is `Sync`) between the threads of an
/// [`crate::ordered_map`].
pub struct ProcessPool {
    program: PathBuf,
    args: Vec<OsString>,
    /// The first line each new worker reads (with its newline).
    setup: Option<Vec<u8>>,
    max: usize,
    depth: usize,
    state: Mutex<PoolState>,
    freed: Condvar,
}

#[derive(Default)]
struct PoolState {
    /// The workers alive, each with the number of requests it holds.
    workers: Vec<(Arc<Worker>, usize)>,
    /// Workers being started.
    starting: usize,
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
            depth: 1,
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

    /// Up to `depth` requests given to a worker at a time (at least one; one by default): the
    /// next waits in its input while it answers one, so that it starts on it as soon as it has
    /// answered, not after its answer has gone to the parent and a request has come back (two
    /// wake-ups, and longer when the parent's threads wait for a core the workers hold).
    /// Needs `max × depth` callers at once to keep every worker busy. A worker that fails
    /// takes only the request it was answering with it: the ones waiting behind it go to
    /// another worker.
    #[must_use]
    pub fn with_depth(self, depth: usize) -> Self {
        Self { depth: depth.max(1), ..self }
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
        Ok(Worker {
            child: Mutex::new(child),
            sending: Mutex::new(Sending { stdin, sent: 0 }),
            reading: Mutex::new(Reading { stdout: BufReader::new(stdout), next: 0 }),
            turn: Condvar::new(),
            blamed: Mutex::new(None),
        })
    }

    /// The least busy worker with room for a request; a new one rather than queueing behind
    /// a busy one while fewer than `max` are alive; else waits for room.
    fn take(&self) -> Result<Arc<Worker>, WorkerError> {
        let mut state = self.state.lock();
        loop {
            let alive = state.workers.len() + state.starting;
            let depth = self.depth;
            let least = state.workers.iter_mut().filter(|(_, held)| *held < depth).min_by_key(|(_, held)| *held);
            if let Some((worker, held)) = least
                && (*held == 0 || alive >= self.max)
            {
                *held += 1;
                return Ok(Arc::clone(worker));
            }
            if alive < self.max {
                state.starting += 1;
                drop(state);
                let spawned = self.spawn().map(Arc::new);
                let mut state = self.state.lock();
                state.starting -= 1;
                if let Ok(worker) = &spawned {
                    state.workers.push((Arc::clone(worker), 1));
                }
                drop(state);
                // A worker that never started takes no room.
                self.freed.notify_all();
                return spawned;
            }
            self.freed.wait(&mut state);
        }
    }

    /// A request `worker` held is done with; or, when `failed`, the worker is gone.
    fn done(&self, worker: &Arc<Worker>, failed: bool) {
        let mut state = self.state.lock();
        if let Some(at) = state.workers.iter().position(|(w, _)| Arc::ptr_eq(w, worker)) {
            if failed {
                state.workers.swap_remove(at);
            } else {
                state.workers[at].1 -= 1;
            }
        }
        drop(state);
        self.freed.notify_all();
    }

    /// Sends `request` to a worker (starting one if none has room) and reads its answer. A
    /// worker that fails is dropped; the next call starts another.
    ///
    /// # Errors
    /// The worker cannot be started, died before answering, or answered malformed JSON.
    pub fn call<R: DeserializeOwned>(&self, request: &impl Serialize) -> Result<R, WorkerError> {
        let mut line = serde_json::to_vec(request).map_err(|e| WorkerError::Malformed { reason: e.to_string() })?;
        line.push(b'\n');
        loop {
            let worker = self.take()?;
            let read = |answer: &str| {
                serde_json::from_str(answer).map_err(|e| WorkerError::Malformed { reason: e.to_string() })
            };
            match worker.ask(&line, read) {
                Asked::Answer(answer) => {
                    self.done(&worker, answer.is_err());
                    return answer;
                }
                Asked::Again => self.done(&worker, true),
                Asked::Died { status } => {
                    self.done(&worker, true);
                    return Err(WorkerError::Died { status });
                }
            }
        }
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
        assert_eq!(pool.state.lock().workers.len(), 1, "one worker served the three requests");
    }

    #[test]
    fn a_worker_that_dies_or_babbles_is_an_error_and_is_replaced() {
        let pool = ProcessPool::new("sh", ["-c", "exit 3"]);
        let err = pool.call::<Value>(&json!(1)).unwrap_err();
        assert!(matches!(&err, WorkerError::Died { status } if status.contains('3')), "{err}");
        assert!(pool.state.lock().workers.is_empty());
        let pool = ProcessPool::new("sh", ["-c", "read line; echo not json"]);
        assert!(matches!(pool.call::<Value>(&json!(1)), Err(WorkerError::Malformed { .. })));
        let pool = ProcessPool::new("/nonexistent/worker", std::iter::empty::<&str>());
        assert!(matches!(pool.call::<Value>(&json!(1)), Err(WorkerError::Spawn { .. })));
        let state = pool.state.lock();
        assert_eq!(state.workers.len() + state.starting, 0, "a worker that never started takes no room");
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
        assert!(state.workers.len() <= 2, "{} alive", state.workers.len());
        assert!(state.workers.iter().all(|(_, held)| *held == 0), "every request done");
    }

    /// Four callers and one worker taking two requests at a time: each caller gets its own
    /// answer, in whatever order the requests were queued.
    #[test]
    fn a_worker_given_several_requests_answers_each_its_own() {
        let pool = ProcessPool::new("cat", std::iter::empty::<&str>()).with_max(1).with_depth(2);
        std::thread::scope(|scope| {
            for caller in 0..4 {
                let pool = &pool;
                scope.spawn(move || {
                    for n in 0..25 {
                        assert_eq!(pool.call::<Value>(&json!([caller, n])).unwrap(), json!([caller, n]));
                    }
                });
            }
        });
        assert_eq!(pool.state.lock().workers.len(), 1);
    }

    /// A worker that dies on one request fails that request only: those waiting behind it in
    /// its input are answered by the worker started next.
    #[test]
    fn a_worker_that_dies_fails_only_the_request_it_was_answering() {
        let script = r#"while read line; do case "$line" in *die*) exit 3;; *) echo "$line";; esac; done"#;
        let pool = ProcessPool::new("sh", ["-c", script]).with_max(1).with_depth(2);
        let failed = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for caller in 0..4 {
                let (pool, failed) = (&pool, &failed);
                scope.spawn(move || {
                    for n in 0..40 {
                        let request = if n % 10 == 5 { json!(["die", caller, n]) } else { json!([caller, n]) };
                        match pool.call::<Value>(&request) {
                            Ok(answer) => assert_eq!(answer, request),
                            Err(e) => {
                                assert!(matches!(&e, WorkerError::Died { status } if status.contains('3')), "{e}");
                                assert_eq!(request[0], "die", "{request} failed: {e}");
                                failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            }
                        }
                    }
                });
            }
        });
        assert_eq!(failed.into_inner(), 16, "each of the 16 fatal requests, and only they, failed");
    }
}
