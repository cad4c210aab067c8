"""The relationship lifecycle (Dwyer, Schurr & Oh 1987): trial orders, stage moves and dissolution.

awareness -> exploration   a trial order: the aware buyer needs suppliers (dynamics.trial_probability)
exploration -> expansion   trust built after enough orders           (dynamics.stage_move)
expansion -> commitment    commitment and trust high enough
commitment -> expansion    commitment decayed (never straight to dissolution)
any -> dissolved           trust breakdown, dissatisfaction (dynamics.ending), a better alternative
                           net of switching cost (dynamics.switches), the exporter's exit
                           (dynamics.exits), loss of a key account, or (awareness only) lapse.
                           Dissolution is absorbing for the row; the pair may meet again after
                           ``cooldown`` ticks, as a new row.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import draws
from . import dynamics as eq
from .awareness import start_trading
from .communication import Contacts
from .jit import kernel
from .vocab import (AWARENESS, BETTER_ALTERNATIVE, COMMITMENT, COMMITMENT_DECAY, COMMITTED, DISSOLVED, EXPANSION,
                    EXPLORATION, EXPORTER_EXIT, KEY_ACCOUNT_LOSS, LAPSED, TRUST_BUILT)

U = np.uintp


class Trials(NamedTuple):
    """What ``try_out`` leaves: how many trial orders were placed, the trading rows of the tick (after the
    trials; no stage changes until ``advance``) and the trading rows per buyer."""

    started: int
    rows: np.ndarray
    n_trading: np.ndarray


class Changes(NamedTuple):
    """What ``advance`` did: trading rows at its start, and how many of them it dissolved."""

    trading_at_start: int
    dissolved_trading: int


# ---------------------------------------------------------------------------------------------
# try_out
# ---------------------------------------------------------------------------------------------
@kernel
def _pick_trials(aw, key, exporter, buyer, born, wanted, n_trading, n_committed, n_aware, quality, rel_price,
                 price_sens, comm, P):
    out = np.empty(aw.size + 1, np.int32)
    m = 0
    for k in range(aw.size):
        i = U(aw[k])
        b, e = U(buyer[i]), U(exporter[i])
        prob = eq.trial_probability(wanted[b], n_trading[b], n_aware[b], n_committed[b] > 0, quality[e], rel_price[e],
                                    np.float64(price_sens[b]), np.float64(comm[i]), P)
        u = draws.uniform(key, draws.relationship_subject(exporter[i], buyer[i], born[i], wanted.size), 0)
        out[m] = i
        m += u < prob
    return out[:m].copy()


@kernel
def _trading_rows(stage, buyer, n_buyers):
    """The trading rows (exploration to commitment) and their count per buyer."""
    out = np.empty(stage.size + 1, np.int32)
    per_buyer = np.zeros(n_buyers, np.int64)
    m = 0
    for i in range(stage.size):
        st = stage[i]
        trading = (st > AWARENESS) & (st < DISSOLVED)
        out[m] = i
        m += trading
        per_buyer[U(buyer[i])] += trading
    return out[:m], per_buyer


def try_out(model, t: int, contacts: Contacts) -> Trials:
    """Aware buyers short of suppliers place trial orders (awareness -> exploration)."""
    L, by, ex = model.ledger, model.buyers, model.exporters
    aw = contacts.prospects
    rows = _pick_trials(aw, model.stream_key(draws.TRIAL, t), L.exporter, L.buyer, L.born, by.wanted, contacts.n_trading, contacts.n_committed,
                        contacts.n_aware, ex.quality, model.relative_price, by.price_sensitivity, L.communication,
                        model.P)
    start_trading(model, rows, t)
    trading, per_buyer = _trading_rows(L.stage, L.buyer, by.n)
    return Trials(int(rows.size), trading, per_buyer)


# ---------------------------------------------------------------------------------------------
# advance
# ---------------------------------------------------------------------------------------------
@kernel
def _attract_row(i, stage, buyer, exporter, trust, commitment, quality, rel_price, price_sens, active, P):
    """A buyer's view of one of its suppliers (dynamics.attractiveness); an exporter it only knows of is judged
    on calculus trust; -inf once it has left."""
    e, b = U(exporter[i]), U(buyer[i])
    if not active[e]:
        return -np.inf
    tr_ = P.calculus_trust if stage[i] == AWARENESS else np.float64(trust[i])
    return eq.attractiveness(quality[e], rel_price[e], np.float64(price_sens[b]), tr_, np.float64(commitment[i]))


@kernel
def _stage_moves(tr, key, P, stage, trust, commitment, n_orders, low_sat, review_rate, buyer, exporter, born,
                 switching, quality, rel_price, price_sens, active):
    """For the trading rows ``tr``: each row's cause of ending (0 if none) and the stage it moves to.

    Trust breakdown and dissatisfaction come first (dynamics.ending); a row that ends no other way and whose
    buyer reviews its suppliers this tick (exploration and expansion: ``u < review_rate``) leaves if another
    known supplier beats this one by more than the switching cost (dynamics.switches); an ending overrides a
    stage move (dynamics.stage_move).
    """
    n = tr.size
    cause = np.zeros(n, np.int8)
    to = np.empty(n, np.int8)
    reviewing = np.zeros(n, np.bool_)
    n_buyers = review_rate.size
    looking = np.zeros(n_buyers, np.bool_)
    for k in range(n):
        i = U(tr[k])
        st = stage[i]
        c = eq.ending(np.float64(trust[i]), low_sat[i], P)
        cause[k] = c
        to[k] = eq.stage_move(st, np.float64(trust[i]), np.float64(commitment[i]), n_orders[i], P)
        u = draws.uniform(key, draws.relationship_subject(exporter[i], buyer[i], born[i], review_rate.size), 0)
        if c == 0 and P.dissolution and st < COMMITMENT and u < review_rate[U(buyer[i])]:
            reviewing[k] = True
            looking[U(buyer[i])] = True
    # the largest and second-largest attractiveness of every looking buyer's live suppliers
    m1 = np.full(n_buyers, -np.inf)
    m2 = np.full(n_buyers, -np.inf)
    n_best = np.zeros(n_buyers, np.int64)
    for i in range(stage.size):
        b = U(buyer[i])
        if not looking[b] or stage[i] == DISSOLVED:
            continue
        a = _attract_row(i, stage, buyer, exporter, trust, commitment, quality, rel_price, price_sens, active, P)
        if a > m1[b]:
            m2[b] = m1[b]
            m1[b] = a
            n_best[b] = 1
        elif a == m1[b]:
            n_best[b] += 1
        elif a > m2[b]:
            m2[b] = a
    for k in range(n):
        if reviewing[k]:
            i = U(tr[k])
            b = U(buyer[i])
            a = _attract_row(i, stage, buyer, exporter, trust, commitment, quality, rel_price, price_sens, active, P)
            other = m2[b] if (a == m1[b] and n_best[b] < 2) else m1[b]
            if eq.switches(a, other, np.float64(switching[i]), P):
                cause[k] = BETTER_ALTERNATIVE
    return cause, to


@kernel
def _move_stage(rows, stage, since, peak, to, t):
    """Stage, since and peak of ``rows``; returns their stages before the move."""
    frm = np.empty(rows.size, np.int8)
    for k in range(rows.size):
        i = U(rows[k])
        frm[k] = stage[i]
        stage[i] = to
        since[i] = t
        peak[i] = max(peak[i], to)
    return frm


@kernel
def _dissolve_rows(rows, stage, since, ended, cause, comm, order, t, code):
    """Dissolve ``rows``; returns their stages before and how many were trading."""
    frm = np.empty(rows.size, np.int8)
    n_trading = 0
    for k in range(rows.size):
        i = U(rows[k])
        frm[k] = stage[i]
        n_trading += stage[i] > AWARENESS
        stage[i] = DISSOLVED
        since[i] = t
        ended[i] = t
        cause[i] = code
        comm[i] = 0.0
        order[i] = 0.0
    return frm, n_trading


@kernel
def _lapsed(stage, since, t, P):
    """Awareness rows met ``awareness_lapse`` or more ticks ago."""
    out = np.empty(stage.size + 1, np.int32)
    m = 0
    for i in range(stage.size):
        out[m] = i
        m += (stage[i] == AWARENESS) & (t - since[i] >= P.awareness_lapse)
    return out[:m].copy()


@kernel
def _leaving(key, active, losing_ticks, P):
    out = np.zeros(active.size, np.bool_)
    for j in range(active.size):
        out[j] = active[j] and eq.exits(draws.uniform(key, j, 0), losing_ticks[j], P)
    return out


@kernel
def _live_rows_of(stage, exporter, leaving):
    out = np.empty(stage.size + 1, np.int32)
    m = 0
    for i in range(stage.size):
        out[m] = i
        m += (stage[i] != DISSOLVED) & leaving[U(exporter[i])]
    return out[:m].copy()


@kernel
def _key_accounts(stage, exporter, revenue, ids, n_exporters):
    """Each exporter's largest trading customer by cumulative revenue (the oldest relationship on a tie), ascending."""
    best = np.full(n_exporters, -1, np.int64)
    for i in range(stage.size):
        if stage[i] > AWARENESS and stage[i] < DISSOLVED:
            e = U(exporter[i])
            j = best[e]
            if j < 0 or revenue[i] > revenue[U(j)] or (revenue[i] == revenue[U(j)] and ids[i] < ids[U(j)]):
                best[e] = i
    out = best[best >= 0].astype(np.int32)
    out.sort()
    return out


