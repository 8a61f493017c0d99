"""Two builds of robosim, run alternately on the dev corpus: speed and identical results.

    python3 benches/compare_builds.py BASE_BINARY NEW_BINARY [--runs 10] [--grade-runs 1]

This machine's speed drifts by a third from one minute to the next, so the builds take turns:
`verify-batch --jobs 2` on the dev corpus `--runs` times each (the summary's programs/s), then
`grade` on the labelled RoboEval corpus `--grade-runs` times each (wall time). Every run's
results are compared with the base build's: each verdict's status, failure class and line,
paths and stop reason; each grade record byte for byte. Exit 1 when any differ.
"""

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
SUMMARY = re.compile(r" in ([0-9.]+) s: ([0-9.]+) programs/s")


def verify(binary, out):
    done = subprocess.run(
        [binary, "verify-batch", str(CORPUS / "dev.jsonl"), "--out", str(out), "--no-accepted", "-j", "2"],
        capture_output=True, text=True, check=False,
    )
    match = SUMMARY.search(done.stdout)
    if done.returncode not in (0, 1) or not match:
        sys.exit(f"{binary} verify-batch failed ({done.returncode}): {done.stderr[-2000:]}")
    return float(match.group(2))


def grade(binary, out):
    started = time.monotonic()
    done = subprocess.run(
        [binary, "grade", str(ROOT / "seeds/roboeval"), str(CORPUS / "roboeval_dev.jsonl"), "--out", str(out), "-j", "2"],
        capture_output=True, text=True, check=False,
    )
    if done.returncode not in (0, 1):
        sys.exit(f"{binary} grade failed ({done.returncode}): {done.stderr[-2000:]}")
    return time.monotonic() - started


def verdict_keys(path):
    """What a verdict is: status, failure class and line, paths, how the search stopped."""
    keys = []
    for line in Path(path).read_text().splitlines():
        record = json.loads(line)
        if "robosim_manifest" in record:
            continue
        verdict = record["robosim"].get("verdict") or {}
        failure = verdict.get("failure") or {}
        keys.append((record.get("id"), record["robosim"]["status"], failure.get("class"), failure.get("line"),
                     verdict.get("paths"), verdict.get("stopped")))
    return keys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("new")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--grade-runs", type=int, default=1)
    args = parser.parse_args()
    builds = {"base": args.base, "new": args.new}
    rates = {name: [] for name in builds}
    grades = {name: [] for name in builds}
    differ = 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for _ in range(args.runs):
            for name, binary in builds.items():
                rates[name].append(verify(binary, tmp / f"{name}.verdicts.jsonl"))
            base, new = verdict_keys(tmp / "base.verdicts.jsonl"), verdict_keys(tmp / "new.verdicts.jsonl")
            differ += sum(1 for a, b in zip(base, new) if a != b) + abs(len(base) - len(new))
        for _ in range(args.grade_runs):
            for name, binary in builds.items():
                grades[name].append(grade(binary, tmp / f"{name}.grades.jsonl"))
            base, new = (tmp / "base.grades.jsonl").read_bytes(), (tmp / "new.grades.jsonl").read_bytes()
            differ += base != new
        records = len(verdict_keys(tmp / "base.verdicts.jsonl"))
        graded = len((tmp / "base.grades.jsonl").read_text().splitlines()) if args.grade_runs else 0
    for name in builds:
        r = rates[name]
        print(f"{name}: verify-batch -j 2 {statistics.median(r):.0f} programs/s median ({min(r):.0f}-{max(r):.0f}, "
              f"{len(r)} runs)" + (f"; grade -j 2 {', '.join(f'{g:.1f}' for g in grades[name])} s" if grades[name] else ""))
    print(f"{records} verdicts and {graded} grade records compared per run: "
          + ("all identical" if differ == 0 else f"{differ} differences"))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
