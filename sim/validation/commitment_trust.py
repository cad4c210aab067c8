"""Morgan & Hunt's (1994) commitment-trust theory, fitted on simulated relationships.

A Latin-hypercube sweep varies communication (contact budget and its effect),
shared values (the spread of value vectors: less spread, more shared values),
opportunism, switching-cost strength and relationship benefits (product
quality). On the pooled relationships of all runs the key mediating paths are
fitted by least squares on z-scored variables (standardized coefficients), with
standard errors clustered by run:

* trust      ~ communication + shared values + opportunism, on the trading
  relationships alive at the end of each run (levels);
* commitment: its change per tick ~ trust + shared values + termination
  (switching) costs + benefits, controlling for last tick's commitment, the
  buyer's orientation (partnership or transactional) and the stage, on a
  per-tick panel of the last ``window`` ticks of each run; relationship-ticks
  with a detected opportunistic act ("betrayal") are left out (see below);
* dissolution within the next ``horizon`` ticks ~ commitment (linear probability
  model, and a logit as a check), on the relationships trading at a snapshot tick.

Why commitment is fitted on changes, not levels: commitment is a slowly built
stock (``C <- C + gain * orientation * drive * (1 - C) - decay * C``). Its level
at the end of a run mostly reflects age, stage and orientation, and the last
betrayal, not this tick's drivers; in a pooled cross-section the direct
shared-values and benefits terms (weight 0.2 each in ``dynamics.commitment_update``)
come out near zero or negative once trust is held fixed. The change per tick
is where the drivers act. A detected opportunistic act cuts commitment by a
share at once (``opportunism_commitment_loss``): a large shock that is not one
of the theory's commitment drivers and that swamps them in the variance of the
change. It is visible in the public relationship table because it also cuts
every form of trust by a share at once: calculus trust otherwise only wears off
(5 % a tick) and identification trust never falls. ``commitment_methods``
compares the estimators.

All inputs come from ``model.relationships`` and ``model.exporter_table`` read
tick by tick (no private engine state).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.stats import norm, qmc

from ..vocab import STAGES
from .runs import pmap, scenario_kwargs, seed_for

#: swept parameter -> (low, high)
SWEEP = {
    "contact_budget": (0.1, 1.6),
    "communication_effect": (0.2, 2.0),
    "values_spread": (0.2, 2.0),
    "opportunism_mean": (0.0, 0.2),
    "switching_cost_strength": (0.2, 3.0),
    "quality_mean": (0.45, 0.85),
}

#: the paths and the theory's sign of each coefficient (Morgan & Hunt 1994, fig. 1)
PATHS = {
    "trust": {"communication": +1, "shared_values": +1, "opportunism": -1},
    "commitment": {"trust": +1, "shared_values": +1, "switching_cost": +1, "benefits": +1},
    "dissolved": {"commitment": -1},
}

LABELS = {
    "communication": "communication",
    "shared_values": "shared values",
    "opportunism": "opportunistic behaviour",
    "trust": "trust",
    "switching_cost": "relationship termination costs",
    "benefits": "relationship benefits",
    "commitment": "relationship commitment",
    "dissolved": "dissolution (propensity to leave)",
}


@dataclass(frozen=True)
class CTRun:
    run: int
    params: tuple  # ((name, value), ...)
    ticks: int = 150
    snapshot: int = 100
    n_buyers: int = 250
    n_exporters: int = 10
    window: int = 30  # ticks at the end of the run in the per-tick commitment panel
    seed: int = 1994
    fixed: tuple = ()  # ((name, value), ...) set in every run on top of the baseline scenario


def design(n_runs: int, seed: int = 1994) -> pd.DataFrame:
    """A Latin-hypercube sample of the swept parameters, one row per run."""
    u = qmc.LatinHypercube(d=len(SWEEP), seed=seed).random(n_runs)
    lo = np.array([v[0] for v in SWEEP.values()])
    hi = np.array([v[1] for v in SWEEP.values()])
    return pd.DataFrame(lo + u * (hi - lo), columns=list(SWEEP))


TRADING = ("exploration", "expansion", "commitment")
STAGE_CODES = tuple(STAGES.index(st) for st in TRADING)
_PANEL_COLS = ["exporter", "partnership", "stage", "commitment", "trust", "trust_calculus", "trust_identification",
               "shared_values", "outcome", "switching_cost"]

#: a tick whose calculus trust fell below this share of the last tick's counts as a detected
#: opportunistic act (calculus trust otherwise only wears off by ``calculus_decay``, default 5 %
#: a tick; a detected act cuts it by ``opportunism_penalty``, default 50 %)
BETRAYAL_RATIO = 0.75


def _trading(m) -> pd.DataFrame:
    """The trading relationships' columns of ``model.relationships``, indexed by relationship id.

    Read from the live rows of the ledger (as ``records.snapshot`` does) rather than by building
    ``model.relationships``, which also rebuilds every archived relationship: this runs every tick.
    """
    L = m.ledger
    rows = np.flatnonzero((L.stage >= STAGE_CODES[0]) & (L.stage <= STAGE_CODES[-1]))
    cols = {c: getattr(L, c)[rows] for c in _PANEL_COLS if c not in ("partnership", "stage")}
    cols["partnership"] = m.buyers.partnership[L.buyer[rows]]
    cols["stage"] = np.asarray(STAGES, dtype=object)[L.stage[rows]]
    df = pd.DataFrame(cols, index=pd.Index(L.id[rows], name="relationship"))
    return df.sort_index()


def commitment_changes(prev: pd.DataFrame, cur: pd.DataFrame, tick: int) -> pd.DataFrame:
    """One row per relationship trading at ``tick - 1`` (``prev``) and at ``tick`` (``cur``).

    ``d_commitment`` is this tick's change; the drivers are this tick's values
    (the ones the engine's commitment update used: trust after this tick's
    update, shared values, benefits = the buyer's smoothed value received,
    switching cost after this tick's investment). ``betrayal`` flags a detected
    opportunistic act (calculus trust cut by more than its normal wear, or
    identification trust falling).
    """
    _, ip, ic = np.intersect1d(prev.index.to_numpy(), cur.index.to_numpy(), assume_unique=True, return_indices=True)
    now = cur.iloc[ic].add_suffix("_now")
    j = pd.concat([prev.iloc[ip], now.set_axis(prev.index[ip])], axis=1)
    betrayal = (j.trust_calculus_now < BETRAYAL_RATIO * j.trust_calculus) | (j.trust_identification_now < j.trust_identification - 1e-12)
    return pd.DataFrame(
        {
            "tick": tick,
            "relationship": j.index.to_numpy(),
            "exporter": j.exporter.to_numpy(),
            "stage_lag": j.stage.astype(str).to_numpy(),
            "partnership": j.partnership.to_numpy(float),
            "commitment_lag": j.commitment.to_numpy(float),
            "d_commitment": (j.commitment_now - j.commitment).to_numpy(float),
            "trust": j.trust_now.to_numpy(float),
            "shared_values": j.shared_values_now.to_numpy(float),
            "benefits": j.outcome_now.to_numpy(float),
            "switching_cost": j.switching_cost_now.to_numpy(float),
            "betrayal": betrayal.to_numpy(bool),
        }
    )


def run_ct(r: CTRun) -> dict[str, pd.DataFrame]:
    """One run: end-of-run cross-section, snapshot panel (dissolution) and per-tick commitment changes."""
    from ..model import MarketModel

    kw, _ = scenario_kwargs("baseline")
    kw.update(dict(r.fixed))
    kw.update(dict(r.params), n_buyers=r.n_buyers, n_exporters=r.n_exporters, snapshot_every=r.snapshot)
    m = MarketModel(**kw, rng=seed_for(r.seed, r.run))
    first = max(1, r.ticks - r.window + 1)
    m.run_for(first - 1)
    prev, changes = _trading(m), []
    for t in range(first, r.ticks + 1):  # a loop over ticks; each step's work is on whole tables
        m.run_for(1)
        cur = _trading(m)
        changes.append(commitment_changes(prev, cur, t))
        prev = cur
    rel = m.relationships
    ex = m.exporter_table.set_index("exporter")
    live = rel[rel.stage.isin(TRADING)]
    cross = pd.DataFrame(
        {
            "run": r.run,
            "stage": live.stage.astype(str).to_numpy(),
            "partnership": live.partnership.to_numpy(float),
            "trust": live.trust.to_numpy(float),
            "commitment": live.commitment.to_numpy(float),
            "communication": live.communication.to_numpy(float),
            "shared_values": live.shared_values.to_numpy(float),
            "opportunism": ex.opportunism.reindex(live.exporter).to_numpy(float),
            "switching_cost": live.switching_cost.to_numpy(float),
            "benefits": live.outcome.to_numpy(float),
        }
    )
    snap = m.snapshots
    snap = snap[(snap.tick == r.snapshot) & snap.stage.isin(TRADING)]
    ended = rel.set_index("relationship").ended.reindex(snap.relationship).to_numpy()
    panel = pd.DataFrame(
        {
            "run": r.run,
            "stage": snap.stage.astype(str).to_numpy(),
            "trust": snap.trust.to_numpy(float),
            "commitment": snap.commitment.to_numpy(float),
            "dissolved": ((ended > r.snapshot) & (ended <= r.ticks)).astype(float),
        }
    )
    ch = pd.concat(changes, ignore_index=True)
    ch.insert(0, "run", r.run)
    ch["opportunism"] = ex.opportunism.reindex(ch.exporter).to_numpy(float)
    for k, v in r.params:
        cross[k] = v
        panel[k] = v
        ch[k] = v
    return {"cross": cross, "panel": panel, "changes": ch}


def simulate(n_runs: int, workers: int = 1, seed: int = 1994, fixed: dict | None = None, **size) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Run the sweep; returns (design, end-of-run cross-section, snapshot panel, per-tick commitment changes).

    ``seed`` draws the Latin hypercube and, with the run number, each run's seed:
    another ``seed`` is another design on other random numbers. ``fixed`` sets
    other model parameters in every run (e.g. ``shared_values_effect=0``).
    """
    d = design(n_runs, seed=seed)
    fx = tuple(sorted((fixed or {}).items()))
    runs = [CTRun(i, tuple((k, float(v)) for k, v in row.items()), seed=seed, fixed=fx, **size) for i, row in enumerate(d.to_dict("records"))]
    out = pmap(run_ct, runs, workers)
    d.insert(0, "run", range(n_runs))
    return (
        d,
        pd.concat([o["cross"] for o in out], ignore_index=True),
        pd.concat([o["panel"] for o in out], ignore_index=True),
        pd.concat([o["changes"] for o in out], ignore_index=True),
    )


def _z(x: np.ndarray) -> np.ndarray:
    sd = x.std()
    return (x - x.mean()) / sd if sd > 0 else x * 0.0


def standardized_ols(df: pd.DataFrame, y: str, xs: list[str], cluster: str = "run") -> pd.DataFrame:
    """OLS of z-scored ``y`` on z-scored ``xs``: standardized coefficients, run-clustered SEs, R^2."""
    d = df[[y, *xs, cluster]].dropna()
    Y = _z(d[y].to_numpy(float))
    X = np.column_stack([np.ones(len(d))] + [_z(d[c].to_numpy(float)) for c in xs])
    coef, *_ = np.linalg.lstsq(X, Y, rcond=None)
    u = Y - X @ coef
    bread = np.linalg.pinv(X.T @ X)
    g = d[cluster].to_numpy()
    meat = np.zeros((X.shape[1], X.shape[1]))
    for k in np.unique(g):  # a loop over runs (tens), not over relationships
        s = X[g == k].T @ u[g == k]
        meat += np.outer(s, s)
    G = np.unique(g).size
    adj = G / max(G - 1, 1) * (len(d) - 1) / max(len(d) - X.shape[1], 1)
    se = np.sqrt(np.diag(adj * bread @ meat @ bread))
    r2 = 1 - (u @ u) / (Y @ Y) if (Y @ Y) > 0 else np.nan
    return pd.DataFrame(
        {
            "outcome": y,
            "predictor": xs,
            "std_coef": coef[1:],
            "se": se[1:],
            "ci_low": coef[1:] - 1.96 * se[1:],
            "ci_high": coef[1:] + 1.96 * se[1:],
            "p_value": 2 * norm.sf(np.abs(coef[1:] / np.where(se[1:] > 0, se[1:], np.nan))),
            "r2": r2,
            "n": len(d),
            "runs": G,
        }
    )


def logit_per_sd(df: pd.DataFrame, y: str, x: str) -> tuple[float, float]:
    """Logit of binary ``y`` on z-scored ``x``: (coefficient, odds ratio per standard deviation)."""
    d = df[[y, x]].dropna()
    Y = d[y].to_numpy(float)
    X = np.column_stack([np.ones(len(d)), _z(d[x].to_numpy(float))])

    def nll(w):
        eta = X @ w
        return float(np.sum(np.logaddexp(0, eta) - Y * eta))

    def grad(w):
        p = 1 / (1 + np.exp(-(X @ w)))
        return X.T @ (p - Y)

    w = minimize(nll, np.zeros(2), jac=grad, method="BFGS").x
    return float(w[1]), float(np.exp(w[1]))


#: controls of the per-tick commitment equation: last tick's commitment (decay and the
#: saturation 1 - C), the buyer's orientation and the stage (exploration is the reference)
CHANGE_CONTROLS = ["commitment_lag", "partnership", "stage_expansion", "stage_commitment"]


def _with_stage_dummies(df: pd.DataFrame, col: str) -> pd.DataFrame:
    df = df.copy()
    for st in ("expansion", "commitment"):
        df[f"stage_{st}"] = (df[col].astype(str) == st).astype(float)
    return df


def fit_commitment_changes(changes: pd.DataFrame, drop_betrayal: bool = True, controls: bool = True) -> pd.DataFrame:
    """The commitment equation on the per-tick panel: standardized coefficients of its drivers."""
    d = _with_stage_dummies(changes, "stage_lag")
    if drop_betrayal:
        d = d[~d.betrayal.astype(bool)]
    xs = list(PATHS["commitment"])
    t = standardized_ols(d, "d_commitment", xs + (CHANGE_CONTROLS if controls else []))
    return t[t.predictor.isin(xs)].assign(outcome="commitment").reset_index(drop=True)


def fit_paths(cross: pd.DataFrame, panel: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """Every path of ``PATHS`` with its standardized coefficient, CI, theory sign and agreement.

    Trust on the end-of-run cross-section, commitment on the per-tick changes
    (``fit_commitment_changes``), dissolution on the snapshot panel; ``data``
    says which.
    """
    parts = [
        standardized_ols(cross, "trust", list(PATHS["trust"])).assign(data="end-of-run levels"),
        fit_commitment_changes(changes).assign(data="per-tick change, controls, no betrayal ticks"),
        standardized_ols(panel, "dissolved", list(PATHS["dissolved"])).assign(data="snapshot, dissolved later"),
    ]
    t = pd.concat(parts, ignore_index=True)
    t["theory_sign"] = [PATHS[o][p] for o, p in zip(t.outcome, t.predictor)]
    t["model_sign"] = np.sign(t.std_coef).astype(int)
    t["agrees"] = t.theory_sign == t.model_sign
    t["significant"] = (t.ci_low > 0) | (t.ci_high < 0)
    b, orr = logit_per_sd(panel, "dissolved", "commitment")
    t["logit_coef"] = np.where(t.outcome == "dissolved", b, np.nan)
    t["odds_ratio_per_sd"] = np.where(t.outcome == "dissolved", orr, np.nan)
    return t


def commitment_methods(cross: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """The commitment equation by four estimators, from the naive to the one reported.

    1. end-of-run levels (pooled cross-section), 2. levels controlling for orientation
    and stage, 3. per-tick change with controls, all ticks, 4. the same without the
    ticks of a detected opportunistic act (the reported estimator).
    """
    xs = list(PATHS["commitment"])
    c = _with_stage_dummies(cross, "stage")
    rows = [
        ("1 end-of-run levels", standardized_ols(c, "commitment", xs)),
        ("2 levels + orientation, stage", standardized_ols(c, "commitment", xs + ["partnership", "stage_expansion", "stage_commitment"])),
        ("3 per-tick change + controls, all ticks", fit_commitment_changes(changes, drop_betrayal=False)),
        ("4 per-tick change + controls, no betrayal ticks", fit_commitment_changes(changes)),
    ]
    out = pd.concat([t[t.predictor.isin(xs)].assign(method=name) for name, t in rows], ignore_index=True)
    return out[["method", "predictor", "std_coef", "ci_low", "ci_high", "n", "runs"]]
