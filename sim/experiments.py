"""Experiments: runs, seeds, replications, policy comparisons and sweeps.

The unit of work is one *run*: flat ``MarketModel`` keyword arguments (plus
``ticks``) and a seed. ``run_once(params, seed)`` returns its scalar outcomes
(picklable, no global state: drive it from any executor, EMA Workbench or SALib).
``execute_run(params, seed, root)`` also writes the run's tables under
``root/runs/<hash>/`` (see ``sim.results``); it is the function sent to workers.

``run``, ``compare`` and ``sweep`` plan runs from a scenario (sweep points x
policies x replications), execute them (in this process, or in local processes
with a ``ProcessPoolExecutor``, or on any ``concurrent.futures.Executor`` passed
in), combine the runs' tables into the results folder and make figures and a report.

Seeds: ``run_seed(scenario_seed, point, replication)`` derives each run's seed
from the scenario seed, the sweep point's values and the replication number, and
from nothing else: every policy sees the same seeds (common random numbers), and
the seed does not depend on the worker or the order in which runs finish.

Summary outcomes of a run (``OUTCOMES``; T = last tick, t0 = T // 2). A *trading*
relationship is one that reached exploration (a trial order); its duration runs from
its first trial order to its dissolution or, if still live, to T (censored).
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import math
import multiprocessing as mp
import os
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd

from . import results as R
from .model import MarketModel
from .parameters import validate
from .stats import COMPARE_OUTCOMES, compare_table, trading_spells

DEFAULT_TICKS = 200

#: Every scalar outcome of a run, with its definition (units in brackets).
OUTCOMES: dict[str, str] = {
    "retention_rate": "share of the trading relationships live at tick t0 = T//2 that are still live at T [0-1]",
    "retention_per_tick": "mean over ticks t0+1..T of 1 - trading dissolutions / trading relationships at the tick's start [0-1]",
    "profit": "total profit of all exporters over the run: gross margin - holding - stock-out - acquisition - retention costs [money]",
    "revenue": "total revenue of all exporters over the run [money]",
    "clv": "customer lifetime value: mean over trading relationships (live ones to date) of gross margin less contact money spent on them, discounted to the relationship's start at discount_rate [money]",
    "acquisition_spend": "money spent on acquisition over the run: contact with prospects and trade fairs [money]",
    "retention_spend": "money spent on retention over the run: contact with customers and retention programmes [money]",
    "programme_cost": "the retention programmes' part of retention_spend: surveys, customer database, shared-values programme [money]",
    "customers_won": "trial orders placed during the run: relationships that became trading (exploration) [count]",
    "cost_per_acquired_customer": "acquisition_spend / customers_won [money]",
    "cost_per_retained_customer": "retention spend over ticks t0+1..T / trading relationships live at t0 and still live at T (the retention_rate cohort's survivors) [money]",
    "mean_duration": "mean duration of trading relationships, live ones counted to T (censored, so a lower bound) [ticks]",
    "dissolutions": "trading relationships dissolved during the run (awareness lapses not counted) [count]",
    "dissolutions_lapsed": "awareness-stage relationships that lapsed without a trial order [count]",
    "trading_relationships": "relationships that reached exploration during the run [count]",
    "loyalty_y": "Weisbuch-Kirman-Herreiner loyalty y, mean over ticks t0+1..T [1/n..1]",
    "mean_trust": "mean trust of trading relationships at T [0-1]",
    "mean_commitment": "mean commitment of trading relationships at T [0-1]",
    "forecast_mape": "exporters' forecast error (MAPE), mean over ticks t0+1..T [share]",
    "fill_rate": "units delivered / units ordered, mean over ticks t0+1..T [0-1]",
    "inventory_cost": "total holding and stock-out cost over the run [money]",
    "revenue_hhi": "revenue concentration (Herfindahl index over customers) of active exporters, mean over t0+1..T [0-1]",
    "active_exporters": "exporters still in the market at T [count]",
    "n_awareness": "relationships in awareness at T [count]",
    "n_exploration": "relationships in exploration at T [count]",
    "n_expansion": "relationships in expansion at T [count]",
    "n_commitment": "relationships in commitment at T [count]",
}

_START_METHOD = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"


# ---- one run --------------------------------------------------------------------
def simulate(params: dict, seed: int) -> MarketModel:
    """Build and run a model: ``params`` are MarketModel kwargs plus optional ``ticks`` (default 200)."""
    kw = dict(params)
    ticks = int(kw.pop("ticks", DEFAULT_TICKS))
    model = MarketModel(rng=int(seed), **kw)
    model.run_for(ticks)
    return model


def outcomes(model: MarketModel, spells: pd.DataFrame | None = None, tables: dict | None = None) -> dict[str, float]:
    """The scalar outcomes (``OUTCOMES``) of a finished model (``tables``: its tables, if already built)."""
    tables = tables or {}
    ts = tables.get("timeseries", model.timeseries)
    T = int(ts["tick"].iloc[-1]) if len(ts) else 0
    t0 = T // 2
    late = ts[ts["tick"] > t0]
    rel = tables["relationships"] if "relationships" in tables else model.relationships
    if spells is None:
        spells = trading_spells(rel, tables["events"] if "events" in tables else model.events, T)
    live_t0 = (spells["start"] <= t0) & (~spells["dissolved"] | (spells["end"] > t0))
    cohort = spells[live_t0]
    last = ts.iloc[-1] if len(ts) else pd.Series(dtype=float)
    clv = rel.loc[rel["peak"].isin(["exploration", "expansion", "commitment"]), "clv"]
    lapsed = int(((rel["cause"] == "lapsed") & (rel["peak"] == "awareness")).sum())

    def mean(col):
        x = late[col].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        return float(x.mean()) if x.size else float("nan")

    def nz(x):
        return float(x) if x is not None and np.isfinite(x) else float("nan")

    acquisition, won = float(ts["acquisition_spend"].sum()), float(ts["customers_won"].sum())
    survivors = int((~cohort["dissolved"]).sum())
    out = {
        "retention_rate": float((~cohort["dissolved"]).mean()) if len(cohort) else float("nan"),
        "retention_per_tick": mean("retention_rate"),
        "profit": float(ts["profit"].sum()),
        "revenue": float(ts["revenue"].sum()),
        "clv": float(clv.mean()) if len(clv) else float("nan"),
        "acquisition_spend": acquisition,
        "retention_spend": float(ts["retention_spend"].sum()),
        "programme_cost": float(ts["programme_cost"].sum()),
        "customers_won": won,
        "cost_per_acquired_customer": acquisition / won if won else float("nan"),
        "cost_per_retained_customer": float(late["retention_spend"].sum()) / survivors if survivors else float("nan"),
        "mean_duration": float(spells["duration"].mean()) if len(spells) else float("nan"),
        "dissolutions": float(spells["dissolved"].sum()),
        "dissolutions_lapsed": float(lapsed),
        "trading_relationships": float(len(spells)),
        "loyalty_y": mean("loyalty_y"),
        "mean_trust": nz(last.get("mean_trust")),
        "mean_commitment": nz(last.get("mean_commitment")),
        "forecast_mape": mean("forecast_mape"),
        "fill_rate": mean("fill_rate"),
        "inventory_cost": float(ts["inventory_cost"].sum()),
        "revenue_hhi": mean("revenue_hhi"),
        "active_exporters": nz(last.get("active_exporters")),
    }
    for s in ("n_awareness", "n_exploration", "n_expansion", "n_commitment"):
        out[s] = nz(last.get(s))
    return out


def run_once(params: dict, seed: int) -> dict[str, float]:
    """Scalar outcomes (``OUTCOMES``) of one run of MarketModel(**params) with ``seed``.

    ``params`` are flat MarketModel kwargs (any subset; defaults for the rest) plus
    an optional ``ticks`` (default 200). Deterministic in (params, seed); picklable.
    """
    return outcomes(simulate(params, seed))


def execute_run(params: dict, seed: int, root: str) -> tuple[str, dict[str, float]]:
    """Run one run and write its tables and outcomes under ``root/runs/<hash>/``; return (hash, outcomes).

    This is the function executors run: a top-level function of plain values.
    """
    kw = dict(params)
    ticks = int(kw.pop("ticks", DEFAULT_TICKS))
    h = R.run_hash(kw, seed, ticks)
    model = simulate(params, seed)
    tables = {
        "timeseries": model.timeseries,
        "events": model.events,
        "relationships": model.relationships,
        "exporters": model.exporter_table,
    }
    if model.p["snapshot_every"]:
        tables["snapshots"] = model.snapshots
    if model.p["imitation_every"]:
        tables["policy_shares"] = model.policy_shares
    out = outcomes(model, tables=tables)
    R.write_run(Path(root), h, tables, out)
    return h, out


# ---- seeds and plans ------------------------------------------------------------------
def run_seed(scenario_seed: int, point: dict, replication: int) -> int:
    """Seed of a run from the scenario seed, the sweep point's values and the replication.

    Independent of policy, worker and order, so policies compared on the same
    (point, replication) share every random stream: common random numbers.
    """
    digest = hashlib.sha256(R.canonical(point or {}).encode()).digest()
    words = [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]
    seq = np.random.SeedSequence([int(scenario_seed), *words, int(replication)])
    return int(seq.generate_state(1, np.uint64)[0] >> np.uint64(1))


@dataclass(frozen=True)
class RunSpec:
    """One planned run: its identity in the experiment, its seed and its flat parameters."""

    scenario: str
    policy: str
    point: int
    point_values: dict
    replication: int
    seed: int
    params: dict  # MarketModel kwargs + ticks

    @cached_property
    def hash(self) -> str:
        kw = dict(self.params)
        ticks = int(kw.pop("ticks", DEFAULT_TICKS))
        return R.run_hash(kw, self.seed, ticks)

    def entry(self, status: str = "pending") -> dict:
        """The run's entry in manifest.json."""
        return dict(hash=self.hash, scenario=self.scenario, policy=self.policy, point=self.point,
                    point_values=self.point_values, replication=self.replication, seed=self.seed,
                    params=self.params, status=status)


