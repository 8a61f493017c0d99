//! Programs cannot reach outside the guest, nor into each other.

use robosim::Outcome;

use crate::{run_script, run_task};

fn python_error(source: &str) -> (String, String) {
    match run_script(source).outcome {
        Outcome::PythonError { exc_type, message, .. } => (exc_type, message),
        other => panic!("{source}: expected a Python exception, got {other:?}"),
    }
}

#[test]
fn os_socket_and_subprocess_cannot_be_imported() {
    for source in [
        "import os",
        "import socket",
        "__import__('subprocess')",
        "import posix",
        "import _socket",
        "import select",
        "import _posixsubprocess",
        "import resource",
    ] {
        let (exc_type, message) = python_error(source);
        assert_eq!(exc_type, "ModuleNotFoundError", "{source}: {message}");
    }
}

#[test]
fn files_cannot_be_opened() {
    let (exc_type, message) = python_error("open('/etc/passwd')");
    assert_eq!(exc_type, "PermissionError", "{message}");
    // Around the `open` builtin: the guest's `_io` has no file type, and WASI has no
    // directory to open from.
    for source in [
        "import io\nio.open('/etc/passwd')",
        "import _io\n_io.open('/etc/passwd')",
        "import _io\n_io.FileIO('/etc/passwd')",
        "import contextlib\ncontextlib.os.listdir('/')",
        "import random\nrandom._os.system('ls')",
    ] {
        let (exc_type, message) = python_error(source);
        assert!(
            ["OSError", "PermissionError", "FileNotFoundError", "AttributeError", "io.UnsupportedOperation"]
                .contains(&exc_type.as_str()),
            "{source}: {exc_type}: {message}"
        );
    }
}

#[test]
fn globals_do_not_leak_between_runs() {
    let first = run_script("import robot, sys\nrobot.go_to = None\nsys.modules['leak'] = 1\nSECRET = 1\n");
    assert_eq!(first.outcome, Outcome::Completed);
    let second = run_script(
        "import sys\nassert 'leak' not in sys.modules\nassert 'SECRET' not in globals()\nimport robot\nrobot.go_to('x')\n",
    );
    assert_eq!(second.outcome, Outcome::Completed, "{second:#?}");
}

#[test]
fn runs_in_parallel_threads_stay_independent() {
    let handles: Vec<_> = (0..4)
        .map(|i| {
            // Default 2 MiB thread stacks: enough for MAX_WASM_STACK and the host.
            std::thread::Builder::new()
                .spawn(move || {
                    run_task(&format!("def task_program():\n    go_to('room {i}')\n    say(get_current_location())\n"))
                })
                .expect("spawn")
        })
        .collect();
    for (i, handle) in handles.into_iter().enumerate() {
        let report = handle.join().expect("thread");
        assert_eq!(report.outcome, Outcome::Completed);
        assert_eq!(report.trace[2].args[0], robosim::protocol::Value::from(format!("room {i}")));
    }
}

#[test]
fn a_programs_runs_share_an_instance_only_while_nothing_carries_over() {
    use robosim::{Program, world::OpenWorld};
    let limits = crate::SANDBOX.limits();
    let clean = Program::task("def task_program():\n    x = [1, 2]\n    say(str(len(x)))\n");
    let mut session = crate::SANDBOX.session(&clean);
    assert!(session.warm_up(), "an instance is ready before the first run");
    for _ in 0..3 {
        let (report, _) = session.run_with(OpenWorld::default(), limits, 0);
        assert_eq!(report.outcome, Outcome::Completed);
    }
    assert_eq!(session.instances(), 1, "clean runs share the warmed-up instance");

    // Each of these changes something the guest checks after a run (names added to modules,
    // builtins or `sys`, `sys` settings): every run of the program starts from the snapshot
    // again, and sees nothing of the change. (A value replaced under an existing name is not
    // checked; it can only reach the same program's later runs: see `Session`.)
    for tamper in [
        "import builtins\nassert not hasattr(builtins, 'seen')\nbuiltins.seen = 1",
        "import robot\nassert not hasattr(robot, 'extra')\nrobot.extra = None",
        "assert not hasattr(time, 'extra')\ntime.extra = None",
        "import sys\nassert 'leak' not in sys.modules\nsys.modules['leak'] = sys",
        "import sys\nassert sys.getrecursionlimit() == 1000\nsys.setrecursionlimit(50)",
        "import sys\nassert 'io' not in sys.modules\nimport io",
    ] {
        let source = format!("{tamper}\ndef task_program():\n    pass\n");
        let mut session = crate::SANDBOX.session(&Program::task(source));
        for run in 1..=3 {
            let (report, _) = session.run_with(OpenWorld::default(), limits, 0);
            assert_eq!(report.outcome, Outcome::Completed, "{tamper}, run {run}: {report:#?}");
            assert_eq!(session.instances(), run, "{tamper}: the changed instance was not reused");
        }
    }
}
