"""Weisbuch, Kirman & Herreiner (2000): loyalty as a phase transition, and its payoffs.

Buyers visit one seller per tick, chosen by logit on preferences ``J`` that
they reinforce with the profit of each visit, ``J <- (1 - gamma) J + profit``
(the engine's ``choice_rule='reinforcement'``). In the mean-field limit the
preference shares ``x_j = gamma J_j / profit`` satisfy ``x = softmax(b x)`` with
``b = beta profit / gamma``, and the loyalty order parameter is ``y = sum_j x_j^2``.

* two sellers: ``y = 1/2`` (uniform) below ``b = 2``; above it the loyal branch
  grows continuously (``x_1 - x_2 = m``, ``m = tanh(b m / 2)``);
* three sellers: the uniform state is stable up to ``b = 3`` while a loyal
  branch appears already at ``b ~ 2.75`` (saddle-node): a discontinuous
  transition with hysteresis.

This module solves the mean field, runs the simulation sweeps (started uniform
or started loyal), and the limited-stock experiment of the paper's section on
sellers' profits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from .runs import pmap, scenario_kwargs, seed_for

# ---- mean field ----------------------------------------------------------------------


def _shares(x1: np.ndarray | float, n: int) -> tuple[np.ndarray, np.ndarray]:
    x1 = np.asarray(x1, dtype=float)
    return x1, (1.0 - x1) / (n - 1)


def _residual(x1: float, n: int, b: float) -> float:
    """Fixed-point condition for shares (x1, x2, ..., x2): ``ln(x1/x2) = b (x1 - x2)``."""
    _, x2 = _shares(x1, n)
    return float(np.log(x1 / x2) - b * (x1 - x2))


def is_stable(x: np.ndarray, b: float) -> bool:
    """Linear stability of the fixed point ``x`` of ``dx/dt = softmax(b x) - x`` on the simplex.

    The Jacobian is ``b (diag(x) - x x^T) - I``; its eigenvector along ``(1, ..., 1)``
    leaves the simplex (eigenvalue -1), so stability is ``b * lambda_max < 1``.
    """
    x = np.asarray(x, dtype=float)
    lam = np.linalg.eigvalsh(np.diag(x) - np.outer(x, x)).max()
    return bool(b * lam < 1.0 - 1e-12)


def fixed_points(n: int, b: float, grid: int = 4000) -> pd.DataFrame:
    """Every symmetric-broken fixed point of ``x = softmax(b x)`` with one distinguished seller.

    Shares are ``(x1, x2, ..., x2)``; roots of the reduced equation are bracketed on
    a grid and refined with ``scipy.optimize.brentq``. Returns one row per fixed
    point: ``x1, y, branch`` ('uniform', 'loyal': x1 > 1/n, 'avoided': x1 < 1/n), ``stable``.
    """
    if n < 2:
        raise ValueError(f"n={n!r} is not allowed: expected at least 2 sellers")
    u = 1.0 / n
    rows = [(u, u, "uniform", is_stable(np.full(n, u), b))]
    xs = np.linspace(1e-9, 1 - 1e-9, grid)
    f = np.array([_residual(x, n, b) for x in xs])
    for i in np.flatnonzero(np.sign(f[:-1]) * np.sign(f[1:]) < 0):
        r = brentq(_residual, xs[i], xs[i + 1], args=(n, b), xtol=1e-13)
        if abs(r - u) < 1e-6:
            continue
        x1, x2 = _shares(r, n)
        x = np.r_[x1, np.full(n - 1, x2)]
        rows.append((float(r), float((x * x).sum()), "loyal" if r > u else "avoided", is_stable(x, b)))
    return pd.DataFrame(rows, columns=["x1", "y", "branch", "stable"])


def mean_field_y(n: int, b: float, start: str = "uniform") -> float:
    """The stable mean-field ``y`` reached from a uniform start or a loyal start."""
    fp = fixed_points(n, b)
    st = fp[fp.stable]
    if start == "loyal":
        loyal = st[st.branch == "loyal"]
        if len(loyal):
            return float(loyal.y.max())
    uni = st[st.branch == "uniform"]
    if len(uni):
        return float(uni.y.iloc[0])
    return float(st.y.max())


def mean_field_curve(n: int, b_max: float = 6.0, points: int = 600) -> pd.DataFrame:
    """Branches of the mean field for plotting: ``n_sellers, b, y, branch, stable``.

    The loyal branch is traced parametrically in ``x1``: ``b = ln(x1/x2) / (x1 - x2)``.
    """
    x1 = np.linspace(1.0 / n + 1e-4, 1 - 1e-6, points)
    _, x2 = _shares(x1, n)
    b = np.log(x1 / x2) / (x1 - x2)
    y = x1**2 + (n - 1) * x2**2
    stable = [is_stable(np.r_[a, np.full(n - 1, c)], bb) for a, c, bb in zip(x1, x2, b)]
    loyal = pd.DataFrame({"n_sellers": n, "b": b, "y": y, "branch": "loyal", "stable": stable})
    loyal = loyal[loyal.b <= b_max]
    bu = np.linspace(0, b_max, 200)
    uniform = pd.DataFrame({"n_sellers": n, "b": bu, "y": 1.0 / n, "branch": "uniform", "stable": bu < n})
    return pd.concat([uniform, loyal], ignore_index=True)


# ---- simulation ----------------------------------------------------------------------------

#: what the pure WKH set-up needs, whatever the scenario file says: every visit served,
#: no opportunism, no exits, no dissolution, no spending that could push an exporter out
PURE = dict(
    choice_rule="reinforcement",
    initial_awareness="all",
    dissolution=False,
    opportunism_mean=0.0,
    opportunism_sd=0.0,
    exit_rate=0.0,
    exit_patience=10_000,
    capacity_ratio=100.0,
    safety_stock=5.0,
    contact_budget=0.0,
    fair_contacts=0,
    media_reach=0.0,
    matching_rate=0.0,
    referral_rate=0.0,
)


@dataclass(frozen=True)
class WKHPoint:
    """One simulation of the WKH set-up."""

    n_sellers: int
    b: float
    start: str  # 'uniform' or 'loyal'
    replication: int
    n_buyers: int = 200
    ticks: int = 600
    window: int = 150  # ticks at the end averaged for the equilibrium
    gamma: float = 0.01
    profit: float = 1.0
    safety_stock: float | None = None  # None: ample stock (pure WKH); a number: limited stock
    loyal_share: float = 0.9  # favourite's share of J in a loyal start
    experiment: int = 0
    crn: bool = False  # common random numbers across b: the seed leaves b out (paired comparisons)


def wkh_kwargs(pt: WKHPoint) -> dict:
    """MarketModel kwargs of a point: the wkh2000 scenario (if present) + the pure set-up + the point."""
    base, _ = scenario_kwargs("wkh2000")
    kw = {**base, **PURE}
    n, scale = pt.n_sellers, pt.profit / pt.gamma  # scale: sum of J at the mean-field equilibrium
    if pt.start == "loyal":
        pref = scale * (1 - pt.loyal_share) / (n - 1)
        extra = scale * pt.loyal_share - pref
    else:
        pref, extra = scale / n, 0.0
    kw.update(
        n_exporters=n,
        n_buyers=pt.n_buyers,
        gamma=pt.gamma,
        profit=pt.profit,
        beta=pt.b * pt.gamma / pt.profit,
        initial_preference=pref,
        initial_loyal=extra,
    )
    if pt.safety_stock is not None:
        kw.update(safety_stock=pt.safety_stock, holding_cost=base.get("holding_cost", 0.05))
    return kw


def run_point(pt: WKHPoint) -> dict:
    """Run one point; equilibrium averages over the last ``window`` ticks."""
    from ..model import MarketModel

    b_part = () if pt.crn else (int(round(pt.b * 1000)),)
    seed = seed_for(2000, pt.experiment, pt.n_sellers, *b_part, pt.start == "loyal", pt.replication)
    m = MarketModel(**wkh_kwargs(pt), rng=seed)
    m.run_for(pt.ticks)
    ts = m.timeseries.iloc[-pt.window :]
    fill = float(ts.fill_rate.mean())
    return dict(
        n_sellers=pt.n_sellers,
        b=pt.b,
        start=pt.start,
        replication=pt.replication,
        n_buyers=pt.n_buyers,
        ticks=pt.ticks,
        gamma=pt.gamma,
        safety_stock=np.nan if pt.safety_stock is None else pt.safety_stock,
        loyalty_y=float(ts.loyalty_y.mean()),
        fill_rate=fill,
        buyer_payoff=pt.profit * fill,  # profit of a visit times the share served
        seller_profit=float(ts.profit.mean()) / pt.n_sellers,  # per seller per tick
        inventory_cost=float(ts.inventory_cost.mean()) / pt.n_sellers,
        mean_field_y=mean_field_y(pt.n_sellers, pt.b, pt.start),
    )


def sweep(
    n_sellers: int,
    b_values,
    starts=("uniform",),
    replications: int = 2,
    workers: int = 1,
    **point,
) -> pd.DataFrame:
    """Simulated equilibrium loyalty for each ``b`` and start, one row per run."""
    pts = [
        WKHPoint(n_sellers, float(b), s, r, **point)
        for b in b_values
        for s in starts
        for r in range(replications)
    ]
    return pd.DataFrame(pmap(run_point, pts, workers))


def limited_stock(b_values, safety_stock: float = 0.0, n_sellers: int = 3, replications: int = 2, workers: int = 1, **point) -> pd.DataFrame:
    """Sellers stock only their forecast (plus ``safety_stock``): payoffs below and above the transition.

    Demand keeps the scenario's noise and seasonality, so a disorganised market,
    where each seller's customers change every tick, is harder to forecast.
    Common random numbers: replication ``r`` uses the same seed at every ``b``
    (same buyers, same demand draws), so the comparison of regimes is paired
    within a replication (``paired_gain``). ``experiment`` picks another set of seeds.
    """
    point.setdefault("experiment", 1)
    point.setdefault("crn", True)
    return sweep(n_sellers, b_values, ("uniform",), replications, workers, safety_stock=safety_stock, **point)


def paired_gain(stock: pd.DataFrame, col: str, low_max: float = 2.0, high_min: float = 4.0, level: float = 0.95) -> dict:
    """Relative gain of ``col`` in the loyal regime (``b >= high_min``) over the disorganised one (``b <= low_max``).

    Per replication: mean of ``col`` over the high-b points / mean over the low-b points - 1
    (paired: one replication shares its random numbers across b). Returns the mean gain, its
    t confidence interval over replications, the per-replication gains and their count.
    """
    from scipy import stats

    lo = stock[stock.b <= low_max].groupby("replication")[col].mean()
    hi = stock[stock.b >= high_min].groupby("replication")[col].mean()
    g = (hi / lo - 1.0).dropna()
    n = len(g)
    mean = float(g.mean()) if n else float("nan")
    if n >= 2:
        half = float(stats.t.ppf(0.5 + level / 2, n - 1) * g.std(ddof=1) / np.sqrt(n))
    else:
        half = float("nan")
    return dict(mean=mean, ci_low=mean - half, ci_high=mean + half, n=n, gains=g.to_numpy(float))


def transition_b(n: int) -> float:
    """Where the uniform state loses stability in the mean field: ``b = n``."""
    return float(n)


def saddle_node_b(n: int) -> float:
    """Smallest ``b`` at which a loyal branch exists (2 for two sellers, about 2.75 for three)."""
    c = mean_field_curve(n, b_max=50, points=20000)
    return float(c[c.branch == "loyal"].b.min())
