"""Global sensitivity of retention, profit and relationship duration (SALib).

Morris elementary effects screen the main parameters (``mu_star``: mean
absolute effect over the range; ``sigma``: non-linearity and interactions), and
Sobol indices apportion the variance of each output (first order ``S1``, total
``ST``, with bootstrap confidence intervals) on a Saltelli/Sobol sample.

Every run of a design uses the same seed (common random numbers), so the model
is a deterministic function of its parameters within a design and the indices
measure parameter effects, not sampling noise. Outputs of one run:

* ``retention``: annual retention of trading relationships, ``(1 - h)^12``
  with ``h`` the per-tick share of trading relationships that dissolve, averaged
  after the burn-in (timeseries ``retention_rate``);
* ``profit``: all exporters' profit per tick after the burn-in;
* ``mean_duration``: mean duration (ticks) of relationships that traded
  (reached exploration), right-censored at the end of the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .runs import pmap, scenario_kwargs

#: parameter -> (low, high): the main behavioural parameters of the model
PROBLEM_BOUNDS = {
    "trust_gain": (0.03, 0.15),
    "trust_loss": (0.1, 0.4),
    "commitment_gain": (0.03, 0.1),
    "commitment_decay": (0.01, 0.04),
    "opportunism_mean": (0.0, 0.15),
    "contact_budget": (0.2, 1.6),
    "switching_cost_strength": (0.3, 2.0),
    "beta": (1.0, 8.0),
    "review_rate": (0.03, 0.2),
    "partnership_share": (0.2, 0.8),
}

OUTPUTS = ("retention", "profit", "mean_duration")
TICKS_PER_YEAR = 12


@dataclass(frozen=True)
class Size:
    """Market and run length of a sensitivity design."""

    n_exporters: int = 10
    n_buyers: int = 200
    ticks: int = 150
    burn_in: int = 50
    seed: int = 7


def problem(names=None) -> dict:
    """The SALib problem over ``names`` (default: every parameter of ``PROBLEM_BOUNDS``)."""
    names = list(names or PROBLEM_BOUNDS)
    return {"num_vars": len(names), "names": names, "bounds": [list(PROBLEM_BOUNDS[n]) for n in names]}


def evaluate_one(args: tuple[tuple, Size]) -> tuple[float, float, float]:
    """Outputs of one run at the parameter values ``((name, value), ...)``."""
    from ..model import MarketModel

    values, size = args
    kw, _ = scenario_kwargs("baseline")
    kw.update(dict(values), n_exporters=size.n_exporters, n_buyers=size.n_buyers)
    m = MarketModel(**kw, rng=size.seed)
    m.run_for(size.ticks)
    ts = m.timeseries.iloc[size.burn_in :]
    h = 1.0 - float(np.nanmean(ts.retention_rate))
    rel = m.relationships
    traded = rel[rel.peak.astype(str) != "awareness"]
    return (
        (1.0 - h) ** TICKS_PER_YEAR,
        float(ts.profit.mean()),
        float(traded.duration.mean()) if len(traded) else float("nan"),
    )


def evaluate(prob: dict, X: np.ndarray, size: Size, workers: int = 1) -> pd.DataFrame:
    """Run the model at every row of ``X``; one row per sample with inputs and outputs."""
    items = [(tuple(zip(prob["names"], map(float, row))), size) for row in X]
    Y = np.array(pmap(evaluate_one, items, workers), dtype=float)
    df = pd.DataFrame(X, columns=prob["names"])
    for j, name in enumerate(OUTPUTS):
        df[name] = Y[:, j]
    return df


def morris(trajectories: int, size: Size = Size(), workers: int = 1, levels: int = 4, seed: int = 11) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Morris screening: (samples with outputs, indices per output and parameter)."""
    from SALib.analyze import morris as ma
    from SALib.sample import morris as ms

    prob = problem()
    X = ms.sample(prob, trajectories, num_levels=levels, seed=seed)
    samples = evaluate(prob, X, size, workers)
    return samples, morris_indices(prob, samples, levels, seed)


def morris_indices(prob: dict, samples: pd.DataFrame, levels: int = 4, seed: int = 11) -> pd.DataFrame:
    """Morris ``mu_star`` (with its bootstrap CI), ``mu`` and ``sigma`` from written samples."""
    from SALib.analyze import morris as ma

    X = samples[prob["names"]].to_numpy(float)
    rows = []
    for out in OUTPUTS:
        r = ma.analyze(prob, X, samples[out].to_numpy(float), num_levels=levels, conf_level=0.95, seed=seed)
        for i, name in enumerate(prob["names"]):
            rows.append(
                dict(output=out, parameter=name, mu_star=r["mu_star"][i], mu_star_conf=r["mu_star_conf"][i], mu=r["mu"][i], sigma=r["sigma"][i])
            )
    return pd.DataFrame(rows)


def sobol(base_n: int, size: Size = Size(), workers: int = 1, seed: int = 13) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sobol indices on a Sobol-sequence Saltelli design of ``base_n * (D + 2)`` runs."""
    from SALib.sample import sobol as ss

    prob = problem()
    X = ss.sample(prob, base_n, calc_second_order=False, seed=seed)
    samples = evaluate(prob, X, size, workers)
    return samples, sobol_indices(prob, samples, seed)


def sobol_indices(prob: dict, samples: pd.DataFrame, seed: int = 13) -> pd.DataFrame:
    """First-order and total Sobol indices with 95 % bootstrap CIs from written samples."""
    from SALib.analyze import sobol as sa

    rows = []
    for out in OUTPUTS:
        y = samples[out].to_numpy(float)
        y = np.where(np.isfinite(y), y, np.nanmean(y))
        r = sa.analyze(prob, y, calc_second_order=False, conf_level=0.95, seed=seed)
        for i, name in enumerate(prob["names"]):
            rows.append(dict(output=out, parameter=name, S1=r["S1"][i], S1_conf=r["S1_conf"][i], ST=r["ST"][i], ST_conf=r["ST_conf"][i]))
    return pd.DataFrame(rows)
