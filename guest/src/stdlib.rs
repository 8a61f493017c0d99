//! The curated pure-Python standard library, embedded at build time.

include!(concat!(env!("OUT_DIR"), "/stdlib.rs"));

/// The embedded source of a standard-library module: (is a package, source).
pub(crate) fn source(name: &str) -> Option<(bool, &'static str)> {
    MODULES.iter().find(|(n, _, _)| *n == name).map(|&(_, package, source)| (package, source))
}
