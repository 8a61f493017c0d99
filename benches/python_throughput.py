"""Programs/s on the dev corpus through the Python package: `Verifier.verify_many` (threads in
this process) and Ray Data (`map_batches(VerifyBatch, concurrency=2)` on a local cluster).
Run by `just bench-python`, beside `robosim verify-batch` on the same corpus."""

import json
import pathlib
import sys
import time

import robosim
from robosim.data import VerifyBatch

corpus = pathlib.Path(sys.argv[1])
rows = [json.loads(line) for line in corpus.read_text().splitlines()]
programs = [r["program"] for r in rows]

verifier = robosim.Verifier()
for jobs in (1, 2):
    started = time.perf_counter()
    verdicts = verifier.verify_many(programs, jobs=jobs)
    seconds = time.perf_counter() - started
    rejected = sum(not v.accepted for v in verdicts)
    print(f"verify_many(jobs={jobs}): {len(programs)} programs, {rejected} rejected, {seconds:.2f} s, {len(programs) / seconds:.0f} programs/s")

import ray  # noqa: E402

started = time.perf_counter()
ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
print(f"ray.init: {time.perf_counter() - started:.2f} s")
items = [{"id": r["id"], "program": r["program"]} for r in rows]
started = time.perf_counter()
out = ray.data.from_items(items).map_batches(VerifyBatch, batch_size=64, concurrency=2, batch_format="default").take_all()
seconds = time.perf_counter() - started
rejected = sum(not r["accepted"] for r in out)
print(f"ray map_batches(concurrency=2): {len(out)} programs, {rejected} rejected, {seconds:.2f} s, {len(out) / seconds:.0f} programs/s")
ray.shutdown()
