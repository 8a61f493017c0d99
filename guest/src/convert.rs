//! Python objects to protocol [`Value`]s and back.

use robosim_protocol::{Tagged, Value, wire};
use rustpython_vm::{
    AsObject, PyObject, PyObjectRef, VirtualMachine,
    builtins::{PyFloat, PyInt, PyList, PyStr, PyTuple},
};
use serde::{Serialize, Serializer, ser::SerializeSeq};

/// Lists nested deeper than this are sent as `Other` (this also stops self-containing lists).
const MAX_DEPTH: usize = 8;

pub(crate) fn to_value(vm: &VirtualMachine, obj: &PyObject) -> Value {
    // One classification of Python values, [`Arg`]'s: written as the wire carries a value,
    // read back as one.
    let mut bytes = Vec::new();
    wire::encode(&Arg { obj, depth: 0, vm }, &mut bytes);
    wire::decode(&bytes).unwrap_or_else(|err| unreachable!("a value written here reads back: {err}"))
}

pub(crate) fn to_object(vm: &VirtualMachine, value: &Value) -> PyObjectRef {
    match value {
        Value::None | Value::Other { .. } => vm.ctx.none(),
        Value::Bool(b) => vm.ctx.new_bool(*b).into(),
        Value::Int(i) => vm.ctx.new_int(*i).into(),
        Value::Float(f) => vm.ctx.new_float(*f).into(),
        Value::Str(s) => vm.ctx.new_str(s.as_str()).into(),
        Value::List(items) => vm.ctx.new_list(items.iter().map(|v| to_object(vm, v)).collect()).into(),
        Value::Tuple { tuple } => vm.ctx.new_tuple(tuple.iter().map(|v| to_object(vm, v)).collect()).into(),
    }
}

/// One Python value as the wire carries a [`Value`], written as it goes (no string copied, no
/// list built).
struct Arg<'a> {
    obj: &'a PyObject,
    depth: usize,
    vm: &'a VirtualMachine,
}

impl Serialize for Arg<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (vm, obj, depth) = (self.vm, self.obj, self.depth);
        if vm.is_none(obj) {
            return Tagged::<&str, ()>::None.serialize(serializer);
        }
        if obj.class().is(vm.ctx.types.bool_type) {
            return Tagged::<&str, ()>::Bool(obj.is(&vm.ctx.true_value)).serialize(serializer);
        }
        if let Some(s) = obj.downcast_ref::<PyStr>() {
            return Tagged::<&str, ()>::Str(&s.to_string_lossy()).serialize(serializer);
        }
        if let Some(i) = obj.downcast_ref::<PyInt>()
            && let Ok(i) = i.try_to_primitive::<i64>(vm)
        {
            return Tagged::<&str, ()>::Int(i).serialize(serializer);
        }
        if let Some(f) = obj.downcast_ref::<PyFloat>()
            && f.to_f64().is_finite()
        {
            return Tagged::<&str, ()>::Float(f.to_f64()).serialize(serializer);
        }
        if depth < MAX_DEPTH {
            if let Some(list) = obj.downcast_ref::<PyList>() {
                // A copy of the items: writing one may run the program's `__repr__`.
                let items = list.borrow_vec().to_vec();
                return Tagged::<&str, _>::List(Items { items: &items, depth: depth + 1, vm }).serialize(serializer);
            }
            if let Some(tuple) = obj.downcast_ref::<PyTuple>() {
                let items = Items { items: tuple.as_slice(), depth: depth + 1, vm };
                return Tagged::<&str, _>::Tuple(items).serialize(serializer);
            }
        }
        let repr = obj.repr(vm).map(|r| r.to_string_lossy().into_owned()).unwrap_or_else(|_| "<repr failed>".into());
        Tagged::<&str, ()>::Other { type_name: &obj.class().name(), repr: &repr }.serialize(serializer)
    }
}

/// Objects written as a sequence of [`Value`]s, each an [`Arg`] at `depth`: a robot call's
/// arguments (depth 0), a list's or tuple's items (one level deeper than it).
pub(crate) struct Items<'a> {
    items: &'a [PyObjectRef],
    depth: usize,
    vm: &'a VirtualMachine,
}

impl<'a> Items<'a> {
    /// A robot call's arguments.
    pub(crate) fn args(items: &'a [PyObjectRef], vm: &'a VirtualMachine) -> Self {
        Self { items, depth: 0, vm }
    }
}

impl Serialize for Items<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.items.len()))?;
        for obj in self.items {
            seq.serialize_element(&Arg { obj, depth: self.depth, vm: self.vm })?;
        }
        seq.end()
    }
}
