#!/usr/bin/env python3
"""Checks robosim's RoboEval task files (`seeds/roboeval/*.json`) against RoboEval's own
task files, mechanically: for every task, its name and prompts; for every state, the world
(locations, objects, agents with their answer patterns, the robot's start) and the timeout
flag; and the state's test function, evaluated symbolically into a tree of trace queries
(`symbolic.py`) and compared, conjunct by conjunct, with our JSON check read into the same
form. Where a test function branches on the trace (a `while` over visits), the state is
compared on generated traces instead (`traces.py`): the benchmark's own test function on its
own `rtl.py` against our check, on mutations of the traces that real programs leave.

    python3 dev/roboeval/port_check.py --benchmark ROBO_INSTRUCT --ablations CODEBOTLER \
        --ours seeds/roboeval [--corpus ../shared/corpus/roboeval_dev.jsonl] [--traces N] \
        [--fixture tests/fixtures/roboeval/traces.jsonl]

Exit status 0 when nothing differs but the deliberate deviations it names, 1 otherwise.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchmark import MAIN_TASK_STATES, Checkout  # noqa: E402
from symbolic import Const, NotATree, differences, from_json, leaves, normal, show, to_json  # noqa: E402
import traces  # noqa: E402


def world_of(state):
    """A RoboEval `State` as comparable data."""
    return {
        "locations": list(state.locations),
        "objects": {loc: list(labels) for loc, labels in state.objects.items()},
        "agents": {loc: [(name, list(answers)) for name, answers in agents] for loc, agents in state.agents.items()},
        "robot": state.robot_location,
    }


def world_of_json(state):
    objects, agents = {}, {}
    for o in state["objects"]:
        objects.setdefault(o["location"], []).append(o["label"])
    for a in state["agents"]:
        agents.setdefault(a["location"], []).append((a["name"], list(a["answers"])))
    return {"locations": state["locations"], "objects": objects, "agents": agents, "robot": state["robot"]}


class Report:
    def __init__(self):
        self.problems = []
        self.deviations = []
        self.lines = []

    def problem(self, task, text):
        self.problems.append(f"{task}: {text}")

    def deviation(self, task, text):
        self.deviations.append(f"{task}: {text}")


def json_of_world(state, timeout, check):
    return {
        "locations": list(state.locations),
        "objects": [{"label": label, "location": loc} for loc, labels in state.objects.items() for label in labels],
        "agents": [{"name": n, "location": loc, "answers": list(a)} for loc, agents in state.agents.items() for n, a in agents],
        "robot": state.robot_location,
        "timeout": timeout,
        "check": check,
    }


def check_task(name, ours, theirs, main, checkout, path, report, loops, write=False):
    """Compares one task; `main` is the main task's module for an ablation (whose states we
    take from the main task, deliberately), else None. With `write`, `ours` is brought in
    line with the benchmark wherever the comparison is mechanical (source, prompts, worlds,
    timeouts, checks that are trees); checks compared on traces are left as they are."""
    expected_source = f"{checkout.repository}@{checkout.commit()} {checkout.source_name(path)}"
    if ours.get("source") != expected_source:
        report.problem(name, f"source is {ours.get('source')!r}, expected {expected_source!r}")
        if write:
            ours["source"] = expected_source
    # An ablation file names its main task; ours are named after the file (CountSavoryAblation).
    expected_name = path.stem if main is not None else theirs["name"]
    if ours["name"] != expected_name:
        report.problem(name, f"name {ours['name']!r}, expected {expected_name!r}")
    if ours["prompts"] != list(theirs["prompts"]):
        for i, (a, b) in enumerate(zip(ours["prompts"], theirs["prompts"])):
            if a != b:
                report.problem(name, f"prompt {i}: ours {a!r}, theirs {b!r}")
        if len(ours["prompts"]) != len(theirs["prompts"]):
            report.problem(name, f"{len(ours['prompts'])} prompts, theirs {len(theirs['prompts'])}")
        if write:
            ours["prompts"] = list(theirs["prompts"])
    tests = theirs["tests"]
    worlds_from = tests
    if main is not None:
        if ours.get("ablation_of") != main["name"]:
            report.problem(name, f"ablation_of {ours.get('ablation_of')!r}, expected {main['name']!r}")
        if name in MAIN_TASK_STATES:
            worlds_from = main["tests"]
            if [world_of(t["state"]) for t in tests] != [world_of(t["state"]) for t in worlds_from]:
                report.deviation(name, f"states are the main task's: {MAIN_TASK_STATES[name]}")
    if len(ours["states"]) != len(tests):
        report.problem(name, f"{len(ours['states'])} states, theirs {len(tests)}")
        if write:
            ours["states"] = (ours["states"] + [{"check": False}] * len(tests))[: len(tests)]
    counted = {"trees": 0, "leaves": 0, "loops": 0}
    for i, (state, test, world) in enumerate(zip(ours["states"], tests, worlds_from)):
        differs = False
        if "locations" not in state or world_of_json(state) != world_of(world["state"]):
            report.problem(name, f"state {i} world: ours {world_of_json(state) if 'locations' in state else None}, "
                                 f"theirs {world_of(world['state'])}")
            differs = True
        elif state["timeout"] != world["timeout"]:
            report.problem(name, f"state {i} timeout: ours {state['timeout']}, theirs {world['timeout']}")
            differs = True
        if write and differs:
            state.update(json_of_world(world["state"], world["timeout"], state["check"]))
        try:
            tree = test["test"]([])
        except NotATree as branch:
            counted["loops"] += 1
            loops.append((name, i, str(branch)))
            continue
        theirs_tree = normal(Const(tree) if isinstance(tree, bool) else tree)
        ours_tree = normal(from_json(state["check"]))
        counted["trees"] += 1
        counted["leaves"] += leaves(theirs_tree)
        for where, a, b in differences(ours_tree, theirs_tree, f"state {i} check"):
            report.problem(name, f"{where}:\n      ours:   {show(a)}\n      theirs: {show(b)}")
            if write:
                state["check"] = to_json(tree)
    return counted


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--benchmark", required=True, type=Path, help="a robo-instruct (or codebotler) checkout")
    parser.add_argument("--ablations", type=Path, help="a codebotler checkout, for the ablation tasks")
    parser.add_argument("--ours", default=Path("seeds/roboeval"), type=Path)
    parser.add_argument("--corpus", type=Path, help="roboeval_dev.jsonl: its programs' traces seed the generated ones")
    parser.add_argument("--traces", type=int, default=20000, help="generated traces per state compared (0: none)")
    parser.add_argument("--fixture", type=Path, help="write a sample of the generated traces and verdicts here")
    parser.add_argument("--fixture-per-state", type=int, default=16)
    parser.add_argument("--write", action="store_true",
                        help="rewrite our files where they differ (checks compared on traces excepted), then compare")
    args = parser.parse_args()

    main_checkout = Checkout(args.benchmark)
    report = Report()
    files = {name: (main_checkout, path) for name, path in main_checkout.task_files().items()}
    if args.ablations:
        ablation_checkout = Checkout(args.ablations)
        for name, path in ablation_checkout.task_files().items():
            if path.parent.name == "open_world_knowledge":
                files[name] = (ablation_checkout, path)
    ours = {p.stem: json.loads(p.read_text()) for p in sorted(args.ours.glob("*.json"))}
    for missing in sorted(set(files) - set(ours)):
        report.problem(missing, "a benchmark task with no robosim file")
    for extra in sorted(set(ours) - set(files)):
        report.problem(extra, "a robosim file with no benchmark task")

    loops, loaded, totals = [], {}, {"tasks": 0, "states": 0, "trees": 0, "leaves": 0, "loops": 0}
    for name in sorted(set(files) & set(ours)):
        checkout, path = files[name]
        loaded[name] = (checkout, path)
        theirs = checkout.load_task(path, symbolic=True)
        main_task = None
        if name.endswith("Ablation"):
            of_checkout, of_path = files[name[: -len("Ablation")]]
            main_task = of_checkout.load_task(of_path, symbolic=True)
        if args.write:
            before = json.dumps(ours[name])
            check_task(name, ours[name], theirs, main_task, checkout, path, Report(), [], write=True)
            if json.dumps(ours[name]) != before:
                (args.ours / f"{name}.json").write_text(json.dumps(ours[name], indent=2) + "\n")
                print(f"{name}: rewritten")
        counted = check_task(name, ours[name], theirs, main_task, checkout, path, report, loops)
        totals["tasks"] += 1
        totals["states"] += len(theirs["tests"])
        for k in ("trees", "leaves", "loops"):
            totals[k] += counted[k]
        print(f"{name:24} {len(theirs['tests'])} states: {counted['trees']} compared as trees "
              f"({counted['leaves']} queries), {counted['loops']} on traces")

    print(f"\n{totals['tasks']} tasks, {totals['states']} states: {totals['trees']} checks compared as trees "
          f"({totals['leaves']} trace queries), {totals['loops']} only on traces")
    for name, i, why in loops:
        how = f"compared on {args.traces} generated traces" if args.traces else "NOT compared (--traces 0)"
        print(f"  {name} state {i}: not a tree ({why}); {how}")
    if args.traces:
        print(traces.compare_all(loaded, ours, {(n, i) for n, i, _ in loops}, args, report))
    for d in report.deviations:
        print(f"deliberate: {d}")
    for p in report.problems:
        print(f"DIFFERS: {p}")
    print(f"\n{len(report.problems)} differences, {len(report.deviations)} deliberate deviations")
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
