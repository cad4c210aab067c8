"""Order-free sums (sim/sums.py): exact in any order, and as close to the true sum as float64 allows."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import sums


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 5000), spread=st.floats(0, 30))
def test_total_is_the_same_in_any_order_and_near_the_exact_sum(seed, n, spread):
    g = np.random.default_rng(seed)
    x = g.standard_normal(n) * np.exp(g.uniform(-spread, spread, n))
    a = sums.total(x)
    assert a == sums.total(x[g.permutation(n)]) == sums.total(x[::-1])
    exact = math.fsum(x.tolist())
    # each addend moves by at most half the grid: 2^-53 of the bound times the count
    assert abs(a - exact) <= np.abs(x).max() * n * n * 2.0**-52


def test_group_totals_are_order_free_and_right():
    g = np.random.default_rng(1)
    x = g.lognormal(0, 2, 100_000)
    group = g.integers(0, 37, x.size)
    a = sums.group_total(group, x, 37)
    p = g.permutation(x.size)
    assert np.array_equal(a, sums.group_total(group[p], x[p], 37))
    np.testing.assert_allclose(a, np.bincount(group, x, 37), rtol=1e-9)


def test_edge_cases():
    assert sums.total(np.zeros(0)) == 0.0
    assert sums.total(np.zeros(5)) == 0.0
    assert math.isnan(sums.total(np.array([1.0, np.nan, 2.0])))
    assert math.isnan(sums.mean(np.zeros(0)))
    assert sums.mean(np.array([0.25, 0.75], np.float32)) == 0.5


@pytest.mark.parametrize("bound,count", [(1.0, 1), (1.0, 10**6), (3e5, 7), (1e-30, 3)])
def test_the_grid_keeps_partial_sums_exact(bound, count):
    q = sums.grid(bound, count)
    assert bound * count < 2**53 * q  # every partial sum of grid multiples is an exact float64
    assert q <= bound * count * 2.0**-51  # and the grid is as fine as that allows
