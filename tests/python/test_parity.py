"""The Python API gives the CLI's verdict on every program of the dev corpus."""

import json
import subprocess

import robosim
from conftest import BINARY, ROOT, shared


def test_verify_many_agrees_with_verify_batch_on_the_dev_corpus(tmp_path, verifier):
    corpus = shared("corpus/dev.jsonl")
    out = tmp_path / "verdicts.jsonl"
    done = subprocess.run(
        [str(BINARY), "verify-batch", str(corpus), "--out", str(out), "--no-accepted", "--jobs", "2"],
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


def _cli_settings(*args: str) -> dict:
    done = subprocess.run([str(BINARY), "settings", *args], capture_output=True, check=True)
    return json.loads(done.stdout)


def test_settings_resolve_as_the_command_line_resolves_them():
    """Keywords and flags are read into the same overrides and resolved by the same Rust code."""
    for keywords, flags in [
        ({}, []),
        ({"search": "exhaustive", "max_paths": 7}, ["--search", "exhaustive", "--max-paths", "7"]),
        ({"search": "random", "random_runs": 5}, ["--random", "5"]),
        ({"fuel": 3_000_000_000, "memory_mib": 128, "seed": 9}, ["--fuel", "3000000000", "--memory-mib", "128", "--seed", "9"]),
        ({"reference_normalization": True, "patience": 0}, ["--reference-normalization", "--patience", "0"]),
    ]:
        assert robosim.Verifier(**keywords).settings() == _cli_settings("verify", *flags), keywords
    tasks = str(ROOT / "seeds" / "examples")
    for keywords, flags in [
        ({}, []),
        ({"trace": "calls", "deadline_ms": 500}, ["--trace", "calls", "--deadline-ms", "500"]),
        ({"fuel": 2_000_000_000, "robot_calls": 50}, ["--fuel", "2000000000", "--robot-calls", "50"]),
    ]:
        assert robosim.Grader(tasks, **keywords).settings() == _cli_settings("grade", *flags), keywords
    assert robosim.default_grade_settings() == _cli_settings("grade")
