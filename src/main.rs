//! The `robosim` command. Thin: parsing, printing and exit codes; the work is in the crates.
//!
//! Exit codes, as ruff: 0 success, 1 findings (a program failed), 2 the tool itself failed.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("robosim: error: {err:#}");
            ExitCode::from(2)
        }
    }
}
