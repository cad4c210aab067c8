"""The numba kernels (sim/kernels.py) give exactly what the numpy engine gives.

The numpy phases are the reference. With ``sim.kernels.ENABLED`` switched on,
the hot per-row work runs in compiled loops instead; every result must be
identical, bit for bit: the per-tick timeseries, the event log and the final
state of every relationship, on configurations that exercise every branch the
kernels take (logit and reinforcement choice, every forecast method,
information sharing on and off, excessive trust, every retention policy with a
declarative effect, exits, a key-account shock, the WKH set-up).
Speed is measured in benchmarks/, never here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim import kernels

pytestmark = pytest.mark.skipif(not kernels.AVAILABLE, reason="numba is not installed (pip install .[fast])")

BASE = dict(n_exporters=12, n_buyers=600, initial_relationships=3.0, suppliers_transactional=6, matching_rate=0.1)
TICKS = 60

CASES = {
    "default": {},
    "excessive trust, database, no sharing": dict(
        excessive_trust=True, policy="customer_database", information_sharing=False, opportunism_mean=0.2
    ),
    "survey, exits, shock, seasonal index": dict(
        policy="satisfaction_survey", exit_rate=0.02, shock_tick=20, forecast_method="seasonal_index", survey_every=5
    ),
    "shared values, moving average, key accounts": dict(policy="shared_values_program", forecast_method="moving_average"),
    "new customers, size targeting, cooldown": dict(
        policy="new_customers_first", prospect_targeting="size", cooldown=6, fair_every=5
    ),
    "key accounts, at-risk-like churn": dict(policy="key_accounts", breakdown_trust=0.3, patience=2, review_rate=0.3),
    "reinforcement (WKH)": dict(
        initial_awareness="all", n_buyers=120, choice_rule="reinforcement", initial_loyal=2.0, dissolution=False
    ),
}


def _run(enabled: bool, ticks: int = TICKS, seed: int = 5, **kw):
    saved = kernels.ENABLED
    kernels.ENABLED = enabled
    try:
        m = sim.MarketModel(rng=seed, **{**BASE, **kw})
        m.run_for(ticks)
    finally:
        kernels.ENABLED = saved
    return m


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_numba_and_numpy_paths_are_identical(case):
    kw = CASES[case]
    fast, slow = _run(True, **kw), _run(False, **kw)
    pd.testing.assert_frame_equal(fast.timeseries, slow.timeseries, check_exact=True)
    pd.testing.assert_frame_equal(fast.events, slow.events, check_exact=True)
    pd.testing.assert_frame_equal(fast.relationships, slow.relationships, check_exact=True)
    pd.testing.assert_frame_equal(fast.exporter_table, slow.exporter_table, check_exact=True)
    # the runs are eventful enough for the comparison to mean something
    ts = slow.timeseries
    assert len(slow.events) > 1000
    assert ts["n_commitment"].max() > 0
    if kw.get("dissolution", True):
        assert ts["trials"].sum() > 0 and ts["dissolutions_trading"].sum() > 0


def test_identity_has_teeth():
    """A one-ulp change in one float32 column shows up in the comparison: the test can fail."""
    fast, slow = _run(True, ticks=5), _run(False, ticks=5)
    fast.ledger.trust[0] = np.nextafter(fast.ledger.trust[0], np.float32(2))
    with pytest.raises(AssertionError):
        pd.testing.assert_frame_equal(fast.relationships, slow.relationships, check_exact=True)


def test_engine_switch_reads_the_environment(monkeypatch):
    monkeypatch.setenv("RELSIM_ENGINE", "numpy")
    assert kernels._choose() is False
    monkeypatch.setenv("RELSIM_ENGINE", "numba")
    assert kernels._choose() is True
    monkeypatch.setenv("RELSIM_ENGINE", "fortran")
    with pytest.raises(ValueError, match="RELSIM_ENGINE"):
        kernels._choose()


@pytest.mark.parametrize("share", [0.05, 1.0])
def test_better_alternative_kernel_matches_numpy(share):
    """The compiled review of alternatives flags exactly the rows lifecycle._better_alternative flags."""
    from sim import lifecycle
    from sim.ledger import AWARENESS, COMMITMENT, DISSOLVED

    m = _run(False, ticks=40, exit_rate=0.02)
    L, by = m.ledger, m.buyers
    tr = np.flatnonzero((L.stage > AWARENESS) & (L.stage < DISSOLVED))
    u = np.random.default_rng(1).random(tr.size) * (m.p["review_rate"] / share)
    reviewing = (L.stage[tr] < COMMITMENT) & (u < by.review_rate[L.buyer[tr]])
    slow = lifecycle._better_alternative(m, tr, u)
    review = np.flatnonzero(reviewing)
    fast = np.zeros(tr.size, dtype=bool)
    fast[review] = kernels.better_alternative(m, tr, review)
    assert slow.sum() > 0 and np.array_equal(fast, slow)


def test_exp_table_matches_numpy_exp_of_each_alternative_count():
    """invest() looks np.exp(-0.5 k) up in a table: the same numbers as np.exp on the array."""
    k = np.random.default_rng(0).integers(0, 40, size=100_000)
    table = np.exp(-0.5 * np.arange(40, dtype=np.int64))
    assert np.array_equal(table[k], np.exp(-0.5 * k))


@pytest.mark.parametrize("cooldown", [1, 8])
def test_admit_kernel_matches_numpy(monkeypatch, cooldown):
    """Ledger.admit: the compiled walk admits the same candidates, gives the same rows and leaves the same
    pair index as np.unique + blocked + add, with duplicates, live pairs, recent and cooled-down
    dissolutions and pairs in the cooling index among the candidates."""
    import copy

    m = _run(False, ticks=45, cooldown=cooldown, exit_rate=0.01)
    m.ledger.compact(m.steps, m.p["cooldown"])
    m.run_for(3)  # some dissolved rows in the ledger again, others in the cooling index
    L = m.ledger
    assert np.any(L.stage == 4)
    if cooldown > 1:
        assert L._cool_keys.size > 0
    g = np.random.default_rng(7)
    n = 3000
    old = g.integers(L.n, size=n // 2)  # pairs the ledger knows (live or dissolved)
    e = np.concatenate([L.exporter[old], g.integers(m.exporters.n, size=n // 2)]).astype(np.int64)
    b = np.concatenate([L.buyer[old], g.integers(m.buyers.n, size=n // 2)]).astype(np.int64)
    e, b = np.concatenate([e, e[:300]]), np.concatenate([b, b[:300]])  # duplicates
    t, cd = m.steps + 1, m.p["cooldown"]
    results = {}
    for engine in (False, True):
        monkeypatch.setattr(kernels, "ENABLED", engine)
        led = copy.deepcopy(L)
        pos, rows = led.admit(e, b, t, cd)
        results[engine] = (pos, rows, led._keys.copy(), led._key_rows.copy(), led.n)
    (p0, r0, k0, kr0, n0), (p1, r1, k1, kr1, n1) = results[False], results[True]
    assert 0 < p0.size < e.size
    if cooldown == 1:  # pairs whose dissolved row is still in the ledger meet again: their key is re-pointed
        assert np.count_nonzero(L.find(e[p0], b[p0]) >= 0) > 0
    assert np.array_equal(p0, p1) and np.array_equal(r0, r1) and n0 == n1
    assert np.array_equal(k0, k1) and np.array_equal(kr0, kr1)


@pytest.mark.parametrize("cooldown", [3, 24])
def test_compaction_kernels_leave_the_numpy_path_s_index(cooldown):
    """After compactions (every 10 ticks) both paths hold the same pair index, cooling index and rows."""
    a, b = (_run(engine, ticks=41, cooldown=cooldown, exit_rate=0.01) for engine in (False, True))
    for led in (a.ledger, b.ledger):
        assert led._cool_keys.size > 0
    for name in ("_keys", "_key_rows", "_cool_keys", "_cool_ended"):
        assert np.array_equal(getattr(a.ledger, name), getattr(b.ledger, name)), name
    for name in ("id", "stage", "trust", "ended"):
        assert np.array_equal(getattr(a.ledger, name), getattr(b.ledger, name)), name


def test_short_list_buffers_that_overflow_are_redone(monkeypatch):
    """Passes that fill short lists (stage moves, endings, reviews, the looking buyers' rows, prospects) into buffers
    of a fraction of the rows run again with room for every row when a list outgrows its buffer: with
    buffers of one slot every such pass overflows, and the results are still the numpy path's."""
    monkeypatch.setattr(kernels, "SHORT_LISTS", 10**9)
    monkeypatch.setattr(kernels, "SHORT_SLACK", 1)
    monkeypatch.setattr(kernels, "PROSPECTS", 10**9)
    kw = CASES["key accounts, at-risk-like churn"]
    slow, fast = _run(False, **kw), _run(True, **kw)
    pd.testing.assert_frame_equal(fast.events, slow.events, check_exact=True)
    pd.testing.assert_frame_equal(fast.relationships, slow.relationships, check_exact=True)
    m = fast
    L, p, by = m.ledger, m.p, m.buyers
    tr = kernels._trading_rows(L.stage)
    args = (tr, L.stage, L.trust, L.commitment, L.n_orders, L.low_sat, np.zeros(tr.size), by.review_rate, L.buyer,
            float(p["expansion_trust"]), float(p["commitment_threshold"]), 0.0, 0, 1.0, 0, True)
    assert kernels._stage_moves(*args, 1) is None  # every row breaks down (trust < 1): one slot is not enough
    assert kernels._stage_moves(*args, tr.size + 1)[3].size == tr.size
