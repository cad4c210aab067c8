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


# ---- imitation (sim.imitation) -------------------------------------------------------------
def test_imitation_probability_is_proportional_to_the_gap():
    from sim.dynamics import imitation_probability

    P = sim.MarketModel(rng=1, imitation_strength=0.8, **SMALL).P
    assert imitation_probability(10.0, 5.0, 20.0, P) == 0.0  # never copy a less profitable peer
    assert imitation_probability(5.0, 10.0, 20.0, P) == pytest.approx(0.8 * 5 / 20)
    assert imitation_probability(0.0, 20.0, 20.0, P) == pytest.approx(0.8)  # the largest gap: the strength
    assert imitation_probability(1.0, 1.0, 0.0, P) == 0.0


def test_without_imitation_nobody_changes_policy():
    m = sim.MarketModel(rng=2, policy_mix={"customer_database": 0.5, "uniform": 0.5}, **SMALL)
    start = m.exporters.policy.copy()
    m.run_for(40)
    assert np.array_equal(m.exporters.policy, start)
    assert m.policy_shares["tick"].unique().tolist() == [0]


def test_a_costly_policy_is_abandoned_under_imitation():
    """Direction and size: a customer database that costs 20 money per tick (about a quarter of an exporter's
    profit) is copied away from: over four seeds its share falls from 1/2 to under 1/5 on average within 150
    ticks (rounds every 10 ticks), while free of charge it drifts around 1/2 (mean above 0.3); the exporters'
    effects follow their policy."""
    kw = dict(n_exporters=20, n_buyers=500, initial_relationships=2.0, imitation_every=10, imitation_strength=1.0,
              policy_mix={"customer_database": 0.5, "uniform": 0.5}, database_cost_per_customer=0.0)
    final = {}
    for cost in (0.0, 20.0):
        ends = []
        for seed in range(4):
            m = sim.MarketModel(rng=seed, database_cost=cost, **kw)
            m.run_for(150)
            shares = m.policy_shares
            db = shares[shares["exporter_policy"] == "customer_database"].set_index("tick")["share"]
            assert db.loc[0] == 0.5 and list(db.index) == list(range(0, 151, 10))
            ends.append(db.iloc[-1])
            ex = m.exporters
            assert np.array_equal(ex.database, ex.policy == 0) and np.array_equal(ex.fit_bonus > 0, ex.policy == 0)
        final[cost] = np.mean(ends)
    assert final[20.0] < 0.2 and final[0.0] > 0.3


# ---- in scenario files -------------------------------------------------------------------------
MIX_SCENARIO = """
name: mix
ticks: 30
replications: 2
market:
  exporters: {count: 8, imitation_every: 10}
  buyers: {count: 200}
policy_mix: {customer_database: 0.5, uniform: 0.5}
"""


def test_a_scenario_runs_a_policy_mix_and_writes_policy_shares(tmp_path):
    from sim.experiments import run
    from sim.scenarios import Scenario

    import yaml

    sc = Scenario.from_dict(yaml.safe_load(MIX_SCENARIO))
    assert sc.policies == ["customer_database 50% + uniform 50%"]
    kw = sc.model_kwargs()
    assert kw["policy_mix"] == {"customer_database": 0.5, "uniform": 0.5} and kw["imitation_every"] == 10
    res = run(sc, out=tmp_path / "out", figures=True, command=["test"])
    ex = res.exporters
    counts = ex.groupby(["replication", "exporter_policy"], observed=True).size()
    assert counts.groupby("replication").sum().tolist() == [8, 8]
    shares = pd.read_parquet(tmp_path / "out" / "policy_shares.parquet")
    assert sorted(shares["tick"].unique()) == [0, 10, 20, 30]
    assert np.allclose(shares.groupby(["replication", "tick"])["share"].sum(), 1.0)
    assert (tmp_path / "out" / "figures" / "policy_shares.png").stat().st_size > 10_000


@pytest.mark.parametrize("mix, message", [
    ("{uniform: 0.5, at_risk: 0.6}", "policy_mix shares sum to 1.1"),
    ("{uniform: 0.5, atrisk: 0.5}", "policy_mix='atrisk' is not allowed (did you mean 'at_risk'?)"),
    ("[uniform, at_risk]", "policy_mix: 2 names is not allowed"),
])
def test_bad_mixes_in_a_scenario_name_the_field(tmp_path, mix, message):
    import subprocess
    import sys

    path = tmp_path / "bad.yaml"
    path.write_text(MIX_SCENARIO.replace("{customer_database: 0.5, uniform: 0.5}", mix))
    res = subprocess.run([sys.executable, "-m", "sim.cli", "run", str(path), "--out", str(tmp_path / "o")],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 2, res.stderr
    assert message in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


# ---- levers set per exporter (MarketModel.set_levers) ----------------------------------------------
def test_levers_set_before_the_first_tick_equal_a_mix():
    names = ["uniform"] * 8
    names[3] = names[5] = "customer_database"
    a = sim.MarketModel(rng=6, policy_mix=names, **SMALL)
    b = sim.MarketModel(rng=6, **SMALL)
    for e in (3, 5):
        b.set_levers(e, policy="customer_database")
    for m in (a, b):
        m.run_for(25)
    for name, table in _tables(a).items():
        pd.testing.assert_frame_equal(table, _tables(b)[name])


def test_an_exporter_that_spends_everything_on_acquisition_talks_only_to_prospects():
    m = sim.MarketModel(rng=6, **SMALL)
    m.run_for(10)
    m.set_levers(2, acquisition_share=1.0)
    L = m.ledger
    customers_before = set(L.id[(L.stage > 0) & (L.stage < 4)].tolist())  # rows that are customers when it talks
    m.run_for(1)
    mine = L.exporter == 2
    trading = (L.stage > 0) & (L.stage < 4) & np.isin(L.id, list(customers_before))
    assert np.count_nonzero(mine & trading) > 5
    assert (L.communication[mine & trading] == 0).all()  # its customers hear nothing
    assert (L.communication[~mine & trading] > 0).all()  # the other exporters' customers still do
    assert m.last_tick.contacts.retention[2] == 0 and m.last_tick.contacts.retention[1] > 0


@pytest.mark.parametrize("kw, message", [
    (dict(exporter=8, policy="uniform"), "exporter=8 is not allowed: expected an exporter id in [0, 7]"),
    (dict(exporter=0, policy="key_acounts"), "policy='key_acounts' is not allowed"),
    (dict(exporter=0, acquisition_share=1.5), "acquisition_share=1.5 is not allowed: expected a number in [0, 1]"),
])
def test_bad_levers_name_the_field(kw, message):
    m = sim.MarketModel(rng=6, **SMALL)
    with pytest.raises(ValueError) as err:
        m.set_levers(kw.pop("exporter"), **kw)
    assert message in str(err.value)
