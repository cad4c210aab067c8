"""The engine against its oracle: the same rules written the plain Mesa way.

``benchmarks/plain_mesa.py`` re-writes every rule one relationship at a time in
plain Python (agents under ``shuffle_do``). With the random numbers fixed (both
read the same streams in the same amounts), the vectorised engine must give the
same trajectories: the same event log, transition for transition, the same
per-tick aggregates, and the same state of every relationship.

When a rule of the engine changes (sim/dynamics.py, sim/lifecycle.py, ...), the
oracle must be changed the same way: that is what this test is for.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sim  # noqa: E402
from benchmarks.plain_mesa import PlainMarket  # noqa: E402

TICKS = 40
#: about 10^3 live relationships
BASE = dict(n_exporters=12, n_buyers=500, initial_relationships=2.0)
KEY = ["tick", "relationship", "exporter", "buyer", "from_stage", "to_stage", "cause"]

CASES = {
    "logit, uniform": {},
    "reinforcement, moving average, key accounts": dict(
        choice_rule="reinforcement", forecast_method="moving_average", policy="key_accounts"
    ),
    "seasonal index, database, excessive trust, shock": dict(
        forecast_method="seasonal_index", policy="customer_database", excessive_trust=True, shock_tick=15
    ),
    "survey, exits, size targeting": dict(
        policy="satisfaction_survey", exit_rate=0.02, prospect_targeting="size", fair_every=5
    ),
    "WKH: all aware, loyal start, no dissolution": dict(
        initial_awareness="all", n_buyers=80, choice_rule="reinforcement", initial_loyal=2.0, dissolution=False
    ),
}


def _engine_events(model) -> np.ndarray:
    ev = model.events
    ev = ev.assign(
        from_stage=ev["from_stage"].cat.codes.astype(int) - 1,
        to_stage=ev["to_stage"].cat.codes.astype(int) - 1,
        cause=ev["cause"].cat.codes.astype(int),
    )
    return ev[KEY].astype(np.int64).sort_values(KEY).to_numpy()


@pytest.fixture(scope="module", params=list(CASES), ids=list(CASES))
def pair(request):
    kw = {**BASE, **CASES[request.param]}
    engine = sim.MarketModel(rng=7, **kw)
    engine.run_for(TICKS)
    plain = PlainMarket(rng=7, **kw)
    plain.run_for(TICKS)
    return engine, plain


def test_same_event_log(pair):
    engine, plain = pair
    a = _engine_events(engine)
    b = plain.events[KEY].astype(np.int64).sort_values(KEY).to_numpy()
    assert len(a) > 500  # the run is eventful: awareness, trials, stage moves, dissolutions
    assert np.array_equal(a, b)


def test_same_timeseries(pair):
    engine, plain = pair
    ta, tb = engine.timeseries, plain.timeseries
    assert list(ta.columns) == list(tb.columns)
    assert ta["n_live"].mean() > 300
    for col in ta.columns:
        x, y = ta[col].to_numpy(float), tb[col].to_numpy(float)
        # the engine stores relationship state in float32; the oracle computes in float64
        assert np.allclose(x, y, rtol=1e-4, atol=1e-6, equal_nan=True), col


def test_same_relationship_state(pair):
    engine, plain = pair
    mine = engine.relationships
    theirs = plain.relationship_state()
    assert np.array_equal(mine["relationship"].to_numpy(), theirs["relationship"].to_numpy())
    assert np.array_equal(mine["stage"].cat.codes.to_numpy(), theirs["stage"].to_numpy())
    for col in ("trust", "commitment", "satisfaction"):
        assert np.allclose(mine[col].to_numpy(float), theirs[col].to_numpy(float), atol=1e-4), col


def test_oracle_detects_a_changed_rule():
    """The comparison has teeth: a slightly different trust gain in one version shows up."""
    kw = {**BASE, **CASES["logit, uniform"]}
    engine = sim.MarketModel(rng=7, **kw)
    engine.run_for(15)
    plain = PlainMarket(rng=7, **{**kw, "trust_gain": kw.get("trust_gain", 0.08) * 1.01})
    plain.run_for(15)
    x, y = engine.timeseries["mean_trust"].to_numpy(), plain.timeseries["mean_trust"].to_numpy()
    assert not np.allclose(x, y, rtol=1e-4, atol=1e-6)
