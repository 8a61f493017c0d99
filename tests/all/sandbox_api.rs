//! The robot API reaches the host, with the right Python types, bare and via `import robot`.

use robosim::{
    CallResult, Outcome, Program, Sandbox, SandboxConfig,
    protocol::{RobotFunction, Value},
    world::OpenWorld,
};

use crate::{program, run_script, run_task};

#[test]
fn every_api_function_reaches_the_host_with_the_right_type() {
    let report = run_task(&program("api_types"));
    assert_eq!(report.outcome, Outcome::Completed, "{report:#?}");
    let called: Vec<RobotFunction> = report.trace.iter().map(|e| e.function).collect();
    assert_eq!(called, RobotFunction::ALL.to_vec());
    let ask = &report.trace[4];
    assert_eq!(ask.args, vec![Value::from("Alice"), Value::from("Tea or coffee?"), Value::from(vec!["tea", "coffee"])]);
    assert_eq!(ask.result, CallResult::Returned(Value::from("tea")));
}

#[test]
fn api_is_importable_as_a_module() {
    let report =
        run_script("import robot\nfrom robot import say\nrobot.go_to('lab')\nsay(robot.get_current_location())\n");
    assert_eq!(report.outcome, Outcome::Completed, "{report:#?}");
    assert_eq!(report.trace[0].args, vec![Value::from("lab")]);
    assert_eq!(report.trace[2].args, vec![Value::from("lab")]);
}

#[test]
fn arguments_reach_the_world_unconverted() {
    let report = run_task("def task_program():\n    ask('Bo', 'q?', ('a', 'b'))\n");
    assert_eq!(report.trace[0].args[2], Value::Tuple { tuple: vec![Value::from("a"), Value::from("b")] });
    assert!(matches!(report.outcome, Outcome::RobotError { ref message, .. } if message == "options must be a list"));
}

/// Every kind of Python value an argument can be reaches the world as the same `Value`:
/// plain values as they are, nested lists and tuples to eight levels, anything else (and
/// what is nested deeper, a float that is not finite, an int past 64 bits) as its type's
/// name and its `repr`, or `<repr failed>` when `repr` raises. (The world refuses to say
/// anything but a string; the call is in the trace all the same.)
#[test]
fn each_kind_of_argument_reaches_the_world_as_its_value() {
    let report = run_task(
        "class Shown:\n    def __repr__(self):\n        return 'shown!'\n\n\
         class Broken:\n    def __repr__(self):\n        raise ValueError('no')\n\n\
         def task_program():\n\
         \x20   deep = [1]\n\
         \x20   for _ in range(9):\n\
         \x20       deep = [deep]\n\
         \x20   for value in [None, True, False, 0, -7, 2**63 - 1, 2**70, 1.5, float('nan'), '', 'caf\\u00e9 \\\\ \"q\"',\n\
         \x20                 get_current_location(), [1, ['a', (2.5, None)]], (), deep, Shown(), Broken(), {'k': 1}]:\n\
         \x20       try:\n\
         \x20           say(value)\n\
         \x20       except Exception:\n\
         \x20           pass\n",
    );
    assert_eq!(report.outcome, Outcome::Completed, "{report:#?}");
    let other = |type_name: &str, repr: &str| Value::Other { type_name: type_name.into(), repr: repr.into() };
    let mut deep = other("list", "[[1]]");
    for _ in 0..8 {
        deep = Value::List(vec![deep]);
    }
    let expected = vec![
        Value::None,
        Value::Bool(true),
        Value::Bool(false),
        Value::Int(0),
        Value::Int(-7),
        Value::Int(i64::MAX),
        other("int", "1180591620717411303424"),
        Value::Float(1.5),
        other("float", "nan"),
        Value::from(""),
        Value::from("caf\u{e9} \\ \"q\""),
        Value::from("start_loc"),
        Value::List(vec![
            Value::Int(1),
            Value::List(vec![Value::from("a"), Value::Tuple { tuple: vec![Value::Float(2.5), Value::None] }]),
        ]),
        Value::Tuple { tuple: vec![] },
        deep,
        other("Shown", "shown!"),
        other("Broken", "<repr failed>"),
        other("dict", "{'k': 1}"),
    ];
    let said: Vec<&Value> =
        report.trace.iter().filter(|e| e.function == RobotFunction::Say).map(|e| &e.args[0]).collect();
    assert_eq!(said, expected.iter().collect::<Vec<_>>());
}

#[test]
fn wrong_arity_is_a_python_type_error() {
    let report = run_task("def task_program():\n    go_to()\n");
    assert!(
        matches!(report.outcome, Outcome::PythonError { ref exc_type, line: Some(2), .. } if exc_type == "TypeError"),
        "{report:#?}"
    );
    assert!(report.trace.is_empty());
}

#[test]
fn print_is_captured() {
    let report =
        run_task("import sys\ndef task_program():\n    print('hello', 42)\n    print('oops', file=sys.stderr)\n");
    assert_eq!(report.outcome, Outcome::Completed);
    assert_eq!(report.stdout, "hello 42\n");
    assert_eq!(report.stderr, "oops\n");
}

