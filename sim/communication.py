"""Communication: each exporter spends its contact budget as its retention policy says.

A share of the budget (each exporter's acquisition share) goes evenly to prospects (pairs at the awareness stage);
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
from .threads import run_chunks
from .vocab import AWARENESS, COMMITMENT, DISSOLVED

F32 = np.float32
U = np.uintp


class Contacts(NamedTuple):
    """What ``talk`` leaves: each exporter's spending this tick (money), the prospects' rows (awareness rows
    of active exporters) and per buyer its trading, committed and aware rows."""

    acquisition: np.ndarray  # contact with prospects and trade fairs (dynamics.acquisition_spend)
    retention: np.ndarray  # contact with customers and retention programmes
    programmes: np.ndarray  # the programmes' part of ``retention`` (dynamics.programme_cost)
    contact: np.ndarray  # contact with prospects and customers
    prospects: np.ndarray
    n_trading: np.ndarray
    n_committed: np.ndarray
    n_aware: np.ndarray

    @property
    def spend(self) -> np.ndarray:
        """Each exporter's relationship spending: acquisition and retention."""
        return self.acquisition + self.retention


@kernel
def _sweep(lo, hi, stage, exporter, buyer, active, comm, n_exporters, n_buyers):
    """Rows ``lo:hi``: clear ``comm``; list the trading rows of active exporters (and their exporters) and the
    prospects (awareness rows of active exporters); count prospects per exporter and, per buyer, trading,
    committed and prospect rows."""
    n = hi - lo
    n_prospects = np.zeros(n_exporters, np.int64)
    n_customers = np.zeros(n_exporters, np.int64)
    n_trading = np.zeros(n_buyers, np.int64)
    n_committed = np.zeros(n_buyers, np.int64)
    n_aware = np.zeros(n_buyers, np.int64)
    tr = np.empty(n + 1, np.int32)
    te = np.empty(n + 1, exporter.dtype)
    aw = np.empty(n + 1, np.int32)
    nt = na = 0
    for i in range(lo, hi):
        comm[i] = 0.0
        st = stage[i]
        e, b = U(exporter[i]), U(buyer[i])
        is_live = (st != DISSOLVED) & active[e]
        is_prospect = is_live & (st == AWARENESS)
        tr[nt] = i  # appended to without branches: stages alternate at random along the rows
        te[nt] = exporter[i]
        nt += is_live & (st != AWARENESS)
        aw[na] = i
        na += is_prospect
        n_prospects[e] += is_prospect
        n_customers[e] += is_live & (st != AWARENESS)
        n_aware[b] += is_prospect
        n_trading[b] += (st != AWARENESS) & (st != DISSOLVED)
        n_committed[b] += st == COMMITMENT
    return tr[:nt].copy(), te[:nt].copy(), aw[:na].copy(), n_prospects, n_customers, n_trading, n_committed, n_aware


@kernel
def _weight_totals(lo, hi, te, w, q, n_exporters):
    """Weights ``lo:hi`` put on the grid ``q`` (in place, sim.sums) and their totals per exporter."""
    out = np.zeros(n_exporters)
    for k in range(lo, hi):
        w[k] = on_grid(w[k], q)
        out[U(te[k])] += w[k]
    return out


@kernel
def _customer_contact(lo, hi, tr, te, w, total_w, budget, share, t, born, comm, clv, P):
    """Trading rows ``tr[lo:hi]``: communication from their share of the retention budget, whose money counts
    against their customer lifetime value."""
    for k in range(lo, hi):
        i, e = U(tr[k]), U(te[k])
        money = eq.contact_budget(False, 0, w[k], total_w[e], budget[e], share[e])
        comm[i] = F32(eq.communication(money, P))
        if money > 0:
            clv[i] = F32(np.float64(clv[i]) - eq.discounted(money, t - born[i], P))
    return 0


@kernel
def _prospect_contact(lo, hi, aw, exporter, n_prospects, budget, share, comm, P):
    """Prospects ``aw[lo:hi]``: communication from their share of the acquisition budget."""
    for k in range(lo, hi):
        i = U(aw[k])
        e = U(exporter[i])
        c = eq.contact_budget(True, n_prospects[e], 0.0, 0.0, budget[e], share[e])
        comm[i] = F32(eq.communication(c, P))
    return 0


