//! [`Session`]: the runs of one program, sharing an instance while that is safe.
//!
//! Isolation between programs is the host's: a session belongs to one [`Program`] (fixed when
//! it is made), every session starts from the pristine snapshot in an instance no other
//! program has run in, and its instance is dropped with it. Nothing a program does to the
//! interpreter can reach another program's runs.
//!
//! Within a session, the runs (the verifier's paths) share the instance so the source is
//! compiled once and memory stays warm. Each run still gets a fresh namespace, limits,
//! output, trace and world. What a program can still influence is its own later runs: state
//! it leaves in the interpreter (a replaced builtin, a module attribute, `sys` settings) is
//! there when its next run starts. The guest's driver and robot API are native and out of
//! its reach, so every run's outcome and trace are reported as they happened; and the runs
//! happen in an order fixed by the program and the settings, so a verdict stays a function
//! of the program and the settings alone. The guest also checks natively, after each run,
//! the state programs most often change (names added to or removed from `sys.modules`,
//! builtins, `sys`, `time`, `robot` and `random`; `sys.meta_path` and `sys.path`; the
//! recursion limit, the int-to-str digit limit, trace and profile hooks); when it changed,
//! or the run trapped, the next run starts from the snapshot again, so that most paths are
//! independent of each other and a failing path replays the same in a fresh instance. Not
//! checked (they reach only the same program's later runs): a value replaced under an
//! existing name (`builtins.len = f`, `json.dumps = f`), attributes of other modules and
//! objects, audit hooks, warning filters, objects kept alive.

use std::{sync::Arc, time::Instant};

use robosim_protocol::{GuestOutcome, RunRequest, wire};
use robosim_world::{OpenWorld, World};
use wasmtime::{Instance, Store, Trap, TypedFunc};

use crate::{
    EPOCH_TICK, Limits, Outcome, Program, RunReport,
    runtime::{Permit, Runtime},
    state::{Abort, HostState},
};

/// Fuel allowed for interpreter start-up (counted apart from the program's).
const STARTUP_FUEL: u64 = 2_000_000_000;

/// The runs of one program: created by [`Sandbox::session`](crate::Sandbox::session), they share an instance while
/// that is safe, and no other program ever runs in it.
pub struct Session<'s> {
    runtime: &'s Runtime,
    program: Program,
    /// The program compiled by the host (once, at the first run), or `None`: the guest compiles it.
    code: Option<Option<Arc<[u8]>>>,
    live: Option<Live<'s>>,
    /// Instances started (from the snapshot) for this program.
    instances: u64,
}

impl std::fmt::Debug for Session<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("filename", &self.program.filename)
            .field("live", &self.live.is_some())
            .field("instances", &self.instances)
            .finish_non_exhaustive()
    }
}

struct Live<'s> {
    store: Store<HostState>,
    alloc: TypedFunc<u32, u32>,
    run: TypedFunc<(u32, u32), ()>,
    instance: Instance,
    /// The program was sent to this instance: later runs ask for it `again`.
    ran: bool,
    /// Dropped after `store` (fields drop in order): the slot is free once the instance is.
    _slot: Option<Permit<'s>>,
}

impl<'s> Session<'s> {
    pub(crate) fn new(runtime: &'s Runtime, program: Program) -> Self {
        Self { runtime, program, code: None, live: None, instances: 0 }
    }

    /// The program this session runs.
    #[must_use]
    pub const fn program(&self) -> &Program {
        &self.program
    }

    /// Readies an instance now (from the snapshot), so the next run does not wait for it.
    /// Returns whether one is ready.
    pub fn warm_up(&mut self) -> bool {
        if self.live.is_none() {
            let mut startup_fuel = 0;
            self.live = self.start(&self.runtime.limits, 0, &mut startup_fuel).ok();
            self.instances += u64::from(self.live.is_some());
        }
        self.live.is_some()
    }

    /// How many instances this session has started from the snapshot: 1 when every run
    /// could share the first, more when a run trapped or changed the interpreter.
    #[must_use]
    pub const fn instances(&self) -> u64 {
        self.instances
    }

