"""Each mechanism of MODEL.md moves its outcome the right way, by a meaningful amount.

Every comparison holds all else fixed: same seed (streams are per mechanism, so
the two runs share common random numbers) and one parameter changed. Effects
are averaged over two seeds and over the last 50 ticks of a 150-tick run of a
10-exporter, 300-buyer market.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import dynamics
from sim.parameters import record, validate
from conftest import run_model

SEEDS = (0, 1)


def late_mean(column: str, **params) -> float:
    """Mean of a timeseries column over the last 50 ticks, averaged over SEEDS."""
    return float(np.mean([run_model(seed=s, **params).timeseries[column].iloc[-50:].mean() for s in SEEDS]))


def total(column: str, **params) -> float:
    return float(np.mean([run_model(seed=s, **params).timeseries[column].sum() for s in SEEDS]))


@pytest.mark.parametrize(
    "low, high, min_gain",
    [
        (dict(contact_budget=0.0), dict(contact_budget=4.0), 0.12),
        (dict(communication_effect=0.0), dict(communication_effect=3.0), 0.12),
    ],
    ids=["contact_budget", "communication_effect"],
)
def test_more_communication_more_trust(low, high, min_gain):
    lo, hi = late_mean("mean_trust", **low), late_mean("mean_trust", **high)
    assert hi - lo > min_gain, (lo, hi)


@pytest.mark.parametrize(
    "less, more, min_trust, min_commitment",
    [
        (dict(values_spread=3.0), dict(values_spread=0.0), 0.05, 0.03),
        (dict(shared_values_effect=0.0), dict(shared_values_effect=3.0), 0.2, 0.1),
    ],
    ids=["values_spread", "shared_values_effect"],
)
def test_more_shared_values_more_trust_and_commitment(less, more, min_trust, min_commitment):
    assert late_mean("mean_trust", **more) - late_mean("mean_trust", **less) > min_trust
    assert late_mean("mean_commitment", **more) - late_mean("mean_commitment", **less) > min_commitment
    # and more relationships reach commitment
    assert late_mean("n_commitment", **more) > 1.2 * late_mean("n_commitment", **less)


def test_more_opportunism_less_trust():
    honest = late_mean("mean_trust", opportunism_mean=0.0, opportunism_sd=0.0)
    base = late_mean("mean_trust")
    sly = late_mean("mean_trust", opportunism_mean=0.3)
    assert honest > base > sly
    assert honest - sly > 0.3
    # honest exporters commit no acts; opportunistic ones commit many
    assert total("opportunistic_acts", opportunism_mean=0.0, opportunism_sd=0.0) == 0
    assert total("opportunistic_acts", opportunism_mean=0.3) > 2 * total("opportunistic_acts")


def test_higher_switching_costs_fewer_dissolutions():
    none = total("dissolutions_trading", switching_cost_strength=0.0)
    base = total("dissolutions_trading")
    high = total("dissolutions_trading", switching_cost_strength=5.0)
    assert none > base > high
    assert high < 0.6 * none, (none, high)


def test_information_sharing_lowers_forecast_error():
    shared = late_mean("forecast_mape", information_sharing=True)
    private = late_mean("forecast_mape", information_sharing=False)
    assert private - shared > 0.015, (shared, private)
    assert shared < 0.93 * private


def _trading_durations(model):
    rel = model.relationships
    traded = rel[rel["peak"] != "awareness"]
    return traded.groupby("partnership")["duration"].mean()


def test_partnership_buyers_keep_relationships_longer():
    for s in SEEDS:
        d = _trading_durations(run_model(seed=s))
        assert d[True] > 1.5 * d[False], d
    # a market of partnership buyers loses far fewer trading relationships than a transactional one
    assert total("dissolutions_trading", partnership_share=1.0) < 0.3 * total("dissolutions_trading", partnership_share=0.0)
    assert late_mean("n_commitment", partnership_share=1.0) > 100 * max(late_mean("n_commitment", partnership_share=0.0), 0.01)


def _trust_after(satisfaction: float, comm=0.3, values=0.7, tk=0.5) -> float:
    P = record(validate(dict(trust_gain=0.08, trust_loss=0.25, opportunism_penalty=0.5, calculus_decay=0.05,
                             identification_gain=0.04, communication_effect=1.0, shared_values_effect=1.0)))
    *_, trust = dynamics.trust_update(0.2, tk, 0.1, comm, values, satisfaction, False, False, P)
    return trust


@pytest.mark.parametrize("shock", [0.05, 0.1, 0.2])
@pytest.mark.parametrize("tk", [0.15, 0.3, 0.5, 0.7, 0.9])
def test_trust_is_asymmetric(shock, tk):
    """A negative satisfaction shock lowers trust more than an equal positive one raises it."""
    neutral = _trust_after(0.0, tk=tk)
    rise = _trust_after(+shock, tk=tk) - neutral
    fall = neutral - _trust_after(-shock, tk=tk)
    assert rise > 0 and fall > 0
    assert fall > 1.5 * rise, (rise, fall)


def test_detected_opportunism_destroys_trust_and_commitment():
    P = record(validate(dict(trust_gain=0.08, trust_loss=0.25, opportunism_penalty=0.5, calculus_decay=0.0,
                             identification_gain=0.0, communication_effect=1.0, shared_values_effect=1.0,
                             commitment_gain=0.06, commitment_decay=0.02, opportunism_commitment_loss=0.25)))
    trust = [dynamics.trust_update(0.3, 0.6, 0.4, 0.0, 0.5, 0.0, detected, True, P)[3] for detected in (False, True)]
    assert trust[1] < trust[0] - 0.3
    c = [dynamics.commitment_update(0.6, 0.7, 0.6, 0.6, 0.5, True, detected, P) for detected in (False, True)]
    assert c[1] == pytest.approx(0.75 * c[0])


def test_excessive_trust_hides_opportunism():
    def detected_share(**kw):
        acts = total("opportunistic_acts", **kw)
        return total("detected_acts", **kw) / acts

    vigilant = detected_share(excessive_trust=False)
    trusting = detected_share(excessive_trust=True)
    assert vigilant == pytest.approx(0.7, abs=0.05)  # the monitoring parameter
    assert vigilant - trusting > 0.1, (vigilant, trusting)


def test_seasonal_index_learns_a_shared_season():
    """With a strong market season, the seasonal-index forecast beats the methods that ignore it;
    when buyers' seasons are unrelated (spread 1) there is no shared season to learn and the edge is gone."""
    season = dict(season_amplitude=0.6, demand_noise=0.05, information_sharing=False)
    mape = {
        (m, spread): late_mean("forecast_mape", forecast_method=m, season_phase_spread=spread, **season)
        for m in ("exponential_smoothing", "seasonal_index")
        for spread in (0.2, 1.0)
    }
    assert mape["seasonal_index", 0.2] < 0.6 * mape["exponential_smoothing", 0.2], mape
    edge_shared = mape["exponential_smoothing", 0.2] - mape["seasonal_index", 0.2]
    edge_unrelated = mape["exponential_smoothing", 1.0] - mape["seasonal_index", 1.0]
    assert edge_unrelated < 0.3 * edge_shared, mape
