//! Keyword arguments as Python gives them, read into the overrides every entry point resolves
//! (`robosim_verify::VerifyOverrides`, `robosim_grade::GradeOverrides`): a keyword left at
//! None keeps the default, which is written once, in Rust.

use pyo3::{exceptions::PyValueError, prelude::*};
use robosim_sandbox::{LimitOverrides, SettingError};

/// A setting's error as Python's `ValueError`, naming the keyword.
pub(crate) fn value_error(error: SettingError) -> PyErr {
    PyValueError::new_err(error.to_string())
}

/// A keyword that must not be negative (taken signed, so that a negative value gets a
/// `ValueError` that names it rather than an `OverflowError`).
pub(crate) fn count(name: &'static str, value: Option<i64>) -> PyResult<Option<u64>> {
    value
        .map(|v| {
            u64::try_from(v)
                .map_err(|_| value_error(SettingError { name, detail: format!("must be at least 0, not {v}") }))
        })
        .transpose()
}

/// The per-run limits every job takes.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LimitKeywords {
    pub(crate) fuel: Option<i64>,
    pub(crate) memory_mib: Option<i64>,
    pub(crate) deadline_ms: Option<i64>,
    pub(crate) output_bytes: Option<i64>,
    pub(crate) robot_calls: Option<i64>,
    pub(crate) robot_data_bytes: Option<i64>,
}

impl LimitKeywords {
    pub(crate) fn overrides(&self) -> PyResult<LimitOverrides> {
        Ok(LimitOverrides {
            fuel: count("fuel", self.fuel)?,
            memory_mib: count("memory_mib", self.memory_mib)?,
            deadline_ms: count("deadline_ms", self.deadline_ms)?,
            output_bytes: count("output_bytes", self.output_bytes)?,
            robot_calls: count("robot_calls", self.robot_calls)?,
            robot_data_bytes: count("robot_data_bytes", self.robot_data_bytes)?,
        })
    }
}
