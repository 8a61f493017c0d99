//! The robot API and the other host-backed functions, all native.
//!
//! Nothing here is Python code: the robot functions are builtin functions (no `__globals__`,
//! `__code__` or `__closure__` to rewrite), and the classes of the strings and lists the
//! world makes are immutable types whose methods are native too. A program can call these,
//! shadow them in its own namespace, or rebind the names in the `robot` module, but it cannot
//! change what the functions themselves do or how a run is reported.

use std::cell::{OnceCell, RefCell};
use std::time::Duration;

use robosim_protocol::{Container, Reply, Request, RobotCall, RobotFunction, Site, Value};
use rustpython_vm::{
    AsObject, Py, PyObjectRef, PyPayload, PyRef, PyResult, VirtualMachine,
    builtins::{PyBaseExceptionRef, PyList, PyStr, PyType, PyTypeRef},
    function::FuncArgs,
    types::PyTypeFlags,
};

use crate::{convert, host};

/// The classes the API hands out, made once at start-up.
struct Classes {
    world_str: PyTypeRef,
    room_list: PyTypeRef,
    robot_error: PyTypeRef,
}

/// A robot error this run raised: the exception object and what the host said.
pub(crate) struct Raised {
    pub(crate) exception: PyObjectRef,
    pub(crate) name: String,
    pub(crate) message: String,
}

thread_local! {
    static CLASSES: OnceCell<Classes> = const { OnceCell::new() };
    /// Robot errors raised in the current run, so the driver recognises the one that ended
    /// it by identity (whatever the program did to the exception's class or attributes).
    static RAISED: RefCell<Vec<Raised>> = const { RefCell::new(Vec::new()) };
}

/// Forgets the robot errors of the previous run.
pub(crate) fn clear_raised() {
    RAISED.with(|r| r.borrow_mut().clear());
}

/// The host's name and message when `exception` is a robot error this run raised.
pub(crate) fn robot_error_of(exception: &rustpython_vm::PyObject) -> Option<(String, String)> {
    RAISED.with(|r| {
        r.borrow().iter().find(|raised| raised.exception.is(exception)).map(|r| (r.name.clone(), r.message.clone()))
    })
}

/// Is `class` the API's `RobotError`?
pub(crate) fn is_robot_error_class(class: &Py<PyType>) -> bool {
    CLASSES.with(|c| c.get().is_some_and(|c| class.is(&c.robot_error)))
}

fn classes<R>(f: impl FnOnce(&Classes) -> R) -> R {
    CLASSES.with(|c| f(c.get().expect("the API classes are made at start-up")))
}

/// The robot API, `(name, function)`, plus `RobotError`; made once.
pub(crate) fn make(vm: &VirtualMachine) -> PyResult<Vec<(&'static str, PyObjectRef)>> {
    let robot_error = vm.ctx.new_exception_type("robot", "RobotError", None);
    let world_str = world_str_class(vm)?;
    let room_list = room_list_class(vm)?;
    CLASSES
        .with(|c| c.set(Classes { world_str, room_list, robot_error: robot_error.clone() }))
        .map_err(|_| vm.new_runtime_error("robosim: the API was made twice"))?;
    let mut api: Vec<(&'static str, PyObjectRef)> = vec![
        ("get_current_location", vm.new_function("get_current_location", get_current_location).into()),
        ("get_all_rooms", vm.new_function("get_all_rooms", get_all_rooms).into()),
    ];
    for (name, function, params) in [
        ("is_in_room", RobotFunction::IsInRoom, &["object"][..]),
        ("go_to", RobotFunction::GoTo, &["location"][..]),
        ("ask", RobotFunction::Ask, &["person", "question", "options"][..]),
        ("say", RobotFunction::Say, &["message"][..]),
        ("pick", RobotFunction::Pick, &["obj"][..]),
        ("place", RobotFunction::Place, &["obj"][..]),
    ] {
        let f = move |args: FuncArgs, vm: &VirtualMachine| -> PyResult {
            let args = bind(name, params, args, vm)?;
            robot(function, args, vm)
        };
        api.push((name, vm.new_function(name, f).into()));
    }
    api.push(("RobotError", robot_error.into()));
    Ok(api)
}

