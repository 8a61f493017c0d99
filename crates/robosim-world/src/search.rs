//! [`SearchPattern`]: a Python regular expression searched in a text ignoring case, as
//! RoboEval's simulator and checks use every name and pattern (`re.search(p, text,
//! re.IGNORECASE)`). Patterns may use look-around (`^(?=.*a)(?=.*b).*$`), so they compile with
//! `fancy-regex`.

use std::{
    collections::HashMap,
    fmt,
    sync::{Arc, LazyLock, Mutex},
};

use fancy_regex::{Regex, RegexBuilder};
use serde::{Deserialize, Deserializer};

/// A compiled Python pattern and its source; cloning shares the compiled form.
#[derive(Clone)]
pub struct SearchPattern {
    source: String,
    /// Shared: a compiled look-around regex is large, and worlds and checks are cloned per run.
    regex: Arc<Regex>,
}

/// Compiled patterns by source, shared by every pattern made in this process: RoboEval's
/// states repeat the same names (a task's rooms in each of its states, the same check in
/// several), and a placed object becomes a pattern on every `place`. Compiling costs far more
/// than searching, so each source is compiled once. Bounded: short sources only, and at most
/// [`CACHE_ENTRIES`] of them.
static CACHE: LazyLock<Mutex<HashMap<String, Arc<Regex>>>> = LazyLock::new(|| Mutex::new(HashMap::new()));
const CACHE_ENTRIES: usize = 1 << 16;
const CACHE_SOURCE_BYTES: usize = 1 << 10;

impl SearchPattern {
    /// # Errors
    /// When `source` is not a regular expression `fancy-regex` understands.
    pub fn new(source: &str) -> Result<Self, Box<fancy_regex::Error>> {
        let cacheable = source.len() <= CACHE_SOURCE_BYTES;
        if cacheable && let Some(regex) = CACHE.lock().ok().and_then(|c| c.get(source).cloned()) {
            return Ok(Self { source: source.to_owned(), regex });
        }
        let regex = Arc::new(RegexBuilder::new(source).case_insensitive(true).build()?);
        if cacheable
            && let Ok(mut cache) = CACHE.lock()
            && cache.len() < CACHE_ENTRIES
        {
            cache.insert(source.to_owned(), Arc::clone(&regex));
        }
        Ok(Self { source: source.to_owned(), regex })
    }

    #[must_use]
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the pattern is found in `text`.
    ///
    /// # Errors
    /// When the matcher runs past its backtracking limit (where Python would raise).
    pub fn search(&self, text: &str) -> Result<bool, Box<fancy_regex::Error>> {
        self.regex.is_match(text).map_err(Box::new)
    }
}

impl fmt::Debug for SearchPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.source)
    }
}

impl PartialEq for SearchPattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl<'de> Deserialize<'de> for SearchPattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let source = String::deserialize(d)?;
        Self::new(&source).map_err(serde::de::Error::custom)
    }
}
