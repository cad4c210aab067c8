"""Exporters and buyers as Mesa agents.

Their traits and state live in the model's arrays (``model.exporters``,
``model.buyers``) and their relationships in the ledger, so that a tick is array
work; each agent is a view onto its row, for inspection, dashboards and tests.

An agent does not store its row: agents of a class are created in row order
(``create_agents``), so the row is the agent's ``unique_id`` minus that of the
class's first agent, which the model keeps once. That saves an int object and
an attribute slot per agent (~40 bytes; a market holds one agent per buyer).
An agent created out of order keeps its row itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from mesa import Agent

from .ledger import AWARENESS, DISSOLVED


class _RowAgent(Agent):
    """A Mesa agent that is a view onto row ``index`` of its model's arrays."""

    _index = None  # the row, for an agent created out of order (instances set it only then)

    def __init__(self, model, index: int):
        super().__init__(model)
        index = int(index)
        first = model.__dict__.setdefault("_first_agent_id", {})  # class -> unique_id of its row 0
        if first.setdefault(type(self), self.unique_id - index) != self.unique_id - index:
            self._index = index

    @property
    def index(self) -> int:
        """The agent's row in the model's arrays (and its exporter or buyer number in the ledger)."""
        i = self._index
        return self.unique_id - self.model._first_agent_id[type(self)] if i is None else i


class Exporter(_RowAgent):
    """An exporting seller: quality, price, opportunism, values, contact budget, capacity."""

    @property
    def quality(self) -> float:
        return float(self.model.exporters.quality[self.index])

    @property
    def price(self) -> float:
        return float(self.model.exporters.price[self.index])

    @property
    def opportunism(self) -> float:
        return float(self.model.exporters.opportunism[self.index])

    @property
    def active(self) -> bool:
        return bool(self.model.exporters.active[self.index])

    @property
    def revenue(self) -> float:
        """Revenue earned so far."""
        return float(self.model.exporters.revenue_total[self.index])

    @property
    def profit(self) -> float:
        """Profit earned so far."""
        return float(self.model.exporters.profit_total[self.index])

    def count_customers(self) -> int:
        """Buyers currently trading with this exporter (exploration or later)."""
        L = self.model.ledger
        return int(np.count_nonzero((L.exporter == self.index) & (L.stage > AWARENESS) & (L.stage < DISSOLVED)))

    def list_relationships(self) -> pd.DataFrame:
        """This exporter's live relationships (rows of ``model.relationships``)."""
        df = self.model.relationships
        return df[(df["exporter"] == self.index) & (df["stage"] != "dissolved")]


class Buyer(_RowAgent):
    """An importing buyer: values, orientation (transactional or partnership), demand."""

    @property
    def orientation(self) -> str:
        return "partnership" if self.model.buyers.partnership[self.index] else "transactional"

    @property
    def size(self) -> float:
        """Mean demand per tick."""
        return float(self.model.buyers.size[self.index])

    def count_suppliers(self) -> int:
        """Exporters this buyer currently trades with (exploration or later)."""
        L = self.model.ledger
        return int(np.count_nonzero((L.buyer == self.index) & (L.stage > AWARENESS) & (L.stage < DISSOLVED)))

    def list_relationships(self) -> pd.DataFrame:
        """This buyer's live relationships (rows of ``model.relationships``)."""
        df = self.model.relationships
        return df[(df["buyer"] == self.index) & (df["stage"] != "dissolved")]
