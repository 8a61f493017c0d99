//! [`SearchPattern`]: a Python regular expression searched in a text ignoring case, as
//! RoboEval's simulator and checks use every name and pattern (`re.search(p, text,
//! re.IGNORECASE)`). Patterns may use look-around (`^(?=.*a)(?=.*b).*$`), so they compile with
//! `fancy-regex`.
//!
//! Every pattern carries a [`PatternCost`], an estimate of the work to compile it and to
//! search with it, computed from its parse tree (counted repetitions unrolled, as the matcher
//! unrolls them; a look-around that is not anchored at the start searched again from every
//! position). Work done for a program is charged by these estimates, never by the clock, so
//! the same program costs the same everywhere (see [`Work`]). Patterns made from what a
//! program supplied ([`SearchPattern::untrusted`]) are bounded in size, never shared between
//! runs, and compiled with small matcher limits.

use std::{
    collections::HashMap,
    fmt,
    sync::{Arc, LazyLock, Mutex, OnceLock},
};

use fancy_regex::{Expr, Regex, RegexBuilder};
use serde::{Deserialize, Deserializer};

use crate::work::Work;

/// A compiled Python pattern and its source; cloning shares the compiled form.
#[derive(Clone)]
pub struct SearchPattern {
    source: String,
    /// Shared: a compiled look-around regex is large, and worlds and checks are cloned per run.
    /// Compiled when the pattern is made, except a plain word from a program's text (see
    /// `plain_search`), compiled only if a text needs the matcher.
    regex: Arc<OnceLock<Result<Regex, String>>>,
    cost: PatternCost,
    /// Made from a program's text, and an ASCII word with no character `re` treats specially.
    plain: bool,
    /// Made from a program's text (see [`PatternCost::search_untrusted`]).
    untrusted: bool,
}

/// What a pattern costs, in work units (see [`Work`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatternCost {
    /// The pattern's size once counted repetitions are unrolled (`x{200}` is 200 `x`).
    pub size: u64,
    /// It needs the backtracking matcher (a look-around, a back reference, an atomic group, a
    /// condition), which may scan the rest of the text at each step.
    pub backtracks: bool,
    /// Such a construct is tried from every position of the text (the pattern is not anchored
    /// at the start).
    pub anywhere: bool,
    /// Such a construct sits inside a repetition, or after one it can backtrack into: it may
    /// be tried again at every position.
    pub retried: bool,
    /// Code points the classes of the pattern span: each is folded to its other cases when
    /// the pattern is compiled to ignore case (`[\s\S]`, 1.1 M of them, takes milliseconds).
    pub folded: u64,
    /// Parts of a backtracking pattern that may each become a matcher of their own: beside a
    /// backtracking construct, every literal, `.` and class is handed to the `regex` crate
    /// separately, and each such matcher takes about 0.1 ms and 14 KiB to build (a large
    /// Unicode class up to 0.5 ms and 66 KiB, paid by its size). 0 for other patterns.
    pub delegates: u64,
}

impl PatternCost {
    /// Units to compile the pattern: building the matcher has a fixed cost (about a
    /// millisecond here) and one per unit of size.
    #[must_use]
    pub const fn compile(self) -> u64 {
        COMPILE_UNITS
            .saturating_add(self.size.saturating_mul(COMPILE_UNITS_PER_SIZE))
            .saturating_add(self.folded.saturating_mul(FOLD_UNITS_PER_POINT))
            .saturating_add(self.delegates.saturating_mul(DELEGATE_UNITS))
    }

    /// Units of one search in a text of `len` bytes: a step per byte and unit of size (a
    /// matcher that cannot use its automaton steps through every state of the pattern at
    /// every byte); for a backtracking construct, as many again for each position it may be
    /// tried at, and each it may be tried from.
    #[must_use]
    pub fn search(self, len: usize) -> u64 {
        let n = len as u64 + 1;
        let mut units = n.saturating_mul(self.size.max(1)).saturating_mul(SEARCH_UNITS_PER_STEP);
        if self.backtracks && self.retried {
            units = units.saturating_mul(n);
        }
        if self.backtracks && self.anywhere {
            units = units.saturating_mul(n);
        }
        units.saturating_add(SEARCH_UNITS)
    }

