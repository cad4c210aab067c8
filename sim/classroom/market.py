"""The game's market: a ``MarketModel`` in which every exporter has its own retention policy and its own
split of the contact budget between acquiring customers (prospects) and retaining them.

The engine gives one policy and one ``acquisition_share`` to all exporters. Until it takes them per
exporter (the change it needs is small: ``communication.talk`` reading an array of shares, and the model
holding a policy per exporter), this module bridges from outside it:

- ``ByExporter`` is a retention policy that hands each exporter's rows to that exporter's own policy.
  Only policies that act through their priorities can be mixed (``PLAIN_POLICIES``): the others also
  switch on market-wide mechanisms (surveys, a database, a values programme) that the engine reads once.
- ``talk`` is ``sim.communication.talk`` with two budgets per exporter, one for prospects and one for
  customers, so that exporter ``e`` spends the share ``acquisition[e]`` of its budget on prospects.
  It calls the engine's own kernels; with every share equal to the scenario's, results are bit-identical
  to ``MarketModel``'s (tests/test_classroom.py). ``GameMarket.step`` lends it to the engine for its own
  ticks only; any other model calling ``communication.talk`` meanwhile gets the engine's.
"""

from __future__ import annotations

import threading

import numpy as np

from .. import communication
from ..model import MarketModel
from ..policies import LAZY_FIELDS, Policy, PolicyView, get_policy
from ..sums import grid
from ..threads import run_chunks
from ..vocab import AWARENESS, DISSOLUTION_CAUSES, DISSOLVED

#: retention policies a student (or a computer player) can choose: those that act through priorities alone
PLAIN_POLICIES = ("uniform", "new_customers_first", "key_accounts", "at_risk")
#: the causes that end a trading relationship (the game's "lost customers")
LOST_CAUSES = tuple(c for c in DISSOLUTION_CAUSES if c != "lapsed")

_ENGINE_TALK = communication.talk
_SWAP = threading.Lock()


class _Rows(PolicyView):
    """The rows ``rows`` of a policy view, each column sliced when a policy first reads it."""

    def __init__(self, view: PolicyView, rows: np.ndarray):
        object.__setattr__(self, "tick", view.tick)
        object.__setattr__(self, "exporter", view.exporter[rows])
        object.__setattr__(self, "rng", view.rng)
        object.__setattr__(self, "_whole", view)
        object.__setattr__(self, "_rows", rows)

    def __getattr__(self, name: str):
        if name in LAZY_FIELDS:
            value = getattr(self._whole, name)[self._rows]
            object.__setattr__(self, name, value)
            return value
        raise AttributeError(name)


class ByExporter(Policy):
    """Each exporter's rows weighted by that exporter's own policy (``choices``: policy name per exporter)."""

    name = "by_exporter"
    description = "Every exporter follows the retention policy it chose."

    def __init__(self, choices: list[str]):
        self.choices = list(choices)
        self._policies = {name: get_policy(name) for name in PLAIN_POLICIES}

    def priority(self, view: PolicyView) -> np.ndarray:
        code = np.array([PLAIN_POLICIES.index(c) for c in self.choices])[view.exporter]
        w = np.empty(view.exporter.size)
        for k, name in enumerate(PLAIN_POLICIES):
            rows = np.flatnonzero(code == k)
            if rows.size:
                w[rows] = self._policies[name].priority(_Rows(view, rows))
        return w


