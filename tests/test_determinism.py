"""Determinism: one seed, one result; order-free draws (sim.draws) and sums (sim.sums).

Every random number is a pure function of (seed, mechanism, tick, subject, draw number), and every sum
is exact: so results do not depend on the order of the ledger's rows, on compaction or on the buyer-order
sort, and the same relationship gets the same draws under every retention policy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
import sim.model as model_module
from sim import draws

SMALL = dict(n_exporters=8, n_buyers=150)


def run(seed, ticks=60, **params):
    model = sim.MarketModel(rng=seed, **{**SMALL, **params})
    model.run_for(ticks)
    return model


def frames(model):
    return model.timeseries, model.events, model.relationships, model.exporter_table


def test_same_seed_identical_frames():
    a, b = run(7), run(7)
    for x, y in zip(frames(a), frames(b)):
        pd.testing.assert_frame_equal(x, y)


def test_seed_sequence_and_int_seed_agree():
    a, b = run(11, ticks=20), run(np.random.SeedSequence(11), ticks=20)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    pd.testing.assert_frame_equal(a.events, b.events)


def test_different_seed_different_frames():
    a, b = run(7), run(8)
    assert not a.timeseries.equals(b.timeseries)
    assert not a.events.equals(b.events)
    assert not np.array_equal(a.buyers.size, b.buyers.size)


def test_every_mechanism_has_keys_of_its_own():
    model = sim.MarketModel(rng=0, **SMALL)
    keys = {int(model.stream_key(m, t)) for m in range(len(draws.MECHANISMS)) for t in range(1, 30)}
    assert len(keys) == len(draws.MECHANISMS) * 29
    assert model.stream_key(draws.TRIAL, 3) == sim.MarketModel(rng=0, n_exporters=2, n_buyers=9).stream_key(draws.TRIAL, 3)
    assert model.stream_key(draws.TRIAL, 3) != sim.MarketModel(rng=1, **SMALL).stream_key(draws.TRIAL, 3)


def _shuffle_rows(model, seed):
    """Put the ledger's rows in a random order (the pair index follows): what a different compaction or
    sort history would leave."""
    L = model.ledger
    order = np.random.default_rng(seed).permutation(L.n).astype(np.int32)
    new_row = np.empty(L.n, np.int32)
    new_row[order] = np.arange(L.n, dtype=np.int32)
    L._key_rows = new_row[L._key_rows]
    L._take_rows(order, in_order=False)


@pytest.mark.parametrize("case", [dict(), dict(choice_rule="reinforcement", forecast_method="seasonal_index",
                                               policy="key_accounts", exit_rate=0.01, shock_tick=25),
                                  dict(forecast_method="moving_average", policy="customer_database",
                                       excessive_trust=True, prospect_targeting="size")],
                         ids=["default", "reinforcement-seasonal-key-accounts", "moving-average-database"])
def test_results_do_not_depend_on_row_order(monkeypatch, case):
    """Shuffling the ledger's rows every few ticks, or never compacting or sorting them, gives identical
    tables: timeseries, events, relationships and exporters, to the last bit."""
    kw = {**SMALL, "initial_relationships": 2.0, **case}
    reference = sim.MarketModel(rng=3, **kw)
    reference.run_for(40)
    shuffled = sim.MarketModel(rng=3, **kw)
    for t in range(40):
        if t % 3 == 1:
            _shuffle_rows(shuffled, t)
            assert not np.all(np.diff(shuffled.ledger.buyer) >= 0)  # the rows really are out of order
        shuffled.step()
    for x, y in zip(frames(reference), frames(shuffled)):
        pd.testing.assert_frame_equal(x, y, check_exact=True)
    monkeypatch.setattr(model_module, "COMPACT_EVERY", 10**9)
    monkeypatch.setattr(model_module, "SORT_EVERY", 10**9)
    unsorted = run(3, ticks=40, **{k: v for k, v in kw.items() if k not in SMALL})
    for x, y in zip(frames(reference), frames(unsorted)):
        pd.testing.assert_frame_equal(x, y, check_exact=True)


def test_a_relationship_gets_the_same_draws_under_every_policy():
    """Common random numbers at the relationship level: a relationship that exists under two policies gets
    the same fulfilment, review and trial draws in both, so that paired differences come from the policy."""
    a = run(5, ticks=30, policy="uniform", initial_relationships=2.0)
    b = run(5, ticks=30, policy="key_accounts", initial_relationships=2.0)
    ka, kb = a.stream_key(draws.FULFILMENT, 30), b.stream_key(draws.FULFILMENT, 30)
    assert ka == kb
    ra, rb = a.relationships, b.relationships
    both = ra.merge(rb, on=["exporter", "buyer", "born"], suffixes=("_a", "_b"))
    assert len(both) > 100
    subject = draws.relationship_subject.py_func
    for row in both.head(200).itertuples():
        s = subject(row.exporter, row.buyer, row.born, a.buyers.n)
        assert draws.uniform(ka, s, 0) == draws.uniform(kb, s, 0)
    # and the policy does change what happens to them
    assert not np.allclose(both["trust_a"], both["trust_b"])


def tick_one_meetings(model):
    ev = model.events
    return ev[(ev["tick"] == 1) & (ev["to_stage"] == "awareness")].reset_index(drop=True)


@pytest.mark.parametrize(
    "change",
    [dict(demand_noise=0.5), dict(opportunism_mean=0.2), dict(policy="key_accounts"), dict(trial_rate=0.5)],
    ids=lambda d: next(iter(d)),
)
def test_changing_one_mechanism_leaves_other_streams_alone(change):
    base, other = run(3, ticks=5), run(3, ticks=5, **change)
    # the population stream: identical buyers and, except for the trait changed, exporters
    for name in ("size", "phase", "importance", "partnership", "values"):
        np.testing.assert_array_equal(getattr(base.buyers, name), getattr(other.buyers, name))
    for name in ("quality", "price", "values"):
        np.testing.assert_array_equal(getattr(base.exporters, name), getattr(other.exporters, name))
    # the awareness stream: the first tick's meetings (fairs, media, matching) are the same
    pd.testing.assert_frame_equal(tick_one_meetings(base), tick_one_meetings(other))


def test_demand_stream_is_common_across_policies_and_trial_rates():
    """Demand noise draws do not depend on anything else the model does."""

    def demands(**params):
        model = sim.MarketModel(rng=4, **{**SMALL, **params})
        out = []
        for _ in range(25):
            model.step()
            out.append(model.last_tick.demand.copy())
        return np.array(out)

    base = demands()
    np.testing.assert_array_equal(base, demands(policy="new_customers_first", trial_rate=0.6, opportunism_mean=0.3))
    assert not np.array_equal(base, demands(demand_noise=0.3))  # the noise itself does change demand


def test_changing_demand_noise_changes_the_run():
    """The comparison above is not vacuous: the changed mechanism does change the outcome."""
    a, b = run(3), run(3, demand_noise=0.5)
    assert not a.timeseries["revenue"].equals(b.timeseries["revenue"])


@pytest.mark.parametrize("case", [dict(), dict(choice_rule="reinforcement", forecast_method="seasonal_index",
                                               policy="customer_database", exit_rate=0.01)],
                         ids=["default", "reinforcement-seasonal"])
def test_two_threads_give_what_one_thread_gives(monkeypatch, case):
    """The per-row kernels run on row chunks in parallel threads (sim.threads): with every phase cut into
    chunks (MIN_ROWS = 1), 1 and 2 threads give identical tables."""
    import numba

    from sim import threads

    monkeypatch.setattr(threads, "MIN_ROWS", 1)
    saved = numba.get_num_threads()
    out = []
    try:
        for n in (1, 2):
            numba.set_num_threads(n)
            assert len(threads.chunks(1000)) == n
            out.append(run(9, ticks=40, initial_relationships=2.0, **case))
    finally:
        numba.set_num_threads(saved)
    for x, y in zip(frames(out[0]), frames(out[1])):
        pd.testing.assert_frame_equal(x, y, check_exact=True)
