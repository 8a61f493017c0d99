//! The host's imports (module `robosim`), wrapped safely.
//!
//! Calls are synchronous: the guest hands over a JSON message, the host answers at once.

use robosim_protocol::{GuestReport, Reply, Request};

#[link(wasm_import_module = "robosim")]
unsafe extern "C" {
    /// Handles a JSON [`Request`]; returns the length of the JSON [`Reply`] it holds ready.
    #[link_name = "call"]
    fn host_call(ptr: *const u8, len: usize) -> usize;
    /// Copies the reply held ready into `ptr` (which has room for it).
    #[link_name = "take_reply"]
    fn host_take_reply(ptr: *mut u8);
    /// Appends text to the program's captured output (`stream` 1 = stdout, 2 = stderr).
    #[link_name = "output"]
    fn host_output(stream: u32, ptr: *const u8, len: usize);
    /// Reports how the run ended (a JSON [`GuestReport`]).
    #[link_name = "finish"]
    fn host_finish(ptr: *const u8, len: usize);
}

#[link(wasm_import_module = "wasi_snapshot_preview1")]
unsafe extern "C" {
    /// WASI's entropy source; the host makes it deterministic per run.
    #[link_name = "random_get"]
    fn wasi_random_get(buf: *mut u8, len: usize) -> u16;
}

/// Sends a request and waits for the reply.
pub(crate) fn call(request: &Request) -> Reply {
    let bytes = match serde_json::to_vec(request) {
        Ok(bytes) => bytes,
        Err(err) => {
            return Reply::Invalid { message: err.to_string() };
        }
    };
    // SAFETY: the host reads `bytes` during the call and keeps no pointer to it.
    let len = unsafe { host_call(bytes.as_ptr(), bytes.len()) };
    let mut reply = vec![0u8; len];
    // SAFETY: `reply` has exactly the room the host asked for.
    unsafe { host_take_reply(reply.as_mut_ptr()) };
    serde_json::from_slice(&reply).unwrap_or_else(|err| Reply::Invalid { message: err.to_string() })
}

pub(crate) fn output(stream: u32, text: &str) {
    // SAFETY: the host copies the bytes during the call.
    unsafe { host_output(stream, text.as_ptr(), text.len()) }
}

pub(crate) fn finish(report: &GuestReport) {
    let bytes = serde_json::to_vec(report).unwrap_or_default();
    // SAFETY: the host copies the bytes during the call.
    unsafe { host_finish(bytes.as_ptr(), bytes.len()) }
}

pub(crate) fn random_bytes(len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    // SAFETY: `buf` has `len` writable bytes. The host's random_get cannot fail.
    unsafe { wasi_random_get(buf.as_mut_ptr(), len) };
    buf
}
