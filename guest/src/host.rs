//! The host's imports (module `robosim`), wrapped safely.
//!
//! Calls are synchronous: the guest hands over a message (in the protocol's binary [`wire`]
//! format), the host answers at once.

use std::cell::RefCell;

use robosim_protocol::{GuestReport, Reply, wire};
use serde::Serialize;

#[link(wasm_import_module = "robosim")]
unsafe extern "C" {
    /// Handles a [`Request`](robosim_protocol::Request) (in [`wire`] format) and returns the
    /// length of its [`Reply`]: written at `out` when it fits in `room` bytes, else held ready.
    #[link_name = "call"]
    fn host_call(ptr: *const u8, len: usize, out: *mut u8, room: usize) -> usize;
    /// Copies the reply held ready into `ptr` (which has room for it).
    #[link_name = "take_reply"]
    fn host_take_reply(ptr: *mut u8);
    /// Appends text to the program's captured output (`stream` 1 = stdout, 2 = stderr).
    #[link_name = "output"]
    fn host_output(stream: u32, ptr: *const u8, len: usize);
    /// Reports how the run ended (a [`GuestReport`], in [`wire`] format).
    #[link_name = "finish"]
    fn host_finish(ptr: *const u8, len: usize);
}

#[link(wasm_import_module = "wasi_snapshot_preview1")]
unsafe extern "C" {
    /// WASI's entropy source; the host makes it deterministic per run.
    #[link_name = "random_get"]
    fn wasi_random_get(buf: *mut u8, len: usize) -> u16;
}

thread_local! {
    /// The buffers of the last call, kept for the next (a run makes thousands).
    static BUFFERS: RefCell<(Vec<u8>, Vec<u8>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// The most room a buffer keeps between calls.
const KEPT_BUFFER_BYTES: usize = 4096;
/// The room a reply is given in the call itself (a larger one is fetched by a second call).
const REPLY_ROOM: usize = 1024;

/// Sends a request (a [`Request`], or what writes the same bytes) and waits for the reply.
pub(crate) fn call<T: Serialize + ?Sized>(request: &T) -> Reply {
    // Taken out while the request is written: writing it may run the program's `__repr__`,
    // which may make a robot call of its own (that one finds no buffer kept and makes one).
    let mut sent = BUFFERS.with(|buffers| std::mem::take(&mut buffers.borrow_mut().0));
    wire::encode(request, &mut sent);
    BUFFERS.with(|buffers| {
        let (kept, received) = &mut *buffers.borrow_mut();
        received.clear();
        received.reserve(REPLY_ROOM);
        // SAFETY: the host reads `sent` during the call and keeps no pointer to it; it writes
        // at most `received`'s spare room.
        let len = unsafe { host_call(sent.as_ptr(), sent.len(), received.as_mut_ptr(), received.capacity()) };
        if len <= received.capacity() {
            // SAFETY: the host wrote the reply's `len` bytes into the room.
            unsafe { received.set_len(len) };
        } else {
            received.resize(len, 0);
            // SAFETY: `received` has exactly the room the host asked for.
            unsafe { host_take_reply(received.as_mut_ptr()) };
        }
        let reply = wire::decode(received).unwrap_or_else(|err| Reply::Invalid { message: err.to_string() });
        // A large message's room is not kept: what a path leaves behind stays small.
        if sent.capacity() <= KEPT_BUFFER_BYTES {
            *kept = sent;
        }
        if received.capacity() > KEPT_BUFFER_BYTES {
            *received = Vec::new();
        }
        reply
    })
}

pub(crate) fn output(stream: u32, text: &str) {
    // SAFETY: the host copies the bytes during the call.
    unsafe { host_output(stream, text.as_ptr(), text.len()) }
}

pub(crate) fn finish(report: &GuestReport) {
    let mut bytes = Vec::new();
    wire::encode(report, &mut bytes);
    // SAFETY: the host copies the bytes during the call.
    unsafe { host_finish(bytes.as_ptr(), bytes.len()) }
}

pub(crate) fn random_bytes(len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    // SAFETY: `buf` has `len` writable bytes. The host's random_get cannot fail.
    unsafe { wasi_random_get(buf.as_mut_ptr(), len) };
    buf
}