fn get_current_location(args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    bind("get_current_location", &[], args, vm)?;
    let location = robot_value(RobotFunction::GetCurrentLocation, Vec::new(), vm)?;
    world_object(location, vm)
}

fn get_all_rooms(args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    bind("get_all_rooms", &[], args, vm)?;
    let rooms = match robot_value(RobotFunction::GetAllRooms, Vec::new(), vm)? {
        Value::List(rooms) => rooms,
        other => return Ok(convert::to_object(vm, &other)),
    };
    let items = rooms.into_iter().map(|room| world_object(room, vm)).collect::<PyResult<Vec<_>>>()?;
    // What `RoomList(items)` makes (list's `__new__`, then `__init__` extending it), without
    // a call through the type.
    let class = classes(|c| c.room_list.clone());
    Ok(PyList::from(items).into_ref_with_type(vm, class)?.into())
}

/// Binds arguments to `params` as a Python function with that signature would, with
/// CPython's messages for a wrong call.
fn bind(name: &str, params: &[&str], args: FuncArgs, vm: &VirtualMachine) -> PyResult<Vec<PyObjectRef>> {
    let FuncArgs { args: positional, kwargs } = args;
    // The usual call: every argument given by position.
    if kwargs.is_empty() && positional.len() == params.len() {
        return Ok(positional);
    }
    if positional.len() > params.len() {
        let takes = match params.len() {
            1 => "1 positional argument".to_owned(),
            n => format!("{n} positional arguments"),
        };
        let given = if positional.len() == 1 { "1 was".to_owned() } else { format!("{} were", positional.len()) };
        return Err(vm.new_type_error(format!("{name}() takes {takes} but {given} given")));
    }
    let mut slots: Vec<Option<PyObjectRef>> = positional.into_iter().map(Some).collect();
    slots.resize(params.len(), None);
    for (key, value) in kwargs {
        let key = key.to_string_lossy().into_owned();
        match params.iter().position(|p| *p == key) {
            Some(i) if slots[i].is_none() => slots[i] = Some(value),
            Some(_) => return Err(vm.new_type_error(format!("{name}() got multiple values for argument '{key}'"))),
            None => return Err(vm.new_type_error(format!("{name}() got an unexpected keyword argument '{key}'"))),
        }
    }
    let missing: Vec<String> =
        params.iter().zip(&slots).filter(|(_, s)| s.is_none()).map(|(p, _)| format!("'{p}'")).collect();
    if !missing.is_empty() {
        let names = match missing.as_slice() {
            [one] => one.clone(),
            [a, b] => format!("{a} and {b}"),
            [rest @ .., last] => format!("{}, and {last}", rest.join(", ")),
            [] => unreachable!("checked non-empty"),
        };
        let plural = if missing.len() == 1 { "argument" } else { "arguments" };
        return Err(
            vm.new_type_error(format!("{name}() missing {} required positional {plural}: {names}", missing.len()))
        );
    }
    Ok(slots.into_iter().flatten().collect())
}

/// One robot call through the host.
fn robot(function: RobotFunction, args: Vec<PyObjectRef>, vm: &VirtualMachine) -> PyResult {
    robot_value(function, args, vm).map(|value| convert::to_object(vm, &value))
}

/// One robot call through the host: the value it returned.
fn robot_value(function: RobotFunction, args: Vec<PyObjectRef>, vm: &VirtualMachine) -> PyResult<Value> {
    // The arguments go to the wire as the values `convert::to_value` makes, unmade.
    let call = RobotCall::Robot { function, args: convert::Items::args(&args, vm), site: site(vm) };
    match host::call(&call) {
        Reply::Value { value } => Ok(value),
        Reply::RobotError { name, message } => Err(robot_error(vm, name, message)),
        Reply::Invalid { message } => Err(vm.new_runtime_error(format!("robosim: {message}"))),
    }
}

