//! The coverage-guided search: spends paths where they find something new.
//!
//! Paths are still whole runs replayed from a forced prefix, and every path is a leaf of the
//! same tree of choices the depth-first search walks; what changes is the order and the
//! stop. After the first path (the first alternative everywhere) a *mirror* path takes the
//! last alternative everywhere, so "nothing is found anywhere" and "everyone says no" are
//! seen on the second run, not the 1,024th. Then the search takes the best-ranked untried
//! alternative of any path run so far: one its program site has never taken (its other side
//! is unseen) first, then one beside a path that showed something new, beside a later path,
//! shallower (see [`Tree::next`]). Each path's *features* (robot calls at each
//! program site with their outcome kind, the transitions between them, how many times each
//! site took each alternative, the outcome) are added to what the search has seen; when
//! `patience` paths in a row add nothing, the search is saturated and stops.

use std::{
    cmp::Reverse,
    collections::BinaryHeap,
    hash::{BuildHasher, Hash},
    sync::Arc,
};

// Filled on every path and never iterated where order matters: a fast hasher, not SipHash.
use foldhash::{HashMap, HashMapExt, HashSet, quality::FixedState};

use robosim_protocol::Site;
use robosim_sandbox::{CallResult, RunReport, TraceEvent};
use robosim_world::{ChoicePoint, ChoiceRecord, Chooser};

/// A (site, kind of choice, alternative) key: has this place in the program ever taken this
/// alternative?
pub(crate) type SideKey = (Site, u8, u32);

/// The side key of a decision.
pub(crate) fn side(site: Site, point: &ChoicePoint, alternative: u32) -> SideKey {
    (site, kind(point), alternative)
}

const fn kind(point: &ChoicePoint) -> u8 {
    match point {
        ChoicePoint::IsInRoom { .. } => 0,
        ChoicePoint::Answer { .. } => 1,
        ChoicePoint::RoomExists { .. } => 2,
        ChoicePoint::NameContains { .. } => 3,
    }
}

/// How a [`Guided`] chooser decides beyond its forced prefix.
#[derive(Debug, Clone)]
pub(crate) enum Prefer {
    /// The last alternative (the mirror path).
    Last,
    /// An alternative this site has never taken on an earlier path, else the first.
    Unseen(Arc<HashSet<SideKey>>),
}

/// Follows a forced prefix, then decides as [`Prefer`] says up to `depth` choices, then at
/// random (seeded), as `Then::FirstUpTo` does for the depth-first search.
#[derive(Debug)]
pub(crate) struct Guided {
    forced: Vec<u32>,
    next: usize,
    depth: usize,
    prefer: Prefer,
    rng: fastrand::Rng,
}

impl Guided {
    pub(crate) const fn new(forced: Vec<u32>, depth: usize, prefer: Prefer, rng: fastrand::Rng) -> Self {
        Self { forced, next: 0, depth, prefer, rng }
    }
}

impl Chooser for Guided {
    fn choose(&mut self, point: &ChoicePoint, site: Site, alternatives: u32) -> u32 {
        let forced = self.forced.get(self.next).copied();
        self.next += 1;
        if let Some(index) = forced {
            return index.min(alternatives - 1);
        }
        if self.next > self.depth {
            return self.rng.u32(..alternatives);
        }
        match &self.prefer {
            Prefer::Last => alternatives - 1,
            Prefer::Unseen(seen) => (0..alternatives).find(|&a| !seen.contains(&side(site, point, a))).unwrap_or(0),
        }
    }
}

/// The explored part of the tree of choices: a node per choice point reached, a child per
/// alternative tried. Exact, because a run is a function of its choices.
#[derive(Debug, Default)]
pub(crate) struct Tree {
    nodes: Vec<Node>,
    /// Untried alternatives, best first (entries already tried are skipped when popped).
    frontier: BinaryHeap<(Rank, usize, u32)>,
}

/// How promising an untried alternative is; compared field by field, greater first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Rank {
    unseen: bool,
    novel: bool,
    generation: usize,
    shallow: Reverse<usize>,
}

#[derive(Debug)]
struct Node {
    /// What each alternative led to: `None` untried, `Some(LEAF)` a path ended, else a node.
    children: Vec<Option<usize>>,
    /// The node above and the alternative that led here (`None` for the root).
    parent: Option<(usize, u32)>,
    site: Site,
    kind: u8,
}

const LEAF: usize = usize::MAX;

