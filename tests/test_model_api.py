"""The public API of the engine: Mesa integration, argument checking, what a run records."""

from __future__ import annotations

import inspect
import pickle

import mesa
import numpy as np
import pandas as pd
import pytest

from sim import Buyer, Exporter, MarketModel
from sim.parameters import BY_NAME, PARAMS
from sim.vocab import DISSOLUTION_CAUSES, STAGES

TINY = dict(n_exporters=3, n_buyers=40)

#: columns issue 2 requires of model.timeseries and model.events
TIMESERIES_REQUIRED = [
    "tick", "n_awareness", "n_exploration", "n_expansion", "n_commitment", "n_dissolved", "dissolutions",
    "mean_trust", "mean_commitment", "retention_rate", "revenue", "profit", "forecast_mape", "fill_rate",
    "inventory_cost", "loyalty_y",
]
EVENTS_REQUIRED = ["tick", "exporter", "buyer", "from_stage", "to_stage", "cause"]


def test_batch_run():
    rows = mesa.batch_run(
        MarketModel,
        parameters={**TINY, "contact_budget": [0.1, 1.0], "policy": ["uniform", "key_accounts"]},
        rng=[1, 2],
        max_steps=6,
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    df = pd.DataFrame(rows)
    assert len(df) == 2 * 2 * 2
    for col in ("RunId", "Step", "contact_budget", "policy", "n_commitment", "mean_trust", "loyalty_y", "revenue"):
        assert col in df.columns
    assert (df["Step"] == 6).all()
    assert set(df["policy"]) == {"uniform", "key_accounts"}
    # each run is a real run: more contact budget builds more trust on the same seed and policy
    piv = df.pivot_table(index=["rng", "policy"], columns="contact_budget", values="mean_trust")
    assert (piv[1.0] > piv[0.1]).all()


def test_batch_run_every_step():
    rows = mesa.batch_run(MarketModel, parameters=TINY, rng=[3], max_steps=5, number_processes=1,
                          data_collection_period=1, display_progress=False)
    df = pd.DataFrame(rows)
    assert df["Step"].tolist() == [0, 1, 2, 3, 4, 5] or df["Step"].tolist() == [1, 2, 3, 4, 5]


def test_agents_are_mesa_agents():
    model = MarketModel(rng=0, n_exporters=7, n_buyers=55)
    exporters, buyers = model.agents_by_type[Exporter], model.agents_by_type[Buyer]
    assert len(exporters) == 7 and len(buyers) == 55 and len(model.agents) == 62
    assert sorted(a.index for a in exporters) == list(range(7))
    assert sorted(a.index for a in buyers) == list(range(55))
    assert all(isinstance(a, mesa.Agent) and a.model is model for a in model.agents)
    model.run_for(30)
    e = next(iter(exporters))
    assert e.quality == pytest.approx(model.exporters.quality[e.index])
    assert e.count_customers() == len(e.list_relationships().query("stage != 'awareness'"))
    total = sum(b.count_suppliers() for b in buyers)
    assert total == model.timeseries[["n_exploration", "n_expansion", "n_commitment"]].iloc[-1].sum()
    assert {b.orientation for b in buyers} == {"partnership", "transactional"}


def test_signature_lists_every_parameter():
    sig = inspect.signature(MarketModel)
    names = [n for n in sig.parameters if n not in ("rng", "policy_mix")]
    assert names == [p.name for p in PARAMS]
    for p in PARAMS:
        assert sig.parameters[p.name].default == p.default
        assert p.name in MarketModel.__doc__


BAD = [
    ("n_exporter", 5, ["n_exporter", "n_exporters"]),  # unknown name, with a suggestion
    ("zz_top", 1, ["zz_top"]),
    ("n_exporters", 0, ["n_exporters", "[1, 100000]"]),
    ("n_buyers", 2.5, ["n_buyers", "integer"]),
    ("n_exporters", "many", ["n_exporters", "integer"]),
    ("beta", -1.0, ["beta", "[0, 1000]"]),
    ("beta", "high", ["beta", "number"]),
    ("trust_gain", 1.5, ["trust_gain", "[0, 1]"]),
    ("partnership_share", float("nan"), ["partnership_share", "[0, 1]"]),
    ("dissatisfaction_level", 0.5, ["dissatisfaction_level", "[-1, 0]"]),
    ("choice_rule", "softmax", ["choice_rule", "'logit'", "'reinforcement'"]),
    ("forecast_method", "arima", ["forecast_method", "'moving_average'"]),
    ("information_sharing", "yes", ["information_sharing", "true or false"]),
    ("policy", "loyalty_card", ["policy", "loyalty_card", "'uniform'", "'key_accounts'"]),
    ("rng", -1, ["rng", "non-negative"]),
    ("rng", "abc", ["rng"]),
]


@pytest.mark.parametrize("name, value, words", BAD, ids=[f"{n}={v!r}" for n, v, _ in BAD])
def test_bad_argument_raises_naming_it(name, value, words):
    with pytest.raises(ValueError) as info:
        MarketModel(**{name: value})
    msg = str(info.value)
    assert "\n" not in msg
    for w in words:
        assert w in msg, msg


def test_good_arguments_are_coerced():
    model = MarketModel(rng=np.int64(3), n_exporters=np.int64(4), n_buyers=30.0, beta=np.float32(2.0), dissolution=0)
    assert model.p["n_exporters"] == 4 and isinstance(model.p["n_buyers"], int)
    assert model.p["dissolution"] is False and isinstance(model.p["beta"], float)


def test_every_parameter_boundary_is_accepted_and_just_beyond_rejected():
    for p in PARAMS:
        if p.low is None or p.kind not in (int, float):
            continue
        p.check(p.low)
        p.check(p.high)
        step = 1 if p.kind is int else 1e-9 * max(1.0, abs(p.high))
        with pytest.raises(ValueError, match=p.name):
            p.check(p.high + step)
        with pytest.raises(ValueError, match=p.name):
            p.check(p.low - (1 if p.kind is int else 1e-9 * max(1.0, abs(p.low)) + 1e-12))


def test_default_market_shows_every_stage_and_several_dissolution_causes(default_run):
    ts, ev = default_run.timeseries, default_run.events
    assert len(ts) == 200
    for stage in STAGES[:4]:
        assert ts[f"n_{stage}"].max() > 0, stage
        assert (ev["to_stage"] == stage).any()
    assert ts["n_commitment"].iloc[-1] > 50
    causes = ev.loc[ev["to_stage"] == "dissolved", "cause"].value_counts()
    causes = causes[causes > 0]
    assert len(causes) >= 3 and set(causes.index) <= set(DISSOLUTION_CAUSES)
    trading = ev[(ev["to_stage"] == "dissolved") & (ev["from_stage"] != "awareness")]["cause"].value_counts()
    assert (trading > 0).sum() >= 2  # trading relationships end for more than one reason
    assert ts["active_exporters"].iloc[-1] >= 18


def test_timeseries_and_events_columns(default_run):
    ts, ev = default_run.timeseries, default_run.events
    assert set(TIMESERIES_REQUIRED) <= set(ts.columns)
    assert set(EVENTS_REQUIRED) <= set(ev.columns)
    assert ts[TIMESERIES_REQUIRED].iloc[20:].notna().all().all()
    y = ts["loyalty_y"].iloc[20:]
    assert ((y > 0) & (y <= 1)).all()
    assert (ts["fill_rate"].between(0, 1)).all() and (ts["forecast_mape"] >= 0).all()
    assert (ts["revenue"].iloc[10:] > 0).all()


def test_relationships_table(default_run):
    rel = default_run.relationships
    for col in ("relationship", "exporter", "buyer", "stage", "trust", "trust_calculus", "trust_knowledge",
                "trust_identification", "commitment", "switching_cost", "satisfaction", "shared_values",
                "volume", "clv", "cause", "born", "ended", "duration", "partnership"):
        assert col in rel.columns, col
    assert rel["relationship"].is_unique and len(rel) == default_run.ledger.n_created
    assert (rel["duration"] >= 0).all()
    assert rel["shared_values"].between(0, 1).all()


def test_exporter_table_revenue_concentration(default_run):
    ex = default_run.exporter_table
    assert len(ex) == 20
    hhi = ex["revenue_hhi"].dropna()
    assert ((hhi > 0) & (hhi <= 1)).all()
    assert ex["revenue"].sum() == pytest.approx(default_run.timeseries["revenue"].sum(), rel=1e-6)


def test_model_is_picklable_and_resumes_identically():
    a = MarketModel(rng=9, **TINY)
    a.run_for(10)
    b = pickle.loads(pickle.dumps(a))
    a.run_for(10)
    b.run_for(10)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    pd.testing.assert_frame_equal(a.events, b.events)


def test_key_account_shock_and_snapshots():
    m = MarketModel(rng=1, n_exporters=5, n_buyers=150, shock_tick=40, snapshot_every=10)
    m.run_for(40)
    ev, rel = m.events, m.relationships
    lost = ev[ev["cause"] == "key_account_loss"]
    assert (lost["tick"] == 40).all() and lost["exporter"].is_unique
    had_customers = rel[(rel["peak"] != "awareness") & ((rel["ended"] == -1) | (rel["ended"] == 40))]
    assert set(lost["exporter"]) == set(had_customers["exporter"]) and len(lost) >= 4
    # the one lost is the exporter's largest account by revenue so far
    top = had_customers.loc[had_customers.groupby("exporter")["revenue"].idxmax(), "relationship"]
    assert set(top) == set(lost["relationship"])
    m.run_for(10)
    assert sorted(m.snapshots["tick"].unique()) == [10, 20, 30, 40, 50]


def test_odd_documents_every_parameter():
    """docs/ODD.md carries the parameter table generated from PARAMS, exactly."""
    import importlib.util
    from pathlib import Path

    docs = Path(__file__).resolve().parents[1] / "docs"
    spec = importlib.util.spec_from_file_location("odd_params", docs / "odd_params.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    BEGIN, END, parameter_table = mod.BEGIN, mod.END, mod.parameter_table

    text = (docs / "ODD.md").read_text()
    assert BEGIN in text and END in text
    block = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert block == parameter_table().strip(), "docs/ODD.md is stale: run `python docs/odd_params.py`"
    for name in BY_NAME:
        assert f"`{name}`" in text
    for name in ("uniform", "new_customers_first", "key_accounts", "at_risk", "satisfaction_survey",
                 "customer_database", "shared_values_program"):
        assert f"`{name}`" in text
