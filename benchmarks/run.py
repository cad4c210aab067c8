"""The performance benchmark: throughput, scaling, threads, memory, construction, phases, plain-Mesa speedup,
compile time, ``relsim run`` end to end and the default market in a fresh process.

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

The engine is one path: every phase is a compiled numba kernel calling the
scalar equations of ``sim.dynamics``. Compiling (or loading from numba's cache)
is done before any timing (``sim.model.warm_up``) and measured apart, each in a
fresh process: from an empty ``NUMBA_CACHE_DIR`` (cold) and from the cache it
leaves (cached).

Times are CPU seconds of the benchmark process (``time.process_time``): the
kernels are serial, so that is the engine's time on one core, and work other
processes do on a shared machine inflates it far less than wall time (which is
recorded too). The run at the largest size is repeated with numba's thread
count set to 1 and to 2 (``numba.set_num_threads``; wall time is the figure
that would show parallel kernels).

``relsim run`` end to end (``benchmarks/end_to_end.py``): the command line on
a scenario file holding the largest size's market, in a fresh process, for two
tick counts (results written, figures and report included); the marginal rate
(extra relationship-ticks over extra seconds) against the engine's rate over
the same ticks; where the time of such a run goes (wrapped stages, at both
tick counts) and a sampling profile of it. The default market (20 exporters x 500 buyers, 200 ticks) is run in
fresh processes too: import, loading (or compiling) the kernels, then per-run time.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import json
import os
import platform
import sys
import time
import tracemalloc
from pathlib import Path

import numba
import numpy as np

import sim
import sim.model
from sim import awareness, population

from . import end_to_end
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


def _fresh_python(code: str, env: dict | None = None) -> tuple[dict, dict]:
    """Run ``code`` in a fresh interpreter (in the project folder); its last stdout line as JSON, and its clocks."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "out.log"
        clocks = end_to_end.spawn([sys.executable, "-c", code], log, env=env, cwd=HERE.parent)
        return json.loads(log.read_text().strip().splitlines()[-1]), clocks


_WARM_UP = """import json, time
t = time.perf_counter()
import sim.model as m
i = time.perf_counter() - t
print(json.dumps({"import_s": i, "warm_up_s": m.warm_up()}))"""


def compile_seconds() -> dict:
    """Seconds to compile every numba kernel from scratch (empty cache) and to load them from numba's cache.

    Each is measured in a fresh Python process (``sim.model.warm_up``), never inside a timed run; the
    second process finds the cache the first one left.
    """
    import tempfile

    out = {"measured": True}
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NUMBA_CACHE_DIR": tmp}
        for label in ("cold", "cached"):
            r, clocks = _fresh_python(_WARM_UP, env)
            out[f"{label}_s"] = r["warm_up_s"]
            out[f"{label}_import_s"] = r["import_s"]
            out[f"{label}_process_wall_s"] = clocks["wall_s"]
        out["cache_files"] = sum(1 for f in Path(tmp).rglob("*") if f.is_file())
        out["cache_bytes"] = sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file())
    return out


_DEFAULT_MARKET = """import json, time
t0 = time.perf_counter()
import sim.model as M
imp = time.perf_counter() - t0
runs = []
for i in range({runs}):
    w, c = time.perf_counter(), time.process_time()
    m = M.MarketModel(rng=1 + i)
    m.run_for({ticks})
    runs.append(dict(wall_s=time.perf_counter() - w, cpu_s=time.process_time() - c, live_end=int(m.recorder.last()["n_live"]),
                     relationships=int(m.ledger.n_created), exporters=int(m.exporters.n), buyers=int(m.buyers.n)))
print(json.dumps({{"import_s": imp, "runs": runs, "total_s": time.perf_counter() - t0}}))"""


