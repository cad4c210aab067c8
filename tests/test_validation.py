"""The model against published results (issue 7): WKH 2000 quantitatively, Morgan & Hunt and
the Dwyer-Schurr-Oh lifecycle as signs and orderings, plus the statistics the report relies on
and the two notebooks (executed on small settings)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.validation import commitment_trust as ct
from sim.validation import lifecycle_stats as lc
from sim.validation import retention_economics as rec
from sim.validation import sensitivity as sa
from sim.validation import wkh
from sim.validation.runs import default_workers

ROOT = Path(__file__).resolve().parents[1]


# ---- mean field -----------------------------------------------------------------------------


def test_mean_field_two_sellers_matches_the_tanh_solution():
    # x1 - x2 = m with m = tanh(b m / 2): y = (1 + m^2) / 2
    from scipy.optimize import brentq

    for b in (2.5, 3.0, 4.0):
        m = brentq(lambda m: m - np.tanh(b * m / 2), 1e-6, 1)
        assert wkh.mean_field_y(2, b) == pytest.approx((1 + m * m) / 2, abs=1e-9)
    assert wkh.mean_field_y(2, 1.9) == pytest.approx(0.5)
    fp = wkh.fixed_points(2, 3.0)
    assert not fp[fp.branch == "uniform"].stable.iloc[0]  # the symmetric state is unstable above b = 2


def test_mean_field_three_sellers_is_bistable_between_saddle_node_and_three():
    assert wkh.saddle_node_b(3) == pytest.approx(2.746, abs=0.005)
    assert wkh.saddle_node_b(2) == pytest.approx(2.0, abs=1e-3)
    # b = 2.9: uniform stable and a stable loyal branch -> the start decides
    assert wkh.mean_field_y(3, 2.9, "uniform") == pytest.approx(1 / 3)
    assert wkh.mean_field_y(3, 2.9, "loyal") > 0.55
    # b = 2.6: only the uniform state; b = 3.2: only loyal
    assert wkh.mean_field_y(3, 2.6, "loyal") == pytest.approx(1 / 3)
    assert wkh.mean_field_y(3, 3.2, "uniform") > 0.7


# ---- WKH simulation --------------------------------------------------------------------------

WKH_FAST = dict(n_buyers=200, ticks=400, window=150, gamma=0.01)


def test_two_sellers_loyalty_within_003_of_mean_field_below_and_above_b2():
    """b = 1 (disorganised) and b = 3 (loyal; started loyal, the only stable state there)."""
    below = wkh.sweep(2, [1.0], ("uniform",), 2, **WKH_FAST)
    above = wkh.sweep(2, [3.0], ("loyal",), 2, **WKH_FAST)
    assert (below.fill_rate == 1).all() and (above.fill_rate == 1).all()  # every visit served
    assert abs(below.loyalty_y.mean() - wkh.mean_field_y(2, 1.0)) < 0.03
    assert abs(above.loyalty_y.mean() - wkh.mean_field_y(2, 3.0)) < 0.03
    assert above.loyalty_y.mean() > below.loyalty_y.mean() + 0.3


def test_three_sellers_hysteresis_start_decides_in_the_bistable_window():
    d = wkh.sweep(3, [2.9], ("uniform", "loyal"), 1, n_buyers=150, ticks=400, window=100)
    y = d.set_index("start").loyalty_y
    assert y["uniform"] < 0.4  # stays disorganised (uniform y = 1/3)
    assert y["loyal"] > y["uniform"] + 0.2  # stays loyal


def test_limited_stock_loyalty_raises_buyer_payoff_and_seller_profit():
    """Four replications, each paired across b by common random numbers: the gain must hold on the
    paired CI, not on one lucky seed (checked on base seeds 1, 11, 12, 13, 14: +3 to +5 % in every
    replication)."""
    d = wkh.limited_stock([1.0, 6.0], safety_stock=0.0, n_sellers=3, replications=4, workers=default_workers(), n_buyers=150, ticks=400, window=150)
    y = d.groupby("b").loyalty_y.mean()
    assert y[6.0] > y[1.0] + 0.15
    seller = wkh.paired_gain(d, "seller_profit", low_max=1.0, high_min=6.0)
    buyer = wkh.paired_gain(d, "buyer_payoff", low_max=1.0, high_min=6.0)
    assert seller["n"] == buyer["n"] == 4
    assert seller["ci_low"] > 0 and buyer["ci_low"] > 0  # 95 % paired t interval above zero
    assert seller["mean"] > 0.01


def test_paired_gain_on_a_hand_made_table():
    d = pd.DataFrame({
        "b": [1.0, 2.0, 4.0, 6.0] * 2,
        "replication": [0] * 4 + [1] * 4,
        "x": [10.0, 10.0, 11.0, 11.0, 20.0, 20.0, 21.0, 23.0],
    })
    g = wkh.paired_gain(d, "x")
    assert g["gains"] == pytest.approx([0.1, 0.1])
    assert g["mean"] == pytest.approx(0.1) and g["ci_low"] == pytest.approx(0.1) and g["ci_high"] == pytest.approx(0.1)


# ---- Morgan & Hunt ------------------------------------------------------------------------------

CT_SIZE = dict(n_buyers=150, n_exporters=8, ticks=120, snapshot=80, window=20)


@pytest.fixture(scope="module")
def ct_data():
    _, cross, panel, changes = ct.simulate(16, default_workers(), **CT_SIZE)
    return cross, panel, changes


@pytest.fixture(scope="module")
def ct_fit(ct_data):
    return ct.fit_paths(*ct_data).set_index(["outcome", "predictor"])


#: paths whose 95 % CI excluded zero in every one of 8 alternative designs (design seeds 1994,
#: 1..7) at 16 and at 20 runs. Communication -> trust and shared values -> trust had the theory's
#: sign in all 16 fits but a CI excluding zero in only 6 and 8 of 8 (16 runs), 7 and 7 of 8 (20
#: runs): for those two the test holds the sign only
ROBUSTLY_SIGNIFICANT = {
    ("trust", "opportunism"),
    ("commitment", "trust"),
    ("commitment", "shared_values"),
    ("commitment", "switching_cost"),
    ("commitment", "benefits"),
    ("dissolved", "commitment"),
}


@pytest.mark.parametrize("outcome,predictor", [(o, p) for o in ct.PATHS for p in ct.PATHS[o]])
def test_commitment_trust_paths_have_the_theory_sign(ct_fit, outcome, predictor):
    row = ct_fit.loc[(outcome, predictor)]
    assert np.sign(row.std_coef) == ct.PATHS[outcome][predictor]
    if (outcome, predictor) in ROBUSTLY_SIGNIFICANT:
        assert row.significant  # the 95 % CI (clustered by run) excludes zero


def test_commitment_method_recovers_the_engines_own_terms(ct_fit):
    """dynamics.commitment_update raises commitment with shared values and benefits (weight 0.2
    each): the per-tick estimator must find both positive; with the engine's shared-values term
    switched off (shared_values_effect = 0) it must find that coefficient near zero."""
    for p in ("shared_values", "benefits"):
        row = ct_fit.loc[("commitment", p)]
        assert row.std_coef > 0.05 and row.ci_low > 0
    _, _, _, changes = ct.simulate(8, default_workers(), fixed={"shared_values_effect": 0.0}, **CT_SIZE)
    off = ct.fit_commitment_changes(changes).set_index("predictor")
    assert abs(off.std_coef["shared_values"]) < 0.05
    assert off.std_coef["shared_values"] < ct_fit.loc[("commitment", "shared_values")].std_coef - 0.1
    assert off.std_coef["benefits"] > 0.05 and off.ci_low["benefits"] > 0


def test_commitment_changes_flags_betrayal_from_the_trust_cut():
    idx = pd.Index([1, 2, 3], name="relationship")
    prev = pd.DataFrame(dict(exporter=[0, 0, 1], partnership=[True, False, True], stage=["exploration", "expansion", "commitment"],
                             commitment=[0.5] * 3, trust=[0.8] * 3, trust_calculus=[0.4] * 3, trust_identification=[0.2] * 3,
                             shared_values=[0.5] * 3, outcome=[0.6] * 3, switching_cost=[1.0] * 3), index=idx)
    cur = prev.copy()
    cur["commitment"] = [0.52, 0.36, 0.51]
    cur["trust_calculus"] = [0.38, 0.19, 0.38]  # relationship 2: calculus trust halved -> betrayal
    cur["trust_identification"] = [0.2, 0.1, 0.19]  # relationship 3: identification trust fell -> betrayal
    cur = cur.drop(index=[1, 2]).pipe(lambda c: pd.concat([c, cur.loc[[2, 1]]]))  # row order must not matter
    ch = ct.commitment_changes(prev, cur, 10).set_index("relationship")
    assert ch.d_commitment.to_dict() == pytest.approx({1: 0.02, 2: -0.14, 3: 0.01})
    assert ch.betrayal.to_dict() == {1: False, 2: True, 3: True}
    assert (ch.tick == 10).all() and ch.stage_lag[3] == "commitment"
    # a relationship missing from this tick's table (dissolved) has no change
    assert len(ct.commitment_changes(prev, cur.drop(index=3), 10)) == 2


def test_standardized_ols_recovers_known_coefficients():
    rng = np.random.default_rng(0)
    n = 4000
    x1, x2 = rng.standard_normal(n), rng.standard_normal(n)
    y = 2 * x1 - x2 + 0.5 * rng.standard_normal(n)
    df = pd.DataFrame({"y": y, "x1": x1, "x2": x2, "run": np.arange(n) % 20})
    t = ct.standardized_ols(df, "y", ["x1", "x2"]).set_index("predictor")
    sd_y = np.sqrt(4 + 1 + 0.25)
    assert t.loc["x1", "std_coef"] == pytest.approx(2 / sd_y, abs=0.03)
    assert t.loc["x2", "std_coef"] == pytest.approx(-1 / sd_y, abs=0.03)


# ---- lifecycle --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lifecycle_runs():
    return lc.simulate(2, ticks=150, n_buyers=200, n_exporters=10)


def test_exploration_is_the_most_fragile_trading_stage(lifecycle_runs):
    ev, ts = lifecycle_runs
    rates = lc.dissolution_rates(ev, ts).set_index("stage")
    assert lc.most_fragile_trading_stage(rates.reset_index()) == "exploration"
    assert rates.rate["exploration"] > rates.rate["expansion"] > rates.rate["commitment"]
    # awareness endings are lapses: without them awareness is not where relationships end
    assert rates.rate_excl_lapse["awareness"] < rates.rate["exploration"]


def test_transition_matrix_and_spells_are_consistent(lifecycle_runs):
    ev, ts = lifecycle_runs
    counts, shares = lc.transition_matrix(ev)
    assert counts.to_numpy().sum() == len(ev)
    out = shares.dropna(how="all")
    assert np.allclose(out.sum(axis=1), 1.0)
    # the lifecycle has no skipped stages: exploration never jumps to commitment
    assert counts.loc["exploration", "commitment"] == 0 and counts.loc["awareness", "expansion"] == 0
    sp = lc.spells(ev, ts.groupby("replication").tick.max().to_dict())
    assert (sp.duration >= 0).all()
    assert len(sp) == int((ev.to_stage.astype(str) != "dissolved").sum())
    dur = lc.stage_durations(sp).set_index("stage")
    assert dur.completed.sum() + dur.censored.sum() == len(sp)


def test_spells_on_a_hand_made_log():
    ev = pd.DataFrame(
        {
            "tick": [0, 3, 10, 2, 5],
            "relationship": [1, 1, 1, 2, 2],
            "from_stage": ["none", "awareness", "exploration", "none", "awareness"],
            "to_stage": ["awareness", "exploration", "dissolved", "awareness", "exploration"],
            "cause": ["media", "trial", "trust_breakdown", "media", "trial"],
        }
    )
    sp = lc.spells(ev, 20)
    assert sp.duration.tolist() == [3, 7, 3, 15]
    assert sp.completed.tolist() == [True, True, True, False]


# ---- retention economics ----------------------------------------------------------------------


def test_elasticity_recovers_a_known_power_law_within_groups():
    rng = np.random.default_rng(1)
    n = 300
    g = np.repeat(["a", "b", "c"], n // 3)
    r = rng.uniform(0.6, 0.95, n)
    level = np.select([g == "a", g == "b"], [1.0, 5.0], 20.0)  # group effects to be absorbed
    profit = level * r**3.0 * np.exp(0.01 * rng.standard_normal(n))
    df = pd.DataFrame({"retention": r, "profit_per_tick": profit, "m": g})
    e = rec.elasticity(df, "m")
    assert e["elasticity"] == pytest.approx(3.0, abs=0.05)
    assert rec.implied_change(3.0, 0.8) == pytest.approx((0.85 / 0.8) ** 3 - 1)


def test_exporter_retention_counts_trading_endings_only():
    ev = pd.DataFrame(
        {
            "tick": [0, 1, 11, 0, 4, 0, 25],
            "relationship": [1, 1, 1, 2, 2, 3, 3],
            "exporter": [0, 0, 0, 1, 1, 1, 1],
            "from_stage": ["none", "awareness", "exploration", "none", "awareness", "none", "awareness"],
            "to_stage": ["awareness", "exploration", "dissolved", "awareness", "exploration", "awareness", "dissolved"],
            "cause": ["media", "trial", "better_alternative", "media", "trial", "media", "lapsed"],
        }
    )
    t = rec._exporter_retention(ev, end_tick=30, burn_in=0, n_exporters=2)
    assert t.relationship_ticks.tolist() == [10, 26]
    assert t.endings.tolist() == [1, 0]  # the lapse of an unused awareness is not a lost customer


# ---- sensitivity ------------------------------------------------------------------------------


def test_sensitivity_outputs_deterministic_and_respond_to_opportunism():
    size = sa.Size(n_exporters=5, n_buyers=80, ticks=60, burn_in=20)
    a = sa.evaluate_one(((("opportunism_mean", 0.0),), size))
    assert a == sa.evaluate_one(((("opportunism_mean", 0.0),), size))
    b = sa.evaluate_one(((("opportunism_mean", 0.15),), size))
    assert b[0] < a[0]  # more opportunism, lower retention
    assert b[2] < a[2]  # and shorter relationships


def test_sobol_wrapper_ranks_a_known_function():
    from SALib.sample import sobol as ss

    prob = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1]] * 3}
    X = ss.sample(prob, 256, calc_second_order=False, seed=1)
    df = pd.DataFrame(X, columns=prob["names"])
    for out in sa.OUTPUTS:
        df[out] = 4 * df.a + df.b  # c is inert
    t = sa.sobol_indices(prob, df).set_index(["output", "parameter"])
    st = t.loc["retention"].ST
    assert st["a"] > st["b"] > st["c"]
    assert st["c"] < 0.02


# ---- entry points and notebooks ----------------------------------------------------------------


def test_module_entry_point_rejects_bad_section_with_exit_2():
    r = subprocess.run([sys.executable, "-m", "sim.validation", "--only", "nonsense"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 2
    assert "--only='nonsense' is not allowed" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_provenance_sees_a_dirty_tree_and_an_engine_edit_during_the_run(tmp_path, monkeypatch):
    from sim.validation import report

    def git(*a):
        subprocess.run(["git", *a], cwd=tmp_path, check=True, capture_output=True)

    (tmp_path / "sim").mkdir()
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "sim" / "engine.py").write_text("x = 1\n")
    (tmp_path / "notes.md").write_text("not watched\n")
    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    monkeypatch.setattr(report, "ROOT", tmp_path)
    start = report.provenance()
    assert start["dirty"] == [] and "dirty" not in start["describe"]
    assert report.provenance_problems(start, report.provenance()) == []  # clean and unchanged
    (tmp_path / "notes.md").write_text("edited\n")  # outside sim/ and scenarios/: still clean for the report
    assert report.provenance_problems(start, report.provenance()) == []
    (tmp_path / "sim" / "engine.py").write_text("x = 2\n")  # an engine edit during the run
    end = report.provenance()
    assert end["dirty"] == ["sim/engine.py"] and end["describe"].endswith("-dirty")
    problems = report.provenance_problems(start, end)
    assert any("changed during the run" in p for p in problems) and any("sim/engine.py" in p for p in problems)
    (tmp_path / "sim" / "engine.py").write_text("x = 1\n")  # edited and undone: content is what counts
    assert report.provenance_problems(start, report.provenance()) == []
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "notes")  # someone commits docs: HEAD moves
    assert report.provenance_problems(start, report.provenance()) == []
    (tmp_path / "scenarios" / "a.yaml").write_text("seed: 2\n")
    git("add", "scenarios/a.yaml")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "scenario")  # ... or a scenario file
    problems = report.provenance_problems(start, report.provenance())
    assert any("commits during the run changed scenarios/a.yaml" in p for p in problems)


@pytest.mark.parametrize("name", ["03_loyalty_wkh2000.ipynb", "04_sensitivity.ipynb"])
def test_notebook_executes(name):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")  # stored without outputs
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
