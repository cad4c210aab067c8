"""Retention economics: does a little more retention bring a lot more profit?

Reichheld & Sasser (1990) claim that raising customer retention by 5
percentage points raises profits by 25-85 %. Here that is a claim to test.
Runs cross every registered retention policy with a few markets; for each run
and each exporter we measure

* retention: one minus the hazard of a trading relationship ending (ending
  while in exploration, expansion or commitment; an exporter's own exit is not
  counted), per relationship-tick, turned into an annual rate
  ``(1 - hazard) ** TICKS_PER_YEAR`` (a tick is a month: seasons last 12 ticks);
* profit: the exporter's profit per tick after a burn-in.

The elasticity of profit to retention is the slope of ``log profit`` on ``log
annual retention``, across runs (with market fixed effects: policies move
retention) and across exporters within runs (with run fixed effects). The
implied profit change for +5 points of retention is set beside the claim.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .runs import pmap, scenario_kwargs, seed_for

TICKS_PER_YEAR = 12
TRADING = ("exploration", "expansion", "commitment")

#: market variants: name -> parameter overrides of the baseline scenario
MARKETS = {
    "baseline": {},
    "transactional": {"partnership_share": 0.2, "price_sensitivity": 2.0},
    "partnership": {"partnership_share": 0.8},
}


@dataclass(frozen=True)
class RERun:
    policy: str
    market: str
    replication: int
    ticks: int = 200
    burn_in: int = 50
    n_buyers: int = 500
    n_exporters: int = 20


def _exporter_retention(events: pd.DataFrame, end_tick: int, burn_in: int, n_exporters: int) -> pd.DataFrame:
    """Per exporter: trading relationship-ticks after burn-in, trading endings, hazard."""
    ev = events.sort_values(["relationship", "tick"], kind="stable")
    to = ev.to_stage.astype(str).to_numpy()
    rel = ev.relationship.to_numpy()
    tick = ev.tick.to_numpy()
    nxt_same = np.r_[rel[1:] == rel[:-1], False]
    stop = np.where(nxt_same, np.r_[tick[1:], 0], end_tick)
    trading = np.isin(to, TRADING)
    start = np.maximum(tick, burn_in)
    span = np.where(trading, np.clip(stop - start, 0, None), 0)
    exposure = np.bincount(ev.exporter.to_numpy(), weights=span, minlength=n_exporters)
    frm = ev.from_stage.astype(str).to_numpy()
    end = (to == "dissolved") & np.isin(frm, TRADING) & (ev.cause.astype(str).to_numpy() != "exporter_exit") & (tick > burn_in)
    endings = np.bincount(ev.exporter.to_numpy()[end], minlength=n_exporters)
    return pd.DataFrame({"exporter": np.arange(n_exporters), "relationship_ticks": exposure, "endings": endings})


def annual(hazard) -> np.ndarray:
    """Annual retention from a per-tick hazard."""
    return (1.0 - np.asarray(hazard, dtype=float)) ** TICKS_PER_YEAR


def run_re(r: RERun) -> dict[str, pd.DataFrame]:
    """One run: exporter-level retention and profit, and the run totals."""
    from ..model import MarketModel

    kw, _ = scenario_kwargs("baseline")
    kw.update(MARKETS[r.market], policy=r.policy, n_buyers=r.n_buyers, n_exporters=r.n_exporters)
    seed = seed_for(1990, list(MARKETS).index(r.market), r.replication)  # common random numbers across policies
    m = MarketModel(**kw, rng=seed)
    m.run_for(r.burn_in)
    p0 = m.exporter_table.profit.to_numpy().copy()
    m.run_for(r.ticks - r.burn_in)
    ext = m.exporter_table
    ret = _exporter_retention(m.events, r.ticks, r.burn_in, r.n_exporters)
    ex = pd.DataFrame(
        {
            "policy": r.policy,
            "market": r.market,
            "replication": r.replication,
            "exporter": ext.exporter,
            "active": ext.active,
            "quality": ext.quality,
            "price": ext.price,
            "profit_per_tick": (ext.profit.to_numpy() - p0) / (r.ticks - r.burn_in),
            "relationship_ticks": ret.relationship_ticks,
            "endings": ret.endings,
        }
    )
    ex["hazard"] = ex.endings / ex.relationship_ticks.where(ex.relationship_ticks > 0)
    ex["retention"] = annual(ex.hazard)
    h = ex.endings.sum() / max(ex.relationship_ticks.sum(), 1)
    run = pd.DataFrame(
        [
            dict(
                policy=r.policy,
                market=r.market,
                replication=r.replication,
                hazard=h,
                retention=float(annual(h)),
                profit_per_tick=float(ex.profit_per_tick.sum()),
                trading_relationships=float(ex.relationship_ticks.sum() / (r.ticks - r.burn_in)),
            )
        ]
    )
    return {"exporters": ex, "runs": run}


def simulate(policies=None, markets=None, replications: int = 2, workers: int = 1, **size) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every policy x market x replication; returns (runs, exporters)."""
    from ..policies import POLICIES

    policies = list(policies or POLICIES)
    markets = list(markets or MARKETS)
    todo = [RERun(p, m, i, **size) for m in markets for i in range(replications) for p in policies]
    out = pmap(run_re, todo, workers)
    return (
        pd.concat([o["runs"] for o in out], ignore_index=True),
        pd.concat([o["exporters"] for o in out], ignore_index=True),
    )