    /// Runs the session's program against `world`; see [`Sandbox::run_with`](crate::Sandbox::run_with).
    pub fn run_with<W: World + 'static>(&mut self, world: W, limits: &Limits, seed: u64) -> (RunReport, W) {
        let started = Instant::now();
        let mut startup_fuel = 0;
        if self.live.is_none() {
            self.instances += 1;
            match self.start(limits, seed, &mut startup_fuel) {
                Ok(live) => self.live = Some(live),
                Err(failed) => {
                    let (err, mut state) = *failed;
                    let report = report(classify(Err(err), &state), &mut state, 0, startup_fuel, started);
                    return (report, world);
                }
            }
        }
        let (runtime, program) = (self.runtime, &self.program);
        let code = self.code.get_or_insert_with(|| {
            runtime.compiler.as_ref().and_then(|compiler| compiler.code(&program.source, &program.filename))
        });
        let live = self.live.as_mut().expect("started above");
        let previous = live.store.data_mut().reset(Box::new(world), *limits, seed);
        drop(previous);
        let result = live.run(program, code.as_deref(), limits);
        let fuel_used = match live.store.get_fuel() {
            Ok(left) => live.store.data().run_fuel.saturating_sub(left),
            Err(_) => 0,
        };
        let keep = result.is_ok() && live.store.data().reusable;
        let state = live.store.data_mut();
        let outcome = classify(result, &*state);
        let world = std::mem::replace(&mut state.world, Box::new(OpenWorld::default()));
        let report = report(outcome, state, fuel_used, startup_fuel, started);
        if !keep {
            // After a trap the guest's state is unsound; after a change it is not pristine.
            self.live = None;
        }
        let world = *world.into_any().downcast::<W>().expect("the world keeps its type");
        (report, world)
    }

    fn start(
        &self,
        limits: &Limits,
        seed: u64,
        startup_fuel: &mut u64,
    ) -> Result<Live<'s>, Box<(wasmtime::Error, HostState)>> {
        let slot = self.runtime.instance_slot();
        let mut store = Store::new(&self.runtime.engine, HostState::new(Box::new(OpenWorld::default()), *limits, seed));
        store.limiter(|state| &mut state.limiter);
        store.epoch_deadline_trap();
        set_deadline(&mut store, limits);
        let result = (|| {
            store.set_fuel(STARTUP_FUEL)?;
            let instance = self.runtime.pre.instantiate(&mut store)?;
            instance.get_typed_func::<(), ()>(&mut store, "robosim_init")?.call(&mut store, ())?;
            *startup_fuel = STARTUP_FUEL - store.get_fuel()?;
            let alloc = instance.get_typed_func::<u32, u32>(&mut store, "robosim_alloc")?;
            let run = instance.get_typed_func::<(u32, u32), ()>(&mut store, "robosim_run")?;
            Ok::<_, wasmtime::Error>((instance, alloc, run))
        })();
        match result {
            Ok((instance, alloc, run)) => Ok(Live { store, alloc, run, instance, ran: false, _slot: slot }),
            Err(err) => Err(Box::new((err, store.into_data()))),
        }
    }
}

impl Live<'_> {
    fn run(&mut self, program: &Program, code: Option<&[u8]>, limits: &Limits) -> wasmtime::Result<()> {
        let store = &mut self.store;
        set_deadline(store, limits);
        let code = code.unwrap_or_default();
        let mut request = Vec::new();
        if self.ran {
            let again =
                RunRequest { source: String::new(), filename: String::new(), entry: None, code_bytes: 0, again: true };
            wire::encode(&again, &mut request);
        } else {
            let first = RunRequest {
                source: program.source.clone(),
                filename: program.filename.clone(),
                entry: program.entry.clone(),
                code_bytes: u32::try_from(code.len())?,
                again: false,
            };
            wire::encode(&first, &mut request);
            request.extend_from_slice(code);
        }
        let len = u32::try_from(request.len()).map_err(|_| wasmtime::format_err!("program too large"))?;
        store.set_fuel(limits.fuel)?;
        store.data_mut().run_fuel = limits.fuel;
        let ptr = self.alloc.call(&mut *store, len)?;
        let memory = self
            .instance
            .get_memory(&mut *store, "memory")
            .ok_or_else(|| wasmtime::format_err!("the guest exports no memory"))?;
        memory.write(&mut *store, ptr as usize, &request)?;
        // The guest keeps the program from here on, whatever the run does: a run that traps
        // or leaves the interpreter changed ends the instance, and the next starts afresh.
        self.ran = true;
        self.run.call(&mut *store, (ptr, len))
    }
}

