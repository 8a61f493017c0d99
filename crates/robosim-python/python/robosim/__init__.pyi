"""Type stubs for robosim (the extension module `robosim._robosim` and `robosim.data`)."""

from typing import Any, Dict, Iterable, List, Literal, Mapping, Optional

from robosim.data import VerifyBatch as VerifyBatch

GUEST_SHA256: str

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
    def stopped(self) -> Literal["exhausted", "saturated", "capped", "failed"]: ...
    @property
    def fuel_used(self) -> int: ...
    @property
    def wall_time(self) -> float: ...
    @property
    def failure(self) -> Optional[Dict[str, Any]]:
        """The failing path: choices (to replay it), decisions, trace, outcome."""
    def to_dict(self) -> Dict[str, Any]:
        """The whole verdict, as `robosim verify-batch` writes it."""

class Verifier:
    """Explores the worlds each program's choices open and reaches a verdict.

    Raises ValueError for a bad setting, RobosimError when the sandbox cannot start.
    """

    def __init__(
        self,
        *,
        search: Literal["coverage", "exhaustive", "random"] = "coverage",
        max_paths: int = 100,
        max_depth: int = 40,
        patience: int = 12,
        random_runs: int = 100,
        seed: int = 0,
        fuel: int = 2_000_000_000,
        fuel_budget: int = 20_000_000_000,
        memory_mib: int = 256,
        deadline_ms: int = 10_000,
        robot_calls: int = 10_000,
        output_bytes: int = 1 << 20,
        robot_data_bytes: int = 1 << 20,
        reference_normalization: bool = False,
    ) -> None: ...
    def settings(self) -> Dict[str, Any]: ...
    def verify(self, program: str) -> Verdict: ...
    def verify_many(self, programs: Iterable[str], jobs: Optional[int] = None) -> List[Verdict]:
        """Verdicts in input order, on `jobs` threads (default: one per core), GIL released."""

def run(program: str, entry: Optional[str] = "task_program") -> Dict[str, Any]:
    """Runs a program once in an open world: outcome, trace, stdout, stderr, fuel, time."""

def grade(
    task_dir: str, completions: Iterable[Mapping[str, Any]], *, trace: str = "printed"
) -> List[Dict[str, Any]]:
    """Grades completions (`task`, `completion` or `program`) on the tasks in `task_dir`:
    `robosim grade`'s record for each, in order. `trace`: "printed" (RoboEval's reading of
    stdout) or "calls" (every robot call; prints neither add nor cut)."""

def default_settings() -> Dict[str, Any]: ...