    /// [`search`](Self::search) for a pattern a program supplied: a backtracking construct is
    /// taken as tried at every position whatever its place, and up to the matcher's
    /// backtracking limit again.
    #[must_use]
    pub fn search_untrusted(self, len: usize) -> u64 {
        if !self.backtracks {
            return self.search(len);
        }
        let n = len as u64 + 1;
        let tries = n.saturating_add(UNTRUSTED_BACKTRACKS as u64);
        let worst = Self { retried: false, ..self };
        worst.search(len).saturating_mul(tries)
    }
}

/// Units charged to compile a pattern, and per unit of its size (measured here: a literal
/// about 0.5 ms, `\w{20}` 10 ms).
const COMPILE_UNITS: u64 = 1_000_000;
const COMPILE_UNITS_PER_SIZE: u64 = 1_000;
/// Units per code point a class spans, folded to ignore case (measured here: up to about
/// 13 ns each).
const FOLD_UNITS_PER_POINT: u64 = 16;
/// Units per part of a backtracking pattern built as a matcher of its own (measured here: `.`
/// about 90-130 µs and 14 KiB, `[a-z]` 65-95 µs; with its size, `\w` is charged 0.85 ms for
/// its 0.33-0.46 ms and 66 KiB). So the fuel of a run bounds what its patterns hold too: 1 G
/// units builds at most some 100 MB of them.
const DELEGATE_UNITS: u64 = 150_000;
/// Units per search, and per byte and unit of size (measured here: about 0.7 µs a search, and
/// at most about 7 ns a byte and unit of size, for a pattern whose word boundaries keep it off
/// the automaton).
const SEARCH_UNITS: u64 = 1_000;
const SEARCH_UNITS_PER_STEP: u64 = 6;
/// The largest pattern made from a program's text (after unrolling): beyond it, compiling
/// alone would cost more than a run may spend on it.
pub const MAX_UNTRUSTED_SIZE: u64 = 20_000;

type Compiled = Arc<OnceLock<Result<Regex, String>>>;

/// Compiled patterns by source, for patterns of task files and worlds (never for what a
/// program supplied): RoboEval's states repeat the same names, and compiling costs far more
/// than searching. Bounded by the estimated size of what it holds. A cache hit changes
/// nothing but time: work is charged by [`PatternCost`], whether or not a pattern was
/// compiled before.
static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(|| Mutex::new(Cache::default()));
/// Estimated size (see [`PatternCost::size`]) the cache may hold, over all its patterns.
const CACHE_SIZE: u64 = 1 << 20;
const CACHE_SOURCE_BYTES: usize = 1 << 10;

#[derive(Default)]
struct Cache {
    patterns: HashMap<String, (Compiled, PatternCost)>,
    size: u64,
}

/// Why a pattern a program supplied cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// Not a regular expression the matcher understands (Python would raise `re.error`).
    #[error("not a valid pattern: {0}")]
    Invalid(String),
    /// Searching with it would cost more work than the run has left.
    #[error("the pattern's work is over the run's allowance")]
    OverBudget,
}

/// The characters Python's `re` gives a meaning (outside them a pattern matches itself).
const SPECIAL: &[u8] = b".^$*+?{}[]\\|()";

