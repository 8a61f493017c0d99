"""robosim as verl's reward: `custom_reward_function.path` set to this module's file and
`custom_reward_function.name` to `compute_score` (one sample) or `compute_score_batch` (with
`reward_model.reward_manager=batch`, which grades the batch in parallel).

`ground_truth` names the task (or is a dict with `task`); the task directory is
`extra_info["tasks_dir"]` or the `ROBOSIM_TASKS` environment variable. The answer is a dict
with `score` (1.0/0.0, or the share of worlds passed when `ROBOSIM_REWARD_MODE=fraction`) and
the fields verl logs beside it: `passed`, `worlds_passed`, `worlds`, `error`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Dict, List, Optional, Sequence

from robosim.rewards import GradeReward, _error, score

_REWARDS: Dict[tuple, GradeReward] = {}


def _reward(tasks_dir: Optional[str]) -> GradeReward:
    tasks_dir = tasks_dir or os.environ.get("ROBOSIM_TASKS")
    if not tasks_dir:
        raise ValueError("robosim needs its tasks: set extra_info['tasks_dir'] or ROBOSIM_TASKS")
    mode = os.environ.get("ROBOSIM_REWARD_MODE", "pass")
    key = (tasks_dir, mode)
    if key not in _REWARDS:
        jobs = os.environ.get("ROBOSIM_JOBS")
        _REWARDS[key] = GradeReward(tasks_dir, mode=mode, jobs=int(jobs) if jobs else None)
    return _REWARDS[key]


def _task(ground_truth: Any) -> Optional[str]:
    if isinstance(ground_truth, Mapping):
        ground_truth = ground_truth.get("task")
    return ground_truth if isinstance(ground_truth, str) else None


def _result(reward: GradeReward, record: Dict[str, Any], task: Optional[str]) -> Dict[str, Any]:
    value = score(record, reward.mode) if task in reward._known else None
    worlds = record.get("worlds") or []
    return {
        # verl needs a number: no grade (no such task, or robosim failed) scores 0 and says why.
        "score": 0.0 if value is None else value,
        "passed": record.get("status") == "passed",
        "worlds_passed": sum(1 for w in worlds if w.get("passed")),
        "worlds": len(worlds),
        "error": _error(record) if task in reward._known else f"unknown task {task!r}",
    }


def compute_score(
    data_source: str, solution_str: str, ground_truth: Any, extra_info: Optional[Dict[str, Any]] = None, **kwargs: Any
) -> Dict[str, Any]:
    """verl's per-sample reward."""
    reward = _reward((extra_info or {}).get("tasks_dir"))
    task = _task(ground_truth)
    known = task if task in reward._known else None
    record = reward.grade([solution_str], [known])[0]
    return _result(reward, record, task)


def compute_score_batch(
    data_sources: Sequence[str],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Optional[Sequence[Optional[Dict[str, Any]]]] = None,
    **kwargs: Any,
) -> List[Dict[str, Any]]:
    """verl's batched reward (`BatchRewardManager`): the whole batch graded in parallel."""
    extra_infos = list(extra_infos or [None] * len(solution_strs))
    first = next((e.get("tasks_dir") for e in extra_infos if e and e.get("tasks_dir")), None)
    reward = _reward(first)
    tasks = [_task(g) for g in ground_truths]
    known = [t if t in reward._known else None for t in tasks]
    records = reward.grade(list(solution_strs), known)
    return [_result(reward, r, t) for r, t in zip(records, tasks)]

