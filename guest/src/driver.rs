//! The driver: runs one program and describes how it ended. Native, so out of the program's
//! reach: it holds its own reference to `compile` (taken before any program ran), runs code
//! objects itself rather than through `exec`, recognises robot errors by identity, and checks
//! natively whether the interpreter is as the run found it.

use std::cell::{Cell, RefCell};

use robosim_protocol::{ExceptionInfo, GuestOutcome, GuestReport, RobotErrorInfo, RunRequest, Value, truncate_values};
use rustpython_vm::{
    AsObject, PyObjectRef, PyPayload, PyResult, VirtualMachine,
    builtins::{PyBaseExceptionRef, PyCode, PyDictRef, PyList, PyListRef, PyTuple},
    bytecode::BasicBag,
    compiler::core::marshal,
    convert::TryFromObject,
    function::ArgMapping,
    scope::Scope,
};

use robosim_source as bare;

use crate::{api, convert};

/// File names whose frames tracebacks leave out (the machinery's own).
const HIDDEN_FILES: &[&str] = &["<robosim>", crate::prelude::PRELUDE_FILE];
/// Longest message or traceback reported (bytes); the rest is cut visibly.
const MAX_TEXT: usize = 16 << 10;
/// Most items of an exit code's list reported.
const EXIT_ITEMS: usize = 64;

/// What the driver needs, taken at start-up.
pub(crate) struct Driver {
    compile: PyObjectRef,
    /// The namespace every program starts with (the robot API, `time`, `sys`, `__name__`,
    /// `__builtins__`), copied for each run: no program ever holds this dict.
    namespace: PyDictRef,
    /// The last program compiled: the paths of one program share the code object.
    compiled: RefCell<Option<Compiled>>,
    entries: RefCell<Vec<(String, PyObjectRef)>>,
    baseline: RefCell<Option<Baseline>>,
    /// The seed `random` was last given, while no generator has changed since.
    seeded: Cell<Option<u64>>,
}

/// A program's compiled code: its source and file name, the module's code object, and every
/// code object compiled from its text (the module's and, nested in its constants, its
/// functions', classes' and comprehensions'). Only lines of those are the program's lines:
/// code a program compiles for itself (`exec(compile(…, '<program>', 'exec'))`) may claim
/// the program's file name, not its lines.
struct Compiled {
    source: String,
    filename: String,
    code: PyObjectRef,
    tree: Vec<PyObjectRef>,
}

impl Compiled {
    fn owns(&self, code: &PyObjectRef) -> bool {
        self.tree.iter().any(|c| c.is(code))
    }
}

/// `code` and the code objects nested in its constants.
fn code_tree(vm: &VirtualMachine, code: &PyObjectRef) -> Vec<PyObjectRef> {
    let mut tree = Vec::new();
    let mut pending = vec![code.clone()];
    while let Some(code) = pending.pop() {
        if let Ok(consts) = code.get_attr("co_consts", vm)
            && let Some(consts) = consts.downcast_ref::<PyTuple>()
        {
            pending.extend(consts.as_slice().iter().filter(|c| c.downcast_ref::<PyCode>().is_some()).cloned());
        }
        tree.push(code);
    }
    tree
}