def _policies(scenario) -> list[str]:
    p = scenario.policies
    return list(p() if callable(p) else p)


def _points(scenario, sweep: bool) -> list[dict]:
    if not sweep:
        return [{}]
    pts = scenario.sweep_points()
    return [dict(p) for p in pts] or [{}]


def plan(scenario, sweep: bool = False) -> list[RunSpec]:
    """Runs of a scenario: (sweep points if ``sweep``) x policies x replications, all validated.

    Raises ValueError (from the scenario layer or the model's parameter check) on
    a point that gives an invalid parameter; nothing is written.
    """
    specs = []
    for i, point in enumerate(_points(scenario, sweep)):
        sc = scenario.with_overrides(point) if point else scenario
        for policy in _policies(scenario):
            params = dict(sc.model_kwargs(policy))
            params.pop("rng", None)
            validate({k: v for k, v in params.items() if k not in ("ticks", "policy_mix")})
            params["ticks"] = int(sc.ticks)
            for rep in range(int(scenario.replications)):
                seed = run_seed(int(scenario.seed), point, rep)
                specs.append(RunSpec(scenario.name, policy, i, point, rep, seed, params))
    return specs


# ---- executing ------------------------------------------------------------------------
def local_executor(workers: int) -> cf.Executor:
    """A process pool of ``workers`` local processes (forkserver where available, else spawn)."""
    return cf.ProcessPoolExecutor(max_workers=int(workers), mp_context=mp.get_context(_START_METHOD))


