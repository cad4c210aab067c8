"""Sweep designs: space-filling samples of a box of parameters, seeded.

``sample_points`` draws ``n`` points within ``bounds`` by Latin hypercube,
scrambled Sobol (both ``scipy.stats.qmc``) or plain uniform sampling, from a
generator derived from the scenario seed, so a scenario file always gives the
same design.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Collection, Mapping, Sequence

import numpy as np

METHODS = ("lhs", "sobol", "random")
#: separates the design's random stream from the runs' streams (which use the seed too)
SWEEP_TAG = 0x5EE9


def unit_sample(method: str, n: int, d: int, seed: int) -> np.ndarray:
    """``n`` x ``d`` points in the unit cube [0, 1)^d."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), SWEEP_TAG]))
    if method == "lhs":
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=d, rng=rng).random(n)
    if method == "sobol":
        from scipy.stats import qmc

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # balance warning when n is not a power of 2
            return qmc.Sobol(d=d, scramble=True, rng=rng).random(n)
    if method == "random":
        return rng.random((n, d))
    raise ValueError(f"method={method!r} is not allowed: expected one of {', '.join(METHODS)}")


def sample_points(method: str, n: int, bounds: Mapping[str, Sequence[float]], seed: int,
                  integers: Collection[str] = ()) -> list[dict[str, float | int]]:
    """``n`` points, each a dict name -> value within ``bounds[name] = [low, high]``.

    Names in ``integers`` are rounded to the nearest integer inside the bounds.
    """
    names = list(bounds)
    u = unit_sample(method, n, len(names), seed)
    lo = np.array([float(bounds[k][0]) for k in names])
    hi = np.array([float(bounds[k][1]) for k in names])
    x = lo + u * (hi - lo)
    points = []
    for row in x:
        pt: dict[str, float | int] = {}
        for k, v, a, b in zip(names, row, lo, hi):
            if k in integers:
                pt[k] = int(min(max(round(float(v)), math.ceil(a)), math.floor(b)))
            else:
                pt[k] = float(min(max(float(v), a), b))
        points.append(pt)
    return points
