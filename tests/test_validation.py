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
    d = wkh.limited_stock([1.0, 6.0], safety_stock=0.0, n_sellers=3, replications=1, n_buyers=150, ticks=400, window=150)
    lo, hi = d[d.b == 1.0].iloc[0], d[d.b == 6.0].iloc[0]
    assert hi.loyalty_y > lo.loyalty_y + 0.15
    assert hi.buyer_payoff > lo.buyer_payoff
    assert hi.seller_profit > lo.seller_profit


# ---- Morgan & Hunt ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ct_fit():
    _, cross, panel = ct.simulate(8, n_buyers=150, n_exporters=8, ticks=120, snapshot=80)
    return ct.fit_paths(cross, panel).set_index(["outcome", "predictor"])


@pytest.mark.parametrize(
    "outcome,predictor",
    [
        ("trust", "communication"),
        ("trust", "shared_values"),
        ("trust", "opportunism"),
        ("commitment", "trust"),
        ("commitment", "switching_cost"),
        ("dissolved", "commitment"),
    ],
)
def test_commitment_trust_key_paths_have_the_theory_sign(ct_fit, outcome, predictor):
    row = ct_fit.loc[(outcome, predictor)]
    assert np.sign(row.std_coef) == ct.PATHS[outcome][predictor]
    assert row.significant  # the 95 % CI (clustered by run) excludes zero


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


@pytest.mark.parametrize("name", ["03_loyalty_wkh2000.ipynb", "04_sensitivity.ipynb"])
def test_notebook_executes(name):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")  # stored without outputs
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
