"""Independent random streams, one per mechanism, all spawned from one seed.

Each mechanism draws only from its own ``numpy.random.Generator``; the
generators are children of a single ``numpy.random.SeedSequence``. Changing how
many numbers one mechanism draws never shifts another mechanism's draws, which
gives common random numbers when two policies are compared on the same seed.
New streams are appended at the end of ``STREAMS`` so that existing streams keep
their numbers.
"""

from __future__ import annotations

import numpy as np

STREAMS = (
    "population",  # traits of exporters and buyers, initial relationships
    "demand",  # buyers' demand noise
    "awareness",  # trade fairs, media, matching, referrals
    "trial",  # trial orders (awareness -> exploration)
    "choice",  # which supplier a buyer orders from
    "fulfilment",  # opportunistic acts and their detection
    "lifecycle",  # reviews of alternatives
    "exit",  # exporter exit
    "policy",  # anything a retention policy draws
)


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


def make_streams(seq: np.random.SeedSequence) -> dict[str, np.random.Generator]:
    """One independent Generator per mechanism in ``STREAMS``."""
    children = seq.spawn(len(STREAMS))
    return {name: np.random.Generator(np.random.PCG64(child)) for name, child in zip(STREAMS, children)}
