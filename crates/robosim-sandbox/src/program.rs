//! [`Program`]: the source to run and how to enter it.

/// The largest program verified or graded by default (bytes); a larger one is invalid input.
pub const DEFAULT_MAX_PROGRAM_BYTES: usize = 1 << 20;

/// One program to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    pub source: String,
    /// The file name tracebacks show.
    pub filename: String,
    /// A function to call after the module body ran; the reference calls `task_program()`.
    pub entry: Option<String>,
}

impl Program {
    /// A robot program as the reference runs it: the module, then `task_program()`.
    pub fn task(source: impl Into<String>) -> Self {
        Self { source: source.into(), filename: "<program>".into(), entry: Some("task_program".into()) }
    }

    /// A plain script: the module body only.
    pub fn script(source: impl Into<String>, filename: impl Into<String>) -> Self {
        Self { source: source.into(), filename: filename.into(), entry: None }
    }
}
