"""What one dashboard Step costs at classroom size (20 exporters x 500 buyers).

Two measurements (docs/performance.md, section "Dashboard step latency"):

* ``--mode server``: renders the SolaraViz app without a browser (solara.render),
  clicks Step and times each click: the model's step plus every re-render, chart
  option and widget update it triggers; also counts reacton render passes and
  component executions per Step.
* ``--mode browser`` (default: both): starts ``solara run sim/dashboard.py`` on a
  free loopback port, opens it in Debian's Chromium (headless, via playwright),
  and times click-to-update end to end: from the click on Step until the summary
  shows the next tick AND the browser has painted the frame after it (so the
  charts' ECharts redraw is included). Warm-up clicks are not counted.

Prints median, p90 and max with the machine's load (``uptime``), as a Markdown
table row per measurement.

    .venv/bin/python benchmarks/dashboard_step.py [--mode server|browser|both] [--clicks 30] [--warmup 5]
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip().split("load average:")[-1].strip()


def _stats(ms: list[float]) -> str:
    s = sorted(ms)
    p90 = s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]
    return f"{statistics.median(s):.0f} ms | {p90:.0f} ms | {s[-1]:.0f} ms"


def server(clicks: int, warmup: int) -> None:
    import ipyvuetify as v
    import reacton.core
    import solara

    from sim import dashboard as d

    _, rc = solara.render(solara.AppLayout(children=[d.Page()]), handle_error=False)
    step = rc.find(v.Btn, children=["Step"]).widget
    for _ in range(warmup):
        step.click()
    components = [o for o in gc.get_objects() if isinstance(o, reacton.core.ComponentFunction)]
    runs0 = sum(c.render_count for c in components)
    passes0 = rc.render_count
    load0 = _load()
    times = []
    for _ in range(clicks):
        t0 = time.perf_counter()
        step.click()
        times.append(1e3 * (time.perf_counter() - t0))
    passes = (rc.render_count - passes0) / clicks
    runs = (sum(c.render_count for c in components) - runs0) / clicks
    print(f"| server work per Step (solara.render, no browser; {passes:.0f} render passes, {runs:.0f} component "
          f"executions per Step) | {clicks} | {_stats(times)} | {load0} → {_load()} |", flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


IN_PAGE = """k => new Promise(resolve => {
    const summary = document.querySelector('.relsim-summary');
    const step = Array.from(document.querySelectorAll('button')).find(b => b.textContent.trim() === 'Step');
    const observer = new MutationObserver(() => {
        if (!summary.innerText.includes(`Tick ${k} `)) return;
        observer.disconnect();
        requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - t0), 0));
    });
    observer.observe(summary, {subtree: true, childList: true, characterData: true});
    const t0 = performance.now();
    step.click();
})"""


def browser(clicks: int, warmup: int) -> None:
    from playwright.sync_api import sync_playwright

    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    env.pop("RELSIM_DASHBOARD_SCENARIO", None)
    proc = subprocess.Popen([sys.executable, "-m", "solara", "run", str(ROOT / "sim" / "dashboard.py"), "--port",
                             str(port), "--host", "127.0.0.1", "--production", "--no-open"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("the dashboard did not start")
                time.sleep(0.5)
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                  args=["--no-sandbox", "--disable-gpu"])
            page = b.new_page(viewport={"width": 1400, "height": 1100})
            t0 = time.perf_counter()
            page.goto(url, timeout=120_000)
            page.wait_for_selector(".relsim-network canvas", timeout=120_000)
            first_load = time.perf_counter() - t0
            time.sleep(1.0)
            button = page.get_by_role("button", name="Step")
            shown = ("t => { const e = document.querySelector('.relsim-summary'); "
                     "return e && e.innerText.includes(t); }")
            painted = "() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)))"
            times = []
            load0 = _load()
            for k in range(1, warmup + clicks + 1):
                t0 = time.perf_counter()
                button.click()
                page.wait_for_function(shown, arg=f"Tick {k} ", timeout=60_000, polling=5)
                page.evaluate(painted)  # the frame with the redrawn charts is painted
                times.append(1e3 * (time.perf_counter() - t0))
            load1 = _load()
            # the same, timed inside the page (performance.now): from the click event to the painted
            # frame showing the next tick, without playwright's own round trips and actionability checks
            in_page = []
            for k in range(warmup + clicks + 1, warmup + 2 * clicks + 1):
                in_page.append(page.evaluate(IN_PAGE, k))
            load2 = _load()
            b.close()
        first = ", ".join(f"{t:.0f}" for t in times[:warmup])
        print(f"| click on Step (playwright) → next tick shown and painted in Chromium (headless; page load "
              f"{first_load:.1f} s; warm-up clicks {first} ms, not counted) | {clicks} | {_stats(times[warmup:])} | "
              f"{load0} → {load1} |", flush=True)
        print(f"| click event → next tick shown and painted, timed in the page | {clicks} | {_stats(in_page)} | "
              f"{load1} → {load2} |", flush=True)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=("server", "browser", "both"), default="both")
    ap.add_argument("--clicks", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    args = ap.parse_args()
    print(f"dashboard Step, 20 exporters x 500 buyers, {os.cpu_count()} cores\n")
    print("| what | clicks | median | p90 | max | load average (1, 5, 15 min) before → after |")
    print("| --- | --- | --- | --- | --- | --- |")
    if args.mode in ("server", "both"):
        server(args.clicks, args.warmup)
    if args.mode in ("browser", "both"):
        browser(args.clicks, args.warmup)


if __name__ == "__main__":
    main()
