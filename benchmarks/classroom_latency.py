"""Latency of the classroom game: from the teacher's click to a round's results on every student's screen.

Starts ``relsim classroom`` on a free loopback port (the default market: 36 exporters x 900 buyers,
6 ticks a round), joins ``--students`` simulated students (each a thread that long-polls /api/state as a
student's page does and changes its decisions every round, through every retention policy), then plays
``--rounds`` rounds as the teacher:
for each, the time from sending "next" to the moment each student's poll has returned the new round's
state (JSON parsed). Prints the median, p90 and maximum over students and rounds and writes
benchmarks/results/classroom_latency.json. Usage::

    .venv/bin/python benchmarks/classroom_latency.py [--students 30] [--rounds 6]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from sim.policies import POLICIES

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results" / "classroom_latency.json"


def _call(base: str, path: str, body: dict | None = None, timeout: float = 30) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=6)
    args = ap.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tmp = Path(tempfile.mkdtemp())
    log = open(tmp / "terminal.log", "w")
    proc = subprocess.Popen([str(Path(sys.executable).with_name("relsim")), "classroom", "--port", str(port),
                             "--rounds", str(args.rounds), "--out", str(tmp / "results")],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        text = (tmp / "terminal.log").read_text()
        key = re.search(r"key=(\S+)", text).group(1)
        code = re.search(r"code (\d{4})", text).group(1)
        tokens = [_call(base, "/api/join", {"name": f"student {i}", "code": code})["token"] for i in range(args.students)]
        seen: dict[tuple[int, int], float] = {}
        lock = threading.Lock()
        done = threading.Event()

        def student(i: int, token: str) -> None:
            version = -1
            while not done.is_set():
                s = _call(base, f"/api/state?since={version}&token={token}")
                version = s["version"]
                with lock:
                    seen.setdefault((i, s["round"]), time.perf_counter())
                if s["over"]:
                    return

        threads = [threading.Thread(target=student, args=(i, t), daemon=True) for i, t in enumerate(tokens)]
        for t in threads:
            t.start()
        latencies, server = [], []
        policies = tuple(POLICIES)  # every policy a student can choose, the programmes included
        for r in range(1, args.rounds + 1):
            for i, token in enumerate(tokens):  # every student changes their decisions
                _call(base, "/api/decide", {"token": token, "acquisition_share": round(0.05 * ((i + r) % 21), 2),
                                            "policy": policies[(i + r) % len(policies)]})
            time.sleep(0.5)  # the decision updates have reached the pages
            t0 = time.perf_counter()
            _call(base, "/api/teacher", {"key": key, "action": "next"})
            server.append(time.perf_counter() - t0)
            deadline = time.time() + 30
            while time.time() < deadline:
                with lock:
                    if all((i, r) in seen for i in range(args.students)):
                        break
                time.sleep(0.005)
            with lock:
                latencies += [seen[(i, r)] - t0 for i in range(args.students)]
        done.set()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    lat = sorted(latencies)
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]  # noqa: E731
    result = {"students": args.students, "rounds": args.rounds, "median_s": round(q(0.5), 3), "p90_s": round(q(0.9), 3),
              "max_s": round(lat[-1], 3), "teacher_click_to_reply_median_s": round(sorted(server)[len(server) // 2], 3),
              "load": os.getloadavg()[0], "cores": os.cpu_count()}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
