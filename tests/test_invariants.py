"""Invariants that hold in every run, whatever the parameters.

Bounds (trust, its three forms and commitment in [0, 1]) and stage accounting
are checked tick by tick; the lifecycle rules (allowed transitions, dissolution
absorbing, cool-down before a re-approach, fall-backs from commitment) are
checked on the event log. Hypothesis draws parameter sets for a small market.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim import dynamics
from sim.vocab import COMMITMENT, DISSOLVED, EXPANSION
from sim.parameters import record, validate
from sim.vocab import DISSOLUTION_CAUSES

#: every transition the lifecycle allows (from, to); "none" -> awareness is a first meeting
ALLOWED = {
    ("none", "awareness"),
    ("awareness", "exploration"),
    ("awareness", "dissolved"),
    ("exploration", "expansion"),
    ("exploration", "dissolved"),
    ("expansion", "commitment"),
    ("expansion", "dissolved"),
    ("commitment", "expansion"),
    ("commitment", "dissolved"),
}
BOUNDED = ("trust", "trust_calculus", "trust_knowledge", "trust_identification", "commitment")


def step_and_check(model: sim.MarketModel, ticks: int) -> None:
    """Run ``ticks`` ticks, checking bounds and stage accounting after each."""
    for _ in range(ticks):
        model.step()
        L = model.ledger
        live = L.stage != DISSOLVED
        for col in BOUNDED:
            x = getattr(L, col)[live]
            assert np.all((x >= 0) & (x <= 1)), (model.steps, col, x.min(), x.max())
        assert np.all(np.isfinite(L.satisfaction)) and np.all(L.switching_cost >= 0)
        row = model.recorder.last()
        assert row["n_awareness"] + row["n_exploration"] + row["n_expansion"] + row["n_commitment"] == row["n_live"]
        assert row["n_live"] == int(live.sum())
        assert row["n_live"] + row["n_dissolved"] == L.n_created
        for col in ("mean_trust", "mean_commitment", "retention_rate", "fill_rate"):
            v = row[col]
            assert np.isnan(v) or 0.0 <= v <= 1.0, (col, v)


def check_events(model: sim.MarketModel) -> None:
    """Lifecycle rules on the whole event log of a finished run."""
    ev = model.events
    pairs = set(zip(ev["from_stage"].astype(str), ev["to_stage"].astype(str)))
    assert pairs <= ALLOWED, pairs - ALLOWED
    # no jump from awareness straight to expansion or commitment
    aw = ev[ev["from_stage"] == "awareness"]
    assert aw["to_stage"].isin(["exploration", "dissolved"]).all()

    # each relationship's events form a chain: from_stage == previous to_stage;
    # it starts with a meeting, and nothing follows its dissolution (absorbing)
    ev = ev.sort_values(["relationship", "tick"], kind="stable")
    prev = ev.groupby("relationship")["to_stage"].shift().astype(object).fillna("none")
    assert (ev["from_stage"].astype(str) == prev.astype(str)).all()
    assert (ev["from_stage"] != "dissolved").all()
    last = ev.groupby("relationship").tail(1).set_index("relationship")["to_stage"].astype(str)
    rel = model.relationships.set_index("relationship")
    assert (rel.loc[last.index, "stage"].astype(str) == last).all()
    assert len(rel) == model.ledger.n_created == ev["relationship"].nunique()

    # every dissolution has a dissolution cause
    dis = ev[ev["to_stage"] == "dissolved"]
    assert dis["cause"].isin(DISSOLUTION_CAUSES).all()
    assert (rel.loc[rel["stage"] == "dissolved", "cause"].isin(DISSOLUTION_CAUSES)).all()
    assert (rel.loc[rel["stage"] != "dissolved", "ended"] == -1).all()

    # a pair meets again only after its previous relationship dissolved and cooled
    # down, and then as a new relationship (ids grow with creation)
    by_pair = rel.reset_index().sort_values(["exporter", "buyer", "relationship"])
    prev_end = by_pair.groupby(["exporter", "buyer"])["ended"].shift()
    again = by_pair[prev_end.notna()]
    prev_end = prev_end[prev_end.notna()]
    assert (prev_end >= 0).all()  # the earlier relationship of the pair had ended
    assert (again["born"] - prev_end >= model.p["cooldown"]).all()


def test_default_market_invariants_every_tick(default_run):
    model = sim.MarketModel(rng=3)
    step_and_check(model, 120)
    check_events(model)


def test_default_market_event_log(default_run):
    check_events(default_run)
    ev = default_run.events
    # commitment decays back to expansion (with hysteresis) in the default market
    fallbacks = ev[(ev["from_stage"] == "commitment") & (ev["to_stage"] == "expansion")]
    assert len(fallbacks) > 10
    assert (fallbacks["cause"] == "commitment_decay").all()
    # commitment never ends without a recorded dissolution cause
    ended = ev[(ev["from_stage"] == "commitment") & (ev["to_stage"] == "dissolved")]
    assert ended["cause"].isin(DISSOLUTION_CAUSES).all()


def test_fallbacks_respect_hysteresis():
    """A relationship falls back only once commitment is below threshold - hysteresis."""
    model = sim.MarketModel(rng=5, n_exporters=10, n_buyers=300)
    th, hy = model.p["commitment_threshold"], model.p["hysteresis"]
    seen = 0
    for _ in range(150):
        L = model.ledger
        committed = L.id[L.stage == COMMITMENT].copy()
        model.step()
        L = model.ledger
        fell = (L.stage == EXPANSION) & np.isin(L.id, committed)
        assert np.all(L.commitment[fell] < th - hy)
        # and those still committed are above the fall-back level
        stayed = (L.stage == COMMITMENT) & np.isin(L.id, committed)
        assert np.all(L.commitment[stayed] >= th - hy)
        seen += int(fell.sum())
    assert seen > 0


def test_cooldown_blocks_reapproach():
    """With a short cool-down pairs do meet again, never earlier than allowed."""
    for cooldown in (3, 15):
        model = sim.MarketModel(rng=2, n_exporters=4, n_buyers=60, cooldown=cooldown, media_reach=3.0)
        model.run_for(80)
        check_events(model)
        ev = model.events
        met = ev[ev["to_stage"] == "awareness"]
        assert met.duplicated(["exporter", "buyer"]).sum() > 5  # the cool-down is really exercised


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    trust_gain=st.floats(0.0, 1.0),
    trust_loss=st.floats(0.0, 1.0),
    opportunism_mean=st.floats(0.0, 0.9),
    opportunism_penalty=st.floats(0.0, 1.0),
    commitment_gain=st.floats(0.0, 1.0),
    commitment_decay=st.floats(0.0, 1.0),
    contact_budget=st.floats(0.0, 10.0),
    hysteresis=st.floats(0.0, 1.0),
    cooldown=st.integers(0, 30),
    choice_rule=st.sampled_from(["logit", "reinforcement"]),
    excessive_trust=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_invariants_hold_across_parameter_space(seed, **params):
    model = sim.MarketModel(rng=seed, n_exporters=5, n_buyers=80, **params)
    step_and_check(model, 30)
    check_events(model)


finite = st.floats(-10, 10, allow_nan=False)
unit = st.floats(0, 1)


@settings(max_examples=200, deadline=None)
@given(
    tc=unit, tk=unit, ti=unit, comm=unit, values=unit, sat=st.floats(-1, 1), detected=st.booleans(), committed=st.booleans(),
    gain=unit, loss=unit, penalty=unit, decay=unit, igain=unit,
    ce=st.floats(0, 10), sve=st.floats(0, 10),
)
def test_trust_update_stays_in_unit_interval(tc, tk, ti, comm, values, sat, detected, committed, gain, loss, penalty, decay, igain, ce, sve):
    P = record(validate(dict(trust_gain=gain, trust_loss=loss, opportunism_penalty=penalty, calculus_decay=decay,
                             identification_gain=igain, communication_effect=ce, shared_values_effect=sve)))
    out = dynamics.trust_update(tc, tk, ti, comm, values, sat, detected, committed, P)
    for x in out:
        assert 0.0 <= x <= 1.0
    assert out[3] == pytest.approx(dynamics.combine_trust(out[0], out[1], out[2]))


@settings(max_examples=200, deadline=None)
@given(c=unit, t=unit, v=unit, benefit=st.floats(-2, 2), sc=st.floats(0, 50), orient=st.sampled_from([0.5, 1.0]),
       gain=unit, decay=unit, sve=st.floats(0, 10), detected=st.booleans(), loss=unit)
def test_commitment_update_stays_in_unit_interval(c, t, v, benefit, sc, orient, gain, decay, sve, detected, loss):
    P = record(validate(dict(commitment_gain=gain, commitment_decay=decay, shared_values_effect=sve,
                             opportunism_commitment_loss=loss)))
    out = dynamics.commitment_update(c, t, v, benefit, sc, orient == 1.0, detected, P)
    assert 0.0 <= out <= 1.0


def test_timeseries_accounting(default_run):
    ts = default_run.timeseries
    stages = ts[["n_awareness", "n_exploration", "n_expansion", "n_commitment"]].sum(axis=1)
    pd.testing.assert_series_equal(stages, ts["n_live"], check_names=False)
    assert (ts["n_dissolved"].diff().fillna(ts["n_dissolved"].iloc[0]) == ts["dissolutions"]).all()
    assert (ts["dissolutions_trading"] <= ts["dissolutions"]).all()
    assert ts["n_dissolved"].is_monotonic_increasing
    assert ts["tick"].tolist() == list(range(1, len(ts) + 1))
