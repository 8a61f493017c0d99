#!/usr/bin/env python3
"""Grades programs with RoboEval's own harness, state by state, as the labelled corpus was
graded: `run_simulation` of robo-instruct's `roboeval/benchmark/simple_tracer.py` (the
program rewritten by `code_replace`, run in a child `python` with a 1-second time-out, the
trace parsed back from its stdout), then the state's test function, unmodified.

    python3 dev/roboeval/harness.py --benchmark ROBO_INSTRUCT IN.jsonl OUT.jsonl \
        [--tasks-from CODEBOTLER_CHECKOUT --only StaplerSupply,SayGoodDay]

Each input line has `task` and `program`; each output line is the input plus `roboeval`:
`{"passed", "error", "states": [{"passed", "error", "message"}]}`, `error` being RoboEval's
class (`Success`, `CompletionError`, `PythonError`, `RobotExecutionError`). With
`--tasks-from`, those task files (e.g. an older codebotler commit's) replace robo-instruct's,
their imports pointed at robo-instruct's modules, to grade with another benchmark version.

The child `python` must import numpy (robo-instruct's simulator does): run this with a Python
that has it on PATH (`just roboeval-harness` makes one).
"""

import argparse
import contextlib
import importlib
import io
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path


def prepare(benchmark: Path, tasks_from: Path = None, only=None) -> Path:
    """A directory with robo-instruct's `roboeval` package, some task files replaced."""
    root = Path(tempfile.mkdtemp(prefix="roboeval-harness-"))
    shutil.copytree(benchmark / "roboeval", root / "roboeval")
    if tasks_from is not None:
        for path in sorted((tasks_from / "benchmark/tasks").glob("*.py")):
            if only and path.stem not in only:
                continue
            source = path.read_text()
            source = re.sub(r"^sys\.path\..*$", "", source, flags=re.M)
            source = re.sub(r"^from (benchmark|misc)\.", r"from roboeval.\1.", source, flags=re.M)
            (root / "roboeval/benchmark/tasks" / path.name).write_text(source)
    return root


def grade(tracer, task: str, program: str):
    tests = importlib.import_module(f"roboeval.benchmark.tasks.{task}").tests
    states = []
    for i, test in enumerate(tests):
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # the harness's own progress lines
                trace, status = tracer.run_simulation(task, program, i, 1)
            if not test["timeout"] and status == "timeout":
                states.append({"passed": False, "error": "PythonError", "message": "timeout"})
            elif test["test"](trace):
                states.append({"passed": True, "error": "Success", "message": ""})
            else:
                states.append({"passed": False, "error": "CompletionError", "message": ""})
        except Exception as e:  # noqa: BLE001 - the harness's own classification
            kind = "RobotExecutionError" if "Robot" in str(e) else "PythonError"
            states.append({"passed": False, "error": kind, "message": str(e)})
    # As evaluate_program: the first state that does not run decides, else any failed check.
    error = next((s["error"] for s in states if s["error"] in ("PythonError", "RobotExecutionError")), None)
    error = error or ("CompletionError" if not all(s["passed"] for s in states) else "Success")
    return {"passed": error == "Success", "error": error, "states": states}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--benchmark", required=True, type=Path, help="a robo-instruct checkout")
    parser.add_argument("--tasks-from", type=Path, help="a codebotler checkout whose task files to grade with")
    parser.add_argument("--only", help="comma-separated task names to take from --tasks-from")
    parser.add_argument("input", type=Path)
    parser.add_argument("output", type=Path)
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    rows = [json.loads(line) for line in args.input.read_text().splitlines() if line.strip()]
    root = prepare(args.benchmark.resolve(), args.tasks_from.resolve() if args.tasks_from else None, only)
    output = args.output.resolve()
    try:
        os.chdir(root)
        sys.path.insert(0, str(root))
        tracer = importlib.import_module("roboeval.benchmark.simple_tracer")
        with open(output, "w") as out:
            for row in rows:
                row["roboeval"] = grade(tracer, row["task"], row["program"])
                out.write(json.dumps(row) + "\n")
                print(row.get("id", row["task"]), [s["passed"] for s in row["roboeval"]["states"]], file=sys.stderr)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
