"""The scalar outcomes of a run: names, definitions, the range each can take, short labels.

A light module (no engine import) so that scenario files can be checked against it quickly.
``sim.experiments.outcomes`` computes them; ``sim.stats`` picks each one's interval from its range.
T = last tick, t0 = T // 2; a *trading* relationship is one that reached exploration.
"""

from __future__ import annotations

import math

#: Every scalar outcome of a run, with its definition; the unit in brackets also gives its range.
#: The ``SHOCK_OUTCOMES`` are there only when the run has a key-account shock (lifecycle.shock_tick >= 1).
OUTCOMES: dict[str, str] = {
    "retention_rate": "share of the trading relationships live at tick t0 = T//2 that are still live at T [0-1]",
    "retention_per_tick": "mean over ticks t0+1..T of 1 - trading dissolutions / trading relationships at the tick's start [0-1]",
    "profit": "total profit of all exporters over the run: gross margin - holding - stock-out - acquisition - retention costs [money]",
    "revenue": "total revenue of all exporters over the run [money, >= 0]",
    "revenue_before_shock": "revenue of all exporters per tick before the key-account shock (ticks < shock_tick) [money, >= 0]",
    "revenue_after_shock": "revenue of all exporters per tick from the key-account shock on (ticks >= shock_tick) [money, >= 0]",
    "profit_after_shock": "profit of all exporters per tick from the key-account shock on (ticks >= shock_tick) [money]",
    "clv": "customer lifetime value: mean over trading relationships (live ones to date) of gross margin less contact money spent on them, discounted to the relationship's start at discount_rate [money]",
    "acquisition_spend": "money spent on acquisition over the run: contact with prospects and trade fairs [money, >= 0]",
    "retention_spend": "money spent on retention over the run: contact with customers and retention programmes [money, >= 0]",
    "programme_cost": "the retention programmes' part of retention_spend: surveys, customer database, shared-values programme [money, >= 0]",
    "customers_won": "trial orders placed during the run: relationships that became trading (exploration) [count]",
    "cost_per_acquired_customer": "acquisition_spend / customers_won [money, >= 0]",
    "cost_per_retained_customer": "retention spend over ticks t0+1..T / trading relationships live at t0 and still live at T (the retention_rate cohort's survivors) [money, >= 0]",
    "mean_duration": "mean duration of trading relationships, live ones counted to T (censored, so a lower bound) [ticks]",
    "dissolutions": "trading relationships dissolved during the run (awareness lapses not counted) [count]",
    "dissolutions_lapsed": "awareness-stage relationships that lapsed without a trial order [count]",
    "trading_relationships": "relationships that reached exploration during the run [count]",
    "loyalty_y": "Weisbuch-Kirman-Herreiner loyalty y, mean over ticks t0+1..T [1/n..1]",
    "mean_trust": "mean trust of trading relationships at T [0-1]",
    "mean_commitment": "mean commitment of trading relationships at T [0-1]",
    "forecast_mape": "exporters' forecast error (MAPE), mean over ticks t0+1..T [share, >= 0]",
    "fill_rate": "units delivered / units ordered, mean over ticks t0+1..T [0-1]",
    "inventory_cost": "total holding and stock-out cost over the run [money, >= 0]",
    "revenue_hhi": "revenue concentration (Herfindahl index over customers) of active exporters, mean over t0+1..T [0-1]",
    "undetected_acts": "opportunistic acts the buyers did not detect, over the run [count]",
    "value_lost_undetected": "value buyers lost to undetected opportunistic acts over the run, estimated as undetected "
                             "acts x shading x the tick's fill rate x mean exporter quality [value, >= 0]",
    "active_exporters": "exporters still in the market at T [count]",
    "n_awareness": "relationships in awareness at T [count]",
    "n_exploration": "relationships in exploration at T [count]",
    "n_expansion": "relationships in expansion at T [count]",
    "n_commitment": "relationships in commitment at T [count]",
}