def default_market_fresh(ticks: int = 200, runs: int = 3, cold: bool = True, cli: bool = True,
                         workdir: Path | None = None) -> dict:
    """The default market (every parameter at its default: 20 exporters x 500 buyers) for ``ticks`` ticks,
    ``runs`` times, in a fresh process: with numba's cache (``cached``) and, with ``cold``, from an empty
    cache (the first run then compiles the kernels it needs). The first run of a process includes loading
    (or compiling) the kernels; the later ones are the per-run time. With ``cli``: ``relsim run`` on the
    shipped default scenario (``scenarios/baseline.yaml``: that market, 5 replications, figures and report)
    in a fresh process, wall seconds.
    """
    import tempfile

    code = _DEFAULT_MARKET.format(runs=max(runs, 2), ticks=ticks)
    out = {"ticks": ticks, "runs": max(runs, 2)}
    labels = [("cached", None)] + ([("cold", "empty")] if cold else [])
    for label, cache in labels:
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "NUMBA_CACHE_DIR": tmp} if cache else None
            r, clocks = _fresh_python(code, env)
        later = [x["wall_s"] for x in r["runs"][1:]]
        r.update(process=clocks, first_run_wall_s=r["runs"][0]["wall_s"], per_run_wall_s=float(np.median(later)),
                 per_run_cpu_s=float(np.median([x["cpu_s"] for x in r["runs"][1:]])))
        # what the first run of a process costs beyond a later one: loading (or compiling) the kernels
        r["kernel_load_s"] = r["first_run_wall_s"] - r["per_run_wall_s"]
        r["per_run_seconds_per_tick"] = r["per_run_wall_s"] / ticks
        r["first_result_wall_s"] = r["import_s"] + r["first_run_wall_s"]
        out[label] = r
    if cli:
        baseline = HERE.parent / "scenarios" / "baseline.yaml"
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(workdir or tmp) / "default_market_cli"
            folder.parent.mkdir(parents=True, exist_ok=True)
            cmd = [*end_to_end.relsim_command(), "run", str(baseline), "--out", str(folder), "--force"]
            r = end_to_end.spawn(cmd, folder.with_suffix(".log"))
            r.update(end_to_end.results_of(folder), command=f"relsim run {baseline.relative_to(HERE.parent)}")
            r.pop("n_live")
        import yaml

        r["replications"] = yaml.safe_load(baseline.read_text()).get("replications")
        out["cli"] = r
    return out


def machine() -> dict:
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "mesa": __import__("mesa").__version__,
        "numba": numba.__version__,
        "numba_threads_max": int(numba.config.NUMBA_NUM_THREADS),
        "numba_threads_default": int(numba.get_num_threads()),
        "NUMBA_NUM_THREADS": os.environ.get("NUMBA_NUM_THREADS"),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "load_average_at_start": os.getloadavg(),
    }


def timed_run(kw: dict, ticks: int, seed: int = 1, keep: dict | None = None) -> dict:
    """Build a market, warm it up, time ``ticks`` ticks one by one (with numba's current thread count)."""
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
    total, total_wall = float(np.sum(secs)), float(np.sum(wall))
    return {
        "construction_s": build,
        "construction_wall_s": build_wall,
        "wall_seconds_per_tick": total_wall / ticks,
        "live_mean": float(np.mean(live)),
        "live_min": int(np.min(live)),
        "live_max": int(np.max(live)),
        "ledger_rows": int(model.ledger.n),
        "seconds_total": total,
        "wall_seconds_total": total_wall,
        "seconds_per_tick": total / ticks,
        "relationship_ticks_per_s": float(np.sum(live)) / total,
        "relationship_ticks_per_s_wall": float(np.sum(live)) / total_wall,
        "slowest_tick_s": float(np.max(secs)),
        "median_tick_s": float(np.median(secs)),
        "numba_threads": int(numba.get_num_threads()),
        # tick by tick (ticks WARMUP + 1 ... WARMUP + ticks), for rates over a window of ticks
        "per_tick": {"first_tick": WARMUP + 1, "cpu_s": secs, "wall_s": wall, "live": [int(x) for x in live]},
    }


