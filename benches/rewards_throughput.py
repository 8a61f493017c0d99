"""A GRPO-sized reward batch through `robosim.rewards.GradeReward`: 1,024 completions on RoboEval's
tasks (the labelled corpus's programs, as chat completions in a fenced block), `fraction`
mode, `calls` reading, on all cores. Run by `just bench-rewards`.

Prints the first call (worker processes starting) and the steady state (the mean of the
next ones), and the peak RSS of this process and of its largest worker."""

import json
import os
import pathlib
import resource
import sys
import time

from robosim.rewards import GradeReward

corpus, tasks_dir = pathlib.Path(sys.argv[1]), sys.argv[2]
size = int(sys.argv[3]) if len(sys.argv) > 3 else 1024
rows = [json.loads(line) for line in corpus.read_text().splitlines()][:size]
completions = [[{"role": "assistant", "content": f"```python\n{r['program']}\n```"}] for r in rows]
tasks = [r["task"] for r in rows]

reward = GradeReward(tasks_dir, mode="fraction", jobs=2)
times = []
for _ in range(4):
    started = time.perf_counter()
    values = reward(prompts=[""] * len(rows), completions=completions, task=tasks)
    times.append(time.perf_counter() - started)
graded = [v for v in values if v is not None]
steady = sum(times[1:]) / len(times[1:])
print(f"{len(rows)} completions, {len(graded)} graded, mean reward {sum(graded) / len(graded):.3f}")
print(f"first call (workers starting): {times[0]:.2f} s; then {steady:.2f} s a batch ({len(rows) / steady:.0f} completions/s)")


def worker_peaks():
    """Peak RSS (KiB) of this process's worker processes, alive as long as the reward is."""
    peaks = []
    for entry in pathlib.Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == os.getpid():
                status = (entry / "status").read_text()
                peaks += [int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")]
        except OSError:
            continue
    return peaks


me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
peaks = worker_peaks()
print(f"peak RSS: this process {me / 1024:.0f} MiB; {len(peaks)} workers, the largest {max(peaks, default=0) / 1024:.0f} MiB")
