"""A verdicts file of N records for `just bench-report`: the records of a real verdicts file
(the dev corpus's) repeated in order, each with its own id, under the file's manifest."""

import json
import sys

source, target, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(source) as f:
    manifest, *records = f.read().splitlines()
with open(target, "w") as out:
    out.write(manifest + "\n")
    for i in range(count):
        record = json.loads(records[i % len(records)])
        record["robosim"]["id"] = record["id"] = f"{record.get('id')}#{i // len(records)}"
        record["robosim"]["line"] = i + 1
        out.write(json.dumps(record) + "\n")
