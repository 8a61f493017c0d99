//! RoboEval's post-processing of answers and its error breakdown.

use crate::{
    WorldResult,
    roboeval::{EvalClass, harness_source, post_process},
};

#[test]
fn a_base_models_body_gets_its_head_and_loses_what_follows_the_function() {
    // What a base model continues after a prompt ending in `def task_program():\n`.
    let answer = "    go_to(\"kitchen\")\n    say(\"hi\")\n\n# Instruction: next task\nprint(1)\n";
    assert_eq!(post_process(answer), "def task_program():\n    go_to(\"kitchen\")\n    say(\"hi\")\n");
    // Where the answer goes on to define `task_program` again, that definition is the one
    // read (RoboEval looks for the head before adding one). Stop strings prevent this.
    let answer = "    go_to(\"kitchen\")\n\n# Instruction: next task\ndef task_program():\n    pass\n";
    assert_eq!(post_process(answer), "def task_program():\n    pass\n");
    // Blank and indented lines stay; the first line at column 0 ends the program.
    let answer = "    x = 1\n\n    if x:\n\tsay(\"a\")\nprint(x)\n";
    assert_eq!(post_process(answer), "def task_program():\n    x = 1\n\n    if x:\n\tsay(\"a\")");
}

#[test]
fn a_chat_answer_is_taken_from_its_fence_and_its_function() {
    let answer =
        "Here you go:\n```python\nimport time\n\ndef task_program():\n    go_to(\"lab\")\n```\nThis goes to the lab.";
    assert_eq!(post_process(answer), "def task_program():\n    go_to(\"lab\")\n");
    // A helper defined before the function is lost, as in RoboEval.
    let answer = "def helper():\n    return 1\n\ndef task_program():\n    say(helper())\n";
    assert_eq!(post_process(answer), "def task_program():\n    say(helper())\n");
    // Llama-3's assistant header is dropped; a plain fence is cut at its end.
    let answer = "<|start_header_id|>assistant<|end_header_id|>\n\ndef task_program():\n    say(\"x\")\n```\nbye";
    assert_eq!(post_process(answer), "def task_program():\n    say(\"x\")\n");
}

#[test]
fn no_answer_is_an_empty_function() {
    assert_eq!(post_process(""), "def task_program():\n");
}

fn state(passed: bool, error: Option<&str>) -> WorldResult {
    WorldResult {
        world: "state".into(),
        passed,
        outcome: "completed".into(),
        error: error.map(str::to_owned),
        failed_checks: Vec::new(),
        robot_calls: 0,
        trace_cut: None,
        line: None,
        calls: Vec::new(),
        calls_omitted: 0,
    }
}

#[test]
fn the_first_state_that_did_not_run_decides_the_class() {
    let robot = Some("SIM: RobotGoToError: the location is not found");
    let python = Some("SIM: NameError: name 'x' is not defined");
    let timeout = Some("SIM: TimeoutError: program should not timeout");
    assert_eq!(EvalClass::of(&[state(true, None), state(true, None)]), EvalClass::Success);
    assert_eq!(EvalClass::of(&[state(false, None), state(true, None)]), EvalClass::CompletionError);
    assert_eq!(EvalClass::of(&[state(false, None), state(false, robot)]), EvalClass::RobotExecutionError);
    assert_eq!(EvalClass::of(&[state(false, python), state(false, robot)]), EvalClass::PythonError);
    assert_eq!(EvalClass::of(&[state(false, timeout), state(false, robot)]), EvalClass::PythonError);
    assert_eq!(EvalClass::of(&[state(false, robot), state(false, timeout)]), EvalClass::RobotExecutionError);
    assert_eq!(EvalClass::RobotExecutionError.to_string(), "RobotExecutionError");
}

/// robo-instruct's `code_replace`, byte for byte: its output for this program was taken from
/// the Python (`roboeval.benchmark.simple_tracer.code_replace`).
#[test]
fn the_program_is_rewritten_as_robo_instructs_harness_rewrites_it() {
    let program = "def task_program():\n    time.sleep(1)\n    time.sleep(max(1, (2 + (3))))\n    time.sleep(-1)\n    \
                   say(\"Waited: time.sleep(5)\")\n    time.sleep(f(g(h(1))))\n";
    let python = "def task_program(robot):\n    time.sleep((1) * 0)\n    time.sleep(max(1, (2 + (3))))\n    \
                  time.sleep((-1) * 0)\n    robot.say(\"waited: time.sleep((5) * 0)\")\n    time.sleep(f(g(h(1))))\n\n\n\
                  task_program(robot)";
    assert_eq!(harness_source(program), format!("import sys\nimport time\nimport robot\n{python}\n"));
}
