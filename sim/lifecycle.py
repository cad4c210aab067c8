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
from .jit import equation, kernel
from .threads import run_chunks
from .vocab import (AWARENESS, BETTER_ALTERNATIVE, COMMITMENT, COMMITMENT_DECAY, COMMITTED, DISSOLVED, EXPANSION,
                    EXPLORATION, EXPORTER_EXIT, KEY_ACCOUNT_LOSS, LAPSED, TRUST_BUILT)

U = np.uintp


class Trials(NamedTuple):
    """What ``try_out`` leaves: how many trial orders were placed, the trading rows of the tick (after the
    trials; no stage changes until ``advance``) and the trading rows per buyer."""

    started: int
    rows: np.ndarray
    n_trading: np.ndarray
    won: np.ndarray  # per exporter: customers won (trial orders placed with it)


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
def _trading_chunk(lo, hi, stage, buyer, n_buyers):
    out = np.empty(hi - lo + 1, np.int32)
    per_buyer = np.zeros(n_buyers, np.int64)
    m = 0
    for i in range(lo, hi):
        st = stage[i]
        trading = (st > AWARENESS) & (st < DISSOLVED)
        out[m] = i
        m += trading
        per_buyer[U(buyer[i])] += trading
    return out[:m].copy(), per_buyer


def _trading_rows(stage, buyer, n_buyers):
    """The trading rows (exploration to commitment) and their count per buyer."""
    parts = run_chunks(_trading_chunk, stage.size, stage, buyer, n_buyers)
    return np.concatenate([p[0] for p in parts]), np.add.reduce([p[1] for p in parts])


def try_out(model, t: int, contacts: Contacts) -> Trials:
    """Aware buyers short of suppliers place trial orders (awareness -> exploration)."""
    L, by, ex = model.ledger, model.buyers, model.exporters
    aw = contacts.prospects
    rows = _pick_trials(aw, model.stream_key(draws.TRIAL, t), L.exporter, L.buyer, L.born, by.wanted, contacts.n_trading, contacts.n_committed,
                        contacts.n_aware, ex.quality, model.relative_price, by.price_sensitivity, L.communication,
                        model.P)
    start_trading(model, rows, t)
    trading, per_buyer = _trading_rows(L.stage, L.buyer, by.n)
    return Trials(int(rows.size), trading, per_buyer, np.bincount(L.exporter[rows], minlength=ex.n))


# ---------------------------------------------------------------------------------------------
# advance
# ---------------------------------------------------------------------------------------------
@equation
def _attract_row(i, stage, buyer, exporter, trust, commitment, quality, rel_price, price_sens, active, P):
    """Row ``i``'s values for dynamics.alternative_attractiveness (inlined: no call per row)."""
    e, b = U(exporter[i]), U(buyer[i])
    return eq.alternative_attractiveness(quality[e], rel_price[e], np.float64(price_sens[b]), np.float64(trust[i]),
                                         np.float64(commitment[i]), stage[i] == AWARENESS, active[e], P)


@kernel
def _endings_and_moves(lo, hi, tr, key, P, stage, trust, commitment, n_orders, low_sat, review_rate, buyer, exporter,
                       born, cause, to, reviewing):
    """Trading rows ``tr[lo:hi]``: the cause of ending (dynamics.ending; 0 if none), the stage each would move to
    (dynamics.stage_move), and whether its buyer reviews it this tick (exploration and expansion rows that
    end no other way: ``u < review_rate``); returns the buyers who look around."""
    looking = np.zeros(review_rate.size, np.bool_)
    for k in range(lo, hi):
        i = U(tr[k])
        st = stage[i]
        c = eq.ending(np.float64(trust[i]), low_sat[i], P)
        cause[k] = c
        to[k] = eq.stage_move(st, np.float64(trust[i]), np.float64(commitment[i]), n_orders[i], P)
        u = draws.uniform(key, draws.relationship_subject(exporter[i], buyer[i], born[i], review_rate.size), 0)
        if c == 0 and P.dissolution and st < COMMITMENT and u < review_rate[U(buyer[i])]:
            reviewing[k] = True
            looking[U(buyer[i])] = True
    return looking


@kernel
def _best_two(lo, hi, looking, P, stage, trust, commitment, buyer, exporter, quality, rel_price, price_sens, active):
    """Rows ``lo:hi``: per looking buyer, the largest attractiveness of its live suppliers, how many rows have
    it, and the largest below it."""
    n_buyers = looking.size
    m1 = np.full(n_buyers, -np.inf)
    m2 = np.full(n_buyers, -np.inf)
    n_best = np.zeros(n_buyers, np.int64)
    for i in range(lo, hi):
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
    return m1, m2, n_best