impl Driver {
    pub(crate) fn new(vm: &VirtualMachine, globals: Vec<(&'static str, PyObjectRef)>) -> PyResult<Self> {
        let builtins = vm.builtins.as_object();
        let namespace = vm.ctx.new_dict();
        // Keyed by interned strings, the very objects a program's code names them by: a
        // lookup of `go_to` then matches by identity, where a key of its own was compared
        // byte by byte on every use of a robot function.
        for (name, value) in globals {
            namespace.set_item(vm.ctx.intern_str(name), value, vm)?;
        }
        namespace.set_item(rustpython_vm::identifier!(vm, __name__), vm.ctx.new_str("__main__").into(), vm)?;
        namespace.set_item(rustpython_vm::identifier!(vm, __builtins__), vm.builtins.clone().into(), vm)?;
        Ok(Self {
            compile: builtins.get_attr("compile", vm)?,
            namespace,
            compiled: RefCell::new(None),
            entries: RefCell::new(Vec::new()),
            baseline: RefCell::new(None),
            seeded: Cell::new(None),
        })
    }

    /// What every run uses and no run owns: the values of the namespace programs start with,
    /// and the code of the entries.
    pub(crate) fn shared_objects(&self) -> Vec<PyObjectRef> {
        let mut shared = self.namespace.values_vec();
        shared.extend(self.entries.borrow().iter().map(|(_, code)| code.clone()));
        shared
    }

    /// Records the state runs must leave intact (before a snapshot, so runs do not pay).
    pub(crate) fn take_baseline(&self, vm: &VirtualMachine) -> PyResult<()> {
        self.entry_code(vm, "task_program")?; // compiled once, into the snapshot
        *self.baseline.borrow_mut() = Some(Baseline::take(vm)?);
        Ok(())
    }

    /// Runs the program `request` gives in a fresh namespace: `code`, the host's compilation
    /// of its source, when given (else the source is compiled here).
    pub(crate) fn run(&self, vm: &VirtualMachine, request: &RunRequest, code: Option<&[u8]>) -> GuestReport {
        let (source, filename) = (request.source.as_str(), request.filename.as_str());
        api::clear_raised();
        if self.baseline.borrow().is_none()
            && let Err(exc) = self.take_baseline(vm)
        {
            return GuestReport { outcome: describe(vm, &exc, filename, source, None), reusable: false };
        }
        let outcome = match self.run_program(vm, request, code) {
            Ok(outcome) => outcome,
            Err(exc) => {
                if exc.fast_isinstance(vm.ctx.exceptions.system_exit) {
                    let code = exc.as_object().get_attr("code", vm).map_or(Value::None, |c| exit_code(vm, &c));
                    GuestOutcome::Exited { code }
                } else {
                    describe(vm, &exc, filename, source, self.compiled.borrow().as_ref())
                }
            }
        };
        api::clear_raised();
        let reusable = self.baseline.borrow().as_ref().is_some_and(|b| b.holds(vm));
        GuestReport { outcome, reusable }
    }

    fn run_program(
        &self,
        vm: &VirtualMachine,
        request: &RunRequest,
        compiled: Option<&[u8]>,
    ) -> PyResult<GuestOutcome> {
        let namespace: PyDictRef = self.namespace.copy().into_ref(&vm.ctx);
        self.reseed_random(vm);
        let code = match self.compiled(vm, &request.source, &request.filename, compiled) {
            Ok(code) => code,
            Err(exc) => return syntax_error(vm, exc),
        };
        exec(vm, code, &namespace)?;
        if let Some(entry) = request.entry.as_deref() {
            exec(vm, self.entry_code(vm, entry)?, &namespace)?;
        }
        Ok(GuestOutcome::Completed)
    }

    /// Forgets the compiled code unless it is `source`'s as `filename`: called when a request
    /// brings a program, so once per program, not per path (comparing the source byte by byte,
    /// the guest's `memcmp`, on every path cost more than a robot call).
    pub(crate) fn forget_other(&self, source: &str, filename: &str) {
        let mut compiled = self.compiled.borrow_mut();
        if compiled.as_ref().is_some_and(|c| c.source != source || c.filename != filename) {
            *compiled = None;
        }
    }

    /// The code of the program being run (see [`forget_other`](Self::forget_other)).
    fn compiled(&self, vm: &VirtualMachine, source: &str, filename: &str, compiled: Option<&[u8]>) -> PyResult {
        if let Some(compiled) = &*self.compiled.borrow() {
            return Ok(compiled.code.clone());
        }
        // Forget the previous program first: a compile error must not be described with its code.
        *self.compiled.borrow_mut() = None;
        let code = match compiled {
            Some(bytes) => load(vm, bytes)?,
            None => self.compile.call((bare::rename(source).as_ref(), filename, "exec"), vm)?,
        };
        let tree = code_tree(vm, &code);
        *self.compiled.borrow_mut() =
            Some(Compiled { source: source.to_owned(), filename: filename.to_owned(), code: code.clone(), tree });
        Ok(code)
    }

    fn entry_code(&self, vm: &VirtualMachine, entry: &str) -> PyResult {
        if let Some((_, code)) = self.entries.borrow().iter().find(|(e, _)| e == entry) {
            return Ok(code.clone());
        }
        let code = self.compile.call((format!("{entry}()"), "<robosim>", "exec"), vm)?;
        self.entries.borrow_mut().push((entry.to_owned(), code.clone()));
        Ok(code)
    }

    /// `random` may have been imported (and seeded) before a snapshot was taken: seed it from
    /// this run's entropy, so that runs differ by seed and repeat with it. Skipped when the
    /// last run's seed was the same and no Mersenne Twister changed since (none was drawn
    /// from, seeded or set: `mt19937::touched`): `random` is then as seeding would leave it.
    /// Seeding cost more than the whole run of an empty program (~140 K fuel).
    pub(crate) fn reseed_random(&self, vm: &VirtualMachine) {
        let seed = u64::from_le_bytes(crate::host::random_bytes(8).try_into().unwrap_or_default());
        if self.seeded.get() == Some(seed) && !mt19937::touched() {
            return;
        }
        self.seeded.set(None);
        let Ok(modules) = vm.sys_module.get_attr("modules", vm) else { return };
        let Ok(random) = modules.get_item("random", vm) else { return };
        // Whatever a program did to `random` only touches its own runs; a failure here is ignored.
        if vm.call_method(&random, "seed", (vm.ctx.new_int(seed),)).is_ok() {
            mt19937::clear_touched();
            self.seeded.set(Some(seed));
        }
    }
}

/// Runs module-level `code` in `namespace`, as `exec(code, namespace)` does, but without a
/// call through the builtin (its argument parsing, and the audit event: the driver's running
/// of the program is not the program's doing).
fn exec(vm: &VirtualMachine, code: PyObjectRef, namespace: &PyDictRef) -> PyResult<()> {
    let code =
        code.downcast::<PyCode>().map_err(|_| vm.new_system_error("robosim: a program's code is not a code object"))?;
    // As `Scope::with_builtins` does, with the key's hash computed once, not per run.
    let key = rustpython_vm::identifier!(vm, __builtins__);
    if !namespace.contains_key(key, vm) {
        namespace.set_item(key, vm.builtins.clone().into(), vm)?;
    }
    let scope = Scope::new(Some(ArgMapping::from_dict_exact(namespace.clone())), namespace.clone());
    vm.run_code_obj(code, scope).map(drop)
}

/// The code object the host compiled (marshalled by the host's RustPython compiler, the same
/// version as this interpreter's): read back and made a code object exactly as compiling
/// here makes one. Bytes that do not read back are the host's fault, not the program's.
fn load(vm: &VirtualMachine, bytes: &[u8]) -> PyResult {
    let code = marshal::deserialize_code(&mut &bytes[..], BasicBag)
        .map_err(|e| vm.new_system_error(format!("robosim: the host's compiled code does not read back: {e:?}")))?;
    Ok(PyCode::new_ref_from_bytecode(vm, code).into())
}

/// The value `exit(code)` was given, converted no further than a report keeps: a long list
/// or tuple keeps its first items and says how many more there were.
fn exit_code(vm: &VirtualMachine, code: &PyObjectRef) -> Value {
    let items = if let Some(list) = code.downcast_ref::<PyList>() {
        list.borrow_vec().to_vec()
    } else if let Some(tuple) = code.downcast_ref::<PyTuple>() {
        tuple.as_slice().to_vec()
    } else {
        return convert::to_value(vm, code).truncated(MAX_TEXT, EXIT_ITEMS);
    };
    if items.len() <= EXIT_ITEMS {
        return convert::to_value(vm, code).truncated(MAX_TEXT, EXIT_ITEMS);
    }
    let kept = truncate_values(&items, EXIT_ITEMS, |item| convert::to_value(vm, item).truncated(MAX_TEXT, EXIT_ITEMS));
    if code.downcast_ref::<PyList>().is_some() { Value::List(kept) } else { Value::Tuple { tuple: kept } }
}

/// A compile failure: a syntax error (or a NUL byte in the source) is the program's; any
/// other exception (MemoryError while compiling) propagates.
fn syntax_error(vm: &VirtualMachine, exc: PyBaseExceptionRef) -> PyResult<GuestOutcome> {
    let text = |name: &'static str| -> String {
        exc.as_object()
            .get_attr(name, vm)
            .and_then(|v| v.str(vm))
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let number =
        |name: &'static str| exc.as_object().get_attr(name, vm).ok().and_then(|v| u32::try_from_object(vm, v).ok());
    let class = exc.class().name().to_string();
    if exc.fast_isinstance(vm.ctx.exceptions.syntax_error) {
        let message = format!("{class}: {}", text("msg"));
        return Ok(GuestOutcome::SyntaxError { message, line: number("lineno"), column: number("offset") });
    }
    if exc.fast_isinstance(vm.ctx.exceptions.value_error) || exc.fast_isinstance(vm.ctx.exceptions.type_error) {
        let message = exc.as_object().str(vm).map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        return Ok(GuestOutcome::SyntaxError { message: format!("{class}: {message}"), line: None, column: None });
    }
    Err(exc)
}

/// Describes an exception that escaped the program: type, message, the program's line and
/// a traceback of the program's frames. A robot error is the one the host reported. The
/// program's line is the innermost frame running code compiled from its text (`compiled`).
fn describe(
    vm: &VirtualMachine,
    exc: &PyBaseExceptionRef,
    filename: &str,
    source: &str,
    compiled: Option<&Compiled>,
) -> GuestOutcome {
    let message = exc
        .as_object()
        .str(vm)
        .map_or_else(|_| "<exception str() failed>".to_owned(), |s| s.to_string_lossy().into_owned());
    let message = bare::original_message(&message).into_owned();
    let lines: Vec<&str> = source.lines().collect();
    let mut line = None;
    let mut frames = vec!["Traceback (most recent call last):".to_owned()];
    let mut tb = exc.__traceback__().map(PyObjectRef::from);
    // Bounded: a traceback is as long as the stack was deep (the recursion limit).
    while let Some(current) = tb.filter(|t| !vm.is_none(t)) {
        let attr = |obj: &PyObjectRef, name: &'static str| obj.get_attr(name, vm).ok();
        let frame = attr(&current, "tb_frame");
        let code = frame.as_ref().and_then(|f| attr(f, "f_code"));
        let text = |obj: Option<PyObjectRef>| {
            obj.and_then(|o| o.str(vm).ok()).map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
        };
        let co_filename = text(code.as_ref().and_then(|c| attr(c, "co_filename")));
        let co_name = text(code.as_ref().and_then(|c| attr(c, "co_name")));
        // The line the frame's code last ran, not `tb_lineno`: a program can build a traceback
        // (`types.TracebackType`) with any line number on one of its own frames.
        let lineno = frame
            .as_ref()
            .and_then(|f| attr(f, "f_lineno"))
            .and_then(|l| u32::try_from_object(vm, l).ok())
            .unwrap_or(0);
        let programs = co_filename == filename
            && code.as_ref().is_some_and(|code| compiled.is_some_and(|c| c.filename == filename && c.owns(code)));
        if !HIDDEN_FILES.contains(&co_filename.as_str()) && frames.len() < 200 {
            frames.push(format!("  File \"{co_filename}\", line {lineno}, in {co_name}"));
            if programs {
                line = Some(lineno);
                if let Some(text) = lines.get((lineno as usize).wrapping_sub(1)) {
                    frames.push(format!("    {}", text.trim()));
                }
            }
        } else if programs {
            line = Some(lineno);
        }
        tb = attr(&current, "tb_next");
    }
    let robot = api::robot_error_of(exc.as_object());
    let name = type_name(vm, exc);
    frames.push(if message.is_empty() { name.clone() } else { format!("{name}: {message}") });
    GuestOutcome::Exception(ExceptionInfo {
        exc_type: name,
        message: cut(message),
        line,
        traceback: cut(frames.join("\n")),
        robot_error: robot.map(|(name, message)| RobotErrorInfo { name, message }),
    })
}

fn type_name(vm: &VirtualMachine, exc: &PyBaseExceptionRef) -> String {
    let class = exc.class();
    if api::is_robot_error_class(class) {
        return "RobotError".to_owned();
    }
    let qualname = class
        .as_object()
        .get_attr("__qualname__", vm)
        .and_then(|q| q.str(vm))
        .map_or_else(|_| class.name().to_string(), |q| q.to_string_lossy().into_owned());
    let module = class
        .as_object()
        .get_attr("__module__", vm)
        .and_then(|m| m.str(vm))
        .map_or_else(|_| "builtins".to_owned(), |m| m.to_string_lossy().into_owned());
    if module == "builtins" || module == "__main__" { qualname } else { format!("{module}.{qualname}") }
}

/// Cuts `text` to [`MAX_TEXT`] bytes, saying how much was left out.
fn cut(mut text: String) -> String {
    if text.len() > MAX_TEXT {
        let total = text.len();
        let mut end = MAX_TEXT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str(&format!("… [{} more bytes]", total - end));
    }
    text
}

/// What a run must leave as it found it for the next run of the same program to share the
/// instance. Not what isolation between programs rests on (each program gets a fresh
/// instance from the host); it keeps the paths of one program independent in the common
/// cases, so that a failing path replays the same in a fresh instance.
///
/// Dicts are compared by their number of entries (names added or removed: `import x`,
/// `builtins._seen = True`), never by reading their values: taking a reference to every
/// value writes to every object's page, and in a fresh instance each such write is a
/// copy-on-write fault (measured: a third of all run time). A value replaced under an
/// existing name (`builtins.len = f`) is therefore not seen here and stays for the program's
/// own later paths.
struct Baseline {
    dicts: Vec<(PyDictRef, usize)>,
    lists: Vec<(PyListRef, Vec<PyObjectRef>)>,
    recursion_limit: usize,
    int_max_str_digits: usize,
}

impl Baseline {
    fn take(vm: &VirtualMachine) -> PyResult<Self> {
        let sys = &vm.sys_module;
        let modules = PyDictRef::try_from_object(vm, sys.get_attr("modules", vm)?)?;
        let mut dicts = vec![modules.clone(), vm.builtins.dict(), sys.dict()];
        for name in ["time", "robot", "random"] {
            if let Ok(module) = modules.get_item(name, vm)
                && let Ok(dict) = module.get_attr("__dict__", vm)
            {
                dicts.push(PyDictRef::try_from_object(vm, dict)?);
            }
        }
        let mut lists = Vec::new();
        for name in ["meta_path", "path", "path_hooks"] {
            let list = sys.get_attr(name, vm)?;
            if let Some(list) = list.downcast_ref::<PyList>() {
                lists.push((list.to_owned(), list.borrow_vec().to_vec()));
            }
        }
        Ok(Self {
            dicts: dicts
                .into_iter()
                .map(|d| {
                    let used = d.size().used;
                    (d, used)
                })
                .collect(),
            lists,
            recursion_limit: vm.recursion_limit.get(),
            int_max_str_digits: vm.state.int_max_str_digits.load(),
        })
    }

    fn holds(&self, vm: &VirtualMachine) -> bool {
        self.dicts.iter().all(|(dict, used)| dict.size().used == *used)
            && self.lists.iter().all(|(list, items)| {
                let now = list.borrow_vec();
                now.len() == items.len() && now.iter().zip(items).all(|(x, y)| x.is(y))
            })
            && vm.recursion_limit.get() == self.recursion_limit
            && vm.state.int_max_str_digits.load() == self.int_max_str_digits
            && vm.is_none(&vm.trace_func.borrow())
            && vm.is_none(&vm.profile_func.borrow())
    }
}
