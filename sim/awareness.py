"""Awareness: how buyers come to know exporters (trade fairs, media, matching, referrals).

New pairs enter the ledger at the awareness stage. Candidates are drawn per
channel (never by scanning all exporter x buyer pairs), deduplicated, and
dropped if the pair is live or still cooling down after a dissolution.
"""

from __future__ import annotations

import numpy as np

from . import dynamics, kernels
from .grouped import group_sum
from .ledger import AWARENESS, COMMITMENT, DISSOLVED, EXPLORATION
from .parameters import CAUSES

# awareness channels are recorded as the event cause of the awareness event
CHANNEL_CAUSES = ("trade_fair", "media", "matching", "referral", "initial")


def prospect_weights(model) -> np.ndarray | None:
    """Cumulative sampling weights of buyers as prospects, or None for uniform."""
    how, by = model.p["prospect_targeting"], model.buyers
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
    p, L, rng = model.p, model.ledger, model.streams["awareness"]
    active = np.flatnonzero(model.exporters.active)
    if active.size == 0:
        return
    parts = []
    # trade fairs: on tick 1 and every fair_every ticks, each exporter meets fair_contacts prospects
    if (t - 1) % p["fair_every"] == 0 and p["fair_contacts"] > 0:
        e = np.repeat(active, p["fair_contacts"])
        parts.append((e, draw_prospects(model, e.size, rng), "trade_fair"))
    # media and marketing: a Poisson number of prospects per exporter
    k = rng.poisson(p["media_reach"], active.size)
    e = np.repeat(active, k)
    parts.append((e, draw_prospects(model, e.size, rng), "media"))
    # buyer matching: buyers short of suppliers are introduced to a random exporter
    u = rng.random(model.buyers.n)
    if kernels.ENABLED:  # one sweep of the ledger: the buyers matched and the committed rows
        b, cm = kernels._meet_rows(L.stage, L.buyer, model.buyers.wanted, u, float(p["matching_rate"]))
    else:
        live = L.stage != DISSOLVED
        known = group_sum(L.buyer[live], None, model.buyers.n)
        cm = np.flatnonzero(L.stage == COMMITMENT)
        b = np.flatnonzero((known < model.buyers.wanted) & (u < p["matching_rate"]))
    parts.append((active[rng.integers(active.size, size=b.size)], b, "matching"))
    # referrals: committed buyers recommend their exporter to another buyer
    u = rng.random(cm.size)
    e = kernels._referrers(cm, u, float(p["referral_rate"]), L.exporter) if kernels.ENABLED else \
        L.exporter[cm[u < p["referral_rate"]]]
    parts.append((e, rng.integers(model.buyers.n, size=e.size), "referral"))
    introduce(model, parts, t)


def introduce(model, parts, t: int) -> np.ndarray:
    """Add the distinct, unblocked pairs of ``parts`` [(exporters, buyers, channel)] as awareness rows."""
    L = model.ledger
    e = np.concatenate([x[0] for x in parts]).astype(np.int64)
    b = np.concatenate([x[1] for x in parts]).astype(np.int64)
    cause = np.concatenate([np.full(len(x[0]), CAUSES.index(x[2]), dtype=np.int8) for x in parts])
    if e.size == 0:
        return np.zeros(0, dtype=np.int64)
    pos, rows = L.admit(e, b, t, model.p["cooldown"])
    e, b, cause = e[pos], b[pos], cause[pos]
    L.shared_values[rows] = dynamics.shared_values(model.exporters.values[e], model.buyers.values[b])
    L.preference[rows] = model.p["initial_preference"]
    model.recorder.events(t, rows, -1, AWARENESS, cause)
    return rows


def seed_initial(model) -> None:
    """Relationships that exist before tick 1: ``initial_relationships`` per buyer, or all pairs."""
    p, rng = model.p, model.streams["population"]
    E, B = model.exporters.n, model.buyers.n
    cause = "initial"
    if p["initial_awareness"] == "all":
        e = np.repeat(np.arange(E), B)
        b = np.tile(np.arange(B), E)
        rows = introduce(model, [(e, b, cause)], 0)
        start_trading(model, rows, 0)
        if p["initial_loyal"] > 0:
            # one randomly chosen seller per buyer starts with extra preference
            fav = rng.integers(E, size=B)
            L = model.ledger
            loyal = rows[L.exporter[rows] == fav[L.buyer[rows]]]
            L.preference[loyal] += p["initial_loyal"]
        return
    k = p["initial_relationships"]
    if k <= 0:
        return
    per_buyer = np.floor(k).astype(int) + (rng.random(B) < k - np.floor(k))
    b = np.repeat(np.arange(B), per_buyer)
    e = rng.integers(E, size=b.size)
    introduce(model, [(e, b, cause)], 0)


def start_trading(model, rows: np.ndarray, t: int) -> None:
    """Move awareness rows to exploration (a trial order): initial trust, expectations, forecast."""
    p, L, by = model.p, model.ledger, model.buyers
    if kernels.ENABLED and L.hist.shape[1] == 0:  # the same writes in one compiled pass
        kernels._start_trading(rows, L.buyer, L.stage, L.peak, L.since, L.trust_calculus, L.trust_knowledge,
                               L.trust_identification, L.trust, L.outcome, L.expectation, L.satisfaction,
                               L.perceived, L.level, L.forecast, by.size, by.wanted, t, float(p["calculus_trust"]),
                               float(model.expected_value))
        model.recorder.events(t, rows, AWARENESS, EXPLORATION, CAUSES.index("trial"))
        return
    b = L.buyer[rows]
    L.stage[rows] = EXPLORATION
    L.peak[rows] = EXPLORATION
    L.since[rows] = t
    L.trust_calculus[rows] = p["calculus_trust"]
    L.trust_knowledge[rows] = 0.0
    L.trust_identification[rows] = 0.0
    L.trust[rows] = p["calculus_trust"]
    prior = model.expected_value
    L.outcome[rows] = prior
    L.expectation[rows] = prior
    L.satisfaction[rows] = 0.0
    L.perceived[rows] = 0.0
    guess = by.size[b] / by.wanted[b]
    L.level[rows] = guess
    L.forecast[rows] = guess
    L.hist[rows] = guess[:, None]
    model.recorder.events(t, rows, AWARENESS, EXPLORATION, CAUSES.index("trial"))