/// Where the running Python code is: the caller of the robot function, or the code that
/// tests membership. Host-side explorers tell places in the program apart by it; nothing
/// about a run's result depends on it.
fn site(vm: &VirtualMachine) -> Site {
    vm.current_frame().map_or_else(Site::default, |frame| {
        let location = frame.current_location();
        let number = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Site { line: number(location.line.get()), column: number(location.character_offset.get()) }
    })
}

/// A `RobotError` whose `str()` reads "RobotPickError: <why>", as in the reference.
fn robot_error(vm: &VirtualMachine, name: String, message: String) -> PyBaseExceptionRef {
    let class = classes(|c| c.robot_error.clone());
    let exception = vm.new_exception_msg(class, format!("{name}: {message}").into());
    let object = exception.as_object();
    // The attributes are for the program; the driver reads the host's own record.
    let _ = object.set_attr("name", vm.ctx.new_str(name.as_str()), vm);
    let _ = object.set_attr("message", vm.ctx.new_str(message.as_str()), vm);
    RAISED.with(|r| r.borrow_mut().push(Raised { exception: object.to_owned(), name, message }));
    exception
}

fn world_str(value: PyObjectRef, vm: &VirtualMachine) -> PyResult {
    match value.downcast_ref::<PyStr>() {
        Some(text) => new_world_str(PyStr::from(text.as_wtf8().to_owned()), vm),
        None => Ok(value),
    }
}

/// A name the world made, from the host's value: a `WorldStr` when it is a string.
fn world_object(value: Value, vm: &VirtualMachine) -> PyResult {
    match value {
        Value::Str(text) => new_world_str(PyStr::from(text), vm),
        other => Ok(convert::to_object(vm, &other)),
    }
}

/// What `WorldStr(text)` makes (str's `__new__` puts the text in an instance of the subclass,
/// which has no `__dict__`, and `object.__init__` does nothing), without the call through
/// the type, which cost more than the robot call itself.
fn new_world_str(text: PyStr, vm: &VirtualMachine) -> PyResult {
    let class = classes(|c| c.world_str.clone());
    Ok(text.into_ref_with_type(vm, class)?.into())
}

/// `time.sleep`: advances the host's virtual clock; never waits.
pub(crate) fn sleep(seconds: PyObjectRef, vm: &VirtualMachine) -> PyResult<()> {
    // The same conversion (and errors) as RustPython's own time.sleep.
    let duration = seconds.try_into_value::<Duration>(vm).map_err(|e| {
        if e.class().is(vm.ctx.exceptions.value_error) {
            vm.new_value_error("sleep length must be non-negative")
        } else {
            e
        }
    })?;
    match host::call(&Request::Sleep { seconds: duration.as_secs_f64() }) {
        Reply::Invalid { message } => Err(vm.new_runtime_error(format!("robosim: {message}"))),
        _ => Ok(()),
    }
}

/// Asks the world whether `item` is in a world-made container.
fn world_contains(container: Container, item: String, vm: &VirtualMachine) -> PyResult<bool> {
    match host::call(&Request::Contains { container, item, site: site(vm) }) {
        Reply::Value { value: Value::Bool(b) } => Ok(b),
        Reply::RobotError { name, message } => Err(vm.new_runtime_error(format!("{name}: {message}"))),
        other => Err(vm.new_runtime_error(format!("robosim: unexpected reply {other:?}"))),
    }
}

/// Calls `base.<name>(*args)` (the builtin method, never an override).
fn base_method(base: &'static Py<PyType>, name: &'static str, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    base.as_object().get_attr(name, vm)?.call(args, vm)
}

