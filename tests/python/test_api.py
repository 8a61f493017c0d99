"""The Python API on accepted, rejected and hostile programs; settings; run; grade."""

import json
import pathlib
import pickle

import pytest

import robosim

PICK_ABSENT = "def task_program():\n    if not is_in_room('pen'):\n        pick('pen')\n"
GOOD = "def task_program():\n    go_to('kitchen')\n    say('hi')\n"


def test_an_accepted_program(verifier):
    verdict = verifier.verify(GOOD)
    assert verdict.accepted
    assert (verdict.error_class, verdict.error, verdict.line, verdict.failure) == (None, None, None, None)
    assert (verdict.paths, verdict.exhausted, verdict.stopped) == (1, True, "exhausted")
    assert verdict.fuel_used > 0 and verdict.wall_time > 0
    assert "accepted" in repr(verdict)


def test_a_rejected_program_with_its_failing_path(verifier):
    verdict = verifier.verify(f"Here you go:\n```python\n{PICK_ABSENT}```\n")
    assert not verdict.accepted
    assert (verdict.error_class, verdict.line, verdict.stopped) == ("RobotPickError", 3, "failed")
    assert verdict.error.startswith("RobotPickError: object does not exist in room")
    failure = verdict.failure
    assert failure["choices"] == [1]
    assert failure["decisions"][0]["site"] == {"line": 2, "column": 12}
    assert [e["function"] for e in failure["trace"]] == ["is_in_room", "pick"]
    whole = verdict.to_dict()
    assert whole["accepted"] is False and whole["failure"] == failure and whole["paths"] == verdict.paths


@pytest.mark.parametrize(
    "program, error_class",
    [
        ("def task_program():\n    while True:\n        pass\n", "TimeOutError"),
        ("def task_program():\n    x = 'a' * (1 << 30)\n", "MemoryError"),
        ("def task_program():\n    while True:\n        print('x' * 10000)\n", "OutputLimitExceeded"),
        ("def task_program():\n    task_program()\n", "RecursionError"),
        ("import os\ndef task_program():\n    os.system('true')\n", "ModuleNotFoundError"),
        ("def task_program():\n    open('/etc/passwd').read()\n", "PermissionError"),
        ("def task_program(:\n", "SyntaxError"),
    ],
)
def test_hostile_programs_end_in_typed_verdicts(verifier, program, error_class):
    verdict = verifier.verify(program)
    assert not verdict.accepted
    assert verdict.error_class == error_class, verdict.error
    # The process is still fine: the next program is verified as usual.
    assert verifier.verify(GOOD).accepted


def test_settings_are_checked_with_value_errors():
    for bad, message in [
        ({"max_paths": 0}, "max_paths must be at least 1"),
        ({"patience": -1}, "patience must be at least 0"),
        ({"search": "dfs"}, "search must be"),
        ({"memory_mib": 8}, "memory_mib must be at least 64"),
        ({"memory_mib": 1 << 20}, "memory_mib must be at most"),
        ({"fuel": 0}, "fuel must be at least 1"),
        ({"seed": -3}, "seed must be at least 0"),
        ({"search": "random", "random_runs": 0}, "random_runs must be at least 1"),
    ]:
        with pytest.raises(ValueError, match=message):
            robosim.Verifier(**bad)
    with pytest.raises(TypeError):
        robosim.Verifier(max_path=3)
    # The defaults are the Rust library's.
    assert robosim.Verifier().settings() == robosim.default_settings()


def test_settings_change_the_search():
    repetitive = "def task_program():\n    for i in range(12):\n        if is_in_room('t' + str(i)):\n            say('t')\n"
    assert robosim.Verifier(search="exhaustive").verify(repetitive).paths == 100
    assert robosim.Verifier(max_paths=5).verify(repetitive).stopped == "capped"
    random = robosim.Verifier(search="random", random_runs=7).verify(repetitive)
    assert (random.paths, random.stopped) == (7, "capped")
    limited = robosim.Verifier(fuel=1_000_000).verify("def task_program():\n    while True:\n        pass\n")
    assert limited.error_class == "TimeOutError"


def test_verify_many_keeps_the_order(verifier):
    programs = [GOOD, PICK_ABSENT, "def task_program(:\n"] * 5
    for jobs in (None, 1, 3):
        verdicts = verifier.verify_many(programs, jobs=jobs)
        assert [v.error_class for v in verdicts] == [None, "RobotPickError", "SyntaxError"] * 5
    # Any iterable of str; not a str itself.
    assert len(verifier.verify_many(p for p in [GOOD, GOOD])) == 2
    assert verifier.verify_many([]) == []
    with pytest.raises(ValueError, match="not one str"):
        verifier.verify_many(GOOD)
    with pytest.raises(ValueError, match="jobs must be at least 1"):
        verifier.verify_many([GOOD], jobs=0)
    with pytest.raises(TypeError):
        verifier.verify_many([GOOD, 3])


