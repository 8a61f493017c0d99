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

/// The evaluator as `rtl.py` runs it: every query re-scans its window, every loop over visits
/// re-scans the rest of the trace. The memoised evaluator must answer exactly as this does.
mod naive {
    use robosim_world::Work;

    use crate::rtl::{Element, Expr, Match, Query, Window};

    fn matches(m: &Match, e: &Element) -> Result<bool, String> {
        m.matches(e, &mut Work::new(u64::MAX))
    }

    fn first<'t>(m: &Match, mut indexed: impl Iterator<Item = (usize, &'t Element)>) -> Result<Option<usize>, String> {
        indexed.try_fold(None, |found, (i, e)| match found {
            Some(_) => Ok(found),
            None => Ok(matches(m, e)?.then_some(i)),
        })
    }

    fn exists(m: &Match, trace: &[Element]) -> Result<bool, String> {
        Ok(first(m, trace.iter().enumerate())?.is_some())
    }

    fn apply<'t>(w: &Window, trace: &'t [Element]) -> Result<&'t [Element], String> {
        Ok(match w {
            Window::AfterFirst(m) => first(m, trace.iter().enumerate())?.map_or(trace, |i| &trace[i + 1..]),
            Window::BeforeFirst(m) => first(m, trace.iter().enumerate())?.map_or(trace, |i| &trace[..i]),
            Window::AfterLast(m) => first(m, trace.iter().enumerate().rev())?.map_or(trace, |i| &trace[i + 1..]),
            Window::BeforeLast(m) => first(m, trace.iter().enumerate().rev())?.map_or(trace, |i| &trace[..i]),
        })
    }

    fn act_at_first(trace: &[Element], arrive: &Match, leave: &Match, action: &Match) -> Result<bool, String> {
        let went = exists(arrive, trace)?;
        let there = apply(&Window::BeforeFirst(leave.clone()), apply(&Window::AfterFirst(arrive.clone()), trace)?)?;
        Ok(exists(action, there)? && went)
    }

    pub(super) fn eval(expr: &Expr, trace: &[Element]) -> Result<bool, String> {
        match expr {
            Expr::Const(v) => Ok(*v),
            Expr::And(all) => {
                for c in all {
                    if !eval(c, trace)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Expr::Or(any) => {
                for c in any {
                    if eval(c, trace)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Expr::Not(c) => Ok(!eval(c, trace)?),
            Expr::Query { windows, query } => {
                let trace = windows.iter().try_fold(trace, |t, w| apply(w, t))?;
                match &**query {
                    Query::Exists(m) => exists(m, trace),
                    Query::Terminal(m) => trace.last().map_or_else(|| Err("empty".into()), |e| matches(m, e)),
                    Query::Precedes(a, b) => exists(b, apply(&Window::AfterFirst(a.clone()), trace)?),
                    Query::ActAtFirst { arrive, leave, action, .. } => act_at_first(trace, arrive, leave, action),
                    Query::ActAtAny { arrive, leave, action, .. } => {
                        let after = Window::AfterFirst(arrive.clone());
                        let mut window = trace;
                        let mut found = act_at_first(window, arrive, leave, action)?;
                        while exists(arrive, apply(&after, window)?)? {
                            window = apply(&after, window)?;
                            found = found || act_at_first(window, arrive, leave, action)?;
                        }
                        Ok(found)
                    }
                    Query::Count(m, n) => {
                        let mut count = 0;
                        for e in trace {
                            count += usize::from(matches(m, e)?);
                        }
                        Ok(count == *n)
                    }
                }
            }
        }
    }
}

/// Every check of RoboEval's 20 tasks, on random traces over their own names: the memoised
/// evaluator answers as the re-scanning one, errors included.
#[test]
fn the_memoised_evaluator_answers_as_rtl_py_does_on_every_roboeval_check() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../seeds/roboeval");
    let tasks = crate::Task::load_dir(&dir).expect("the RoboEval tasks");
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let (mut compared, mut held) = (0, 0);
    for task in &tasks {
        for case in &task.states {
            let mut vocabulary: Vec<Element> = case.state.locations.iter().map(|l| Element::go_to(l)).collect();
            for o in &case.state.objects {
                vocabulary.extend([Element::check_entity(&o.label), Element::pick(&o.label), Element::place(&o.label)]);
            }
            for said in ["yes", "no", "2 people", "good day", "arrived, enjoy", "72", "the printer room 1 without"] {
                vocabulary.push(Element::say(said));
            }
            vocabulary.push(Element::check_entity("person"));
            vocabulary.push(Element::ask("tour? lunch? warmer or cooler?", &["yes", "no", "cupcake"]));
            for _ in 0..200 {
                let trace: Vec<Element> = (0..next(40)).map(|_| vocabulary[next(vocabulary.len())].clone()).collect();
                let expected = naive::eval(&case.check, &trace).map_err(|_| ());
                assert_eq!(case.check.eval(&trace).map_err(|_| ()), expected, "{} on {trace:?}", task.name);
                compared += 1;
                held += usize::from(expected == Ok(true));
            }
        }
    }
    assert!(compared > 10_000 && held > 0, "{compared} traces, {held} held");
}

/// A trace of thousands of visits costs about one scan of it, not one per visit: twice the
/// visits, about twice the work.
#[test]
fn a_loop_over_visits_is_linear_in_the_trace() {
    let check = check(r#"{"act_at_any": {"location": "printer room 2", "action": {"place": "stapler"}}}"#);
    let work_for = |visits: usize| {
        let mut trace = vec![Element::go_to("printer room 2"); visits];
        trace.push(Element::place("stapler"));
        let mut work = robosim_world::Work::new(u64::MAX);
        assert_eq!(check.eval_within(&trace, &mut work), Ok(true));
        work.used()
    };
    let (one, two) = (work_for(8_000), work_for(16_000));
    assert!(two < one * 5 / 2, "8,000 visits: {one} units; 16,000: {two}");
    let mut trace = vec![Element::go_to("printer room 2"); 8_000];
    trace.push(Element::place("stapler"));
    let mut small = robosim_world::Work::new(1_000);
    assert!(check.eval_within(&trace, &mut small).unwrap_err().contains("allowance"));
}
