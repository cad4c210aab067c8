"""The performance benchmark: throughput, scaling, memory, construction, phases, plain-Mesa speedup.

Run it with ``.venv/bin/python -m benchmarks`` (or ``make bench``); see
``docs/performance.md`` for what it measures and the latest figures.

The benchmark market is the issue's example shape: 100 buyers per exporter and
about five live relationships per buyer (2,000 exporters x 200,000 buyers for
about 10^6), set with existing parameters only (``MARKET``: buyers want more
suppliers, try them out more readily, review alternatives less often), with
``initial_relationships = 5`` so that it starts full instead of building up
from nothing. Every mechanism is on (trade fairs, media, matching, referrals,
the retention policy, opportunism and its detection, forecasting with
information sharing, exits, every dissolution cause, compaction, records).
Each size is warmed up for ``WARMUP`` ticks and then timed for ``ticks``
ticks; a relationship-tick is one live relationship (any stage but dissolved)
carried through one tick. ``default_market(N)`` is the default market scaled
up the same way (1.6 live relationships per buyer), used for the plain-Mesa
comparison beside the benchmark market.

Both engine paths are measured: the numba kernels (``sim/kernels.py``, the
default when numba is installed) and the pure numpy reference
(``RELSIM_ENGINE=numpy``); their compile time is measured apart and kept out of
every timing.

Times are CPU seconds of the benchmark process (``time.process_time``): the
engine is single-threaded, so that is its time on one core, and work other
processes do on a shared machine inflates it far less than wall time (which is
recorded too).
"""

from __future__ import annotations

import argparse
import contextlib
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
from sim import awareness, kernels, population

from .phases import profile_ticks

HERE = Path(__file__).resolve().parent
OUT = HERE / "results"
WARMUP = 20
BUYERS_PER_EXPORTER = 100
#: the benchmark market: existing parameters only; every mechanism stays on
MARKET = dict(
    suppliers_transactional=8,  # default 4
    suppliers_partnership=4,  # default 2
    trial_rate=0.6,  # default 0.15: awareness turns into trade rather than lapsing
    matching_rate=0.1,  # default 0.01
    review_rate=0.01,  # default 0.1: fewer switches to a better alternative
    breakdown_trust=0.1,  # default 0.15
    initial_relationships=5.0,
)
#: live relationships per buyer the benchmark market keeps (about 5, drifting up to ~5.8 by tick 120)
LIVE_PER_BUYER = 5.0
#: ... and the default market (default parameters)
DEFAULT_LIVE_PER_BUYER = 1.6

#: glibc's malloc returns freed memory above 128 KB to the system at once (mmap/trim);
#: on a VM every re-allocation of a large temporary then costs a page fault per 4 KB.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3


