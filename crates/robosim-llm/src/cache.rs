//! The on-disk cache of answers: one small JSON file per request, written atomically, so an
//! interrupted run leaves only whole entries behind.

use std::{
    fmt, fs,
    path::{Path, PathBuf},
};

use sha2::{Digest, Sha256};

use crate::{Completion, Error};

/// Answers by request key, under a directory.
#[derive(Debug, Clone)]
pub struct ResponseCache {
    dir: PathBuf,
}

/// The key of a request: the SHA-256 of its body, in hex. Made only by [`CacheKey::of`], so
/// it is always 64 hex digits and safe as a file name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey(String);

impl CacheKey {
    /// The key of a request body (the body holds model, messages, sampling settings and
    /// seed, and nothing that does not change the answer).
    #[must_use]
    pub fn of(body: &[u8]) -> Self {
        Self(Sha256::digest(body).iter().map(|b| format!("{b:02x}")).collect())
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl ResponseCache {
    #[must_use]
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `DIR/ab/abcdef….json`: 256 subdirectories keep directories small.
    fn path(&self, key: &CacheKey) -> PathBuf {
        self.dir.join(&key.0[..2]).join(format!("{key}.json"))
    }

    /// The cached answer, if there is a readable one (a damaged entry counts as missing).
    #[must_use]
    pub fn get(&self, key: &CacheKey) -> Option<Completion> {
        let text = fs::read_to_string(self.path(key)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Stores an answer: written to a temporary file, then renamed into place.
    ///
    /// # Errors
    /// When the directory or file cannot be written.
    pub fn put(&self, key: &CacheKey, completion: &Completion) -> Result<(), Error> {
        let path = self.path(key);
        let io = |source| Error::Cache { path: path.clone(), source };
        let json = serde_json::to_vec(completion).map_err(|e| io(e.into()))?;
        robosim_fs::write_atomic(&path, &json).map_err(|e| io(e.into()))
    }
}
