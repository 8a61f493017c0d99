//! Choice points: every place where the synthesised world decides something.
//!
//! The world asks a [`Chooser`] and records each decision as a [`ChoiceRecord`], so that a
//! run can be replayed exactly (its list of chosen alternatives) and its siblings explored.

use robosim_protocol::Site;
use serde::{Deserialize, Serialize};

/// What the world is deciding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "choice", rename_all = "snake_case")]
pub enum ChoicePoint {
    /// Is `entity` in `room`? Alternatives: `[true, false]`.
    IsInRoom { entity: String, room: String },
    /// Which option does `person` answer? Alternatives: the options, in order.
    Answer { person: String, options: Vec<String> },
    /// Is there a room called `name`? Alternatives: `[true, false]`.
    RoomExists { name: String },
    /// Does the location name `name` contain `text`? Alternatives: `[true, false]`.
    NameContains { name: String, text: String },
}

/// One decision: which of `alternatives` was taken at `point`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoiceRecord {
    #[serde(flatten)]
    pub point: ChoicePoint,
    pub alternatives: u32,
    pub chosen: u32,
    /// Where in the program the call that made the world decide was, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<Site>,
}

impl ChoiceRecord {
    /// A copy for a record of bounded size: names longer than `max_bytes` and option lists
    /// longer than `max_items` are cut visibly (see [`robosim_protocol::truncate_text`]).
    #[must_use]
    pub fn truncated(&self, max_bytes: usize, max_items: usize) -> Self {
        let text = |s: &str| robosim_protocol::truncate_text(s, max_bytes);
        let point = match &self.point {
            ChoicePoint::IsInRoom { entity, room } => ChoicePoint::IsInRoom { entity: text(entity), room: text(room) },
            ChoicePoint::Answer { person, options } => {
                let options =
                    robosim_protocol::truncate_items(options, max_items, |o| text(o), |n| format!("…[+{n} options]"));
                ChoicePoint::Answer { person: text(person), options }
            }
            ChoicePoint::RoomExists { name } => ChoicePoint::RoomExists { name: text(name) },
            ChoicePoint::NameContains { name, text: t } => {
                ChoicePoint::NameContains { name: text(name), text: text(t) }
            }
        };
        Self { point, alternatives: self.alternatives, chosen: self.chosen, site: self.site }
    }
}

/// Decides choice points.
pub trait Chooser: Send {
    /// Returns an index below `alternatives` (which is at least 1). `site` is where in the
    /// program the call that asks is made ([`Site::default`] when unknown).
    fn choose(&mut self, point: &ChoicePoint, site: Site, alternatives: u32) -> u32;
}

/// Follows a forced prefix of choices, then decides as `then` says. With an empty prefix
/// and [`Then::First`] it always takes the first alternative.
#[derive(Debug, Clone)]
pub struct Replay {
    forced: Vec<u32>,
    next: usize,
    then: Then,
}

/// What a [`Replay`] does once its prefix is used up.
#[derive(Debug, Clone)]
pub enum Then {
    /// Take the first alternative.
    First,
    /// Take a uniformly random alternative (seeded, so reproducible).
    Random(fastrand::Rng),
    /// Take the first alternative until `depth` choices have been made in all, then random
    /// ones: a depth-bounded systematic search that still ends loops like
    /// `while not is_in_room(x)`, whose all-`False` path is infinite.
    FirstUpTo { depth: usize, rng: fastrand::Rng },
}

impl Replay {
    #[must_use]
    pub const fn new(forced: Vec<u32>, then: Then) -> Self {
        Self { forced, next: 0, then }
    }

    /// Random choices from the start, as the reference checker makes them.
    #[must_use]
    pub fn random(seed: u64) -> Self {
        Self::new(Vec::new(), Then::Random(fastrand::Rng::with_seed(seed)))
    }
}

impl Chooser for Replay {
    fn choose(&mut self, _point: &ChoicePoint, _site: Site, alternatives: u32) -> u32 {
        let forced = self.forced.get(self.next).copied();
        self.next += 1;
        match (forced, &mut self.then) {
            // A forced index beyond the alternatives (a replay of a different program) is
            // clamped rather than trusted.
            (Some(index), _) => index.min(alternatives - 1),
            (None, Then::First) => 0,
            (None, Then::Random(rng)) => rng.u32(..alternatives),
            (None, Then::FirstUpTo { depth, .. }) if self.next <= *depth => 0,
            (None, Then::FirstUpTo { rng, .. }) => rng.u32(..alternatives),
        }
    }
}
