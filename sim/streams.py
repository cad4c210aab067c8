"""The run's seed, and the generator of what is drawn once, at construction.

Mesa's ``rng`` argument (None, an int, a SeedSequence or a Generator) becomes one
``numpy.random.SeedSequence``. The traits of exporters and buyers and the relationships that exist before
tick 1 are drawn at construction from its first child (``population_generator``): they depend on the
seed alone, never on the policy or any other mechanism. Everything drawn during the run is an
order-free draw (``sim.draws``).
"""

from __future__ import annotations

import numpy as np


def seed_sequence(rng) -> np.random.SeedSequence:
    """Turn Mesa's ``rng`` argument (None, int, SeedSequence or Generator) into a SeedSequence."""
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator):
        return np.random.SeedSequence(int(rng.integers(2**63)))
    if rng is None:
        return np.random.SeedSequence()
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"rng={rng!r} is not allowed: expected a non-negative integer seed")
        return np.random.SeedSequence(int(rng))
    raise ValueError(
        f"rng={rng!r} is not allowed: expected None, a non-negative int, a SeedSequence or a Generator"
    )


def population_generator(seq: np.random.SeedSequence) -> np.random.Generator:
    """The generator of the draws made at construction: the first child of ``seq`` (what the population
    stream has always been)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, 0),
                                                                      pool_size=seq.pool_size)))


def draw_seed(rng) -> int:
    """The run's seed as the order-free draws use it (``sim.draws.stream_key``): the first 64-bit word of the
    run's SeedSequence (``seed_sequence(rng)``)."""
    seq = rng if isinstance(rng, np.random.SeedSequence) else seed_sequence(rng)
    return int(seq.generate_state(1, np.uint64)[0])
