"""Order-free sums: totals that do not depend on the order in which rows are added.

Floating-point addition is not associative, so a per-exporter total added up in row order changes in
its last bits when the rows are ordered differently (after a compaction, a sort, or across threads),
and those bits can tip a threshold later. Every sum of the engine is therefore exact: its addends are
first rounded to a common power-of-two grid ``q`` fine enough for float64 (``grid``), and sums of
multiples of ``q`` that stay below ``2^53 q`` are exact in float64, in any order. The rounding moves
an addend by at most ``q / 2``, about ``2^-53`` of the largest possible total: far below the float32
in which relationships are stored.
"""

from __future__ import annotations

import math

import numpy as np

from .jit import equation, kernel


@equation
def grid(bound, count):
    """The grid of a sum of ``count`` addends of magnitude at most ``bound``: ``q = 2^(e - 52)`` with
    ``bound * count < 2^e`` (0 when every addend is 0; NaN propagates through ``on_grid``)."""
    total = bound * count
    if not total > 0.0:
        return 0.0
    return math.ldexp(1.0, max(math.frexp(total)[1] - 52, -1000))  # a normal number: 1 / q is exact


@equation
def on_grid(x, q):
    """``x`` rounded to the nearest multiple of the grid ``q`` (``x`` itself when ``q`` is 0)."""
    if q == 0.0:
        return x
    return np.floor(x * (1.0 / q) + 0.5) * q  # q is a power of two: 1 / q is exact (and hoisted out of loops)


@kernel
def total(x):
    """The exact, order-free sum of ``x`` (float64)."""
    bound = 0.0
    for k in range(x.size):
        bound = max(bound, abs(np.float64(x[k])))
    q = grid(bound, x.size)
    s = 0.0
    for k in range(x.size):
        s += on_grid(np.float64(x[k]), q)
    return s


def mean(x: np.ndarray) -> float:
    """The order-free mean of ``x`` (NaN when empty)."""
    return float(total(x) / x.size) if x.size else float("nan")


@kernel
def group_total(group, x, n_groups):
    """Order-free per-group sums: ``out[g] = sum(x[group == g])``."""
    bound = 0.0
    for k in range(x.size):
        bound = max(bound, abs(np.float64(x[k])))
    q = grid(bound, x.size)
    out = np.zeros(n_groups)
    for k in range(x.size):
        out[group[k]] += on_grid(np.float64(x[k]), q)
    return out
