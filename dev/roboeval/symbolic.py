"""RoboEval's test functions evaluated symbolically, and robosim's JSON checks read into the
same form, so that the two can be compared as trees.

A test function builds its verdict from `Trace` queries combined with `and`, `or` and `not`.
Run with a symbolic `Trace` (each query returns a node naming the query, its static check
and the windows it was asked of) and with `and`/`or`/`not` rewritten into calls (Python
cannot overload them), a test function returns the tree of its verdict: every helper call,
loop over concrete values, pattern built by `contain_words` and so on is simply executed.
What cannot become a tree is a branch on a query's value (a `while` over the trace): using
a node as a truth value raises `NotATree`, and such a state is compared on traces instead.
"""

import ast
import difflib
from dataclasses import dataclass
from typing import Tuple, Union


class NotATree(Exception):
    """The test function branches on the value of a trace query."""


# --- nodes ------------------------------------------------------------------------------
# A static check is a tuple: (action, pattern) or ("ask", pattern, option pattern), with
# RoboEval's element names: GoTo, Say, Ask, CheckEntity, Pick, Place.
Match = Tuple[str, ...]
# A window: (kind, match), kind one of after_first, before_first, after_last, before_last.
Window = Tuple[str, Match]


class Node:
    def __bool__(self):
        raise NotATree(f"a branch on the value of {show(self)}")


@dataclass(frozen=True, eq=True)
class Query(Node):
    """`kind` is exists, terminal, precedes, act_at_first, act_at_any or count; `args` its
    arguments (matches, a location, a count); `windows` applied left to right."""

    kind: str
    args: tuple
    windows: Tuple[Window, ...] = ()

    __bool__ = Node.__bool__


@dataclass(frozen=True, eq=True)
class Op(Node):
    """and, or (over `items`) or not (one item)."""

    op: str
    items: tuple

    __bool__ = Node.__bool__


@dataclass(frozen=True, eq=True)
class Const(Node):
    value: bool

    __bool__ = Node.__bool__


Tree = Union[Query, Op, Const]


# --- the symbolic trace ---------------------------------------------------------------
def static_match(check) -> Match:
    """A StaticCheck object of rtl.py as a match tuple."""
    if check.regex_value2 is None:
        return (check.element_name, check.regex_value1)
    return (check.element_name, check.regex_value1, check.regex_value2)


class SymbolicTrace:
    """Stands in for rtl.py's `Trace`: windows accumulate, queries return nodes."""

    # The methods rtl.py's Trace has, all of which are modelled here.
    MODELLED = {"AfterFirst", "BeforeFirst", "AfterLast", "BeforeLast", "Exists", "Terminal", "Precedes", "ActAtFirst"}

    def __init__(self, _elements=None, windows=()):
        self.windows = tuple(windows)

    def _window(self, kind, check):
        return SymbolicTrace(windows=self.windows + ((kind, static_match(check)),))

    def AfterFirst(self, check):
        return self._window("after_first", check)

    def BeforeFirst(self, check):
        return self._window("before_first", check)

    def AfterLast(self, check):
        return self._window("after_last", check)

    def BeforeLast(self, check):
        return self._window("before_last", check)

    def Exists(self, check):
        return Query("exists", (static_match(check),), self.windows)

    def Terminal(self, check):
        return Query("terminal", (static_match(check),), self.windows)

    def Precedes(self, first, then):
        return Query("precedes", (static_match(first), static_match(then)), self.windows)

    def ActAtFirst(self, location, check):
        return Query("act_at_first", (location, static_match(check)), self.windows)

    def __getattr__(self, name):
        raise NotATree(f"the test reads Trace.{name}, which is not modelled")


def sym_and(*thunks):
    """Python's `a and b and …` over possibly symbolic values: a true constant is dropped (the
    value of `True and x` is `x`), a false one ends the chain (what follows is never
    evaluated), a symbolic one is kept in order."""
    return _chain("and", False, thunks)


