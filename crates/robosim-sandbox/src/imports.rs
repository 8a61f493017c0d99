//! The host functions the guest imports from module `robosim`.

use robosim_protocol::{
    GuestReport, Reply, Request,
    wire::{self, JsonLen},
};
use wasmtime::{Caller, Extern, Linker, Memory};

use crate::{
    CallResult, TraceEvent,
    state::{Abort, HostState},
};

/// The virtual clock starts at 2024-01-01T00:00:00Z, the same in every run.
pub(crate) const EPOCH_NS: u64 = 1_704_067_200 * 1_000_000_000;
/// Fuel per virtual nanosecond of computation (≈ this machine's rate), so busy-waiting on
/// `time.time()` ends deterministically.
const FUEL_PER_NS: u64 = 8;

pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap("robosim", "call", call)?;
    linker.func_wrap("robosim", "take_reply", take_reply)?;
    linker.func_wrap("robosim", "output", output)?;
    linker.func_wrap("robosim", "finish", finish)?;
    Ok(())
}

fn protocol(message: impl Into<String>) -> wasmtime::Error {
    wasmtime::Error::new(Abort::Protocol(message.into()))
}

pub(crate) fn memory(caller: &mut Caller<'_, HostState>) -> wasmtime::Result<Memory> {
    if let Some(memory) = caller.data().memory {
        return Ok(memory);
    }
    let memory = caller
        .get_export("memory")
        .and_then(Extern::into_memory)
        .ok_or_else(|| protocol("the guest exports no memory"))?;
    caller.data_mut().memory = Some(memory);
    Ok(memory)
}

pub(crate) fn read(caller: &mut Caller<'_, HostState>, ptr: u32, len: u32) -> wasmtime::Result<Vec<u8>> {
    let mut buf = Vec::new();
    read_into(caller, ptr, len, &mut buf)?;
    Ok(buf)
}

/// [`read`] into a buffer the caller keeps.
fn read_into(caller: &mut Caller<'_, HostState>, ptr: u32, len: u32, buf: &mut Vec<u8>) -> wasmtime::Result<()> {
    let memory = memory(caller)?;
    let (start, len) = (ptr as usize, len as usize);
    let bytes = memory
        .data(&*caller)
        .get(start..start.saturating_add(len))
        .ok_or_else(|| protocol(format!("read of {len} bytes at {start} is out of bounds")))?;
    buf.clear();
    buf.extend_from_slice(bytes);
    Ok(())
}

pub(crate) fn write(caller: &mut Caller<'_, HostState>, ptr: u32, bytes: &[u8]) -> wasmtime::Result<()> {
    let memory = memory(caller)?;
    memory
        .write(caller, ptr as usize, bytes)
        .map_err(|_| protocol(format!("write of {} bytes at {ptr} is out of bounds", bytes.len())))
}

/// The virtual time: start + slept + computed (derived from fuel, so deterministic).
pub(crate) fn now_ns(caller: &Caller<'_, HostState>) -> u64 {
    let state = caller.data();
    let computed = match caller.get_fuel() {
        Ok(left) if state.run_fuel > 0 => state.run_fuel.saturating_sub(left) / FUEL_PER_NS,
        _ => 0,
    };
    EPOCH_NS.saturating_add(state.slept_ns).saturating_add(computed)
}

/// Fuel per unit of host work a world meters (`robosim_world::Work`): a unit is at most a
/// few nanoseconds of the host's time, and the guest burns about 8 fuel per nanosecond.
const FUEL_PER_WORK_UNIT: u64 = 8;

/// Gives the world an allowance of host work from the run's remaining fuel.
fn open_work(caller: &mut Caller<'_, HostState>) -> wasmtime::Result<()> {
    let left = caller.get_fuel()?;
    if let Some(work) = caller.data_mut().world.work() {
        work.renew(left / FUEL_PER_WORK_UNIT);
    }
    Ok(())
}

