//! Pre-initialisation: start the interpreter once, then snapshot the instance's memory and
//! globals into a new module (wasmtime-wizer), so that every run starts with Python ready.
//!
//! Start-up costs ~15 ms and ~110 M fuel per run without this; with it, an instance is ready
//! after a copy-on-write mapping of the snapshot. Isolation is unchanged: each run still gets
//! a fresh instance of the snapshot. What the init function does is frozen into every run:
//! its WASI calls see no arguments, no environment, no directories, and seed-0 entropy.

use std::{
    pin::pin,
    task::{Context, Poll, Waker},
};

use robosim_world::OpenWorld;
use wasmtime::{Config, Engine, Instance, Linker, Module, OptLevel, Store, Val};
use wasmtime_wizer::{InstanceState, SnapshotVal, ValType, Wizer};

use crate::{Error, GUEST_WASM, Limits, MAX_WASM_STACK, state::HostState};

/// Runs the guest's `wizer-initialize` and returns the pre-initialised module's bytes.
pub(crate) fn preinitialize() -> Result<Vec<u8>, Error> {
    let fail = |stage: &'static str, err: wasmtime::Error| Error::Snapshot { stage, source: err.into() };
    let wizer = Wizer::new();
    let (cx, instrumented) = wizer.instrument(GUEST_WASM).map_err(|e| fail("instrumenting", e))?;

    // The instrumented module runs once: compile it for speed of compiling, not of running.
    let mut config = Config::new();
    config
        .cranelift_opt_level(OptLevel::None)
        .max_wasm_stack(MAX_WASM_STACK)
        .async_stack_size(MAX_WASM_STACK + (1 << 20));
    let engine = Engine::new(&config).map_err(|e| fail("creating the init engine", e))?;
    let module = Module::new(&engine, &instrumented).map_err(|e| fail("compiling the instrumented guest", e))?;
    let mut linker = Linker::new(&engine);
    crate::imports::add_to_linker(&mut linker).map_err(|e| fail("linking", e))?;
    crate::wasi::add_to_linker(&mut linker).map_err(|e| fail("linking", e))?;
    linker.define_unknown_imports_as_traps(&module).map_err(|e| fail("linking", e))?;

    let limits = Limits { memory_bytes: 1 << 30, ..Limits::default() };
    let mut store = Store::new(&engine, HostState::new(Box::new(OpenWorld::default()), limits, 0));
    store.limiter(|state| &mut state.limiter);
    let instance = linker.instantiate(&mut store, &module).map_err(|e| fail("instantiating", e))?;
    instance
        .get_typed_func::<(), ()>(&mut store, wizer.get_init_func())
        .and_then(|init| init.call(&mut store, ()))
        .map_err(|e| fail("running the init function", e.context(store.data().guest_log.clone())))?;
    // `random` seeded as a run with seed 0 seeds it first thing: the entropy as a seed-0 run
    // starts with it, then the guest's own reseeding.
    store.data_mut().reset(Box::new(OpenWorld::default()), limits, 0);
    instance
        .get_typed_func::<(), ()>(&mut store, "robosim_preseed")
        .and_then(|preseed| preseed.call(&mut store, ()))
        .map_err(|e| fail("seeding random", e.context(store.data().guest_log.clone())))?;
    block_on(wizer.snapshot(&cx, &mut Snapshotter { store: &mut store, instance }))
        .map_err(|e| fail("taking the snapshot", e))
}

/// Wizer reads globals and memory through this; every read is immediate.
struct Snapshotter<'a> {
    store: &'a mut Store<HostState>,
    instance: Instance,
}

impl InstanceState for Snapshotter<'_> {
    async fn global_get(&mut self, name: &str, _: ValType) -> SnapshotVal {
        let global = self.instance.get_global(&mut *self.store, name).expect("wizer names exported globals");
        match global.get(&mut *self.store) {
            Val::I32(x) => SnapshotVal::I32(x),
            Val::I64(x) => SnapshotVal::I64(x),
            Val::F32(x) => SnapshotVal::F32(x),
            Val::F64(x) => SnapshotVal::F64(x),
            Val::V128(x) => SnapshotVal::V128(x.as_u128()),
            other => panic!("the guest has a global of unsupported type {other:?}"),
        }
    }

    async fn memory_contents(&mut self, name: &str, contents: impl FnOnce(&[u8]) + Send) {
        let memory = self.instance.get_memory(&mut *self.store, name).expect("wizer names exported memories");
        contents(memory.data(&*self.store));
    }
}

/// Wizer's API is async, but nothing here waits: poll until ready with a no-op waker.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
    }
}