impl SearchPattern {
    /// A pattern from a task file or a world's definition (trusted: compiled once per process).
    ///
    /// # Errors
    /// When `source` is not a regular expression `fancy-regex` understands.
    pub fn new(source: &str) -> Result<Self, Box<fancy_regex::Error>> {
        let cacheable = source.len() <= CACHE_SOURCE_BYTES;
        if cacheable && let Some((regex, cost)) = CACHE.lock().ok().and_then(|c| c.patterns.get(source).cloned()) {
            return Ok(Self { source: source.to_owned(), regex, cost, plain: false, untrusted: false });
        }
        let cost = PatternCost::of(source)?;
        let regex = RegexBuilder::new(source).case_insensitive(true).build()?;
        let regex: Compiled = Arc::new(OnceLock::from(Ok(regex)));
        if cacheable
            && let Ok(mut cache) = CACHE.lock()
            && cache.size.saturating_add(cost.size) <= CACHE_SIZE
        {
            cache.size += cost.size;
            cache.patterns.insert(source.to_owned(), (Arc::clone(&regex), cost));
        }
        Ok(Self { source: source.to_owned(), regex, cost, plain: false, untrusted: false })
    }

    /// A pattern made from what a program supplied (a name it placed, which RoboEval's
    /// simulator searches with), its parsing and compiling charged to `work`: never cached,
    /// at most [`MAX_UNTRUSTED_SIZE`], compiled with small limits on the matcher's memory
    /// and backtracking (running past them is charged as the run's whole allowance). A plain
    /// word is not compiled until a text needs the matcher.
    ///
    /// # Errors
    /// [`PatternError::Invalid`] as Python's `re.error`; [`PatternError::OverBudget`] when
    /// `work` cannot pay for it (or it is larger than allowed).
    pub fn untrusted(source: &str, work: &mut Work) -> Result<Self, PatternError> {
        work.charge(source.len() as u64 + 1).map_err(|_| PatternError::OverBudget)?;
        let cost = PatternCost::of(source).map_err(|e| PatternError::Invalid(e.to_string()))?;
        if cost.size > MAX_UNTRUSTED_SIZE {
            work.exhaust();
            return Err(PatternError::OverBudget);
        }
        let plain = source.is_ascii() && !source.bytes().any(|b| SPECIAL.contains(&b));
        let pattern =
            Self { source: source.to_owned(), regex: Arc::new(OnceLock::new()), cost, plain, untrusted: true };
        if !plain {
            pattern.compiled(work)?;
        }
        Ok(pattern)
    }

    /// The compiled matcher, compiling it (charged to `work`) if it was not yet.
    fn compiled(&self, work: &mut Work) -> Result<&Regex, PatternError> {
        if self.regex.get().is_none() {
            work.charge(self.cost.compile()).map_err(|_| PatternError::OverBudget)?;
        }
        let compiled = self.regex.get_or_init(|| {
            RegexBuilder::new(&self.source)
                .case_insensitive(true)
                .backtrack_limit(UNTRUSTED_BACKTRACKS)
                .delegate_size_limit(1 << 20)
                .delegate_dfa_size_limit(256 << 10)
                .build()
                .map_err(|e| e.to_string())
        });
        compiled.as_ref().map_err(|e| PatternError::Invalid(e.clone()))
    }

    #[must_use]
    pub fn source(&self) -> &str {
        &self.source
    }

    #[must_use]
    pub const fn cost(&self) -> PatternCost {
        self.cost
    }

    /// Whether the pattern is found in `text` (uncharged: a search whose text is trusted or
    /// already bounded).
    ///
    /// # Errors
    /// When the matcher runs past its backtracking limit (where Python would raise), or the
    /// pattern did not compile.
    pub fn search(&self, text: &str) -> Result<bool, String> {
        if let Some(found) = self.plain_search(text) {
            return Ok(found);
        }
        let regex = self.regex.get_or_init(|| Err("not compiled".into())).as_ref()?;
        regex.is_match(text).map_err(|e| e.to_string())
    }

