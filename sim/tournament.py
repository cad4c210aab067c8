"""Tournaments of retention policies: every focal policy among every field policy, on common random numbers.

Like Axelrod's tournaments, kept in separate steps: a *match* is one market, a *tournament* plans and runs
the matches (``run_tournament``), its *result set* is computed from the tables the runs wrote
(``match_table``, ``payoff_table``), and the figure is drawn from that (``sim.plots.tournament_figure``).

In the match (X, Y) a share ``focal_share`` of the exporters run the focal policy X and the others the field
policy Y (``MarketModel(policy_mix={X: s, Y: 1 - s})``). Which exporters are focal follows from the run's
seed alone (``sim.policies.assign_policies``), so in every match of one replication the *same* exporters
are focal, on the same seed: in (Y, Y) they run Y like everyone else. Two payoffs are reported for each
(X, Y), each as the mean over replications with a paired 95% t interval:

* **against the field**: the focal exporters' mean outcome per exporter minus the field exporters', in the
  same market (in % of the field's);
* **gain from switching**: the focal exporters' outcome in (X, Y) minus theirs in (Y, Y), the same
  exporters on the same seed (in % of the latter): what a firm gains by changing to X while its competitors
  keep Y.

Outcomes per exporter: profit, revenue, retention rate (share of its trading relationships live at
``t0 = T // 2`` still live at ``T``), customers won, mean customer lifetime value.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats

from . import results as R
from .experiments import DEFAULT_TICKS, RunSpec, execute, run_seed
from .outcomes import BETTER
from .parameters import validate
from .policies import assign_policies, exporter_ranks, mix_counts
from .streams import draw_seed

#: the share of the exporters that run the focal policy, by default
FOCAL_SHARE = 0.25
#: outcomes per exporter that the result set compares (column of the match table -> meaning)
OUTCOMES = {
    "profit": "profit over the run, per exporter [money]",
    "revenue": "revenue over the run, per exporter [money]",
    "retention_rate": "share of the exporter's trading relationships live at t0 = T//2 still live at T [0-1]",
    "customers_won": "trial orders received over the run, per exporter [count]",
    "cost_per_acquired_customer": "the exporter's acquisition spend per customer won [money]",
    "clv": "mean customer lifetime value of the exporter's trading relationships [money]",
}


@dataclass(frozen=True)
class Match:
    """One market of a tournament: ``focal`` among ``field`` (the same policy: everyone runs it)."""

    focal: str
    field: str
    replication: int
    seed: int

    def mix(self, focal_share: float) -> dict[str, float]:
        if self.focal == self.field:
            return {self.focal: 1.0}
        return {self.focal: focal_share, self.field: 1.0 - focal_share}


def focal_exporters(n_exporters: int, focal_share: float, seed: int) -> np.ndarray:
    """Which exporters are focal in every match of a replication with this run ``seed``: those the first
    policy of a two-policy mix goes to (``assign_policies``), whatever the policies are."""
    counts = mix_counts([focal_share, 1.0 - focal_share], n_exporters)
    if counts[0] == 0 or counts[1] == 0:
        raise ValueError(f"focal_share={focal_share!r} is not allowed with {n_exporters} exporters: expected a share "
                         "that gives at least one focal and one field exporter")
    return np.sort(np.asarray(exporter_ranks(n_exporters, draw_seed(seed))[:counts[0]]))


def plan(params: dict, policies: list[str], replications: int, seed: int, focal_share: float = FOCAL_SHARE,
         scenario: str = "tournament") -> list[tuple[Match, RunSpec]]:
    """Every ordered pair (focal, field) of ``policies``, the same pair included, ``replications`` times; the
    seed of replication r is the same in every match (common random numbers). ``params`` are MarketModel
    keyword arguments (plus ``ticks``) without a policy. Raises ValueError on a bad parameter or share."""
    if len(policies) < 2 or len(set(policies)) != len(policies):
        raise ValueError(f"policies={policies!r} is not allowed: expected at least two distinct policy names")
    if not 0.0 < focal_share < 1.0:
        raise ValueError(f"focal_share={focal_share!r} is not allowed: expected a share in (0, 1)")
    base = {k: v for k, v in params.items() if k not in ("policy", "policy_mix", "rng")}
    ticks = int(base.pop("ticks", DEFAULT_TICKS))
    checked = validate(base)
    focal_exporters(checked["n_exporters"], focal_share, 0)  # enough exporters for both sides
    out = []
    for rep in range(int(replications)):
        s = run_seed(int(seed), {}, rep)
        for x in policies:
            for y in policies:
                m = Match(x, y, rep, s)
                run_params = {**base, "policy": y, "policy_mix": m.mix(focal_share), "ticks": ticks}
                assign_policies(run_params["policy_mix"], y, checked["n_exporters"], 0)  # names and shares
                label = x if x == y else f"{x} among {y}"
                out.append((m, RunSpec(scenario, label, 0, {}, rep, s, run_params)))
    return out


# ---- the result set ------------------------------------------------------------------------------
def exporter_outcomes(root: Path, run_hash: str, focal: np.ndarray) -> pd.DataFrame:
    """One row per exporter of one run (from the tables it wrote): its ``OUTCOMES`` and whether it is focal."""
    d = R.run_dir(root, run_hash)
    ex = pd.read_parquet(d / "exporters.parquet")
    rel = pd.read_parquet(d / "relationships.parquet", columns=["relationship", "exporter", "peak", "ended"])
    ev = pd.read_parquet(d / "events.parquet", columns=["tick", "relationship", "to_stage"])
    ts = pd.read_parquet(d / "timeseries.parquet", columns=["tick"])
    T = int(ts["tick"].iloc[-1]) if len(ts) else 0
    t0 = T // 2
    started = ev[ev["to_stage"] == "exploration"].groupby("relationship", observed=True)["tick"].min()
    traded = rel[rel["peak"].isin(["exploration", "expansion", "commitment"])].join(started.rename("start"),
                                                                                    on="relationship")
    live_t0 = (traded["start"] <= t0) & ((traded["ended"] < 0) | (traded["ended"] > t0))
    cohort = traded[live_t0]
    kept = cohort.groupby("exporter")["ended"].apply(lambda e: float((e < 0).mean()))
    out = ex[["exporter", "profit", "revenue", "customers_won", "cost_per_acquired_customer", "clv"]].copy()
    out["retention_rate"] = out["exporter"].map(kept)
    out["focal"] = out["exporter"].isin(focal)
    return out


def match_table(root: Path, matches: list[tuple[Match, str]], n_exporters: int, focal_share: float) -> pd.DataFrame:
    """The tidy result set: one row per match and side (focal, field), each ``OUTCOMES`` averaged over the side's
    exporters."""
    rows = []
    for m, h in matches:
        per = exporter_outcomes(root, h, focal_exporters(n_exporters, focal_share, m.seed))
        for side, part in (("focal", per[per["focal"]]), ("field", per[~per["focal"]])):
            row = dict(focal=m.focal, field=m.field, replication=m.replication, seed=m.seed, run=h, side=side,
                       exporters=len(part))
            row.update({k: float(part[k].mean()) for k in OUTCOMES})
            rows.append(row)
    return pd.DataFrame(rows)


def _paired(d: np.ndarray, base: np.ndarray, level: float = 0.95) -> dict:
    """Mean of paired differences ``d`` with a t interval, and the same in % of the mean of ``base``."""
    d = d[np.isfinite(d)]
    n = d.size
    mean = float(d.mean()) if n else float("nan")
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * d.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    ref = float(np.nanmean(base)) if base.size else float("nan")
    pct = 100.0 / abs(ref) if ref and np.isfinite(ref) else float("nan")
    return dict(n=n, diff=mean, low=mean - half, high=mean + half, diff_pct=mean * pct, low_pct=(mean - half) * pct,
                high_pct=(mean + half) * pct)


def payoff_table(matches: pd.DataFrame) -> pd.DataFrame:
    """Both payoffs of every (focal, field) pair and outcome, paired over replications (see the module doc):
    ``payoff`` is ``against_field`` or ``switching_gain``; ``diff`` with its 95% CI ``low``-``high``, and the
    same in % of the reference (``diff_pct``...); ``verdict`` says whether the interval excludes 0."""
    key = ["focal", "field", "replication"]
    focal = matches[matches["side"] == "focal"].set_index(key).sort_index()
    field = matches[matches["side"] == "field"].set_index(key).sort_index()
    rows = []
    policies = list(dict.fromkeys(matches["focal"]))
    for x in policies:
        for y in policies:
            f, g = focal.loc[(x, y)], field.loc[(x, y)]
            stay = focal.loc[(y, y)]
            for out in OUTCOMES:
                for payoff, d, base in (
                    ("against_field", f[out] - g[out].reindex(f.index), g[out]),
                    ("switching_gain", f[out] - stay[out].reindex(f.index), stay[out]),
                ):
                    r = _paired(d.to_numpy(float), base.to_numpy(float))
                    good = BETTER.get(out, 1)
                    if payoff == "switching_gain" and x == y:
                        r.update(diff=0.0, low=0.0, high=0.0, diff_pct=0.0, low_pct=0.0, high_pct=0.0)
                    if r["low"] > 0 or r["high"] < 0:  # in the outcome's good direction (a cost: lower is better)
                        verdict = "better" if (r["low"] > 0) == (good > 0) else "worse"
                    else:
                        verdict = "no detectable difference"
                    rows.append(dict(focal=x, field=y, outcome=out, payoff=payoff, verdict=verdict,
                                     focal_mean=float(f[out].mean()), **r))
    return pd.DataFrame(rows)


# ---- running one -------------------------------------------------------------------------------
def run_tournament(params: dict, policies: list[str], root: str | os.PathLike, *, replications: int = 5,
                   seed: int = 0, focal_share: float = FOCAL_SHARE, scenario: str = "tournament",
                   workers: int = 1, resume: bool = False, force: bool = False, executor=None,
                   progress: Callable[[int, int], None] | None = None, command: list[str] | None = None,
                   figures: bool = True) -> dict[str, pd.DataFrame]:
    """Plan, run (resumable, like ``relsim sweep``) and evaluate a tournament; write ``matches.csv``,
    ``payoffs.csv``, ``manifest.json`` (and ``tournament.png``) to ``root``. Returns both tables."""
    planned = plan(params, policies, replications, seed, focal_share, scenario)
    root = Path(root)
    R.check_writable(root, force=force, resume=resume)
    R.prepare(root, force=force, resume=resume)
    specs = [s for _, s in planned]
    n_exporters = validate({k: v for k, v in specs[0].params.items()
                            if k not in ("ticks", "policy_mix")})["n_exporters"]
    manifest = dict(kind="tournament", status="running", scenario_name=scenario, seed=int(seed),
                    replications=int(replications), policies=list(policies), focal_share=float(focal_share),
                    command=list(command if command is not None else sys.argv), cwd=os.getcwd(),
                    versions=R.versions(), start=R.now_iso(), end=None, workers=int(workers),
                    outcomes=OUTCOMES,
                    runs=[dict(s.entry(), focal=m.focal, field=m.field) for m, s in planned])
    R.write_manifest(root, manifest)
    try:
        execute(specs, root, workers=workers, executor=executor, resume=resume, progress=progress)
    except BaseException:
        manifest.update(status="interrupted", end=R.now_iso())
        R.write_manifest(root, manifest)
        raise
    matches = match_table(root, [(m, s.hash) for m, s in planned], n_exporters, focal_share)
    payoffs = payoff_table(matches)
    R.write_csv(root / "matches.csv", matches)
    R.write_csv(root / "payoffs.csv", payoffs)
    manifest.update(status="complete", end=R.now_iso())
    R.write_manifest(root, manifest)
    if figures:
        from .plots import tournament_figure

        tournament_figure(root)
    return {"matches": matches, "payoffs": payoffs}


def scenario_params(scenario) -> tuple[dict, list[str]]:
    """A scenario's market (MarketModel keyword arguments plus ``ticks``) and its listed policies; raises
    ValueError for a scenario that gives a ``policy_mix`` (the tournament makes the mixes)."""
    if getattr(scenario, "policy_mix", None) is not None:
        raise ValueError("policy_mix is not allowed in a tournament: list the policies under policy "
                         "(the tournament makes the mixes)")
    policies = list(scenario.policies)
    params = dict(scenario.model_kwargs(policies[0]))
    params.pop("rng", None)
    params["ticks"] = int(scenario.ticks)
    return params, policies


def plan_scenario(scenario, focal_share: float = FOCAL_SHARE) -> list[tuple[Match, RunSpec]]:
    """``plan`` for a scenario: its market, policies, replications and seed."""
    params, policies = scenario_params(scenario)
    return plan(params, policies, int(scenario.replications), int(scenario.seed), focal_share, scenario.name)


def tournament(scenario, out, *, focal_share: float = FOCAL_SHARE, **kw) -> dict[str, pd.DataFrame]:
    """``run_tournament`` on a scenario: its market (every engine parameter), its listed policies, its
    replications and seed. ``out`` is the results folder; ``kw`` as ``run_tournament``'s."""
    params, policies = scenario_params(scenario)
    return run_tournament(params, policies, out, replications=int(scenario.replications), seed=int(scenario.seed),
                          focal_share=focal_share, scenario=scenario.name, **kw)
