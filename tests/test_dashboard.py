"""The classroom dashboard without a browser: controls, the market it builds, what it draws.

The real-browser test is tests/test_dashboard_browser.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("solara")
import ipyvuetify as v  # noqa: E402
import solara  # noqa: E402

import sim  # noqa: E402
from sim import dashboard as d  # noqa: E402
from sim.parameters import BY_NAME, DEFAULTS  # noqa: E402
from sim.vocab import STAGES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = {"n_exporters", "n_buyers", "contact_budget", "values_spread", "switching_cost_strength",
            "opportunism_mean", "partnership_share", "policy", "beta"}


def small(**kw):
    return d.ClassroomMarket(**{"n_exporters": 5, "n_buyers": 80, **kw}, rng=3)


# ---- controls ----------------------------------------------------------------------
def test_controls_cover_the_classroom_parameters_and_start_at_the_defaults():
    params = d.model_params()
    assert REQUIRED <= set(params)
    for name in REQUIRED:
        assert params[name]["value"] == DEFAULTS[name], name
    assert params["policy"]["values"] == sorted(sim.POLICIES)
    # nothing fixed without a scenario: every other parameter keeps the engine default
    assert set(params) == REQUIRED | {"rng"}


@pytest.mark.parametrize("name", sorted(d.CONTROLS))
def test_every_slider_end_is_a_valid_parameter_value(name):
    spec = d.model_params()[name]
    p = BY_NAME[name]
    for end in (spec["min"], spec["max"]):
        assert p.check(end) == end
    assert spec["min"] <= spec["value"] <= spec["max"]
    for end in (spec["min"], spec["max"]):
        model = d.ClassroomMarket(**{"n_exporters": 3, "n_buyers": 60, name: end}, rng=0)
        model.step()
        assert model.p[name] == end


def test_mesa_accepts_the_controls_for_the_model():
    from mesa.visualization.solara_viz import _check_model_params

    _check_model_params(d.ClassroomMarket.__init__, d.model_params())
    with pytest.raises(ValueError):
        _check_model_params(d.ClassroomMarket.__init__, {"no_such_parameter": 1})


def test_a_scenario_file_fixes_its_parameters_and_moves_the_sliders(tmp_path):
    kwargs, seed = d.scenario_kwargs(ROOT / "scenarios" / "classroom.yaml")
    assert kwargs["n_exporters"] == 8 and kwargs["n_buyers"] == 120 and kwargs["fair_every"] == 6
    params = d.model_params(kwargs, seed)
    assert params["n_exporters"]["value"] == 8 and params["n_buyers"]["value"] == 120
    assert params["fair_every"] == 6  # not a control: passed through fixed
    model = d.make_model(params)
    assert model.p["fair_every"] == 6 and model.p["n_buyers"] == 120
    assert params["rng"]["value"] == seed and params["rng"]["max"] >= seed  # the file's seed, not folded
    b = params["n_buyers"]  # 120 buyers is a position of the slider (its step adapts)
    assert (b["value"] - b["min"]) % b["step"] == 0 and b["value"] == 120


def test_a_scenario_value_outside_a_slider_widens_the_slider():
    params = d.model_params({"n_buyers": 5000, "beta": 50.0})
    assert params["n_buyers"]["max"] == 5000 and params["n_buyers"]["value"] == 5000
    assert params["beta"]["max"] == 50.0


# ---- the app, rendered without a browser ------------------------------------------------
def _summary(rc) -> str:
    texts = [w.children[0] for w in rc.find(v.Html, tag="span").widgets
             if w.children and isinstance(w.children[0], str) and w.children[0].startswith("Tick ")]
    assert len(texts) == 1, texts
    return texts[0]


def _slider(rc, name: str):
    """The sidebar slider whose label starts with ``name:`` (labels carry the current value)."""
    (w,) = [w for w in rc.find(v.Slider).widgets if (w.label or "").startswith(name + ":")]
    return w


def _texts(rc, prefix: str) -> list[str]:
    return [w.children[0] for w in rc.find(v.Html, tag="span").widgets
            if w.children and isinstance(w.children[0], str) and w.children[0].startswith(prefix)]


@pytest.fixture
def rc():
    """The app rendered without a browser; closed after the test (its components stop following Mesa)."""
    _, rc = solara.render(solara.AppLayout(children=[d.Page()]), handle_error=False)
    yield rc
    rc.close()


def test_controls_show_their_values_and_take_effect_on_reset(rc):
    assert _summary(rc).startswith("Tick 0 · 20 exporters × 500 buyers · policy uniform")
    assert _slider(rc, "Exporters").label == "Exporters: 20"
    assert _slider(rc, "Opportunism (mean)").label == "Opportunism (mean): 0.05"
    assert _slider(rc, "Seed").label == "Seed: 1"
    assert not _texts(rc, "Next Reset")  # nothing changed: no notice
    _slider(rc, "Exporters").v_model = 6
    _slider(rc, "Buyers").v_model = 100
    _slider(rc, "Opportunism (mean)").v_model = 0.2
    rc.find(v.Select, label="Retention policy").widget.v_model = "key_accounts"
    # each slider shows where it is now; the running market is unchanged until Reset, and the
    # summary lists what the next Reset will change
    assert _slider(rc, "Exporters").label == "Exporters: 6"
    assert _slider(rc, "Opportunism (mean)").label == "Opportunism (mean): 0.20"
    assert _summary(rc).startswith("Tick 0 · 20 exporters × 500 buyers · policy uniform")
    (pending,) = _texts(rc, "⟳ Next Reset:")
    for change in ("exporters 20 → 6", "buyers 500 → 100", "opportunism (mean) 0.05 → 0.20",
                   "retention policy uniform → key_accounts"):
        assert change in pending, pending
    assert "seed" not in pending and "beta" not in pending  # unchanged controls are not listed
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert _summary(rc) == "Tick 0 · 6 exporters × 100 buyers · policy key_accounts"
    assert not _texts(rc, "Next Reset")
    # controls never moved reach the new market too (Mesa hands their reactive values to the model)
    assert _slider(rc, "Seed").label == "Seed: 1"
    step = rc.find(v.Btn, children=["Step"]).widget
    for _ in range(4):
        step.click()
    assert _summary(rc).startswith("Tick 4 · 6 exporters × 100 buyers")
    charts = [w for w in rc.find(d.JsonEcharts).widgets]
    titles = [json.loads(w.update_json)["title"]["text"] for w in charts]
    assert any(t.startswith("Tick 4: ") for t in titles), titles
    # a second Reset with a moved seed builds a different market of the same size
    _slider(rc, "Seed").v_model = 7
    assert "seed 1 → 7" in _texts(rc, "⟳ Next Reset:")[0]
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert _summary(rc) == "Tick 0 · 6 exporters × 100 buyers · policy key_accounts"
    assert "seed 7" in _texts(rc, "Running market")[0]


def test_pending_changes_compare_controls_with_the_running_market():
    model = small(beta=2.0)
    now = d.market_settings(model)
    assert now["beta"] == 2.0 and now["rng"] == 3 and now["n_exporters"] == 5
    assert d.pending_changes(model, now) == {}
    assert d.pending_changes(model, {**now, "beta": 6.5, "policy": "key_accounts"}) == {
        "beta": (2.0, 6.5), "policy": ("uniform", "key_accounts")}
    lines = d.summary_lines(model, {**now, "beta": 6.5})
    assert lines[2] == "⟳ Next Reset: intensity of choice (beta) 2.0 → 6.5 — press Reset to apply"


def test_a_step_re_renders_relsims_components_together_in_one_pass(rc):
    step = rc.find(v.Btn, children=["Step"]).widget
    step.click()
    runs = [c.render_count for c in d.COMPONENTS]
    passes = rc.render_count
    for _ in range(3):
        step.click()
    # Mesa re-renders each follower of its update counter in a pass of its own (six per Step with
    # relsim's five components following it); relayed, relsim's components share one pass and
    # Mesa's step counter ("Information") takes the other
    assert rc.render_count - passes <= 2 * 3
    for c, before in zip(d.COMPONENTS, runs):
        assert c.render_count - before == 3, c.name  # each component once per Step


# ---- what the charts show ------------------------------------------------------------------
def test_dissolution_tally_matches_the_event_log():
    model = small(cooldown=0)  # cooldown 0: rows are archived the tick they dissolve
    model.run_for(60)
    ev = model.events
    ends = ev[ev["to_stage"] == "dissolved"]
    trading = ends[ends["from_stage"] != "awareness"]
    counts = trading["cause"].value_counts()
    assert model.dissolved_by_cause.shape == (61, len(d.TRADING_CAUSES))
    for i, cause in enumerate(d.TRADING_CAUSES):
        assert model.dissolved_by_cause[-1, i] == counts.get(cause, 0), cause
    assert model.lapsed_awareness == int((ends["from_stage"] == "awareness").sum())
    assert model.dissolved_by_cause[-1].sum() > 0
    assert np.all(np.diff(model.dissolved_by_cause, axis=0) >= 0)  # cumulative


def test_network_edges_are_the_trading_relationships_by_stage():
    model = small()
    model.run_for(25)
    option = d.network_chart(model)
    rel = model.relationships
    for s in ("exploration", "expansion", "commitment"):
        (series,) = [x for x in option["series"] if x["name"] == s]
        assert len(series["data"]) == int((rel["stage"] == s).sum()), s
        assert series["lineStyle"]["color"] == d.STAGE_COLORS[s]
    live = rel[rel["stage"].isin(["exploration", "expansion", "commitment"])]
    assert option["title"]["text"] == f"Tick 25: {len(live)} trading relationships"
    # every edge joins its exporter (inner ring) to its buyer (outer ring)
    (expl,) = [x for x in option["series"] if x["name"] == "exploration"]
    for seg in expl["data"]:
        (x0, y0), (x1, y1) = seg
        assert np.hypot(x0, y0) == pytest.approx(d.INNER, abs=2e-3)
        assert np.hypot(x1, y1) == pytest.approx(d.OUTER, abs=2e-3)
    json.dumps(option, allow_nan=False)  # what the widget sends must be strict JSON


def test_layout_is_computed_once_and_follows_shared_values():
    model = small(values_spread=0.8)
    pe, pb = model.layout_exporters.copy(), model.layout_buyers.copy()
    model.run_for(10)
    assert model.layout_exporters is not None and np.array_equal(model.layout_exporters, pe)
    assert np.array_equal(model.layout_buyers, pb)
    # buyers whose values are close sit close on the ring: nearest-in-values pairs are nearer
    # on the ring than random pairs
    vals = model.buyers.values
    sim_ = vals @ vals.T
    np.fill_diagonal(sim_, -np.inf)
    nearest = sim_.argmax(axis=1)
    ring = lambda i, j: np.linalg.norm(pb[i] - pb[j], axis=-1)  # noqa: E731
    rng = np.random.default_rng(0)
    others = rng.integers(0, len(pb), len(pb))
    assert ring(np.arange(len(pb)), nearest).mean() < 0.5 * ring(np.arange(len(pb)), others).mean()


def test_each_chart_is_sent_as_a_static_part_once_and_a_per_step_update():
    model = small()
    model.run_for(5)
    charts = (d.stage_chart, d.trust_chart, d.dissolution_chart, d.network_chart)
    before = {f: d.split_option(f(model)) for f in charts}
    model.run_for(5)
    for f in charts:
        option = f(model)
        static, update = d.split_option(option)
        assert static == before[f][0], f.__name__  # unchanged by steps: reacton does not re-send it
        assert update != before[f][1], f.__name__
        static, update = json.loads(static), json.loads(update)
        # static + update (merged by series name in the browser) is the whole option
        data = {s["name"]: s["data"] for s in static["series"]} | {s["name"]: s["data"] for s in update["series"]}
        assert data == {s["name"]: json.loads(json.dumps(s["data"])) for s in option["series"]}
        assert update["title"]["text"] == option["title"]["text"]
        assert set(s["name"] for s in update["series"]).isdisjoint(d.STATIC_SERIES)
    # buyers' positions are static for a market, but belong to it: a new market re-sends them
    other = small(values_spread=1.5)
    assert d.split_option(d.network_chart(other))[0] != d.split_option(d.network_chart(model))[0]


def test_dissolution_legend_shows_every_cause():
    option = d.dissolution_chart(small())
    assert option["legend"]["type"] == "plain"  # a scrolling legend hid "dissatisfaction" on a second page
    assert [s["name"] for s in option["series"]] == [c.replace("_", " ") for c in d.TRADING_CAUSES]
    assert "dissatisfaction" in [s["name"] for s in option["series"]]


def test_timeseries_is_built_once_per_tick_and_stays_current():
    model = small()
    model.run_for(3)
    assert model.timeseries is model.timeseries
    model.step()
    fresh = sim.MarketModel.timeseries.fget(model)
    assert len(model.timeseries) == len(fresh) == 4
    assert model.timeseries.equals(fresh)


def test_time_charts_follow_the_timeseries():
    model = small()
    model.run_for(12)
    ts = model.timeseries
    stage = d.stage_chart(model)
    for s in STAGES[:4]:
        (series,) = [x for x in stage["series"] if x["name"] == s]
        assert [y for _, y in series["data"]] == ts[f"n_{s}"].tolist()
    trust = d.trust_chart(model)
    (mt,) = [x for x in trust["series"] if x["name"] == "mean trust"]
    assert [y for _, y in mt["data"]] == pytest.approx(ts["mean_trust"].tolist(), abs=1e-4)


def test_the_engine_does_not_import_the_dashboard():
    code = ("import sys, sim, sim.experiments, sim.scenarios, sim.cli; "
            "bad = [m for m in ('sim.dashboard', 'solara') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# ---- relsim dashboard ------------------------------------------------------------------
def _relsim(*args, **kw):
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, **kw)


@pytest.mark.parametrize("args, needle", [
    (["dashboard", "no_such_file.yaml"], "no_such_file.yaml"),
    (["dashboard", "--port", "70000"], "--port=70000"),
])
def test_relsim_dashboard_rejects_bad_input_in_one_line(args, needle):
    r = _relsim(*args)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and lines[0].startswith("error:")
    assert "relsim dashboard: http" not in r.stdout  # no server was started


def test_relsim_dashboard_serves_a_scenario_on_localhost(tmp_path):
    import os
    import signal
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = open(tmp_path / "out.txt", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "dashboard", "scenarios/classroom.yaml", "--port",
                             str(port)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (tmp_path / "out.txt").read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "no answer within 120 s"
                time.sleep(0.5)
        first = (tmp_path / "out.txt").read_text().splitlines()[0]
        assert first.startswith(f"relsim dashboard: http://127.0.0.1:{port}/")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
