"""Sweep throughput on Dask at 1 and 2 workers, and the parallel efficiency at 2.

    .venv/bin/python benchmarks/sweep_throughput.py [--runs-per-policy 32] [--repeats 3] [--json FILE]

The sweep is ``scenarios/classroom.yaml`` (8 exporters, 120 buyers, 60 ticks,
2 policies) with a grid over ``choice.beta`` and enough replications to make
``2 x runs-per-policy`` runs. A LocalCluster (processes, one thread each) is started for each worker count
and warmed up (imports, first runs on every worker); both stay up, and the
whole sweep is run ``repeats`` times on each, alternating 1, 2, 1, 2, ... so
that load from other programs drifts onto both alike. Each sweep goes into a
fresh folder through the same code path as ``relsim sweep``
(``sim.experiments.execute`` with a ``DaskEngine``): every run writes its
files and the manifest is kept up to date.

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


def measure(specs, repeats: int, counts=(1, 2)) -> list[dict]:
    """Both clusters up at once; sweeps alternate 1, 2, 1, 2, ... so drifting load hits both alike."""
    import contextlib

    from sim.distributed import DaskEngine

    rows = {}
    with contextlib.ExitStack() as stack:
        engines = {}
        for w in counts:
            t0 = time.perf_counter()
            engines[w] = stack.enter_context(DaskEngine(workers=w, dashboard_address=None, show_progress=False))
            rows[w] = {"workers": w, "runs": len(specs), "startup_s": time.perf_counter() - t0, "seconds": []}
            time_sweep(engines[w], specs[: 2 * w], 1)  # imports and first runs on every worker
        for _ in range(repeats):
            for w in counts:
                rows[w]["seconds"] += time_sweep(engines[w], specs, 1)
    for r in rows.values():
        thr = [len(specs) / t for t in r["seconds"]]
        r.update(runs_per_s=statistics.median(thr), runs_per_s_min=min(thr), runs_per_s_max=max(thr))
    return [rows[w] for w in counts]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs-per-policy", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    args = ap.parse_args(argv)

    specs = build_specs(args.runs_per_policy)
    load = os.getloadavg()[0]
    rows = measure(specs, args.repeats)
    eff = rows[1]["runs_per_s"] / (2 * rows[0]["runs_per_s"])
    pairs = [t1 / (2 * t2) for t1, t2 in zip(rows[0]["seconds"], rows[1]["seconds"])]
    print(f"classroom.yaml sweep: {len(specs)} runs; cores: {os.cpu_count()}; load average before: {load:.2f}")
    print("| workers | runs/s (median) | min | max | sweep time (s, median) | cluster start-up (s) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['workers']} | {r['runs_per_s']:.2f} | {r['runs_per_s_min']:.2f} | {r['runs_per_s_max']:.2f} "
              f"| {statistics.median(r['seconds']):.2f} | {r['startup_s']:.1f} |")
    print(f"parallel efficiency at 2 workers: {eff:.0%} (median throughputs); "
          f"per alternating pair: {', '.join(f'{e:.0%}' for e in pairs)}")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "efficiency_2": eff, "pairs": pairs, "load_before": load}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
