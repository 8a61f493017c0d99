"""robosim as OpenRLHF's remote reward: `--remote_rm_url /path/to/robosim/rewards/openrlhf.py`
with `--label_key task` (each prompt's task name reaches `reward_func` as its label).

`queries` are prompt and response together; the response is what follows the prompt. The task
directory is the `ROBOSIM_TASKS` environment variable; `ROBOSIM_REWARD_MODE=fraction` rewards
the share of worlds passed instead of 1.0/0.0. Rows with no known task get 0 and are counted
in the logs.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Sequence

from robosim.rewards import GradeReward, score

_REWARD: Dict[str, GradeReward] = {}


def _reward() -> GradeReward:
    tasks_dir = os.environ.get("ROBOSIM_TASKS")
    if not tasks_dir:
        raise ValueError("robosim needs its tasks: set ROBOSIM_TASKS to a task directory")
    if tasks_dir not in _REWARD:
        jobs = os.environ.get("ROBOSIM_JOBS")
        mode = os.environ.get("ROBOSIM_REWARD_MODE", "pass")
        _REWARD[tasks_dir] = GradeReward(tasks_dir, mode=mode, jobs=int(jobs) if jobs else None)
    return _REWARD[tasks_dir]


def reward_func(queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any]) -> Dict[str, Any]:
    """OpenRLHF's reward function: `rewards` (for the advantage), `scores` (for dynamic
    filtering) and `extra_logs`, as tensors when torch is there (it is, in OpenRLHF)."""
    reward = _reward()
    responses = [q[len(p):] if q.startswith(p) else q for q, p in zip(queries, prompts)]
    tasks = [t if isinstance(t, str) and t in reward._known else None for t in labels]
    records = reward.grade(responses, tasks)
    scores = [score(r, reward.mode) if t else None for r, t in zip(records, tasks)]
    values: List[float] = [0.0 if s is None else s for s in scores]
    ungraded = sum(1 for s in scores if s is None)
    try:
        import torch

        rewards: Any = torch.tensor(values, dtype=torch.float)
        logs: Any = {"robosim_ungraded": torch.tensor(float(ungraded))}
    except ImportError:
        rewards, logs = values, {"robosim_ungraded": float(ungraded)}
    return {"rewards": rewards, "scores": rewards, "extra_logs": logs}
