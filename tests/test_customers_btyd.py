"""The buy-till-you-die baselines against their published estimates and their own equations.

BG/NBD: Fader, Hardie & Lee (2005), CDNOW 1/10 sample (2,357 customers, 39 weeks of calibration):
r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4.
sBG: Fader & Hardie (2007), 1,000 customers each, years 0-7: regular alpha = 0.704, beta = 1.182;
high end alpha = 0.668, beta = 3.806.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.customers import btyd as B
from sim.customers.reader import read_customers

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "cdnow_sample"

#: Fader, Hardie & Lee (2005), table/section 4
FHL = dict(r=0.243, alpha=4.414, a=0.793, b=2.426)
FHL_LL = -9582.4
#: Fader & Hardie (2007), table 1 (survivors at the start of years 1..13, per 1,000 acquired)
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]
FH07 = {"regular": (REGULAR, 0.704, 1.182), "high_end": (HIGH_END, 0.668, 3.806)}


@pytest.fixture(scope="module")
def cdnow_summary() -> pd.DataFrame:
    """x, t_x, T in weeks from the sample's purchases, calibration ending on 1997-09-30 (week 39)."""
    data = read_customers(SAMPLE / "transactions.csv", period="week")
    end = data.period_end_day(38)  # weeks 0..38: 1997-01-01 .. 1997-09-30
    assert str(data.origin.date()) == "1997-01-01" and end == 272
    return B.rfm_summary(data.rows["customer_id"], data.rows["day"] / 7.0, end / 7.0)


def test_summary_from_purchases_equals_the_authors_summary(cdnow_summary):
    fhl = pd.read_csv(SAMPLE / "summary_fhl.csv", dtype={"customer_id": str})
    m = cdnow_summary.merge(fhl, on="customer_id", suffixes=("", "_fhl"), validate="one_to_one")
    assert len(m) == len(fhl) == 2357
    assert (m["x"] == m["x_fhl"]).all()
    assert np.abs(m["t_x"] - m["t_x_fhl"]).max() <= 0.005  # the authors round to two decimals
    assert np.abs(m["T"] - m["T_fhl"]).max() <= 0.005


def test_bgnbd_recovers_the_published_cdnow_estimates(cdnow_summary):
    fit = B.fit_bgnbd(cdnow_summary["x"], cdnow_summary["t_x"], cdnow_summary["T"])
    assert fit.converged and fit.n == 2357
    for k, v in FHL.items():
        assert getattr(fit, k) == pytest.approx(v, abs=0.0006), k  # published to 3 decimals
    assert fit.loglik == pytest.approx(FHL_LL, abs=0.05)
    # the optimum: moving any parameter by 1% lowers the likelihood
    ll = lambda **kw: float(np.sum(B.bgnbd_loglik(**{**fit.params, **kw}, x=cdnow_summary["x"],
                                                  t_x=cdnow_summary["t_x"], T=cdnow_summary["T"])))
    for k, v in fit.params.items():
        assert ll(**{k: v * 1.01}) < fit.loglik and ll(**{k: v * 0.99}) < fit.loglik


def _simulate_bgnbd(rng, n, r, alpha, a, b, T):
    """Purchase times in (0, T] after a first purchase at 0: Poisson(lambda) while alive, drop out after each
    purchase with probability p."""
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    times = []
    for i in range(n):
        t, ts = 0.0, []
        while True:
            t += rng.exponential(1.0 / lam[i])
            if t > T:
                break
            ts.append(t)
            if rng.random() < p[i]:
                break
        times.append(ts)
    return times


