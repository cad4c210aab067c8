"""Order-free random numbers: every draw is a pure function of what it is about.

A draw is ``uniform(key, subject, index)`` with ``key = stream_key(seed, mechanism, tick)``: the run's
seed, the mechanism (``MECHANISMS``), the tick, the agent or relationship the draw concerns and the
number of the draw. Nothing is consumed from a stream, so a draw does not depend on how many numbers
were drawn before it, on the order of the ledger's rows, on compaction, on threads, or on what a
retention policy did to other relationships: the same relationship gets the same numbers under every
policy (common random numbers at the relationship level).

A relationship is named by its pair and the tick the pair met (``relationship_subject``): a pair that
meets again after a dissolution is a new relationship with numbers of its own.

The generator is a keyed 64-bit mix (SplitMix64's finaliser, Steele, Lea & Flood 2014, applied twice,
to ``key ^ subject`` and then to that ``^ index``): a bijection of 64-bit words at each step, which
passes BigCrush as a counter-based generator. ``uniform`` returns the top 53 bits as a float in [0, 1).
It is written twice, once as plain Python on integers and once for numba on ``uint64``, because the two
do not share integer semantics; ``tests/test_draws.py`` checks they agree bit for bit.
"""

from __future__ import annotations

import math

import numpy as np
from numba.extending import overload

from .jit import equation

#: the mechanisms that draw; a mechanism's code is its index (append new ones at the end)
MECHANISMS = (
    "demand",  # buyers' demand noise (two uniforms per buyer and tick: Box-Muller)
    "fair",  # prospects met at trade fairs (per exporter, per contact)
    "media_count",  # how many prospects media reach (per exporter)
    "media",  # which prospects media reach (per exporter, per prospect)
    "matching",  # whether a buyer short of suppliers is matched (draw 0), and with whom (draw 1)
    "referral",  # whether a committed relationship refers (draw 0), and to whom (draw 1)
    "trial",  # trial orders of aware buyers (per relationship)
    "choice",  # the reinforcement rule's supplier choice (per relationship: a Gumbel draw)
    "fulfilment",  # opportunistic acts and their detection (per relationship)
    "review",  # buyers reviewing their alternatives (per relationship)
    "exit",  # exporters' exogenous exit (per exporter)
    "policy",  # what a retention policy draws (a numpy Generator per tick, see policy_generator)
    "assignment",  # which exporters run which policy in a policy mix (one rank per exporter, tick 0)
    "imitation",  # whom an exporter compares itself with (draw 0) and whether it copies (draw 1), per exporter
)
(DEMAND, FAIR, MEDIA_COUNT, MEDIA, MATCHING, REFERRAL, TRIAL, CHOICE, FULFILMENT, REVIEW, EXIT,
 POLICY, ASSIGNMENT, IMITATION) = range(len(MECHANISMS))

M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_C1, _C2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
_TO_UNIT = 2.0 ** -53


def _mix(z: int) -> int:
    z = (z + _GOLDEN) & M64
    z = ((z ^ (z >> 30)) * _C1) & M64
    z = ((z ^ (z >> 27)) * _C2) & M64
    return z ^ (z >> 31)


def uniform(key, subject, index):
    """A uniform number in [0, 1) that depends only on ``(key, subject, index)``.

    ``u = (mix(mix(key ^ subject) ^ index) >> 11) 2^-53`` with SplitMix64's finaliser ``mix``.
    """
    h = _mix(_mix((int(key) ^ int(subject)) & M64) ^ (int(index) & M64))
    return (h >> 11) * _TO_UNIT


@overload(uniform, inline="always")
def _uniform_compiled(key, subject, index):
    def impl(key, subject, index):  # the same on uint64 words
        z = np.uint64(np.uint64(key) ^ np.uint64(subject)) + np.uint64(_GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(_C1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(_C2)
        z = z ^ (z >> np.uint64(31))
        z = (z ^ np.uint64(index)) + np.uint64(_GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(_C1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(_C2)
        z = z ^ (z >> np.uint64(31))
        return np.float64(z >> np.uint64(11)) * _TO_UNIT

    return impl


def stream_key(seed: int, mechanism: int, tick: int) -> np.uint64:
    """The key of one mechanism's draws in one tick: ``mix(mix(mix(seed) ^ mechanism) ^ tick)``."""
    return np.uint64(_mix(_mix(_mix(int(seed) & M64) ^ mechanism) ^ (int(tick) & M64)))


def policy_generator(seed: int, tick: int, group: int = 0) -> np.random.Generator:
    """The numpy Generator a retention policy may draw from in a tick (``PolicyView.rng``): seeded by
    ``(seed, POLICY, tick)`` and, in a policy mix, the policy's place in the mix (``group`` > 0), so that it
    depends on nothing else the model did."""
    entropy = [int(seed) & M64, POLICY, int(tick)] + ([int(group)] if group else [])
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


@equation
def relationship_subject(exporter, buyer, born, n_buyers):
    """A relationship's name in the draws: its pair key ``exporter * n_buyers + buyer`` and the tick it
    began, ``pair * 2^20 + born`` (wrapping in 64 bits; distinct for every pair that met before tick 2^20)."""
    return (np.int64(exporter) * np.int64(n_buyers) + np.int64(buyer)) * np.int64(1 << 20) + np.int64(born)


@equation
def normal(u1, u2):
    """A standard normal number from two uniforms (Box-Muller): ``sqrt(-2 ln(1 - u1)) cos(2 pi u2)``."""
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)


@equation
def gumbel(u):
    """A standard Gumbel number from a uniform: ``-ln(-ln(u))`` (u = 0 gives -inf, never chosen)."""
    return -math.log(-math.log(u)) if u > 0.0 else -math.inf


@equation
def poisson(key, subject, mean):
    """A Poisson number with the given mean: the inverse of its distribution function at the uniform
    ``(key, subject, 0)`` (for means above 30: the normal approximation from draws 0 and 1, rounded and
    floored at 0)."""
    if mean <= 0.0:
        return 0
    if mean > 30.0:
        z = normal(uniform(key, subject, 0), uniform(key, subject, 1))
        return max(0, int(math.floor(mean + math.sqrt(mean) * z + 0.5)))
    u = uniform(key, subject, 0)
    p = math.exp(-mean)
    cdf = p
    k = 0
    while u >= cdf and k < 1000:
        k += 1
        p *= mean / k
        cdf += p
    return k
