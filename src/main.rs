//! The `robosim` command. Thin: parsing, printing and exit codes; the work is in the crates.
//!
//! Exit codes, as ruff: 0 success, 1 findings (a program failed), 2 the tool itself failed.

#![forbid(unsafe_code)]

mod cli;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::ExitStatus;

/// mimalloc, not glibc's malloc: verifying a program allocates and frees small blocks on every
/// robot call and path, where glibc spent a tenth of the CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Before the heap grows (see its docs); the workers it starts inherit it.
    robosim::backend::no_huge_pages();
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(status) => status.into(),
        // The reader went away (`robosim grade … | head`): nothing more to say to it.
        Err(err) if is_broken_pipe(&err) => ExitStatus::Success.into(),
        Err(err) => {
            eprintln!("robosim: error: {err:#}");
            ExitStatus::Error.into()
        }
    }
}

/// A bare I/O error is one from writing to stdout (file errors come wrapped in the crates'
/// typed errors); a broken pipe there means the reader has gone.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}
