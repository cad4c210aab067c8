"""Shared helpers for the engine tests: small markets, cached runs."""

from __future__ import annotations

import functools

import pytest

import sim

#: A small market: big enough for every mechanism to show, small enough to run
#: 150 ticks in a fraction of a second.
SMALL = dict(n_exporters=10, n_buyers=300)


def _key(kw: dict) -> tuple:
    return tuple(sorted(kw.items()))


@functools.lru_cache(maxsize=64)
def _cached(ticks: int, seed: int, items: tuple) -> sim.MarketModel:
    model = sim.MarketModel(rng=seed, **dict(items))
    model.run_for(ticks)
    return model


def run_model(ticks: int = 150, seed: int = 0, **params) -> sim.MarketModel:
    """A finished run of the small market with ``params`` overriding; cached, so treat it as read-only."""
    return _cached(ticks, seed, _key({**SMALL, **params}))


def run_default(ticks: int = 200, seed: int = 0) -> sim.MarketModel:
    """The default market (what ``relsim run`` runs); cached, treat as read-only."""
    return _cached(ticks, seed, ())


@pytest.fixture(scope="session")
def default_run() -> sim.MarketModel:
    return run_default()
