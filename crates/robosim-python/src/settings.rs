//! A [`Verifier`](crate::Verifier)'s keyword arguments, checked into a [`VerifyConfig`].

use std::time::Duration;

use pyo3::{exceptions::PyValueError, prelude::*};
use robosim_sandbox::Limits;
use robosim_verify::{Strategy, VerifyConfig};

/// The keyword arguments as Python gave them (signed, so that a negative value gets a
/// `ValueError` that names it rather than an `OverflowError`).
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) search: String,
    pub(crate) max_paths: i64,
    pub(crate) max_depth: i64,
    pub(crate) patience: i64,
    pub(crate) random_runs: i64,
    pub(crate) seed: i64,
    pub(crate) fuel: i64,
    pub(crate) fuel_budget: i64,
    pub(crate) memory_mib: i64,
    pub(crate) deadline_ms: i64,
    pub(crate) robot_calls: i64,
    pub(crate) output_bytes: i64,
    pub(crate) robot_data_bytes: i64,
    pub(crate) reference_normalization: bool,
}

/// The smallest memory a run can start in: the interpreter itself needs ~40 MiB.
const MIN_MEMORY_MIB: i64 = 64;
const MAX_MEMORY_MIB: i64 = 4096;

fn at_least(name: &str, value: i64, min: i64) -> PyResult<u64> {
    if value < min {
        return Err(PyValueError::new_err(format!("{name} must be at least {min}, not {value}")));
    }
    Ok(value.unsigned_abs())
}

fn size(name: &str, value: i64, min: i64) -> PyResult<usize> {
    usize::try_from(at_least(name, value, min)?).map_err(|_| PyValueError::new_err(format!("{name} is too large")))
}

impl Settings {
    /// The verifier's configuration, or a `ValueError` naming the first bad setting.
    pub(crate) fn config(&self) -> PyResult<VerifyConfig> {
        let (max_paths, max_depth) = (size("max_paths", self.max_paths, 1)?, size("max_depth", self.max_depth, 0)?);
        let strategy = match self.search.as_str() {
            "coverage" => Strategy::Coverage { max_paths, max_depth, patience: size("patience", self.patience, 0)? },
            "exhaustive" => Strategy::Exhaustive { max_paths, max_depth },
            "random" => Strategy::Random { runs: size("random_runs", self.random_runs, 1)? },
            other => {
                return Err(PyValueError::new_err(format!(
                    "search must be 'coverage', 'exhaustive' or 'random', not {other:?}"
                )));
            }
        };
        let memory_mib = size("memory_mib", self.memory_mib, MIN_MEMORY_MIB)?;
        if self.memory_mib > MAX_MEMORY_MIB {
            return Err(PyValueError::new_err(format!(
                "memory_mib must be at most {MAX_MEMORY_MIB}, not {}",
                self.memory_mib
            )));
        }
        let limits = Limits {
            fuel: at_least("fuel", self.fuel, 1)?,
            memory_bytes: memory_mib << 20,
            deadline: Duration::from_millis(at_least("deadline_ms", self.deadline_ms, 1)?),
            output_bytes: size("output_bytes", self.output_bytes, 0)?,
            robot_calls: at_least("robot_calls", self.robot_calls, 1)?,
            robot_data_bytes: size("robot_data_bytes", self.robot_data_bytes, 0)?,
        };
        Ok(VerifyConfig {
            strategy,
            seed: at_least("seed", self.seed, 0)?,
            limits,
            fuel_budget: at_least("fuel_budget", self.fuel_budget, 1)?,
            reference_normalization: self.reference_normalization,
            ..VerifyConfig::default()
        })
    }
}
