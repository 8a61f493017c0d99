//! The worker's side: its setup, and the loop that answers requests.

use std::{borrow::Cow, collections::HashMap, io::BufRead, path::PathBuf};

use robosim_grade::{Grader, InProcess, Task};
use robosim_verify::{Verifier, VerifyConfig};
use serde::{Deserialize, Serialize};

use crate::{Error, SandboxSetup};

/// What a worker does, with every setting it does it under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
pub enum Job {
    /// Answer each program with its verdict.
    Verify { settings: VerifyConfig },
    /// Answer each completion with its results on the tasks it names, loaded from `tasks`.
    Grade { tasks: PathBuf, settings: robosim_grade::Grading },
}

/// A worker's first line of input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerSetup {
    pub sandbox: SandboxSetup,
    pub job: Job,
}

/// A request to a verification worker.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct VerifyRequest<'a> {
    pub(crate) program: Cow<'a, str>,
}

/// A request to a grading worker: grade `source` on the task named `task` and on those named
/// in `also` (which share its states); the answer is one result list per task, `task`'s first.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct GradeRequest<'a> {
    pub(crate) task: Cow<'a, str>,
    #[serde(default)]
    pub(crate) also: Vec<Cow<'a, str>>,
    pub(crate) source: Cow<'a, str>,
}

/// The worker: reads its [`WorkerSetup`] from stdin, then answers each request line with one
/// answer line on stdout until stdin closes.
///
/// # Errors
/// The setup is not one, the sandbox or the tasks cannot be set up, or the pipes fail.
pub fn serve_worker() -> Result<(), Error> {
    no_huge_pages();
    let mut input = std::io::stdin().lock();
    let setup: WorkerSetup = robosim_parallel::read_setup(&mut input)?;
    serve(setup, input, &mut std::io::stdout().lock())
}

/// Turns transparent huge pages off for this process (and the children it starts). A worker is
/// a fresh process whose heap grows as it starts: with them on (many distributions' default),
/// the allocator's arenas came in 2 MiB pages, each zeroed whole when first touched, which was
/// ~5 % of the CPU of `verify-batch --jobs 2` on the dev corpus. Nothing robosim does wants
/// huge pages; a failure to set the flag only costs that time. The `robosim` command calls it
/// first thing; a worker calls it in case its process did not.
pub fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
}

fn serve(setup: WorkerSetup, input: impl BufRead, output: &mut impl std::io::Write) -> Result<(), Error> {
    match setup.job {
        Job::Verify { settings } => {
            let verifier = Verifier::with_sandbox(setup.sandbox.sandbox(settings.limits, 1)?, settings);
            robosim_parallel::serve_from(input, output, |request: VerifyRequest<'_>| {
                verifier.verify(&request.program)
            })?;
        }
        Job::Grade { tasks, settings } => {
            let tasks = Task::load_dir(&tasks)?;
            let by_name: HashMap<&str, &Task> = tasks.iter().map(|t| (t.name.as_str(), t)).collect();
            let sandbox = setup.sandbox.sandbox(settings.limits, 1)?;
            let grader = InProcess { sandbox: &sandbox, grading: settings };
            robosim_parallel::serve_from(input, output, |request: GradeRequest<'_>| {
                // The parent only names tasks it loaded from the same directory; an unknown one
                // gets no results (and the parent says so).
                let named = |name: &str| by_name.get(name).copied();
                let (Some(task), Some(also)) =
                    (named(&request.task), request.also.iter().map(|n| named(n)).collect::<Option<Vec<&Task>>>())
                else {
                    return Vec::new();
                };
                grader.grade_together(task, &also, &request.source)
            })?;
        }
    }
    Ok(())
}
