"""The engine against its oracle: the same market run the plain Mesa way.

``sim.testing.plain_mesa`` runs the market one agent and one relationship at a
time in plain Python (agents under ``shuffle_do``), calling the same equations
of ``sim.dynamics`` as plain Python, with its own bookkeeping: who trades, the
split of the contact budget, softmax orders, rationing, stage moves,
dissolutions, cool-downs, the per-tick aggregates. Both draw the same random
numbers without sharing any order: every draw is an order-free, counter-based
draw of ``sim.draws`` (a function of the seed, the mechanism, the tick and the
agent or relationship concerned), which the engine makes row by row in its
compiled passes and the oracle agent by agent, relationship by relationship,
when each needs its number (in ``shuffle_do``'s random order, with its
relationships in creation order rather than the engine's row order). With the
same numbers, the compiled engine must give the same trajectories: the same
event log, transition for transition, the same per-tick aggregates (within
rtol 1e-4: the engine keeps relationship state in float32 and adds totals
exactly on a grid, ``sim.sums``; the oracle uses plain float64), and the same
state of every relationship.

When the engine's bookkeeping changes (sim/trade.py, sim/lifecycle.py, ...),
the oracle must be changed the same way: that is what this test is for.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.policies import POLICIES, assign_policies
from sim.testing import PlainMarket

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
    "new customers first, face to face, orientation targeting": dict(
        policy="new_customers_first", channel="face_to_face", prospect_targeting="orientation"
    ),
    "at risk, moving average, no information sharing, growth": dict(
        policy="at_risk", forecast_method="moving_average", information_sharing=False, demand_trend=0.01
    ),
    "shared values program, reinforcement, excessive trust": dict(
        policy="shared_values_program", choice_rule="reinforcement", excessive_trust=True,
        excessive_trust_threshold=0.6
    ),
    "policy mix with imitation: database, key accounts, values programme": dict(
        policy_mix={"customer_database": 0.25, "key_accounts": 0.25, "shared_values_program": 0.5},
        imitation_every=4, imitation_strength=1.0
    ),
}


def test_cases_cover_every_policy_and_rule():
    """The cases run the reinforcement choice rule, excessive trust and every registered retention policy."""
    cases = [{**BASE, **c} for c in CASES.values()]
    assert len(cases) >= 5
    assert any(c.get("choice_rule") == "reinforcement" for c in cases)
    assert any(c.get("excessive_trust") for c in cases)
    assert set(POLICIES) <= {c.get("policy", "uniform") for c in cases}


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
    # customer lifetime value: money accumulated in float32 over the run
    assert np.abs(theirs["clv"]).max() > 1.0
    assert np.allclose(mine["clv"].to_numpy(float), theirs["clv"].to_numpy(float), rtol=1e-4, atol=1e-3)


def test_oracle_detects_a_changed_rule():
    """The comparison has teeth: a slightly different trust gain in one version shows up."""
    kw = {**BASE, **CASES["logit, uniform"]}
    engine = sim.MarketModel(rng=7, **kw)
    engine.run_for(15)
    plain = PlainMarket(rng=7, **{**kw, "trust_gain": kw.get("trust_gain", 0.08) * 1.01})
    plain.run_for(15)
    x, y = engine.timeseries["mean_trust"].to_numpy(), plain.timeseries["mean_trust"].to_numpy()
    assert not np.allclose(x, y, rtol=1e-4, atol=1e-6)


def test_imitation_changes_policies_in_both(pair):
    """Where the case imitates, exporters did change policy, identically in both versions."""
    engine, plain = pair
    if not engine.P.imitation_every:
        pytest.skip("no imitation in this case")
    mix = next(c["policy_mix"] for c in CASES.values() if c.get("imitation_every"))
    start = assign_policies(mix, "uniform", engine.exporters.n, engine.draw_seed).code
    assert np.count_nonzero(engine.exporters.policy != start) >= 2  # exporters moved
    assert np.array_equal(engine.exporters.policy, plain.policy_code)