def test_run_reports_outcome_trace_and_output():
    report = robosim.run("print('hello')\ndef task_program():\n    go_to('kitchen')\n    is_in_room('cup')\n")
    assert report["outcome"] == {"kind": "completed"}
    assert report["stdout"] == "hello\n"
    assert [e["function"] for e in report["trace"]] == ["go_to", "is_in_room"]
    script = robosim.run("raise ValueError('no')", entry=None)
    assert script["outcome"]["kind"] == "python_error" and script["outcome"]["exc_type"] == "ValueError"


def test_grade_on_task_files(root: pathlib.Path):
    fixtures = root / "tests" / "fixtures" / "grade" / "ChargerSearch"
    passing = (fixtures / "pass_in_order.py").read_text()
    failing = (fixtures / "fail_picks_blindly.py").read_text()
    records = robosim.grade(
        str(root / "seeds" / "examples"),
        [
            {"id": 1, "task": "ChargerSearch", "completion": passing},
            {"id": 2, "task": "ChargerSearch", "program": failing, "prompt": 0},
            {"id": 3, "task": "NoSuchTask", "completion": passing},
            {"id": 4, "task": "ChargerSearch"},
        ],
    )
    assert [r["status"] for r in records] == ["passed", "failed", "invalid_input", "invalid_input"]
    assert records[1]["prompt"] == 0 and records[0]["id"] == 1
    assert all(w["passed"] for w in records[0]["worlds"]) and len(records[0]["worlds"]) > 1
    assert any(not w["passed"] for w in records[1]["worlds"])
    assert "NoSuchTask" in records[2]["message"]
    with pytest.raises(robosim.RobosimError):
        robosim.grade(str(root / "no-such-dir"), [])
    with pytest.raises(ValueError, match="trace must be"):
        robosim.grade(str(root / "seeds" / "examples"), [], trace="stdout")


def test_a_grader_loads_its_tasks_once_and_grades_in_worker_processes(root: pathlib.Path):
    fixtures = root / "tests" / "fixtures" / "grade" / "ChargerSearch"
    passing = (fixtures / "pass_in_order.py").read_text()
    failing = (fixtures / "fail_picks_blindly.py").read_text()
    grader = robosim.Grader(str(root / "seeds" / "examples"), trace="calls")
    assert "ChargerSearch" in grader.tasks()
    completions = [{"id": i, "task": "ChargerSearch", "completion": [passing, failing][i % 2]} for i in range(6)]
    alone = grader.grade(completions)
    assert [r["status"] for r in alone] == ["passed", "failed"] * 3
    assert all(r["trace"] == "calls" for r in alone)
    for jobs in (2, 2):  # the second call reuses the workers
        together = grader.grade(completions, jobs=jobs)
        assert [(r["id"], r["status"], [w["passed"] for w in r["worlds"]]) for r in together] == [
            (r["id"], r["status"], [w["passed"] for w in r["worlds"]]) for r in alone
        ]
    with pytest.raises(ValueError, match="jobs must be at least 1"):
        grader.grade(completions, jobs=0)


def test_verifiers_and_verdicts_pickle():
    verifier = robosim.Verifier(max_paths=9, seed=4)
    again = pickle.loads(pickle.dumps(verifier))
    assert again.settings() == verifier.settings()
    verdict = verifier.verify(PICK_ABSENT)
    copy = pickle.loads(pickle.dumps(verdict))
    assert copy == verdict and copy.to_dict() == verdict.to_dict() and copy.line == 3
    assert copy != verifier.verify(GOOD)


def test_the_version_is_the_crates():
    assert isinstance(robosim.__version__, str) and robosim.__version__.count(".") == 2


def test_a_verdict_robosim_could_not_reach_says_so():
    verdict = robosim.Verifier().verify(GOOD).to_dict()
    verdict.update(accepted=False, exhausted=False, stopped="not_run", not_run="a worker died")
    not_run = robosim.Verdict.from_json(json.dumps(verdict))
    assert (not_run.accepted, not_run.stopped, not_run.not_run) == (False, "not_run", "a worker died")
    assert repr(not_run) == "<Verdict not run: a worker died>"
