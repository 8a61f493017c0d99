//! The concrete world's rules, call by call.

use robosim_protocol::Value;

use crate::{ConcreteWorld, RobotErrorKind, SpecError, World, WorldSpec};

fn world() -> ConcreteWorld {
    let spec: WorldSpec = serde_json::from_str(
        r#"{
            "rooms": ["start", "kitchen", "Alice's office"],
            "objects": [
                {"name": "apple", "room": "kitchen", "labels": "(red |green )?apple|fruit"},
                {"name": "apple", "room": "kitchen"},
                {"name": "mug", "room": "Alice's office"}
            ],
            "people": [{"name": "Alice", "room": "Alice's office", "answers": [
                {"question": "coffee|tea", "answer": "^tea"},
                {"question": "free", "answer": "^no", "reply": "I'm busy"},
                {"answer": "yes"}
            ]}]
        }"#,
    )
    .unwrap();
    ConcreteWorld::new(&spec).unwrap()
}

fn s(text: &str) -> Value {
    Value::from(text)
}

fn options(items: &[&str]) -> Value {
    Value::List(items.iter().map(|i| s(i)).collect())
}

#[test]
fn rooms_and_moving() {
    let mut w = world();
    assert_eq!(w.get_current_location().unwrap(), "start");
    assert_eq!(w.get_all_rooms().unwrap(), ["start", "kitchen", "Alice's office"]);
    w.go_to(&s("Kitchen ")).unwrap();
    assert_eq!(w.location(), "kitchen");
    let err = w.go_to(&s("garage")).unwrap_err();
    assert_eq!(err.kind, RobotErrorKind::RobotGoToError);
    assert_eq!(w.location(), "kitchen", "a failed go_to leaves the robot where it was");
}

#[test]
fn objects_by_name_and_label() {
    let mut w = world();
    assert!(!w.is_in_room(&s("apple")).unwrap(), "not in the start room");
    w.go_to(&s("kitchen")).unwrap();
    assert!(w.is_in_room(&s("apple")).unwrap());
    assert!(w.is_in_room(&s("red apple")).unwrap());
    assert!(w.is_in_room(&s("fruit")).unwrap());
    assert!(!w.is_in_room(&s("pineapple")).unwrap(), "labels match whole names");
    assert_eq!(w.pick(&s("mug")).unwrap_err().kind, RobotErrorKind::RobotPickError);
    w.pick(&s("fruit")).unwrap();
    assert_eq!(w.holding(), Some("apple"));
    assert_eq!(w.pick(&s("apple")).unwrap_err().kind, RobotErrorKind::RobotPickError, "one at a time");
    w.go_to(&s("start")).unwrap();
    assert_eq!(w.place(&s("mug")).unwrap_err().kind, RobotErrorKind::RobotPlaceError);
    w.place(&s("apple")).unwrap();
    assert!(w.object_in("apple", "start") && w.object_in("apple", "kitchen"), "the second apple stayed");
    assert_eq!(w.place(&s("apple")).unwrap_err().kind, RobotErrorKind::RobotPlaceError);
}

#[test]
fn people_answer_by_rule_and_only_when_present() {
    let mut w = world();
    let err = w.ask(&s("Alice"), &s("Tea or coffee?"), &options(&["coffee", "tea"])).unwrap_err();
    assert_eq!(err.kind, RobotErrorKind::RobotAskError);
    w.go_to(&s("Alice's office")).unwrap();
    assert!(w.is_in_room(&s("Alice")).unwrap() && w.is_in_room(&s("person")).unwrap());
    assert_eq!(w.ask(&s("alice"), &s("Tea or coffee?"), &options(&["Coffee", "Tea please"])).unwrap(), "Tea please");
    assert_eq!(w.ask(&s("Alice"), &s("Are you free?"), &options(&["Yes", "No"])).unwrap(), "No");
    assert_eq!(w.ask(&s("Alice"), &s("Are you free?"), &options(&["Sure", "Later"])).unwrap(), "I'm busy");
    assert_eq!(w.ask(&s("someone"), &s("Lunch?"), &options(&["No", "Yes"])).unwrap(), "Yes");
    assert_eq!(w.ask(&s("Bob"), &s("Lunch?"), &options(&["No"])).unwrap_err().kind, RobotErrorKind::RobotAskError);
    assert_eq!(w.ask(&s("Alice"), &s("Lunch?"), &options(&[])).unwrap_err().kind, RobotErrorKind::RobotAskError);
}

#[test]
fn bad_specs_are_named() {
    let spec = |json: &str| ConcreteWorld::new(&serde_json::from_str::<WorldSpec>(json).unwrap()).unwrap_err();
    assert_eq!(spec(r#"{"rooms": []}"#), SpecError::NoRooms);
    assert_eq!(spec(r#"{"rooms": ["a", "A"]}"#), SpecError::DuplicateRoom("A".into()));
    assert!(matches!(spec(r#"{"rooms": ["a"], "robot": "b"}"#), SpecError::UnknownRoom { .. }));
    assert!(matches!(
        spec(r#"{"rooms": ["a"], "objects": [{"name": "x", "room": "a", "labels": "("}]}"#),
        SpecError::Pattern { .. }
    ));
    assert!(serde_json::from_str::<WorldSpec>(r#"{"rooms": ["a"], "robots": "a"}"#).is_err(), "unknown fields");
}
