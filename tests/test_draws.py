"""The order-free random numbers (sim/draws.py): one generator, the same bits compiled and in plain Python,
uniform, and independent across keys, subjects and draw numbers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim import draws
from sim.jit import kernel


@kernel
def _uniforms(key, subjects, indices):
    out = np.empty(subjects.size)
    for k in range(subjects.size):
        out[k] = draws.uniform(key, subjects[k], indices[k])
    return out


@kernel
def _poissons(key, n, mean):
    out = np.empty(n, np.int64)
    for k in range(n):
        out[k] = draws.poisson(key, k, mean)
    return out


def test_compiled_and_plain_python_give_the_same_bits():
    g = np.random.default_rng(0)
    subjects = np.concatenate([g.integers(0, 2**62, 3000), np.arange(1000), -g.integers(1, 2**40, 100)])
    indices = g.integers(0, 2**40, subjects.size)
    key = draws.stream_key(12345, draws.TRIAL, 77)
    compiled = _uniforms(key, subjects, indices)
    plain = np.array([draws.uniform(key, int(s), int(i)) for s, i in zip(subjects, indices)])
    assert np.array_equal(compiled, plain)
    assert np.all((compiled >= 0) & (compiled < 1))


def test_uniform_and_independent():
    key = draws.stream_key(1, draws.FULFILMENT, 3)
    n = 200_000
    u = _uniforms(key, np.arange(n), np.zeros(n, np.int64))
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    v = _uniforms(key, np.arange(n), np.ones(n, np.int64))  # the next draw of the same subjects
    w = _uniforms(draws.stream_key(1, draws.FULFILMENT, 4), np.arange(n), np.zeros(n, np.int64))  # next tick
    x = _uniforms(draws.stream_key(2, draws.FULFILMENT, 3), np.arange(n), np.zeros(n, np.int64))  # other seed
    for other in (v, w, x):
        assert abs(np.corrcoef(u, other)[0, 1]) < 0.01
        assert not np.array_equal(u, other)
    # neighbouring subjects are not correlated either (lag-1)
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.01


def test_keys_differ_by_every_argument():
    keys = {int(draws.stream_key(s, m, t)) for s in range(3) for m in range(len(draws.MECHANISMS)) for t in range(50)}
    assert len(keys) == 3 * len(draws.MECHANISMS) * 50


@pytest.mark.parametrize("mean", [0.5, 3.0, 45.0])
def test_poisson_has_its_mean_and_variance(mean):
    x = _poissons(draws.stream_key(9, draws.MEDIA_COUNT, 1), 100_000, mean)
    assert x.mean() == pytest.approx(mean, rel=0.02)
    assert x.var() == pytest.approx(mean, rel=0.05)
    assert x.min() >= 0


def test_normal_and_gumbel_have_their_moments():
    key = draws.stream_key(4, draws.DEMAND, 2)
    n = 200_000
    u1 = _uniforms(key, np.arange(n), np.zeros(n, np.int64))
    u2 = _uniforms(key, np.arange(n), np.ones(n, np.int64))
    z = np.array([draws.normal(a, b) for a, b in zip(u1[:50_000], u2[:50_000])])
    assert abs(z.mean()) < 0.02 and z.std() == pytest.approx(1.0, abs=0.02)
    g = np.array([draws.gumbel(a) for a in u1[:50_000]])
    assert g.mean() == pytest.approx(np.euler_gamma, abs=0.03)
