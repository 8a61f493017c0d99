//! Limits as a user gives them: only what they set, over defaults defined once (the
//! [`Default`] of [`Limits`] or of the job's settings). The command line, the Python keywords
//! and the library all resolve a [`LimitOverrides`] with [`LimitOverrides::over`], so the same
//! flags give the same limits everywhere, checked the same way.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Limits;

/// A setting out of its range, named as the user wrote it (`memory_mib`, `max_paths`, …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name} {detail}")]
pub struct SettingError {
    pub name: &'static str,
    /// What is wrong with it: `must be at least 64, not 8`.
    pub detail: String,
}

/// The least guest memory a run can start in: the interpreter itself needs ~40 MiB.
pub const MIN_MEMORY_MIB: u64 = 64;
/// The most guest memory a run may have.
pub const MAX_MEMORY_MIB: u64 = 4096;

/// The setting `name`: `value` if it was given (and is at least `min`), else `default`.
///
/// # Errors
/// When the value given is less than `min`.
pub fn setting(name: &'static str, value: Option<u64>, min: u64, default: u64) -> Result<u64, SettingError> {
    match value {
        None => Ok(default),
        Some(value) if value < min => {
            Err(SettingError { name, detail: format!("must be at least {min}, not {value}") })
        }
        Some(value) => Ok(value),
    }
}

/// [`setting`] for a size on this machine.
///
/// # Errors
/// As [`setting`], or the value given is too large for this machine.
pub fn size_setting(name: &'static str, value: Option<u64>, min: u64, default: usize) -> Result<usize, SettingError> {
    match value {
        None => Ok(default),
        Some(value) => usize::try_from(setting(name, Some(value), min, 0)?)
            .map_err(|_| SettingError { name, detail: format!("is too large: {value}") }),
    }
}

/// Per-run limits the user set; `None` keeps the default of the job.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LimitOverrides {
    /// Fuel per run (about 7.7 G per second of compute).
    pub fuel: Option<u64>,
    /// Guest memory, in MiB ([`MIN_MEMORY_MIB`]..=[`MAX_MEMORY_MIB`]).
    pub memory_mib: Option<u64>,
    /// The wall-clock deadline per run, in milliseconds.
    pub deadline_ms: Option<u64>,
    /// Bytes of printed output kept before the run is stopped.
    pub output_bytes: Option<u64>,
    /// Robot calls allowed per run.
    pub robot_calls: Option<u64>,
    /// Bytes a run may pass to and get back from the world, counted as JSON.
    pub robot_data_bytes: Option<u64>,
}

impl LimitOverrides {
    /// `base` with what was set replaced, each checked.
    ///
    /// # Errors
    /// The first setting out of its range.
    pub fn over(&self, base: Limits) -> Result<Limits, SettingError> {
        let memory_bytes = match self.memory_mib {
            None => base.memory_bytes,
            Some(mib) if mib > MAX_MEMORY_MIB => {
                return Err(SettingError {
                    name: "memory_mib",
                    detail: format!("must be at most {MAX_MEMORY_MIB}, not {mib}"),
                });
            }
            mib => size_setting("memory_mib", mib, MIN_MEMORY_MIB, 0)? << 20,
        };
        Ok(Limits {
            fuel: setting("fuel", self.fuel, 1, base.fuel)?,
            memory_bytes,
            deadline: match self.deadline_ms {
                None => base.deadline,
                ms => Duration::from_millis(setting("deadline_ms", ms, 1, 0)?),
            },
            output_bytes: size_setting("output_bytes", self.output_bytes, 0, base.output_bytes)?,
            robot_calls: setting("robot_calls", self.robot_calls, 1, base.robot_calls)?,
            robot_data_bytes: size_setting("robot_data_bytes", self.robot_data_bytes, 0, base.robot_data_bytes)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{LimitOverrides, SettingError};
    use crate::Limits;

    #[test]
    fn only_what_was_set_changes_and_ranges_are_checked() {
        let base = Limits::default();
        assert_eq!(LimitOverrides::default().over(base), Ok(base));
        let set = LimitOverrides { fuel: Some(7), memory_mib: Some(128), ..LimitOverrides::default() };
        assert_eq!(set.over(base), Ok(Limits { fuel: 7, memory_bytes: 128 << 20, ..base }));
        let small = LimitOverrides { memory_mib: Some(8), ..LimitOverrides::default() };
        assert_eq!(
            small.over(base),
            Err(SettingError { name: "memory_mib", detail: "must be at least 64, not 8".into() })
        );
        let big = LimitOverrides { memory_mib: Some(5000), ..LimitOverrides::default() };
        assert_eq!(big.over(base).unwrap_err().to_string(), "memory_mib must be at most 4096, not 5000");
        let none = LimitOverrides { robot_calls: Some(0), ..LimitOverrides::default() };
        assert_eq!(none.over(base).unwrap_err().name, "robot_calls");
    }
}
