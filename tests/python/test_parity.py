"""The Python API gives the CLI's verdict on every program of the dev corpus."""

import json
import subprocess

import robosim
from conftest import ROOT, shared


def test_verify_many_agrees_with_verify_batch_on_the_dev_corpus(tmp_path, verifier):
    corpus = shared("corpus/dev.jsonl")
    out = tmp_path / "verdicts.jsonl"
    binary = ROOT / "target" / "release" / "robosim"
    done = subprocess.run(
        [str(binary), "verify-batch", str(corpus), "--out", str(out), "--no-accepted", "--jobs", "2"],
        capture_output=True,
    )
    assert done.returncode in (0, 1), done.stderr.decode()
    cli = [json.loads(line)["robosim"]["verdict"] for line in out.read_text().splitlines()[1:]]
    programs = [json.loads(line)["program"] for line in corpus.read_text().splitlines()]
    ours = [v.to_dict() for v in verifier.verify_many(programs, jobs=2)]
    assert len(ours) == len(cli) == 1404

    def key(v):
        failure = v["failure"] or {}
        return (v["accepted"], failure.get("class"), failure.get("line"), v["paths"], v["stopped"], v["fuel_used"])

    differ = [i for i, (a, b) in enumerate(zip(ours, cli)) if key(a) != key(b)]
    assert not differ, [(i, key(ours[i]), key(cli[i])) for i in differ[:5]]
