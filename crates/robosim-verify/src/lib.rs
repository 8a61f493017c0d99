//! robosim's verifier: runs a robot program over the worlds its choices open and decides
//! whether it is fit for training data.
//!
//! Every place where the synthesised world decides something (is the apple here? which
//! option does Bob pick? is there a kitchen?) is a choice point. The [`Verifier`] explores
//! the tree of choices by replay, spending its paths where they show something new (program
//! sites taking sides they never took, new robot calls, new counts; [`Strategy::Coverage`])
//! until the tree is exhausted, the search saturates or a bound ends it, and rejects the
//! program on the first path that fails; the [`Verdict`] says how many paths ran and why
//! the search [`Stopped`]. Plain depth-first search and a seeded random mode (the reference
//! checker's sampling) remain. Verification in worker processes is `robosim-backend`'s.
//!
//! ```
//! use robosim_verify::{Verifier, VerifyConfig};
//!
//! let verifier = Verifier::new(VerifyConfig::default())?;
//! // Picking without checking is fine; picking what was seen to be absent is not.
//! let verdict = verifier.verify("def task_program():\n    if not is_in_room('pen'):\n        pick('pen')\n");
//! assert!(!verdict.accepted());
//! let failure = verdict.failure().unwrap();
//! assert_eq!((failure.class.as_str(), failure.line), ("RobotPickError", Some(3)));
//! // The failing path replays exactly.
//! let again = verifier.replay("def task_program():\n    if not is_in_room('pen'):\n        pick('pen')\n", &failure.choices);
//! assert_eq!(again.outcome, failure.outcome);
//! # Ok::<(), robosim_sandbox::Error>(())
//! ```

#![forbid(unsafe_code)]

mod class;
mod explore;
mod guided;
mod settings;
mod verdict;

pub use class::{CountedClass, ErrorClass};
pub use explore::{DEFAULT_PATIENCE, Strategy, Verifier, Verify, VerifyConfig};
pub use settings::{DEFAULT_RANDOM_RUNS, Search, VerifyOverrides};
pub use verdict::{
    Decision, Failure, RECORD_CHOICES, RECORD_EVENTS, RECORD_VALUE_BYTES, RECORD_VALUE_ITEMS, SearchEnd, Stopped,
    Verdict, reference_class,
};
