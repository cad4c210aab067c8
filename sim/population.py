"""Traits of exporters and buyers, drawn once at the start of a run.

Exporters and buyers are few enough columns to live as plain arrays, one entry
per agent; the Mesa agents in ``agents.py`` are views onto these rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np



@dataclass
class Exporters:
    """Exporter traits and per-exporter state (index = exporter id)."""

    quality: np.ndarray  # q in [0, 1]
    price: np.ndarray  # money per unit
    unit_cost: np.ndarray  # money per unit
    opportunism: np.ndarray  # chance of an opportunistic act per delivery
    values: np.ndarray  # (E, k) unit vectors
    budget: np.ndarray  # relationship budget per tick (money)
    acquisition_share: np.ndarray  # share of the budget spent on prospects
    capacity: np.ndarray  # units per tick
    active: np.ndarray  # False once the exporter has left the market
    stock: np.ndarray  # units available this tick
    season_index: np.ndarray  # (E, P) seasonal indices of the seasonal-index forecast
    neg_profit_ticks: np.ndarray  # consecutive ticks of negative smoothed profit
    profit_smooth: np.ndarray
    revenue_total: np.ndarray = field(default=None)
    profit_total: np.ndarray = field(default=None)
    exited_at: np.ndarray = field(default=None)
    acquisition_total: np.ndarray = field(default=None)  # money spent on acquisition so far
    retention_total: np.ndarray = field(default=None)  # money spent on retention so far (contacts, programmes)
    programme_total: np.ndarray = field(default=None)  # the programmes' part of it
    customers_won: np.ndarray = field(default=None)  # trial orders received so far
    profit_at_round: np.ndarray = field(default=None)  # profit_total at the last imitation round (sim.imitation)
    #: the retention policy each exporter runs (index into ``MarketModel.policies``) and its declarative
    #: effects (``sim.policies.effects``), set by the model
    policy: np.ndarray = field(default=None)
    survey: np.ndarray = field(default=None)
    database: np.ndarray = field(default=None)
    fit_bonus: np.ndarray = field(default=None)
    value_alignment: np.ndarray = field(default=None)

    @property
    def n(self) -> int:
        return len(self.quality)


@dataclass
class Buyers:
    """Buyer traits (index = buyer id)."""

    values: np.ndarray  # (B, k) unit vectors
    partnership: np.ndarray  # bool: partnership (True) or transactional orientation
    size: np.ndarray  # mean demand per tick
    phase: np.ndarray  # seasonal phase in [0, 1)
    importance: np.ndarray  # importance of the product: drives conversion risk
    price_sensitivity: np.ndarray
    wanted: np.ndarray  # suppliers wanted at once
    monitoring: np.ndarray  # chance of detecting an opportunistic act
    review_rate: np.ndarray  # chance per tick of reviewing alternatives

    @property
    def n(self) -> int:
        return len(self.size)


def _unit_vectors(center: np.ndarray, spread: float, n: int, rng: np.random.Generator) -> np.ndarray:
    v = center[None, :] + spread * rng.standard_normal((n, center.size))
    norm = np.linalg.norm(v, axis=1, keepdims=True)
    norm[norm == 0] = 1.0
    return (v / norm).astype(np.float32)


def _beta(mean: float, sd: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Beta-distributed values in [0, 1] with the given mean and sd (degenerate if sd = 0)."""
    mean = min(max(mean, 1e-6), 1 - 1e-6)
    var = sd * sd
    if var <= 0 or var >= mean * (1 - mean):
        return np.clip(mean + sd * rng.standard_normal(n), 0, 1) if var > 0 else np.full(n, mean)
    k = mean * (1 - mean) / var - 1
    return rng.beta(mean * k, (1 - mean) * k, n)


def draw_population(p: dict, rng: np.random.Generator) -> tuple[Exporters, Buyers]:
    """Draw every trait from the parameters ``p`` with the population stream ``rng``."""
    E, B, k = p["n_exporters"], p["n_buyers"], p["values_dim"]
    culture = rng.standard_normal(k)
    culture /= np.linalg.norm(culture)

    partnership = rng.random(B) < p["partnership_share"]
    size = p["demand_level"] * rng.lognormal(-0.5 * p["demand_size_sd"] ** 2, p["demand_size_sd"], B)
    buyers = Buyers(
        values=_unit_vectors(culture, p["values_spread"], B, rng),
        partnership=partnership,
        size=size.astype(np.float32),
        # buyers share the market's season, each shifted by up to half the spread
        phase=(((rng.random(B) - 0.5) * p["season_phase_spread"]) % 1.0).astype(np.float32),
        importance=_beta(p["importance_mean"], 0.15, B, rng).astype(np.float32),
        price_sensitivity=(p["price_sensitivity"] * np.where(partnership, 0.3, 1.0)).astype(np.float32),
        wanted=np.where(partnership, p["suppliers_partnership"], p["suppliers_transactional"]).astype(np.int16),
        monitoring=np.full(B, p["monitoring"], dtype=np.float32),
        review_rate=(p["review_rate"] * np.where(partnership, 0.2, 1.0)).astype(np.float32),
    )

    price = np.maximum(0.05 * p["price_mean"], p["price_mean"] + p["price_sd"] * rng.standard_normal(E))
    fair_share = size.sum() / E
    exporters = Exporters(
        quality=np.clip(p["quality_mean"] + p["quality_sd"] * rng.standard_normal(E), 0, 1),
        price=price,
        unit_cost=p["unit_cost_ratio"] * price,
        opportunism=_beta(p["opportunism_mean"], p["opportunism_sd"], E, rng),
        values=_unit_vectors(culture, p["values_spread"], E, rng),
        budget=np.full(E, p["contact_budget"], dtype=np.float64),
        acquisition_share=np.full(E, p["acquisition_share"], dtype=np.float64),
        capacity=np.full(E, p["capacity_ratio"] * fair_share),
        active=np.ones(E, dtype=bool),
        stock=np.full(E, 0.1 * fair_share),  # launch stock
        season_index=np.ones((E, p["season_period"]), dtype=np.float64),
        neg_profit_ticks=np.zeros(E, dtype=np.int32),
        profit_smooth=np.zeros(E),
        revenue_total=np.zeros(E),
        profit_total=np.zeros(E),
        exited_at=np.full(E, -1, dtype=np.int32),
        acquisition_total=np.zeros(E),
        retention_total=np.zeros(E),
        programme_total=np.zeros(E),
        customers_won=np.zeros(E, dtype=np.int64),
        profit_at_round=np.zeros(E),
    )
    return exporters, buyers