def _demean(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    codes, inv = np.unique(g, return_inverse=True)
    means = np.bincount(inv, weights=x) / np.bincount(inv)
    return x - means[inv]


def _demean_cols(Z: np.ndarray, g: np.ndarray) -> np.ndarray:
    return np.column_stack([_demean(Z[:, j], g) for j in range(Z.shape[1])])


def elasticity(df: pd.DataFrame, group: str | None, level: float = 0.95, controls: tuple[str, ...] = ()) -> dict:
    """Slope of log profit on log annual retention (within ``group`` when given), with a CI.

    ``controls`` are partialled out first (Frisch-Waugh). Rows with non-positive
    profit or undefined retention are dropped and counted.
    """
    from scipy import stats

    ok = (df.profit_per_tick > 0) & np.isfinite(df.retention) & (df.retention > 0)
    d = df[ok]
    x, y = np.log(d.retention.to_numpy(float)), np.log(d.profit_per_tick.to_numpy(float))
    if group:
        g = d[group].astype(str).to_numpy()
        x, y = _demean(x, g), _demean(y, g)
        n_groups = np.unique(g).size
    else:
        x, y = x - x.mean(), y - y.mean()
        n_groups = 1
    if controls:
        Z = np.column_stack([d[c].to_numpy(float) for c in controls])
        Z = _demean_cols(Z, g) if group else Z - Z.mean(axis=0)
        x = x - Z @ np.linalg.lstsq(Z, x, rcond=None)[0]
        y = y - Z @ np.linalg.lstsq(Z, y, rcond=None)[0]
        n_groups += len(controls)
    n = x.size
    sxx = float(x @ x)
    slope = float(x @ y / sxx) if sxx > 0 else np.nan
    resid = y - slope * x
    dof = max(n - n_groups - 1, 1)
    se = float(np.sqrt(resid @ resid / dof / sxx)) if sxx > 0 else np.nan
    half = stats.t.ppf(0.5 + level / 2, dof) * se
    r = d.retention.mean()
    return dict(
        elasticity=slope,
        se=se,
        ci_low=slope - half,
        ci_high=slope + half,
        n=n,
        dropped=int((~ok).sum()),
        mean_retention=float(r),
        sd_log_retention=float(np.sqrt(sxx / max(n - 1, 1))),
        profit_change_plus5pts=implied_change(slope, float(r)),
        profit_change_plus5pts_low=implied_change(slope - half, float(r)),
        profit_change_plus5pts_high=implied_change(slope + half, float(r)),
    )


def implied_change(elast: float, retention: float, points: float = 0.05) -> float:
    """Profit change implied by the elasticity for ``points`` more annual retention (capped at 1)."""
    new = min(retention + points, 0.999999)
    return float((new / retention) ** elast - 1.0)


def policy_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean annual retention and profit per tick of each policy in each market."""
    return (
        runs.groupby(["market", "policy"], sort=False)
        .agg(retention=("retention", "mean"), profit_per_tick=("profit_per_tick", "mean"), runs=("retention", "size"))
        .reset_index()
    )


def elasticities(runs: pd.DataFrame, exporters: pd.DataFrame) -> pd.DataFrame:
    """The elasticity across runs (market fixed effects) and across exporters (run fixed effects)."""
    ex = exporters[exporters.active].copy()
    ex["run"] = ex.market + "/" + ex.policy + "/" + ex.replication.astype(str)
    rows = [
        dict(level="runs (policies x markets), market fixed effects", **elasticity(runs, "market")),
        dict(level="exporters within runs, run fixed effects", **elasticity(ex, "run")),
        dict(
            level="exporters within runs, run fixed effects, controlling for quality and price",
            **elasticity(ex, "run", controls=("quality", "price")),
        ),
    ]
    return pd.DataFrame(rows)
