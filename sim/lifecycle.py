"""The relationship lifecycle (Dwyer, Schurr & Oh 1987): stage moves and dissolution.

awareness -> exploration   a trial order: the aware buyer needs suppliers
exploration -> expansion   trust >= expansion_trust after min_trials orders
expansion -> commitment    commitment >= commitment_threshold and trust >= expansion_trust
commitment -> expansion    commitment < commitment_threshold - hysteresis (never straight to dissolution)
any -> dissolved           trust breakdown, dissatisfaction, a better alternative net of
                           switching cost, the exporter's exit, loss of a key account,
                           or (awareness only) lapse. Dissolution is absorbing for the row;
                           the pair may meet again after ``cooldown`` ticks, as a new row.
"""

from __future__ import annotations

import numpy as np

from . import dynamics, kernels
from .awareness import start_trading
from .grouped import group_second_max, group_sum
from .ledger import AWARENESS, COMMITMENT, DISSOLVED, EXPANSION, EXPLORATION
from .parameters import CAUSES


def try_out(model, t: int) -> None:
    """Aware buyers short of suppliers place trial orders (awareness -> exploration)."""
    if kernels.ENABLED:
        return kernels.try_out(model, t)
    p, L, by, ex = model.p, model.ledger, model.buyers, model.exporters
    aw = np.flatnonzero((L.stage == AWARENESS) & ex.active[L.exporter])
    u = model.streams["trial"].random(aw.size)
    if aw.size == 0:
        return
    live = L.stage != DISSOLVED
    trading = live & (L.stage != AWARENESS)
    n_trading = group_sum(L.buyer[trading], None, by.n)
    committed = group_sum(L.buyer[L.stage == COMMITMENT], None, by.n) > 0
    b, e = L.buyer[aw], L.exporter[aw]
    n_aware = group_sum(b, None, by.n)
    gap = np.maximum(by.wanted - n_trading, 0)
    # spread the buyer's remaining need over the exporters it knows of;
    # committed buyers have stopped searching (a tenth of the need remains)
    need = np.minimum(1.0, gap / np.maximum(n_aware, 1)) * np.where(committed, 0.1, 1.0)
    appeal = np.clip(
        0.5 + ex.quality[e] - model.expected_value - by.price_sensitivity[b] * (model.relative_price[e] - 1.0), 0.1, 1.0
    )
    prob = p["trial_rate"] * need[b] * appeal * (0.5 + L.communication[aw])
    start_trading(model, aw[u < prob], t)


def advance(model, t: int) -> None:
    """Exporter exits, the key-account shock, stage moves and dissolutions of this tick."""
    p, L, ex = model.p, model.ledger, model.exporters
    now = model.now
    rows = getattr(now, "rows", None)  # trading rows of this tick: no stage has changed since they were listed
    if kernels.ENABLED and rows is not None:
        now.trading_at_start = int(rows.size)
    else:
        now.trading_at_start = int(np.count_nonzero((L.stage > AWARENESS) & (L.stage < DISSOLVED)))

    dissolved_before = model.recorder.n_dissolved
    # exporters leave: exogenous hazard, or persistently negative profit
    u = model.streams["exit"].random(ex.n)
    leaving = ex.active & ((u < p["exit_rate"]) | (ex.neg_profit_ticks >= p["exit_patience"]))
    if leaving.any():
        ex.active[leaving] = False
        ex.exited_at[leaving] = t
        gone = np.flatnonzero((L.stage != DISSOLVED) & leaving[L.exporter])
        dissolve(model, gone, "exporter_exit", t)

    if t == p["shock_tick"]:
        lose_key_accounts(model, t)

    # stage moves of trading rows (their draws come first, fixed in size)
    if kernels.ENABLED and rows is not None and model.recorder.n_dissolved == dissolved_before:
        tr = rows  # no exit or shock this tick: the same rows
    elif kernels.ENABLED:
        tr = kernels._trading_rows(L.stage)
    else:
        tr = np.flatnonzero((L.stage > AWARENESS) & (L.stage < DISSOLVED))
    u_review = model.streams["lifecycle"].random(tr.size)
    if kernels.ENABLED:  # the same rules in one compiled pass
        endings, up1, up2, down = kernels.stage_moves(model, tr, u_review)
    else:
        stage, trust, commit = L.stage[tr], L.trust[tr], L.commitment[tr]
        up1 = (stage == EXPLORATION) & (trust >= p["expansion_trust"]) & (L.n_orders[tr] >= p["min_trials"])
        up2 = (stage == EXPANSION) & (commit >= p["commitment_threshold"]) & (trust >= p["expansion_trust"])
        down = (stage == COMMITMENT) & (commit < p["commitment_threshold"] - p["hysteresis"])
        endings = []
        if p["dissolution"]:
            breakdown = trust < p["breakdown_trust"]
            unhappy = L.low_sat[tr] >= p["patience"]
            better = _better_alternative(model, tr, u_review)
            cause = np.select(
                [breakdown, unhappy, better],
                [CAUSES.index("trust_breakdown"), CAUSES.index("dissatisfaction"), CAUSES.index("better_alternative")],
                0,
            )
            ends = cause > 0
            endings = [(code, tr[cause == code]) for code in np.unique(cause[ends])]
            up1, up2, down = up1 & ~ends, up2 & ~ends, down & ~ends
        up1, up2, down = tr[up1], tr[up2], tr[down]

    for code, rows in endings:  # by cause code, then row
        dissolve(model, rows, CAUSES[code], t)
    move(model, up1, EXPANSION, "trust_built", t)
    move(model, up2, COMMITMENT, "committed", t)
    move(model, down, EXPANSION, "commitment_decay", t)

    if p["dissolution"]:
        if kernels.ENABLED:
            lapsed = kernels._lapsed(L.stage, L.since, t, int(p["awareness_lapse"]))
        else:
            lapsed = np.flatnonzero((L.stage == AWARENESS) & (t - L.since >= p["awareness_lapse"]))
        dissolve(model, lapsed, "lapsed", t)


