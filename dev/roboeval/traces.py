"""Differential comparison on generated traces: RoboEval's own test function, on its own
`rtl.py`, against our JSON check interpreted with the same `rtl.py` (our `act_at_any` as the
`while` loop the benchmark's tasks write, `count` by counting).

Traces are seeded with what real programs do: each program of the labelled corpus for the task
is run, in this process, on RoboEval's own simulator (`Robot`, `code_replace`, the trace parser
of `simple_tracer.py`) in each state, and each trace is then mutated (elements dropped,
doubled, swapped, replaced or inserted from the task's vocabulary, the trace cut short), so
that the generated traces sit near the boundary between passing and failing. Without a corpus
the traces are random over the task's vocabulary.
"""

import copy
import io
import json
import random
import signal
import sys
from contextlib import redirect_stdout
from pathlib import Path

from benchmark import MAIN_TASK_STATES
from symbolic import from_json

SAY_WORDS = ["yes", "no", "not", "without", "enjoy", "good day", "arrived", "1", "2", "3", "0", "72", "75", "65", "pm"]


class _Timeout(Exception):
    pass


def _alarm(_signum, _frame):
    raise _Timeout()


def simple_tracer(checkout):
    """RoboEval's `simple_tracer` module (program rewrite, trace parser)."""
    if "simple_tracer" not in checkout.modules:
        import importlib.util

        for name in ("bounded_subprocess", "utils"):
            spec = importlib.util.spec_from_file_location(f"roboeval.misc.{name}", checkout.misc / f"{name}.py")
            module = importlib.util.module_from_spec(spec)
            sys.modules[f"roboeval.misc.{name}"] = sys.modules[f"misc.{name}"] = module
            spec.loader.exec_module(module)
        spec = importlib.util.spec_from_file_location("roboeval.benchmark.simple_tracer", checkout.bench / "simple_tracer.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["roboeval.benchmark.simple_tracer"] = sys.modules["benchmark.simple_tracer"] = module
        spec.loader.exec_module(module)
        checkout.modules["simple_tracer"] = module
    return checkout.modules["simple_tracer"]


def run_program(checkout, program, state, seconds=0.3):
    """The trace RoboEval's simulator prints for `program` in `state` (a copy of it)."""
    tracer = simple_tracer(checkout)
    code = tracer.code_replace(program)
    namespace = {"__name__": "__main__", "robot": checkout.modules["simulator"].Robot(copy.deepcopy(state))}
    out = io.StringIO()
    old = signal.signal(signal.SIGALRM, _alarm)
    stdin, sys.stdin = sys.stdin, io.StringIO()
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        with redirect_stdout(out):
            exec("import time\n" + code, namespace)
    except BaseException:  # noqa: BLE001 - a program's own failure ends its trace, as in the harness
        pass
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        sys.stdin = stdin
    return tracer.construct_trace_element_from_str(out.getvalue()[:200_000])


def as_tuple(element):
    return (element.element_name, element.value1, None if element.value2 is None else tuple(element.value2))


def vocabulary(worlds, seeds):
    """Elements a mutation may insert: every element real programs produced for the task,
    arrivals at every location, checks and manipulations of every object, some sayings."""
    vocab = {e for trace in seeds for e in trace}
    for state in worlds:
        for loc in state.locations:
            vocab.add(("GoTo", loc, None))
        for labels in state.objects.values():
            for label in labels:
                vocab.update({("CheckEntity", label, None), ("Pick", label, None), ("Place", label, None)})
        vocab.add(("CheckEntity", "person", None))
    vocab.update(("Say", w, None) for w in SAY_WORDS)
    vocab.add(("Ask", "would you like it warmer or colder?", ("warmer", "colder")))
    return sorted(vocab, key=repr)


def mutate(trace, vocab, rng):
    trace = list(trace)
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(6)
        i = rng.randrange(len(trace) + 1)
        if kind == 0 and trace:
            del trace[min(i, len(trace) - 1)]
        elif kind == 1 and trace:
            j = min(i, len(trace) - 1)
            trace.insert(j, trace[j])
        elif kind == 2 and len(trace) > 1:
            j = min(i, len(trace) - 2)
            trace[j], trace[j + 1] = trace[j + 1], trace[j]
        elif kind == 3 and trace:
            trace[min(i, len(trace) - 1)] = rng.choice(vocab)
        elif kind == 4:
            trace.insert(i, rng.choice(vocab))
        else:
            trace = trace[: rng.randrange(len(trace) + 1)]
    return trace


def outcome(fn):
    try:
        return bool(fn())
    except Exception:  # noqa: BLE001 - where RoboEval's check raises, both must
        return "error"


def eval_ours(tree, trace, rtl):
    """Our check, as our JSON writes it, on rtl.py's Trace."""
    kind = type(tree).__name__
    if kind == "Const":
        return tree.value
    if kind == "Op":
        if tree.op == "not":
            return not eval_ours(tree.items[0], trace, rtl)
        if tree.op == "and":
            return all(eval_ours(i, trace, rtl) for i in tree.items)
        return any(eval_ours(i, trace, rtl) for i in tree.items)

    def check(m):
        return rtl.StaticCheck(*m)

    t = rtl.Trace(trace)
    for window, m in tree.windows:
        t = {"after_first": t.AfterFirst, "before_first": t.BeforeFirst,
             "after_last": t.AfterLast, "before_last": t.BeforeLast}[window](check(m))
    args = tree.args
    if tree.kind == "exists":
        return t.Exists(check(args[0]))
    if tree.kind == "terminal":
        return t.Terminal(check(args[0]))
    if tree.kind == "precedes":
        return t.Precedes(check(args[0]), check(args[1]))
    if tree.kind == "act_at_first":
        return t.ActAtFirst(args[0], check(args[1]))
    if tree.kind == "act_at_any":
        loc, action = args
        found = t.ActAtFirst(loc, check(action))
        while t.AfterFirst(rtl.GoTo(loc)).Exists(rtl.GoTo(loc)):
            t = t.AfterFirst(rtl.GoTo(loc))
            found = found or t.ActAtFirst(loc, check(action))
        return found
    if tree.kind == "count":
        return sum(check(args[0]).check_equal(e) for e in t.trace) == args[1]
    raise ValueError(tree.kind)


def corpus_programs(path, name):
    if path is None:
        return []
    wanted = name[: -len("Ablation")] if name.endswith("Ablation") else name
    programs = []
    with open(path) as f:
        for line in f:
            row = json.loads(line)
            if row["task"] in (wanted, wanted + "Ablation") and row["program"] not in programs:
                programs.append(row["program"])
    return programs


def compare_task(name, checkout, path, ours, args, report, loop_states, fixture, rng):
    tests = checkout.load_task(path, symbolic=False)["tests"]
    worlds = [t["state"] for t in tests]
    if name in MAIN_TASK_STATES:
        main_path = path.parent.parent / f"{name[: -len('Ablation')]}.py"
        worlds = [t["state"] for t in checkout.load_task(main_path, symbolic=False)["tests"]]
    rtl = checkout.modules["rtl"]
    element = rtl.TraceElement
    programs = corpus_programs(args.corpus, name)
    counts = {"traces": 0, "passing": 0, "errors": 0, "differ": 0}
    for i, (test, world, state) in enumerate(zip(tests, worlds, ours["states"])):
        # A waiting loop leaves thousands of elements; its first 80 show what it does.
        seeds = [[as_tuple(e) for e in run_program(checkout, p, world)][:80] for p in programs]
        vocab = vocabulary(worlds, seeds)
        n = args.traces if (name, i) in loop_states else max(args.traces // 20, 200)
        tree = from_json(state["check"])
        sampled = {True: [], False: [], "error": []}
        for k in range(n):
            if seeds and k < len(seeds):
                trace = seeds[k]
            elif seeds:
                trace = mutate(rng.choice(seeds), vocab, rng)
            else:
                trace = [rng.choice(vocab) for _ in range(rng.randrange(12))]
            elements = [element(a, b, None if c is None else list(c)) for a, b, c in trace]
            theirs = outcome(lambda: test["test"](elements))
            mine = outcome(lambda: eval_ours(tree, elements, rtl))
            counts["traces"] += 1
            counts["passing"] += theirs is True
            counts["errors"] += theirs == "error"
            if theirs != mine:
                counts["differ"] += 1
                if counts["differ"] <= 3:
                    report.problem(name, f"state {i} on trace {trace}: RoboEval {theirs}, ours {mine}")
            if len(sampled[theirs]) < args.fixture_per_state:
                sampled[theirs].append(trace)
        if fixture is not None:
            # Half passing where there are such traces, two that raise, the rest failing.
            per = args.fixture_per_state
            chosen = [(True, t) for t in sampled[True][: per // 2]] + [("error", t) for t in sampled["error"][:2]]
            chosen += [(False, t) for t in sampled[False][: per - len(chosen)]]
            for verdict, trace in chosen:
                fixture.append({"task": name, "state": i, "roboeval": verdict,
                                "trace": [[a, b, None if c is None else list(c)] for a, b, c in trace]})
    return counts


def compare_all(loaded, ours, loop_states, args, report):
    """Every state on generated traces: `--traces` for the states in `loop_states` (those that
    are not trees), a twentieth of that (at least 200) for the others. Returns a summary line."""
    rng = random.Random(20241206)
    fixture = [] if args.fixture else None
    totals = {"traces": 0, "passing": 0, "errors": 0, "differ": 0}
    for name in sorted(loaded):
        checkout, path = loaded[name]
        counts = compare_task(name, checkout, path, ours[name], args, report, loop_states, fixture, rng)
        for k in totals:
            totals[k] += counts[k]
    if fixture is not None:
        Path(args.fixture).parent.mkdir(parents=True, exist_ok=True)
        with open(args.fixture, "w") as f:
            for row in fixture:
                f.write(json.dumps(row, separators=(",", ":")) + "\n")
    return (f"generated traces: {totals['traces']} ({totals['passing']} pass RoboEval's check, {totals['errors']} make it "
            f"raise), {totals['differ']} judged otherwise by ours")