fn set_deadline(store: &mut Store<HostState>, limits: &Limits) {
    let ticks = limits.deadline.as_nanos().div_ceil(EPOCH_TICK.as_nanos());
    // +1: the ticker's phase is arbitrary, so the first tick may come at once.
    store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX).saturating_add(1));
}

/// The report of a finished run; takes the run's trace and output out of `state`.
fn report(outcome: Outcome, state: &mut HostState, fuel_used: u64, startup_fuel: u64, started: Instant) -> RunReport {
    RunReport {
        outcome,
        trace: std::mem::take(&mut state.trace),
        stdout: std::mem::take(&mut state.stdout),
        stdout_writes: std::mem::take(&mut state.stdout_writes),
        call_sites: std::mem::take(&mut state.call_sites),
        stderr: std::mem::take(&mut state.stderr),
        fuel_used,
        startup_fuel,
        wall_time: started.elapsed(),
        slept: state.slept_ns as f64 / 1e9,
    }
}

fn classify(result: wasmtime::Result<()>, state: &HostState) -> Outcome {
    if let Err(err) = result {
        if let Some(abort) = err.downcast_ref::<Abort>() {
            return match abort {
                Abort::OutputLimit(_) => Outcome::OutputLimitExceeded,
                Abort::RobotCallLimit(_) => Outcome::RobotCallLimitExceeded,
                Abort::RobotDataLimit(_) => Outcome::RobotDataLimitExceeded,
                // Host work is paid in fuel: running out of it is running out of fuel.
                Abort::HostWork => Outcome::FuelExhausted,
                Abort::Memory(_) => Outcome::MemoryExceeded,
                Abort::Exit(_) | Abort::Protocol(_) => trap(&err.to_string(), state),
            };
        }
        return match err.downcast_ref::<Trap>() {
            Some(Trap::OutOfFuel) => Outcome::FuelExhausted,
            Some(Trap::Interrupt) => Outcome::DeadlineExceeded,
            Some(Trap::StackOverflow) => Outcome::StackExhausted,
            _ if state.limiter.denied => Outcome::MemoryExceeded,
            _ => trap(&format!("{err:?}"), state),
        };
    }
    match &state.outcome {
        None => trap("the guest returned without reporting an outcome", state),
        Some(GuestOutcome::Completed) => Outcome::Completed,
        Some(GuestOutcome::Exited { code }) => Outcome::Exited { code: code.clone() },
        Some(GuestOutcome::SyntaxError { message, line, column }) => {
            Outcome::SyntaxError { message: message.clone(), line: *line, column: *column }
        }
        Some(GuestOutcome::Exception(exc)) => match &exc.robot_error {
            Some(robot) => Outcome::RobotError {
                name: robot.name.clone(),
                message: robot.message.clone(),
                line: exc.line,
                traceback: exc.traceback.clone(),
            },
            // A refusal of memory ends the run (see `MemoryLimiter`): any exception the guest
            // reports, a `MemoryError` included, is the program's own.
            None => Outcome::PythonError {
                exc_type: exc.exc_type.clone(),
                message: exc.message.clone(),
                line: exc.line,
                traceback: exc.traceback.clone(),
            },
        },
    }
}

fn trap(message: &str, state: &HostState) -> Outcome {
    let log = state.guest_log.trim();
    let message = if log.is_empty() { message.to_owned() } else { format!("{message}\nguest log:\n{log}") };
    Outcome::Trap { message }
}