def test_bgnbd_expectation_and_fit_match_a_simulated_population():
    rng = np.random.default_rng(7)
    true = dict(r=0.5, alpha=3.0, a=0.8, b=3.0)
    times = _simulate_bgnbd(rng, 8000, T=60.0, **true)
    # E[X(t)] (eq. 7) against the simulated mean number of purchases in (0, t]
    p = B.BGNBD(**true, loglik=0.0, n=0, converged=True)
    for t in (5.0, 20.0, 60.0):
        sim_mean = np.mean([sum(1 for s in ts if s <= t) for ts in times])
        assert B.bgnbd_expected(p, t) == pytest.approx(sim_mean, rel=0.06), t
    # fitted on (0, 30], the parameters are recovered within 3 standard errors
    x = np.array([sum(1 for s in ts if s <= 30) for ts in times])
    tx = np.array([max([s for s in ts if s <= 30], default=0.0) for ts in times])
    fit = B.fit_bgnbd(x, tx, np.full(len(x), 30.0))
    for k, v in true.items():
        assert abs(getattr(fit, k) - v) < 3 * fit.std_errors[k], (k, getattr(fit, k), fit.std_errors[k])
    # the conditional forecast of (30, 60] (eq. 10), summed, against what the customers then did
    summ = pd.DataFrame({"x": x, "t_x": tx, "T": 30.0})
    fc = B.bgnbd_holdout_forecast(fit, summ, horizon=3, period_length=10.0)
    actual = [sum(1 for ts in times for s in ts if 30 + 10 * (k - 1) < s <= 30 + 10 * k) for k in (1, 2, 3)]
    assert fc["expected"].to_numpy() == pytest.approx(actual, rel=0.08)
    assert fc["cumulative"].iloc[-1] == pytest.approx(fc["expected"].sum())


def test_bgnbd_p_alive_and_conditional_expectation_behave():
    p = B.BGNBD(**FHL, loglik=0.0, n=0, converged=True)
    # no repeat purchase: alive for sure (dropout only happens after a purchase)
    assert B.bgnbd_p_alive(p, 0, 0.0, 30.0) == 1.0
    # same frequency, older last purchase: less likely alive, fewer purchases expected
    assert B.bgnbd_p_alive(p, 3, 5.0, 30.0) < B.bgnbd_p_alive(p, 3, 25.0, 30.0)
    assert B.bgnbd_conditional_expected(p, 10.0, 3, 5.0, 30.0) < B.bgnbd_conditional_expected(p, 10.0, 3, 25.0, 30.0)
    # taus equal to k * L give the same forecast as period_length = L
    summ = pd.DataFrame({"x": [0, 2, 5], "t_x": [0.0, 10.0, 28.0], "T": [30.0, 30.0, 30.0]})
    a = B.bgnbd_holdout_forecast(p, summ, 4, period_length=2.5)
    b = B.bgnbd_holdout_forecast(p, summ, 4, taus=[0, 2.5, 5.0, 7.5, 10.0])
    assert np.allclose(a["expected"], b["expected"])


@pytest.mark.parametrize("segment", sorted(FH07))
def test_sbg_recovers_the_published_estimates(segment):
    surv, alpha, beta = FH07[segment]
    d = B.sbg_durations(surv[:8])  # years 0..7, as in the paper
    assert d["count"].sum() == 1000
    fit = B.fit_sbg(d["duration"], d["censored"], d["count"])
    assert fit.converged
    assert fit.alpha == pytest.approx(alpha, abs=0.0006)
    assert fit.beta == pytest.approx(beta, abs=0.0006)


def test_sbg_equations_agree_with_each_other():
    a, b = 0.668, 3.806
    t = np.arange(1, 30)
    P, S = B.sbg_churn_probability(a, b, t), B.sbg_survival(a, b, t)
    assert B.sbg_survival(a, b, 0) == pytest.approx(1.0)
    assert np.allclose(S, 1 - np.cumsum(P))  # S(t) = 1 - sum_{k<=t} P(T=k)
    assert np.allclose(S, np.cumprod(B.sbg_retention_rate(a, b, t)))  # S(t) = prod r_k
    assert np.all(np.diff(B.sbg_retention_rate(a, b, t)) > 0)  # retention rises with tenure (sorting)
    # the forecast for a cohort of m survivors at age A
    fc = B.sbg_holdout_forecast(B.SBG(a, b, 0.0, 0, True), [491], [7], 5)
    assert fc["expected"].to_numpy() == pytest.approx(491 * B.sbg_survival(a, b, 7 + np.arange(1, 6))
                                                      / B.sbg_survival(a, b, 7))


def test_sbg_refuses_data_with_no_cancellation():
    with pytest.raises(ValueError, match="no subscriber cancelled"):
        B.fit_sbg([3, 3], [True, True])
