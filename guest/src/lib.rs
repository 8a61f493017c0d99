//! robosim's guest: RustPython with the robot API, built for `wasm32-wasip1`.
//!
//! A WASI reactor. The host calls `robosim_init` once (or runs it before taking a snapshot),
//! then, per program, writes a JSON [`RunRequest`] into memory from `robosim_alloc` and calls
//! `robosim_run`. Robot calls, printed text and the final report go to the host through the
//! `robosim` imports (see [`host`]). The guest has no other way out: the host grants no WASI
//! capability, and the import allowlist keeps `os`, `socket`, `subprocess` and `open` away.
//!
//! Build it with `cargo build --release --target wasm32-wasip1 -p robosim-guest`;
//! `robosim-sandbox`'s build script does this for you.

mod api;
mod convert;
mod driver;
mod heap;
mod host;
mod prelude;
mod stdlib;

use std::cell::{OnceCell, RefCell};

use robosim_protocol::{ExceptionInfo, GuestOutcome, GuestReport, RunRequest, wire};
use rustpython_vm::{AsObject, Interpreter, PyResult, VirtualMachine};

/// Native modules from rustpython-stdlib that programs may import. Everything else (socket,
/// select, mmap, …) stays out.
const NATIVE_ALLOWLIST: &[&str] = &[
    "math",
    "cmath",
    "_random",
    "_bisect",
    "_heapq",
    "_json",
    "_struct",
    "_statistics",
    "_contextvars",
    "_datetime",
    "_opcode",
    "_tokenize",
    "_suggestions",
    "array",
    "binascii",
    "unicodedata",
];

struct Guest {
    interpreter: Interpreter,
    driver: driver::Driver,
    /// The last program run (its request and the host's code), for a request to run it `again`.
    last: RefCell<Option<(RunRequest, Option<Vec<u8>>)>>,
}

thread_local! {
    static GUEST: OnceCell<Guest> = const { OnceCell::new() };
}

/// Modules imported before a snapshot is taken, so that programs importing them pay
/// nothing (compiling `random`'s source alone costs ~100 M fuel).
const PRELOAD: &[&str] = &[
    "random",
    "re",
    "json",
    "string",
    "collections",
    "itertools",
    "functools",
    "math",
    "datetime",
    "copy",
    "heapq",
    "bisect",
    "typing",
    "enum",
    "textwrap",
    "statistics",
];

/// Starts the interpreter, runs the prelude and imports the common standard-library
/// modules. `wasmtime-wizer` calls this by its default name and snapshots the result.
#[unsafe(export_name = "wizer-initialize")]
pub extern "C" fn wizer_initialize() {
    robosim_init();
    GUEST.with(|cell| {
        let guest = cell.get().expect("initialised above");
        guest.interpreter.enter(|vm| {
            for module in PRELOAD {
                let result = vm.import(*module, 0);
                vm.expect_pyresult(result, "preloading a standard-library module");
            }
            let result = guest.driver.take_baseline(vm);
            vm.expect_pyresult(result, "recording the baseline");
        });
    });
}

/// Starts the interpreter and runs the prelude. Idempotent.
#[unsafe(no_mangle)]
pub extern "C" fn robosim_init() {
    GUEST.with(|cell| {
        cell.get_or_init(start);
    });
}

/// Seeds `random` as a run's start does. The host calls this after `wizer-initialize`, with
/// its entropy as at the start of a run with seed 0 (every command's default), just before it
/// takes the snapshot: a fresh instance's first run with seed 0 then finds `random` seeded
/// and skips the ~140 K fuel of seeding it (see `Driver::reseed_random`).
///
/// Then, the last things before the snapshot, it empties RustPython's freelists and takes
/// the heap's free chunks ([`heap`]).
#[unsafe(no_mangle)]
pub extern "C" fn robosim_preseed() {
    GUEST.with(|cell| {
        if let Some(guest) = cell.get() {
            guest.interpreter.enter(|vm| {
                guest.driver.reseed_random(vm);
                let result = heap::immortalize_shared(vm, guest.driver.shared_objects());
                vm.expect_pyresult(result, "making the shared objects immortal");
                let result = heap::drain_freelists(vm);
                vm.expect_pyresult(result, "emptying the freelists");
            });
        }
    });
    heap::plug_holes();
}

