"""Tournaments of retention policies (sim.tournament): matches, common random numbers, payoffs, figure."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim import results as R
from sim.tournament import focal_exporters, plan, run_tournament

PARAMS = dict(n_exporters=8, n_buyers=200, initial_relationships=2.0, ticks=40)
POLICIES = ["uniform", "key_accounts", "customer_database"]


@pytest.fixture(scope="module")
def played(tmp_path_factory):
    root = tmp_path_factory.mktemp("tour") / "t"
    res = run_tournament(PARAMS, POLICIES, root, replications=3, seed=5, command=["test"])
    return root, res


def test_plan_pairs_every_policy_with_every_field_on_common_seeds():
    planned = plan(PARAMS, POLICIES, 2, seed=3)
    assert len(planned) == 2 * 3 * 3
    for rep in (0, 1):
        seeds = {s.seed for m, s in planned if m.replication == rep}
        assert len(seeds) == 1  # every match of a replication runs on the same seed
    m, s = next((m, s) for m, s in planned if m.focal == "key_accounts" and m.field == "uniform")
    assert s.params["policy_mix"] == {"key_accounts": 0.25, "uniform": 0.75}
    m, s = next((m, s) for m, s in planned if m.focal == m.field == "uniform")
    assert s.params["policy_mix"] == {"uniform": 1.0}


@pytest.mark.parametrize("bad, message", [
    (dict(policies=["uniform"]), "at least two distinct policy names"),
    (dict(policies=["uniform", "key_acounts"]), "policy_mix='key_acounts' is not allowed"),
    (dict(focal_share=1.0), "focal_share=1.0 is not allowed"),
    (dict(params={**PARAMS, "n_exporters": 1}), "is not allowed with 1 exporters"),
])
def test_bad_tournaments_are_refused(bad, message):
    kw = dict(params=PARAMS, policies=POLICIES, replications=2, seed=1)
    kw.update(bad)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        plan(kw.pop("params"), kw.pop("policies"), **kw)


def test_the_focal_exporters_run_the_focal_policy_and_are_the_same_in_every_match(played):
    root, res = played
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["kind"] == "tournament" and manifest["status"] == "complete"
    for run in manifest["runs"]:
        ex = pd.read_parquet(R.run_dir(root, run["hash"]) / "exporters.parquet")
        focal = focal_exporters(8, 0.25, run["seed"])
        assert len(focal) == 2
        running = ex.loc[ex["exporter_policy"] == run["focal"], "exporter"].to_numpy()
        if run["focal"] == run["field"]:
            assert len(running) == 8
        else:
            assert np.array_equal(np.sort(running), focal)


def test_switching_gain_is_the_paired_difference_with_a_t_interval(played):
    root, res = played
    matches = pd.read_csv(root / "matches.csv")
    payoffs = pd.read_csv(root / "payoffs.csv")
    assert len(matches) == 3 * 3 * 3 * 2
    focal = matches[matches["side"] == "focal"]
    x, y = "customer_database", "key_accounts"
    moved = focal[(focal["focal"] == x) & (focal["field"] == y)].sort_values("replication")["profit"].to_numpy()
    stayed = focal[(focal["focal"] == y) & (focal["field"] == y)].sort_values("replication")["profit"].to_numpy()
    d = moved - stayed
    row = payoffs[(payoffs["focal"] == x) & (payoffs["field"] == y) & (payoffs["outcome"] == "profit")
                  & (payoffs["payoff"] == "switching_gain")].iloc[0]
    assert row["diff"] == pytest.approx(d.mean())
    half = stats.t.ppf(0.975, 2) * d.std(ddof=1) / np.sqrt(3)
    assert row["high"] - row["diff"] == pytest.approx(half)
    assert row["diff_pct"] == pytest.approx(100 * d.mean() / abs(stayed.mean()))
    assert row["verdict"] == ("better" if row["low"] > 0 else "worse" if row["high"] < 0 else "no detectable difference")
    # the moves are real: switching a quarter of the exporters to another policy changes their profit
    assert np.abs(d).max() > 1.0
    diagonal = payoffs[(payoffs["focal"] == payoffs["field"]) & (payoffs["payoff"] == "switching_gain")]
    assert (diagonal["diff"] == 0).all()


def test_the_figure_is_drawn_from_payoffs(played):
    import matplotlib.image as mpimg

    root, _ = played
    png = root / "figures" / "tournament.png"
    img = mpimg.imread(png)
    assert img.shape[0] > 300 and img.shape[1] > 600
    # the hatched/not-hatched cells and colours come from payoffs.csv: a changed table gives another picture
    from sim.plots import tournament_figure

    before = png.read_bytes()
    pay = pd.read_csv(root / "payoffs.csv")
    pay.loc[pay["payoff"] == "switching_gain", "diff_pct"] *= -1
    pay.to_csv(root / "payoffs.csv", index=False)
    tournament_figure(root)
    assert png.read_bytes() != before


def test_resume_reruns_nothing(played, tmp_path):
    root, res = played
    stamps = {p: p.stat().st_mtime_ns for p in (root / "runs").rglob("outcomes.json")}
    again = run_tournament(PARAMS, POLICIES, root, replications=3, seed=5, resume=True, figures=False)
    assert {p: p.stat().st_mtime_ns for p in (root / "runs").rglob("outcomes.json")} == stamps
    pd.testing.assert_frame_equal(again["matches"], pd.read_csv(root / "matches.csv"), check_dtype=False)
