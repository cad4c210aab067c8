"""Server-side cost of one dashboard Step at classroom size (20 exporters x 500 buyers).

Renders the SolaraViz app without a browser (solara.render), clicks Step and
times each click: the model's step plus every re-render, chart option and
widget update it triggers. The browser's share (websocket, ECharts drawing) is
printed by tests/test_dashboard_browser.py as click-to-update latency.

    .venv/bin/python benchmarks/dashboard_step.py [--steps 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import ipyvuetify as v
import solara

from sim import dashboard as d


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=300)
    args = ap.parse_args()
    _, rc = solara.render(solara.AppLayout(children=[d.Page()]), handle_error=False)
    step = rc.find(v.Btn, children=["Step"]).widget
    times = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        step.click()
        times.append(time.perf_counter() - t0)
    ms = sorted(1e3 * t for t in times)
    q = lambda p: ms[min(len(ms) - 1, int(p * len(ms)))]  # noqa: E731
    print(f"dashboard Step, 20 exporters x 500 buyers, {args.steps} steps on {os.cpu_count()} cores "
          f"(load average {os.getloadavg()[0]:.1f}): median {statistics.median(ms):.0f} ms, "
          f"p90 {q(0.9):.0f} ms, max {ms[-1]:.0f} ms; last 50 steps median "
          f"{statistics.median(1e3 * t for t in times[-50:]):.0f} ms")


if __name__ == "__main__":
    main()
