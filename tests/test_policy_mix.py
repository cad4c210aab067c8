"""Exporters running different retention policies in one market (``MarketModel(policy_mix=...)``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.policies import assign_policies, mix_counts

SMALL = dict(n_exporters=8, n_buyers=300, initial_relationships=2.0)


def _tables(model):
    return {name: getattr(model, name) for name in ("timeseries", "events", "relationships")}


def test_a_mix_of_one_policy_is_that_policy():
    """``policy_mix={"key_accounts": 1}`` and one name per exporter give exactly the tables of
    ``policy="key_accounts"``."""
    runs = [sim.MarketModel(rng=3, policy="key_accounts", **SMALL),
            sim.MarketModel(rng=3, policy_mix={"key_accounts": 1.0}, **SMALL),
            sim.MarketModel(rng=3, policy_mix=["key_accounts"] * SMALL["n_exporters"], **SMALL)]
    for m in runs:
        m.run_for(30)
    base = _tables(runs[0])
    assert len(base["events"]) > 200
    for m in runs[1:]:
        for name, table in _tables(m).items():
            pd.testing.assert_frame_equal(table, base[name])


def test_counts_follow_the_shares():
    assert mix_counts([0.25, 0.75], 20).tolist() == [5, 15]
    assert mix_counts([1 / 3, 1 / 3, 1 / 3], 10).tolist() == [4, 3, 3]  # ties: the first listed
    assert mix_counts([0.5, 0.5], 3).tolist() == [2, 1]
    assert mix_counts([0.0, 1.0], 7).tolist() == [0, 7]


def test_the_focal_exporters_depend_on_the_seed_alone():
    """The exporters given the first policy of a mix are the same whatever the policies are (a tournament's
    focal exporters, on common random numbers), and change with the seed."""
    a = assign_policies({"key_accounts": 0.25, "uniform": 0.75}, "uniform", 40, seed=11)
    b = assign_policies({"at_risk": 0.25, "new_customers_first": 0.75}, "uniform", 40, seed=11)
    c = assign_policies({"key_accounts": 0.25, "uniform": 0.75}, "uniform", 40, seed=12)
    assert a.names == ("key_accounts", "uniform")
    assert np.count_nonzero(a.code == 0) == 10
    assert np.array_equal(a.code, b.code)
    assert not np.array_equal(a.code, c.code)


def test_each_exporter_gets_its_own_policys_effects():
    """A customer database makes perceived satisfaction follow the truth (``S^ <- (S^ + S) / 2``): in a
    mixed market, the database exporters' estimates are closer to their customers' true satisfaction than
    the other exporters'."""
    m = sim.MarketModel(rng=5, policy_mix={"customer_database": 0.5, "uniform": 0.5}, **SMALL)
    m.run_for(40)
    L, ex = m.ledger, m.exporters
    assert ex.database.sum() == 4 and ex.fit_bonus[ex.database].min() > 0 and ex.fit_bonus[~ex.database].max() == 0
    trading = (L.stage > 0) & (L.stage < 4)
    gap = np.abs(L.perceived - L.satisfaction)
    db = ex.database[L.exporter]
    assert np.count_nonzero(trading & db) > 50 and np.count_nonzero(trading & ~db) > 50
    assert gap[trading & db].mean() < 0.6 * gap[trading & ~db].mean()


def test_tables_carry_each_exporters_policy():
    mix = {"key_accounts": 0.25, "uniform": 0.75}
    m = sim.MarketModel(rng=9, policy_mix=mix, **SMALL)
    m.run_for(5)
    table = m.exporter_table
    assert table["exporter_policy"].astype(str).value_counts().to_dict() == {"uniform": 6, "key_accounts": 2}
    assert [p.name for p in m.policies] == ["key_accounts", "uniform"]
    with pytest.raises(AttributeError, match="mixes retention policies"):
        m.policy  # noqa: B018


@pytest.mark.parametrize("mix, message", [
    ({"key_acounts": 1.0}, "policy_mix='key_acounts' is not allowed (did you mean 'key_accounts'?)"),
    ({"uniform": 0.5, "at_risk": 0.6}, "policy_mix shares sum to 1.1: expected shares that sum to 1"),
    ({"uniform": -0.5, "at_risk": 1.5}, "policy_mix.uniform=-0.5 is not allowed: expected a share in [0, 1]"),
    ({}, "policy_mix={} is not allowed"),
    (["uniform"] * 3, "policy_mix has 3 names: expected one policy name per exporter (8)"),
    ("uniform", "policy_mix='uniform' is not allowed: expected a mapping"),
])
def test_bad_mixes_name_the_field(mix, message):
    with pytest.raises(ValueError) as err:
        sim.MarketModel(rng=1, policy_mix=mix, **SMALL)
    assert message in str(err.value)
