"""Money: what acquisition and retention cost, and customer lifetime value (ODD §7.3)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.experiments import outcomes

SMALL = dict(n_exporters=6, n_buyers=300, initial_relationships=2.0)
TICKS = 40
#: columns that hold money spent on relationships and what it leaves
MONEY = ["profit", "acquisition_spend", "retention_spend", "programme_cost"]


def _run(ticks=TICKS, rng=4, **kw):
    m = sim.MarketModel(rng=rng, **{**SMALL, **kw})
    m.run_for(ticks)
    return m


def _same_dynamics(a, b):
    """Everything but money is identical: costs change no behaviour."""
    ta, tb = a.timeseries, b.timeseries
    same = [c for c in ta.columns if c not in MONEY]
    pd.testing.assert_frame_equal(ta[same], tb[same])
    pd.testing.assert_frame_equal(a.events, b.events)


def test_survey_cost_is_paid_on_survey_ticks_and_comes_out_of_profit():
    """Raising survey_cost by 0.1 costs 0.1 per surveyed customer on each survey tick, and profit falls by exactly
    that, all else the same."""
    cheap = _run(policy="satisfaction_survey", survey_cost=0.0)
    dear = _run(policy="satisfaction_survey", survey_cost=0.1)
    _same_dynamics(cheap, dear)
    ta, tb = cheap.timeseries, dear.timeseries
    assert (ta["programme_cost"] == 0).all()
    extra = tb["programme_cost"].to_numpy()
    survey_ticks = ta["tick"].to_numpy() % 6 == 0
    assert (extra[~survey_ticks] == 0).all() and (extra[survey_ticks] > 0).all()
    # on a survey tick: 0.1 per customer (trading relationships of active exporters when they talk)
    surveyed = extra[survey_ticks] / 0.1
    np.testing.assert_allclose(surveyed, np.round(surveyed), atol=1e-6)
    assert surveyed.max() > 100
    np.testing.assert_allclose(ta["profit"] - tb["profit"], extra, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(tb["retention_spend"] - ta["retention_spend"], extra, rtol=1e-9, atol=1e-12)


def test_database_costs_a_fixed_and_a_per_customer_part():
    base = _run(policy="customer_database", database_cost=0.0, database_cost_per_customer=0.0)
    fixed = _run(policy="customer_database", database_cost=0.5, database_cost_per_customer=0.0)
    per = _run(policy="customer_database", database_cost=0.0, database_cost_per_customer=0.01)
    _same_dynamics(base, fixed)
    _same_dynamics(base, per)
    active = base.timeseries["active_exporters"].to_numpy()
    np.testing.assert_allclose(fixed.timeseries["programme_cost"], 0.5 * active, rtol=1e-12)
    customers = per.timeseries["programme_cost"].to_numpy() / 0.01
    np.testing.assert_allclose(customers, np.round(customers), atol=1e-6)  # a whole number of customers
    assert customers[-10:].min() > 100 and (np.diff(customers[:10]) > 0).all()  # customers accumulate
    # only programmes cost: a policy without one pays nothing for it
    assert (_run(policy="uniform", database_cost=5.0).timeseries["programme_cost"] == 0).all()


def test_fair_cost_is_acquisition_spend_on_fair_ticks():
    a, b = _run(fair_cost=0.0), _run(fair_cost=3.0)
    _same_dynamics(a, b)
    ta, tb = a.timeseries, b.timeseries
    fair = (ta["tick"].to_numpy() - 1) % 12 == 0
    d = (tb["acquisition_spend"] - ta["acquisition_spend"]).to_numpy()
    np.testing.assert_allclose(d[fair], 3.0 * ta["active_exporters"].to_numpy()[fair], rtol=1e-12)
    assert (d[~fair] == 0).all()
    np.testing.assert_allclose(ta["profit"] - tb["profit"], d, atol=1e-9)


def test_customers_won_are_trial_orders_and_cost_per_acquired_customer_divides():
    m = _run()
    ev, ts = m.events, m.timeseries
    won = int(((ev["from_stage"] == "awareness") & (ev["to_stage"] == "exploration")).sum())
    assert won == ts["customers_won"].sum() == m.exporter_table["customers_won"].sum() > 50
    out = outcomes(m)
    assert out["cost_per_acquired_customer"] == pytest.approx(ts["acquisition_spend"].sum() / won)
    table = m.exporter_table
    assert table["acquisition_spend"].sum() == pytest.approx(ts["acquisition_spend"].sum())
    assert table["retention_spend"].sum() == pytest.approx(ts["retention_spend"].sum())
    # profit = gross margin - inventory costs - acquisition - retention, summed over exporters and ticks
    rel = m.relationships
    margin = rel["margin"].sum()
    assert ts["profit"].sum() == pytest.approx(margin - ts["inventory_cost"].sum() - ts["acquisition_spend"].sum()
                                               - ts["retention_spend"].sum(), rel=1e-4)


def test_clv_is_margin_less_contact_money_discounted():
    """At discount rate 0 a relationship's CLV is its gross margin less the contact money spent on it (so at
    most its margin); discounting lowers the CLV of relationships that earn."""
    flat = _run(discount_rate=0.0)
    steep = _run(discount_rate=0.05)
    _same_dynamics(flat, steep)
    a, b = flat.relationships, steep.relationships
    traded = a["peak"].isin(["exploration", "expansion", "commitment"]).to_numpy()
    contact = (a["margin"] - a["clv"]).to_numpy()[traded]
    assert (contact >= -1e-3).all() and contact.max() > 0.01
    # nobody spends on a customer more than the retention budget, for at most TICKS ticks
    assert contact.max() <= 0.8 * TICKS
    earning = traded & (a["clv"].to_numpy() > 1.0) & (a["born"].to_numpy() < 10)
    assert earning.sum() > 20
    assert (b["clv"].to_numpy()[earning] < a["clv"].to_numpy()[earning]).all()
    assert outcomes(steep)["clv"] < outcomes(flat)["clv"]


def test_a_bigger_budget_costs_more_and_talks_more():
    """Direction and size: doubling the relationship budget doubles contact spend (every active exporter uses
    it) and raises communication."""
    a, b = _run(contact_budget=0.4), _run(contact_budget=0.8)
    ratio = b.timeseries["contact_spend"].sum() / a.timeseries["contact_spend"].sum()
    assert ratio == pytest.approx(2.0, rel=0.02)
    la, lb = a.ledger, b.ledger
    trading = lambda L: (L.stage > 0) & (L.stage < 4)  # noqa: E731
    assert lb.communication[trading(lb)].mean() > 1.3 * la.communication[trading(la)].mean()
