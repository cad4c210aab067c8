"""The results folder (atomic writes, run hashes, overwrite rules, combining) and the statistics."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from sim import results as R
from sim import stats as S
from sim.experiments import execute_run


# ---- atomic writes -------------------------------------------------------------------
def test_atomic_write_interrupted_leaves_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "summary.csv"
    R.atomic_write_text(path, "old,complete\n")

    def boom(src, dst):
        raise KeyboardInterrupt  # interrupted between writing the temporary and renaming it

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        R.atomic_write_text(path, "new,but,never,renamed\n" * 1000)
    assert path.read_text() == "old,complete\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.csv"]


def test_atomic_parquet_roundtrip_and_mode(tmp_path):
    df = pd.DataFrame({"a": [1, 2, 3], "b": [0.5, np.nan, 2.0]})
    p = R.write_parquet(tmp_path / "x.parquet", df)
    pd.testing.assert_frame_equal(pd.read_parquet(p), df)
    assert p.stat().st_mode & 0o044  # readable by others like any file the user writes (not mkstemp's 0600)


# ---- run identity ---------------------------------------------------------------------
def test_run_hash_depends_on_params_seed_and_ticks_not_on_key_order():
    a = {"beta": 4.0, "n_buyers": 100}
    b = {"n_buyers": 100, "beta": 4.0}
    h = R.run_hash(a, 7, 60)
    assert h == R.run_hash(b, 7, 60) and len(h) == 16
    assert h != R.run_hash(a, 8, 60)
    assert h != R.run_hash(a, 7, 61)
    assert h != R.run_hash({**a, "beta": 4.5}, 7, 60)


# ---- the folder -------------------------------------------------------------------------
def test_existing_folder_needs_force_and_force_only_deletes_results(tmp_path):
    new = tmp_path / "new"
    R.check_writable(new)  # does not exist: fine, and nothing is created
    assert not new.exists()
    res = tmp_path / "res"
    R.prepare(res)
    R.write_manifest(res, {"kind": "run"})
    (res / "old.txt").write_text("old")
    with pytest.raises(R.ResultsExistError):
        R.check_writable(res)
    assert (res / "old.txt").read_text() == "old"
    R.prepare(res, force=True)
    assert not (res / "old.txt").exists() and (res / "runs").is_dir()
    other = tmp_path / "mydata"
    other.mkdir()
    (other / "precious.csv").write_text("x")
    with pytest.raises(R.NotResultsError):
        R.prepare(other, force=True)
    assert (other / "precious.csv").read_text() == "x"


def test_default_dir_never_reuses_a_folder(tmp_path):
    a = R.default_dir("s", tmp_path)
    a.mkdir(parents=True)
    b = R.default_dir("s", tmp_path)
    assert a != b and b.name.startswith("s-") and not b.exists()


PARAMS = dict(n_exporters=4, n_buyers=60, ticks=30)


def test_write_run_is_complete_only_with_outcomes_and_combine_tags_rows(tmp_path):
    h1, o1 = execute_run({**PARAMS, "policy": "uniform"}, 11, str(tmp_path))
    h2, o2 = execute_run({**PARAMS, "policy": "at_risk"}, 11, str(tmp_path))
    assert h1 != h2 and R.is_complete(tmp_path, h1) and R.is_complete(tmp_path, h2)
    (R.run_dir(tmp_path, h2) / R.OUTCOMES_FILE).unlink()
    assert not R.is_complete(tmp_path, h2)
    execute_run({**PARAMS, "policy": "at_risk"}, 11, str(tmp_path))
    runs = [dict(scenario="t", policy=p, point=0, replication=0, hash=h, seed=11, point_values={"choice.beta": 4.0})
            for p, h in (("uniform", h1), ("at_risk", h2))]
    out = R.combine(tmp_path, runs)
    ts = pd.read_parquet(tmp_path / "timeseries.parquet")
    assert list(ts.columns[:7]) == [*R.ID_COLUMNS, "choice.beta"]  # the swept value follows the identity columns
    for t in R.TABLES:
        assert (pd.read_parquet(tmp_path / f"{t}.parquet")["choice.beta"] == 4.0).all(), t
    assert (ts.groupby("policy")["tick"].count() == 30).all()
    assert set(ts["run"]) == {h1, h2}
    single = pd.read_parquet(R.run_dir(tmp_path, h1) / "events.parquet")
    ev = out["events"]
    assert len(ev[ev["run"] == h1]) == len(single)
    summ = pd.read_csv(tmp_path / "summary.csv")
    assert list(summ["policy"]) == ["uniform", "at_risk"]
    assert summ.loc[0, "profit"] == pytest.approx(o1["profit"]) and summ.loc[1, "clv"] == pytest.approx(o2["clv"])
    assert (summ["choice.beta"] == 4.0).all()
    assert json.loads((R.run_dir(tmp_path, h1) / R.OUTCOMES_FILE).read_text())["profit"] == pytest.approx(o1["profit"])


# ---- statistics ---------------------------------------------------------------------------
def test_mean_ci_is_the_t_interval():
    x = np.array([1.0, 2.0, 4.0, 7.0, 11.0])
    m, lo, hi = S.mean_ci(x)
    ref = st.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=st.sem(x))
    assert m == pytest.approx(5.0) and (lo, hi) == pytest.approx(ref)
    assert np.isnan(S.mean_ci([3.0])[1])


def test_paired_difference_uses_pairs_and_is_tighter_under_common_noise():
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 10, 30)  # shared by both "policies" (common random numbers)
    a = 100 + noise
    b = 101 + noise + rng.normal(0, 0.5, 30)
    d, dlo, dhi = S.paired_diff_ci(b, a)
    assert dlo < 1.0 < dhi and dhi - dlo < 1.0
    _, alo, ahi = S.mean_ci(a)
    _, blo, bhi = S.mean_ci(b)
    assert (ahi - alo) > 5 * (dhi - dlo)  # unpaired CIs overlap widely; the paired one resolves the effect


def test_compare_table_pairs_on_point_and_replication():
    summary = pd.DataFrame({
        "policy": ["u"] * 4 + ["v"] * 4,
        "point": [0] * 8,
        "replication": [0, 1, 2, 3, 3, 2, 1, 0],  # v listed in another order: pairing must use the keys
        "profit": [10.0, 20.0, 30.0, 40.0, 44.0, 33.0, 22.0, 11.0],
    })
    t = S.compare_table(summary, ["profit"]).set_index("policy")
    assert t.loc["u", "diff"] == 0 and np.isnan(t.loc["u", "diff_low"])
    assert t.loc["v", "diff"] == pytest.approx(2.5)  # differences 1, 2, 3, 4
    ref = st.t.interval(0.95, 3, loc=2.5, scale=st.sem([1, 2, 3, 4]))
    assert (t.loc["v", "diff_low"], t.loc["v", "diff_high"]) == pytest.approx(ref)
    assert t.loc["v", "pairs"] == 4


def test_kaplan_meier_matches_hand_computation():
    # durations 2, 3+, 5, 5, 8+ (+ = censored): S(2)=4/5, S(5)=4/5 * 1/3
    km = S.kaplan_meier([2, 3, 5, 5, 8], [True, False, True, True, False])
    s = dict(zip(km["age"], km["survival"]))
    assert s[0] == 1.0 and s[2] == pytest.approx(0.8) and s[3] == pytest.approx(0.8)
    assert s[5] == pytest.approx(0.8 / 3)
    assert (km["ci_low"] <= km["survival"] + 1e-12).all() and (km["survival"] <= km["ci_high"] + 1e-12).all()
    assert (np.diff(km["survival"]) <= 0).all()


def test_hazard_by_age_recovers_a_constant_hazard():
    rng = np.random.default_rng(1)
    p = 0.05
    d = rng.geometric(p, 20000) - 1  # dissolves at age d with per-tick hazard p
    cens = d > 60
    d = np.minimum(d, 60)
    hz = S.hazard_by_age(d, ~cens, width=10)
    assert hz["hazard"].iloc[:5].to_numpy() == pytest.approx(np.full(5, p), rel=0.12)
    assert hz["at_risk"].iloc[0] == 20000 and hz["dissolutions"].sum() == (~cens).sum()


def test_stage_summary_means_over_runs_and_counts_missing_causes_as_zero():
    ts = pd.DataFrame({
        "run": ["a", "a", "b", "b", "c", "c"], "policy": ["u", "u", "u", "u", "v", "v"], "point": 0,
        "tick": [1, 2, 2, 1, 1, 2],  # b's rows out of order: the last tick counts, not the last row
        "n_awareness": [9, 4, 6, 99, 1, 2], "n_exploration": [0, 1, 3, 99, 0, 0], "n_expansion": [0, 2, 0, 99, 0, 5],
        "n_commitment": [0, 0, 1, 99, 0, 3], "n_dissolved": [0, 3, 1, 0, 0, 0],
    })
    ev = pd.DataFrame({
        "run": ["a", "a", "a", "b", "a"], "to_stage": ["dissolved", "dissolved", "dissolved", "dissolved", "exploration"],
        "from_stage": ["awareness", "expansion", "awareness", "exploration", "awareness"],
        "cause": ["lapsed", "trust_breakdown", "lapsed", "better_alternative", "trial"],
    })
    out = S.stage_summary(ts, ev).set_index("policy")
    assert list(out.index) == ["u", "v"] and list(out["runs"]) == [2, 1]
    assert out.loc["u", "awareness"] == 5.0 and out.loc["u", "commitment"] == 0.5 and out.loc["u", "dissolved"] == 2.0
    assert out.loc["v", "expansion"] == 5.0 and out.loc["v", "dissolved"] == 0.0
    causes = [c for c in out.columns if c.startswith("dissolved: ")]
    assert causes == ["dissolved: trust_breakdown", "dissolved: better_alternative", "dissolved: lapsed"]
    assert out.loc["u", "dissolved: lapsed"] == 1.0 and out.loc["u", "dissolved: better_alternative"] == 0.5
    assert (out.loc["v", causes] == 0).all()  # a run without dissolutions counts zero, not missing
    assert "dissolved: trial" not in out  # only dissolution events
    # the two kinds: trading (left exploration or later) and awareness; they add up to the dissolutions counted
    assert out.loc["u", "of which trading"] == 1.0 and out.loc["u", "of which awareness"] == 1.0
    assert out.loc["v", "of which trading"] == 0.0


def test_trading_spells_from_tables():
    rel = pd.DataFrame({"relationship": [0, 1, 2, 3], "born": [0, 2, 5, 1], "ended": [10, -1, 7, 4],
                        "cause": ["trust_breakdown", "none", "better_alternative", "lapsed"],
                        "stage": ["dissolved", "expansion", "dissolved", "dissolved"],
                        "peak": ["expansion", "expansion", "exploration", "awareness"]})
    ev = pd.DataFrame({"tick": [3, 4, 5, 10, 7, 4], "relationship": [0, 1, 2, 0, 2, 3],
                       "from_stage": ["awareness", "awareness", "awareness", "expansion", "exploration", "awareness"],
                       "to_stage": ["exploration", "exploration", "exploration", "dissolved", "dissolved", "dissolved"]})
    sp = S.trading_spells(rel, ev, 20).set_index("relationship")
    assert list(sp.index) == [0, 1, 2]  # the lapsed awareness pair never traded
    assert sp.loc[0, "duration"] == 7 and sp.loc[0, "dissolved"] and sp.loc[0, "left_stage"] == "expansion"
    assert sp.loc[1, "duration"] == 16 and not sp.loc[1, "dissolved"]
    assert sp.loc[2, "duration"] == 2


def test_intervals_stay_in_the_range_of_what_they_measure():
    near_one = [0.97, 1.0, 0.99]
    m, lo, hi = S.mean_ci(near_one)
    assert hi > 1  # the plain t-interval runs past the possible range ...
    m, lo, hi = S.outcome_ci(near_one, "retention_rate")
    assert 0 <= lo < m < hi <= 1  # ... the logit one does not
    counts = [0.0, 1.0, 5.0]
    assert S.mean_ci(counts)[1] < 0 and S.outcome_ci(counts, "dissolutions")[1] > 0
    assert S.outcome_ci([1.0, 1.0, 1.0], "fill_rate") == (1.0, 1.0, 1.0)
    # far from the bounds it is close to the t-interval
    mid = [0.45, 0.5, 0.55, 0.48, 0.52, 0.5]
    np.testing.assert_allclose(S.outcome_ci(mid, "retention_rate"), S.mean_ci(mid), atol=0.002)
    # money can be negative: the plain t-interval
    assert S.outcome_ci([-5.0, 1.0, 2.0], "profit") == S.mean_ci([-5.0, 1.0, 2.0])
    assert S.few_replications_note(4).startswith("few replications: 4") and S.few_replications_note(5) == ""
