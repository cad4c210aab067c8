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
from .policies import LazyPolicyView


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
    w = priorities(model, tr, te, t)
    total_w = group_sum(te, w, E)
    ret = ex.budget * (1.0 - p["acquisition_share"])
    budget[~prospect] = np.where(total_w[te] > 0, ret[te] * w / np.maximum(total_w[te], 1e-300), 0.0)

    L.communication[live] = dynamics.communication(budget, model.channel_efficiency)
    spent = np.where(n_prospects > 0, acq, 0.0) + np.where(total_w > 0, ret, 0.0)
    model.now.contact_spend = spent * ex.active * p["contact_cost"]


def priorities(model, tr: np.ndarray, te: np.ndarray, t: int) -> np.ndarray:
    """The retention policy's weight of each trading row ``tr`` (exporters ``te``), checked.

    The policy sees a view of the rows whose columns are gathered only if it reads them.
    """
    L = model.ledger
    loaders = {
        "stage": lambda: L.stage[tr],
        "age": lambda: (t - L.born[tr]).astype(np.float64),
        "revenue": lambda: L.revenue[tr].astype(np.float64),
        "last_order": lambda: L.order[tr].astype(np.float64),
        "perceived": lambda: L.perceived[tr].astype(np.float64),
        "buyer_size": lambda: model.buyers.size[L.buyer[tr]].astype(np.float64),
    }
    view = LazyPolicyView(tick=t, exporter=te, rng=model.streams["policy"], load=lambda name: loaders[name]())
    w = np.asarray(model.policy.priority(view), dtype=np.float64)
    # min >= 0 fails for negative weights and NaN, max < inf for +inf: two reductions, no temporaries
    if w.shape != (tr.size,) or (w.size and not (w.min() >= 0.0 and w.max() < np.inf)):
        raise ValueError(f"policy {model.policy.name!r} returned invalid priorities (need one finite weight >= 0 per relationship)")
    return w
