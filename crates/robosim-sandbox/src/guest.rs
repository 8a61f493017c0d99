//! The guest module, as this crate's build script built it.

/// The guest module (RustPython + robot API), built by this crate's build script.
pub static GUEST_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/robosim_guest.wasm"));
/// SHA-256 of [`GUEST_WASM`], hex.
pub const GUEST_SHA256: &str = env!("ROBOSIM_GUEST_SHA256");
