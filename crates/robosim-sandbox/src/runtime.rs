//! [`Runtime`]: what runs need from a sandbox (the engine, the linked guest, the default
//! limits) and [`Slots`], how many instances may be alive at once, so the pooling allocator's
//! fixed number of slots is never exhausted.
//!
//! Without the slot gate an instance started while every slot is taken fails to instantiate,
//! and the run would end as a trap: a verdict that depended on how many threads a caller
//! happened to use. With it, the run waits for a slot instead.

use parking_lot::{Condvar, Mutex};
use wasmtime::{Engine, InstancePre};

use crate::{Limits, state::HostState};

/// The compiled, linked guest and what every instance of it is made with.
pub(crate) struct Runtime {
    pub(crate) engine: Engine,
    pub(crate) pre: InstancePre<HostState>,
    /// Limits for runs that do not give their own.
    pub(crate) limits: Limits,
    /// `None` without the pooling allocator.
    pub(crate) slots: Option<Slots>,
    /// `None`: every program is compiled in the guest.
    pub(crate) compiler: Option<crate::compile::HostCompiler>,
}

impl Runtime {
    /// A pool slot for one instance, waiting while all are taken (`None`: no pool).
    pub(crate) fn instance_slot(&self) -> Option<Permit<'_>> {
        self.slots.as_ref().map(Slots::acquire)
    }
}

#[derive(Debug)]
pub(crate) struct Slots {
    free: Mutex<u32>,
    freed: Condvar,
}

impl Slots {
    pub(crate) const fn new(slots: u32) -> Self {
        Self { free: Mutex::new(slots), freed: Condvar::new() }
    }

    /// Takes a slot, waiting while none is free. The slot is given back when the permit
    /// drops, which must be after the instance's store has dropped.
    pub(crate) fn acquire(&self) -> Permit<'_> {
        let mut free = self.free.lock();
        while *free == 0 {
            self.freed.wait(&mut free);
        }
        *free -= 1;
        Permit(self)
    }
}

/// One taken slot (see [`Slots::acquire`]).
#[derive(Debug)]
pub(crate) struct Permit<'a>(&'a Slots);

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        *self.0.free.lock() += 1;
        self.0.freed.notify_one();
    }
}