def construction_market(relationships: int = 1_000_000) -> dict:
    """The construction target's market: for 10^6, 2,000 exporters x 200,000 buyers x 5 initial relationships."""
    buyers = max(relationships // 5, 100)
    return dict(n_exporters=max(buyers // 100, 5), n_buyers=buyers, initial_relationships=5.0)


def market(n_live: int, **extra) -> dict:
    """MarketModel keyword arguments of a benchmark market with about ``n_live`` live relationships."""
    buyers = max(int(round(n_live / LIVE_PER_BUYER)), 100)
    return dict(n_buyers=buyers, n_exporters=max(buyers // BUYERS_PER_EXPORTER, 5), **MARKET, **extra)


def default_market(n_live: int, **extra) -> dict:
    """The default market scaled to about ``n_live`` live relationships (1.6 per buyer, 100 buyers per exporter)."""
    buyers = max(int(round(n_live / DEFAULT_LIVE_PER_BUYER)), 100)
    return dict(n_buyers=buyers, n_exporters=max(buyers // BUYERS_PER_EXPORTER, 5), initial_relationships=2.0, **extra)


def tune_malloc() -> bool:
    """Keep freed memory in the process (glibc ``mallopt``), so that large per-tick temporaries reuse touched pages.

    The same as starting Python with ``MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_MMAP_THRESHOLD_=33554432``.
    It changes no result and no traced memory figure (tracemalloc counts allocations, not resident pages).
    Returns False where glibc is not available.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_TRIM_THRESHOLD, 1 << 30)) and bool(libc.mallopt(M_MMAP_THRESHOLD, 32 << 20))
    except (OSError, AttributeError):
        return False


def compile_seconds() -> dict:
    """Seconds to compile every numba kernel from scratch (empty cache) and to load them from numba's cache.

    Each is measured in a fresh Python process (``sim.kernels.warm_up``), never inside a timed run.
    """
    import subprocess
    import sys
    import tempfile

    if not kernels.AVAILABLE:
        return {"available": False}
    code = "import time; t=time.perf_counter(); import sim.kernels as k; s=k.warm_up(); print(s)"
    out = {"available": True}
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NUMBA_CACHE_DIR": tmp, "RELSIM_ENGINE": "numba"}
        for label in ("cold", "cached"):  # the second run finds the first one's cache
            r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                               cwd=HERE.parent)
            out[f"{label}_s"] = float(r.stdout.strip().splitlines()[-1])
    return out


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


class engine_path:
    """Context manager: run the engine with the numba kernels (``"numba"``) or the numpy reference (``"numpy"``)."""

    def __init__(self, name: str):
        self.on = name == "numba"

    def __enter__(self):
        self.saved, kernels.ENABLED = kernels.ENABLED, self.on and kernels.AVAILABLE
        return self

    def __exit__(self, *exc):
        kernels.ENABLED = self.saved


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
        "median_tick_s": float(np.median(secs)),
        "engine": kernels.engine(),
    }


@contextlib.contextmanager
def measure_agent_creation(reading):
    """While active, Mesa's ``create_agents`` for exporters and buyers adds ``reading()`` after minus
    before to the yielded one-item list (bytes with a tracemalloc reading, seconds with a clock).

    The ``AgentSet`` that ``create_agents`` returns (weak references to the new agents, ~130 bytes
    each) is a temporary the model does not keep: it is dropped before the reading, so that bytes
    count what the agents hold for the run, and the agents' set in the model
    (``model.agents_by_type[cls]``) is returned instead.
    """
    create = sim.Exporter.create_agents.__func__
    total = [0]

    def measured(cls, model, *a, **k):
        before = reading()
        try:
            create(cls, model, *a, **k)
        finally:
            total[0] += reading() - before
        return model.agents_by_type[cls]

    sim.Exporter.create_agents = sim.Buyer.create_agents = classmethod(measured)
    try:
        yield total
    finally:
        del sim.Exporter.create_agents, sim.Buyer.create_agents


def _traced_bytes() -> int:
    return tracemalloc.get_traced_memory()[0]


def memory_run(kw: dict, ticks: int, seed: int = 1) -> tuple[dict, dict]:
    """Peak traced memory (tracemalloc) of building and running a market, per live relationship.

    Returns the memory figures and the run's timings (slowed a little by tracing).
    """
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    holder = {}
    with measure_agent_creation(_traced_bytes) as mesa_bytes:  # what Mesa's agent objects take
        timing = timed_run(kw, ticks, seed, keep=holder)
    model = holder["model"]
    built_peak = holder["built_peak"] - base
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    live = model.recorder.last()["n_live"]
    rec = model.recorder
    events = rec.event_nbytes()
    L = model.ledger
    ledger, held = L.nbytes(), L.memory()
    traits = sum(v.nbytes for v in vars(model.buyers).values() if isinstance(v, np.ndarray))
    traits += sum(v.nbytes for v in vars(model.exporters).values() if isinstance(v, np.ndarray))
    parts = {  # bytes of what the run holds at its end, by part
        "ledger_live_rows": held["live_rows"],
        "ledger_spare_capacity": held["spare_capacity"],
        "pair_index": held["pair_index"],
        "archive": held["archive_in_memory"],  # at most the archive's budget (sim.archive.BUDGET); the rest is on disk
        "event_log": events,  # at most records.EVENTS_BUDGET; older events are on disk
        "mesa_agents": mesa_bytes[0],
        "traits": traits,
    }
    parts["temporaries_and_other_at_peak"] = (peak - base) - sum(parts.values())
    return {
        "ledger_row_bytes": L.row_nbytes,
        "archived_relationships": int(L.n_archived),
        "archive_budget_bytes": int(L.archive.budget),
        "archive_on_disk_bytes": int(held["archive_on_disk"]),
        "event_log_on_disk_bytes": int(rec.event_disk_nbytes()),
        "parts_bytes": parts,
        "parts_bytes_per_live_relationship": {k: v / live for k, v in parts.items()},
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
        # the form: bytes per live relationship plus a fixed overhead (the archive's in-memory budget)
        "peak_bytes_per_live_relationship_beyond_archive_budget": (peak - base - L.archive.budget) / live,
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
    try:
        with measure_agent_creation(time.process_time) as agent_seconds:
            gc.collect()
            t0 = time.process_time()
            model = sim.MarketModel(rng=seed, **kw)
            spent["total"] = time.process_time() - t0
        spent["mesa_agents"] = agent_seconds[0]
    finally:
        for owner, attr, fn in saved:
            setattr(owner, attr, fn)
    spent["other"] = spent["total"] - sum(v for k, v in spent.items() if k != "total")
    spent["relationships"] = int(model.ledger.n)
    del model
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    with measure_agent_creation(_traced_bytes) as mesa_bytes:
        model = sim.MarketModel(rng=seed, **kw)
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


def speedup(n_live: int, ticks: int, seed: int = 1, shape=market, repeats: int = 10, plain_repeats: int = 3) -> dict:
    """Engine (both paths) and the plain-Mesa version side by side on the same market, seed and ticks.

    The engine is timed ``repeats`` times per path and the plain version ``plain_repeats`` times; the
    fastest run of each counts (a 30-tick engine run at 10^4 lasts about 35 ms, so it is repeated more).
    """
    from .plain_mesa import PlainMarket

    kw = shape(n_live)
    out = {"params": kw, "ticks": ticks, "market": shape.__name__}
    models = {}
    runs = [("engine", "numba", sim.MarketModel, repeats), ("engine_numpy", "numpy", sim.MarketModel, repeats),
            ("plain_mesa", "numpy", PlainMarket, plain_repeats)]
    for name, path, cls, n in runs:
        if path == "numba" and not kernels.AVAILABLE:
            continue
        best = (np.inf, np.inf)
        with engine_path(path):
            for _ in range(n):
                gc.collect()
                model = cls(rng=seed, **kw)
                t0, c0 = time.perf_counter(), time.process_time()
                model.run_for(ticks)
                best = min(best, ((time.process_time() - c0) / ticks, (time.perf_counter() - t0) / ticks))
        out[f"{name}_seconds_per_tick"], out[f"{name}_wall_seconds_per_tick"] = best
        models[name] = model
    ts_p = models["plain_mesa"].timeseries
    out["live_mean"] = float(ts_p["n_live"].mean())
    out["same_trajectory"] = all(bool(np.array_equal(m.timeseries["n_live"].to_numpy(), ts_p["n_live"].to_numpy()))
                                 for k, m in models.items() if k != "plain_mesa")
    fast = "engine" if "engine" in models else "engine_numpy"
    out["speedup"] = out["plain_mesa_seconds_per_tick"] / out[f"{fast}_seconds_per_tick"]
    out["speedup_numpy_path"] = out["plain_mesa_seconds_per_tick"] / out["engine_numpy_seconds_per_tick"]
    out["engine_seconds_per_tick"] = out[f"{fast}_seconds_per_tick"]
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

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for key, label, style in (("scaling", "numba kernels", "o-"), ("scaling_numpy", "numpy reference", "s--")):
        rows = results.get(key)
        if not rows:
            continue
        n = np.array([r["live_mean"] for r in rows])
        sec = np.array([r["seconds_per_tick"] for r in rows])
        exp = results.get("fitted_exponent" if key == "scaling" else "fitted_exponent_numpy")
        ax.loglog(n, sec, style, label=f"engine, {label} (fitted exponent {exp:.2f})")
    rows = results["scaling"]
    n = np.array([r["live_mean"] for r in rows])
    ax.loglog(n, n / 1e7, ":", color="grey", label="target: 10$^7$ relationship-ticks/s")
    for key, marker, name in (("speedup", "D", "benchmark market"), ("speedup_default_market", "^", "default market")):
        sp = results.get(key)
        if sp:
            ax.loglog([sp["live_mean"]], [sp["plain_mesa_seconds_per_tick"]], marker, color="C3",
                      label=f"plain Mesa, {name} ({sp['speedup']:.0f}x slower)")
    ax.set_xlabel("live relationships")
    ax.set_ylabel("CPU seconds per tick")
    ax.set_title("relsim: time per tick (one core)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7.5)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def scaling(sizes, ticks: int, repeats: int, repeats_largest: int, trace_largest: bool = True) -> list[dict]:
    """Time per tick, throughput and (traced run) memory of the benchmark market at each size, on the current path."""
    out = []
    for n in sizes:
        kw = market(n)
        largest = n >= 1_000_000
        runs, memory = [], None
        if trace_largest or not largest:
            memory, traced = memory_run(kw, ticks)
            runs.append(traced)
        while len(runs) < (repeats_largest if largest else repeats):
            runs.append(timed_run(kw, ticks))
        best = dict(min(runs, key=lambda r: r["seconds_total"]))
        best["construction_s"] = min(r["construction_s"] for r in runs)
        best.update(target_live=n, params=kw, memory=memory, runs=len(runs))
        best["bytes_per_live_relationship"] = memory["peak_bytes_per_live_relationship"] if memory else None
        out.append(best)
        mem = f"peak {best['bytes_per_live_relationship']:.0f} B/rel" if memory else ""
        print(f"[{kernels.engine()}] N={n:>9,}: live {best['live_mean']:>11,.0f}  {best['seconds_per_tick']*1e3:8.2f} ms/tick  "
              f"{best['relationship_ticks_per_s']:.3g} rel-ticks/s  built in {best['construction_s']:.2f} s  {mem}", flush=True)
    return out


def phase_profile(kw: dict, ticks: int) -> dict:
    model = sim.MarketModel(rng=1, **kw)
    model.run_for(WARMUP)
    live = model.recorder.last()["n_live"]
    return {"live": live, "ticks": ticks, "engine": kernels.engine(), "seconds_per_tick": profile_ticks(model, ticks)}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1e3,1e4,1e5,1e6", help="live relationships to measure, comma-separated")
    ap.add_argument("--ticks", type=int, default=100, help="timed ticks per size (after %d warm-up ticks)" % WARMUP)
    ap.add_argument("--repeats", type=int, default=3, help="runs per size below 10^6 (the first traces memory); the fastest counts")
    ap.add_argument("--repeats-largest", type=int, default=3, help="runs per size of 10^6 and more (the first traces memory)")
    ap.add_argument("--repeats-numpy", type=int, default=2, help="runs per size of the numpy reference path")
    ap.add_argument("--speedup-size", type=float, default=1e4, help="live relationships of the plain-Mesa comparison")
    ap.add_argument("--speedup-ticks", type=int, default=30)
    ap.add_argument("--construction", type=float, default=1e6,
                    help="initial relationships of the construction market (5 per buyer, 100 buyers per exporter)")
    ap.add_argument("--no-compile-time", action="store_true", help="skip measuring numba's compile time (two fresh processes)")
    ap.add_argument("--quick", action="store_true", help="sizes up to 1e5, 30 ticks, one repeat (a smoke run)")
    ap.add_argument("--out", type=Path, default=OUT, help="folder for bench.json and scaling.png")
    a = ap.parse_args(argv)
    if a.quick:
        a.sizes, a.ticks, a.repeats, a.repeats_numpy, a.speedup_ticks, a.construction = "1e3,1e4,1e5", 30, 1, 1, 10, 1e5
    sizes = [int(float(x)) for x in a.sizes.split(",")]
    a.out.mkdir(parents=True, exist_ok=True)

    results = {"machine": machine(), "settings": {"ticks": a.ticks, "warmup": WARMUP, "repeats": a.repeats,
                                                   "repeats_largest": a.repeats_largest, "repeats_numpy": a.repeats_numpy,
                                                   "clock": "time.process_time", "market": "benchmarks.run.market(N)",
                                                   "market_params": MARKET, "live_per_buyer": LIVE_PER_BUYER}}
    results["compile"] = {"measured": False} if a.no_compile_time else compile_seconds()
    print("numba compile (s):", results["compile"], flush=True)
    with engine_path("numba"):
        kernels.warm_up()  # compiled kernels loaded from numba's cache before any timing
        # the largest size once with glibc's default malloc settings (before tune_malloc), for the record
        results["default_malloc"] = dict(timed_run(market(sizes[-1]), a.ticks), target_live=sizes[-1])
        print(f"default malloc, N={sizes[-1]:,}: {results['default_malloc']['seconds_per_tick']*1e3:.1f} ms/tick", flush=True)
    results["settings"]["malloc_tuned"] = tune_malloc()

    with engine_path("numba"):
        results["scaling"] = scaling(sizes, a.ticks, a.repeats, a.repeats_largest)
    with engine_path("numpy"):
        results["scaling_numpy"] = scaling(sizes, a.ticks, a.repeats_numpy, 1, trace_largest=False)
    for key, rows in (("fitted_exponent", results["scaling"]), ("fitted_exponent_numpy", results["scaling_numpy"])):
        results[key] = fit_exponent([r["live_mean"] for r in rows], [r["seconds_per_tick"] for r in rows])
        print(f"{key}: {results[key]:.3f}", flush=True)

    results["construction"] = construction_breakdown(construction_market(int(a.construction)))
    print("construction:", {k: round(v, 3) for k, v in results["construction"].items()}, flush=True)

    largest = results["scaling"][-1]
    n_prof = min(10, a.ticks)
    with engine_path("numba"):
        results["phases"] = phase_profile(largest["params"], n_prof)
    with engine_path("numpy"):
        results["phases_numpy"] = phase_profile(largest["params"], n_prof)
    for key in ("phases", "phases_numpy"):
        print(key, "(ms/tick):", {k: round(v * 1e3, 2) for k, v in results[key]["seconds_per_tick"].items()}, flush=True)

    with engine_path("numba"):
        results["snapshots"] = snapshot_cost(min(sizes[-1], 100_000), min(a.ticks, 50), repeats=min(a.repeats, 2))
    print("snapshots:", results["snapshots"], flush=True)

    for key, shape in (("speedup", market), ("speedup_default_market", default_market)):
        results[key] = sp = speedup(int(a.speedup_size), a.speedup_ticks, shape=shape)
        print(f"{key}: plain Mesa {sp['plain_mesa_seconds_per_tick']*1e3:.1f} ms/tick, engine "
              f"{sp['engine_seconds_per_tick']*1e3:.2f} ms/tick ({sp['speedup']:.0f}x; numpy path "
              f"{sp['engine_numpy_seconds_per_tick']*1e3:.2f} ms/tick, {sp['speedup_numpy_path']:.0f}x)", flush=True)

    results["machine"]["load_average_at_end"] = os.getloadavg()
    path = a.out / "bench.json"
    path.write_text(json.dumps(results, indent=2, default=float))
    plot(results, a.out / "scaling.png")
    print(f"wrote {path} and {a.out / 'scaling.png'}")
    return results


if __name__ == "__main__":
    main()
