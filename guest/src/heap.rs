//! The heap as the snapshot leaves it: every free chunk taken, so that a program's
//! allocations come from one contiguous region at the heap's end.
//!
//! Starting the interpreter and preloading modules frees much of what it allocated (the
//! compiler's trees, temporary strings), leaving free chunks scattered over megabytes of heap.
//! A program's objects then landed in those holes, one here and one there, and every page
//! such an object sat on became a page written: a page wasmtime copies back from the snapshot
//! when it resets the instance for the next program, and a page the pagemap scan walks. Taking
//! all of them before the snapshot is taken (they stay allocated and are never touched again,
//! so their pages stay the snapshot's own, unwritten) sends a program's allocations to the
//! end of the heap, where they share pages.
//!
//! And during runs, what the snapshot allocated is never freed ([`KeepSnapshot`], the global
//! allocator): a run drops some of the snapshot's objects (caches, the previous run's
//! leftovers, a table outgrown and moved), and giving them back to dlmalloc wrote its chunk
//! links into their pages and put the run's next objects there, scattered over the snapshot's
//! pages again. Their memory is simply not reused: an instance serves one program, and what a
//! program can free of the snapshot is bounded by the snapshot's heap.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use rustpython_vm::{
    PyObjectRef, PyPayload, PyResult, VirtualMachine,
    builtins::{PyDict, PyFloat, PyInt, PyList},
    frame::FrameObject,
};

unsafe extern "C" {
    fn malloc(size: usize) -> *mut u8;
    fn free(ptr: *mut u8);
    /// wasi-libc's: `sbrk(0)` is the end of linear memory, which grows when dlmalloc needs it.
    fn sbrk(increment: isize) -> *mut u8;
}

/// Empties RustPython's per-type freelists (the husks of freed tuples, dicts, lists, ints,
/// floats and frames, kept for the next object of the type) by taking their husks for good.
/// A program's first objects of those types otherwise reused the husks the snapshot's own
/// start-up had freed, one on this page and one on that; now they are allocated from the top
/// of the heap, and the husks they leave behind serve the program's next ones.
pub(crate) fn drain_freelists(vm: &VirtualMachine) -> PyResult<()> {
    // Any frame object does for the call (no freelist reads its argument): this one's.
    let scope = vm.new_scope_with_builtins();
    let frame = vm.run_block_expr(scope, "__import__('sys')._getframe()")?;
    let frame = frame
        .downcast_ref::<FrameObject>()
        .ok_or_else(|| vm.new_runtime_error("robosim: sys._getframe() made no frame"))?;
    drain(&**frame);
    drain(&**vm.ctx.empty_tuple);
    drain(&PyInt::from(0));
    drain(&PyFloat::from(0.0));
    drain(&PyList::default());
    drain(&PyDict::default());
    Ok(())
}

/// Takes every husk off `T`'s freelist (`payload` is any value of `T`: the call needs one).
fn drain<T: PyPayload>(payload: &T) {
    // SAFETY: each pop hands over a husk no one else holds; it is kept (never freed or
    // reused), which PyPayload::freelist_pop allows.
    while unsafe { T::freelist_pop(payload) }.is_some() {}
}

/// Python that lists the objects every program shares and no program owns: every class,
/// the functions and descriptors in their dictionaries and in every loaded module's, the
/// modules, and `extra` (the driver's: the robot API, the entry's code), which is made
/// immortal whatever its kind.
const SHARED: &str = r#"
def _shared(extra):
    import sys
    kinds = {'method_descriptor', 'wrapper_descriptor', 'getset_descriptor', 'member_descriptor',
             'classmethod_descriptor', 'builtin_function_or_method', 'function', 'staticmethod',
             'classmethod', 'property', 'module', 'code'}
    found, seen, classes, pending = [], set(), [], [object]
    def add(o):
        if id(o) not in seen:
            seen.add(id(o))
            found.append(o)
    while pending:
        c = pending.pop()
        if id(c) not in seen:
            add(c)
            classes.append(c)
            pending.extend(type.__subclasses__(c))
    def scan(values):
        for v in values:
            if isinstance(v, type) or type(v).__name__ in kinds:
                add(v)
    for c in classes:
        scan(c.__dict__.values())
    for m in list(sys.modules.values()):
        if m is not None:
            add(m)
            scan(vars(m).values())
    scan(extra)
    return found
_shared(extra)
"#;

