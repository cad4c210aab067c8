"""The performance benchmark: throughput, scaling, memory, construction, phases, plain-Mesa speedup.

Run it with ``.venv/bin/python -m benchmarks`` (or ``make bench``); see
``docs/performance.md`` for what it measures and the latest figures.

The benchmark market is the default market scaled up: 100 buyers per exporter,
``n_buyers = N / 1.6`` buyers for about ``N`` live relationships (the default
market settles near 1.6 live relationships per buyer), and
``initial_relationships = 2`` so that the market starts full instead of
building up from nothing. Every mechanism is on (trade fairs, media, matching,
referrals, the retention policy, opportunism, forecasting with information
sharing, exits, dissolution, compaction, records). Each size is warmed up for
``WARMUP`` ticks (the initial awareness lapses or turns into trade) and then
timed for ``ticks`` ticks; a relationship-tick is one live relationship (any
stage but dissolved) carried through one tick.

Times are CPU seconds of the benchmark process (``time.process_time``): the
engine is single-threaded, so that is its time on one core, and work other
processes do on a shared machine inflates it far less than wall time (which is
recorded too).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import time
import tracemalloc
from pathlib import Path

import numpy as np

import sim
from sim import awareness, population

from .phases import profile_ticks

HERE = Path(__file__).resolve().parent
OUT = HERE / "results"
WARMUP = 20
LIVE_PER_BUYER = 1.6
BUYERS_PER_EXPORTER = 100


def construction_market(relationships: int = 1_000_000) -> dict:
    """The construction target's market: for 10^6, 2,000 exporters x 200,000 buyers x 5 initial relationships."""
    buyers = max(relationships // 5, 100)
    return dict(n_exporters=max(buyers // 100, 5), n_buyers=buyers, initial_relationships=5.0)


def market(n_live: int, **extra) -> dict:
    """MarketModel keyword arguments of a benchmark market with about ``n_live`` live relationships."""
    buyers = max(int(round(n_live / LIVE_PER_BUYER)), 100)
    return dict(
        n_buyers=buyers,
        n_exporters=max(buyers // BUYERS_PER_EXPORTER, 5),
        initial_relationships=2.0,
        **extra,
    )


def machine() -> dict:
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        import numba

        numba_version = numba.__version__
    except ImportError:
        numba_version = None
    return {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "mesa": __import__("mesa").__version__,
        "numba": numba_version,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "load_average_at_start": os.getloadavg(),
    }


def timed_run(kw: dict, ticks: int, seed: int = 1, keep: dict | None = None) -> dict:
    """Build a market, warm it up, time ``ticks`` ticks one by one."""
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    model = sim.MarketModel(rng=seed, **kw)
    build, build_wall = time.process_time() - c0, time.perf_counter() - t0
    if keep is not None:
        keep["model"] = model
        keep["built_peak"] = tracemalloc.get_traced_memory()[1] if tracemalloc.is_tracing() else 0
    model.run_for(WARMUP)
    live, secs, wall = [], [], []
    for _ in range(ticks):
        t0, c0 = time.perf_counter(), time.process_time()
        model.step()
        secs.append(time.process_time() - c0)
        wall.append(time.perf_counter() - t0)
        live.append(model.recorder.last()["n_live"])
    total = float(np.sum(secs))
    return {
        "construction_s": build,
        "construction_wall_s": build_wall,
        "wall_seconds_per_tick": float(np.sum(wall)) / ticks,
        "live_mean": float(np.mean(live)),
        "live_min": int(np.min(live)),
        "live_max": int(np.max(live)),
        "ledger_rows": int(model.ledger.n),
        "seconds_total": total,
        "seconds_per_tick": total / ticks,
        "relationship_ticks_per_s": float(np.sum(live)) / total,
        "slowest_tick_s": float(np.max(secs)),
    }


def memory_run(kw: dict, ticks: int, seed: int = 1) -> tuple[dict, dict]:
    """Peak traced memory (tracemalloc) of building and running a market, per live relationship.

    Returns the memory figures and the run's timings (slowed a little by tracing).
    """
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    holder = {}
    timing = timed_run(kw, ticks, seed, keep=holder)
    model = holder["model"]
    built_peak = holder["built_peak"] - base
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    live = model.recorder.last()["n_live"]
    rec = model.recorder
    events = rec.event_nbytes()
    ledger = model.ledger.nbytes()
    return {
        "ticks": WARMUP + ticks,
        "live_end": int(live),
        "relationships_formed": int(model.ledger.n_created),
        "events": int(rec.event_count()),
        "peak_bytes": int(peak - base),
        "construction_peak_bytes": int(built_peak),
        "current_bytes": int(current - base),
        "ledger_bytes": int(ledger),
        "event_log_bytes": int(events),
        "peak_bytes_per_live_relationship": (peak - base) / live,
        "ledger_bytes_per_live_relationship": ledger / live,
        "event_log_bytes_per_live_relationship": events / live,
    }, timing


def construction_breakdown(kw: dict, seed: int = 1) -> dict:
    """Seconds spent building a market, split into traits, initial relationships and Mesa agents."""
    spent = {}

    def timed(name, fn):
        def inner(*a, **k):
            t0 = time.process_time()
            try:
                return fn(*a, **k)
            finally:
                spent[name] = spent.get(name, 0.0) + time.process_time() - t0

        return inner

    import sim.model as model_module

    saved = [
        (model_module, "draw_population", model_module.draw_population),
        (awareness, "seed_initial", awareness.seed_initial),
    ]
    model_module.draw_population = timed("traits", population.draw_population)
    awareness.seed_initial = timed("initial_relationships", awareness.seed_initial)
    create = sim.Buyer.__dict__.get("create_agents")
    agent_create = sim.Exporter.create_agents.__func__

    def create_agents(cls, *a, **k):
        t0 = time.process_time()
        try:
            return agent_create(cls, *a, **k)
        finally:
            spent["mesa_agents"] = spent.get("mesa_agents", 0.0) + time.process_time() - t0

    sim.Exporter.create_agents = classmethod(create_agents)
    sim.Buyer.create_agents = classmethod(create_agents)
    try:
        gc.collect()
        t0 = time.process_time()
        model = sim.MarketModel(rng=seed, **kw)
        spent["total"] = time.process_time() - t0
    finally:
        for owner, attr, fn in saved:
            setattr(owner, attr, fn)
        del sim.Exporter.create_agents, sim.Buyer.create_agents
        if create is not None:
            sim.Buyer.create_agents = create
    spent["other"] = spent["total"] - sum(v for k, v in spent.items() if k != "total")
    spent["relationships"] = int(model.ledger.n)
    del model
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    mesa_bytes = [0]

    def traced_create(cls, *a, **k):
        before = tracemalloc.get_traced_memory()[0]
        try:
            return agent_create(cls, *a, **k)
        finally:
            mesa_bytes[0] += tracemalloc.get_traced_memory()[0] - before

    sim.Exporter.create_agents = classmethod(traced_create)
    sim.Buyer.create_agents = classmethod(traced_create)
    try:
        model = sim.MarketModel(rng=seed, **kw)
    finally:
        del sim.Exporter.create_agents, sim.Buyer.create_agents
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    spent["peak_bytes"] = peak - base
    spent["bytes"] = current - base
    spent["peak_bytes_per_relationship"] = (peak - base) / model.ledger.n
    spent["bytes_per_relationship"] = (current - base) / model.ledger.n
    spent["mesa_agent_bytes"] = mesa_bytes[0]
    spent["mesa_agent_bytes_per_relationship"] = mesa_bytes[0] / model.ledger.n
    spent["buyers"] = kw["n_buyers"]
    spent["exporters"] = kw["n_exporters"]
    return spent


def speedup(n_live: int, ticks: int, seed: int = 1) -> dict:
    """Engine and plain-Mesa version side by side on the same market, same seed, same ticks."""
    from .plain_mesa import PlainMarket

    kw = market(n_live)
    out = {"params": kw, "ticks": ticks}
    models = {}
    for name, cls in (("engine", sim.MarketModel), ("plain_mesa", PlainMarket)):
        gc.collect()
        model = cls(rng=seed, **kw)
        t0, c0 = time.perf_counter(), time.process_time()
        model.run_for(ticks)
        out[f"{name}_seconds_per_tick"] = (time.process_time() - c0) / ticks
        out[f"{name}_wall_seconds_per_tick"] = (time.perf_counter() - t0) / ticks
        models[name] = model
    ts_e, ts_p = models["engine"].timeseries, models["plain_mesa"].timeseries
    out["live_mean"] = float(ts_e["n_live"].mean())
    out["same_trajectory"] = bool(np.array_equal(ts_e["n_live"].to_numpy(), ts_p["n_live"].to_numpy()))
    out["speedup"] = out["plain_mesa_seconds_per_tick"] / out["engine_seconds_per_tick"]
    return out


def snapshot_cost(n_live: int, ticks: int, every: int = 10, seed: int = 1, repeats: int = 2) -> dict:
    """Seconds per tick with and without per-relationship snapshots every ``every`` ticks."""
    out = {"snapshot_every": every, "n_live": n_live}
    for label, se in (("without", 0), ("with", every)):
        best = min(timed_run(market(n_live, snapshot_every=se), ticks, seed)["seconds_per_tick"] for _ in range(repeats))
        out[f"seconds_per_tick_{label}"] = best
    out["overhead"] = out["seconds_per_tick_with"] / out["seconds_per_tick_without"] - 1.0
    return out


def fit_exponent(sizes, seconds) -> float:
    """Slope of log(seconds per tick) on log(live relationships)."""
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = results["scaling"]
    n = np.array([r["live_mean"] for r in rows])
    s = np.array([r["seconds_per_tick"] for r in rows])
    fig, ax = plt.subplots(figsize=(6, 4.2))
    ax.loglog(n, s, "o-", label=f"engine (fitted exponent {results['fitted_exponent']:.2f})")
    ax.loglog(n, n / 1e7, "--", color="grey", label="target: 10$^7$ relationship-ticks/s")
    ax.loglog(n, s[-1] * n / n[-1], ":", color="C0", alpha=0.6, label="linear through the largest size")
    sp = results.get("speedup")
    if sp:
        ax.loglog([sp["live_mean"]], [sp["plain_mesa_seconds_per_tick"]], "s", color="C3",
                  label=f"plain Mesa ({sp['speedup']:.0f}x slower)")
        ax.loglog([sp["live_mean"]], [sp["engine_seconds_per_tick"]], "x", color="C0")
    ax.set_xlabel("live relationships")
    ax.set_ylabel("seconds per tick")
    ax.set_title("relsim: time per tick (one core)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1e3,1e4,1e5,1e6", help="live relationships to measure, comma-separated")
    ap.add_argument("--ticks", type=int, default=100, help="timed ticks per size (after %d warm-up ticks)" % WARMUP)
    ap.add_argument("--repeats", type=int, default=3, help="runs per size below 10^6 (the first traces memory); the fastest counts")
    ap.add_argument("--repeats-largest", type=int, default=2, help="runs per size of 10^6 and more (the first traces memory)")
    ap.add_argument("--speedup-size", type=float, default=1e4, help="live relationships of the plain-Mesa comparison")
    ap.add_argument("--speedup-ticks", type=int, default=30)
    ap.add_argument("--construction", type=float, default=1e6,
                    help="initial relationships of the construction market (5 per buyer, 100 buyers per exporter)")
    ap.add_argument("--quick", action="store_true", help="sizes up to 1e5, 30 ticks, one repeat (a smoke run)")
    ap.add_argument("--out", type=Path, default=OUT, help="folder for bench.json and scaling.png")
    a = ap.parse_args(argv)
    if a.quick:
        a.sizes, a.ticks, a.repeats, a.speedup_ticks, a.construction = "1e3,1e4,1e5", 30, 1, 10, 1e5
    sizes = [int(float(x)) for x in a.sizes.split(",")]
    a.out.mkdir(parents=True, exist_ok=True)

    results = {"machine": machine(), "settings": {"ticks": a.ticks, "warmup": WARMUP, "repeats": a.repeats,
                                                   "repeats_largest": a.repeats_largest, "clock": "time.process_time",
                                                   "market": "benchmarks.run.market(N)"}}
    scaling = []
    for n in sizes:
        kw = market(n)
        memory, traced = memory_run(kw, a.ticks)
        repeats = a.repeats if n < 1_000_000 else a.repeats_largest
        runs = [traced] + [timed_run(kw, a.ticks) for _ in range(repeats - 1)]
        best = dict(min(runs, key=lambda r: r["seconds_total"]))
        best["construction_s"] = min(r["construction_s"] for r in runs)
        best.update(target_live=n, params=kw, memory=memory, runs=len(runs))
        best["bytes_per_live_relationship"] = best["memory"]["peak_bytes_per_live_relationship"]
        scaling.append(best)
        print(f"N={n:>9,}: live {best['live_mean']:>11,.0f}  {best['seconds_per_tick']*1e3:8.2f} ms/tick  "
              f"{best['relationship_ticks_per_s']:.3g} rel-ticks/s  built in {best['construction_s']:.2f} s  "
              f"peak {best['bytes_per_live_relationship']:.0f} B/rel", flush=True)
    results["scaling"] = scaling
    results["fitted_exponent"] = fit_exponent([r["live_mean"] for r in scaling], [r["seconds_per_tick"] for r in scaling])
    print(f"fitted exponent of time per tick on live relationships: {results['fitted_exponent']:.3f}", flush=True)

    largest = scaling[-1]
    results["construction"] = construction_breakdown(construction_market(int(a.construction)))
    print("construction:", {k: round(v, 3) for k, v in results["construction"].items()}, flush=True)

    profile_model = sim.MarketModel(rng=1, **largest["params"])
    profile_model.run_for(WARMUP)
    n_prof = min(10, a.ticks)
    results["phases"] = {"live": largest["live_mean"], "ticks": n_prof,
                         "seconds_per_tick": profile_ticks(profile_model, n_prof)}
    del profile_model
    print("phases (ms/tick):", {k: round(v * 1e3, 2) for k, v in results["phases"]["seconds_per_tick"].items()}, flush=True)

    results["snapshots"] = snapshot_cost(min(sizes[-1], 100_000), min(a.ticks, 50), repeats=min(a.repeats, 2))
    print("snapshots:", results["snapshots"], flush=True)

    results["speedup"] = speedup(int(a.speedup_size), a.speedup_ticks)
    print(f"plain Mesa: {results['speedup']['plain_mesa_seconds_per_tick']*1e3:.1f} ms/tick, engine "
          f"{results['speedup']['engine_seconds_per_tick']*1e3:.2f} ms/tick: {results['speedup']['speedup']:.0f}x", flush=True)

    path = a.out / "bench.json"
    path.write_text(json.dumps(results, indent=2, default=float))
    plot(results, a.out / "scaling.png")
    print(f"wrote {path} and {a.out / 'scaling.png'}")
    return results


if __name__ == "__main__":
    main()
