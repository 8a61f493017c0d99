"""Type stubs for robosim (the extension module `robosim._robosim` and `robosim.data`)."""

from typing import Any, Dict, Iterable, List, Literal, Mapping, Optional

from robosim.data import VerifyBatch as VerifyBatch

GUEST_SHA256: str
__version__: str

class RobosimError(Exception):
    """robosim itself failed (not the program): the sandbox, a task file, …"""

class Verdict:
    """The verdict on one program."""

    @property
    def accepted(self) -> bool: ...
    @property
    def error_class(self) -> Optional[str]:
        """`RobotPickError`, `NameError`, `TimeOutError`, …; None when accepted."""
    @property
    def error(self) -> Optional[str]:
        """The reference-style last error line; None when accepted."""
    @property
    def line(self) -> Optional[int]: ...
    @property
    def paths(self) -> int: ...
    @property
    def exhausted(self) -> bool: ...
    @property
    def stopped(self) -> Literal["exhausted", "saturated", "capped", "failed", "not_run"]: ...
    @property
    def fuel_used(self) -> int: ...
    @property
    def wall_time(self) -> float: ...
    @property
    def failure(self) -> Optional[Dict[str, Any]]:
        """The failing path: choices (to replay it), decisions, trace, outcome."""
    @property
    def not_run(self) -> Optional[str]:
        """Why robosim could not verify the program (its own failure, not the program's)."""
    def to_dict(self) -> Dict[str, Any]:
        """The whole verdict, as `robosim verify-batch` writes it."""
    @staticmethod
    def from_json(text: str) -> "Verdict":
        """A verdict from its JSON (as `to_dict` gives it); verdicts pickle through it."""
    def __eq__(self, other: object) -> bool: ...

class Verifier:
    """Explores the worlds each program's choices open and reaches a verdict.

    A keyword left at None keeps robosim's default (`default_settings()`, or `robosim settings
    verify`): max_paths 100, max_depth 40, patience 12, random_runs 100, seed 0, fuel 2 G per
    path, fuel_budget 20 G, memory_mib 256, deadline_ms 10000, robot_calls 10000, output_bytes
    and robot_data_bytes 1 MiB. Raises ValueError for a bad setting, RobosimError when the
    sandbox cannot start. Pickles as its settings.
    """

    def __init__(
        self,
        *,
        search: Optional[Literal["coverage", "exhaustive", "random"]] = None,
        max_paths: Optional[int] = None,
        max_depth: Optional[int] = None,
        patience: Optional[int] = None,
        random_runs: Optional[int] = None,
        seed: Optional[int] = None,
        fuel: Optional[int] = None,
        fuel_budget: Optional[int] = None,
        memory_mib: Optional[int] = None,
        deadline_ms: Optional[int] = None,
        robot_calls: Optional[int] = None,
        output_bytes: Optional[int] = None,
        robot_data_bytes: Optional[int] = None,
        reference_normalization: Optional[bool] = None,
    ) -> None: ...
    @staticmethod
    def from_settings(settings: str) -> "Verifier":
        """A verifier with the settings `settings()` gave, as JSON."""
    def settings(self) -> Dict[str, Any]: ...
    def verify(self, program: str) -> Verdict: ...
    def verify_many(self, programs: Iterable[str], jobs: Optional[int] = None) -> List[Verdict]:
        """Verdicts in input order, GIL released; `jobs` > 1 (default: one per core) verifies in
        that many worker processes, kept with the verifier."""

def run(program: str, entry: Optional[str] = "task_program") -> Dict[str, Any]:
    """Runs a program once in an open world: outcome, trace, stdout, stderr, fuel, time."""

class Grader:
    """Grades completions on the benchmark tasks in `task_dir`, loaded once.

    A keyword left at None keeps grading's default (`default_grade_settings()`, or `robosim
    settings grade`): trace "printed" (RoboEval's reading of stdout; "calls" judges every robot
    call, for untrusted completions), fuel 1 G per world or state, the other limits as
    `Verifier`'s.
    """

    def __init__(
        self,
        task_dir: str,
        *,
        trace: Optional[Literal["printed", "calls"]] = None,
        fuel: Optional[int] = None,
        memory_mib: Optional[int] = None,
        deadline_ms: Optional[int] = None,
        output_bytes: Optional[int] = None,
        robot_calls: Optional[int] = None,
        robot_data_bytes: Optional[int] = None,
    ) -> None: ...
    def settings(self) -> Dict[str, Any]: ...
    def tasks(self) -> List[str]: ...
    def grade(self, completions: Iterable[Mapping[str, Any]], jobs: Optional[int] = 1) -> List[Dict[str, Any]]:
        """`robosim grade`'s record for each completion (`task`, `completion` or `program`), in
        order; `jobs` > 1 grades in that many worker processes, kept with the grader."""

def grade(
    task_dir: str,
    completions: Iterable[Mapping[str, Any]],
    *,
    trace: Optional[Literal["printed", "calls"]] = None,
    jobs: Optional[int] = 1,
    fuel: Optional[int] = None,
    memory_mib: Optional[int] = None,
    deadline_ms: Optional[int] = None,
    output_bytes: Optional[int] = None,
    robot_calls: Optional[int] = None,
    robot_data_bytes: Optional[int] = None,
) -> List[Dict[str, Any]]:
    """`Grader(task_dir, ...).grade(completions, jobs)` in one call."""

def default_settings() -> Dict[str, Any]: ...
def default_grade_settings() -> Dict[str, Any]: ...
