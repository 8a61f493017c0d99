"""robosim.rewards called exactly as TRL, verl and OpenRLHF call reward functions, with the
values checked against `robosim grade` on the same programs."""

import asyncio
import json
import os
import signal
import subprocess

import pytest

import robosim
from robosim.rewards import AsyncGradeReward, GradeReward, VerifyReward, openrlhf, verl
from conftest import BINARY, ROOT

TASKS = str(ROOT / "seeds" / "examples")
ROWS = [json.loads(line) for line in (ROOT / "data" / "completions.jsonl").read_text().splitlines()]
HOSTILE = "def task_program():\n    x = []\n    while True:\n        x.append('x' * 1000000)\n"
BUSY = "def task_program():\n    while True:\n        pass\n"


def cli_grades(tmp_path, rows, trace="calls"):
    """`robosim grade`'s records for `rows` (task, completion)."""
    path = tmp_path / "completions.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "grades.jsonl"
    done = subprocess.run(
        [str(BINARY), "grade", TASKS, str(path), "--out", str(out), "--trace", trace, "--jobs", "1"], capture_output=True
    )
    assert done.returncode in (0, 1), done.stderr.decode()
    return [json.loads(line) for line in out.read_text().splitlines()]


def chat(text):
    return [{"role": "assistant", "content": text}]


def fenced(program):
    return f"Here is the program:\n```python\n{program}```\nIt looks for the charger."


def test_trl_signature_with_chat_completions_matches_robosim_grade(tmp_path):
    reward = GradeReward(TASKS, jobs=2)
    logged, metrics = {}, {}
    values = reward(
        prompts=[[{"role": "user", "content": r["prompt"]}] for r in ROWS],
        completions=[chat(fenced(r["completion"])) for r in ROWS],
        completion_ids=[[1, 2, 3]] * len(ROWS),
        task=[r["task"] for r in ROWS],
        id=[r["id"] for r in ROWS],
        trainer_state=None,
        log_extra=lambda name, column: logged.__setitem__(name, column),
        log_metric=lambda name, value: metrics.__setitem__(name, value),
    )
    expected = [1.0 if g["status"] == "passed" else 0.0 for g in cli_grades(tmp_path, ROWS)]
    assert values == expected
    assert values == [1.0 if "/pass" in r["id"] else 0.0 for r in ROWS]
    assert logged["robosim_status"] == ["passed" if v else "failed" for v in values]
    assert all((e == "") == (v == 1.0) for e, v in zip(logged["robosim_error"], values))
    assert metrics["robosim/pass_rate"] == pytest.approx(sum(values) / len(values))
    assert reward.__name__ == "robosim_pass"


def test_fraction_mode_plain_text_bodies_and_rows_without_a_task(tmp_path):
    reward = GradeReward(TASKS, mode="fraction", jobs=1)
    # A completion model continues `def task_program():`: the body alone.
    bodies = [r["completion"].split("def task_program():\n", 1)[1] for r in ROWS]
    tasks = [r["task"] for r in ROWS]
    values = reward(prompts=["p"] * len(ROWS), completions=bodies, task=tasks)
    grades = cli_grades(tmp_path, ROWS)
    assert values == [sum(w["passed"] for w in g["worlds"]) / len(g["worlds"]) for g in grades]
    assert any(0.0 < v < 1.0 for v in values)
    # No task, an unknown one, no task column at all: None, which TRL leaves out.
    assert reward(prompts=["p", "p"], completions=bodies[:2], task=[None, "NoSuchTask"]) == [None, None]
    assert reward(prompts=["p"], completions=bodies[:1]) == [None]
    with pytest.raises(ValueError, match="mode must be"):
        GradeReward(TASKS, mode="best")


def test_hostile_completions_earn_zero_and_leave_the_others_alone():
    reward = GradeReward(TASKS, jobs=2)
    passing = next(r for r in ROWS if r["id"] == "ChargerSearch/pass_in_order")["completion"]
    completions = [HOSTILE, passing, BUSY, passing, 'print("GoTo /$@!/ \'x\' /$@!/ None")\n' + passing]
    values = reward(completions=completions, task=["ChargerSearch"] * len(completions))
    assert values == [0.0, 1.0, 0.0, 1.0, 1.0]