    /// A plain word searched in a plain text: `source` and `text` both ASCII and the pattern
    /// without any character `re` treats specially, where `re.search(p, t, re.IGNORECASE)`
    /// is a substring test ignoring ASCII case. (Outside ASCII Python's case folding has
    /// special cases, the Kelvin sign among them: those go to the matcher.)
    fn plain_search(&self, text: &str) -> Option<bool> {
        if !self.plain || !text.is_ascii() {
            return None;
        }
        // Two-way search (linear) over the lower-cased text.
        Some(text.to_ascii_lowercase().contains(&self.source.to_ascii_lowercase()))
    }

    /// [`search`](Self::search), its work charged to `work` first.
    ///
    /// # Errors
    /// [`PatternError::OverBudget`] when `work` cannot pay for it, or the matcher ran past
    /// its backtracking limit (a search that would run on, as Python's would);
    /// [`PatternError::Invalid`] for a pattern that does not compile.
    pub fn search_charged(&self, text: &str, work: &mut Work) -> Result<bool, PatternError> {
        if self.plain && text.is_ascii() {
            let units = (text.len() as u64 + self.source.len() as u64).saturating_mul(2).saturating_add(64);
            work.charge(units).map_err(|_| PatternError::OverBudget)?;
        }
        if let Some(found) = self.plain_search(text) {
            return Ok(found);
        }
        let regex = self.compiled(work)?;
        let units = if self.untrusted { self.cost.search_untrusted(text.len()) } else { self.cost.search(text.len()) };
        work.charge(units).map_err(|_| PatternError::OverBudget)?;
        regex.is_match(text).map_err(|_| {
            work.exhaust();
            PatternError::OverBudget
        })
    }
}

/// Backtracks a pattern made from a program's text may take in one search.
const UNTRUSTED_BACKTRACKS: usize = 10_000;

impl PatternCost {
    /// The cost of `source`, from its parse tree.
    ///
    /// # Errors
    /// When `source` does not parse.
    pub fn of(source: &str) -> Result<Self, Box<fancy_regex::Error>> {
        let tree = Expr::parse_tree(source).map_err(Box::new)?;
        let shape = shape(&tree.expr);
        Ok(Self {
            size: shape.size,
            backtracks: shape.fancy,
            anywhere: shape.fancy && !anchored(&tree.expr),
            retried: shape.retried,
            folded: shape.folded,
            delegates: if shape.fancy { shape.leaves } else { 0 },
        })
    }
}

/// Whether `expr` can only match at the start of the text (`^…`, as Python's `re` reads it
/// without MULTILINE).
fn anchored(expr: &Expr) -> bool {
    match expr {
        Expr::Assertion(fancy_regex::Assertion::StartText) => true,
        Expr::Concat(items) => items.first().is_some_and(anchored),
        Expr::Group(inner) => anchored(inner),
        Expr::Alt(items) => !items.is_empty() && items.iter().all(anchored),
        _ => false,
    }
}

/// What [`PatternCost`] needs of a parse tree.
#[derive(Clone, Copy, Default)]
struct Shape {
    /// Unrolled size.
    size: u64,
    /// Needs the backtracking matcher.
    fancy: bool,
    /// A backtracking construct inside or after a repetition.
    retried: bool,
    /// Contains a repetition.
    repeats: bool,
    /// Code points its classes span.
    folded: u64,
    /// Literals, `.` and classes in it (each may be a matcher of its own).
    leaves: u64,
}