/// Charges the host work the world did in the call to the run's fuel; the run ends as out of
/// fuel when the world had to refuse some (it never did that work).
fn close_work(caller: &mut Caller<'_, HostState>) -> wasmtime::Result<()> {
    let Some(spent) = caller.data_mut().world.work().map(|work| work.renew(0)) else { return Ok(()) };
    let left = caller.get_fuel()?;
    let cost = spent.used().saturating_mul(FUEL_PER_WORK_UNIT);
    if spent.exceeded() || cost > left {
        caller.set_fuel(0)?;
        return Err(wasmtime::Error::new(Abort::HostWork));
    }
    caller.set_fuel(left - cost)?;
    Ok(())
}

/// Requests up to this size in JSON are cheap (a sleep, a short call): a program's robot
/// traffic is charged as the JSON size of its messages (`robosim_protocol::wire`), less the
/// call site's bytes for these; larger ones are charged in full.
const FREE_REQUEST_BYTES: usize = 256;
/// The largest outcome report the guest may send (its texts are cut well below this).
const MAX_REPORT_BYTES: u32 = 1 << 20;

/// Handles the request at `ptr`; writes the reply at `out` when it fits in `room` bytes, else
/// holds it for [`take_reply`]. Returns the reply's length either way. (One host call for the
/// common small reply: a robot call cost two before.)
fn call(mut caller: Caller<'_, HostState>, ptr: u32, len: u32, out: u32, room: u32) -> wasmtime::Result<u32> {
    // A request this large is more than FREE_REQUEST_BYTES in JSON, so charged in full, and
    // at least `json_len_at_least` of it: a flood that cannot fit the run's allowance is
    // refused without the host copying or decoding it.
    let least = wire::json_len_at_least(len as usize);
    if least > FREE_REQUEST_BYTES {
        caller.data().check_robot_data(least).map_err(wasmtime::Error::new)?;
    }
    let mut buf = std::mem::take(&mut caller.data_mut().request);
    read_into(&mut caller, ptr, len, &mut buf)?;
    let decoded = wire::decode::<Request>(&buf);
    caller.data_mut().request = buf;
    let request = decoded.map_err(|e| protocol(format!("bad request: {e}")))?;
    let (world_traffic, charged) = match &request {
        Request::Robot { site, .. } | Request::Contains { site, .. } => match request.json_len() {
            n if n > FREE_REQUEST_BYTES => (true, n),
            // Where the call was made is the explorer's bookkeeping, not the program's traffic.
            n => (true, n.saturating_sub(site.wire_len())),
        },
        // `{"sleep":{"seconds":…}}` is a few dozen bytes whatever the float: never charged (and
        // not measured: a program sleeping in a loop makes a million of these).
        Request::Sleep { .. } => (false, 0),
    };
    caller.data_mut().charge_robot_data(charged).map_err(wasmtime::Error::new)?;
    let reply = match request {
        Request::Robot { function, args, site } => {
            let state = caller.data();
            if state.trace.len() as u64 >= state.limits.robot_calls {
                return Err(wasmtime::Error::new(Abort::RobotCallLimit(state.limits.robot_calls)));
            }
            open_work(&mut caller)?;
            let state = caller.data_mut();
            state.world.at(site);
            let result = state.world.dispatch(function, &args);
            // Before the reply is made: a call the world refused for its work never answers.
            close_work(&mut caller)?;
            let state = caller.data_mut();
            let (reply, result) = match result {
                Ok(value) => (Reply::Value { value: value.clone() }, CallResult::Returned(value)),
                Err(err) => (
                    Reply::RobotError { name: err.kind.name().to_owned(), message: err.message.clone() },
                    CallResult::Raised(err.to_string()),
                ),
            };
            state.trace.push(TraceEvent { function, args, result });
            state.call_sites.push(site);
            reply
        }
        Request::Contains { container, item, site } => {
            open_work(&mut caller)?;
            let world = &mut caller.data_mut().world;
            world.at(site);
            let result = world.contains(&container, &item);
            close_work(&mut caller)?;
            match result {
                Ok(holds) => Reply::Value { value: robosim_protocol::Value::Bool(holds) },
                Err(err) => Reply::RobotError { name: err.kind.name().to_owned(), message: err.message },
            }
        }
        Request::Sleep { seconds } => {
            // Saturating: `time.sleep(1e300)` is legal Python and must not overflow.
            let ns = (seconds * 1e9).min(u64::MAX as f64) as u64;
            let state = caller.data_mut();
            state.slept_ns = state.slept_ns.saturating_add(ns);
            Reply::Value { value: robosim_protocol::Value::None }
        }
    };
    let state = caller.data_mut();
    if world_traffic {
        state.charge_robot_data(reply.json_len()).map_err(wasmtime::Error::new)?;
    }
    wire::encode(&reply, &mut state.reply);
    let len = u32::try_from(state.reply.len()).map_err(|_| protocol("reply too large"))?;
    if len <= room {
        take_reply(caller, out)?;
    }
    Ok(len)
}

