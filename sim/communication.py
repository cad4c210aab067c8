"""Communication: each exporter spends its contact budget as its retention policy says.

A share ``acquisition_share`` of the budget goes evenly to prospects (pairs at the awareness stage);
the rest is split among trading relationships in proportion to the policy's priorities
(``dynamics.contact_budget``); what a relationship receives becomes communication
(``dynamics.communication``). One sweep of the ledger also counts, per buyer, the trading,
committed and aware rows that ``try_out`` reads next (no stage changes in between).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import dynamics as eq
from .draws import policy_generator
from .jit import kernel
from .policies import LazyPolicyView
from .sums import grid, on_grid
from .vocab import AWARENESS, COMMITMENT, DISSOLVED

F32 = np.float32
U = np.uintp


class Contacts(NamedTuple):
    """What ``talk`` leaves: each exporter's contact spend, the prospects' rows (awareness rows of active
    exporters) and per buyer its trading, committed and aware rows."""

    spend: np.ndarray
    prospects: np.ndarray
    n_trading: np.ndarray
    n_committed: np.ndarray
    n_aware: np.ndarray


@kernel
def _sweep(stage, exporter, buyer, active, comm, n_exporters, n_buyers):
    """Clear ``comm``; list the live rows (of active exporters), the trading rows among them and their
    exporters, and the prospects; count prospects per exporter and, per buyer, trading, committed and
    prospect rows."""
    n = stage.size
    n_prospects = np.zeros(n_exporters, np.int64)
    n_trading = np.zeros(n_buyers, np.int64)
    n_committed = np.zeros(n_buyers, np.int64)
    n_aware = np.zeros(n_buyers, np.int64)
    live = np.empty(n + 1, np.int32)
    tr = np.empty(n + 1, np.int32)
    te = np.empty(n + 1, exporter.dtype)
    aw = np.empty(n + 1, np.int32)
    nl = nt = na = 0
    for i in range(n):
        comm[i] = 0.0
        st = stage[i]
        e, b = U(exporter[i]), U(buyer[i])
        is_live = (st != DISSOLVED) & active[e]
        is_prospect = is_live & (st == AWARENESS)
        live[nl] = i  # appended to without branches: stages alternate at random along the rows
        nl += is_live
        tr[nt] = i
        te[nt] = exporter[i]
        nt += is_live & (st != AWARENESS)
        aw[na] = i
        na += is_prospect
        n_prospects[e] += is_prospect
        n_aware[b] += is_prospect
        n_trading[b] += (st != AWARENESS) & (st != DISSOLVED)
        n_committed[b] += st == COMMITMENT
    return live[:nl], tr[:nt], te[:nt], aw[:na].copy(), n_prospects, n_trading, n_committed, n_aware


@kernel
def _spend_budget(live, stage, exporter, te, w, n_prospects, budget, active, comm, P):
    """Each live row's communication (dynamics.contact_budget, dynamics.communication) and each exporter's
    contact spend (dynamics.contact_spend). The weights are put on one grid first (sim.sums), so that each
    exporter's total weight is the same in any row order."""
    E = budget.size
    q = grid(w.max() if w.size else 0.0, max(w.size, 1))
    total_w = np.zeros(E)
    for k in range(w.size):
        w[k] = on_grid(w[k], q)
        total_w[U(te[k])] += w[k]
    k = 0
    for j in range(live.size):
        i = U(live[j])
        e = U(exporter[i])
        prospect = stage[i] == AWARENESS
        weight = 0.0
        if not prospect:
            weight = w[k]
            k += 1
        c = eq.contact_budget(prospect, n_prospects[e], weight, total_w[e], budget[e], P)
        comm[i] = F32(eq.communication(c, P))
    spend = np.zeros(E)
    for e in range(E):
        if active[e]:
            spend[e] = eq.contact_spend(budget[e], n_prospects[e] > 0, total_w[e] > 0, P)
    return spend


def talk(model, t: int) -> Contacts:
    """Set ``communication`` of every live relationship for this tick and book the contact spend."""
    L, ex = model.ledger, model.exporters
    live, tr, te, aw, n_prospects, n_trading, n_committed, n_aware = _sweep(
        L.stage, L.exporter, L.buyer, ex.active, L.communication, ex.n, model.buyers.n)
    w = priorities(model, tr, te, t)
    spend = _spend_budget(live, L.stage, L.exporter, te, w, n_prospects, ex.budget, ex.active, L.communication,
                          model.P)
    return Contacts(spend, aw, n_trading, n_committed, n_aware)


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
    view = LazyPolicyView(tick=t, exporter=te, rng=policy_generator(model.draw_seed, t), load=lambda name: loaders[name]())
    w = np.asarray(model.policy.priority(view), dtype=np.float64)
    # min >= 0 fails for negative weights and NaN, max < inf for +inf: two reductions, no temporaries
    if w.shape != (tr.size,) or (w.size and not (w.min() >= 0.0 and w.max() < np.inf)):
        raise ValueError(f"policy {model.policy.name!r} returned invalid priorities (need one finite weight >= 0 per relationship)")
    return w
