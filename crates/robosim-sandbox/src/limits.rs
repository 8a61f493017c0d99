//! Per-run limits. Each one, when hit, ends the run with its own [`Outcome`](crate::Outcome).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What one run may consume. Start-up of the interpreter is not counted against `fuel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// wasmtime fuel for the program (≈ 7.7 G/s here). The same on every machine and run.
    pub fuel: u64,
    /// Linear memory of the guest, in bytes (the interpreter itself needs ~40 MiB).
    pub memory_bytes: usize,
    /// Wall-clock guard, checked by epoch interruption every [`EPOCH_TICK`](crate::EPOCH_TICK).
    #[serde(with = "millis")]
    pub deadline: Duration,
    /// Bytes of stdout + stderr kept; printing more ends the run.
    pub output_bytes: usize,
    /// Robot API calls allowed.
    pub robot_calls: u64,
    /// Bytes the program may pass to and get back from the world, over all robot calls and
    /// world queries (`in` on a room name or the room list) of a run, counted as the size of
    /// the messages in JSON (whatever the wire format: `robosim_protocol::wire`), less each
    /// short request's call site. Bounds the trace and the decisions a run leaves behind.
    pub robot_data_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            fuel: 5_000_000_000,
            memory_bytes: 256 << 20,
            deadline: Duration::from_secs(10),
            output_bytes: 1 << 20,
            robot_calls: 10_000,
            robot_data_bytes: 1 << 20,
        }
    }
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

/// Function-table slots per instance (the guest's table has ~25,000 entries): the pool's
/// reservation and the limit on table growth.
pub(crate) const TABLE_ELEMENTS: usize = 100_000;

/// How often the epoch ticker advances the engine's epoch (the deadline's resolution).
pub const EPOCH_TICK: Duration = Duration::from_millis(10);
/// Native stack for wasm frames. Python-to-Python calls use little of it (a 4 MiB stack held
/// 99,000 frames), so Python's recursion limit (RecursionError) trips long before; native
/// recursion (a deeply nested literal) ends as `StackExhausted`. 1 MiB leaves room for the
/// host within Rust's default 2 MiB thread stack.
pub const MAX_WASM_STACK: usize = 1 << 20;
