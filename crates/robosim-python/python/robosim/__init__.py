"""robosim: verify LLM-written robot programs (Robo-Instruct's RoboSim) and grade them on RoboEval.

Every program runs in robosim's wasm sandbox (RustPython under wasmtime, bounded by fuel,
memory and a deadline): a hostile program ends in a typed verdict, never in an exception or
a crash of this process.

>>> import robosim
>>> verifier = robosim.Verifier()
>>> verdict = verifier.verify("def task_program():\\n    if not is_in_room('pen'):\\n        pick('pen')\\n")
>>> verdict.accepted, verdict.error_class, verdict.line
(False, 'RobotPickError', 3)
"""

from robosim._robosim import (
    GUEST_SHA256,
    Grader,
    RobosimError,
    Verdict,
    Verifier,
    __version__,
    default_grade_settings,
    default_settings,
    run,
)
from robosim.data import VerifyBatch


def grade(task_dir, completions, *, jobs=1, **settings):
    """Grades completions on the tasks in `task_dir`, as `robosim grade` does: `Grader(task_dir,
    **settings).grade(completions, jobs)` in one call (a `Grader` loads the tasks once for many)."""
    return Grader(task_dir, **settings).grade(completions, jobs=jobs)


__all__ = [
    "GUEST_SHA256",
    "Grader",
    "RobosimError",
    "Verdict",
    "Verifier",
    "VerifyBatch",
    "__version__",
    "default_grade_settings",
    "default_settings",
    "grade",
    "run",
]
