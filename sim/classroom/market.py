"""The game's market: the engine's ``MarketModel``, each exporter's levers set through its public hook.

A student's decisions are ``MarketModel.set_levers(exporter, policy=..., acquisition_share=...)``: any
registered retention policy (its programme, a survey, a database or a values programme, is that
exporter's alone) and the share of the exporter's relationship budget spent on finding customers.
``levers`` reads them back from the engine, so what the game records is what the market runs.
"""

from __future__ import annotations

import numpy as np

from ..model import MarketModel
from ..policies import POLICIES
from ..vocab import AWARENESS, DISSOLUTION_CAUSES, DISSOLVED

#: the causes that end a trading relationship (the game's "lost customers")
LOST_CAUSES = tuple(c for c in DISSOLUTION_CAUSES if c != "lapsed")


def game_policies() -> tuple[str, ...]:
    """The retention policies a student (or a computer player) can choose: every registered one, in the
    order they were registered."""
    return tuple(POLICIES)


def levers(model: MarketModel, exporter: int) -> tuple[float, str]:
    """``exporter``'s acquisition share and retention policy as the engine runs them."""
    ex = model.exporters
    return float(ex.acquisition_share[exporter]), model.policies[int(ex.policy[exporter])].name


def trading_ids(model: MarketModel) -> tuple[np.ndarray, np.ndarray]:
    """(relationship id, exporter) of every trading relationship (exploration to commitment) now."""
    L = model.ledger
    live = (L.stage > AWARENESS) & (L.stage < DISSOLVED)
    return L.id[live].copy(), L.exporter[live].copy()


def warm_up() -> None:
    """Run a tiny market with mixed levers through a round and its tables, so that the first real round is
    not slowed by loading the engine's compiled kernels."""
    m = MarketModel(rng=0, n_exporters=4, n_buyers=60, policy="uniform", acquisition_share=0.2)
    for e, policy in enumerate(("at_risk", "satisfaction_survey", "customer_database", "shared_values_program")):
        m.set_levers(e, policy=policy, acquisition_share=0.5)
    m.run_for(13)
    m.events, m.relationships, m.exporter_table, m.timeseries  # noqa: B018 (built for their side effect)