/// Memory for the host to write a request into; `robosim_run` takes ownership of it.
#[unsafe(no_mangle)]
pub extern "C" fn robosim_alloc(len: usize) -> *mut u8 {
    let mut buf = Vec::<u8>::with_capacity(len);
    let ptr = buf.as_mut_ptr();
    std::mem::forget(buf);
    ptr
}

/// Runs one program. `ptr`/`len` hold a [`RunRequest`] (in [`wire`] format) written into memory from
/// [`robosim_alloc`]. The outcome goes to the host through `robosim.finish`.
///
/// # Safety
/// `ptr` must come from `robosim_alloc(len)` with `len` bytes written.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn robosim_run(ptr: *mut u8, len: usize) {
    // SAFETY: the caller passes a buffer from `robosim_alloc(len)`, fully written.
    let bytes = unsafe { Vec::from_raw_parts(ptr, len, len) };
    robosim_init();
    let report = match request(&bytes) {
        Ok((request, code)) => GUEST.with(|cell| {
            let guest = cell.get().expect("initialised above");
            if !request.again {
                // The driver's compiled code is the last program's: kept only for the same one.
                guest.driver.forget_other(&request.source, &request.filename);
                *guest.last.borrow_mut() = Some((request, code.map(<[u8]>::to_vec)));
            }
            match &*guest.last.borrow() {
                Some((request, code)) => guest.interpreter.enter(|vm| guest.driver.run(vm, request, code.as_deref())),
                None => invalid("asked to run the last program again, before any".into()),
            }
        }),
        Err(err) => invalid(err),
    };
    host::finish(&report);
}

/// The report of a request the guest could not act on (a host bug, not a program's doing).
fn invalid(message: String) -> GuestReport {
    GuestReport {
        outcome: GuestOutcome::Exception(ExceptionInfo {
            exc_type: "robosim.InvalidRequest".into(),
            message,
            line: None,
            traceback: String::new(),
            robot_error: None,
        }),
        reusable: false,
    }
}

/// The request at the start of `bytes` and the compiled code after it (exactly as many bytes as
/// it says), if any.
fn request(bytes: &[u8]) -> Result<(RunRequest, Option<&[u8]>), String> {
    let (request, code) = wire::decode_front::<RunRequest>(bytes).map_err(|e| e.to_string())?;
    if code.len() != request.code_bytes as usize {
        return Err(format!("the request says {} bytes of code follow, not {}", request.code_bytes, code.len()));
    }
    Ok((request, (!code.is_empty()).then_some(code)))
}

fn start() -> Guest {
    let mut settings = rustpython_vm::Settings::default();
    // Deterministic hashing: the same program costs the same fuel on every run.
    settings.hash_seed = Some(0);
    settings.import_site = false;
    settings.ignore_environment = true;
    settings.isolated = true;
    settings.user_site_directory = false;
    settings.allow_external_library = false;
    settings.install_signal_handlers = false;
    settings.buffered_stdio = false;
    settings.write_bytecode = false;

    let builder = Interpreter::builder(settings);
    let natives: Vec<_> = rustpython_stdlib::stdlib_module_defs(&builder.ctx)
        .into_iter()
        .filter(|def| NATIVE_ALLOWLIST.contains(&def.name.as_str()))
        .collect();
    let interpreter = builder.add_native_modules(&natives).build();
    let driver = interpreter.enter(|vm| {
        let result = setup(vm);
        vm.expect_pyresult(result, "robosim set-up failed")
    });
    Guest { interpreter, driver, last: RefCell::new(None) }
}

/// Makes the robot API (native), the `robot` module and `time.sleep`, runs the prelude
/// (output, input, files, imports), and returns the driver.
fn setup(vm: &VirtualMachine) -> PyResult<driver::Driver> {
    let api = api::make(vm)?;
    let modules = vm.sys_module.get_attr("modules", vm)?;
    let robot = vm.new_module("robot", vm.ctx.new_dict(), Some(vm.ctx.new_str("The robot API.")));
    for (name, value) in &api {
        robot.as_object().set_attr(*name, value.clone(), vm)?;
    }
    modules.set_item("robot", robot.into(), vm)?;
    let time = vm.import("time", 0)?;
    time.set_attr("sleep", vm.new_function("sleep", api::sleep), vm)?;
    prelude::run_prelude(vm)?;
    let sys = vm.sys_module.clone().into();
    let mut globals: Vec<(&'static str, _)> = api.into_iter().filter(|(name, _)| *name != "RobotError").collect();
    globals.push(("time", time));
    globals.push(("sys", sys));
    driver::Driver::new(vm, globals)
}
