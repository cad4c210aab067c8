"""Awareness: how buyers come to know exporters (trade fairs, media, matching, referrals).

New pairs enter the ledger at the awareness stage. Candidates are drawn per
channel (never by scanning all exporter x buyer pairs), deduplicated, and
dropped if the pair is live or still cooling down after a dissolution.
"""

from __future__ import annotations

import numpy as np

from . import draws
from . import dynamics as eq
from .jit import kernel
from .vocab import (AWARENESS, COMMITMENT, DISSOLVED, EXPLORATION, INITIAL, INITIAL_AWARENESS, MATCHING, MEDIA,
                    PROSPECT_TARGETING, REFERRAL, TRADE_FAIR, TRIAL)

U = np.uintp


def prospect_weights(model) -> np.ndarray:
    """Cumulative sampling weights of buyers as prospects (normalised to end at 1), or empty for uniform."""
    how, by = PROSPECT_TARGETING[model.P.prospect_targeting], model.buyers
    if how == "random":
        return np.zeros(0)
    w = by.size.astype(np.float64) if how == "size" else np.where(by.partnership, 3.0, 1.0) * (0.5 + by.importance)
    cum = np.cumsum(w)
    return cum / cum[-1]


def meet(model, t: int) -> None:
    """Create this tick's new awareness relationships from every channel.

    Every candidate is drawn from the draws of the exporter, buyer or relationship it comes from (sim.draws),
    and the candidates are listed in an order that depends on nothing but them (by channel, then exporter or
    buyer), so that which pairs meet, and the ids they get, do not depend on the order of the ledger's rows.
    """
    P, L = model.P, model.ledger
    active = np.flatnonzero(model.exporters.active)
    if active.size == 0:
        return
    B = model.buyers.n
    cdf = model.prospect_cdf
    parts = []
    # trade fairs: on tick 1 and every fair_every ticks, each exporter meets fair_contacts prospects
    if (t - 1) % P.fair_every == 0 and P.fair_contacts > 0:
        counts = np.full(active.size, P.fair_contacts, np.int64)
        parts.append((*_prospects(active, counts, model.stream_key(draws.FAIR, t), cdf, B), TRADE_FAIR))
    # media and marketing: a Poisson number of prospects per exporter
    counts = _media_counts(active, model.stream_key(draws.MEDIA_COUNT, t), P.media_reach)
    parts.append((*_prospects(active, counts, model.stream_key(draws.MEDIA, t), cdf, B), MEDIA))
    # buyer matching: buyers short of suppliers are introduced to a random exporter;
    # referrals: committed buyers recommend their exporter to another buyer
    matched_e, matched_b, referred_e, referred_b = _match_and_refer(
        L.stage, L.buyer, L.exporter, L.born, model.buyers.wanted, active, model.stream_key(draws.MATCHING, t),
        model.stream_key(draws.REFERRAL, t), P.matching_rate, P.referral_rate)
    parts.append((matched_e, matched_b, MATCHING))
    order = np.lexsort((referred_b, referred_e))  # by exporter, then buyer: not by row
    parts.append((referred_e[order], referred_b[order], REFERRAL))
    introduce(model, parts, t)


@kernel
def _media_counts(active, key, mean):
    out = np.empty(active.size, np.int64)
    for k in range(active.size):
        out[k] = draws.poisson(key, active[k], mean)
    return out


@kernel
def _prospects(active, counts, key, cdf, n_buyers):
    """``counts[k]`` prospects of exporter ``active[k]``: its draw c gives buyer ``floor(u B)``, or the buyer
    whose interval of the cumulative weights ``cdf`` of prospect targeting holds u (``cdf`` empty: uniform)."""
    n = 0
    for k in range(counts.size):
        n += counts[k]
    e_out = np.empty(n, np.int64)
    b_out = np.empty(n, np.int64)
    m = 0
    for k in range(active.size):
        e = active[k]
        for c in range(counts[k]):
            u = draws.uniform(key, e, c)
            if cdf.size:
                b = min(np.searchsorted(cdf, u, side="right"), n_buyers - 1)
            else:
                b = min(int(u * n_buyers), n_buyers - 1)
            e_out[m] = e
            b_out[m] = b
            m += 1
    return e_out, b_out