def advance(model, t: int, trading: np.ndarray) -> Changes:
    """Exporter exits, the key-account shock, stage moves and dissolutions of this tick.

    ``trading``: the tick's trading rows (no stage has changed since ``try_out`` listed them).
    """
    P, L, ex = model.P, model.ledger, model.exporters
    dissolved = 0
    # exporters leave: exogenous hazard, or persistently negative profit (dynamics.exits)
    leaving = _leaving(model.stream_key(draws.EXIT, t), ex.active, ex.neg_profit_ticks, P)
    if leaving.any():
        ex.active[leaving] = False
        ex.exited_at[leaving] = t
        dissolved += dissolve(model, _live_rows_of(L.stage, L.exporter, leaving), EXPORTER_EXIT, t)
    if t == P.shock_tick:
        dissolved += dissolve(model, _key_accounts(L.stage, L.exporter, L.revenue, L.id, ex.n), KEY_ACCOUNT_LOSS, t)
    rows = trading if dissolved == 0 else _trading_rows(L.stage, L.buyer, model.buyers.n)[0]

    # stage moves and endings of trading rows
    cause, to = _stage_moves(rows, model.stream_key(draws.REVIEW, t), P, L.stage, L.trust, L.commitment, L.n_orders,
                             L.low_sat, model.buyers.review_rate, L.buyer, L.exporter, L.born, L.switching_cost, ex.quality,
                             model.relative_price, model.buyers.price_sensitivity, ex.active)
    for code in np.unique(cause[cause > 0]):  # by cause code, then row
        dissolved += dissolve(model, rows[cause == code], int(code), t)
    stays = cause == 0
    stage = L.stage[rows]
    move(model, rows[stays & (stage == EXPLORATION) & (to == EXPANSION)], EXPANSION, TRUST_BUILT, t)
    move(model, rows[stays & (stage == EXPANSION) & (to == COMMITMENT)], COMMITMENT, COMMITTED, t)
    move(model, rows[stays & (stage == COMMITMENT) & (to == EXPANSION)], EXPANSION, COMMITMENT_DECAY, t)
    if P.dissolution:
        dissolve(model, _lapsed(L.stage, L.since, t, P), LAPSED, t)
    return Changes(int(trading.size), dissolved)


def move(model, rows: np.ndarray, to: int, cause: int, t: int) -> None:
    """Move ``rows`` to stage ``to`` and log the transition with ``cause`` (a code of ``vocab.CAUSES``)."""
    if rows.size:
        L = model.ledger
        model.recorder.events(t, rows, _move_stage(rows, L.stage, L.since, L.peak, to, t), to, cause)


def dissolve(model, rows: np.ndarray, cause: int, t: int) -> int:
    """Dissolve ``rows`` with ``cause`` (absorbing for the row; the pair cools down); returns how many traded."""
    if rows.size == 0:
        return 0
    L = model.ledger
    frm, was_trading = _dissolve_rows(rows, L.stage, L.since, L.ended, L.cause, L.communication, L.order, t, cause)
    model.recorder.events(t, rows, frm, DISSOLVED, cause)
    return int(was_trading)