def window_rate(run: dict, first: int, last: int) -> dict:
    """Relationship-ticks per second of a ``timed_run`` over ticks ``first..last`` (what it timed of them)."""
    pt = run["per_tick"]
    lo = max(first - pt["first_tick"], 0)
    hi = min(last - pt["first_tick"] + 1, len(pt["live"]))
    if hi - lo < 1:
        lo, hi = 0, len(pt["live"])  # the window was not timed: the whole timed run instead
    live = float(np.sum(pt["live"][lo:hi]))
    return {"ticks": [pt["first_tick"] + lo, pt["first_tick"] + hi - 1],
            "relationship_ticks_per_s": live / float(np.sum(pt["cpu_s"][lo:hi])),
            "relationship_ticks_per_s_wall": live / float(np.sum(pt["wall_s"][lo:hi]))}


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
    """The engine and the plain-Mesa version (``sim.testing.PlainMarket``) side by side on the same market,
    seed and ticks.

    The engine is timed ``repeats`` times and the plain version ``plain_repeats`` times; the fastest run of
    each counts (a 30-tick engine run at 10^4 lasts a few tens of ms, so it is repeated more).
    """
    from sim.testing import PlainMarket

    kw = shape(n_live)
    out = {"params": kw, "ticks": ticks, "market": shape.__name__}
    models = {}
    for name, cls, n in (("engine", sim.MarketModel, repeats), ("plain_mesa", PlainMarket, plain_repeats)):
        best = (np.inf, np.inf)
        for _ in range(n):
            gc.collect()
            model = cls(rng=seed, **kw)
            t0, c0 = time.perf_counter(), time.process_time()
            model.run_for(ticks)
            best = min(best, ((time.process_time() - c0) / ticks, (time.perf_counter() - t0) / ticks))
        out[f"{name}_seconds_per_tick"], out[f"{name}_wall_seconds_per_tick"] = best
        models[name] = model
    ts_e, ts_p = models["engine"].timeseries, models["plain_mesa"].timeseries
    out["live_mean"] = float(ts_p["n_live"].mean())
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

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    rows = results["scaling"]
    n = np.array([r["live_mean"] for r in rows])
    sec = np.array([r["seconds_per_tick"] for r in rows])
    ax.loglog(n, sec, "o-", label=f"engine (fitted exponent {results['fitted_exponent']:.2f})")
    ax.loglog(n, n / 1e7, ":", color="grey", label="target: 10$^7$ relationship-ticks/s")
    th = results.get("threads") or {}
    for k, marker in (("1", "v"), ("2", "^")):
        r = th.get("by_threads", {}).get(k)
        if r:
            ax.loglog([r["live_mean"]], [r["wall_seconds_per_tick"]], marker, color="C2", mfc="none",
                      label=f"engine, {k} numba thread{'s' * (k != '1')} (wall)")
    e2e = results.get("end_to_end")
    if e2e and e2e["marginal_wall_seconds_per_tick"] > 0:
        ax.loglog([e2e["live_mean_extra_ticks"]], [e2e["marginal_wall_seconds_per_tick"]], "s", color="C1",
                  label=f"relsim run end to end, marginal (wall; {e2e['ratio']:.2f} x the engine's rate)")
    for key, marker, name in (("speedup", "D", "benchmark market"), ("speedup_default_market", "^", "default market")):
        sp = results.get(key)
        if sp:
            ax.loglog([sp["live_mean"]], [sp["plain_mesa_seconds_per_tick"]], marker, color="C3",
                      label=f"plain Mesa, {name} ({sp['speedup']:.0f}x slower)")
    ax.set_xlabel("live relationships")
    ax.set_ylabel("seconds per tick (CPU unless marked wall)")
    ax.set_title("relsim: time per tick")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def scaling(sizes, ticks: int, repeats: int, repeats_largest: int, trace_largest: bool = True) -> list[dict]:
    """Time per tick, throughput and (traced run) memory of the benchmark market at each size."""
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
        print(f"N={n:>9,}: live {best['live_mean']:>11,.0f}  {best['seconds_per_tick']*1e3:8.2f} ms/tick  "
              f"{best['relationship_ticks_per_s']:.3g} rel-ticks/s  built in {best['construction_s']:.2f} s  {mem}", flush=True)
    return out


