//! The WASI preview 1 functions the guest imports, granting no capability.
//!
//! The guest's Rust standard library and RustPython import a handful of WASI functions.
//! Rather than a general WASI implementation with everything switched off, the host defines
//! exactly these, each deterministic: no arguments, no environment, no preopened
//! directories (so no path can ever be opened), a virtual clock, seeded entropy, and
//! stdout/stderr of the guest's Rust code captured in a small log. Any other WASI import
//! traps (`Linker::define_unknown_imports_as_traps`).

use wasmtime::{Caller, Linker};

use crate::{
    imports::{now_ns, read, write},
    state::{Abort, HostState},
};

const MODULE: &str = "wasi_snapshot_preview1";
const SUCCESS: i32 = 0;
const EBADF: i32 = 8;
const EINVAL: i32 = 28;
const ENOTSUP: i32 = 58;
const ESPIPE: i32 = 70;
const ENOTCAPABLE: i32 = 76;
/// `filetype::character_device`
const CHARACTER_DEVICE: u8 = 2;
/// How much of the guest's own stderr (Rust panics, RustPython warnings) is kept.
const GUEST_LOG_BYTES: usize = 16 << 10;

pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    // No arguments and no environment: both lists are empty.
    linker.func_wrap(MODULE, "args_sizes_get", empty_sizes)?;
    linker.func_wrap(MODULE, "environ_sizes_get", empty_sizes)?;
    linker.func_wrap(MODULE, "args_get", |_: Caller<'_, HostState>, _: u32, _: u32| SUCCESS)?;
    linker.func_wrap(MODULE, "environ_get", |_: Caller<'_, HostState>, _: u32, _: u32| SUCCESS)?;
    linker.func_wrap(MODULE, "clock_time_get", clock_time_get)?;
    linker.func_wrap(MODULE, "clock_res_get", |mut caller: Caller<'_, HostState>, _id: u32, out: u32| {
        errno(write(&mut caller, out, &1u64.to_le_bytes()))
    })?;
    linker.func_wrap(MODULE, "random_get", random_get)?;
    linker.func_wrap(MODULE, "fd_write", fd_write)?;
    linker.func_wrap(MODULE, "fd_read", fd_read)?;
    linker.func_wrap(MODULE, "fd_fdstat_get", fd_fdstat_get)?;
    linker.func_wrap(MODULE, "fd_close", |_: Caller<'_, HostState>, fd: u32| if fd <= 2 { SUCCESS } else { EBADF })?;
    linker.func_wrap(
        MODULE,
        "fd_seek",
        |_: Caller<'_, HostState>, fd: u32, _: i64, _: u32, _: u32| {
            if fd <= 2 { ESPIPE } else { EBADF }
        },
    )?;
    linker.func_wrap(MODULE, "fd_filestat_get", |_: Caller<'_, HostState>, _: u32, _: u32| EBADF)?;
    linker.func_wrap(MODULE, "fd_sync", |_: Caller<'_, HostState>, _: u32| SUCCESS)?;
    // No preopened directories: the guest finds none, so it never has a path to open.
    linker.func_wrap(MODULE, "fd_prestat_get", |_: Caller<'_, HostState>, _: u32, _: u32| EBADF)?;
    linker.func_wrap(MODULE, "fd_prestat_dir_name", |_: Caller<'_, HostState>, _: u32, _: u32, _: u32| EBADF)?;
    linker.func_wrap(
        MODULE,
        "path_open",
        |_: Caller<'_, HostState>, _: u32, _: u32, _: u32, _: u32, _: u32, _: i64, _: i64, _: u32, _: u32| ENOTCAPABLE,
    )?;
    linker.func_wrap(
        MODULE,
        "path_filestat_get",
        |_: Caller<'_, HostState>, _: u32, _: u32, _: u32, _: u32, _: u32| ENOTCAPABLE,
    )?;
    linker.func_wrap(MODULE, "sched_yield", |_: Caller<'_, HostState>| SUCCESS)?;
    // Sleeping goes through the virtual clock (`robosim.call`); a real wait is not offered.
    linker.func_wrap(MODULE, "poll_oneoff", |_: Caller<'_, HostState>, _: u32, _: u32, _: u32, _: u32| ENOTSUP)?;
    linker.func_wrap(MODULE, "proc_exit", |_: Caller<'_, HostState>, code: i32| -> wasmtime::Result<()> {
        Err(wasmtime::Error::new(Abort::Exit(code)))
    })?;
    Ok(())
}

fn errno(result: wasmtime::Result<()>) -> wasmtime::Result<i32> {
    result.map(|()| SUCCESS)
}

fn empty_sizes(mut caller: Caller<'_, HostState>, count: u32, size: u32) -> wasmtime::Result<i32> {
    write(&mut caller, count, &0u32.to_le_bytes())?;
    errno(write(&mut caller, size, &0u32.to_le_bytes()))
}

fn clock_time_get(mut caller: Caller<'_, HostState>, id: u32, _precision: u64, out: u32) -> wasmtime::Result<i32> {
    // realtime, monotonic, process and thread CPU time all read the one virtual clock.
    if id > 3 {
        return Ok(EINVAL);
    }
    let now = now_ns(&caller);
    errno(write(&mut caller, out, &now.to_le_bytes()))
}

/// Fuel charged per byte of entropy: the host makes it, but the program pays, so asking
/// for 100 MB of `os.urandom` costs what computing it in the guest would.
const FUEL_PER_RANDOM_BYTE: u64 = 4;
/// Entropy is written in pieces of this size: the host never holds a large request whole.
const RANDOM_CHUNK: u32 = 64 << 10;

fn random_get(mut caller: Caller<'_, HostState>, ptr: u32, len: u32) -> wasmtime::Result<i32> {
    let cost = u64::from(len).saturating_mul(FUEL_PER_RANDOM_BYTE);
    // Pre-initialisation (taking the snapshot) runs without fuel; every run has it.
    if let Ok(left) = caller.get_fuel() {
        if cost > left {
            caller.set_fuel(0)?;
            return Err(wasmtime::Error::new(wasmtime::Trap::OutOfFuel));
        }
        caller.set_fuel(left - cost)?;
    }
    let mut done = 0u32;
    let mut chunk = Vec::with_capacity(RANDOM_CHUNK as usize + 8);
    while done < len {
        let take = (len - done).min(RANDOM_CHUNK);
        chunk.clear();
        let state = caller.data_mut();
        while chunk.len() < take as usize {
            chunk.extend_from_slice(&state.next_random().to_le_bytes());
        }
        chunk.truncate(take as usize);
        write(&mut caller, ptr.saturating_add(done), &chunk)?;
        done += take;
    }
    Ok(SUCCESS)
}

/// Reads an iovec array: (pointer, length) pairs of 8 bytes each.
fn iovecs(caller: &mut Caller<'_, HostState>, iovs: u32, count: u32) -> wasmtime::Result<Vec<(u32, u32)>> {
    let raw = read(caller, iovs, count.saturating_mul(8))?;
    Ok(raw
        .chunks_exact(8)
        .map(|c| (u32::from_le_bytes([c[0], c[1], c[2], c[3]]), u32::from_le_bytes([c[4], c[5], c[6], c[7]])))
        .collect())
}

fn fd_write(mut caller: Caller<'_, HostState>, fd: u32, iovs: u32, count: u32, written: u32) -> wasmtime::Result<i32> {
    if fd != 1 && fd != 2 {
        return Ok(EBADF);
    }
    let mut total = 0u32;
    for (ptr, len) in iovecs(&mut caller, iovs, count)? {
        let room = GUEST_LOG_BYTES.saturating_sub(caller.data().guest_log.len());
        let take = len.min(u32::try_from(room).unwrap_or(u32::MAX));
        let bytes = read(&mut caller, ptr, take)?;
        caller.data_mut().guest_log.push_str(&String::from_utf8_lossy(&bytes));
        // Report everything as written: the guest must not retry what the log drops.
        total = total.saturating_add(len);
    }
    errno(write(&mut caller, written, &total.to_le_bytes()))
}

fn fd_read(
    mut caller: Caller<'_, HostState>,
    fd: u32,
    _iovs: u32,
    _count: u32,
    read_out: u32,
) -> wasmtime::Result<i32> {
    if fd != 0 {
        return Ok(EBADF);
    }
    // stdin is always at end of file.
    errno(write(&mut caller, read_out, &0u32.to_le_bytes()))
}

fn fd_fdstat_get(mut caller: Caller<'_, HostState>, fd: u32, out: u32) -> wasmtime::Result<i32> {
    if fd > 2 {
        return Ok(EBADF);
    }
    // fdstat: filetype u8, flags u16 at 2, rights_base u64 at 8, rights_inheriting u64 at 16.
    let mut stat = [0u8; 24];
    stat[0] = CHARACTER_DEVICE;
    let rights: u64 = if fd == 0 { 1 << 1 } else { 1 << 6 }; // fd_read / fd_write
    stat[8..16].copy_from_slice(&rights.to_le_bytes());
    errno(write(&mut caller, out, &stat))
}
