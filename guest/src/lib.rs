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

mod convert;
mod host;
mod native;
mod stdlib {
    include!(concat!(env!("OUT_DIR"), "/stdlib.rs"));
}

use std::cell::OnceCell;

use robosim_protocol::{ExceptionInfo, GuestOutcome, GuestReport, RobotErrorInfo, RunRequest};
use rustpython_vm::{
    AsObject, Interpreter, PyObjectRef, PyResult, VirtualMachine, builtins::PyTuple, compiler::Mode,
    convert::TryFromObject, scope::Scope,
};

/// The prelude's file name, as tracebacks show it.
const PRELUDE_FILE: &str = "<robosim-prelude>";

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
    /// The prelude's `_run(source, filename, entry)`.
    run: PyObjectRef,
    /// The prelude's `_take_baseline()`.
    take_baseline: PyObjectRef,
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
            let result = guest.take_baseline.call((), vm);
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

/// Memory for the host to write a request into; `robosim_run` takes ownership of it.
#[unsafe(no_mangle)]
pub extern "C" fn robosim_alloc(len: usize) -> *mut u8 {
    let mut buf = Vec::<u8>::with_capacity(len);
    let ptr = buf.as_mut_ptr();
    std::mem::forget(buf);
    ptr
}

/// Runs one program. `ptr`/`len` hold a JSON [`RunRequest`] written into memory from
/// [`robosim_alloc`]. The outcome goes to the host through `robosim.finish`.
///
/// # Safety
/// `ptr` must come from `robosim_alloc(len)` with `len` bytes written.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn robosim_run(ptr: *mut u8, len: usize) {
    // SAFETY: the caller passes a buffer from `robosim_alloc(len)`, fully written.
    let bytes = unsafe { Vec::from_raw_parts(ptr, len, len) };
    robosim_init();
    let report = match serde_json::from_slice::<RunRequest>(&bytes) {
        Ok(request) => GUEST.with(|cell| {
            let guest = cell.get().expect("initialised above");
            guest.interpreter.enter(|vm| run(vm, guest, &request))
        }),
        Err(err) => GuestReport {
            outcome: GuestOutcome::Exception(ExceptionInfo {
                exc_type: "robosim.InvalidRequest".into(),
                message: err.to_string(),
                line: None,
                traceback: String::new(),
                robot_error: None,
            }),
            reusable: false,
        },
    };
    host::finish(&report);
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
    let robosim = native::_robosim::module_def(&builder.ctx);
    let interpreter = builder.add_native_modules(&natives).add_native_module(robosim).build();
    let (run, take_baseline) = interpreter.enter(|vm| {
        let result = load_prelude(vm);
        vm.expect_pyresult(result, "robosim prelude failed")
    });
    Guest { interpreter, run, take_baseline }
}

/// Runs the prelude; returns its `_run` and `_take_baseline`.
fn load_prelude(vm: &VirtualMachine) -> PyResult<(PyObjectRef, PyObjectRef)> {
    let source = include_str!("../python/prelude.py");
    let module = vm.new_module("_robosim_prelude", vm.ctx.new_dict(), None);
    let dict = module.dict();
    dict.set_item("__file__", vm.ctx.new_str(PRELUDE_FILE).into(), vm)?;
    dict.set_item("__builtins__", vm.builtins.clone().into(), vm)?;
    let code = vm.compile(source, Mode::Exec, PRELUDE_FILE).map_err(|err| err.into_pyexception(vm, Some(source)))?;
    vm.run_code_obj(code, Scope::with_builtins(None, dict.clone(), vm))?;
    vm.sys_module.get_attr("modules", vm)?.set_item("_robosim_prelude", module.into(), vm)?;
    Ok((dict.get_item("_run", vm)?, dict.get_item("_take_baseline", vm)?))
}

fn run(vm: &VirtualMachine, guest: &Guest, request: &RunRequest) -> GuestReport {
    let entry = request.entry.as_deref().map_or_else(|| vm.ctx.none(), |e| vm.ctx.new_str(e).into());
    let result = guest
        .run
        .call((vm.ctx.new_str(request.source.as_str()), vm.ctx.new_str(request.filename.as_str()), entry), vm)
        .and_then(|report| {
            // (pristine, outcome tuple)
            let pair = report
                .downcast_ref::<PyTuple>()
                .filter(|t| t.len() == 2)
                .ok_or_else(|| vm.new_type_error("robosim: _run must return (pristine, outcome)"))?;
            Ok(GuestReport { reusable: pair[0].clone().try_to_bool(vm)?, outcome: describe(vm, &pair[1])? })
        });
    result.unwrap_or_else(|exc| {
        // Only reached when the prelude itself fails (e.g. MemoryError while describing).
        let exc_type = exc.class().name().to_string();
        let message = exc.as_object().str(vm).map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let outcome = GuestOutcome::Exception(ExceptionInfo {
            exc_type,
            message,
            line: None,
            traceback: String::new(),
            robot_error: None,
        });
        GuestReport { outcome, reusable: false }
    })
}

/// Turns the prelude's report tuple into a [`GuestOutcome`].
fn describe(vm: &VirtualMachine, report: &PyObjectRef) -> PyResult<GuestOutcome> {
    let tuple =
        report.downcast_ref::<PyTuple>().ok_or_else(|| vm.new_type_error("robosim: _run must return a tuple"))?;
    let items = tuple.as_slice();
    let get = |i: usize| items.get(i).cloned().unwrap_or_else(|| vm.ctx.none());
    let text = |i: usize| -> PyResult<String> { Ok(get(i).str(vm)?.to_string_lossy().into_owned()) };
    let number = |i: usize| -> PyResult<Option<u32>> {
        let obj = get(i);
        if vm.is_none(&obj) { Ok(None) } else { Ok(u32::try_from_object(vm, obj).ok()) }
    };
    let kind = text(0)?;
    Ok(match kind.as_str() {
        "completed" => GuestOutcome::Completed,
        "exited" => GuestOutcome::Exited { code: convert::to_value(vm, &get(1)) },
        "syntax_error" => GuestOutcome::SyntaxError { message: text(1)?, line: number(2)?, column: number(3)? },
        _ => {
            let robot = get(5);
            let robot_error = match robot.downcast_ref::<PyTuple>() {
                Some(pair) if pair.len() == 2 => Some(RobotErrorInfo {
                    name: pair[0].str(vm)?.to_string_lossy().into_owned(),
                    message: pair[1].str(vm)?.to_string_lossy().into_owned(),
                }),
                _ => None,
            };
            GuestOutcome::Exception(ExceptionInfo {
                exc_type: text(1)?,
                message: text(2)?,
                line: number(3)?,
                traceback: text(4)?,
                robot_error,
            })
        }
    })
}

/// The embedded source of a standard-library module: (is a package, source).
pub(crate) fn stdlib_source(name: &str) -> Option<(bool, &'static str)> {
    stdlib::MODULES.iter().find(|(n, _, _)| *n == name).map(|&(_, package, source)| (package, source))
}
