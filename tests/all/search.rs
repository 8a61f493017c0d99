//! How the coverage search spends its paths and why it stops (`tests/fixtures/search/`):
//! failures hidden behind many choices are still found, a tree that only repeats itself is
//! left early, and every verdict says how its search ended.

use robosim::verify::{Stopped, Strategy, Verdict, Verifier, VerifyConfig};

use crate::SANDBOX;

fn source(name: &str) -> String {
    let path = crate::fixtures().join("search").join(format!("{name}.py"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn verify_with(name: &str, strategy: Strategy) -> Verdict {
    let config = VerifyConfig { strategy, ..VerifyConfig::default() };
    Verifier::with_sandbox(SANDBOX.clone(), config).verify(&source(name))
}

fn verify(name: &str) -> Verdict {
    verify_with(name, VerifyConfig::default().strategy)
}

const DEPTH_FIRST: Strategy = Strategy::Exhaustive { max_paths: 100, max_depth: 40 };

#[test]
fn the_default_is_the_coverage_search_with_the_usual_bounds() {
    assert_eq!(
        VerifyConfig::default().strategy,
        Strategy::Coverage { max_paths: 100, max_depth: 40, patience: robosim::verify::DEFAULT_PATIENCE }
    );
}

#[test]
fn failures_hidden_behind_many_choices_are_found() {
    // (fixture, line of the failing call): each fails on a few of 2^10 or more paths.
    for (name, line) in [
        ("all_true", 8),
        ("all_false", 8),
        ("exactly_five", 9),
        ("found_late", 9),
        ("trap_then_noise", 8),
        ("two_sites", 10),
    ] {
        let verdict = verify(name);
        let failure = verdict.failure().unwrap_or_else(|| panic!("{name}: accepted after {verdict:?}"));
        assert_eq!((failure.class.as_str(), failure.line), ("RobotPlaceError", Some(line)), "{name}");
        assert_eq!(verdict.stopped(), Stopped::Failed, "{name}");
        assert!(verdict.paths <= 12, "{name}: found only after {} paths", verdict.paths);
        // The failing path replays in a fresh instance.
        let verifier = Verifier::with_sandbox(SANDBOX.clone(), VerifyConfig::default());
        assert_eq!(verifier.replay(&source(name), &failure.choices).outcome, failure.outcome, "{name}");
    }
}

#[test]
fn depth_first_search_alone_misses_what_the_coverage_search_finds() {
    // The reason for the mirror path and for preferring unseen sides: the plain depth-first
    // search spends its 100 paths below the first choices and accepts these programs.
    for name in ["all_false", "trap_then_noise", "two_sites"] {
        let verdict = verify_with(name, DEPTH_FIRST);
        assert!(verdict.accepted(), "{name}");
        assert_eq!((verdict.paths, verdict.stopped()), (100, Stopped::Capped), "{name}");
    }
}

#[test]
fn a_small_tree_is_explored_to_the_end() {
    let verdict = verify("small_tree");
    assert!(verdict.accepted());
    assert_eq!((verdict.paths, verdict.stopped(), verdict.exhausted()), (12, Stopped::Exhausted, true));
    // The same tree as depth-first search, visited once per leaf.
    assert_eq!(verify_with("small_tree", DEPTH_FIRST).paths, 12);
}

#[test]
fn a_tree_that_only_repeats_itself_saturates_long_before_the_cap() {
    let verdict = verify("repetitive");
    assert!(verdict.accepted());
    assert_eq!(verdict.stopped(), Stopped::Saturated);
    assert!(!verdict.exhausted());
    assert!(verdict.paths < 40, "{} paths", verdict.paths);
    // Patience 0 never saturates: the path cap ends it.
    let patient = verify_with("repetitive", Strategy::Coverage { max_paths: 100, max_depth: 40, patience: 0 });
    assert_eq!((patient.paths, patient.stopped()), (100, Stopped::Capped));
    // More patience, more paths.
    let longer = verify_with("repetitive", Strategy::Coverage { max_paths: 100, max_depth: 40, patience: 30 });
    assert_eq!(longer.stopped(), Stopped::Saturated);
    assert!(longer.paths > verdict.paths);
}

#[test]
fn bounds_end_a_search_as_capped() {
    let capped = verify_with("repetitive", Strategy::Coverage { max_paths: 5, max_depth: 40, patience: 12 });
    assert_eq!((capped.paths, capped.stopped(), capped.accepted()), (5, Stopped::Capped, true));
    // A tree deeper than the depth bound is never called exhausted.
    let deep = verify_with("waiting_loop", Strategy::Coverage { max_paths: 100, max_depth: 3, patience: 0 });
    assert!(deep.accepted());
    assert_eq!(deep.stopped(), Stopped::Capped);
    assert!(!deep.exhausted());
}

#[test]
fn a_failure_no_coverage_signal_separates_is_not_claimed_explored() {
    // `pattern` fails on one ordering of ten sides; every other path covers the same lines,
    // calls and counts. The coverage search gives up on it, and says so: saturated, not
    // exhausted. Only trying the paths finds it (depth-first reaches it on path 683).
    let verdict = verify("pattern");
    assert!(verdict.accepted());
    assert_eq!((verdict.stopped(), verdict.exhausted()), (Stopped::Saturated, false));
    let exhaustive = verify_with("pattern", Strategy::Exhaustive { max_paths: 1024, max_depth: 40 });
    assert_eq!(exhaustive.failure().as_ref().map(|f| (f.class.as_str(), f.line)), Some(("RobotPlaceError", Some(8))));
    assert_eq!(exhaustive.paths, 683);
}

#[test]
fn the_search_is_deterministic_and_its_choices_record_their_program_site() {
    let (a, b) = (verify("two_sites"), verify("two_sites"));
    let strip = |v: &Verdict| (v.accepted(), v.paths, v.stopped(), v.fuel_used, v.failure().map(|f| f.choices.clone()));
    assert_eq!(strip(&a), strip(&b));
    let decisions = &a.failure().expect("rejected").decisions;
    let lines: Vec<u32> = decisions.iter().map(|d| d.site.expect("a site").line).collect();
    // cup (line 4), six noise checks (line 6), Alice's answer (line 8).
    assert_eq!(lines, [4, 6, 6, 6, 6, 6, 6, 8]);
}
