//! Counting what a batch produced, from its records (new and resumed alike).

use std::{collections::BTreeMap, time::Duration};

use robosim_verify::{CountedClass, Decision, SearchEnd};
use serde::Serialize;
use serde_json::Value;

use crate::{Record, Status};

/// How many slow programs the summary names.
const SLOWEST: usize = 5;

/// The end-of-run summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Records in the verdicts file (one per input line).
    pub records: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub invalid_input: u64,
    /// Programs robosim could not verify (its own failure, not the program's).
    pub not_run: u64,
    /// Records that were already in the file (`--resume`) and were checked, not redone.
    pub resumed: u64,
    /// Programs identical to one earlier in the batch (after extraction): its verdict reused.
    pub reused: u64,
    /// Verdicts served by the on-disk cache (`--cache`).
    pub cache_hits: u64,
    /// Rejections by error class (`RobotPickError`, `NameError`, `TimeOutError`, …; a Python
    /// exception named like one of robosim's as `TimeOutError (a Python exception)`).
    pub by_class: BTreeMap<CountedClass, u64>,
    /// Rejections by how the failing run ended: `python_error`, `robot_error`,
    /// `fuel_exhausted`, `memory_exceeded`, … (robosim's stops apart from the program's errors).
    pub by_outcome: BTreeMap<&'static str, u64>,
    /// Paths explored, over all programs.
    pub paths: u64,
    /// Programs whose whole choice tree was explored.
    pub exhausted: u64,
    /// Accepted programs by why their search stopped (`exhausted`, `saturated`, `capped`).
    pub stopped: BTreeMap<SearchEnd, u64>,
    /// Paths per verified program: mean and 95th percentile.
    pub paths_mean: f64,
    pub paths_p95: u64,
    /// How many programs took each number of paths (kept to compute the figures above).
    #[serde(skip)]
    paths_histogram: BTreeMap<u64, u64>,
    pub fuel: u64,
    /// Time of this run (resumed records excluded).
    #[serde(with = "robosim_sandbox::duration_secs")]
    pub wall_time: Duration,
    /// Programs verified by this run, per second.
    pub programs_per_second: f64,
    /// Paths explored by this run, per second.
    pub paths_per_second: f64,
    /// The slowest programs, slowest first.
    pub slowest: Vec<Slow>,
    /// The training set, when one was written.
    pub training_set: Option<crate::TrainingSetStats>,
}

/// A slow program.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Slow {
    pub line: u64,
    pub id: Value,
    pub seconds: f64,
    pub paths: u64,
}

impl Summary {
    /// Counts one output record.
    pub(crate) fn add(&mut self, record: &Record, resumed: bool) {
        let meta = &record.robosim;
        self.records += 1;
        self.resumed += u64::from(resumed);
        match meta.status {
            Status::Accepted => self.accepted += 1,
            Status::Rejected => self.rejected += 1,
            Status::InvalidInput => self.invalid_input += 1,
            Status::NotRun => self.not_run += 1,
        }
        let Some(verdict) = &meta.verdict else { return };
        if let Some(failure) = &verdict.failure() {
            *self.by_class.entry(CountedClass(failure.class.clone())).or_default() += 1;
            *self.by_outcome.entry(failure.outcome.kind()).or_default() += 1;
        }
        let paths = verdict.paths as u64;
        self.paths += paths;
        *self.paths_histogram.entry(paths).or_default() += 1;
        self.exhausted += u64::from(verdict.exhausted());
        if let Decision::Accepted { stopped } = verdict.decision {
            *self.stopped.entry(stopped).or_default() += 1;
        }
        self.fuel += verdict.fuel_used;
        let seconds = verdict.wall_time.as_secs_f64();
        let slow = Slow { line: meta.line, id: meta.id.clone(), seconds, paths };
        let at = self.slowest.partition_point(|s| s.seconds >= seconds);
        if at < SLOWEST {
            self.slowest.insert(at, slow);
            self.slowest.truncate(SLOWEST);
        }
    }

    /// Sets the rates from this run's time.
    pub(crate) fn finish(&mut self, wall_time: Duration, paths_this_run: u64) {
        let programs: u64 = self.paths_histogram.values().sum();
        if programs > 0 {
            self.paths_mean = (self.paths as f64 / programs as f64 * 10.0).round() / 10.0;
            // The smallest count at or under which 95 % of the programs lie.
            let wanted = programs.saturating_mul(95).div_ceil(100);
            let mut seen = 0;
            for (&paths, &count) in &self.paths_histogram {
                seen += count;
                if seen >= wanted {
                    self.paths_p95 = paths;
                    break;
                }
            }
        }
        self.wall_time = wall_time;
        let seconds = wall_time.as_secs_f64().max(1e-9);
        self.programs_per_second = (self.records - self.resumed) as f64 / seconds;
        self.paths_per_second = paths_this_run as f64 / seconds;
    }
}