/// An immutable subclass of `base` named `name`, with native `methods`.
fn immutable_class(
    vm: &VirtualMachine,
    name: &str,
    base: &'static Py<PyType>,
    methods: Vec<(&'static str, PyObjectRef)>,
) -> PyResult<PyTypeRef> {
    let dict = vm.ctx.new_dict();
    dict.set_item("__slots__", vm.ctx.empty_tuple.clone().into(), vm)?;
    dict.set_item("__module__", vm.ctx.new_str("robot").into(), vm)?;
    for (method, function) in methods {
        dict.set_item(method, function, vm)?;
    }
    let bases = vm.ctx.new_tuple(vec![base.to_owned().into()]);
    let class = vm.ctx.types.type_type.as_object().call((vm.ctx.new_str(name), bases, dict), vm)?;
    let class: PyRef<PyType> =
        class.downcast().map_err(|_| vm.new_runtime_error("robosim: type() did not make a type"))?;
    class.slots.flags.insert(PyTypeFlags::IMMUTABLETYPE);
    Ok(class)
}

/// A native `__contains__` for a subclass of `base`: when `container` recognises the object
/// and the item is a string, the world decides (and keeps its decision); otherwise `base`'s
/// own `__contains__` answers (or raises its TypeError).
fn world_contains_method(
    vm: &VirtualMachine,
    base: &'static Py<PyType>,
    container: fn(&PyObjectRef) -> Option<Container>,
) -> PyObjectRef {
    let method = move |args: FuncArgs, vm: &VirtualMachine| -> PyResult {
        if let [zelf, item] = args.args.as_slice()
            && let Some(item) = item.downcast_ref::<PyStr>()
            && let Some(container) = container(zelf)
        {
            let held = world_contains(container, item.to_string_lossy().into_owned(), vm)?;
            return Ok(vm.ctx.new_bool(held).into());
        }
        base_method(base, "__contains__", args, vm)
    };
    vm.new_method("__contains__", base, method).into()
}

/// The class of names the world makes (rooms, the current location): whether some text is
/// in one is the world's decision, since the name stands for any real room name. Case and
/// space changes keep it a world name (`"office" in room.lower()`).
fn world_str_class(vm: &VirtualMachine) -> PyResult<PyTypeRef> {
    let str_type = vm.ctx.types.str_type;
    let contains = world_contains_method(vm, str_type, |name| {
        name.downcast_ref::<PyStr>().map(|name| Container::Name(name.to_string_lossy().into_owned()))
    });
    let mut methods = vec![("__contains__", contains)];
    for name in ["lower", "upper", "casefold", "title", "capitalize", "strip", "lstrip", "rstrip"] {
        let method = vm.new_method(name, str_type, move |args: FuncArgs, vm: &VirtualMachine| -> PyResult {
            let result = base_method(vm.ctx.types.str_type, name, args, vm)?;
            world_str(result, vm)
        });
        methods.push((name, method.into()));
    }
    immutable_class(vm, "WorldStr", str_type, methods)
}

/// The class of the list `get_all_rooms()` returns: whether a name is in it is the world's
/// decision.
fn room_list_class(vm: &VirtualMachine) -> PyResult<PyTypeRef> {
    let list_type = vm.ctx.types.list_type;
    let contains = world_contains_method(vm, list_type, |rooms| {
        let rooms = rooms.downcast_ref::<PyList>()?;
        let names = rooms
            .borrow_vec()
            .iter()
            .filter_map(|r| r.downcast_ref::<PyStr>().map(|s| s.to_string_lossy().into_owned()))
            .collect();
        Some(Container::Rooms(names))
    });
    immutable_class(vm, "RoomList", list_type, vec![("__contains__", contains)])
}

/// Appends text to stdout (1) or stderr (2): the prelude's `sys.stdout.write`.
pub(crate) fn write(stream: u32, text: PyRef<PyStr>) {
    host::output(stream, &text.to_string_lossy());
}

/// `(is_package, source)` of an embedded standard-library module, or None.
pub(crate) fn stdlib_source(name: PyRef<PyStr>, vm: &VirtualMachine) -> PyObjectRef {
    match crate::stdlib::source(&name.to_string_lossy()) {
        Some((package, source)) => {
            vm.ctx.new_tuple(vec![vm.ctx.new_bool(package).into(), vm.ctx.new_str(source).into()]).into()
        }
        None => vm.ctx.none(),
    }
}

/// `os.urandom` for `random`: the host's deterministic entropy. The host charges fuel for
/// every byte, so a program cannot make it do unbounded work for free.
pub(crate) fn urandom(n: isize, vm: &VirtualMachine) -> PyResult {
    let n = usize::try_from(n).map_err(|_| vm.new_value_error("negative argument not allowed"))?;
    Ok(vm.ctx.new_bytes(host::random_bytes(n)).into())
}
