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
    fs,
    hash::{Hash, Hasher},
    io::Write,
    path::{Path, PathBuf},
};

use wasmtime::{Engine, Module};

use crate::{Error, GUEST_SHA256, GUEST_WASM};

/// Where the compiled guest is cached.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
    store(&dir, &path, &bytes).map_err(|source| Error::Cache { path: path.clone(), source })?;
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

/// Writes `bytes` to a fresh temporary file in `dir` (a unique name, so concurrent writers in
/// one process or many never share one) and renames it into place.
fn store(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    let mut temp = tempfile::Builder::new().prefix(".guest-").suffix(".tmp").tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_data()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    /// Writers racing on one cache file (two sandboxes compiling at once, in one process or
    /// several): the file is always one writer's whole output, and no temporary is left.
    #[test]
    fn concurrent_stores_leave_one_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("guest.cwasm");
        std::thread::scope(|scope| {
            for i in 0..8u8 {
                let (dir, path) = (dir.path(), &path);
                scope.spawn(move || super::store(dir, path, &vec![i; 1 << 20]).unwrap());
            }
        });
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 1 << 20);
        assert!(bytes.iter().all(|&b| b == bytes[0]));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