impl Tree {
    /// Adds a path (its decisions, at most `max_depth` of them); returns the nodes it went
    /// through, in order.
    pub(crate) fn insert(&mut self, choices: &[ChoiceRecord], max_depth: usize) -> Vec<usize> {
        let choices = &choices[..choices.len().min(max_depth)];
        let mut path = Vec::with_capacity(choices.len());
        let mut at = if choices.is_empty() { None } else { Some(self.root(&choices[0])) };
        for (i, choice) in choices.iter().enumerate() {
            let Some(node) = at else { break };
            path.push(node);
            let slot = choice.chosen as usize;
            let next = match (choices.get(i + 1), self.nodes[node].children.get(slot).copied().flatten()) {
                (None, _) => LEAF,
                (Some(_), Some(child)) if child != LEAF => child,
                (Some(next), _) => self.push(next, Some((node, choice.chosen))),
            };
            if let Some(child) = self.nodes[node].children.get_mut(slot) {
                *child = Some(next);
            }
            at = (next != LEAF).then_some(next);
        }
        path
    }

    fn root(&mut self, first: &ChoiceRecord) -> usize {
        if self.nodes.is_empty() {
            self.push(first, None);
        }
        0
    }

    fn push(&mut self, choice: &ChoiceRecord, parent: Option<(usize, u32)>) -> usize {
        self.nodes.push(Node {
            children: vec![None; choice.alternatives as usize],
            parent,
            site: choice.site.unwrap_or_default(),
            kind: kind(&choice.point),
        });
        self.nodes.len() - 1
    }

    /// Offers the untried alternatives along a finished path (its nodes, as
    /// [`insert`](Self::insert) returned them) as candidates for later paths. `novel`: the
    /// path showed something new, so its neighbours come first; `generation`: later paths'
    /// neighbours before earlier ones'.
    pub(crate) fn offer(&mut self, nodes: &[usize], novel: bool, generation: usize, seen: &HashSet<SideKey>) {
        for (depth, &node) in nodes.iter().enumerate() {
            let n = &self.nodes[node];
            for (alternative, child) in n.children.iter().enumerate() {
                if child.is_none() {
                    let alternative = alternative as u32;
                    let unseen = !seen.contains(&(n.site, n.kind, alternative));
                    let rank = Rank { unseen, novel, generation, shallow: Reverse(depth) };
                    self.frontier.push((rank, node, alternative));
                }
            }
        }
    }

    /// Is any alternative (within the depth bound) still untried?
    pub(crate) fn has_untried(&self) -> bool {
        self.nodes.iter().any(|n| n.children.contains(&None))
    }

    /// The next prefix to force: the best-ranked untried alternative (a side its program site
    /// has never taken; next to a path that showed something new; next to a later path; the
    /// shallowest), or `None` when every alternative (within the depth bound) was tried.
    pub(crate) fn next(&mut self, seen: &HashSet<SideKey>) -> Option<Vec<u32>> {
        while let Some((rank, node, alternative)) = self.frontier.pop() {
            let n = &self.nodes[node];
            if n.children[alternative as usize].is_some() {
                continue;
            }
            if rank.unseen && seen.contains(&(n.site, n.kind, alternative)) {
                // Seen since it was offered: ranked again as it now stands.
                self.frontier.push((Rank { unseen: false, ..rank }, node, alternative));
                continue;
            }
            return Some(self.prefix_to(node, alternative));
        }
        None
    }

    /// The choices from the root to `node`, then `alternative`.
    fn prefix_to(&self, node: usize, alternative: u32) -> Vec<u32> {
        let mut prefix = vec![alternative];
        let mut at = node;
        while let Some((parent, taken)) = self.nodes[at].parent {
            prefix.push(taken);
            at = parent;
        }
        prefix.reverse();
        prefix
    }
}

/// What the paths of one program have shown so far.
#[derive(Debug, Default)]
pub(crate) struct Coverage {
    features: HashSet<u64>,
    /// Sides taken on finished paths (what [`Prefer::Unseen`] avoids repeating).
    pub(crate) seen: Arc<HashSet<SideKey>>,
}

impl Coverage {
    /// Adds a finished path's features; returns how many were new.
    pub(crate) fn add(&mut self, report: &RunReport, choices: &[ChoiceRecord]) -> usize {
        let before = self.features.len();
        let mut previous: Option<u64> = None;
        for (event, site) in
            report.trace.iter().zip(report.call_sites.iter().chain(std::iter::repeat(&Site::default())))
        {
            let call = feature(&(0u8, site, event.function.name(), outcome_kind(event)));
            self.features.insert(call);
            self.features.insert(feature(&(1u8, previous, site, event.function.name())));
            previous = Some(call);
        }
        // How many times each site took each alternative on this path (exact up to 8, then
        // by powers of two): a program that counts what it found is steered by these.
        let mut counts: HashMap<SideKey, u32> = HashMap::new();
        let seen = Arc::make_mut(&mut self.seen);
        for choice in choices {
            let site = choice.site.unwrap_or_default();
            // Alternatives not taken count too (zero times), up to a bound on options.
            for a in 0..choice.alternatives.min(MAX_COUNTED_ALTERNATIVES) {
                counts.entry(side(site, &choice.point, a)).or_default();
            }
            *counts.entry(side(site, &choice.point, choice.chosen)).or_default() += 1;
            seen.insert(side(site, &choice.point, choice.chosen));
        }
        for (key, count) in counts {
            self.features.insert(feature(&(2u8, key, bucket(count))));
        }
        self.features.insert(feature(&(3u8, report.outcome.kind(), report.outcome.line())));
        self.features.len() - before
    }
}

