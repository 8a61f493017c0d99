//! Never verifying the same thing twice: identical programs (after extraction, byte for byte)
//! in one batch are verified once, and an optional on-disk cache keeps verdicts by program,
//! verifier settings and guest, so a batch run again over mostly known programs is nearly free.
//! A verdict is a function of the program and the settings, so reusing one changes nothing
//! in the records but its time.

use std::{
    collections::HashMap,
    fs,
    path::PathBuf,
    sync::{Arc, OnceLock},
};

use parking_lot::Mutex;
use robosim_sandbox::extract_program;
use robosim_verify::{Verdict, Verify};
use sha2::{Digest, Sha256};

/// Programs remembered within one batch, at most, and the bytes of their verdicts (as JSON)
/// in all: beyond either, new programs are verified without being remembered (the on-disk
/// cache, if any, still serves them). Remembering changes no verdict, only time.
const SEEN_ENTRIES: usize = 1 << 16;
const SEEN_BYTES: usize = 64 << 20;

/// Where a verdict came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    Verified,
    /// The same program earlier in this batch.
    Reused,
    /// The on-disk cache.
    Cached,
}

/// A program's verdict, once the first copy of it has one.
type Slot = Arc<OnceLock<(Verdict, Origin)>>;

pub(crate) struct Reuse<'a> {
    backend: &'a dyn Verify,
    /// Hashes the settings and the guest into every key: the hash state after them, so each
    /// key hashes only its program.
    salt: Sha256,
    seen: Mutex<HashMap<[u8; 32], Slot>>,
    /// Bytes of the verdicts `seen` holds.
    seen_bytes: std::sync::atomic::AtomicUsize,
    cache: Option<PathBuf>,
}

impl<'a> Reuse<'a> {
    /// Keys hash `backend`'s settings, the guest and robosim's version with the program: what
    /// decides a verdict, and nothing about the batch (not its input, its shard or its jobs),
    /// so a cache filled by one shard serves the whole batch and any other batch.
    pub(crate) fn new(backend: &'a dyn Verify, cache: Option<PathBuf>) -> Result<Self, crate::Error> {
        let salt = serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "guest_sha256": robosim_sandbox::GUEST_SHA256,
            "settings": serde_json::to_value(backend.config()).map_err(crate::Error::Settings)?,
        });
        Ok(Self {
            backend,
            salt: Sha256::new_with_prefix(salt.to_string()),
            seen: Mutex::new(HashMap::new()),
            seen_bytes: std::sync::atomic::AtomicUsize::new(0),
            cache,
        })
    }

    fn key(&self, source: &str) -> [u8; 32] {
        let mut hash = self.salt.clone();
        hash.update([0]);
        hash.update(extract_program(source).as_bytes());
        hash.finalize().into()
    }

    pub(crate) fn verify(&self, source: &str) -> (Verdict, Origin) {
        let key = self.key(source);
        let cell = {
            let mut seen = self.seen.lock();
            let room =
                seen.len() < SEEN_ENTRIES && self.seen_bytes.load(std::sync::atomic::Ordering::Relaxed) < SEEN_BYTES;
            if room || seen.contains_key(&key) { Some(Arc::clone(seen.entry(key).or_default())) } else { None }
        };
        let Some(cell) = cell else { return self.verify_or_load(&key, source) };
        let mut first = false;
        // A second copy arriving while the first is verified waits for its verdict.
        let (verdict, origin) = cell.get_or_init(|| {
            first = true;
            let found = self.verify_or_load(&key, source);
            let weight = robosim_parallel::json_weight(&found.0);
            self.seen_bytes.fetch_add(weight, std::sync::atomic::Ordering::Relaxed);
            found
        });
        if !first && verdict.was_not_run() {
            // robosim failed on the first copy: this one is verified afresh, not given its failure.
            return self.verify_or_load(&key, source);
        }
        (verdict.clone(), if first { *origin } else { Origin::Reused })
    }

    fn verify_or_load(&self, key: &[u8; 32], source: &str) -> (Verdict, Origin) {
        let path = self.cache.as_ref().map(|dir| {
            let hex = robosim_fs::hex(key);
            dir.join(&hex[..2]).join(format!("{hex}.json"))
        });
        if let Some(verdict) =
            path.as_ref().and_then(|p| fs::read(p).ok()).and_then(|b| serde_json::from_slice(&b).ok())
        {
            return (verdict, Origin::Cached);
        }
        let verdict = self.backend.verify(source);
        if let Some(path) = path.filter(|_| !verdict.was_not_run()) {
            // A cache that cannot be written costs only speed: the verdict stands.
            let _ = store(&path, &verdict);
        }
        (verdict, Origin::Verified)
    }
}

/// Writes a verdict through a temporary file, so a reader never sees half of one.
fn store(path: &std::path::Path, verdict: &Verdict) -> Result<(), robosim_fs::Error> {
    let json =
        serde_json::to_vec(verdict).map_err(|source| robosim_fs::Error::Json { path: path.to_owned(), source })?;
    robosim_fs::write_atomic(path, &json)
}
