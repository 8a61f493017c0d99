"""`robosim serve` under 64 concurrent clients (httpx): completions/s, latency p50/p99 seen by
the clients, peak RSS of the server and its workers. Run by `just bench-rewards`.

Each client sends requests of 16 completions from the labelled RoboEval corpus (its programs,
on RoboEval's tasks), one after another, until 4,096 completions in all are graded."""

import asyncio
import json
import pathlib
import re
import signal
import subprocess
import sys
import time

import httpx

binary, corpus, tasks_dir = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
rows = [json.loads(line) for line in corpus.read_text().splitlines()]
CLIENTS, PER_REQUEST, TOTAL = 64, 16, 4096

server = subprocess.Popen([binary, "serve", tasks_dir, "--port", "0", "-j", "2"], stderr=subprocess.PIPE, text=True)
url = re.search(r"listening on (http://\S+)", server.stderr.readline()).group(1)
latencies = []


async def client(http, k):
    for r in range(k, TOTAL // PER_REQUEST, CLIENTS):
        batch = [{"task": row["task"], "completion": row["program"]} for row in rows[r * PER_REQUEST:(r + 1) * PER_REQUEST]]
        started = time.perf_counter()
        answer = await http.post(f"{url}/grade", json={"completions": batch})
        answer.raise_for_status()
        latencies.append(time.perf_counter() - started)


async def main():
    async with httpx.AsyncClient(timeout=300, limits=httpx.Limits(max_connections=CLIENTS)) as http:
        await asyncio.gather(*(client(http, k) for k in range(CLIENTS)))


started = time.perf_counter()
asyncio.run(main())
seconds = time.perf_counter() - started
latencies.sort()
peaks = []
for entry in pathlib.Path("/proc").iterdir():
    try:
        if entry.name.isdigit() and (entry.name == str(server.pid) or f" {server.pid} " in (entry / "stat").read_text().rsplit(")", 1)[1][:24]):
            peaks += [int(line.split()[1]) for line in (entry / "status").read_text().splitlines() if line.startswith("VmHWM:")]
    except OSError:
        continue
server.send_signal(signal.SIGTERM)
server.wait()
p = lambda q: latencies[min(len(latencies) - 1, int(len(latencies) * q))]
print(f"serve: {TOTAL} completions from {CLIENTS} clients ({PER_REQUEST} a request) in {seconds:.2f} s: {TOTAL / seconds:.0f} completions/s; "
      f"request latency p50 {p(0.5) * 1e3:.0f} ms, p99 {p(0.99) * 1e3:.0f} ms; peak RSS server + workers {sum(peaks) / 1024:.0f} MiB")
