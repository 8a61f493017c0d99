//! The guest's allocator: freed small blocks kept in per-size lists in front of wasi-libc's
//! `malloc` (dlmalloc).
//!
//! RustPython allocates and frees a small block for nearly everything it does (objects,
//! argument vectors, strings): dlmalloc spent ~100 wasm instructions on each `malloc` and
//! `free`, a fifth of the guest's work on a robot call. A freed block of up to
//! [`MAX_CACHED`] bytes goes on the list of its size class (a multiple of [`GRAIN`]) and the
//! next allocation of that class takes it back: a few instructions each way. Bounded: a list
//! holds at most [`MAX_LIST_BYTES`] of blocks; past that, blocks go back to dlmalloc.
//!
//! The guest has one thread (wasm32-wasip1 without threads), so the lists need no lock; the
//! allocator's state lives in linear memory, so a snapshot and every fresh instance start
//! with the same lists.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::ptr;

/// Size classes are multiples of this (and blocks are aligned to it: dlmalloc's alignment
/// on wasm32 is at least 8).
const GRAIN: usize = 8;
/// The largest block kept on a list.
const MAX_CACHED: usize = 256;
const CLASSES: usize = MAX_CACHED / GRAIN;
/// The most a list keeps (in bytes of blocks); a program that frees more returns the rest.
const MAX_LIST_BYTES: usize = 1 << 20;

struct Lists {
    heads: [*mut u8; CLASSES],
    lens: [u32; CLASSES],
}

pub(crate) struct Cached {
    lists: UnsafeCell<Lists>,
}

// SAFETY: the guest is single-threaded (wasm32-wasip1 has no threads), so the lists are never
// touched concurrently.
unsafe impl Sync for Cached {}

#[global_allocator]
static ALLOCATOR: Cached =
    Cached { lists: UnsafeCell::new(Lists { heads: [ptr::null_mut(); CLASSES], lens: [0; CLASSES] }) };

/// The class of a layout that the lists serve, or None.
#[inline]
fn class(layout: Layout) -> Option<usize> {
    let size = layout.size();
    (size <= MAX_CACHED && layout.align() <= GRAIN && size > 0).then(|| (size - 1) / GRAIN)
}

/// The layout dlmalloc is asked for: the class's full size, so any block of the class fits
/// any request of it.
#[inline]
fn class_layout(class: usize) -> Layout {
    // SAFETY: a multiple of GRAIN, at most MAX_CACHED, aligned to GRAIN (a power of two).
    unsafe { Layout::from_size_align_unchecked((class + 1) * GRAIN, GRAIN) }
}

impl Cached {
    /// Takes a block of `class` off its list, or None when it is empty.
    #[inline]
    unsafe fn pop(&self, class: usize) -> Option<*mut u8> {
        // SAFETY: single-threaded; `class < CLASSES`.
        let lists = unsafe { &mut *self.lists.get() };
        let head = lists.heads[class];
        if head.is_null() {
            return None;
        }
        // SAFETY: a listed block's first word holds the next block (written by `push`).
        lists.heads[class] = unsafe { head.cast::<*mut u8>().read() };
        lists.lens[class] -= 1;
        Some(head)
    }

    /// Keeps a freed block of `class`, or hands it back to dlmalloc when the list is full.
    #[inline]
    unsafe fn push(&self, class: usize, block: *mut u8) {
        // SAFETY: single-threaded; `class < CLASSES`.
        let lists = unsafe { &mut *self.lists.get() };
        if (lists.lens[class] as usize + 1) * (class + 1) * GRAIN > MAX_LIST_BYTES {
            // SAFETY: the block came from dlmalloc with the class's layout.
            unsafe { System.dealloc(block, class_layout(class)) };
            return;
        }
        // SAFETY: the block is at least GRAIN bytes and aligned to it; it is no longer in use.
        unsafe { block.cast::<*mut u8>().write(lists.heads[class]) };
        lists.heads[class] = block;
        lists.lens[class] += 1;
    }
}

// SAFETY: every block handed out is either dlmalloc's (for its layout, or for the class's
// larger layout) or a block of the same class given back by `dealloc`; blocks are handed out
// once until freed.
unsafe impl GlobalAlloc for Cached {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class(layout) {
            // SAFETY: as GlobalAlloc::alloc.
            Some(class) => unsafe { self.pop(class).unwrap_or_else(|| System.alloc(class_layout(class))) },
            // SAFETY: as GlobalAlloc::alloc.
            None => unsafe { System.alloc(layout) },
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match class(layout) {
            // SAFETY: as GlobalAlloc::alloc_zeroed; a reused block is zeroed for its size.
            Some(class) => unsafe {
                match self.pop(class) {
                    Some(block) => {
                        block.write_bytes(0, layout.size());
                        block
                    }
                    None => System.alloc_zeroed(class_layout(class)),
                }
            },
            // SAFETY: as GlobalAlloc::alloc_zeroed.
            None => unsafe { System.alloc_zeroed(layout) },
        }
    }

    #[inline]
    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        match class(layout) {
            // SAFETY: `block` was allocated with this layout, so from this class.
            Some(class) => unsafe { self.push(class, block) },
            // SAFETY: as GlobalAlloc::dealloc.
            None => unsafe { System.dealloc(block, layout) },
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: GlobalAlloc::realloc's contract: `new_size` with the old alignment is valid.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (class(layout), class(new_layout)) {
            // The block already has room for the new size.
            (Some(old), Some(new)) if old == new => block,
            // Both beyond the lists: dlmalloc may grow the block in place.
            // SAFETY: as GlobalAlloc::realloc.
            (None, None) => unsafe { System.realloc(block, layout, new_size) },
            _ => {
                // SAFETY: as GlobalAlloc::realloc: a new block, the common bytes copied, the
                // old block freed (to its list or to dlmalloc).
                unsafe {
                    let moved = self.alloc(new_layout);
                    if !moved.is_null() {
                        ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                        self.dealloc(block, layout);
                    }
                    moved
                }
            }
        }
    }
}