fn shape(expr: &Expr) -> Shape {
    let one = |fancy| Shape { size: 1, fancy, ..Shape::default() };
    match expr {
        Expr::Literal { val, .. } => Shape { size: val.len().max(1) as u64, leaves: 1, ..Shape::default() },
        Expr::Concat(items) | Expr::Alt(items) => {
            let sequence = matches!(expr, Expr::Concat(_));
            let mut all = Shape { size: 1, ..Shape::default() };
            for item in items {
                let part = shape(item);
                // In a sequence, a backtracking part after a repetition is retried as the
                // repetition gives back what it took.
                all.retried |= part.retried || (sequence && part.fancy && all.repeats);
                all.size = all.size.saturating_add(part.size);
                all.fancy |= part.fancy;
                all.repeats |= part.repeats;
                all.folded = all.folded.saturating_add(part.folded);
                all.leaves = all.leaves.saturating_add(part.leaves);
            }
            all
        }
        Expr::Group(inner) => shape(inner),
        // Once it has matched, a look-around or atomic group is not backtracked into: what
        // repeats inside it is not retried from outside.
        Expr::LookAround(inner, _) | Expr::AtomicGroup(inner) => {
            let part = shape(inner);
            Shape { size: part.size.saturating_add(1), fancy: true, retried: part.retried, repeats: false, ..part }
        }
        Expr::Repeat { child, lo, hi, .. } => {
            let part = shape(child);
            let copies = if *hi == usize::MAX { (*lo).max(1) } else { (*hi).max(1) };
            Shape {
                size: part.size.saturating_mul(copies as u64).saturating_add(1),
                fancy: part.fancy,
                retried: part.retried || (part.fancy && *hi > 1),
                repeats: part.repeats || *hi != *lo,
                ..part
            }
        }
        Expr::Delegate { inner, .. } => {
            let (size, variable, folded) = delegate_size(inner);
            Shape { size, repeats: variable, folded, leaves: 1, ..Shape::default() }
        }
        Expr::Conditional { condition, true_branch, false_branch } => {
            let parts = [condition, true_branch, false_branch].map(|e| shape(e));
            let size = parts.iter().map(|p| p.size).fold(1, u64::saturating_add);
            let folded = parts.iter().map(|p| p.folded).fold(0, u64::saturating_add);
            let leaves = parts.iter().map(|p| p.leaves).fold(0, u64::saturating_add);
            Shape { size, fancy: true, retried: true, repeats: true, folded, leaves }
        }
        Expr::Backref { .. }
        | Expr::BackrefWithRelativeRecursionLevel { .. }
        | Expr::BackrefExistsCondition(_)
        | Expr::SubroutineCall(_)
        | Expr::UnresolvedNamedSubroutineCall { .. }
        | Expr::KeepOut
        | Expr::ContinueFromPreviousMatchEnd => Shape { retried: true, ..one(true) },
        Expr::Any { .. } => Shape { leaves: 1, ..one(false) },
        Expr::Empty | Expr::Assertion(_) => one(false),
    }
}

/// The size of a part `fancy-regex` hands to the `regex` crate (a class such as `\w` or
/// `[a-z]`): its ranges, as the compiled automaton has a transition per range.
/// Also whether it matches texts of different lengths (it can give some back), and the code
/// points its classes span. Parsed as written, not folded to ignore case: folding a large
/// class is the expensive part of compiling, and it is what is being priced.
fn delegate_size(inner: &str) -> (u64, bool, u64) {
    let hir = regex_syntax::ParserBuilder::new().build().parse(inner);
    hir.map_or((inner.len() as u64, true, 0), |hir| {
        let properties = hir.properties();
        (hir_size(&hir), properties.minimum_len() != properties.maximum_len(), class_points(&hir))
    })
}

fn class_points(hir: &regex_syntax::hir::Hir) -> u64 {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Class(Class::Unicode(class)) => {
            class.ranges().iter().map(|r| u64::from(r.end()) - u64::from(r.start()) + 1).fold(0, u64::saturating_add)
        }
        HirKind::Class(Class::Bytes(class)) => class.ranges().len() as u64,
        HirKind::Repetition(repetition) => class_points(&repetition.sub),
        HirKind::Capture(capture) => class_points(&capture.sub),
        HirKind::Concat(items) | HirKind::Alternation(items) => {
            items.iter().map(class_points).fold(0, u64::saturating_add)
        }
        _ => 0,
    }
}