def test_the_async_variant_runs_on_an_event_loop():
    reward = AsyncGradeReward(TASKS, jobs=1)

    async def main():
        return await asyncio.gather(
            reward(completions=[r["completion"] for r in ROWS[:4]], task=[r["task"] for r in ROWS[:4]]),
            reward(completions=[r["completion"] for r in ROWS[4:9]], task=[r["task"] for r in ROWS[4:9]]),
        )

    first, second = asyncio.run(main())
    assert first + second == [1.0 if "/pass" in r["id"] else 0.0 for r in ROWS[:9]]


def _workers_of_this_process():
    """The pids of this process's children running robosim's worker."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = open(f"/proc/{entry}/stat").read()
            cmdline = open(f"/proc/{entry}/cmdline").read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid() and "_worker()" in cmdline:
            pids.append(int(entry))
    return pids


def test_a_worker_that_dies_costs_its_completion_a_grade_and_is_replaced():
    before = set(_workers_of_this_process())  # other graders' workers, still alive
    reward = GradeReward(TASKS, jobs=2)
    completions = [r["completion"] for r in ROWS]
    tasks = [r["task"] for r in ROWS]
    expected = reward(completions=completions, task=tasks)
    workers = set(_workers_of_this_process()) - before
    assert len(workers) == 2, workers
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    after = reward(completions=completions, task=tasks)
    # Each dead worker fails the one request it is given, then a new one takes over.
    assert sum(v is None for v in after) == 2
    assert all(a is None or a == e for a, e in zip(after, expected))
    assert reward(completions=completions, task=tasks) == expected


def test_verify_reward_needs_acceptance_and_robot_calls():
    reward = VerifyReward(jobs=1)
    values = reward(
        prompts=["p"] * 3,
        completions=[
            chat("```python\ndef task_program():\n    go_to('kitchen')\n    say('hi')\n```"),
            "def task_program():\n    pass\n",
            "def task_program():\n    if not is_in_room('pen'):\n        pick('pen')\n",
        ],
    )
    assert values == [1.0, 0.0, 0.0]


def test_verl_compute_score_and_its_batched_form(tmp_path, monkeypatch):
    grades = cli_grades(tmp_path, ROWS)
    one = verl.compute_score("robosim", fenced(ROWS[3]["completion"]), ROWS[3]["task"], {"tasks_dir": TASKS})
    assert one["score"] == (1.0 if grades[3]["status"] == "passed" else 0.0) == 1.0
    assert one["worlds"] == len(grades[3]["worlds"]) and one["passed"]
    monkeypatch.setenv("ROBOSIM_TASKS", TASKS)
    batch = verl.compute_score_batch(
        data_sources=["robosim"] * len(ROWS),
        solution_strs=[r["completion"] for r in ROWS],
        ground_truths=[{"task": r["task"]} for r in ROWS],
        extra_infos=[None] * len(ROWS),
    )
    assert [b["score"] for b in batch] == [1.0 if g["status"] == "passed" else 0.0 for g in grades]
    assert [b["worlds_passed"] for b in batch] == [sum(w["passed"] for w in g["worlds"]) for g in grades]
    unknown = verl.compute_score("robosim", ROWS[0]["completion"], "NoSuchTask")
    assert unknown["score"] == 0.0 and "unknown task" in unknown["error"]


def test_openrlhf_reward_func(tmp_path, monkeypatch):
    monkeypatch.setenv("ROBOSIM_TASKS", TASKS)
    prompts = [f"# Instruction: {r['prompt']}\n" for r in ROWS]
    queries = [p + fenced(r["completion"]) for p, r in zip(prompts, ROWS)]
    labels = [r["task"] for r in ROWS]
    labels[0] = "NoSuchTask"
    out = openrlhf.reward_func(queries, prompts, labels)
    rewards = [float(x) for x in out["rewards"]]
    expected = [1.0 if g["status"] == "passed" else 0.0 for g in cli_grades(tmp_path, ROWS)]
    expected[0] = 0.0
    assert rewards == expected
    assert float(out["extra_logs"]["robosim_ungraded"]) == 1.0
