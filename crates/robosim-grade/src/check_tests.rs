//! Every operator of the checker language on a trace that satisfies it and one that violates it.

use robosim_protocol::{RobotFunction, Value};
use robosim_world::{ConcreteWorld, World, WorldSpec};

use crate::{Check, Run, Step};

fn ev(function: &str, args: &[&str], returned: Option<&str>, at: &str) -> Step {
    Step {
        function: RobotFunction::from_name(function).unwrap(),
        args: args.iter().map(|a| Value::from(*a)).collect(),
        returned: returned.map(Value::from),
        at: at.to_owned(),
    }
}

/// start → kitchen (pick apple) → office (ask Bo, say his answer, place apple).
fn trace() -> Vec<Step> {
    vec![
        ev("go_to", &["kitchen"], Some(""), "start"),
        ev("is_in_room", &["apple"], Some(""), "kitchen"),
        ev("pick", &["apple"], Some(""), "kitchen"),
        ev("go_to", &["office"], Some(""), "kitchen"),
        ev("ask", &["Bo", "Tea or coffee?", "['tea', 'coffee']"], Some("tea"), "office"),
        ev("say", &["Bo wants tea"], Some(""), "office"),
        ev("place", &["apple"], Some(""), "office"),
    ]
}

/// The world after that trace.
fn world() -> ConcreteWorld {
    let spec: WorldSpec = serde_json::from_str(
        r#"{"rooms": ["start", "kitchen", "office"], "objects": [{"name": "apple", "room": "kitchen"}],
            "people": [{"name": "Bo", "room": "office"}]}"#,
    )
    .unwrap();
    let mut w = ConcreteWorld::new(&spec).unwrap();
    w.go_to(&Value::from("kitchen")).unwrap();
    w.pick(&Value::from("apple")).unwrap();
    w.go_to(&Value::from("office")).unwrap();
    w.place(&Value::from("apple")).unwrap();
    w
}

fn holds(check: &str, events: &[Step]) -> Result<(), String> {
    let check: Check = serde_json::from_str(check).unwrap_or_else(|e| panic!("{check}: {e}"));
    check.eval(&Run { events, world: &world() })
}

/// `check` holds on the trace and fails on `violating` (the trace with an edit).
fn both(check: &str, violating: &[Step]) {
    holds(check, &trace()).unwrap_or_else(|e| panic!("{check} should hold: {e}"));
    let error = holds(check, violating).expect_err(check);
    assert!(!error.is_empty());
}

fn without(i: usize) -> Vec<Step> {
    let mut t = trace();
    t.remove(i);
    t
}

fn swapped(i: usize, j: usize) -> Vec<Step> {
    let mut t = trace();
    t.swap(i, j);
    t
}

#[test]
fn eventually() {
    both(r#"{"eventually": {"call": "pick", "arg": "apple", "at": "kitchen"}}"#, &without(2));
    // Names match whole, ignoring case: "Kitchen" yes, "kitch" no.
    assert!(holds(r#"{"eventually": {"call": "go_to", "arg": "KITCHEN"}}"#, &trace()).is_ok());
    assert!(holds(r#"{"eventually": {"call": "go_to", "arg": "kitch"}}"#, &trace()).is_err());
}

#[test]
fn never() {
    let mut bad = trace();
    bad.push(ev("go_to", &["garage"], None, "office"));
    both(r#"{"never": {"failed": true}}"#, &bad);
    let error = holds(r#"{"never": {"call": "say"}}"#, &trace()).unwrap_err();
    assert!(error.contains("event 6 say('Bo wants tea')"), "{error}");
}

#[test]
fn always() {
    let mut bad = trace();
    bad.insert(1, ev("pick", &["pear"], Some(""), "start"));
    both(r#"{"always": {"any": [{"not": {"call": "pick"}}, {"at": "kitchen"}]}}"#, &bad);
}

#[test]
fn before() {
    // The answer is said only after asking; saying first breaks it.
    both(r#"{"before": [{"call": "ask"}, {"call": "say"}]}"#, &swapped(4, 5));
    // Vacuous when the second never happens.
    assert!(holds(r#"{"before": [{"call": "ask"}, {"call": "say", "contains": "zebra"}]}"#, &trace()).is_ok());
}

#[test]
fn sequence() {
    let check = r#"{"sequence": [{"call": "pick"}, {"call": "go_to", "arg": "office"}, {"call": "place"}]}"#;
    both(check, &swapped(2, 6));
    let error = holds(check, &without(3)).unwrap_err();
    assert!(error.starts_with("step 2 of 3"), "{error}");
}

#[test]
fn count() {
    let check = r#"{"count": {"of": {"call": "go_to"}, "min": 2, "max": 2}}"#;
    both(check, &without(0));
    let mut extra = trace();
    extra.push(ev("go_to", &["start"], Some(""), "office"));
    assert_eq!(holds(check, &extra).unwrap_err(), "3 events matched, wanted 2..=2");
}

#[test]
fn said_and_reports_answer() {
    both(r#"{"said": "wants tea"}"#, &without(5));
    both(r#"{"reports_answer": "bo"}"#, &swapped(4, 5));
    let mut wrong = trace();
    wrong[5] = ev("say", &["Bo wants coffee"], Some(""), "office");
    assert!(holds(r#"{"reports_answer": "Bo"}"#, &wrong).unwrap_err().contains("\"tea\""));
}

#[test]
fn final_state() {
    holds(r#"{"ends_at": "office"}"#, &[]).unwrap();
    assert_eq!(holds(r#"{"ends_at": "start"}"#, &[]).unwrap_err(), r#"the robot ended in "office""#);
    holds(r#"{"object_ends_in": {"object": "apple", "room": "office"}}"#, &[]).unwrap();
    let error = holds(r#"{"object_ends_in": {"object": "apple", "room": "kitchen"}}"#, &[]).unwrap_err();
    assert!(error.contains(r#"in "office""#), "{error}");
    holds(r#"{"ends_holding": null}"#, &[]).unwrap();
    assert!(holds(r#"{"ends_holding": "apple"}"#, &[]).is_err());
}

#[test]
fn logic() {
    let yes = r#"{"said": "tea"}"#;
    let no = r#"{"said": "zebra"}"#;
    let t = trace();
    assert!(holds(&format!(r#"{{"all": [{yes}, {yes}]}}"#), &t).is_ok());
    assert!(holds(&format!(r#"{{"all": [{yes}, {no}]}}"#), &t).unwrap_err().starts_with("part 2"));
    assert!(holds(&format!(r#"{{"any": [{no}, {yes}]}}"#), &t).is_ok());
    assert!(holds(&format!(r#"{{"any": [{no}, {no}]}}"#), &t).is_err());
    assert!(holds(&format!(r#"{{"not": {no}}}"#), &t).is_ok());
    assert!(holds(&format!(r#"{{"not": {yes}}}"#), &t).is_err());
    assert!(holds(&format!(r#"{{"implies": [{no}, {no}]}}"#), &t).is_ok(), "a false condition");
    assert!(holds(&format!(r#"{{"implies": [{yes}, {yes}]}}"#), &t).is_ok());
    assert!(holds(&format!(r#"{{"implies": [{yes}, {no}]}}"#), &t).is_err());
}

#[test]
fn bad_checks_are_rejected_when_read() {
    for bad in
        [r#"{"eventualy": {}}"#, r#"{"said": "("}"#, r#"{"never": {"cal": "pick"}}"#, r#"{"never": {"call": "fly"}}"#]
    {
        assert!(serde_json::from_str::<Check>(bad).is_err(), "{bad}");
    }
}
