"""Morgan & Hunt's (1994) commitment-trust theory, fitted on simulated relationships.

A Latin-hypercube sweep varies communication (contact budget and its effect),
shared values (the spread of value vectors: less spread, more shared values),
opportunism, switching-cost strength and relationship benefits (product
quality). On the pooled relationships of all runs the key mediating paths are
fitted by least squares on z-scored variables (standardized coefficients), with
standard errors clustered by run:

* trust      ~ communication + shared values + opportunism
* commitment ~ trust + shared values + termination (switching) costs + benefits
* dissolution within the next ``horizon`` ticks ~ commitment (linear probability
  model, and a logit as a check)

Trust, commitment and their drivers are read on the trading relationships alive
at the end of each run; dissolution is the prospective outcome of relationships
trading at a snapshot tick. Communication is what the relationship received in
the last tick, opportunism is its exporter's trait, benefits the buyer's
smoothed value received, termination costs its switching cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.stats import norm, qmc

from .runs import pmap, scenario_kwargs, seed_for

#: swept parameter -> (low, high)
SWEEP = {
    "contact_budget": (5.0, 80.0),
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


def design(n_runs: int, seed: int = 1994) -> pd.DataFrame:
    """A Latin-hypercube sample of the swept parameters, one row per run."""
    u = qmc.LatinHypercube(d=len(SWEEP), seed=seed).random(n_runs)
    lo = np.array([v[0] for v in SWEEP.values()])
    hi = np.array([v[1] for v in SWEEP.values()])
    return pd.DataFrame(lo + u * (hi - lo), columns=list(SWEEP))


def run_ct(r: CTRun) -> dict[str, pd.DataFrame]:
    """One run; returns the end-of-run relationship cross-section and the snapshot panel."""
    from ..model import MarketModel

    kw, _ = scenario_kwargs("baseline")
    kw.update(dict(r.params), n_buyers=r.n_buyers, n_exporters=r.n_exporters, snapshot_every=r.snapshot)
    m = MarketModel(**kw, rng=seed_for(1994, r.run))
    m.run_for(r.ticks)
    rel = m.relationships
    ex = m.exporter_table.set_index("exporter")
    live = rel[rel.stage.isin(["exploration", "expansion", "commitment"])]
    cross = pd.DataFrame(
        {
            "run": r.run,
            "stage": live.stage.astype(str).to_numpy(),
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
    snap = snap[(snap.tick == r.snapshot) & snap.stage.isin(["exploration", "expansion", "commitment"])]
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
    for k, v in r.params:
        cross[k] = v
        panel[k] = v
    return {"cross": cross, "panel": panel}


def simulate(n_runs: int, workers: int = 1, **size) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Run the sweep; returns (design, end-of-run cross-section, snapshot panel)."""
    d = design(n_runs)
    runs = [CTRun(i, tuple((k, float(v)) for k, v in row.items()), **size) for i, row in enumerate(d.to_dict("records"))]
    out = pmap(run_ct, runs, workers)
    d.insert(0, "run", range(n_runs))
    return (
        d,
        pd.concat([o["cross"] for o in out], ignore_index=True),
        pd.concat([o["panel"] for o in out], ignore_index=True),
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


def fit_paths(cross: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    """Every path of ``PATHS`` with its standardized coefficient, CI, theory sign and agreement."""
    parts = [
        standardized_ols(cross, "trust", list(PATHS["trust"])),
        standardized_ols(cross, "commitment", list(PATHS["commitment"])),
        standardized_ols(panel, "dissolved", list(PATHS["dissolved"])),
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