def sym_or(*thunks):
    """`a or b or …`, the dual of `sym_and`."""
    return _chain("or", True, thunks)


def _chain(op, deciding, thunks):
    """`op` over `thunks`: a constant whose truth is `deciding` ends the chain."""
    kept = []
    for thunk in thunks:
        value = thunk()
        if isinstance(value, Node):
            kept.append(value)
        elif bool(value) == deciding:
            if not kept:
                return value
            kept.append(Const(deciding))
            break
        elif not kept and thunk is thunks[-1]:
            return value
    return kept[0] if len(kept) == 1 else Op(op, tuple(kept))


def sym_not(value):
    return Op("not", (value,)) if isinstance(value, Node) else not value


class _Rewrite(ast.NodeTransformer):
    """`a and b` → `_robosim_and(lambda: a, lambda: b)`; `not a` → `_robosim_not(a)`."""

    def visit_BoolOp(self, node):
        self.generic_visit(node)
        name = "_robosim_and" if isinstance(node.op, ast.And) else "_robosim_or"
        thunks = [ast.Lambda(args=ast.arguments([], [], None, [], [], None, []), body=v) for v in node.values]
        return ast.copy_location(ast.Call(ast.Name(name, ast.Load()), thunks, []), node)

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            return ast.copy_location(ast.Call(ast.Name("_robosim_not", ast.Load()), [node.operand], []), node)
        return node


def compile_symbolic(source: str, filename: str):
    """The task file's code with its boolean operators rewritten (see `_Rewrite`)."""
    tree = ast.fix_missing_locations(_Rewrite().visit(ast.parse(source, filename)))
    return compile(tree, filename, "exec")


SYMBOLIC_GLOBALS = {"_robosim_and": sym_and, "_robosim_or": sym_or, "_robosim_not": sym_not}


# --- robosim's JSON checks ------------------------------------------------------------
ACTIONS = {"go_to": "GoTo", "say": "Say", "ask": "Ask", "check_entity": "CheckEntity", "pick": "Pick", "place": "Place"}
WINDOWS = ("after_first", "before_first", "after_last", "before_last")


def json_match(value: dict) -> Match:
    ((key, pattern),) = value.items()
    if key == "ask":
        return ("Ask", pattern[0], pattern[1])
    return (ACTIONS[key], pattern)


def from_json(check) -> Tree:
    """A check of a robosim RoboEval task file as a tree."""
    if isinstance(check, bool):
        return Const(check)
    for op in ("and", "or"):
        if op in check:
            return Op(op, tuple(from_json(c) for c in check[op]))
    if "not" in check:
        return Op("not", (from_json(check["not"]),))
    windows = []
    for window in check.get("in", []):
        ((kind, m),) = window.items()
        windows.append((kind, json_match(m)))
    windows = tuple(windows)
    if "exists" in check:
        return Query("exists", (json_match(check["exists"]),), windows)
    if "terminal" in check:
        return Query("terminal", (json_match(check["terminal"]),), windows)
    if "precedes" in check:
        first, then = check["precedes"]
        return Query("precedes", (json_match(first), json_match(then)), windows)
    for kind in ("act_at_first", "act_at_any"):
        if kind in check:
            return Query(kind, (check[kind]["location"], json_match(check[kind]["action"])), windows)
    if "count" in check:
        return Query("count", (json_match(check["count"]), check["equals"]), windows)
    raise ValueError(f"not a check: {check!r}")


