//! [`SearchPattern`]: a Python regular expression searched in a text ignoring case, as
//! RoboEval's simulator and checks use every name and pattern (`re.search(p, text,
//! re.IGNORECASE)`). Patterns may use look-around (`^(?=.*a)(?=.*b).*$`), so they compile with
//! `fancy-regex`.

use std::{fmt, sync::Arc};

use fancy_regex::{Regex, RegexBuilder};
use serde::{Deserialize, Deserializer};

/// A compiled Python pattern and its source; cloning shares the compiled form.
#[derive(Clone)]
pub struct SearchPattern {
    source: String,
    /// Shared: a compiled look-around regex is large, and worlds and checks are cloned per run.
    regex: Arc<Regex>,
}

impl SearchPattern {
    /// # Errors
    /// When `source` is not a regular expression `fancy-regex` understands.
    pub fn new(source: &str) -> Result<Self, Box<fancy_regex::Error>> {
        let regex = RegexBuilder::new(source).case_insensitive(true).build()?;
        Ok(Self { source: source.to_owned(), regex: Arc::new(regex) })
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