@kernel
def _spend(budget, share, active, n_prospects, n_customers, total_w, survey, database, alignment, survey_tick,
           fair_now, P):
    """Each exporter's acquisition, retention, programme and contact spending this tick (dynamics.contact_spend,
    programme_cost, acquisition_spend)."""
    E = budget.size
    acquisition, retention, programmes, contact = np.zeros(E), np.zeros(E), np.zeros(E), np.zeros(E)
    for e in range(E):
        if active[e]:
            prospects, customers = eq.contact_spend(budget[e], n_prospects[e] > 0, total_w[e] > 0, share[e])
            programmes[e] = eq.programme_cost(n_customers[e], survey_tick and survey[e], database[e],
                                              alignment[e] != 0.0, P)
            acquisition[e] = eq.acquisition_spend(prospects, fair_now, P)
            retention[e] = customers + programmes[e]
            contact[e] = prospects + customers
    return acquisition, retention, programmes, contact


def talk(model, t: int) -> Contacts:
    """Set ``communication`` of every live relationship for this tick and book the contact spend.

    The policy's weights are put on one grid first (sim.sums), so that each exporter's total weight is the
    same in any row order and on any number of threads.
    """
    L, ex, P = model.ledger, model.exporters, model.P
    parts = run_chunks(_sweep, L.n, L.stage, L.exporter, L.buyer, ex.active, L.communication, ex.n, model.buyers.n)
    tr, te, aw = (np.concatenate([p[j] for p in parts]) for j in range(3))
    n_prospects, n_customers, n_trading, n_committed, n_aware = (np.add.reduce([p[j] for p in parts])
                                                                for j in range(3, 8))
    w = priorities(model, tr, te, t)
    q = grid(w.max() if w.size else 0.0, max(w.size, 1))
    total_w = np.add.reduce(run_chunks(_weight_totals, w.size, te, w, q, ex.n))
    run_chunks(_customer_contact, tr.size, tr, te, w, total_w, ex.budget, ex.acquisition_share, t, L.born,
               L.communication, L.clv, P)
    run_chunks(_prospect_contact, aw.size, aw, L.exporter, n_prospects, ex.budget, ex.acquisition_share,
               L.communication, P)
    # surveys every survey_every ticks; trade fairs on tick 1 and every fair_every ticks (awareness.meet)
    survey_tick, fair_now = t % P.survey_every == 0, (t - 1) % P.fair_every == 0 and P.fair_contacts > 0
    spend = _spend(ex.budget, ex.acquisition_share, ex.active, n_prospects, n_customers, total_w, ex.survey, ex.database, ex.value_alignment,
                   survey_tick, fair_now, P)
    return Contacts(*spend, aw, n_trading, n_committed, n_aware)


def priorities(model, tr: np.ndarray, te: np.ndarray, t: int) -> np.ndarray:
    """Each exporter's retention policy's weight of its trading rows ``tr`` (exporters ``te``), checked.

    Each policy of the market sees a view of its own exporters' rows, whose columns are gathered only if it
    reads them; in a policy mix each policy draws from its own generator (``draws.policy_generator``).
    """
    policies = model.policies
    if len(policies) == 1:
        return _weights(model, policies[0], tr, te, t, 0)
    w = np.empty(tr.size)
    code = model.exporters.policy[te]
    for j, policy in enumerate(policies):
        mine = np.flatnonzero(code == j)
        w[mine] = _weights(model, policy, tr[mine], te[mine], t, j)
    return w


def _weights(model, policy, tr: np.ndarray, te: np.ndarray, t: int, group: int) -> np.ndarray:
    """One policy's weights of the rows ``tr`` of its exporters ``te``."""
    L = model.ledger
    loaders = {
        "stage": lambda: L.stage[tr],
        "age": lambda: (t - L.born[tr]).astype(np.float64),
        "revenue": lambda: L.revenue[tr].astype(np.float64),
        "last_order": lambda: L.order[tr].astype(np.float64),
        "perceived": lambda: L.perceived[tr].astype(np.float64),
        "buyer_size": lambda: model.buyers.size[L.buyer[tr]].astype(np.float64),
    }
    view = LazyPolicyView(tick=t, exporter=te, rng=policy_generator(model.draw_seed, t, group),
                          load=lambda name: loaders[name]())
    w = np.asarray(policy.priority(view), dtype=np.float64)
    # min >= 0 fails for negative weights and NaN, max < inf for +inf: two reductions, no temporaries
    if w.shape != (tr.size,) or (w.size and not (w.min() >= 0.0 and w.max() < np.inf)):
        raise ValueError(f"policy {policy.name!r} returned invalid priorities (need one finite weight >= 0 per relationship)")
    return w
