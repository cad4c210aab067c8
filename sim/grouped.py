"""Grouped array operations: sums, maxima and choices within groups of rows.

Relationships are rows; a group is every row of one buyer (or one exporter).
These are the only primitives the engine needs to act "per buyer" or "per
exporter" without a Python loop.
"""

from __future__ import annotations

import numpy as np


def group_sum(group: np.ndarray, values: np.ndarray | None, n: int) -> np.ndarray:
    """``out[g] = sum(values[group == g])`` (float64), or counts when ``values`` is None."""
    return np.bincount(group, weights=values, minlength=n)[:n]


def group_max(group: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """``out[g] = max(values[group == g])``; ``-inf`` for empty groups."""
    out = np.full(n, -np.inf, dtype=np.float64)
    np.maximum.at(out, group, values)
    return out


def group_softmax(group: np.ndarray, x: np.ndarray, n: int) -> np.ndarray:
    """Softmax of ``x`` within each group: ``exp(x_i - m_g) / sum_j exp(x_j - m_g)``."""
    m = group_max(group, x, n)
    e = np.exp(x - m[group])
    return e / group_sum(group, e, n)[group]


def group_gumbel_choice(group: np.ndarray, x: np.ndarray, n: int, gumbel: np.ndarray) -> np.ndarray:
    """Pick one row per group with probability ``softmax(x)`` (Gumbel-max trick).

    ``gumbel`` holds one standard Gumbel draw per row. Returns a boolean mask,
    True on the chosen row of each non-empty group.
    """
    key = x + gumbel
    best = group_max(group, key, n)
    chosen = key == best[group]
    # exact ties are measure-zero; keep only the first chosen row per group
    if chosen.sum() != np.count_nonzero(np.isfinite(best)):
        idx = np.flatnonzero(chosen)
        _, first = np.unique(group[idx], return_index=True)
        chosen[:] = False
        chosen[idx[first]] = True
    return chosen


def group_second_max(group: np.ndarray, values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per group, the largest value and the largest value among the *other* rows.

    Returns ``(best_other, is_best)`` per row: for each row, the maximum of its
    group excluding itself (``-inf`` if it is alone), and whether it holds the max.
    """
    m1 = group_max(group, values, n)
    is_best = values == m1[group]
    # number of rows attaining the max in each group
    n_best = group_sum(group, is_best.astype(np.float64), n)
    rest = np.where(is_best, -np.inf, values)
    m2 = group_max(group, rest, n)
    other = np.where(is_best & (n_best[group] < 2), m2[group], m1[group])
    return other, is_best
