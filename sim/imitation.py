"""Imitation: exporters copy the retention policy of more profitable peers (the evolutionary tournament).

Every ``imitation_every`` ticks each active exporter compares its profit since the last round with that of
one other active exporter drawn at random, and copies that peer's policy with the probability of
``dynamics.imitation_probability``. All exporters decide on the policies and profits before the round (a
synchronous update). Exporters only copy policies present in the market (``MarketModel.policies``: a
``policy_mix`` names them). A Python loop over exporters (a few per market), with order-free draws.
"""

from __future__ import annotations

import numpy as np

from . import draws
from . import dynamics as eq
from .policies import Assignment, effects


def imitate(model, t: int) -> int:
    """Run a round of imitation if one falls due at tick ``t``; return how many exporters changed policy."""
    P, ex = model.P, model.exporters
    if not P.imitation_every or t % P.imitation_every != 0:
        return 0
    profit = ex.profit_total - ex.profit_at_round
    ex.profit_at_round = ex.profit_total.copy()
    active = np.flatnonzero(ex.active)
    if active.size < 2:
        return 0
    spread = float(profit[active].max() - profit[active].min())
    key = model.stream_key(draws.IMITATION, t)
    before = ex.policy.copy()
    changed = 0
    for e in active:
        # a peer among the other active exporters, uniformly
        k = min(int(draws.uniform(key, int(e), 0) * (active.size - 1)), active.size - 2)
        peer = active[k + (active[k] >= e)]
        if before[peer] != before[e] and draws.uniform(key, int(e), 1) < eq.imitation_probability(
                profit[e], profit[peer], spread, P):
            ex.policy[e] = before[peer]
            changed += 1
    if changed:
        for name, value in effects(Assignment(model.policies, ex.policy))._asdict().items():
            setattr(ex, name, value)
    return changed