fn hir_size(hir: &regex_syntax::hir::Hir) -> u64 {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => 1,
        HirKind::Literal(literal) => literal.0.len().max(1) as u64,
        HirKind::Class(Class::Unicode(class)) => class.ranges().len().max(1) as u64,
        HirKind::Class(Class::Bytes(class)) => class.ranges().len().max(1) as u64,
        HirKind::Repetition(repetition) => {
            let copies = repetition.max.unwrap_or(repetition.min).max(1);
            hir_size(&repetition.sub).saturating_mul(u64::from(copies))
        }
        HirKind::Capture(capture) => hir_size(&capture.sub),
        HirKind::Concat(items) | HirKind::Alternation(items) => items.iter().map(hir_size).fold(1, u64::saturating_add),
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

impl Eq for SearchPattern {}

impl std::hash::Hash for SearchPattern {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.source.hash(state);
    }
}

impl<'de> Deserialize<'de> for SearchPattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let source = String::deserialize(d)?;
        Self::new(&source).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::{PatternCost, PatternError, SearchPattern};
    use crate::work::Work;

    fn cost(source: &str) -> PatternCost {
        PatternCost::of(source).unwrap()
    }

    #[test]
    fn sizes_unroll_counted_repetitions_and_look_arounds_rescan_unless_anchored() {
        assert!(cost("kitchen").size < 16);
        assert!(!cost("kitchen").backtracks);
        assert!(cost("[a-z]{900}").size >= 900);
        assert!(cost("\\w{200}").size > cost("[a-z]{200}").size, "a Unicode class has many ranges");
        assert!(cost("(?=.*zzz)drink").anywhere);
        let contain_words = cost("^(?=.*a)(?=.*b).*$");
        assert!(!contain_words.anywhere && !contain_words.retried, "anchored and first: tried once");
        assert!(cost("(a)\\1").retried);
        // Anchored, but a look-ahead in a repetition is retried at every position.
        assert!(cost("^(?:.(?=.*z))*(?:stapler)?").retried);
        assert!(cost("^.*(?=.*z)x").retried, "after a repetition it can backtrack into");
        // Folding a class that spans every code point costs milliseconds to compile.
        assert!(cost("[\\s\\S]").compile() > 10 * cost("[a-z]").compile());
        // Beside a look-around each `.` is built as a matcher of its own: 19,000 of them take
        // seconds, where the same alternation without it is one small automaton.
        let dots = vec!["."; 19_000].join("|");
        assert!(cost(&format!("(?=a)|{dots}")).delegates >= 19_000);
        assert!(cost(&format!("(?=a)|{dots}")).compile() > 1_000_000_000, "past a state's fuel");
        assert_eq!(cost(&dots).delegates, 0);
        let long = 50_000;
        assert!(cost("(?=.*zzz)drink").search(long) > 1_000 * cost("kitchen").search(long));
    }

    #[test]
    fn untrusted_patterns_are_charged_and_bounded() {
        let mut work = Work::new(1_000_000);
        let apple = SearchPattern::untrusted("apple", &mut work).unwrap();
        let after_compile = work.used();
        assert!(after_compile > 0);
        assert!(apple.search_charged("an apple", &mut work).unwrap());
        assert!(work.used() > after_compile);
        assert!(SearchPattern::untrusted("(", &mut work).unwrap_err().to_string().starts_with("not a valid"));
        // Too large once unrolled: the allowance is spent, whatever was left.
        assert_eq!(
            SearchPattern::untrusted("[a-z]{100000}", &mut Work::new(u64::MAX)).unwrap_err(),
            PatternError::OverBudget
        );
        // A quadratic search on a long text is refused before it runs.
        let mut work = Work::new(1_000_000_000);
        let bomb = SearchPattern::untrusted("(?=.*zzz)drink", &mut work).unwrap();
        assert_eq!(bomb.search_charged(&"a".repeat(50_000), &mut work), Err(PatternError::OverBudget));
        assert!(work.exceeded());
    }
}
