//! The per-run store state: the world, the limits, what the run has produced so far.

use std::any::Any;

use robosim_protocol::{GuestOutcome, Site};
use robosim_world::World;
use wasmtime::{Memory, ResourceLimiter};

use crate::{Limits, TraceEvent, limits::TABLE_ELEMENTS};

/// A [`World`] that can be handed back to the caller by its concrete type after the run.
pub(crate) trait AnyWorld: World {
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

impl<W: World + 'static> AnyWorld for W {
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// Why the host stopped the guest (returned as the error of a host call, which traps).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Abort {
    #[error("the program printed more than {0} bytes")]
    OutputLimit(usize),
    #[error("the program made more than {0} robot calls")]
    RobotCallLimit(u64),
    /// The world's work for the program (patterns it supplied) went past the fuel left.
    #[error("the host work for the program went past the fuel left")]
    HostWork,
    #[error("the program passed more than {0} bytes to or from the world")]
    RobotDataLimit(usize),
    /// The guest asked for memory past the limit: the run ends there.
    #[error("the program needed more than {0} bytes of memory")]
    Memory(usize),
    #[error("the guest exited with status {0}")]
    Exit(i32),
    #[error("the guest broke the host protocol: {0}")]
    Protocol(String),
}

/// Grants memory up to the limit; past it, ends the run (a trap) rather than letting the
/// guest's allocation fail: a failed allocation becomes a `MemoryError` the program can catch,
/// and then no record could tell the host's refusal from an exception the program raised
/// itself. So the limit is reported only when the host stopped the program.
#[derive(Debug)]
pub(crate) struct MemoryLimiter {
    pub(crate) max_bytes: usize,
    pub(crate) denied: bool,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        let allowed = desired <= self.max_bytes && maximum.is_none_or(|max| desired <= max);
        if !allowed {
            self.denied = true;
            return Err(Abort::Memory(self.max_bytes).into());
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        // The pool reserves this many slots per instance; beyond them growth fails anyway.
        Ok(desired <= TABLE_ELEMENTS && maximum.is_none_or(|max| desired <= max))
    }
}

pub(crate) struct HostState {
    pub(crate) world: Box<dyn AnyWorld>,
    pub(crate) limits: Limits,
    pub(crate) limiter: MemoryLimiter,
    pub(crate) memory: Option<Memory>,
    /// The reply to the last `robosim.call`, until the guest takes it.
    pub(crate) reply: Vec<u8>,
    /// The last request's bytes (a buffer kept between calls).
    pub(crate) request: Vec<u8>,
    pub(crate) trace: Vec<TraceEvent>,
    pub(crate) stdout: String,
    pub(crate) stdout_writes: Vec<crate::StdoutWrite>,
    /// Where in the program each robot call of `trace` was made.
    pub(crate) call_sites: Vec<Site>,
    pub(crate) stderr: String,
    /// What the guest's Rust code wrote to WASI stderr (panic messages), bounded.
    pub(crate) guest_log: String,
    pub(crate) outcome: Option<GuestOutcome>,
    /// Fuel given to the program phase; 0 during start-up.
    pub(crate) run_fuel: u64,
    pub(crate) slept_ns: u64,
    /// Bytes of robot-call and world-query traffic so far (see `Limits::robot_data_bytes`).
    pub(crate) robot_data: usize,
    pub(crate) rng_state: u64,
    /// The guest said the instance is as the run found it (see `Session`).
    pub(crate) reusable: bool,
}

/// The most room a message buffer keeps from one run to the next.
const KEPT_BUFFER_BYTES: usize = 64 << 10;

impl HostState {
    pub(crate) fn new(world: Box<dyn AnyWorld>, limits: Limits, seed: u64) -> Self {
        Self {
            world,
            limiter: MemoryLimiter { max_bytes: limits.memory_bytes, denied: false },
            limits,
            memory: None,
            reply: Vec::new(),
            request: Vec::new(),
            trace: Vec::new(),
            stdout: String::new(),
            stdout_writes: Vec::new(),
            call_sites: Vec::new(),
            stderr: String::new(),
            guest_log: String::new(),
            outcome: None,
            run_fuel: 0,
            slept_ns: 0,
            robot_data: 0,
            rng_state: seed,
            reusable: false,
        }
    }

    /// Readies a used state for the next run in the same instance; returns the old world.
    pub(crate) fn reset(&mut self, world: Box<dyn AnyWorld>, limits: Limits, seed: u64) -> Box<dyn AnyWorld> {
        let memory = self.memory;
        let mut old = std::mem::replace(self, Self::new(world, limits, seed));
        self.memory = memory;
        // The message buffers' room, unless a large message left much of it.
        for (kept, old) in [(&mut self.request, &mut old.request), (&mut self.reply, &mut old.reply)] {
            if old.capacity() <= KEPT_BUFFER_BYTES {
                old.clear();
                *kept = std::mem::take(old);
            }
        }
        old.world
    }

    /// Bytes of program output kept so far.
    pub(crate) fn output_len(&self) -> usize {
        self.stdout.len() + self.stderr.len()
    }

    /// The abort `bytes` more of robot traffic would end the run with, without counting them.
    pub(crate) fn check_robot_data(&self, bytes: usize) -> Result<(), Abort> {
        if self.robot_data.saturating_add(bytes) > self.limits.robot_data_bytes {
            return Err(Abort::RobotDataLimit(self.limits.robot_data_bytes));
        }
        Ok(())
    }

    /// Counts `bytes` of robot traffic; the abort when the run has used up its allowance.
    pub(crate) fn charge_robot_data(&mut self, bytes: usize) -> Result<(), Abort> {
        let within = self.check_robot_data(bytes);
        self.robot_data = self.robot_data.saturating_add(bytes);
        within
    }

    /// SplitMix64: the guest's entropy must be deterministic per seed, not secret.
    pub(crate) fn next_random(&mut self) -> u64 {
        self.rng_state = self.rng_state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng_state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}
