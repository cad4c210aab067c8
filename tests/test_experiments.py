"""Runs, seeds, run_once outcomes, comparisons and sweeps through the Python API."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim import experiments as X
from sim import results as R
from sim.scenarios import load_scenario

ROOT = Path(__file__).resolve().parent.parent
CLASSROOM = ROOT / "scenarios" / "classroom.yaml"
SMALL = dict(n_exporters=6, n_buyers=100, ticks=60)


# ---- seeds -------------------------------------------------------------------------
def test_run_seed_depends_on_scenario_seed_point_and_replication_only():
    s = X.run_seed(5, {"choice.beta": 2.0}, 3)
    assert s == X.run_seed(5, {"choice.beta": 2.0}, 3)  # stable
    assert isinstance(s, int) and 0 <= s < 2**63
    others = {X.run_seed(6, {"choice.beta": 2.0}, 3), X.run_seed(5, {"choice.beta": 4.0}, 3),
              X.run_seed(5, {"choice.beta": 2.0}, 4), X.run_seed(5, {}, 3)}
    assert s not in others and len(others) == 4
    # key order of the point does not matter
    assert X.run_seed(1, {"a.b": 1, "c.d": 2}, 0) == X.run_seed(1, {"c.d": 2, "a.b": 1}, 0)


def test_plan_gives_every_policy_the_same_seeds():
    sc = load_scenario(CLASSROOM, ["sweep.grid.choice.beta=[1, 4]"])
    specs = X.plan(sc, sweep=True)
    assert len(specs) == 2 * len(sc.policies) * sc.replications
    by = {}
    for s in specs:
        by.setdefault((s.point, s.replication), {})[s.policy] = s.seed
    assert all(set(v) == set(sc.policies) and len(set(v.values())) == 1 for v in by.values())
    assert len({next(iter(v.values())) for v in by.values()}) == len(by)  # distinct across runs
    assert {s.params["beta"] for s in specs} == {1.0, 4.0}
    assert all(s.params["ticks"] == sc.ticks for s in specs)
    assert len({s.hash for s in specs}) == len(specs)


# ---- run_once ----------------------------------------------------------------------
def test_run_once_is_deterministic_picklable_and_seed_sensitive():
    f = pickle.loads(pickle.dumps(X.run_once))
    a = f(SMALL, 3)
    b = X.run_once(dict(SMALL), 3)
    c = X.run_once(SMALL, 4)
    assert a == b
    assert a != c
    from sim.outcomes import SHOCK_OUTCOMES

    assert set(X.OUTCOMES) - set(SHOCK_OUTCOMES) == set(a)  # no shock in SMALL: no before/after outcomes
    shocked = X.run_once({**SMALL, "shock_tick": 5}, 3)
    assert set(X.OUTCOMES) == set(shocked) and shocked["revenue_before_shock"] > 0


def test_run_once_outcomes_agree_with_the_model_tables():
    params = {**SMALL, "policy": "key_accounts"}
    out = X.run_once(params, 8)
    m = X.simulate(params, 8)
    ts, rel = m.timeseries, m.relationships
    assert out["dissolutions"] == ts["dissolutions_trading"].sum()
    assert out["profit"] == pytest.approx(ts["profit"].sum())
    assert out["profit"] == pytest.approx(m.exporter_table["profit"].sum(), rel=1e-6)
    assert out["n_commitment"] == ts["n_commitment"].iloc[-1] == (rel["stage"] == "commitment").sum()
    trading = rel[rel["peak"].astype(str) != "awareness"]
    assert out["trading_relationships"] == len(trading)
    assert out["clv"] == pytest.approx(trading["clv"].mean(), rel=1e-6)
    assert 0 <= out["retention_rate"] <= 1 and 0 < out["mean_duration"] <= SMALL["ticks"]


def test_outcomes_move_the_right_way():
    base = X.run_once({**SMALL, "ticks": 80}, 1)
    # no dissolution rule and no exporter exits (exits end relationships even without the rule)
    none = X.run_once({**SMALL, "ticks": 80, "dissolution": False, "exit_rate": 0.0, "exit_patience": 10_000}, 1)
    assert none["dissolutions"] == 0 and none["retention_rate"] == 1.0
    assert base["dissolutions"] > 0 and base["retention_rate"] < 1.0
    # opportunistic exporters lose more relationships to trust breakdown, same seed, all else fixed
    honest = X.run_once({**SMALL, "ticks": 80, "opportunism_mean": 0.0, "opportunism_sd": 0.0}, 1)
    cheat = X.run_once({**SMALL, "ticks": 80, "opportunism_mean": 0.5, "opportunism_sd": 0.0}, 1)
    assert cheat["retention_rate"] < honest["retention_rate"]
    assert cheat["mean_trust"] < honest["mean_trust"]


def test_execute_run_files_are_identical_for_the_same_params_and_seed(tmp_path):
    params = {**SMALL, "policy": "uniform"}
    h1, o1 = X.execute_run(params, 21, str(tmp_path / "a"))
    h2, o2 = X.execute_run(params, 21, str(tmp_path / "b"))
    assert h1 == h2 and o1 == o2
    for t in R.TABLES:
        a = (tmp_path / "a" / "runs" / h1 / f"{t}.parquet").read_bytes()
        b = (tmp_path / "b" / "runs" / h2 / f"{t}.parquet").read_bytes()
        assert a == b, t


# ---- experiments ---------------------------------------------------------------------------
def test_compare_api_crn_and_table(tmp_path):
    sc = load_scenario(CLASSROOM, ["replications=2", "ticks=30"])
    res = X.compare(sc, out=tmp_path / "c", figures=False, command=["test"])
    assert isinstance(res.table, pd.DataFrame)
    s = res.summary
    seeds = s.pivot(index="replication", columns="policy", values="seed")
    assert (seeds.nunique(axis=1) == 1).all()
    first = sc.policies[0]
    t = res.table[res.table["outcome"] == "profit"].set_index("policy")
    piv = s.pivot(index="replication", columns="policy", values="profit")
    assert t.loc[sc.policies[1], "diff"] == pytest.approx((piv[sc.policies[1]] - piv[first]).mean())
    assert res.manifest["status"] == "complete" and res.manifest["command"] == ["test"]
    assert set(res.timeseries["policy"]) == set(sc.policies)


def test_interrupted_experiment_marks_manifest_and_resume_finishes(tmp_path, monkeypatch):
    sc = load_scenario(CLASSROOM, ["replications=2", "ticks=20", "sweep.grid.choice.beta=[1, 2]"])
    real = X.execute_run
    calls = []

    def flaky(params, seed, root):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(seed)
        return real(params, seed, root)

    monkeypatch.setattr(X, "execute_run", flaky)
    out = tmp_path / "s"
    with pytest.raises(KeyboardInterrupt):
        X.sweep(sc, out=out, figures=False)
    m = R.read_manifest(out)
    assert m["status"] == "interrupted"
    assert sum(r["status"] == "done" for r in m["runs"]) == 3
    assert not (out / "summary.csv").exists()  # nothing combined that would look complete
    with pytest.raises(R.ResultsExistError):
        X.sweep(sc, out=out, figures=False)  # neither --resume nor --force
    monkeypatch.setattr(X, "execute_run", real)
    res = X.sweep(sc, out=out, resume=True, figures=False)
    st = [r["status"] for r in res.manifest["runs"]]
    assert st.count("resumed") == 3 and st.count("done") == len(st) - 3
    assert len(res.summary) == len(st) and res.manifest["status"] == "complete"
    other = load_scenario(CLASSROOM, ["replications=2", "ticks=21", "sweep.grid.choice.beta=[1, 2]"])
    with pytest.raises(R.ResultsExistError):
        X.sweep(other, out=out, resume=True, figures=False)  # a different scenario is not resumed into


def test_any_concurrent_futures_executor_plugs_in(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    sc = load_scenario(CLASSROOM, ["replications=2", "ticks=20", "policy=uniform"])
    with ThreadPoolExecutor(2) as ex:
        a = X.run(sc, out=tmp_path / "a", executor=ex, figures=False)
    b = X.run(sc, out=tmp_path / "b", figures=False)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    pd.testing.assert_frame_equal(a.summary, b.summary)


def test_local_process_pool_gives_the_same_files_as_one_process(tmp_path):
    sc = load_scenario(CLASSROOM, ["replications=2", "ticks=20", "sweep.grid.choice.beta=[1, 3]", "policy=uniform"])
    a = X.sweep(sc, out=tmp_path / "one", workers=1, figures=False)
    b = X.sweep(sc, out=tmp_path / "two", workers=2, figures=False)  # ProcessPoolExecutor, forkserver/spawn
    ha = sorted(p.name for p in (a.path / "runs").iterdir())
    assert ha == sorted(p.name for p in (b.path / "runs").iterdir()) and len(ha) == 4
    for t in R.TABLES:
        assert (a.path / f"{t}.parquet").read_bytes() == (b.path / f"{t}.parquet").read_bytes(), t
    assert (a.path / "summary.csv").read_bytes() == (b.path / "summary.csv").read_bytes()
