"""Sweep throughput on Dask at 1 and 2 workers, and the parallel efficiency at 2.

    .venv/bin/python benchmarks/sweep_throughput.py [--runs-per-policy 32] [--repeats 3] [--json FILE]

The sweep is ``scenarios/classroom.yaml`` (8 exporters, 120 buyers, 60 ticks,
2 policies) with a grid over ``choice.beta`` and enough replications to make
``2 x runs-per-policy`` runs. For each worker count a LocalCluster (processes,
one thread each) is started once and warmed up (imports, one run per worker);
then the whole sweep is run ``repeats`` times into fresh folders through the
same code path as ``relsim sweep`` (``sim.experiments.execute`` with a
``DaskEngine``): every run writes its files, the manifest is kept up to date.

Reported: runs per second (median over repeats, with min and max), and
parallel efficiency at 2 workers = throughput(2) / (2 x throughput(1)).
Cluster start-up is reported on its own line: it is paid once per sweep and
is not part of the steady-state throughput.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build_specs(runs_per_policy: int):
    import yaml

    from sim import experiments as E
    from sim.scenarios import Scenario

    betas = [2.0, 3.0, 4.0, 5.0]
    data = yaml.safe_load((ROOT / "scenarios" / "classroom.yaml").read_text())
    data["replications"] = max(1, runs_per_policy // len(betas))
    data["sweep"] = {"grid": {"choice.beta": betas}}
    return E.plan(Scenario.from_dict(data, "classroom.yaml"), sweep=True)


def time_sweep(engine, specs, repeats: int) -> list[float]:
    from sim import experiments as E
    from sim import results as R

    times = []
    for _ in range(repeats):
        root = Path(tempfile.mkdtemp(prefix="relsim-bench-")) / "out"
        R.prepare(root)
        R.write_manifest(root, {"runs": [s.entry() for s in specs]})
        t0 = time.perf_counter()
        status = E.execute(specs, root, executor=engine)
        times.append(time.perf_counter() - t0)
        assert set(status.values()) == {"done"}, "a benchmark run failed"
        shutil.rmtree(root.parent)
    return times


def measure(workers: int, specs, repeats: int) -> dict:
    from sim.distributed import DaskEngine

    t0 = time.perf_counter()
    with DaskEngine(workers=workers, dashboard_address=None, show_progress=False) as engine:
        startup = time.perf_counter() - t0
        warm = specs[:workers]
        time_sweep(engine, warm, 1)  # imports and first runs on every worker
        times = time_sweep(engine, specs, repeats)
    thr = [len(specs) / t for t in times]
    return {"workers": workers, "runs": len(specs), "startup_s": startup, "seconds": times,
            "runs_per_s": statistics.median(thr), "runs_per_s_min": min(thr), "runs_per_s_max": max(thr)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs-per-policy", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    args = ap.parse_args(argv)

    specs = build_specs(args.runs_per_policy)
    load = os.getloadavg()[0]
    rows = [measure(w, specs, args.repeats) for w in (1, 2)]
    eff = rows[1]["runs_per_s"] / (2 * rows[0]["runs_per_s"])
    print(f"classroom.yaml sweep: {len(specs)} runs; cores: {os.cpu_count()}; load average before: {load:.2f}")
    print("| workers | runs/s (median) | min | max | sweep time (s, median) | cluster start-up (s) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['workers']} | {r['runs_per_s']:.2f} | {r['runs_per_s_min']:.2f} | {r['runs_per_s_max']:.2f} "
              f"| {statistics.median(r['seconds']):.2f} | {r['startup_s']:.1f} |")
    print(f"parallel efficiency at 2 workers: {eff:.0%}")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "efficiency_2": eff, "load_before": load}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