/// Makes the objects every program shares immortal (PEP 683: their reference counts are
/// never written again): calling `len` or `go_to`, looking up `str.lower`, making an instance
/// of a class, each wrote a count on a page of the snapshot, a page wasmtime then copies back
/// for the next program. Only objects the interpreter keeps for good anyway (classes,
/// functions, descriptors, modules, code): none is a container a fast path mutates in place
/// when it holds the only reference.
pub(crate) fn immortalize_shared(vm: &VirtualMachine, extra: Vec<PyObjectRef>) -> PyResult<()> {
    // The driver's objects are kept for good whatever their kind.
    for object in &extra {
        object.make_immortal();
    }
    let scope = vm.new_scope_with_builtins();
    scope.globals.set_item("extra", vm.ctx.new_list(extra).into(), vm)?;
    let found = vm.run_block_expr(scope, SHARED)?;
    let found = found
        .downcast_ref::<PyList>()
        .ok_or_else(|| vm.new_runtime_error("robosim: the shared objects are not a list"))?
        .borrow_vec()
        .to_vec();
    for object in &found {
        object.make_immortal();
    }
    Ok(())
}

/// Where the heap's top chunk began when [`plug_holes`] ran: every block below it is the
/// snapshot's, every block allocated since lies above it. Zero until then (nothing is kept).
static SNAPSHOT_END: AtomicUsize = AtomicUsize::new(0);

/// Whether `block` was allocated before the snapshot.
#[inline]
fn from_snapshot(block: *mut u8) -> bool {
    block.addr() < SNAPSHOT_END.load(Ordering::Relaxed)
}

/// The C allocator, except that blocks of the snapshot are never freed (see the module doc).
pub(crate) struct KeepSnapshot;

#[global_allocator]
static ALLOCATOR: KeepSnapshot = KeepSnapshot;

// SAFETY: every block comes from `System`; a block of the snapshot is only ever leaked (kept
// allocated), never handed out twice.
unsafe impl GlobalAlloc for KeepSnapshot {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as GlobalAlloc::alloc.
        unsafe { System.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as GlobalAlloc::alloc_zeroed.
        unsafe { System.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        if !from_snapshot(block) {
            // SAFETY: as GlobalAlloc::dealloc.
            unsafe { System.dealloc(block, layout) }
        }
    }

    #[inline]
    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !from_snapshot(block) {
            // SAFETY: as GlobalAlloc::realloc.
            return unsafe { System.realloc(block, layout, new_size) };
        }
        // SAFETY: GlobalAlloc::realloc's contract makes `new_size` with the old alignment a
        // valid layout; the old block is left as it is.
        unsafe {
            let moved = System.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
            if !moved.is_null() {
                std::ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
            }
            moved
        }
    }
}

/// Takes every free chunk of dlmalloc's heap (not its top chunk, where later allocations
/// go), and from then on keeps the snapshot's blocks.
pub(crate) fn plug_holes() {
    // SAFETY: plain calls of the C allocator; every block written is one malloc returned,
    // with room for a pointer (dlmalloc's smallest chunk has 12 usable bytes on wasm32).
    unsafe {
        let end = sbrk(0);
        // The smallest request takes a chunk of dlmalloc's smallest size: splitting the free
        // chunks, then the top, until the memory would grow. Each block records the one
        // taken before it.
        let mut last: *mut u8 = std::ptr::null_mut();
        loop {
            let block = malloc(1);
            if block.is_null() {
                break;
            }
            if sbrk(0) != end {
                free(block);
                break;
            }
            block.cast::<*mut u8>().write_unaligned(last);
            last = block;
        }
        // The last blocks were cut from the top chunk, one after another at a fixed stride
        // (a free chunk never borders the top: dlmalloc merges them). Give those back.
        if last.is_null() {
            return;
        }
        let mut previous = last.cast::<*mut u8>().read_unaligned();
        let stride = if previous.is_null() { 0 } else { last.addr().wrapping_sub(previous.addr()) };
        loop {
            free(last);
            if previous.is_null() || last.addr().wrapping_sub(previous.addr()) != stride {
                break;
            }
            last = previous;
            previous = last.cast::<*mut u8>().read_unaligned();
        }
        // `last` is the first block cut from the top: everything allocated from now on lies
        // at or above it.
        SNAPSHOT_END.store(last.addr(), Ordering::Relaxed);
    }
}