def execute(specs: list[RunSpec], root: Path, workers: int = 1, executor: cf.Executor | None = None,
            resume: bool = False, progress: Callable[[int, int], None] | None = None) -> dict[str, str]:
    """Run every spec not already complete (with ``resume``); return hash -> status ("done" | "resumed").

    ``executor`` may be any ``concurrent.futures.Executor`` (e.g. a Dask client's
    ``get_executor()``); otherwise ``workers > 1`` uses a local process pool and
    ``workers == 1`` runs in this process. ``progress(done, total)`` is called after each run.
    """
    unique: dict[str, RunSpec] = {}
    for s in specs:
        unique.setdefault(s.hash, s)
    status = {h: "resumed" for h in unique if resume and R.is_complete(root, h)}
    todo = [s for h, s in unique.items() if h not in status]
    total, done = len(unique), len(status)
    if progress:
        progress(done, total)
    if not todo:
        return status
    if executor is not None and hasattr(executor, "run_specs"):
        # an engine that schedules RunSpecs itself (e.g. sim.distributed.DaskEngine); may mark runs "failed"
        return executor.run_specs(todo, root, status, total, progress)
    own = executor is None and workers > 1
    pool = local_executor(workers) if own else executor
    try:
        if pool is None:
            for s in todo:
                execute_run(s.params, s.seed, str(root))
                status[s.hash] = "done"
                done += 1
                if progress:
                    progress(done, total)
        else:
            futures = {pool.submit(execute_run, s.params, s.seed, str(root)): s for s in todo}
            for fut in cf.as_completed(futures):
                h, _ = fut.result()
                status[h] = "done"
                done += 1
                if progress:
                    progress(done, total)
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
    return status