def _better_alternative(model, tr: np.ndarray, u_review: np.ndarray) -> np.ndarray:
    """Rows whose buyer, reviewing, finds another known supplier better by more than the switching cost.

    Committed buyers have stopped searching; exploration and expansion rows are reviewed
    with the buyer's ``review_rate``. Exporters the buyer only knows of (awareness) are
    judged on their calculus trust.
    """
    p, L, ex, by = model.p, model.ledger, model.exporters, model.buyers
    reviewing = (L.stage[tr] < COMMITMENT) & (u_review < by.review_rate[L.buyer[tr]])
    out = np.zeros(tr.size, dtype=bool)
    rv = tr[reviewing]
    if rv.size == 0:
        return out
    # only the buyers who review this tick compare their suppliers
    looking = np.zeros(by.n, dtype=bool)
    looking[L.buyer[rv]] = True
    live = np.flatnonzero((L.stage != DISSOLVED) & looking[L.buyer])
    b, e = L.buyer[live], L.exporter[live]
    trust = np.where(L.stage[live] == AWARENESS, p["calculus_trust"], L.trust[live])
    a = dynamics.attractiveness(
        ex.quality[e], model.relative_price[e], by.price_sensitivity[b], trust, L.commitment[live]
    )
    a = np.where(ex.active[e], a, -np.inf)
    best_other, _ = group_second_max(b, a, by.n)
    pos = np.searchsorted(live, rv)
    gain = best_other[pos] - a[pos]
    out[reviewing] = gain > L.switching_cost[rv] + p["switch_margin"]
    return out


def lose_key_accounts(model, t: int) -> None:
    """Every active exporter loses its largest customer (by cumulative revenue)."""
    L = model.ledger
    tr = np.flatnonzero((L.stage > AWARENESS) & (L.stage < DISSOLVED))
    if tr.size == 0:
        return
    order = np.lexsort((-L.revenue[tr], L.exporter[tr]))
    e_sorted = L.exporter[tr][order]
    first = np.r_[True, e_sorted[1:] != e_sorted[:-1]]
    dissolve(model, tr[order][first], "key_account_loss", t)


def move(model, rows: np.ndarray, to: int, cause: str, t: int) -> None:
    """Move ``rows`` to stage ``to`` and log the transition."""
    if rows.size == 0:
        return
    L = model.ledger
    if kernels.ENABLED:  # the same writes in one compiled pass
        model.recorder.events(t, rows, kernels._move_stage(rows, L.stage, L.since, L.peak, to, t), to, CAUSES.index(cause))
        return
    model.recorder.events(t, rows, L.stage[rows].copy(), to, CAUSES.index(cause))
    L.stage[rows] = to
    L.since[rows] = t
    L.peak[rows] = np.maximum(L.peak[rows], to)


def dissolve(model, rows: np.ndarray, cause: str, t: int) -> None:
    """Dissolve ``rows`` with ``cause``: absorbing for the row; the pair cools down."""
    if rows.size == 0:
        return
    L = model.ledger
    if kernels.ENABLED:  # the same writes in one compiled pass
        code = CAUSES.index(cause)
        frm, was_trading = kernels._dissolve_rows(rows, L.stage, L.since, L.ended, L.cause, L.communication, L.order, t, code)
        model.now.dissolved_trading += int(was_trading)
        model.recorder.events(t, rows, frm, DISSOLVED, code)
        return
    was_trading = (L.stage[rows] > AWARENESS).sum()
    model.now.dissolved_trading += int(was_trading)
    model.recorder.events(t, rows, L.stage[rows].copy(), DISSOLVED, CAUSES.index(cause))
    L.stage[rows] = DISSOLVED
    L.since[rows] = t
    L.ended[rows] = t
    L.cause[rows] = CAUSES.index(cause)
    L.communication[rows] = 0.0
    L.order[rows] = 0.0