#[test]
fn sleep_advances_a_virtual_clock() {
    let report = run_task(
        "def task_program():\n    t0 = time.time()\n    time.sleep(3600)\n    print(round(time.time() - t0))\n",
    );
    assert_eq!(report.outcome, Outcome::Completed, "{report:#?}");
    assert_eq!(report.stdout, "3600\n");
    assert!((report.slept - 3600.0).abs() < 1e-9);
    assert!(report.wall_time.as_secs() < 5);
}

#[test]
fn exit_and_input_behave_as_in_the_reference() {
    let report = run_task("def task_program():\n    say('bye')\n    exit()\n    pick(1)\n");
    assert_eq!(report.outcome, Outcome::Exited { code: Value::None });
    let report = run_task("import sys\ndef task_program():\n    sys.exit(3)\n");
    assert_eq!(report.outcome, Outcome::Exited { code: Value::Int(3) });
    let report = run_task("def task_program():\n    name = input('Name? ')\n");
    assert!(matches!(report.outcome, Outcome::PythonError { ref exc_type, ref message, .. }
        if exc_type == "EOFError" && message == "EOF when reading a line"));
    assert_eq!(report.stdout, "Name? ");
}

#[test]
fn a_missing_task_program_is_a_name_error() {
    let report = run_task("def main():\n    pass\n");
    assert!(
        matches!(report.outcome, Outcome::PythonError { ref exc_type, ref message, .. }
        if exc_type == "NameError" && message == "name 'task_program' is not defined"),
        "{report:#?}"
    );
}

#[test]
fn runs_are_deterministic() {
    let first = run_task(&program("typical"));
    let second = run_task(&program("typical"));
    assert_eq!(first.outcome, Outcome::Completed, "{first:#?}");
    assert_eq!(first.fuel_used, second.fuel_used);
    assert_eq!(first.trace, second.trace);
    assert!(first.fuel_used > 0);
}

#[test]
fn runs_from_the_snapshot_match_runs_that_start_the_interpreter() {
    let plain = Sandbox::with_config(SandboxConfig { snapshot: false, ..SandboxConfig::default() }).expect("sandbox");
    let program = Program::task(program("typical"));
    let (cold, _) = plain.run(&program, OpenWorld::default());
    let (warm, _) = crate::SANDBOX.run(&program, OpenWorld::default());
    assert_eq!(cold.outcome, Outcome::Completed);
    assert_eq!((cold.outcome, cold.trace), (warm.outcome, warm.trace));
    assert!(cold.startup_fuel > 10_000_000, "{}", cold.startup_fuel);
    assert!(warm.startup_fuel < 1_000, "{}", warm.startup_fuel);
}

/// A program runs the same whether the host compiled it or the guest did: what it does, prints
/// and raises, and where (numbers in strings and comments, which the host now compiles, among
/// them; and what the guest warns about, which it leaves to the guest).
#[test]
fn a_program_compiled_on_the_host_runs_as_compiled_in_the_guest() {
    let in_guest =
        Sandbox::with_config(SandboxConfig { host_compile: false, ..SandboxConfig::default() }).expect("sandbox");
    for source in [
        "def task_program():\n    answer = ask('Jill', 'When? # 4pm', ['4pm', \"5PM\", '''at 6am'''])\n    say(f'{answer} or 7am')\n",
        "def task_program():\n    x = 1 # 2pm\n    say(str(x + 1_000 + 2.5))\n    1 / 0\n",
        "def task_program():\n    say('a\\d')\n",
        "def task_program():\n    say('x' if 1if True else 2 else 'y')\n",
        "def task_program():\n    say('4pm')\n    assert (1, 'x')\n",
    ] {
        let program = Program::task(source);
        let (host, _) = crate::SANDBOX.run(&program, OpenWorld::default());
        let (guest, _) = in_guest.run(&program, OpenWorld::default());
        assert_eq!(host.outcome, guest.outcome, "{source}");
        assert_eq!(host.trace, guest.trace, "{source}");
        assert_eq!((&host.stdout, &host.stderr), (&guest.stdout, &guest.stderr), "{source}");
    }
}

/// A reply too large for the room the guest gives it in the call (a long answer) still
/// arrives whole, by the second host call; a short one arrives in the first.
#[test]
fn replies_of_any_size_reach_the_program_whole() {
    let report = run_task(
        "def task_program():\n    for n in (3, 1023, 1024, 5000):\n        say(str(len(ask('Bo', 'q?', ['x' * n]))))\n",
    );
    assert_eq!(report.outcome, Outcome::Completed, "{report:#?}");
    let said: Vec<&Value> =
        report.trace.iter().filter(|e| e.function == RobotFunction::Say).map(|e| &e.args[0]).collect();
    assert_eq!(said, [&Value::from("3"), &Value::from("1023"), &Value::from("1024"), &Value::from("5000")]);
}