# ---- results ----------------------------------------------------------------------------
class Results:
    """A results folder, read lazily: tidy tables, summary, compare table, manifest."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.manifest = R.read_manifest(self.path)

    def _parquet(self, name: str) -> pd.DataFrame:
        return pd.read_parquet(self.path / f"{name}.parquet")

    @cached_property
    def timeseries(self) -> pd.DataFrame:
        return self._parquet("timeseries")

    @cached_property
    def events(self) -> pd.DataFrame:
        return self._parquet("events")

    @cached_property
    def relationships(self) -> pd.DataFrame:
        return self._parquet("relationships")

    @cached_property
    def exporters(self) -> pd.DataFrame:
        return self._parquet("exporters")

    @cached_property
    def summary(self) -> pd.DataFrame:
        return pd.read_csv(self.path / "summary.csv")

    @cached_property
    def table(self) -> pd.DataFrame | None:
        """The compare table (compare.csv), if this folder holds a comparison."""
        p = self.path / "compare.csv"
        return pd.read_csv(p) if p.is_file() else None

    def __repr__(self) -> str:
        return f"Results({str(self.path)!r}, runs={len(self.manifest.get('runs', []))})"


def resolve_out(scenario, out=None, resume: bool = False, root: str | os.PathLike = "results") -> Path:
    """The results folder to use: ``out``, or (resume) the newest for this scenario, or a new default one."""
    if out is not None:
        return Path(out)
    if resume:
        found = R.latest_dir(scenario.name, root)
        if found is not None:
            return found
    return R.default_dir(scenario.name, root)


def _resolved(scenario) -> dict:
    f = getattr(scenario, "resolved", None)
    if callable(f):
        return f()
    return scenario.model_dump(mode="json")


def _experiment(kind: str, scenario, out=None, force: bool = False, resume: bool = False, workers: int = 1,
                executor: cf.Executor | None = None, progress=None, command: list[str] | None = None,
                figures: bool = True) -> Results:
    specs = plan(scenario, sweep=(kind == "sweep"))
    root = resolve_out(scenario, out, resume)
    R.check_writable(root, force=force, resume=resume)
    resolved = _resolved(scenario)
    if resume and (root / R.MANIFEST).is_file():
        old = R.read_manifest(root)
        if R.canonical(old.get("scenario")) != R.canonical(resolved) or old.get("kind") != kind:
            raise R.ResultsExistError(f"{root}: cannot resume: it holds a different {old.get('kind')} of a "
                                      "different scenario; use --force or another --out")
    R.prepare(root, force=force, resume=resume)
    manifest = dict(
        kind=kind,
        status="running",
        scenario=resolved,
        scenario_name=scenario.name,
        seed=int(scenario.seed),
        replications=int(scenario.replications),
        policies=_policies(scenario),
        seeds=sorted({s.seed for s in specs}),
        command=list(command if command is not None else sys.argv),
        cwd=os.getcwd(),
        versions=R.versions(),
        start=R.now_iso(),
        end=None,
        workers=int(workers),
        outcomes=OUTCOMES,
        runs=[s.entry() for s in specs],
    )
    R.write_manifest(root, manifest)
    try:
        status = execute(specs, root, workers=workers, executor=executor, resume=resume, progress=progress)
    except BaseException:
        manifest.update(status="interrupted", end=R.now_iso(),
                        runs=[s.entry("done" if R.is_complete(root, s.hash) else "missing") for s in specs])
        R.write_manifest(root, manifest)
        raise
    manifest["runs"] = [s.entry(status.get(s.hash, "done")) for s in specs]
    errors = {f.key: f.error for f in getattr(executor, "failures", ())}  # engines that keep failed runs going
    for e in manifest["runs"]:
        if e["hash"] in errors:
            e["error"] = errors[e["hash"]]
    complete = [e for e in manifest["runs"] if e["status"] in ("done", "resumed") and R.is_complete(root, e["hash"])]
    if not complete:
        manifest.update(status="failed", end=R.now_iso())
        R.write_manifest(root, manifest)
        raise RuntimeError(f"{root}: no run completed")
    tables = R.combine(root, complete)
    if kind == "compare":
        R.write_csv(root / "compare.csv", compare_table(tables["summary"], COMPARE_OUTCOMES))
    # the manifest is final before figures and report are made from the folder (the report shows its status/end)
    manifest.update(status="complete" if len(complete) == len(specs) else "incomplete", end=R.now_iso())
    R.write_manifest(root, manifest)
    outputs = getattr(scenario, "outputs", None)
    if figures and getattr(outputs, "figures", True):
        from .plots import make_figures

        make_figures(root)
    if figures and getattr(outputs, "report", True):
        from .report import write_report

        write_report(root)
    return Results(root)


def _with(scenario, replications=None, seed=None):
    over = {}
    if replications is not None:
        over["replications"] = int(replications)
    if seed is not None:
        over["seed"] = int(seed)
    return scenario.with_overrides(over) if over else scenario


def run(scenario, out=None, replications=None, seed=None, force: bool = False, workers: int = 1,
        executor=None, progress=None, command=None, figures: bool = True) -> Results:
    """Run every policy of ``scenario`` x its replications (no sweep) and write a results folder.

    ``out`` defaults to ``results/<name>-<timestamp>``. An existing folder raises
    ``ResultsExistError`` unless ``force``.
    """
    return _experiment("run", _with(scenario, replications, seed), out, force=force, workers=workers,
                       executor=executor, progress=progress, command=command, figures=figures)


def compare(scenario, out=None, replications=None, seed=None, force: bool = False, workers: int = 1,
            executor=None, progress=None, command=None, figures: bool = True) -> Results:
    """Run every policy over the same replications (common random numbers); write compare.csv too.

    ``Results.table``: per outcome and policy the mean with its 95% CI and the
    paired difference from the first policy with a 95% t-interval.
    """
    return _experiment("compare", _with(scenario, replications, seed), out, force=force, workers=workers,
                       executor=executor, progress=progress, command=command, figures=figures)


def sweep(scenario, out=None, workers: int = 1, resume: bool = False, force: bool = False, executor=None,
          progress=None, command=None, figures: bool = True, replications=None, seed=None) -> Results:
    """Run sweep points x policies x replications; ``resume`` skips runs already complete in ``out``."""
    return _experiment("sweep", _with(scenario, replications, seed), out, force=force, resume=resume,
                       workers=workers, executor=executor, progress=progress, command=command, figures=figures)