def threads(kw: dict, ticks: int, counts=(1, 2), repeats: int = 2) -> dict:
    """The market ``kw`` with numba's thread count set to each of ``counts`` (``numba.set_num_threads``; counts
    above ``NUMBA_NUM_THREADS`` are left out), ``repeats`` runs each, interleaved; the fastest wall time counts."""
    counts = [c for c in counts if 1 <= c <= numba.config.NUMBA_NUM_THREADS]
    saved = numba.get_num_threads()
    best: dict[str, dict] = {}
    try:
        for _ in range(repeats):
            for c in counts:
                numba.set_num_threads(c)
                r = timed_run(kw, ticks)
                if str(c) not in best or r["wall_seconds_total"] < best[str(c)]["wall_seconds_total"]:
                    best[str(c)] = r
    finally:
        numba.set_num_threads(saved)
    for r in best.values():
        r.pop("per_tick")
    out = {"counts": counts, "repeats": repeats, "params": kw, "by_threads": best}
    if "1" in best and "2" in best:
        out["wall_speedup_2_over_1"] = best["1"]["wall_seconds_per_tick"] / best["2"]["wall_seconds_per_tick"]
    return out


def phase_profile(kw: dict, ticks: int) -> dict:
    model = sim.MarketModel(rng=1, **kw)
    model.run_for(WARMUP)
    live = model.recorder.last()["n_live"]
    per_tick, calls = profile_ticks(model, ticks)
    return {"live": live, "ticks": ticks, "first_tick": WARMUP + 1, "seconds_per_tick": per_tick, "calls": calls}