@kernel
def _merge_best_two(m1, m2, n_best, o1, o2, o_best):
    """Fold another chunk's (largest, count, second largest) per buyer into the first (in place)."""
    for b in range(m1.size):
        if o1[b] > m1[b]:
            m2[b] = max(m1[b], o2[b])
            m1[b] = o1[b]
            n_best[b] = o_best[b]
        elif o1[b] == m1[b]:
            n_best[b] += o_best[b]
            m2[b] = max(m2[b], o2[b])
        else:
            m2[b] = max(m2[b], o1[b])


@kernel
def _switchers(lo, hi, tr, reviewing, cause, m1, m2, n_best, P, stage, trust, commitment, buyer, exporter, switching,
               quality, rel_price, price_sens, active):
    """Reviewing rows ``tr[lo:hi]`` whose buyer knows a supplier better by more than the switching cost
    (dynamics.switches) end for a better alternative."""
    for k in range(lo, hi):
        if reviewing[k]:
            i = U(tr[k])
            b = U(buyer[i])
            a = _attract_row(i, stage, buyer, exporter, trust, commitment, quality, rel_price, price_sens, active, P)
            other = m2[b] if (a == m1[b] and n_best[b] < 2) else m1[b]
            if eq.switches(a, other, np.float64(switching[i]), P):
                cause[k] = BETTER_ALTERNATIVE
    return 0


def _stage_moves(tr, key, P, stage, trust, commitment, n_orders, low_sat, review_rate, buyer, exporter, born,
                 switching, quality, rel_price, price_sens, active):
    """For the trading rows ``tr``: each row's cause of ending (0 if none) and the stage it moves to.

    Trust breakdown and dissatisfaction come first (dynamics.ending); a row that ends no other way and whose
    buyer reviews its suppliers this tick leaves if another known supplier beats this one by more than the
    switching cost (dynamics.switches); an ending overrides a stage move (dynamics.stage_move).
    """
    cause = np.zeros(tr.size, np.int8)
    to = np.empty(tr.size, np.int8)
    reviewing = np.zeros(tr.size, np.bool_)
    looking = np.logical_or.reduce(run_chunks(_endings_and_moves, tr.size, tr, key, P, stage, trust, commitment,
                                              n_orders, low_sat, review_rate, buyer, exporter, born, cause, to,
                                              reviewing))
    if reviewing.any():
        parts = run_chunks(_best_two, stage.size, looking, P, stage, trust, commitment, buyer, exporter, quality,
                           rel_price, price_sens, active)
        m1, m2, n_best = parts[0]
        for other in parts[1:]:
            _merge_best_two(m1, m2, n_best, *other)
        run_chunks(_switchers, tr.size, tr, reviewing, cause, m1, m2, n_best, P, stage, trust, commitment, buyer,
                   exporter, switching, quality, rel_price, price_sens, active)
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
    grouped, start = _group_outcomes(rows, cause, to, L.stage)
    for code in range(1, len(start) - 1):  # endings by cause code, then row
        if code < NOTHING:
            dissolved += dissolve(model, grouped[start[code]:start[code + 1]], code, t)
    for code, (stage, reason) in MOVES.items():
        move(model, grouped[start[code]:start[code + 1]], stage, reason, t)
    if P.dissolution:
        dissolve(model, _lapsed(L.stage, L.since, t, P), LAPSED, t)
    return Changes(int(trading.size), dissolved)


#: outcome codes of a trading row in a tick: its cause of ending (< NOTHING), none, or a stage move
NOTHING, TRUST_UP, COMMIT_UP, DECAY_DOWN = 16, 17, 18, 19
MOVES = {TRUST_UP: (EXPANSION, TRUST_BUILT), COMMIT_UP: (COMMITMENT, COMMITTED), DECAY_DOWN: (EXPANSION, COMMITMENT_DECAY)}


@kernel
def _group_outcomes(rows, cause, to, stage):
    """The rows grouped by outcome (a stable counting sort): ``grouped[start[c]:start[c + 1]]`` are the rows
    with outcome ``c`` (a cause of ending, NOTHING, or a move: TRUST_UP, COMMIT_UP, DECAY_DOWN), in row order."""
    code = np.empty(rows.size, np.int64)
    start = np.zeros(DECAY_DOWN + 2, np.int64)
    for k in range(rows.size):
        st, nxt = stage[U(rows[k])], to[k]
        c = np.int64(cause[k])
        if c == 0:
            c = NOTHING
            if st == EXPLORATION and nxt == EXPANSION:
                c = TRUST_UP
            elif st == EXPANSION and nxt == COMMITMENT:
                c = COMMIT_UP
            elif st == COMMITMENT and nxt == EXPANSION:
                c = DECAY_DOWN
        code[k] = c
        start[c + 1] += 1
    for c in range(DECAY_DOWN + 1):
        start[c + 1] += start[c]
    grouped = np.empty(rows.size, rows.dtype)
    at = start[:-1].copy()
    for k in range(rows.size):
        grouped[at[code[k]]] = rows[k]
        at[code[k]] += 1
    return grouped, start


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
