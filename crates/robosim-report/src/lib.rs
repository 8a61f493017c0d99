//! `robosim report`: one self-contained HTML page for a run — a verdicts file of
//! `verify-batch`, a grades file of `grade`, an `eval` or a `pipeline` output directory —
//! with SVG plots drawn here (no JavaScript library, no network: the page opens from a
//! laptop's disk) and a table of failures, every one of them one click away from its program
//! with the failing line marked, its failing path and its robot calls room by room.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let verdicts = dir.path().join("run.verdicts.jsonl");
//! std::fs::write(&verdicts, concat!(
//!     r#"{"id":"a","program":"def task_program():\n    pick(\"x\")\n","robosim":{"id":"a","line":1,"status":"rejected","#,
//!     r#""verdict":{"failure":{"class":"RobotPickError","error":"RobotPickError: no x","line":2,"decisions":[],"trace":[]},"#,
//!     r#""paths":1,"stopped":"failed","wall_time":0.002}}}"#, "\n",
//! )).unwrap();
//! let report = robosim_report::Report::build(&[verdicts]).unwrap();
//! assert_eq!(report.sections[0].stat("rejected"), Some("1"));
//! assert!(report.html().contains("<svg"));
//! ```
//!
//! Every count and plot is over all records; the failure table keeps at most [`TABLE_ROWS`]
//! per input (every class represented), so the page for a 100,000-record run stays a few
//! MiB, and a failure's details are parsed only when it is opened.

mod error;
mod grades;
mod input;
pub mod page;
mod pipeline;
mod rows;
mod svg;
mod verdicts;

use std::path::{Path, PathBuf};

pub use error::Error;
pub use input::Kind;
pub use rows::{Row, TABLE_ROWS};

/// One input's part of the page.
#[derive(Debug, Clone)]
pub struct Section {
    pub kind: Kind,
    pub path: PathBuf,
    /// Its heading: the kind and the input's name.
    pub title: String,
    /// The headline numbers, each with a key the page marks it with (`data-stat`).
    pub stats: Vec<Stat>,
    /// `(heading, svg)`.
    pub plots: Vec<(String, String)>,
    /// Settings and caveats worth a line.
    pub notes: Vec<String>,
    /// Failures in the input (the table may show a sample of them).
    pub failures: u64,
    pub rows: Vec<Row>,
    /// pass@k over tasks (an eval), for the comparison of several runs.
    pub pass_at: Vec<(f64, f64)>,
    /// Further HTML of the section's own (InstAlign's revisions).
    pub extra: String,
}

/// A headline number.
#[derive(Debug, Clone)]
pub struct Stat {
    pub key: &'static str,
    pub label: &'static str,
    pub value: String,
}

impl Stat {
    fn count(key: &'static str, label: &'static str, n: u64) -> Self {
        Self { key, label, value: n.to_string() }
    }

    fn rate(key: &'static str, label: &'static str, r: f64) -> Self {
        Self { key, label, value: format!("{r:.4}") }
    }
}

impl Section {
    fn new(kind: Kind, path: &Path) -> Self {
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        Self {
            kind,
            path: path.to_owned(),
            title: format!("{} · {name}", kind.name()),
            stats: Vec::new(),
            plots: Vec::new(),
            notes: Vec::new(),
            failures: 0,
            rows: Vec::new(),
            pass_at: Vec::new(),
            extra: String::new(),
        }
    }

    /// The value of the headline number `key`, as the page shows it.
    #[must_use]
    pub fn stat(&self, key: &str) -> Option<&str> {
        self.stats.iter().find(|s| s.key == key).map(|s| s.value.as_str())
    }
}

/// A report: a section per input.
#[derive(Debug, Clone)]
pub struct Report {
    pub sections: Vec<Section>,
}

impl Report {
    /// Reads every input (each told apart by its contents) into its section.
    ///
    /// # Errors
    /// When an input cannot be read or is not a run robosim wrote; a malformed line inside
    /// one is counted on the page instead.
    pub fn build(inputs: &[PathBuf]) -> Result<Self, Error> {
        if inputs.is_empty() {
            return Err(Error::NoInput);
        }
        let sections = inputs
            .iter()
            .enumerate()
            .map(|(i, path)| match Kind::of(path)? {
                Kind::Verdicts => verdicts::section(i, path),
                Kind::Grades => grades::grades_file(i, path),
                Kind::Eval => grades::eval_dir(i, path),
                Kind::Pipeline => pipeline::section(i, path),
            })
            .map(|section| {
                section.map(|mut s| {
                    rows::compact(&mut s.rows);
                    s
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { sections })
    }

    /// The page.
    #[must_use]
    pub fn html(&self) -> String {
        page::render(self)
    }
}

/// Where `robosim report INPUT` writes when not told: beside a file input
/// (`x.verdicts.jsonl` → `x.verdicts.report.html`), inside a directory input.
#[must_use]
pub fn default_output(input: &Path) -> PathBuf {
    if input.is_dir() {
        return input.join("report.html");
    }
    let name = input.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let stem = name.strip_suffix(".jsonl").unwrap_or(&name);
    input.with_file_name(format!("{stem}.report.html"))
}

/// Buckets for a histogram: `(label, upper bound inclusive)`.
fn bucket(edges: &[(&str, f64)], value: f64) -> usize {
    edges.iter().position(|(_, top)| value <= *top).unwrap_or(edges.len() - 1)
}
