"""The relationship lifecycle of Dwyer, Schurr & Oh (1987), measured on runs.

From the event log (one row per stage transition) and the per-tick stage counts:

* spells: how long relationships stay in each stage (completed spells, and how
  many are still running at the end: right-censored);
* the transition matrix between stages (counts and row shares);
* where dissolutions happen: dissolutions out of each stage per relationship-tick
  spent in that stage (the stage's hazard), split by cause.

Awareness is not a relationship that trades: the buyer only knows of the
exporter. Its 'lapsed' endings (awareness unused for ``awareness_lapse`` ticks)
are reported separately from the dissolutions of trading relationships, and the
fragility ordering is judged among the trading stages (exploration, expansion,
commitment).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .runs import pmap, scenario_kwargs, seed_for

LIVE_STAGES = ("awareness", "exploration", "expansion", "commitment")
TRADING = ("exploration", "expansion", "commitment")


@dataclass(frozen=True)
class LifecycleRun:
    replication: int
    ticks: int = 240
    n_buyers: int | None = None  # None: the scenario's
    n_exporters: int | None = None


def run_lifecycle(r: LifecycleRun) -> dict[str, pd.DataFrame]:
    """One run of the baseline scenario: its events and timeseries, tagged with the replication."""
    from ..model import MarketModel

    kw, _ = scenario_kwargs("baseline")
    if r.n_buyers:
        kw["n_buyers"] = r.n_buyers
    if r.n_exporters:
        kw["n_exporters"] = r.n_exporters
    m = MarketModel(**kw, rng=seed_for(1987, r.replication))
    m.run_for(r.ticks)
    ev, ts = m.events, m.timeseries
    ev["replication"] = r.replication
    ts["replication"] = r.replication
    return {"events": ev, "timeseries": ts}


def simulate(replications: int, ticks: int = 240, workers: int = 1, **size) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Events and timeseries of ``replications`` baseline runs (concatenated)."""
    out = pmap(run_lifecycle, [LifecycleRun(i, ticks, **size) for i in range(replications)], workers)
    ev = pd.concat([o["events"] for o in out], ignore_index=True)
    ts = pd.concat([o["timeseries"] for o in out], ignore_index=True)
    return ev, ts


def _plain(s: pd.Series) -> np.ndarray:
    return s.astype(str).to_numpy()


def spells(events: pd.DataFrame, end_tick: int | dict) -> pd.DataFrame:
    """One row per stage spell: relationship, stage, start, end, duration, next stage, completed.

    A spell starts at a transition into ``stage`` and ends at the relationship's
    next transition; spells still open at ``end_tick`` are censored there.
    ``end_tick`` may be a dict replication -> last tick.
    """
    key = ["replication"] if "replication" in events.columns else []
    ev = events.sort_values(key + ["relationship", "tick"], kind="stable").reset_index(drop=True)
    to = _plain(ev["to_stage"])
    same = np.r_[(ev[key + ["relationship"]].iloc[1:].to_numpy() == ev[key + ["relationship"]].iloc[:-1].to_numpy()).all(axis=1), False]
    nxt_tick = np.r_[ev["tick"].to_numpy()[1:], 0]
    nxt_stage = np.concatenate([to[1:], np.array([""], dtype=object)]).astype(str)
    if isinstance(end_tick, dict):
        end = ev["replication"].map(end_tick).to_numpy()
    else:
        end = np.full(len(ev), end_tick)
    completed = same
    stop = np.where(completed, nxt_tick, end)
    out = pd.DataFrame(
        {
            **({"replication": ev["replication"].to_numpy()} if key else {}),
            "relationship": ev["relationship"].to_numpy(),
            "stage": to,
            "start": ev["tick"].to_numpy(),
            "end": stop,
            "duration": stop - ev["tick"].to_numpy(),
            "next_stage": np.where(completed, nxt_stage, "censored"),
            "completed": completed,
        }
    )
    return out[out.stage != "dissolved"].reset_index(drop=True)


def stage_durations(sp: pd.DataFrame) -> pd.DataFrame:
    """Per live stage: completed spells' mean and median duration, how many completed and censored."""
    rows = []
    for s in LIVE_STAGES:
        x = sp[sp.stage == s]
        done = x[x.completed]
        rows.append(
            dict(
                stage=s,
                spells=len(x),
                completed=len(done),
                censored=int((~x.completed).sum()),
                mean_duration=float(done.duration.mean()) if len(done) else np.nan,
                median_duration=float(done.duration.median()) if len(done) else np.nan,
                mean_duration_incl_censored=float(x.duration.mean()) if len(x) else np.nan,
            )
        )
    return pd.DataFrame(rows)


def transition_matrix(events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts of transitions from -> to stage (entries from 'none' are new pairs) and their row shares."""
    f = pd.Categorical(_plain(events["from_stage"]), categories=["none", *LIVE_STAGES])
    t = pd.Categorical(_plain(events["to_stage"]), categories=[*LIVE_STAGES, "dissolved"])
    counts = pd.crosstab(f, t, dropna=False).rename_axis(index="from", columns="to")
    shares = counts.div(counts.sum(axis=1).replace(0, np.nan), axis=0)
    return counts, shares


def exposure(timeseries: pd.DataFrame) -> pd.Series:
    """Relationship-ticks spent in each live stage: the per-tick stage counts summed over ticks (and runs)."""
    return pd.Series({s: float(timeseries[f"n_{s}"].sum()) for s in LIVE_STAGES})


def dissolution_rates(events: pd.DataFrame, timeseries: pd.DataFrame) -> pd.DataFrame:
    """Per live stage: dissolutions (all, and by cause), relationship-ticks, rate per relationship-tick.

    ``rate_excl_lapse`` leaves out the lapse of unused awareness (not an ending of
    a trading relationship); for trading stages it equals ``rate``.
    """
    d = events[_plain(events["to_stage"]) == "dissolved"]
    frm, cause = _plain(d["from_stage"]), _plain(d["cause"])
    exp_ = exposure(timeseries)
    rows = []
    for s in LIVE_STAGES:
        here = frm == s
        n = int(here.sum())
        lapsed = int((here & (cause == "lapsed")).sum())
        by_cause = pd.Series(cause[here]).value_counts()
        rows.append(
            dict(
                stage=s,
                dissolutions=n,
                relationship_ticks=exp_[s],
                rate=n / exp_[s] if exp_[s] else np.nan,
                rate_excl_lapse=(n - lapsed) / exp_[s] if exp_[s] else np.nan,
                **{f"n_{c}": int(by_cause.get(c, 0)) for c in _causes()},
            )
        )
    return pd.DataFrame(rows)


def _causes() -> tuple[str, ...]:
    from ..vocab import DISSOLUTION_CAUSES

    return DISSOLUTION_CAUSES


def most_fragile_trading_stage(rates: pd.DataFrame) -> str:
    """The trading stage with the highest dissolution rate per relationship-tick."""
    r = rates[rates.stage.isin(TRADING)]
    return str(r.loc[r.rate_excl_lapse.idxmax(), "stage"])


def rates_by_replication(events: pd.DataFrame, timeseries: pd.DataFrame) -> pd.DataFrame:
    """``dissolution_rates`` of each replication (for confidence intervals), long format."""
    out = []
    for r, ev in events.groupby("replication"):
        x = dissolution_rates(ev, timeseries[timeseries.replication == r])
        x.insert(0, "replication", r)
        out.append(x)
    return pd.concat(out, ignore_index=True)
