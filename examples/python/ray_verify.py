"""Verify a JSONL batch with Ray Data, one VerifyBatch (so one Verifier) per actor, and write
the accepted pairs.

    python examples/python/ray_verify.py data/raw.jsonl accepted.jsonl [ACTORS]

On a cluster, install the robosim wheel on every node, start Ray there, and run this on the
head node with RAY_ADDRESS=auto.
"""

import json
import os
import sys

import ray

from robosim.data import VerifyBatch

source, target = sys.argv[1], sys.argv[2]
actors = int(sys.argv[3]) if len(sys.argv) > 3 else 1
ray.init(address=os.environ.get("RAY_ADDRESS"), include_dashboard=False, log_to_driver=False)
rows = []
for number, line in enumerate(open(source, encoding="utf-8"), start=1):
    try:
        record = json.loads(line)
    except ValueError:
        continue  # verify-batch records such lines as invalid input; here they are skipped
    if isinstance(record, dict) and isinstance(record.get("program"), str):
        rows.append({"line": number, "instruction": str(record.get("instruction", "")), "program": record["program"]})
verified = ray.data.from_items(rows).map_batches(VerifyBatch, batch_size=64, concurrency=actors, batch_format="default")
kept = 0
with open(target, "w", encoding="utf-8") as out:
    for row in verified.iter_rows():
        if row["accepted"]:
            kept += 1
            out.write(json.dumps({"instruction": row["instruction"], "program": row["program"]}) + "\n")
print(f"{kept} of {len(rows)} programs accepted; written to {target}")
