"""The Weisbuch-Kirman-Herreiner (2000) loyalty threshold with two sellers.

Pure reinforcement: every buyer knows both sellers from the start, visits one
per tick by logit on its preferences J, is always served (ample capacity and
stock, no opportunism, no exits, no dissolution) and updates
``J <- (1 - gamma) J + profit`` for the seller visited. The mean-field theory
says buyers stay undecided (order parameter y = 1/2) below
``beta_c = 2 gamma / profit`` and turn loyal (y -> 1) above it.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim

WKH = dict(
    n_exporters=2,
    n_buyers=200,
    choice_rule="reinforcement",
    initial_awareness="all",
    dissolution=False,
    capacity_ratio=10.0,
    safety_stock=5.0,
    opportunism_mean=0.0,
    opportunism_sd=0.0,
    exit_rate=0.0,
)
TICKS = 300


def wkh_run(beta, gamma=0.05, profit=1.0, seed=0):
    model = sim.MarketModel(rng=seed, beta=beta, gamma=gamma, profit=profit, **WKH)
    model.run_for(TICKS)
    return model


def loyalty(model, last=100):
    return float(model.timeseries["loyalty_y"].iloc[-last:].mean())


def beta_c(gamma, profit):
    return 2 * gamma / profit


@pytest.mark.parametrize("gamma, profit", [(0.05, 1.0), (0.1, 2.0)])
def test_threshold(gamma, profit):
    bc = beta_c(gamma, profit)
    below = [loyalty(wkh_run(f * bc, gamma, profit)) for f in (0.2, 0.5)]
    above = [loyalty(wkh_run(f * bc, gamma, profit)) for f in (2.0, 5.0)]
    for y in below:
        assert abs(y - 0.5) < 0.06, below
    assert above[0] > 0.85 and above[1] > 0.97, above
    assert below[0] <= below[1] + 0.01 and below[1] < above[0] < above[1] + 1e-9


def test_threshold_moves_with_gamma():
    """At one beta, a buyer forgets fast (beta < beta_c) or slowly (beta > beta_c)."""
    beta = 0.1
    forgetful, retentive = wkh_run(beta, gamma=0.1), wkh_run(beta, gamma=0.02)
    assert beta <= 0.5 * beta_c(0.1, 1.0) and beta > 2 * beta_c(0.02, 1.0)
    assert abs(loyalty(forgetful) - 0.5) < 0.06
    assert loyalty(retentive) > 0.85


def test_pure_wkh_setting_is_reached():
    """Every visit is served, nothing dissolves, and total preference tends to profit / gamma."""
    gamma, profit = 0.05, 1.0
    model = wkh_run(5 * beta_c(gamma, profit), gamma, profit)
    ts = model.timeseries
    assert (ts["fill_rate"] == 1.0).all()
    assert ts["n_dissolved"].iloc[-1] == 0
    assert (ts["n_exploration"] + ts["n_expansion"] + ts["n_commitment"] == 2 * WKH["n_buyers"]).all()
    L = model.ledger
    total_j = np.bincount(L.buyer, weights=L.preference.astype(np.float64), minlength=WKH["n_buyers"])
    expected = profit / gamma * (1 - (1 - gamma) ** TICKS)
    np.testing.assert_allclose(total_j, expected, rtol=1e-4)
    # each buyer visits exactly one seller per tick
    orders = model.relationships.groupby("buyer")["n_orders"].sum()
    assert (orders == TICKS).all()
