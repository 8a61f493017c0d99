"""`robosim serve` under load from a real HTTP client (httpx): answers correct and in order
per request with 64 clients at once, auth, 4xx for bad requests, backpressure, SIGTERM drains."""

import asyncio
import json
import os
import re
import signal
import subprocess
import time

import httpx
import pytest

from conftest import BINARY, ROOT

TASKS = str(ROOT / "seeds" / "examples")
BINARY = str(BINARY)
ROWS = [json.loads(line) for line in (ROOT / "data" / "completions.jsonl").read_text().splitlines()]
EXPECTED = {r["id"]: "passed" if "/pass" in r["id"] else "failed" for r in ROWS}
BUSY = "def task_program():\n    while True:\n        pass\n"


class Server:
    def __init__(self, *args, env=None):
        self.process = subprocess.Popen(
            [BINARY, "serve", TASKS, "--port", "0", *args],
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        line = self.process.stderr.readline()
        match = re.search(r"listening on (http://\S+)", line)
        assert match, line
        self.url = match.group(1)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        return self.process.stderr.read()


@pytest.fixture
def server():
    started = Server("-j", "2")
    yield started
    started.stop()


def test_sixty_four_clients_get_their_own_answers_in_order(server):
    async def client(http, k):
        # Each client sends its own mix: rows rotated by k, a hostile one in every other request.
        rows = ROWS[k % len(ROWS):] + ROWS[: k % len(ROWS)]
        items = [{"id": r["id"], "task": r["task"], "completion": r["completion"]} for r in rows]
        if k % 2:
            items.insert(3, {"id": "busy", "task": "ChargerSearch", "completion": BUSY})
        answer = await http.post(f"{server.url}/grade", json={"completions": items})
        assert answer.status_code == 200, answer.text
        grades = answer.json()["grades"]
        assert [g["id"] for g in grades] == [i["id"] for i in items]
        assert [g["line"] for g in grades] == list(range(1, len(items) + 1))
        for grade in grades:
            assert grade["status"] == EXPECTED.get(grade["id"], "failed"), grade
        return len(grades)

    async def main():
        async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=64)) as http:
            counts = await asyncio.gather(*(client(http, k) for k in range(64 * 2)))
        return sum(counts)

    started = time.perf_counter()
    total = asyncio.run(main())
    assert total == 128 * len(ROWS) + 64
    print(f"{total} completions from 64 concurrent clients in {time.perf_counter() - started:.1f} s")
    metrics = httpx.get(f"{server.url}/metrics").text
    assert f'robosim_items_total{{endpoint="grade"}} {total}' in metrics
    assert "robosim_queued_items 0" in metrics


def test_verify_and_get_reward(server):
    programs = ["def task_program():\n    go_to('kitchen')\n", "def task_program():\n    if not is_in_room('pen'):\n        pick('pen')\n"]
    verdicts = httpx.post(f"{server.url}/verify", json={"programs": programs}).json()["verdicts"]
    assert [v["accepted"] for v in verdicts] == [True, False]
    assert verdicts[1]["failure"]["class"] == "RobotPickError"
    prompts = [f"Task: {r['prompt']}\n" for r in ROWS]
    body = {"query": [p + r["completion"] for p, r in zip(prompts, ROWS)], "prompts": prompts, "labels": [r["task"] for r in ROWS]}
    body["labels"][0] = "NoSuchTask"
    answer = httpx.post(f"{server.url}/get_reward", json=body).json()
    expected = [1.0 if EXPECTED[r["id"]] == "passed" else 0.0 for r in ROWS]
    expected[0] = 0.0
    assert answer["rewards"] == expected and answer["scores"] == expected
    assert answer["extra_logs"]["robosim_ungraded"] == 1


def test_bad_requests_get_4xx(server):
    assert httpx.post(f"{server.url}/grade", content=b"{not json", headers={"content-type": "application/json"}).status_code == 400
    assert httpx.post(f"{server.url}/grade", json={"programs": []}).status_code == 422
    assert httpx.post(f"{server.url}/verify", json={"programs": [1, 2]}).status_code == 422
    assert httpx.get(f"{server.url}/grade").status_code == 405
    # An item without a task is an invalid_input record, not a failed request.
    grades = httpx.post(f"{server.url}/grade", json={"completions": [{"completion": "x"}]}).json()["grades"]
    assert grades[0]["status"] == "invalid_input"


def test_limits_refuse_oversize_and_busy_requests():
    limited = Server("-j", "1", "--max-body-bytes", "100000", "--max-batch", "50", "--max-queued", "60")
    try:
        big = {"programs": ["x" * 200_000]}
        assert httpx.post(f"{limited.url}/verify", json=big).status_code == 413
        assert httpx.post(f"{limited.url}/verify", json={"programs": ["pass"] * 51}).status_code == 413

        async def flood():
            async with httpx.AsyncClient(timeout=120) as http:
                request = {"completions": [{"task": "ChargerSearch", "completion": BUSY}] * 40}
                return await asyncio.gather(*(http.post(f"{limited.url}/grade", json=request) for _ in range(4)))

        answers = asyncio.run(flood())
        codes = sorted(a.status_code for a in answers)
        assert codes[0] == 200 and 429 in codes, codes
        refused = next(a for a in answers if a.status_code == 429)
        assert refused.headers["retry-after"] == "1"
        assert 'robosim_refused_total{reason="busy"}' in httpx.get(f"{limited.url}/metrics").text
    finally:
        limited.stop()


def test_a_token_is_required_when_set():
    guarded = Server("-j", "1", "--token-env", "ROBOSIM_TEST_TOKEN", env={"ROBOSIM_TEST_TOKEN": "s3cret"})
    try:
        body = {"programs": ["def task_program():\n    say('hi')\n"]}
        assert httpx.post(f"{guarded.url}/verify", json=body).status_code == 401
        wrong = {"authorization": "Bearer nope"}
        assert httpx.post(f"{guarded.url}/verify", json=body, headers=wrong).status_code == 401
        assert httpx.get(f"{guarded.url}/metrics").status_code == 401
        right = {"authorization": "Bearer s3cret"}
        assert httpx.post(f"{guarded.url}/verify", json=body, headers=right).status_code == 200
        assert httpx.get(f"{guarded.url}/health").status_code == 200
    finally:
        guarded.stop()


def test_sigterm_drains_the_requests_in_flight():
    draining = Server("-j", "1")
    request = {"completions": [{"task": "ChargerSearch", "completion": BUSY}] * 3 + [
        {"task": r["task"], "completion": r["completion"]} for r in ROWS[:4]
    ]}

    async def main():
        async with httpx.AsyncClient(timeout=120) as http:
            sent = asyncio.create_task(http.post(f"{draining.url}/grade", json=request))
            await asyncio.sleep(0.5)  # the busy completions are running
            draining.process.send_signal(signal.SIGTERM)
            return await sent

    answer = asyncio.run(main())
    assert answer.status_code == 200
    assert [g["status"] for g in answer.json()["grades"]][3:] == ["failed", "failed", "failed", "passed"]
    log = draining.stop()
    assert "draining" in log and "stopped" in log
    assert draining.process.returncode == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{draining.url}/health")