@kernel
def _match_and_refer(stage, buyer, exporter, born, wanted, active, key_match, key_refer, matching_rate, referral_rate):
    """Matching: each buyer with fewer live relationships than it wants is matched with chance ``matching_rate``
    (its draw 0) to an active exporter (its draw 1), in buyer order. Referrals: each committed relationship
    refers its exporter with chance ``referral_rate`` (its draw 0) to a buyer (its draw 1)."""
    n_buyers = wanted.size
    known = np.zeros(n_buyers, np.int64)
    n = stage.size
    ref_e = np.empty(n + 1, np.int64)
    ref_b = np.empty(n + 1, np.int64)
    m = 0
    for i in range(n):
        st = stage[i]
        known[U(buyer[i])] += st != DISSOLVED
        if st == COMMITMENT:
            subject = draws.relationship_subject(exporter[i], buyer[i], born[i], n_buyers)
            if draws.uniform(key_refer, subject, 0) < referral_rate:
                ref_e[m] = exporter[i]
                ref_b[m] = min(int(draws.uniform(key_refer, subject, 1) * n_buyers), n_buyers - 1)
                m += 1
    match_e = np.empty(n_buyers, np.int64)
    match_b = np.empty(n_buyers, np.int64)
    k = 0
    for b in range(n_buyers):
        if known[b] < wanted[b] and draws.uniform(key_match, b, 0) < matching_rate:
            match_e[k] = active[min(int(draws.uniform(key_match, b, 1) * active.size), active.size - 1)]
            match_b[k] = b
            k += 1
    return match_e[:k].copy(), match_b[:k].copy(), ref_e[:m].copy(), ref_b[:m].copy()


def introduce(model, parts, t: int) -> np.ndarray:
    """Add the distinct, unblocked pairs of ``parts`` [(exporters, buyers, channel code)] as awareness rows."""
    L = model.ledger
    e = np.concatenate([x[0] for x in parts]).astype(np.int64)
    b = np.concatenate([x[1] for x in parts]).astype(np.int64)
    cause = np.concatenate([np.full(len(x[0]), x[2], dtype=np.int8) for x in parts])
    if e.size == 0:
        return np.zeros(0, dtype=np.int64)
    pos, rows = L.admit(e, b, t, model.P.cooldown)
    _first_impressions(rows, model.exporters.values, model.buyers.values, L.exporter, L.buyer, L.shared_values,
                       L.preference, model.P)
    model.recorder.events(t, rows, -1, AWARENESS, cause[pos])
    return rows


@kernel
def _first_impressions(rows, v_exporter, v_buyer, exporter, buyer, shared, preference, P):
    """New rows: shared values (dynamics.shared_values) and the initial preference J."""
    for k in range(rows.size):
        i = U(rows[k])
        shared[i] = np.float32(eq.shared_values(v_exporter[U(exporter[i])], v_buyer[U(buyer[i])]))
        preference[i] = np.float32(P.initial_preference)


def seed_initial(model, rng: np.random.Generator) -> None:
    """Relationships that exist before tick 1: ``initial_relationships`` per buyer, or all pairs (drawn with
    the construction's generator ``rng``)."""
    P = model.P
    E, B = model.exporters.n, model.buyers.n
    cause = INITIAL
    if INITIAL_AWARENESS[P.initial_awareness] == "all":
        e = np.repeat(np.arange(E), B)
        b = np.tile(np.arange(B), E)
        rows = introduce(model, [(e, b, cause)], 0)
        start_trading(model, rows, 0)
        if P.initial_loyal > 0:
            # one randomly chosen seller per buyer starts with extra preference
            fav = rng.integers(E, size=B)
            L = model.ledger
            loyal = rows[L.exporter[rows] == fav[L.buyer[rows]]]
            L.preference[loyal] += P.initial_loyal
        return
    k = P.initial_relationships
    if k <= 0:
        return
    per_buyer = np.floor(k).astype(int) + (rng.random(B) < k - np.floor(k))
    b = np.repeat(np.arange(B), per_buyer)
    e = rng.integers(E, size=b.size)
    introduce(model, [(e, b, cause)], 0)


def start_trading(model, rows: np.ndarray, t: int) -> None:
    """Move awareness rows to exploration (a trial order): initial trust, expectations, forecast."""
    L, by = model.ledger, model.buyers
    _start_trading(rows, t, model.P, L.buyer, L.stage, L.peak, L.since, L.trust_calculus, L.trust_knowledge,
                   L.trust_identification, L.trust, L.outcome, L.expectation, L.satisfaction, L.perceived, L.level,
                   L.forecast, L.hist, by.size, by.wanted)
    model.recorder.events(t, rows, AWARENESS, EXPLORATION, TRIAL)


@kernel
def _start_trading(rows, t, P, buyer, stage, peak, since, tc, tk, ti, trust, outcome, expectation, satisfaction,
                   perceived, level, forecast, hist, size, wanted):
    """A trial order: exploration, calculus trust only, expectations at the market's mean quality, and a first
    forecast of the buyer's size over the suppliers it wants."""
    for k in range(rows.size):
        i = U(rows[k])
        b = U(buyer[i])
        stage[i] = EXPLORATION
        peak[i] = EXPLORATION
        since[i] = t
        tc[i] = P.calculus_trust
        tk[i] = 0.0
        ti[i] = 0.0
        trust[i] = P.calculus_trust
        outcome[i] = P.quality_mean
        expectation[i] = P.quality_mean
        satisfaction[i] = 0.0
        perceived[i] = 0.0
        guess = eq.first_forecast(size[b], wanted[b])
        level[i] = guess
        forecast[i] = guess
        for w in range(hist.shape[1]):
            hist[i, w] = guess
