"""Awareness: how buyers come to know exporters (trade fairs, media, matching, referrals).

New pairs enter the ledger at the awareness stage. Candidates are drawn per
channel (never by scanning all exporter x buyer pairs), deduplicated, and
dropped if the pair is live or still cooling down after a dissolution.
"""

from __future__ import annotations

import numpy as np

from . import dynamics as eq
from .jit import kernel
from .vocab import (AWARENESS, COMMITMENT, DISSOLVED, EXPLORATION, INITIAL, INITIAL_AWARENESS, MATCHING, MEDIA,
                    PROSPECT_TARGETING, REFERRAL, TRADE_FAIR, TRIAL)

U = np.uintp


def prospect_weights(model) -> np.ndarray | None:
    """Cumulative sampling weights of buyers as prospects, or None for uniform."""
    how, by = PROSPECT_TARGETING[model.P.prospect_targeting], model.buyers
    if how == "random":
        return None
    w = by.size.astype(np.float64) if how == "size" else np.where(by.partnership, 3.0, 1.0) * (0.5 + by.importance)
    cum = np.cumsum(w)
    return cum / cum[-1]


def draw_prospects(model, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` buyers drawn as prospects according to ``prospect_targeting``."""
    if model.prospect_cdf is None:
        return rng.integers(model.buyers.n, size=n)
    return np.minimum(np.searchsorted(model.prospect_cdf, rng.random(n)), model.buyers.n - 1)


def meet(model, t: int) -> None:
    """Create this tick's new awareness relationships from every channel."""
    P, L, rng = model.P, model.ledger, model.streams["awareness"]
    active = np.flatnonzero(model.exporters.active)
    if active.size == 0:
        return
    parts = []
    # trade fairs: on tick 1 and every fair_every ticks, each exporter meets fair_contacts prospects
    if (t - 1) % P.fair_every == 0 and P.fair_contacts > 0:
        e = np.repeat(active, P.fair_contacts)
        parts.append((e, draw_prospects(model, e.size, rng), TRADE_FAIR))
    # media and marketing: a Poisson number of prospects per exporter
    k = rng.poisson(P.media_reach, active.size)
    e = np.repeat(active, k)
    parts.append((e, draw_prospects(model, e.size, rng), MEDIA))
    # buyer matching: buyers short of suppliers are introduced to a random exporter
    u = rng.random(model.buyers.n)
    b, committed = _sweep(L.stage, L.buyer, model.buyers.wanted, u, P.matching_rate)
    parts.append((active[rng.integers(active.size, size=b.size)], b, MATCHING))
    # referrals: committed buyers recommend their exporter to another buyer
    u = rng.random(committed.size)
    e = _referrers(committed, u, P.referral_rate, L.exporter)
    parts.append((e, rng.integers(model.buyers.n, size=e.size), REFERRAL))
    introduce(model, parts, t)


@kernel
def _sweep(stage, buyer, wanted, u, matching_rate):
    """The buyers matched (fewer live relationships than wanted and ``u`` below the matching rate, ascending)
    and the committed rows (who may refer)."""
    n_buyers = wanted.size
    known = np.zeros(n_buyers, np.int64)
    n = stage.size
    committed = np.empty(n + 1, np.int32)
    m = 0
    for i in range(n):
        st = stage[i]
        known[U(buyer[i])] += st != DISSOLVED
        committed[m] = i
        m += st == COMMITMENT
    matched = np.empty(n_buyers + 1, np.int64)
    k = 0
    for b in range(n_buyers):
        matched[k] = b
        k += (known[b] < wanted[b]) & (u[b] < matching_rate)
    return matched[:k].copy(), committed[:m].copy()


@kernel
def _referrers(committed, u, referral_rate, exporter):
    """Exporters of the committed rows whose ``u`` is below the referral rate, in row order."""
    out = np.empty(committed.size + 1, exporter.dtype)
    m = 0
    for k in range(committed.size):
        out[m] = exporter[U(committed[k])]
        m += u[k] < referral_rate
    return out[:m].copy()


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


def seed_initial(model) -> None:
    """Relationships that exist before tick 1: ``initial_relationships`` per buyer, or all pairs."""
    P, rng = model.P, model.streams["population"]
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
        guess = np.float32(size[b] / np.float32(wanted[b]))
        level[i] = guess
        forecast[i] = guess
        for w in range(hist.shape[1]):
            hist[i, w] = guess
