"""Communication: each exporter spends its contact budget as its retention policy says.

A share ``acquisition_share`` of the budget goes evenly to prospects (pairs at
the awareness stage); the rest is split among trading relationships in
proportion to the policy's priorities. Per-exporter totals are grouped sums,
so the cost does not depend on a loop over relationships.
"""

from __future__ import annotations

import numpy as np

from . import dynamics, kernels
from .grouped import group_sum
from .ledger import AWARENESS, DISSOLVED
from .policies import PolicyView


def talk(model, t: int) -> None:
    """Set ``communication`` of every live relationship for this tick and book the contact spend."""
    if kernels.ENABLED:
        return kernels.talk(model, t)
    p, L, ex = model.p, model.ledger, model.exporters
    E = ex.n
    L.communication[:] = 0.0
    live = np.flatnonzero((L.stage != DISSOLVED) & ex.active[L.exporter])
    e = L.exporter[live]
    prospect = L.stage[live] == AWARENESS
    budget = np.zeros(live.size)

    # acquisition: an even share of the acquisition budget per prospect
    pe = e[prospect]
    n_prospects = group_sum(pe, None, E)
    acq = ex.budget * p["acquisition_share"]
    budget[prospect] = (acq / np.maximum(n_prospects, 1))[pe]

    # retention: split by policy priority among trading relationships
    tr, te = live[~prospect], e[~prospect]
    view = PolicyView(
        tick=t,
        exporter=te,
        stage=L.stage[tr],
        age=(t - L.born[tr]).astype(np.float64),
        revenue=L.revenue[tr].astype(np.float64),
        last_order=L.order[tr].astype(np.float64),
        perceived=L.perceived[tr].astype(np.float64),
        buyer_size=model.buyers.size[L.buyer[tr]].astype(np.float64),
        rng=model.streams["policy"],
    )
    w = np.asarray(model.policy.priority(view), dtype=np.float64)
    if w.shape != (tr.size,) or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"policy {model.policy.name!r} returned invalid priorities (need one finite weight >= 0 per relationship)")
    total_w = group_sum(te, w, E)
    ret = ex.budget * (1.0 - p["acquisition_share"])
    budget[~prospect] = np.where(total_w[te] > 0, ret[te] * w / np.maximum(total_w[te], 1e-300), 0.0)

    L.communication[live] = dynamics.communication(budget, model.channel_efficiency)
    spent = np.where(n_prospects > 0, acq, 0.0) + np.where(total_w > 0, ret, 0.0)
    model.now.contact_spend = spent * ex.active * p["contact_cost"]
