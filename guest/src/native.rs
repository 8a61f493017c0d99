//! `_robosim`: the native module the prelude builds the robot API on.

#[rustpython_vm::pymodule]
pub(crate) mod _robosim {
    use std::time::Duration;

    use robosim_protocol::{Container, Reply, Request, RobotFunction, Value};
    use rustpython_vm::{
        AsObject, PyObjectRef, PyResult, VirtualMachine,
        builtins::{PyStrRef, PyTupleRef},
    };

    use crate::{convert, host};

    /// Calls a robot function; returns `(True, value, None)` or `(False, error_name, message)`.
    #[pyfunction]
    fn call(function: PyStrRef, args: PyTupleRef, vm: &VirtualMachine) -> PyResult<PyTupleRef> {
        let name = function.to_string_lossy();
        let function = RobotFunction::from_name(&name)
            .ok_or_else(|| vm.new_value_error(format!("robosim: no robot function {name}")))?;
        let args = args.iter().map(|a| convert::to_value(vm, a)).collect();
        match host::call(&Request::Robot { function, args }) {
            Reply::Value { value } => Ok(vm.ctx.new_tuple(vec![
                vm.ctx.true_value.clone().into(),
                convert::to_object(vm, &value),
                vm.ctx.none(),
            ])),
            Reply::RobotError { name, message } => Ok(vm.ctx.new_tuple(vec![
                vm.ctx.false_value.clone().into(),
                vm.ctx.new_str(name).into(),
                vm.ctx.new_str(message).into(),
            ])),
            Reply::Invalid { message } => Err(vm.new_runtime_error(format!("robosim: {message}"))),
        }
    }

    /// `item in container` for a world-made container: `kind` is "rooms" (a list of names)
    /// or "name" (one name). The world decides and keeps its decision.
    #[pyfunction]
    fn contains(kind: PyStrRef, container: PyObjectRef, item: PyStrRef, vm: &VirtualMachine) -> PyResult<bool> {
        let container = match (kind.to_string_lossy().as_ref(), convert::to_value(vm, &container)) {
            ("rooms", Value::List(items)) => Container::Rooms(items.iter().map(Value::py_str).collect()),
            ("name", Value::Str(name)) => Container::Name(name),
            (kind, _) => return Err(vm.new_value_error(format!("robosim: bad container {kind}"))),
        };
        match host::call(&Request::Contains { container, item: item.to_string_lossy().into_owned() }) {
            Reply::Value { value: Value::Bool(b) } => Ok(b),
            Reply::RobotError { name, message } => Err(vm.new_runtime_error(format!("{name}: {message}"))),
            other => Err(vm.new_runtime_error(format!("robosim: unexpected reply {other:?}"))),
        }
    }

    /// `time.sleep`: advances the host's virtual clock; never waits.
    #[pyfunction]
    fn sleep(seconds: PyObjectRef, vm: &VirtualMachine) -> PyResult<()> {
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

    /// Appends text to stdout (1) or stderr (2).
    #[pyfunction]
    fn write(stream: u32, text: PyStrRef) {
        host::output(stream, &text.to_string_lossy());
    }

    /// `(is_package, source)` of an embedded standard-library module, or None.
    #[pyfunction]
    fn stdlib_source(name: PyStrRef, vm: &VirtualMachine) -> PyObjectRef {
        match crate::stdlib_source(&name.to_string_lossy()) {
            Some((package, source)) => {
                vm.ctx.new_tuple(vec![vm.ctx.new_bool(package).into(), vm.ctx.new_str(source).into()]).into()
            }
            None => vm.ctx.none(),
        }
    }

    /// `os.urandom` for `random`: the host's deterministic entropy.
    #[pyfunction]
    fn urandom(n: usize, vm: &VirtualMachine) -> PyObjectRef {
        vm.ctx.new_bytes(host::random_bytes(n)).into()
    }
}
