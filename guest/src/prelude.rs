//! The prelude: the little Python that sets up stdout, `input`/`open`/`exit` and the
//! standard-library finder, run once at start-up.

use rustpython_vm::{PyResult, VirtualMachine, compiler::Mode, scope::Scope};

use crate::api;

/// The prelude's file name, as tracebacks show it.
pub(crate) const PRELUDE_FILE: &str = "<robosim-prelude>";

/// Runs the prelude in a namespace of its own, with the few native helpers it needs. Not a
/// module (nothing can import it); a program that reaches its namespace through one of its
/// functions finds nothing that runs or reports programs.
pub(crate) fn run_prelude(vm: &VirtualMachine) -> PyResult<()> {
    let source = include_str!("../python/prelude.py");
    let dict = vm.ctx.new_dict();
    dict.set_item("__file__", vm.ctx.new_str(PRELUDE_FILE).into(), vm)?;
    dict.set_item("__name__", vm.ctx.new_str("_robosim_prelude").into(), vm)?;
    dict.set_item("__builtins__", vm.builtins.clone().into(), vm)?;
    dict.set_item("_write", vm.new_function("_write", api::write).into(), vm)?;
    dict.set_item("_stdlib_source", vm.new_function("_stdlib_source", api::stdlib_source).into(), vm)?;
    dict.set_item("_urandom", vm.new_function("_urandom", api::urandom).into(), vm)?;
    let code = vm.compile(source, Mode::Exec, PRELUDE_FILE).map_err(|err| err.into_pyexception(vm, Some(source)))?;
    vm.run_code_obj(code, Scope::with_builtins(None, dict, vm))?;
    Ok(())
}
