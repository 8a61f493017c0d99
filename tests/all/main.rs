//! robosim's integration tests: one binary, one module per area (as wasmtime does).
//!
//! Every test shares one [`Sandbox`] (compiling the guest is the expensive part); each program
//! still gets a fresh wasm instance.

mod agreement;
mod batch;
mod cli;
mod conformance;
mod grade;
mod isolation;
mod llm_client;
mod pipeline;
mod sandbox_api;
mod sandbox_isolation;
mod sandbox_limits;
mod sandbox_lines;
mod sandbox_stdlib;

use std::{
    path::PathBuf,
    sync::{Arc, LazyLock},
};

use robosim::{Limits, Program, RunReport, Sandbox, world::OpenWorld};

pub(crate) static SANDBOX: LazyLock<Arc<Sandbox>> =
    LazyLock::new(|| Arc::new(Sandbox::new().expect("the sandbox starts")));

/// `../shared` beside the project (reference material: the corpus, the spec).
pub(crate) fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared")
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

/// A fresh temporary directory, removed when dropped.
pub(crate) struct Dir(pub(crate) PathBuf);

impl Dir {
    pub(crate) fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("robosim-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
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
