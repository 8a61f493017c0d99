//! RoboEval's trace logic: each rule of `rtl.py`, with a trace that meets it and one that
//! does not.

use crate::rtl::{Element, Expr};

fn check(json: &str) -> Expr {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
}

fn holds(json: &str, trace: &[Element]) -> bool {
    check(json).eval(trace).unwrap_or_else(|e| panic!("{json}: {e}"))
}

#[test]
fn windows_narrow_the_trace_and_leave_it_whole_when_nothing_matches() {
    let trace = [Element::go_to("X"), Element::go_to("Y"), Element::go_to("Z")];
    let before_z = r#"[{"before_first": {"go_to": "Z"}}]"#;
    assert!(holds(&format!(r#"{{"exists": {{"go_to": "X"}}, "in": {before_z}}}"#), &trace));
    assert!(!holds(&format!(r#"{{"exists": {{"go_to": "Z"}}, "in": {before_z}}}"#), &trace));
    // No `Q` anywhere: the window is the whole trace, so Z is still there.
    assert!(holds(r#"{"exists": {"go_to": "Z"}, "in": [{"before_first": {"go_to": "Q"}}]}"#, &trace));
    assert!(!holds(r#"{"exists": {"go_to": "X"}, "in": [{"after_last": {"go_to": "X"}}]}"#, &trace));
    assert!(holds(r#"{"exists": {"go_to": "X"}, "in": [{"before_last": {"go_to": "Z"}}]}"#, &trace));
    // Windows compose left to right.
    let y_only = r#"[{"after_first": {"go_to": "X"}}, {"before_first": {"go_to": "Z"}}]"#;
    assert!(holds(&format!(r#"{{"count": {{"go_to": ".*"}}, "in": {y_only}, "equals": 1}}"#), &trace));
}

#[test]
fn patterns_are_searched_ignoring_case_with_look_around() {
    let trace = [Element::say("There are 2 people who want A SANDWICH")];
    assert!(holds(r#"{"exists": {"say": "sandwich"}}"#, &trace));
    // contain_words(["2", "sandwich"]) and contain_words_and_exlude_words([], ["start_loc"]).
    assert!(holds(r#"{"exists": {"say": "^(?=.*2)(?=.*sandwich).*$"}}"#, &trace));
    assert!(!holds(r#"{"exists": {"say": "^(?=.*3)(?=.*sandwich).*$"}}"#, &trace));
    assert!(!holds(r#"{"exists": {"go_to": "^(?!.*\\bstart_loc\\b)(?=.*).*$"}}"#, &[Element::go_to("start_loc")]));
    assert!(holds(r#"{"exists": {"go_to": "^(?!.*\\bstart_loc\\b)(?=.*).*$"}}"#, &[Element::go_to("lobby")]));
}

#[test]
fn ask_matches_the_question_and_any_option() {
    let trace = [Element::ask("would you like a cupcake?", &["cupcake", "ham sandwich"])];
    assert!(holds(r#"{"exists": {"ask": ["cupcake", "sandwich"]}}"#, &trace));
    assert!(!holds(r#"{"exists": {"ask": ["cupcake", "donut"]}}"#, &trace));
    assert!(!holds(r#"{"exists": {"ask": ["donut", ".*"]}}"#, &trace));
    assert!(!holds(r#"{"exists": {"say": ".*"}}"#, &trace), "another action never matches");
}

#[test]
fn act_at_first_scopes_to_the_first_visit() {
    let check = r#"{"act_at_first": {"location": "alice's office", "action": {"check_entity": ".*"}}}"#;
    let visit = |inside: Element| {
        vec![Element::go_to("alice's office"), inside, Element::go_to("bob's office"), Element::check_entity("x")]
    };
    assert!(holds(check, &visit(Element::check_entity("person"))));
    assert!(!holds(check, &visit(Element::say("hi"))), "the check in bob's office does not count");
    assert!(!holds(check, &[Element::check_entity("person")]), "never went there");
    // A second go_to the same office does not end the visit.
    let again = [Element::go_to("alice's office"), Element::go_to("Alice's office"), Element::check_entity("p")];
    assert!(holds(check, &again));
}

#[test]
fn act_at_any_looks_at_every_visit() {
    let any = r#"{"act_at_any": {"location": "printer room", "action": {"place": "stapler"}}}"#;
    let first = r#"{"act_at_first": {"location": "printer room", "action": {"place": "stapler"}}}"#;
    let trace = [
        Element::go_to("printer room"),
        Element::go_to("supply room"),
        Element::pick("stapler"),
        Element::go_to("printer room"),
        Element::place("stapler"),
    ];
    assert!(holds(any, &trace));
    assert!(!holds(first, &trace), "not at the first visit");
    assert!(!holds(any, &trace[..4]), "never placed");
}

#[test]
fn terminal_precedes_count_and_logic() {
    let trace = [Element::go_to("kitchen"), Element::pick("apple"), Element::go_to("start_loc")];
    assert!(holds(r#"{"terminal": {"go_to": "start_loc"}}"#, &trace));
    assert!(holds(r#"{"precedes": [{"go_to": "kitchen"}, {"pick": "apple"}]}"#, &trace));
    assert!(!holds(r#"{"precedes": [{"pick": "apple"}, {"go_to": "kitchen"}]}"#, &trace));
    assert!(holds(r#"{"count": {"go_to": ".*"}, "equals": 2}"#, &trace));
    assert!(!holds(r#"{"count": {"go_to": ".*"}, "equals": 1}"#, &trace));
    assert!(holds(r#"{"and": [true, {"not": {"exists": {"place": ".*"}}}, {"or": [false, true]}]}"#, &trace));
    // Python raises on Terminal of an empty trace: an evaluation error, not `false`.
    assert!(check(r#"{"terminal": {"go_to": ".*"}}"#).eval(&[]).is_err());
    // ...unless `and` has already decided.
    assert_eq!(check(r#"{"and": [false, {"terminal": {"go_to": ".*"}}]}"#).eval(&[]), Ok(false));
}

#[test]
fn malformed_checks_are_refused() {
    for bad in [
        r#"{"exists": {"go_to": "("}}"#,
        r#"{"exists": {"fly": "x"}}"#,
        r#"{"and": [], "not": true}"#,
        r#"{"count": {"go_to": "x"}}"#,
        r#"{"not": true, "in": [{"after_first": {"go_to": "x"}}]}"#,
        r#"{"exists": {"go_to": "x"}, "extra": 1}"#,
    ] {
        assert!(serde_json::from_str::<Expr>(bad).is_err(), "{bad}");
    }
}
