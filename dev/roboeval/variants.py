#!/usr/bin/env python3
"""Variants of the labelled corpus's programs for the five tasks whose RoboEval version changed
(StaplerSupply, ElevatorTour, SayGoodDay, MovieMessenger, SetTemperature): each rule below
rewrites what the newer task files judge differently ("without", "arrival", a greeting in every
lab, "6 PM", "Cooler"/"Comfortable", ...), so that grading the variants with RoboEval's own
harness (`just roboeval-harness`) and with robosim (`robosim grade seeds/roboeval`) compares the
port where the corpus could not.

    python3 dev/roboeval/variants.py ../shared/corpus/roboeval_dev.jsonl OUT.jsonl [PER_TASK]
"""

import json
import random
import re
import sys

RULES={
 "StaplerSupply":[(r"(does not|doesn't|do not|don't) have", "is without"),(r"(does not|doesn't|do not|don't) have", "lacks"),(r"\bno stapler", "without a stapler")],
 "ElevatorTour":[(r"(?i)enjoy", "have fun during"),(r"(?i)arrived", "arrival at"),(r"(?i)arrived", "reached")],
 "SayGoodDay":[(r"\n(\s+)go_to\(([^)\n]*)\)\n", r"\n\1go_to(\2)\n\1say('Hello, anyone here?')\n"),(r"\n(\s+)go_to\(([^)\n]*)\)\n", r"\n\1go_to(\2)\n\1say('Hi there')\n")],
 "MovieMessenger":[(r"([\"'])(\d)\s*(?i:pm)\1", r"\1\2 PM\1"),(r"(?i)say\((\"|')sally (said|says)[: ]*(\"|')\s*\+\s*\w+\)", 'say("Sally would like to go to the cinema with you")'),(r"(?i)(\n(\s*)go_to\((\"|')mark's office(\"|')\)\n)", r"\1\2say('Hello Mark')\n")],
 "SetTemperature":[(r"(?i)([\"'])colder\1", r"\1Cooler\1"),(r"\[\s*([\"'])(?i:warmer)\1", r"[\1Comfortable\1, \1Warmer\1"),(r"(?i)([\"'])warmer\1", r"\1Hotter\1")],
}


def main():
    corpus, out_path = sys.argv[1], sys.argv[2]
    per_task = int(sys.argv[3]) if len(sys.argv) > 3 else 120
    programs = {}
    for line in open(corpus):
        row = json.loads(line)
        if row["task"] in RULES:
            programs.setdefault((row["task"], row["program"]), row)
    variants = []
    for (task, program), row in programs.items():
        for i, (pattern, replacement) in enumerate(RULES[task]):
            new = re.sub(pattern, replacement, program)
            if new != program:
                variants.append({"id": f"{row['id']}~{i}", "task": task, "program": new})
    random.Random(3).shuffle(variants)
    chosen = [v for task in sorted(RULES) for v in [v for v in variants if v["task"] == task][:per_task]]
    with open(out_path, "w") as out:
        for v in chosen:
            out.write(json.dumps(v) + "\n")
    print(f"{len(chosen)} variants of {len(programs)} programs", file=sys.stderr)


if __name__ == "__main__":
    main()
