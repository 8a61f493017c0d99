//! The on-disk cache of the compiled guest: compiling takes 10–40 s, loading ~1 ms.
//!
//! The file name carries the guest's SHA-256, whether it is the pre-initialised snapshot,
//! and wasmtime's compatibility hash (version and engine settings), so a stale file is never
//! loaded. Files are written to a unique temporary file and renamed, so concurrent starts
//! never see half a file. Anyone who can write the cache directory can run native code in this
//! process: keep it private to the user.

use std::{
    borrow::Cow,
    collections::hash_map::DefaultHasher,
    hash::{Hash, Hasher},
    path::{Path, PathBuf},
};

use wasmtime::{Engine, Module};

use crate::{Error, GUEST_SHA256, GUEST_WASM};

/// Where the compiled guest is cached.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CachePolicy {
    /// `$ROBOSIM_CACHE_DIR`, else `$XDG_CACHE_HOME/robosim`, else `~/.cache/robosim`.
    #[default]
    Default,
    /// This directory.
    Dir(PathBuf),
    /// Compile on every start (slow: 10–40 s).
    Disabled,
}

/// The default cache directory.
#[must_use]
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ROBOSIM_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return Path::new(&dir).join("robosim");
    }
    match std::env::var_os("HOME") {
        Some(home) => Path::new(&home).join(".cache/robosim"),
        None => std::env::temp_dir().join("robosim-cache"),
    }
}

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
        #[allow(unsafe_code)]
        if let Ok(module) = unsafe { Module::deserialize_file(engine, &path) } {
            return Ok((module, true));
        }
    }
    let module = compile(engine, snapshot)?;
    let bytes = module.serialize().map_err(Error::compile)?;
    robosim_fs::write_atomic(&path, &bytes).map_err(|e| Error::Cache { path: path.clone(), source: e.into() })?;
    Ok((module, false))
}

fn compile(engine: &Engine, snapshot: bool) -> Result<Module, Error> {
    let wasm = if snapshot { Cow::Owned(crate::snapshot::preinitialize()?) } else { Cow::Borrowed(GUEST_WASM) };
    Module::new(engine, &wasm).map_err(Error::compile)
}

/// The cache file for this guest, kind and engine.
pub(crate) fn cache_file(engine: &Engine, dir: &Path, snapshot: bool) -> PathBuf {
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let kind = if snapshot { "snapshot" } else { "guest" };
    dir.join(format!("{kind}-{}-{:016x}.cwasm", &GUEST_SHA256[..16], hasher.finish()))
}
