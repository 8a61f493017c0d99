//! The on-disk cache of answers: one small JSON file per request, written atomically, so an
//! interrupted run leaves only whole entries behind.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
};

use sha2::{Digest, Sha256};

use crate::{Completion, Error};

/// Answers by request key, under a directory.
#[derive(Debug, Clone)]
pub struct ResponseCache {
    dir: PathBuf,
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

    /// The key of a request body: its SHA-256 (the body holds model, messages, sampling
    /// settings and seed, and nothing that does not change the answer).
    #[must_use]
    pub fn key(body: &[u8]) -> String {
        Sha256::digest(body).iter().map(|b| format!("{b:02x}")).collect()
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(&key[..2]).join(format!("{key}.json"))
    }

    /// The cached answer, if there is a readable one (a damaged entry counts as missing).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<Completion> {
        let text = fs::read_to_string(self.path(key)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Stores an answer: written to a temporary file, then renamed into place.
    ///
    /// # Errors
    /// When the directory or file cannot be written.
    pub fn put(&self, key: &str, completion: &Completion) -> Result<(), Error> {
        let path = self.path(key);
        let io = |source| Error::Cache { path: path.clone(), source };
        let parent = path.parent().unwrap_or(&self.dir);
        fs::create_dir_all(parent).map_err(io)?;
        let tmp = parent.join(format!(".{key}.{}.tmp", std::process::id()));
        let mut file = fs::File::create(&tmp).map_err(io)?;
        let json = serde_json::to_vec(completion).map_err(|e| io(e.into()))?;
        file.write_all(&json).map_err(io)?;
        file.sync_data().map_err(io)?;
        fs::rename(&tmp, &path).map_err(io)
    }
}
