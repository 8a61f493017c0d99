//! [`Sandbox`]: the engine, the compiled guest and how one program runs.

use std::{
    thread,
    time::{Duration, Instant},
};

use robosim_world::World;
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, Linker, OptLevel, PoolingAllocationConfig};

use crate::{
    CachePolicy, EPOCH_TICK, Error, Limits, MAX_WASM_STACK, Program, RunReport, Session, cache,
    limits::TABLE_ELEMENTS,
    runtime::{Runtime, Slots},
};

/// The largest linear memory a pooled instance can grow to (wasm32's 4 GiB); the per-run
/// limit is `Limits::memory_bytes`.
const MAX_MEMORY_BYTES: usize = 4 << 30;
/// Memory reset with `memset` rather than `madvise` when a slot is reused.
const KEEP_RESIDENT_BYTES: usize = 64 << 20;
/// The same for the function table (100,000 elements of 8 bytes at most): the elements a run
/// initialised lazily are reset in place, not faulted in again by the next instance.
const TABLE_KEEP_RESIDENT_BYTES: usize = 1 << 20;

/// How a [`Sandbox`] is set up.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub cache: CachePolicy,
    /// Limits for runs that do not give their own.
    pub limits: Limits,
    /// Start every run from a pre-initialised snapshot of the interpreter (default). Off,
    /// every run starts the interpreter itself (~15 ms, ~110 M fuel).
    pub snapshot: bool,
    /// Instances that may be alive at once (slots of the pooling instance allocator, which
    /// keeps instances' memory mapped between runs): a run started while all are taken waits
    /// for one. Set it to the number of threads running programs. `0`: allocate each
    /// instance on demand, no limit.
    pub max_concurrent_runs: u32,
    /// Compile programs on the host and hand the guest their code (default), rather than
    /// compile them inside the guest; see [`compile_on_host`](crate::compile_on_host). The
    /// outcome of every run is the same either way.
    pub host_compile: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            cache: CachePolicy::default(),
            limits: Limits::default(),
            snapshot: true,
            max_concurrent_runs: 64,
            host_compile: true,
        }
    }
}

/// How the compiled guest was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModuleLoad {
    pub from_cache: bool,
    pub time: Duration,
}

/// Runs Python programs, each in a fresh wasm instance. Build one and share it: compiling
/// the guest is the expensive part, and `run` takes `&self` from any number of threads.
pub struct Sandbox {
    runtime: Runtime,
    load: ModuleLoad,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("limits", &self.runtime.limits)
            .field("load", &self.load)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// A sandbox with the default cache and limits.
    pub fn new() -> Result<Self, Error> {
        Self::with_config(SandboxConfig::default())
    }

    pub fn with_config(config: SandboxConfig) -> Result<Self, Error> {
        let engine = new_engine(config.max_concurrent_runs)?;
        let started = Instant::now();
        let (module, from_cache) = cache::load_or_compile(&engine, &config.cache, config.snapshot)?;
        let load = ModuleLoad { from_cache, time: started.elapsed() };
        let mut linker = Linker::new(&engine);
        crate::imports::add_to_linker(&mut linker).map_err(Error::link)?;
        crate::wasi::add_to_linker(&mut linker).map_err(Error::link)?;
        linker.define_unknown_imports_as_traps(&module).map_err(Error::link)?;
        let pre = linker.instantiate_pre(&module).map_err(Error::link)?;
        start_epoch_ticker(&engine);
        let slots = (config.max_concurrent_runs > 0).then(|| Slots::new(config.max_concurrent_runs));
        let compiler = config.host_compile.then(crate::compile::HostCompiler::default);
        Ok(Self { runtime: Runtime { engine, pre, limits: config.limits, slots, compiler }, load })
    }

    /// How the compiled guest was loaded (from the cache or compiled), and how long it took.
    #[must_use]
    pub const fn module_load(&self) -> ModuleLoad {
        self.load
    }

    /// The default limits of this sandbox.
    #[must_use]
    pub const fn limits(&self) -> &Limits {
        &self.runtime.limits
    }

    /// Runs `program` against `world` with the default limits and seed 0, in a fresh
    /// instance; returns the report and the world as the program left it.
    pub fn run<W: World + 'static>(&self, program: &Program, world: W) -> (RunReport, W) {
        self.run_with(program, world, &self.runtime.limits, 0)
    }

    /// Runs `program` against `world` in a fresh instance (from the snapshot). `seed` feeds
    /// the guest's entropy (`random`, hashing). To run one program many times, a
    /// [`Session`] is faster.
    pub fn run_with<W: World + 'static>(
        &self,
        program: &Program,
        world: W,
        limits: &Limits,
        seed: u64,
    ) -> (RunReport, W) {
        self.session(program).run_with(world, limits, seed)
    }

    /// A session for `program`: its runs share an instance while that is safe, and no other
    /// program ever runs in it.
    #[must_use]
    pub fn session(&self, program: &Program) -> Session<'_> {
        Session::new(&self.runtime, program.clone())
    }
}

fn new_engine(max_concurrent_runs: u32) -> Result<Engine, Error> {
    let mut config = Config::new();
    if max_concurrent_runs > 0 {
        // Slots are reserved address space, reused run after run: no mmap/munmap per run,
        // and the snapshot's pages are reset rather than mapped anew.
        let mut pool = PoolingAllocationConfig::new();
        pool.total_core_instances(max_concurrent_runs)
            .total_memories(max_concurrent_runs)
            .total_tables(max_concurrent_runs)
            .max_memory_size(MAX_MEMORY_BYTES)
            .table_elements(TABLE_ELEMENTS)
            .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
            .table_keep_resident(TABLE_KEEP_RESIDENT_BYTES)
            .pagemap_scan(Enabled::Auto);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    config
        .consume_fuel(true)
        .epoch_interruption(true)
        .max_wasm_stack(MAX_WASM_STACK)
        // Checked against max_wasm_stack even without async calls (which robosim never makes).
        .async_stack_size(MAX_WASM_STACK + (1 << 20))
        .cranelift_opt_level(OptLevel::Speed)
        .parallel_compilation(true);
    Engine::new(&config).map_err(Error::engine)
}

/// Advances the engine's epoch every tick while the engine lives.
fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    // A failure to spawn only loses the wall-clock guard; fuel still bounds every run.
    let _ = thread::Builder::new().name("robosim-epoch".into()).spawn(move || {
        loop {
            thread::sleep(EPOCH_TICK);
            match weak.upgrade() {
                Some(engine) => engine.increment_epoch(),
                None => break,
            }
        }
    });
}