SHOCK_OUTCOMES = ("revenue_before_shock", "revenue_after_shock", "profit_after_shock")

#: short label with unit of the outcomes shown in tables and on figure axes
SHORT_LABELS: dict[str, str] = {
    "retention_rate": "retention rate (0-1)",
    "retention_per_tick": "retention per tick (0-1)",
    "profit": "profit (money)",
    "revenue": "revenue (money)",
    "revenue_before_shock": "revenue per tick before the shock (money)",
    "revenue_after_shock": "revenue per tick after the shock (money)",
    "profit_after_shock": "profit per tick after the shock (money)",
    "clv": "CLV (money per relationship)",
    "acquisition_spend": "acquisition spend (money)",
    "retention_spend": "retention spend (money)",
    "programme_cost": "programme cost (money)",
    "customers_won": "customers won (count)",
    "cost_per_acquired_customer": "cost per acquired customer (money)",
    "cost_per_retained_customer": "cost per retained customer (money)",
    "dissolutions": "dissolutions (count)",
    "mean_duration": "mean duration (ticks)",
    "loyalty_y": "loyalty y (1/n-1)",
    "mean_trust": "trust at the end (0-1)",
    "mean_commitment": "commitment at the end (0-1)",
    "forecast_mape": "forecast error, MAPE (share)",
    "fill_rate": "fill rate (0-1)",
    "inventory_cost": "inventory cost (money)",
    "revenue_hhi": "revenue HHI (0-1)",
    "undetected_acts": "undetected opportunistic acts (count)",
    "value_lost_undetected": "value lost to undetected opportunism",
}

#: what a per-tick timeseries column is, for figures drawn over time (column -> axis label)
OVER_TIME_LABELS: dict[str, str] = {
    "revenue": "revenue of all exporters per tick (money)",
    "profit": "profit of all exporters per tick (money)",
    "revenue_hhi": "revenue concentration, HHI (0-1)",
    "mean_trust": "mean trust of trading relationships (0-1)",
    "mean_commitment": "mean commitment of trading relationships (0-1)",
    "forecast_mape": "forecast error, MAPE (share)",
    "fill_rate": "fill rate (0-1)",
    "loyalty_y": "loyalty y (1/n-1)",
    "retention_rate": "retention per tick (0-1)",
    "dissolutions_trading": "trading dissolutions per tick (count)",
}


#: which way is better for the outcomes a comparison ranks (+1: more is better, -1: less is better)
BETTER: dict[str, int] = {
    "retention_rate": 1, "retention_per_tick": 1, "profit": 1, "revenue": 1, "clv": 1, "mean_duration": 1,
    "customers_won": 1, "mean_trust": 1, "mean_commitment": 1, "fill_rate": 1, "loyalty_y": 1,
    "cost_per_acquired_customer": -1, "cost_per_retained_customer": -1, "dissolutions": -1, "forecast_mape": -1,
    "inventory_cost": -1, "acquisition_spend": -1, "retention_spend": -1, "programme_cost": -1,
    "undetected_acts": -1, "value_lost_undetected": -1, "revenue_hhi": -1,
}


def label(name: str) -> str:
    """The short label of an outcome (its name when it has none)."""
    return SHORT_LABELS.get(name, name)


def bounds(name: str) -> tuple[float, float] | None:
    """The range an outcome can take, read from the unit of its definition.

    ``(0, 1)`` for shares and rates (``[0-1]``, loyalty ``[1/n..1]``), ``(0, inf)`` for counts,
    durations and quantities marked ``>= 0``; ``None`` (unbounded) for money that can be negative.
    """
    text = OUTCOMES.get(name, "")
    unit = text[text.rfind("[") + 1:text.rfind("]")] if "[" in text else ""
    if unit in ("0-1", "1/n..1"):
        return (0.0, 1.0)
    if unit in ("count", "ticks") or unit.endswith(">= 0"):
        return (0.0, math.inf)
    return None