# --- normal form ------------------------------------------------------------------------
def normal(tree: Tree) -> Tree:
    """Rewrites that keep both the value and where an evaluation error arises:
    nested `and`s (`or`s) flattened, `true` dropped from `and` (`false` from `or`), a
    single-item `and`/`or` replaced by its item, `precedes(a, b)` as rtl.py defines it
    (`after_first(a)` then `exists(b)`), and `count(m) == n` as the chain rtl.py's tasks
    write for it: `m` exists in each of `n` successive after-first-`m` windows and not
    after the last."""
    if isinstance(tree, Const):
        return tree
    if isinstance(tree, Query):
        if tree.kind == "precedes":
            first, then = tree.args
            return Query("exists", (then,), tree.windows + (("after_first", first),))
        if tree.kind == "count":
            m, n = tree.args
            chain, windows = [], tree.windows
            for _ in range(n):
                chain.append(Query("exists", (m,), windows))
                windows = windows + (("after_first", m),)
            chain.append(Op("not", (Query("exists", (m,), windows),)))
            return normal(Op("and", tuple(chain)))
        return tree
    items = tuple(normal(i) for i in tree.items)
    if tree.op == "not":
        return Op("not", items)
    identity = Const(tree.op == "and")
    flat = []
    for item in items:
        if isinstance(item, Op) and item.op == tree.op:
            flat.extend(item.items)
        elif item != identity:
            flat.append(item)
    if not flat:
        return identity
    return flat[0] if len(flat) == 1 else Op(tree.op, tuple(flat))


# --- showing and comparing ------------------------------------------------------------
def show_match(m: Match) -> str:
    return f"{m[0]}({', '.join(repr(p) for p in m[1:])})"


def show(tree) -> str:
    """One line per tree, in rtl.py's spelling."""
    if tree is None:
        return "(nothing)"
    if isinstance(tree, Const):
        return str(tree.value)
    if isinstance(tree, Op):
        if tree.op == "not":
            return f"not {show(tree.items[0])}"
        return "(" + f" {tree.op} ".join(show(i) for i in tree.items) + ")"
    windows = "".join(f".{k}({show_match(m)})" for k, m in tree.windows)
    args = ", ".join(show_match(a) if isinstance(a, tuple) else repr(a) for a in tree.args)
    return f"trace{windows}.{tree.kind}({args})"


def leaves(tree) -> int:
    return sum(leaves(i) for i in tree.items) if isinstance(tree, Op) else 1


def differences(ours, theirs, path="check"):
    """Where two normal trees differ: (path, ours, theirs) for each smallest differing part,
    descending into `and`/`or`/`not` conjunct by conjunct; conjuncts only one side has are
    reported against `None`."""
    if ours == theirs:
        return []
    if not (isinstance(ours, Op) and isinstance(theirs, Op) and ours.op == theirs.op):
        return [(path, ours, theirs)]
    found = []
    blocks = difflib.SequenceMatcher(a=ours.items, b=theirs.items, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in blocks:
        if tag == "equal":
            continue
        mine, other = ours.items[i1:i2], theirs.items[j1:j2]
        for k in range(max(len(mine), len(other))):
            a = mine[k] if k < len(mine) else None
            b = other[k] if k < len(other) else None
            where = f"{path}.{ours.op}[{i1 + k if a is not None else i1}]"
            found.extend(differences(a, b, where) if a is not None and b is not None else [(where, a, b)])
    return found


def to_json(tree):
    """A tree as a robosim JSON check (the inverse of `from_json`)."""
    if isinstance(tree, Const):
        return tree.value
    if isinstance(tree, Op):
        if tree.op == "not":
            return {"not": to_json(tree.items[0])}
        return {tree.op: [to_json(i) for i in tree.items]}

    def m(match):
        key = {v: k for k, v in ACTIONS.items()}[match[0]]
        return {key: list(match[1:])} if key == "ask" else {key: match[1]}

    if tree.kind in ("act_at_first", "act_at_any"):
        check = {tree.kind: {"location": tree.args[0], "action": m(tree.args[1])}}
    elif tree.kind == "precedes":
        check = {"precedes": [m(tree.args[0]), m(tree.args[1])]}
    elif tree.kind == "count":
        check = {"count": m(tree.args[0]), "equals": tree.args[1]}
    else:
        check = {tree.kind: m(tree.args[0])}
    if tree.windows:
        check["in"] = [{kind: m(match)} for kind, match in tree.windows]
    return check