class GameMarket(MarketModel):
    """``MarketModel`` whose exporters each choose a policy (``choices``) and an acquisition share.

    Construction arguments are ``MarketModel``'s; ``policy`` must be one of ``PLAIN_POLICIES`` and
    ``acquisition_share`` strictly between 0 and 1 (the shares are set through it; see ``talk``).
    Every exporter starts with ``policy`` and ``acquisition_share``; ``decide`` changes one exporter's.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.p["policy"] not in PLAIN_POLICIES:
            raise ValueError(f"policy={self.p['policy']!r} is not allowed in the game: expected one of "
                             + ", ".join(PLAIN_POLICIES))
        if not 0.0 < self.p["acquisition_share"] < 1.0:
            raise ValueError(f"acquisition_share={self.p['acquisition_share']!r} is not allowed in the game: "
                             "expected a number strictly between 0 and 1")
        n = self.exporters.n
        #: each exporter's share of its contact budget spent on prospects
        self.acquisition = np.full(n, self.p["acquisition_share"])
        self.policy = ByExporter([self.p["policy"]] * n)

    def decide(self, exporter: int, acquisition: float, policy: str) -> None:
        """From the next tick on, ``exporter`` spends ``acquisition`` of its budget on prospects and
        follows ``policy`` (one of ``PLAIN_POLICIES``) with the rest."""
        if policy not in PLAIN_POLICIES:
            raise ValueError(f"policy={policy!r} is not allowed: expected one of {', '.join(PLAIN_POLICIES)}")
        if not 0.0 <= acquisition <= 1.0:
            raise ValueError(f"acquisition={acquisition!r} is not allowed: expected a number in [0, 1]")
        self.acquisition[exporter] = acquisition
        self.policy.choices[exporter] = policy

    def step(self) -> None:
        with _SWAP:
            communication.talk = _talk_dispatch
            try:
                super().step()
            finally:
                communication.talk = _ENGINE_TALK


def _talk_dispatch(model, t: int):
    return talk(model, t) if isinstance(model, GameMarket) else _ENGINE_TALK(model, t)


def talk(model: GameMarket, t: int) -> communication.Contacts:
    """``sim.communication.talk`` with a prospect budget and a customer budget per exporter.

    The engine gives prospects ``a B`` and customers ``(1 - a) B`` of a budget ``B`` (``a``: the market's
    ``acquisition_share``). Handing its kernels ``B s / a`` for prospects and ``B (1 - s) / (1 - a)`` for
    customers gives exporter ``e`` the split ``s = acquisition[e]``; where ``s == a`` they get ``B`` itself.
    """
    L, ex, P = model.ledger, model.exporters, model.P
    c = communication
    a, s, budget = float(P.acquisition_share), model.acquisition, ex.budget
    same = s == a
    prospect_budget = np.where(same, budget, budget * s / a)
    customer_budget = np.where(same, budget, budget * (1.0 - s) / (1.0 - a))

    parts = run_chunks(c._sweep, L.n, L.stage, L.exporter, L.buyer, ex.active, L.communication, ex.n, model.buyers.n)
    tr, te, aw = (np.concatenate([p[j] for p in parts]) for j in range(3))
    n_prospects, n_trading, n_committed, n_aware = (np.add.reduce([p[j] for p in parts]) for j in range(3, 7))
    w = c.priorities(model, tr, te, t)
    q = grid(w.max() if w.size else 0.0, max(w.size, 1))
    total_w = np.add.reduce(run_chunks(c._weight_totals, w.size, te, w, q, ex.n))
    run_chunks(c._customer_contact, tr.size, tr, te, w, total_w, customer_budget, L.communication, P)
    run_chunks(c._prospect_contact, aw.size, aw, L.exporter, n_prospects, prospect_budget, L.communication, P)
    no_prospects, no_customers = np.zeros_like(n_prospects), np.zeros_like(total_w)
    spend = np.where(same, c._spend(budget, ex.active, n_prospects, total_w, P),
                     c._spend(prospect_budget, ex.active, n_prospects, no_customers, P)
                     + c._spend(customer_budget, ex.active, no_prospects, total_w, P))
    return c.Contacts(spend, aw, n_trading, n_committed, n_aware)


def trading_ids(model: MarketModel) -> tuple[np.ndarray, np.ndarray]:
    """(relationship id, exporter) of every trading relationship (exploration to commitment) now."""
    L = model.ledger
    live = (L.stage > AWARENESS) & (L.stage < DISSOLVED)
    return L.id[live].copy(), L.exporter[live].copy()


def warm_up() -> None:
    """Run a tiny game market through a round and its tables, so that the first real round is not slowed
    by loading the engine's compiled kernels."""
    m = GameMarket(rng=0, n_exporters=4, n_buyers=60, policy="uniform", acquisition_share=0.2)
    m.decide(0, 0.5, "at_risk")
    m.run_for(13)
    m.events, m.relationships, m.exporter_table, m.timeseries  # noqa: B018 (built for their side effect)
