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
parallel efficiency at 2 workers = throughput(2) / (2 x throughput(1)), from
the medians and for each alternating pair of sweeps. Each sweep also records
the share of the machine's CPU time used by other programs meanwhile (busy CPU
time of the machine minus this process tree's); pairs where that stayed under
10% are "quiet", and their median efficiency is the figure to quote on a
shared machine.
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


def _cpu_seconds() -> tuple[float, float]:
    """(busy CPU seconds of the whole machine, CPU seconds of this process and all its descendants)."""
    import psutil

    t = psutil.cpu_times()
    busy = t.user + t.system + getattr(t, "nice", 0) + getattr(t, "irq", 0) + getattr(t, "softirq", 0)
    me = psutil.Process()
    own = 0.0
    for p in [me, *me.children(recursive=True)]:
        try:
            c = p.cpu_times()
            own += c.user + c.system
        except psutil.Error:
            pass
    return busy, own


def time_sweep(engine, specs) -> tuple[float, float]:
    """One sweep into a fresh folder: (seconds, share of the machine's CPU used by other programs meanwhile)."""
    from sim import experiments as E
    from sim import results as R

    root = Path(tempfile.mkdtemp(prefix="relsim-bench-")) / "out"
    R.prepare(root)
    R.write_manifest(root, {"runs": [s.entry() for s in specs]})
    busy0, own0 = _cpu_seconds()
    t0 = time.perf_counter()
    status = E.execute(specs, root, executor=engine)
    seconds = time.perf_counter() - t0
    busy1, own1 = _cpu_seconds()
    assert set(status.values()) == {"done"}, "a benchmark run failed"
    shutil.rmtree(root.parent)
    foreign = max(0.0, (busy1 - busy0) - (own1 - own0)) / (seconds * (os.cpu_count() or 1))
    return seconds, foreign


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
            rows[w] = {"workers": w, "runs": len(specs), "startup_s": time.perf_counter() - t0, "seconds": [],
                       "foreign_cpu": []}
            time_sweep(engines[w], specs[: 4 * w])  # imports and first runs on every worker
        for _ in range(repeats):
            for w in counts:
                sec, foreign = time_sweep(engines[w], specs)
                rows[w]["seconds"].append(sec)
                rows[w]["foreign_cpu"].append(foreign)
    for r in rows.values():
        thr = [len(specs) / t for t in r["seconds"]]
        r.update(runs_per_s=statistics.median(thr), runs_per_s_min=min(thr), runs_per_s_max=max(thr))
    return [rows[w] for w in counts]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs-per-policy", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quiet-below", type=float, default=0.10,
                    help="a pair of sweeps is quiet when other programs used less than this share of the CPUs")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    args = ap.parse_args(argv)

    specs = build_specs(args.runs_per_policy)
    rows = measure(specs, args.repeats)
    one, two = rows
    pairs = [(t1 / (2 * t2), max(f1, f2)) for t1, t2, f1, f2 in
             zip(one["seconds"], two["seconds"], one["foreign_cpu"], two["foreign_cpu"])]
    quiet = [e for e, f in pairs if f < args.quiet_below]
    eff = two["runs_per_s"] / (2 * one["runs_per_s"])
    print(f"classroom.yaml sweep: {len(specs)} runs; cores: {os.cpu_count()}")
    print("| workers | runs/s (median) | min | max | sweep time (s, median) | cluster start-up (s) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['workers']} | {r['runs_per_s']:.2f} | {r['runs_per_s_min']:.2f} | {r['runs_per_s_max']:.2f} "
              f"| {statistics.median(r['seconds']):.2f} | {r['startup_s']:.1f} |")
    print(f"parallel efficiency at 2 workers, median throughputs: {eff:.0%}")
    print("per alternating pair (efficiency, CPU share used by other programs): "
          + ", ".join(f"{e:.0%} ({f:.0%})" for e, f in pairs))
    if quiet:
        print(f"quiet pairs (other programs < {args.quiet_below:.0%} of the CPUs): {len(quiet)}, "
              f"median efficiency {statistics.median(quiet):.0%}")
    else:
        print("no quiet pair: the machine was busy throughout; rerun when it is idle")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "efficiency_2": eff, "pairs": pairs}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