fn take_reply(mut caller: Caller<'_, HostState>, ptr: u32) -> wasmtime::Result<()> {
    let mut reply = std::mem::take(&mut caller.data_mut().reply);
    let written = write(&mut caller, ptr, &reply);
    // Taken once; the buffer's room is kept for the next reply.
    reply.clear();
    caller.data_mut().reply = reply;
    written
}

fn output(mut caller: Caller<'_, HostState>, stream: u32, ptr: u32, len: u32) -> wasmtime::Result<()> {
    let state = caller.data();
    let room = state.limits.output_bytes.saturating_sub(state.output_len());
    // Read no more than fits (plus one byte to know it did not fit): a 100 MB print
    // must not be copied out of the guest.
    let bytes = read(&mut caller, ptr, len.min(u32::try_from(room).unwrap_or(u32::MAX).saturating_add(1)))?;
    let text = String::from_utf8_lossy(&bytes);
    let state = caller.data_mut();
    // Writes between the same two robot calls are one entry, and empty ones none: at most one
    // entry per robot call (bounded by the call limit) and per byte kept (by the output limit).
    let calls = state.trace.len();
    if stream != 2 && len > 0 && state.stdout_writes.last().is_none_or(|w| w.calls != calls) {
        state.stdout_writes.push(crate::StdoutWrite { calls, offset: state.stdout.len() });
    }
    let sink = if stream == 2 { &mut state.stderr } else { &mut state.stdout };
    if (len as usize) <= room {
        sink.push_str(&text);
        return Ok(());
    }
    let mut cut = room.min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    sink.push_str(&text[..cut]);
    Err(wasmtime::Error::new(Abort::OutputLimit(state.limits.output_bytes)))
}

fn finish(mut caller: Caller<'_, HostState>, ptr: u32, len: u32) -> wasmtime::Result<()> {
    if len > MAX_REPORT_BYTES {
        return Err(protocol(format!("an outcome report of {len} bytes (at most {MAX_REPORT_BYTES})")));
    }
    let bytes = read(&mut caller, ptr, len)?;
    let report: GuestReport = wire::decode(&bytes).map_err(|e| protocol(format!("bad outcome: {e}")))?;
    let state = caller.data_mut();
    state.outcome = Some(report.outcome);
    state.reusable = report.reusable;
    Ok(())
}

#[cfg(test)]
mod tests {
    use robosim_protocol::{Request, wire::JsonLen};

    use super::FREE_REQUEST_BYTES;

    #[test]
    fn a_sleep_request_is_never_charged() {
        // `call` does not measure sleeps: none is over the free size, whatever the float.
        for seconds in [0.0, 0.1 + 0.2, -f64::MAX, f64::MIN_POSITIVE, 5e-324, -1.234_567_890_123_456_7e-308, f64::NAN] {
            assert!(Request::Sleep { seconds }.json_len() <= FREE_REQUEST_BYTES / 4, "{seconds}");
        }
    }
}
