//! robosim's integration tests: one binary, one module per area (as wasmtime does).
//!
//! Every test shares one [`Sandbox`] (compiling the guest is the expensive part); each program
//! still gets a fresh wasm instance.

mod backend;
mod batch;
mod cli;
mod conformance;
mod eval;
mod grade;
mod hostile;
mod isolation;
mod llm_client;
mod pipeline;
mod pipeline_settings;
mod records;
mod report;
mod roboeval;
mod roboeval_port;
mod sandbox_api;
mod sandbox_isolation;
mod sandbox_limits;
mod sandbox_lines;
mod sandbox_stdlib;
mod search;
mod shard;

use std::{
    path::PathBuf,
    sync::{Arc, LazyLock},
};

use robosim::{Limits, Program, RunReport, Sandbox, world::OpenWorld};

pub(crate) static SANDBOX: LazyLock<Arc<Sandbox>> =
    LazyLock::new(|| Arc::new(Sandbox::new().expect("the sandbox starts")));

/// `../shared/<file>` beside the project (reference material: the corpus, the spec), or
/// `None`, with the reason printed, when it is not there: the tests that need it then skip.
pub(crate) fn shared(file: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared").join(file);
    if path.is_file() {
        Some(path)
    } else {
        println!("skipped: {} is not there (the reference material is not beside the project)", path.display());
        None
    }
}

pub(crate) fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The source of `tests/fixtures/programs/<name>.py`.
pub(crate) fn program(name: &str) -> String {
    let path = fixtures().join("programs").join(format!("{name}.py"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs a robot program (module body, then `task_program()`) in an [`OpenWorld`].
pub(crate) fn run_task(source: &str) -> RunReport {
    SANDBOX.run(&Program::task(source), OpenWorld::default()).0
}

/// Runs a plain script (no entry function).
pub(crate) fn run_script(source: &str) -> RunReport {
    SANDBOX.run(&Program::script(source, "<script>"), OpenWorld::default()).0
}

pub(crate) fn run_with(source: &str, limits: &Limits, seed: u64) -> RunReport {
    SANDBOX.run_with(&Program::task(source), OpenWorld::default(), limits, seed).0
}

/// A fresh temporary directory (a `tempfile::TempDir`, so unique and removed when dropped);
/// `.0` is its path.
pub(crate) struct Dir(pub(crate) PathBuf, #[expect(dead_code, reason = "held for its Drop")] tempfile::TempDir);

impl Dir {
    pub(crate) fn new(name: &str) -> Self {
        let dir = tempfile::Builder::new().prefix(&format!("robosim-test-{name}-")).tempdir().expect("temp dir");
        Self(dir.path().to_owned(), dir)
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

/// Every file under `dir`, recursively.
pub(crate) fn files_under(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() { files.extend(files_under(&path)) } else { files.push(path) }
    }
    files
}