/// A feature's 64-bit fingerprint. Only compared for equality (a path's new features are
/// counted), so any fixed hash with few collisions gives the same search; foldhash's is several
/// times cheaper than SipHash (`DefaultHasher`), and a path hashes a few features per robot call.
fn feature(value: &impl Hash) -> u64 {
    FixedState::with_seed(FEATURE_SEED).hash_one(value)
}

/// The seed of [`feature`]: fixed, so a verdict never depends on the process.
const FEATURE_SEED: u64 = 0x726f_626f_7369_6d00;

/// A robot call's result, as coarse as a branch would see it: the truth of a boolean, the
/// option answered, the error raised; other values are all alike.
fn outcome_kind(event: &TraceEvent) -> u64 {
    match &event.result {
        CallResult::Returned(robosim_protocol::Value::Bool(b)) => u64::from(*b),
        CallResult::Returned(robosim_protocol::Value::Str(s))
            if event.function == robosim_protocol::RobotFunction::Ask =>
        {
            feature(s)
        }
        CallResult::Returned(_) => 2,
        CallResult::Raised(error) => feature(&error.split(':').next()),
    }
}

/// Options of an `ask` beyond this many are not counted when not taken.
const MAX_COUNTED_ALTERNATIVES: u32 = 16;

const fn bucket(count: u32) -> u32 {
    if count <= 8 { count } else { 8 + (32 - count.leading_zeros()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(line: u32, alternatives: u32, chosen: u32) -> ChoiceRecord {
        ChoiceRecord {
            point: ChoicePoint::RoomExists { name: format!("room {line}") },
            alternatives,
            chosen,
            site: Some(Site { line, column: 1 }),
        }
    }

    #[test]
    fn the_tree_offers_every_untried_alternative_once_then_is_done() {
        // Two binary choices at lines 1 and 2: four leaves.
        let mut tree = Tree::default();
        let seen = HashSet::default();
        let mut paths = vec![vec![0, 0]];
        let mut prefix = Vec::new();
        for generation in 1.. {
            let path: Vec<u32> = prefix.iter().copied().chain(std::iter::repeat(0)).take(2).collect();
            let choices = [decision(1, 2, path[0]), decision(2, 2, path[1])];
            let nodes = tree.insert(&choices, 40);
            tree.offer(&nodes, true, generation, &seen);
            let Some(next) = tree.next(&seen) else { break };
            paths.push(next.iter().copied().chain(std::iter::repeat(0)).take(2).collect());
            prefix = next;
        }
        paths.sort();
        paths.dedup();
        assert_eq!(paths, [[0, 0], [0, 1], [1, 0], [1, 1]]);
    }

    #[test]
    fn unseen_sides_come_first_and_shallow_before_deep() {
        let mut tree = Tree::default();
        let nodes = tree.insert(&[decision(1, 2, 0), decision(2, 2, 0), decision(3, 2, 0)], 40);
        // Line 2's other side was seen elsewhere; lines 1 and 3 never took theirs.
        let seen: HashSet<SideKey> = [(Site { line: 2, column: 1 }, 2, 1)].into_iter().collect();
        tree.offer(&nodes, true, 1, &seen);
        assert_eq!(tree.next(&seen), Some(vec![1]));
        assert_eq!(tree.next(&seen), Some(vec![0, 0, 1]));
        assert_eq!(tree.next(&seen), Some(vec![0, 1]));
        assert_eq!(tree.next(&seen), None);
    }

    #[test]
    fn counts_make_new_features_and_repeats_none() {
        let report = |n: usize| RunReport {
            outcome: robosim_sandbox::Outcome::Completed,
            trace: Vec::new(),
            stdout: String::new(),
            stdout_writes: Vec::new(),
            call_sites: Vec::new(),
            stderr: String::new(),
            fuel_used: n as u64,
            startup_fuel: 0,
            wall_time: std::time::Duration::ZERO,
            slept: 0.0,
        };
        let mut coverage = Coverage::default();
        assert!(coverage.add(&report(0), &[decision(1, 2, 0), decision(1, 2, 1)]) > 0);
        // The same counts in another order: nothing new.
        assert_eq!(coverage.add(&report(1), &[decision(1, 2, 1), decision(1, 2, 0)]), 0);
        // Twice the first alternative: a new count.
        assert!(coverage.add(&report(2), &[decision(1, 2, 0), decision(1, 2, 0)]) > 0);
    }
}
