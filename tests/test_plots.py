"""Figures of a results folder: series split by sweep point, labels, layout (checked on the drawn figures)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import experiments as X
from sim import plots as P
from sim import results as R
from sim.scenarios import load_scenario
from sim.stats import COMPARE_OUTCOMES, compare_table

ROOT = Path(__file__).resolve().parent.parent
CLASSROOM = ROOT / "scenarios" / "classroom.yaml"
SWEPT = "dynamics.information_sharing"


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> Path:
    """A tiny sweep (information sharing off/on x uniform/at_risk x 2 replications), tables only."""
    sc = load_scenario(CLASSROOM, ["replications=2", "ticks=24", f"sweep.grid.{SWEPT}=[false, true]"])
    out = tmp_path_factory.mktemp("sweep") / "s"
    X.sweep(sc, out=out, figures=False, command=["test"])
    return out


def _keeper(figs: dict):
    real = P._save

    def keep(fig, path, footnote=""):
        fig.canvas.draw()  # layout final; keep the renderer for measuring text
        fig.renderer = fig.canvas.get_renderer()
        figs[Path(path).stem] = fig
        fig.footnote = footnote
        return real(fig, path, footnote)

    return keep


@pytest.fixture
def drawn(monkeypatch):
    """Figures made through ``plots._save`` during a test, by file stem, drawn before they are saved."""
    figs = {}
    monkeypatch.setattr(P, "_save", _keeper(figs))
    return figs


@pytest.fixture(scope="module")
def made(swept):
    """Every figure of the ``swept`` folder, made once by ``make_figures`` (by file stem)."""
    figs = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(P, "_save", _keeper(figs))
        P.make_figures(swept)
    return figs


def _lines(ax) -> dict[str, np.ndarray]:
    return {ln.get_label(): np.asarray(ln.get_ydata(), dtype=float) for ln in ax.get_lines()
            if not ln.get_label().startswith("_")}


def test_swept_values_are_columns_of_every_table(swept):
    m = R.read_manifest(swept)
    values = {r["hash"]: r["point_values"][SWEPT] for r in m["runs"]}
    assert set(values.values()) == {False, True}
    for t in R.TABLES:
        df = pd.read_parquet(swept / f"{t}.parquet")
        assert list(df.columns[: len(R.ID_COLUMNS) + 1]) == [*R.ID_COLUMNS, SWEPT], t
        assert df[SWEPT].dtype == bool, t
        assert (df[SWEPT] == df["run"].map(values)).all(), t
        assert df.groupby("point")[SWEPT].nunique().eq(1).all()


def test_figures_show_one_series_per_point_and_policy(swept, made):
    drawn = made
    ts = pd.read_parquet(swept / "timeseries.parquet")
    summary = pd.read_csv(swept / "summary.csv")
    point_of = dict(zip(summary[SWEPT], summary["point"]))
    expected = {}
    for pol in ("uniform", "at_risk"):
        for v, word in ((False, "false"), (True, "true")):
            g = ts[(ts["policy"] == pol) & (ts["point"] == point_of[v])]
            expected[f"{pol} · information_sharing={word}"] = g
    # forecast: one line per (policy, point), each the mean of that group's runs
    mape, fill = drawn["forecast"].axes[:2]
    for ax, col in ((mape, "forecast_mape"), (fill, "fill_rate")):
        got = _lines(ax)
        assert set(got) == set(expected), set(got)
        for label, g in expected.items():
            np.testing.assert_allclose(got[label], g.groupby("tick")[col].mean().to_numpy(), equal_nan=True)
    # sharing on and off differ somewhere (so an average of both would be neither)
    a, b = _lines(mape)["uniform · information_sharing=false"], _lines(mape)["uniform · information_sharing=true"]
    assert not np.allclose(a, b, equal_nan=True)
    # every grouped figure names every (policy, point) series
    for name in ("survival", "exporters", "loyalty", "trust_commitment", "dissolutions"):
        fig = drawn[name]
        texts = [t.get_text() for lg in [*fig.legends, *(ax.get_legend() for ax in fig.axes)] if lg is not None
                 for t in lg.get_texts()]
        assert all(any(t.startswith(label) for t in texts) for label in expected), (name, texts)
    # stage counts: a panel per point x policy, titled with both
    titles = [ax.get_title() for ax in drawn["stage_counts"].axes if ax.get_title()]
    assert len(titles) == 4
    assert all(any(lbl.split(" · ")[0] in t and lbl.split(" · ")[1] in t for t in titles) for lbl in expected)


def test_sweep_figure_has_categorical_bool_axis_and_supply_outcomes(swept, made):
    drawn = made
    fig = drawn["sweep"]
    panels = {ax.get_title(): ax for ax in fig.axes if ax.get_title()}
    assert {o.replace("_", " ") for o in (*COMPARE_OUTCOMES, "forecast_mape", "fill_rate")} <= set(panels)
    ax = panels["forecast mape"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["false", "true"]
    assert list(ax.get_xticks()) == [0, 1]
    # the plotted means are the per-point means of summary.csv
    s = pd.read_csv(swept / "summary.csv")
    for coll in ax.containers:  # one errorbar container per policy
        ys = np.asarray(coll.lines[0].get_ydata(), dtype=float)
        pol = coll.get_label()
        want = s[s["policy"] == pol].groupby(SWEPT)["forecast_mape"].mean().to_numpy()
        np.testing.assert_allclose(ys, want)


def test_loyalty_label_follows_the_choice_rule(swept, made):
    drawn = made
    assert "order shares" in drawn["loyalty"].axes[0].get_ylabel()
    assert "J" not in drawn["loyalty"].axes[0].get_ylabel()
    assert "preferences" in P.loyalty_label({"reinforcement"}) and "shares" not in P.loyalty_label({"reinforcement"})
    assert "shares" in P.loyalty_label({"logit", "reinforcement"}) and "J" in P.loyalty_label({"logit", "reinforcement"})


def test_exporter_rank_axis_has_integer_ticks(swept, made):
    drawn = made
    ax = drawn["exporters"].axes[0]
    lo, hi = ax.get_xlim()
    ticks = [t for t in ax.get_xticks() if lo <= t <= hi]
    assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks), ticks


def _boxes_overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _synthetic(policies: list[str], points: int = 1, ticks: int = 30):
    rows, summ = [], []
    for pt in range(points):
        for pol in policies:
            run = f"{pol}-{pt}"
            t = np.arange(1, ticks + 1)
            rows.append(pd.DataFrame({"run": run, "policy": pol, "point": pt, "tick": t, "n_awareness": 50 + t,
                                      "n_exploration": 20.0, "n_expansion": 10.0 + t, "n_commitment": t / 2}))
            summ.append({"policy": pol, "point": pt, "replication": 0, "run": run, "x.share": pt / 10})
    return pd.concat(rows, ignore_index=True), pd.DataFrame(summ)


def test_stage_count_titles_clear_the_tick_labels_with_seven_policies(tmp_path, drawn):
    pols = ["uniform", "new_customers_first", "key_accounts", "at_risk", "satisfaction_survey", "customer_database",
            "shared_values_program"]
    ts, summary = _synthetic(pols)
    P.stage_counts(ts, tmp_path / "stage_counts.png", P.groups(summary, {}))
    fig = drawn["stage_counts"]
    r = fig.renderer
    axes = [ax for ax in fig.axes if ax.get_title()]
    assert len(axes) == 7
    titles = [ax.title.get_window_extent(r) for ax in axes]
    ticks = [lbl.get_window_extent(r) for ax in axes for lbl in (*ax.get_xticklabels(), ax.xaxis.label)
             if lbl.get_text()]
    assert not any(_boxes_overlap(t, k) for t in titles for k in ticks)
    for i, a in enumerate(titles):  # long titles of neighbours do not run into each other
        assert not any(_boxes_overlap(a, b) for b in titles[i + 1:])


def test_compare_figure_is_a_readable_grid(tmp_path, drawn):
    rng = np.random.default_rng(0)
    pols = ["uniform", "at_risk", "key_accounts", "new_customers_first"]
    summary = pd.DataFrame([{"policy": p, "point": 0, "replication": k, **{o: rng.normal(100, 10) for o in COMPARE_OUTCOMES}}
                            for p in pols for k in range(4)])
    P.compare_fig(compare_table(summary), tmp_path / "compare.png")
    fig = drawn["compare"]
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert len(panels) == len(COMPARE_OUTCOMES)
    rows = {round(ax.get_position().y0, 3) for ax in panels}
    cols = {round(ax.get_position().x0, 3) for ax in panels}
    assert 2 <= len(rows) and 2 <= len(cols) <= 3
    w, h = fig.get_size_inches()
    assert w / h < 2.5  # not a strip
    assert min(ax.title.get_fontsize() for ax in panels) >= 10
    # policy names on the left of every row
    left = [ax for ax in panels if round(ax.get_position().x0, 3) == min(cols)]
    for ax in left:  # first policy on top
        order = sorted(zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels())), reverse=True)
        assert [name for _, name in order] == pols


def test_many_sweep_points_are_thinned_evenly_and_said_so():
    _, summary = _synthetic(["uniform"], points=12)
    summary = summary.sample(frac=1, random_state=1)  # order of points in the file does not matter
    G = P.groups(summary, {"runs": [{"point_values": {"x.share": 0.0}}]})
    assert G.by_point and len(G.points) == P.MAX_POINTS
    assert G.points[0] == 0 and G.points[-1] == 11 and G.points == sorted(G.points)
    assert G.note == f"showing {P.MAX_POINTS} of 12 sweep points"
    assert G.labels[(0, "uniform")] == "share=0" and G.labels[(11, "uniform")] == "share=1.1"
    one = P.groups(summary[summary["point"] == 3], {})
    assert not one.by_point and one.labels == {(3, "uniform"): "uniform"}


def test_sweep_figure_splits_a_second_grid_field_and_does_not_join_sampled_points(tmp_path, drawn):
    rng = np.random.default_rng(2)
    rows = []
    for i, (a, flag) in enumerate([(a, f) for a in (1.0, 2.0, 3.0) for f in (False, True)]):
        for rep in range(3):
            rows.append({"policy": "uniform", "point": i, "replication": rep, "x.a": a, "y.flag": flag,
                         **{o: a * (10 if flag else 1) + rng.normal() for o in P.SWEEP_OUTCOMES}})
    grid = pd.DataFrame(rows)
    P.sweep_fig(grid, ["x.a", "y.flag"], tmp_path / "sweep.png")
    ax = next(ax for ax in drawn["sweep"].axes if ax.get_title() == "profit")
    got = _lines(ax)
    assert set(got) == {"uniform, flag=false", "uniform, flag=true"}
    for flag, label in ((False, "uniform, flag=false"), (True, "uniform, flag=true")):
        want = grid[grid["y.flag"] == flag].groupby("x.a")["profit"].mean().to_numpy()
        np.testing.assert_allclose(got[label], want)
    assert "averaged" not in drawn["sweep"].get_suptitle()

    sampled = grid.assign(**{"x.a": rng.uniform(0, 1, len(grid)), "point": np.arange(len(grid))})
    P.sweep_fig(sampled, ["x.a", "y.flag"], tmp_path / "sweep.png")
    fig = drawn["sweep"]
    assert "averaged over y.flag" in fig.get_suptitle()
    ax = next(ax for ax in fig.axes if ax.get_title() == "profit")
    assert ax.get_lines() and all(ln.get_linestyle() in ("None", "none", "") for ln in ax.get_lines()
                                  if ln.get_marker() == "o")


# ---- the answer figure and the few-replications note (#17) ----------------------------------------------
def test_every_figure_of_few_replications_says_so_under_it(made):
    """The swept folder has 2 replications per group: every figure carries the note a person reads."""
    assert {"answer", "sweep", "stage_counts", "survival"} <= set(made)
    for name, fig in made.items():
        assert fig.footnote.startswith("few replications: 2 per group (< 5)"), name
        assert any(t.get_text() == fig.footnote for t in fig.texts), name  # drawn on the figure, not just passed


def test_wkh_answer_draws_loyalty_against_beta_beside_the_mean_field(tmp_path, drawn):
    from sim.validation.wkh import mean_field_y

    sc = load_scenario(ROOT / "scenarios" / "wkh2000.yaml", ["replications=2", "ticks=150",
                                                              "sweep.grid.choice.beta=[0.1, 0.3, 0.5]"])
    X.sweep(sc, out=tmp_path / "w", figures=False, command=["test"])
    P.make_figures(tmp_path / "w")
    ax = drawn["answer"].axes[0]
    assert ax.get_xlabel() == "choice.beta" and "loyalty" in ax.get_ylabel()
    lines = _lines(ax)
    mf = next(ln for ln in ax.get_lines() if ln.get_label() == "mean field (WKH 2000)")
    betas, ys = np.asarray(mf.get_xdata(), float), np.asarray(mf.get_ydata(), float)
    assert betas.min() == 0.1 and betas.max() == 0.5
    # b = beta profit / gamma with the scenario's gamma 0.1 and profit 1, two sellers
    assert ys[0] == pytest.approx(mean_field_y(2, 1.0)) and ys[-1] == pytest.approx(mean_field_y(2, 5.0))
    sim_y = lines["uniform (mean, 95% CI)"]
    s = pd.read_csv(tmp_path / "w" / "summary.csv").groupby("choice.beta")["loyalty_y"].mean()
    np.testing.assert_allclose(sim_y, s.to_numpy())
    assert sim_y[0] < 0.65 and sim_y[-1] > 0.9  # found, not arranged: loyal above beta_c, not below


def test_dependence_answer_marks_the_shock_on_revenue_and_profit(tmp_path, drawn):
    sc = load_scenario(ROOT / "scenarios" / "dependence_risk.yaml", ["replications=2", "ticks=40", "lifecycle.shock_tick=25",
                                                                      "market.buyers.count=120", "policy=[uniform, key_accounts]"])
    X.run(sc, out=tmp_path / "d", figures=False, command=["test"])
    P.make_figures(tmp_path / "d")
    fig = drawn["answer"]
    over_time = [ax for ax in fig.axes if ax.get_xlabel() == "tick"]
    assert [ax.get_title() for ax in over_time] == ["revenue over time (mean over runs)", "profit over time (mean over runs)"]
    for ax in over_time:
        shock = [ln for ln in ax.get_lines() if ln.get_label() == "key-account shock (tick 25)"]
        assert len(shock) == 1 and list(shock[0].get_xdata()) == [25, 25]
    assert fig.texts[0].get_text().startswith("How concentrated is revenue before the key-account shock")


def test_no_module_of_sim_switches_the_matplotlib_backend():
    """A notebook's inline backend survives importing sim (#16): every module, the customer figures included."""
    import os
    import subprocess
    import sys

    code = """
import pkgutil, importlib, matplotlib, sim
skip = {"sim.dashboard"}  # a solara page: it starts a market at import (its own test imports it)
for m in pkgutil.walk_packages(sim.__path__, "sim."):
    if m.name not in skip and not m.name.endswith("__main__"):
        importlib.import_module(m.name)
print(matplotlib.get_backend())
"""
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "MPLBACKEND": "svg"},
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "svg"
