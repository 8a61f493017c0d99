//! Verifying many programs from Rust, verdicts yielded as they come.

use crossbeam::channel;
use robosim_verify::{Verdict, Verify};

/// Verifies `programs` with `verifier` (a [`Verifier`](robosim_verify::Verifier), or a
/// backend of worker processes: `robosim-backend`) on `jobs` threads; yields `(index,
/// verdict)` in input order, each as soon as it and all before it are done. Dropping the
/// iterator stops the work.
///
/// ```
/// use robosim_batch::verify_stream;
/// use robosim_verify::{Verifier, VerifyConfig};
///
/// let verifier = Verifier::new(VerifyConfig::default())?;
/// let programs = vec!["def task_program():\n    say('hi')\n".to_owned()];
/// for (index, verdict) in verify_stream(verifier, 2, programs) {
///     println!("{index}: accepted={}", verdict.accepted());
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify_stream<I>(
    verifier: impl Verify + Send + 'static,
    jobs: usize,
    programs: I,
) -> impl Iterator<Item = (usize, Verdict)>
where
    I: IntoIterator<Item = String>,
    I::IntoIter: Send + 'static,
{
    let (tx, rx) = channel::bounded(jobs.max(1) * 4);
    let programs = programs.into_iter().enumerate();
    std::thread::spawn(move || {
        let _ = robosim_parallel::ordered_map(
            programs,
            jobs,
            robosim_parallel::Window::ahead(jobs),
            |(_, program)| verifier.verify(program),
            |(_, program), verdict| program.len() + robosim_parallel::json_weight(verdict),
            |(index, _), verdict| tx.send((index, verdict)).map_err(|_| ()),
        );
    });
    rx.into_iter()
}