def end_to_end_run(largest: dict, default_malloc: dict | None, ticks: tuple[int, int], repeats: int, workdir: Path,
                   profile: bool = True, breakdown: bool = True) -> dict:
    """``relsim run`` on the largest size's market (``benchmarks.end_to_end``): the marginal rate between two
    tick counts against the engine's rate over the same ticks (the scaling's best run at that size, and the
    run with glibc's default malloc settings, which the command runs with); then, in fresh processes,
    where the time goes (``breakdown``, at both tick counts: their difference is where the marginal time
    goes) and a sampling profile of the longer run (``profile``)."""
    kw = largest["params"]
    r = end_to_end.marginal(kw, ticks, workdir, repeats=repeats)
    lo, hi = ticks
    r["engine_window"] = window_rate(largest, lo + 1, hi)
    r["ratio"] = r["marginal_relationship_ticks_per_s_wall"] / r["engine_window"]["relationship_ticks_per_s_wall"]
    r["ratio_cpu"] = r["marginal_relationship_ticks_per_s_cpu"] / r["engine_window"]["relationship_ticks_per_s"]
    if default_malloc is not None:
        r["engine_window_default_malloc"] = window_rate(default_malloc, lo + 1, hi)
        r["ratio_vs_default_malloc"] = (r["marginal_relationship_ticks_per_s_wall"]
                                        / r["engine_window_default_malloc"]["relationship_ticks_per_s_wall"])
    for run in r["runs"].values():
        run.pop("n_live")
    print(f"relsim run end to end: marginal {r['marginal_relationship_ticks_per_s_wall']:.3g} rel-ticks/s (wall) vs the "
          f"engine's {r['engine_window']['relationship_ticks_per_s_wall']:.3g} over ticks {r['engine_window']['ticks']}: "
          f"ratio {r['ratio']:.2f} (CPU {r['ratio_cpu']:.2f}); fixed cost {r['fixed_wall_s']:.1f} s", flush=True)
    scenario = Path(r["scenario"])
    if breakdown:
        low = end_to_end.fresh("breakdown", scenario, workdir / f"breakdown_{lo}_ticks", lo)
        r["breakdown"] = b = end_to_end.fresh("breakdown", scenario, workdir / f"breakdown_{hi}_ticks", hi)
        r["breakdown_low"] = low
        # what each stage adds per extra tick: the difference of the two breakdowns
        extra = (b["process"]["wall_s"] - low["process"]["wall_s"]) / (hi - lo)
        r["marginal_by_stage"] = {"seconds_per_extra_tick": extra, "stages": [
            dict(stage=x["stage"], indent=x["indent"], seconds_per_extra_tick=(x["wall_s"] - y["wall_s"]) / (hi - lo),
                 share=(x["wall_s"] - y["wall_s"]) / (hi - lo) / extra if extra > 0 else float("nan"))
            for x, y in zip(b["stages"], low["stages"])]}
        print(f"relsim run, where the time goes (wall s, inclusive) at {lo} and {hi} ticks, and per extra tick:", flush=True)
        for x, y, m in zip(b["stages"], low["stages"], r["marginal_by_stage"]["stages"]):
            print(f"  {'  ' * x['indent']}{x['stage']}: {y['wall_s']:.2f}, {x['wall_s']:.2f} (x{x['calls']}); "
                  f"{m['seconds_per_extra_tick']*1e3:.0f} ms/tick", flush=True)
        print(f"  process: {low['process']['wall_s']:.1f}, {b['process']['wall_s']:.1f}; {extra*1e3:.0f} ms/tick", flush=True)
    if profile:
        r["profile"] = p = end_to_end.fresh("profile", scenario, workdir / "profile", hi, top=40)
        print(f"sampling profile of relsim run ({hi} ticks): {p['listing']}", flush=True)
    return r


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1e3,1e4,1e5,1e6", help="live relationships to measure, comma-separated")
    ap.add_argument("--ticks", type=int, default=100, help="timed ticks per size (after %d warm-up ticks)" % WARMUP)
    ap.add_argument("--repeats", type=int, default=3, help="runs per size below 10^6 (the first traces memory); the fastest counts")
    ap.add_argument("--repeats-largest", type=int, default=3, help="runs per size of 10^6 and more (the first traces memory)")
    ap.add_argument("--threads", default="1,2", help="numba thread counts to run the largest size with")
    ap.add_argument("--repeats-threads", type=int, default=2, help="runs per thread count (interleaved); the fastest counts")
    ap.add_argument("--speedup-size", type=float, default=1e4, help="live relationships of the plain-Mesa comparison")
    ap.add_argument("--speedup-ticks", type=int, default=30)
    ap.add_argument("--construction", type=float, default=1e6,
                    help="initial relationships of the construction market (5 per buyer, 100 buyers per exporter)")
    ap.add_argument("--no-compile-time", action="store_true",
                    help="skip what compiles from an empty numba cache (two fresh processes, and the default market's cold one)")
    ap.add_argument("--e2e-ticks", default="20,60", help="the two tick counts of `relsim run` end to end (largest size)")
    ap.add_argument("--e2e-repeats", type=int, default=2, help="`relsim run` processes per tick count; the fastest counts")
    ap.add_argument("--no-e2e-profile", action="store_true", help="skip the sampling profile of `relsim run`")
    ap.add_argument("--no-end-to-end", action="store_true", help="skip `relsim run` end to end")
    ap.add_argument("--default-ticks", type=int, default=200, help="ticks of the default market in a fresh process")
    ap.add_argument("--default-runs", type=int, default=3, help="runs of the default market per fresh process (>= 2)")
    ap.add_argument("--no-default-cli", action="store_true", help="skip `relsim run` on the default scenario")
    ap.add_argument("--quick", action="store_true", help="sizes up to 1e5, 30 ticks, one repeat (a smoke run)")
    ap.add_argument("--out", type=Path, default=OUT, help="folder for bench.json, scaling.png and the end-to-end runs")
    a = ap.parse_args(argv)
    if a.quick:
        a.sizes, a.ticks, a.repeats, a.repeats_largest, a.repeats_threads = "1e3,1e4,1e5", 30, 1, 1, 1
        a.speedup_ticks, a.construction, a.e2e_ticks, a.e2e_repeats = 10, 1e5, "20,40", 1
    sizes = [int(float(x)) for x in a.sizes.split(",")]
    e2e_ticks = tuple(int(x) for x in a.e2e_ticks.split(","))
    a.out.mkdir(parents=True, exist_ok=True)
    work = a.out / "end_to_end"

    results = {"machine": machine(), "settings": {"ticks": a.ticks, "warmup": WARMUP, "repeats": a.repeats,
                                                   "repeats_largest": a.repeats_largest, "repeats_threads": a.repeats_threads,
                                                   "clock": "time.process_time", "market": "benchmarks.run.market(N)",
                                                   "market_params": MARKET, "live_per_buyer": LIVE_PER_BUYER,
                                                   "e2e_ticks": list(e2e_ticks), "e2e_repeats": a.e2e_repeats}}
    path = a.out / "bench.json"

    def save() -> None:  # after every section, so that a run cut short keeps what it measured
        path.write_text(json.dumps(results, indent=1, default=float))

    results["compile"] = {"measured": False} if a.no_compile_time else compile_seconds()
    print("numba compile (s):", results["compile"], flush=True)
    save()
    results["default_market"] = default_market_fresh(a.default_ticks, a.default_runs, cold=not a.no_compile_time,
                                                     cli=not a.no_default_cli, workdir=work)
    dm = results["default_market"]
    print(f"default market, fresh process: import {dm['cached']['import_s']:.2f} s, first run "
          f"{dm['cached']['first_run_wall_s']:.2f} s, then {dm['cached']['per_run_wall_s']:.3f} s per run"
          + (f"; from an empty cache the first run takes {dm['cold']['first_run_wall_s']:.1f} s" if "cold" in dm else "")
          + (f"; relsim run {dm['cli']['command'].split()[-1]}: {dm['cli']['wall_s']:.1f} s" if "cli" in dm else ""), flush=True)
    save()

    results["warm_up_s"] = sim.model.warm_up()  # compiled kernels loaded from numba's cache before any timing
    # the largest size once with glibc's default malloc settings (before tune_malloc), for the record
    results["default_malloc"] = dict(timed_run(market(sizes[-1]), a.ticks), target_live=sizes[-1])
    print(f"default malloc, N={sizes[-1]:,}: {results['default_malloc']['seconds_per_tick']*1e3:.1f} ms/tick", flush=True)
    results["settings"]["malloc_tuned"] = tune_malloc()
    save()

    results["scaling"] = scaling(sizes, a.ticks, a.repeats, a.repeats_largest)
    results["fitted_exponent"] = fit_exponent([r["live_mean"] for r in results["scaling"]],
                                              [r["seconds_per_tick"] for r in results["scaling"]])
    print(f"fitted_exponent: {results['fitted_exponent']:.3f}", flush=True)
    largest = results["scaling"][-1]
    save()

    counts = tuple(int(x) for x in a.threads.split(","))
    results["threads"] = th = threads(largest["params"], a.ticks, counts, a.repeats_threads)
    print("numba threads:", {k: f"{r['relationship_ticks_per_s_wall']:.3g} rel-ticks/s (wall), "
                                 f"{r['relationship_ticks_per_s']:.3g} (CPU)" for k, r in th["by_threads"].items()}, flush=True)
    save()

    results["construction"] = construction_breakdown(construction_market(int(a.construction)))
    print("construction:", {k: round(v, 3) for k, v in results["construction"].items()}, flush=True)

    results["phases"] = phase_profile(largest["params"], min(10, a.ticks))
    print("phases (ms/tick):", {k: round(v * 1e3, 2) for k, v in results["phases"]["seconds_per_tick"].items()}, flush=True)

    results["snapshots"] = snapshot_cost(min(sizes[-1], 100_000), min(a.ticks, 50), repeats=min(a.repeats, 2))
    print("snapshots:", results["snapshots"], flush=True)
    save()

    for key, shape in (("speedup", market), ("speedup_default_market", default_market)):
        results[key] = sp = speedup(int(a.speedup_size), a.speedup_ticks, shape=shape)
        print(f"{key}: plain Mesa {sp['plain_mesa_seconds_per_tick']*1e3:.1f} ms/tick, engine "
              f"{sp['engine_seconds_per_tick']*1e3:.2f} ms/tick ({sp['speedup']:.0f}x), same trajectory: "
              f"{sp['same_trajectory']}", flush=True)
        save()

    if not a.no_end_to_end:
        results["end_to_end"] = end_to_end_run(largest, results["default_malloc"], e2e_ticks, a.e2e_repeats, work,
                                               profile=not a.no_e2e_profile)

    results["machine"]["load_average_at_end"] = os.getloadavg()
    save()
    plot(results, a.out / "scaling.png")
    print(f"wrote {path} and {a.out / 'scaling.png'}")
    return results


if __name__ == "__main__":
    main()
