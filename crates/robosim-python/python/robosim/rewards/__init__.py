"""robosim as a reward for reinforcement learning: TRL reward functions (this module), verl's
`compute_score` (`robosim.rewards.verl`) and OpenRLHF's `reward_func`
(`robosim.rewards.openrlhf`).

Each grades completions on benchmark tasks in robosim's sandbox: the program is taken from
the answer as RoboEval's evaluation takes it (a fenced block, or the body of
`def task_program():`), run in every world of its task, and judged on what the robot did (the
`calls` reading of the trace, by default: what a program prints can neither add nor hide a
robot action). The tasks are loaded once; a batch is graded in worker processes.

>>> from robosim.rewards import GradeReward
>>> reward = GradeReward("my_tasks/")             # robosim's task format; see the README
>>> trainer = GRPOTrainer(model, reward_funcs=[reward], train_dataset=dataset)  # a `task` column
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from robosim._robosim import Grader, Verifier, extract_task_program, run

__all__ = ["AsyncGradeReward", "GradeReward", "VerifyReward", "completion_text", "score"]

MODES = ("pass", "fraction")


def completion_text(completion: Any) -> str:
    """The text of a completion: a str, or chat messages (the last assistant message's content,
    or the last message's, as TRL passes conversational completions)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        return str(completion.get("content", ""))
    messages = list(completion or [])
    for message in reversed(messages):
        if isinstance(message, Mapping) and message.get("role", "assistant") == "assistant":
            return str(message.get("content", ""))
    return str(messages[-1].get("content", "")) if messages else ""


def score(record: Mapping[str, Any], mode: str) -> Optional[float]:
    """The reward for one of `robosim grade`'s records: None where there is no grade (the row
    names no task robosim knows, or robosim could not finish grading it: not the model's fault),
    else 1.0/0.0 (`pass`: every world passed) or the share of the task's worlds passed
    (`fraction`)."""
    if record.get("status") not in ("passed", "failed"):
        return None
    if mode == "pass":
        return 1.0 if record["status"] == "passed" else 0.0
    worlds = record.get("worlds") or []
    return sum(1 for w in worlds if w.get("passed")) / len(worlds) if worlds else 0.0


def _error(record: Mapping[str, Any]) -> str:
    """What went wrong with a completion, for the trainer's logs."""
    status = record.get("status")
    if status == "passed":
        return ""
    if status != "failed":
        return str(record.get("message") or status)
    for world in record.get("worlds") or []:
        if not world.get("passed"):
            if world.get("outcome") not in (None, "completed"):
                error = world.get("error") or world.get("outcome")
                return str(error).split(":")[0]
            return "check failed"
    return "failed"


class _TrlReward:
    """TRL's calling convention: `reward(prompts=..., completions=..., completion_ids=...,
    log_extra=..., log_metric=..., **columns)`; subclasses say how to reward the batch
    (`_rewards`: the rewards and, per completion, what went wrong) and what the rate is called."""

    metric = "robosim/rate"

    def _rewards(self, completions: List[Any], columns: Mapping[str, Any]) -> Tuple[List[Optional[float]], Dict[str, list]]:
        raise NotImplementedError

    def __call__(
        self,
        prompts: Optional[Sequence[Any]] = None,
        completions: Optional[Sequence[Any]] = None,
        completion_ids: Optional[Sequence[Any]] = None,
        log_extra: Optional[Callable[[str, list], None]] = None,
        log_metric: Optional[Callable[[str, float], None]] = None,
        **columns: Any,
    ) -> List[Optional[float]]:
        rewards, logs = self._rewards(list(completions or []), columns)
        if log_extra is not None:
            for name, column in logs.items():
                log_extra(name, column)
        graded = [r for r in rewards if r is not None]
        if log_metric is not None and graded:
            log_metric(self.metric, sum(graded) / len(graded))
        return rewards


class GradeReward(_TrlReward):
    """A TRL reward function: `reward(prompts=..., completions=..., completion_ids=..., task=[...],
    **columns)` grades each completion on the task its row names (the dataset's `task` column,
    or the column `task_column` names) and returns one float per completion, or None where the
    row names no task robosim has or robosim itself failed (TRL leaves those out).

    `mode`: "pass" (1.0 when every world of the task passes, else 0.0) or "fraction" (the share
    of worlds passed). `trace`: "calls" (what the robot did; default) or "printed" (RoboEval's
    own reading of stdout). `jobs`: worker processes (default: one per core; 1 grades in this
    process). Other keywords are the grading limits (`fuel`, `memory_mib`, `deadline_ms`, …).
    When TRL passes `log_extra`/`log_metric`, each completion's status and error are logged as
    columns and the pass rate as a metric.
    """

    def __init__(
        self,
        tasks_dir: str,
        mode: str = "pass",
        trace: str = "calls",
        jobs: Optional[int] = None,
        task_column: str = "task",
        **limits: Any,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be 'pass' or 'fraction', not {mode!r}")
        self.grader = Grader(str(tasks_dir), trace=trace, **limits)
        self.mode = mode
        if jobs is not None and jobs < 1:
            raise ValueError(f"jobs must be at least 1, not {jobs}")
        # None: one worker process per core (the extension decides, as for robosim -j).
        self.jobs = jobs
        self.task_column = task_column
        self._known = set(self.grader.tasks())
        # TRL names a reward function's logged column after its __name__.
        self.__name__ = f"robosim_{mode}"
        self.metric = f"robosim/{mode}_rate"

    def grade(self, completions: Sequence[Any], tasks: Sequence[Optional[str]]) -> List[Mapping[str, Any]]:
        """`robosim grade`'s record for each completion on its task (None: no task)."""
        rows = [
            {"task": task if isinstance(task, str) else "", "completion": extract_task_program(completion_text(c))}
            for c, task in zip(completions, tasks)
        ]
        return self.grader.grade(rows, jobs=self.jobs)

    def _rewards(self, completions: List[Any], columns: Mapping[str, Any]) -> Tuple[List[Optional[float]], Dict[str, list]]:
        tasks = columns.get(self.task_column)
        if tasks is None:
            tasks = [None] * len(completions)
        elif isinstance(tasks, str):
            tasks = [tasks] * len(completions)
        tasks = [t if isinstance(t, str) and t in self._known else None for t in tasks]
        records = self.grade(completions, tasks)
        rewards = [None if task is None else score(r, self.mode) for r, task in zip(records, tasks)]
        logs = {
            "robosim_status": [r.get("status") if t else "no_task" for r, t in zip(records, tasks)],
            "robosim_error": [_error(r) if t else "no task" for r, t in zip(records, tasks)],
        }
        return rewards, logs


class AsyncGradeReward(GradeReward):
    """`GradeReward` as a coroutine function: TRL runs it alongside its other reward functions;
    the grading happens in a thread (and worker processes), the event loop stays free."""

    async def __call__(self, *args: Any, **kwargs: Any) -> List[Optional[float]]:  # type: ignore[override]
        call = super().__call__
        return await asyncio.to_thread(call, *args, **kwargs)


class VerifyReward(_TrlReward):
    """RoboSim acceptance as a reward, for generated instructions that have no checks: 1.0 when
    the program is accepted in every world its choices open and makes at least
    `min_robot_calls` robot calls (an empty program earns nothing), else 0.0; None where
    robosim could not verify it. Keywords are `robosim.Verifier`'s settings."""

    def __init__(self, min_robot_calls: int = 1, jobs: Optional[int] = None, **settings: Any) -> None:
        self.verifier = Verifier(**settings)
        self.min_robot_calls = min_robot_calls
        self.jobs = jobs
        self.__name__ = "robosim_accepted"

    metric = "robosim/accepted_rate"

    def _rewards(self, completions: List[Any], columns: Mapping[str, Any]) -> Tuple[List[Optional[float]], Dict[str, list]]:
        programs = [extract_task_program(completion_text(c)) for c in completions]
        verdicts = self.verifier.verify_many(programs, jobs=self.jobs)
        rewards: List[Optional[float]] = []
        for program, verdict in zip(programs, verdicts):
            if verdict.stopped == "not_run":
                rewards.append(None)
            elif not verdict.accepted:
                rewards.append(0.0)
            else:
                calls = len(run(program)["trace"])
                rewards.append(1.0 if calls >= self.min_robot_calls else 0.0)
        return rewards, {"robosim_error": [v.error_class or "" for v in verdicts]}
