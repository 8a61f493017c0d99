"""Verification inside data tools: Hugging Face `datasets` (worker processes) and Ray Data
on a local cluster (one `VerifyBatch`, so one `Verifier`, per actor)."""

import json

import pytest

import robosim
from robosim.data import VerifyBatch, verdict_columns

PROGRAMS = [
    "def task_program():\n    go_to('kitchen')\n    say('hi')\n",
    "def task_program():\n    if not is_in_room('pen'):\n        pick('pen')\n",
    "def task_program():\n    while True:\n        pass\n",
    "def task_program(:\n",
] * 4
EXPECTED = [None, "RobotPickError", "TimeOutError", "SyntaxError"] * 4


def rows():
    return [{"id": i, "instruction": f"task {i}", "program": p} for i, p in enumerate(PROGRAMS)]


def test_verify_batch_adds_verdict_columns():
    batch = {"id": list(range(len(PROGRAMS))), "program": PROGRAMS}
    out = VerifyBatch(max_paths=10)(batch)
    assert set(verdict_columns()) <= set(out) and out["id"] == batch["id"]
    assert [c or None for c in out["error_class"]] == EXPECTED
    assert out["accepted"][0] and not any(out["accepted"][1:4])
    assert json.loads(out["verdict"][1])["failure"]["class"] == "RobotPickError"


def test_datasets_map_with_worker_processes():
    datasets = pytest.importorskip("datasets")
    dataset = datasets.Dataset.from_list(rows())
    verified = dataset.map(VerifyBatch(), batched=True, batch_size=4, num_proc=2)
    assert verified["id"] == list(range(len(PROGRAMS)))
    assert [c or None for c in verified["error_class"]] == EXPECTED
    # The same verdicts as the library gives in this process.
    direct = robosim.Verifier().verify_many(PROGRAMS)
    assert verified["paths"] == [v.paths for v in direct]


def test_ray_data_map_batches_on_a_local_cluster():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    try:
        dataset = ray.data.from_items(rows())
        verified = dataset.map_batches(
            VerifyBatch, fn_constructor_kwargs={"max_paths": 50}, batch_size=4, concurrency=2, batch_format="default"
        )
        out = sorted(verified.take_all(), key=lambda r: r["id"])
        assert [r["error_class"] or None for r in out] == EXPECTED
        assert [bool(r["accepted"]) for r in out] == [c is None for c in EXPECTED]
    finally:
        ray.shutdown()
