//! The on-disk cache of the compiled guest: compiling takes 10–40 s, loading ~1 ms.
//!
//! The file name carries the guest's SHA-256, whether it is the pre-initialised snapshot,
//! and wasmtime's compatibility hash (version and engine settings), so a stale file is never
//! loaded. Files are written to a temporary name and renamed, so concurrent starts never see
//! half a file. Anyone who can write the cache directory can run native code in this
//! process: keep it private to the user.

use std::{
    borrow::Cow,
    collections::hash_map::DefaultHasher,
    fs,
    hash::{Hash, Hasher},
    path::{Path, PathBuf},
};

use wasmtime::{Engine, Module};

use crate::{CachePolicy, Error, GUEST_SHA256, GUEST_WASM, default_cache_dir};

/// The compiled guest, pre-initialised (`snapshot`) or plain, and whether it came from the
/// cache.
pub(crate) fn load_or_compile(engine: &Engine, policy: &CachePolicy, snapshot: bool) -> Result<(Module, bool), Error> {
    let dir = match policy {
        CachePolicy::Disabled => return compile(engine, snapshot).map(|m| (m, false)),
        CachePolicy::Default => default_cache_dir(),
        CachePolicy::Dir(dir) => dir.clone(),
    };
    let path = cache_file(engine, &dir, snapshot);
    if path.is_file() {
        // SAFETY: the file was written by `Module::serialize` for an engine with the same
        // compatibility hash (it is in the name); `deserialize_file` validates its header.
        // A file that fails to load is recompiled and replaced.
        if let Ok(module) = unsafe { Module::deserialize_file(engine, &path) } {
            return Ok((module, true));
        }
    }
    let module = compile(engine, snapshot)?;
    let bytes = module.serialize().map_err(|e| Error::Compile { message: format!("{e:?}") })?;
    store(&dir, &path, &bytes).map_err(|source| Error::Cache { path: path.clone(), source })?;
    Ok((module, false))
}

fn compile(engine: &Engine, snapshot: bool) -> Result<Module, Error> {
    let wasm = if snapshot { Cow::Owned(crate::snapshot::preinitialize()?) } else { Cow::Borrowed(GUEST_WASM) };
    Module::new(engine, &wasm).map_err(|e| Error::Compile { message: format!("{e:?}") })
}

/// The cache file for this guest, kind and engine.
pub(crate) fn cache_file(engine: &Engine, dir: &Path, snapshot: bool) -> PathBuf {
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let kind = if snapshot { "snapshot" } else { "guest" };
    dir.join(format!("{kind}-{}-{:016x}.cwasm", &GUEST_SHA256[..16], hasher.finish()))
}

fn store(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("guest");
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    fs::write(&temp, bytes)?;
    fs::rename(&temp, path)
}
