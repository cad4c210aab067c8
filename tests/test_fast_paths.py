"""Correctness of the engine's fast paths: each gives exactly what the slow, obvious way gives.

Speed itself is measured in benchmarks/ (``python -m benchmarks``), never here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
import sim.model as model_module
from sim import draws, lifecycle
from sim.vocab import AWARENESS, BETTER_ALTERNATIVE, COMMITMENT, DISSOLVED

SMALL = dict(n_exporters=8, n_buyers=250, initial_relationships=2.0, cooldown=6, media_reach=2.0)


def _run(ticks=60, **kw):
    m = sim.MarketModel(rng=11, **{**SMALL, **kw})
    m.run_for(ticks)
    return m


def _same_run(a, b):
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.relationships, b.relationships)


@pytest.mark.parametrize("every", [1, 3, 10**9])
def test_compaction_is_invisible(monkeypatch, every):
    """Moving dissolved rows to the archive (every tick, every 3, never) changes no result."""
    reference = _run(ticks=65)
    monkeypatch.setattr(model_module, "COMPACT_EVERY", every)
    other = _run(ticks=65)
    assert other.ledger.n_archived != reference.ledger.n_archived  # the ledgers really differ
    _same_run(reference, other)
    # the cool-down is really exercised: pairs meet again after dissolving
    met = reference.events[reference.events["to_stage"] == "awareness"]
    assert met.duplicated(["exporter", "buyer"]).sum() > 5


def test_compaction_leaves_only_live_rows_and_keeps_every_relationship():
    m = _run(ticks=40)
    m.ledger.compact(m.steps, m.p["cooldown"])
    L = m.ledger
    assert np.all(L.stage != DISSOLVED)
    assert L.n + L.n_archived == L.n_created
    assert np.array_equal(np.sort(m.relationships["relationship"].to_numpy()), np.arange(L.n_created))
    # the key index finds every live row
    assert np.array_equal(L.find(L.exporter, L.buyer), np.arange(L.n))
    # capacity follows a shrinking market
    assert L._cap <= 1.6 * L.n + 1024


def test_ledger_gives_back_room_and_changes_no_result(monkeypatch):
    kw = dict(n_exporters=10, n_buyers=2000, initial_relationships=6.0)
    m = sim.MarketModel(rng=3, **kw)
    big = m.ledger._cap
    m.run_for(45)  # most initial awareness lapses; compaction shrinks the arrays, later ticks grow them again
    assert m.ledger._cap < big
    monkeypatch.setattr(model_module, "COMPACT_EVERY", 10**9)
    never = sim.MarketModel(rng=3, **kw)
    never.run_for(45)
    assert never.ledger._cap >= big
    _same_run(m, never)


def test_blocked_matches_the_full_history():
    """A pair is blocked iff one of its relationships is live or dissolved less than ``cooldown`` ago."""
    m = _run(ticks=45)
    t, cd = m.steps, m.p["cooldown"]
    rel = m.relationships
    rng = np.random.default_rng(0)
    e = np.r_[rel["exporter"].to_numpy(), rng.integers(m.exporters.n, size=500)]
    b = np.r_[rel["buyer"].to_numpy(), rng.integers(m.buyers.n, size=500)]
    live = rel["stage"] != "dissolved"
    recent = (rel["stage"] == "dissolved") & (t - rel["ended"] < cd)
    blocking = set(zip(rel["exporter"][live | recent], rel["buyer"][live | recent]))
    expected = np.array([(x, y) in blocking for x, y in zip(e.tolist(), b.tolist())])
    got = m.ledger.blocked(e, b, t, cd)
    assert expected.any() and not expected.all()
    assert np.array_equal(got, expected)


def _better_alternative_full_scan(model, tr, key, review_rate):
    """The obvious version: every live row of every buyer is scored, then reviewing rows compare."""
    p, L, ex, by = model.p, model.ledger, model.exporters, model.buyers
    live = np.flatnonzero(L.stage != DISSOLVED)
    b, e = L.buyer[live], L.exporter[live]
    trust = np.where(L.stage[live] == AWARENESS, p["calculus_trust"], L.trust[live].astype(np.float64))
    a = ex.quality[e] - by.price_sensitivity[b].astype(np.float64) * (model.relative_price[e] - 1.0) + trust \
        + L.commitment[live].astype(np.float64)
    a = np.where(ex.active[e], a, -np.inf)
    out = np.zeros(tr.size, bool)
    for k, i in enumerate(tr):
        u = draws.uniform(key, draws.relationship_subject.py_func(L.exporter[i], L.buyer[i], L.born[i], by.n), 0)
        if not (L.stage[i] < COMMITMENT and u < review_rate[L.buyer[i]]):
            continue
        if L.trust[i] < p["breakdown_trust"] or L.low_sat[i] >= p["patience"]:
            continue  # ends another way first
        mine = live == i
        others = a[(b == L.buyer[i]) & ~mine]
        best = others.max() if others.size else -np.inf
        out[k] = best - a[mine][0] > np.float64(L.switching_cost[i]) + p["switch_margin"]
    return out


@pytest.mark.parametrize("share", [0.0, 0.05, 1.0])
def test_better_alternative_scans_only_reviewing_buyers_with_the_same_result(share):
    m = _run(ticks=50, exit_rate=0.01)
    L, by, ex = m.ledger, m.buyers, m.exporters
    tr = np.flatnonzero((L.stage > AWARENESS) & (L.stage < DISSOLVED)).astype(np.int32)
    key = m.stream_key(draws.REVIEW, m.steps + 1)
    review_rate = np.full(by.n, share, np.float32)
    cause, _ = lifecycle._stage_moves(tr, key, m.P, L.stage, L.trust, L.commitment, L.n_orders, L.low_sat,
                                      review_rate, L.buyer, L.exporter, L.born, L.switching_cost, ex.quality,
                                      m.relative_price, by.price_sensitivity, ex.active)
    fast = cause == BETTER_ALTERNATIVE
    slow = _better_alternative_full_scan(m, tr, key, review_rate)
    assert np.array_equal(fast, slow)
    if share == 1.0:
        assert fast.sum() > 0  # some reviewing buyers do find a better supplier


def test_event_log_is_compact_and_counted():
    m = _run(ticks=60)
    rec = m.recorder
    ev = m.events
    assert rec.event_count() == len(ev) > 1000
    assert rec.event_nbytes() / rec.event_count() < 6  # ids plus small-integer stages
    # exporter and buyer looked up by id agree with the relationships table
    rel = m.relationships.set_index("relationship")
    assert np.array_equal(ev["exporter"].to_numpy(), rel.loc[ev["relationship"], "exporter"].to_numpy())
    assert np.array_equal(ev["buyer"].to_numpy(), rel.loc[ev["relationship"], "buyer"].to_numpy())


def test_snapshots_only_every_interval():
    m = _run(ticks=30, snapshot_every=10)
    snaps = m.snapshots
    assert sorted(snaps["tick"].unique()) == [10, 20, 30]
    last = snaps[snaps["tick"] == 30]
    assert len(last) == m.timeseries["n_live"].iloc[-1]
    assert _run(ticks=30).snapshots.empty


def test_benchmark_harness_writes_every_figure(tmp_path):
    """``python -m benchmarks`` on tiny sizes: the JSON holds every figure, consistent with itself."""
    import json
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks.phases import PHASES
    from benchmarks.run import main, market

    main(["--sizes", "300,1200", "--ticks", "3", "--repeats", "1", "--repeats-largest", "1", "--threads", "1,2",
          "--repeats-threads", "1", "--speedup-size", "300", "--speedup-ticks", "3", "--construction", "5000",
          "--no-compile-time", "--e2e-ticks", "2,4", "--e2e-repeats", "1", "--no-e2e-profile", "--default-ticks", "20",
          "--default-runs", "2", "--no-default-cli", "--out", str(tmp_path)])
    r = json.loads((tmp_path / "bench.json").read_text())
    assert (tmp_path / "scaling.png").stat().st_size > 10_000
    assert {"date", "cpu", "cores", "numba", "numba_threads_max", "OPENBLAS_CORETYPE"} <= set(r["machine"])
    assert r["compile"] == {"measured": False}
    for s in r["scaling"]:
        assert s["live_min"] <= s["live_mean"] <= s["live_max"]
        assert s["relationship_ticks_per_s"] == pytest.approx(s["live_mean"] * 3 / s["seconds_total"])
        assert s["relationship_ticks_per_s_wall"] == pytest.approx(s["live_mean"] * 3 / s["wall_seconds_total"])
        assert sum(s["per_tick"]["live"]) == pytest.approx(s["live_mean"] * 3)
        assert sum(s["per_tick"]["cpu_s"]) == pytest.approx(s["seconds_total"])
        assert s["bytes_per_live_relationship"] > 100
        assert s["memory"]["events"] > 0 and s["memory"]["event_log_bytes"] > 0
    assert np.isfinite(r["fitted_exponent"])
    assert 3000 < r["construction"]["relationships"] <= 5000  # duplicate draws of a pair are dropped
    phases = r["phases"]["seconds_per_tick"]
    assert sum(v for k, v in phases.items() if k != "total") == pytest.approx(phases["total"])
    # every phase of MarketModel.step is still where benchmarks/phases.py wraps it (compaction: every 10th tick)
    assert all(r["phases"]["calls"][k] == r["phases"]["ticks"] for k in PHASES if k not in ("compact", "sort"))
    assert r["speedup"]["same_trajectory"] and r["speedup"]["speedup"] > 1
    assert r["speedup_default_market"]["same_trajectory"]
    parts = r["scaling"][-1]["memory"]["parts_bytes"]
    assert sum(parts.values()) == r["scaling"][-1]["memory"]["peak_bytes"]  # the breakdown adds up to the peak
    assert parts["mesa_agents"] > 0 and parts["archive"] >= 0
    # numba threads: the largest market with 1 (and 2) threads; the thread count changes no result
    th = r["threads"]["by_threads"]
    assert "1" in th and set(th) <= {"1", "2"}
    assert all(x["numba_threads"] == int(k) for k, x in th.items())
    assert len({(x["live_mean"], x["ledger_rows"]) for x in th.values()}) == 1
    # relsim run end to end on the largest size's market: a scenario file that loads back to that market
    e = r["end_to_end"]
    assert e["scenario_loads_to_market"] and e["prefix_matches"] and e["ticks"] == [2, 4]
    assert e["extra_relationship_ticks"] == e["runs"]["4"]["relationship_ticks"] - e["runs"]["2"]["relationship_ticks"] > 0
    assert 0.5 < e["live_mean_extra_ticks"] / r["scaling"][-1]["live_mean"] < 2
    for n, run in e["runs"].items():
        assert run["ticks"] == int(n) and run["rows"]["timeseries"] == int(n) and run["rows"]["events"] > 0
        assert len(run["figures"]) >= 7 and min(run["figures"].values()) > 1000 and run["report_bytes"] > 10_000
        assert run["wall_s"] > 0 and run["max_rss_bytes"] > 10**7
    # where the time goes, at both tick counts (stages wrapped with clocks) and per extra tick
    for b, ticks in ((e["breakdown_low"], 2), (e["breakdown"], 4)):
        stages = {s["stage"]: s for s in b["stages"]}
        assert b["ticks"] == ticks and stages["ticks"]["calls"] == 1 and stages["build the market"]["calls"] == 1
        assert stages["figures"]["calls"] == 1 and stages["report.html"]["calls"] == 1
        inner = [s["wall_s"] for s in b["stages"] if s["indent"] == 1]  # inside the experiment, one after another
        assert sum(inner) <= stages["experiment: run, write, figures, report"]["wall_s"] <= b["process"]["wall_s"]
    mg = e["marginal_by_stage"]
    assert [m["stage"] for m in mg["stages"]] == [s["stage"] for s in e["breakdown"]["stages"]]
    assert mg["seconds_per_extra_tick"] == pytest.approx(
        (e["breakdown"]["process"]["wall_s"] - e["breakdown_low"]["process"]["wall_s"]) / 2)
    assert "profile" not in e
    # the default market in a fresh process (with numba's cache)
    dm = r["default_market"]
    assert "cold" not in dm and "cli" not in dm and dm["ticks"] == 20
    assert all((x["exporters"], x["buyers"]) == (20, 500) for x in dm["cached"]["runs"])
    assert dm["cached"]["per_run_wall_s"] > 0 and dm["cached"]["import_s"] > 0
    assert r["scaling"][-1]["params"] == market(1200)


@pytest.mark.parametrize("every", [3, 10, 10**9])
def test_rows_are_in_buyer_order_after_a_sort_tick(monkeypatch, every):
    """Every SORT_EVERY ticks the ledger's rows are put in buyer order, whatever the compaction schedule,
    and each buyer's rows keep their order (a stable sort: ids ascending within a buyer when created in order)."""
    monkeypatch.setattr(model_module, "COMPACT_EVERY", every)
    m = _run(ticks=2 * model_module.SORT_EVERY)
    L = m.ledger
    assert np.all(np.diff(L.buyer) >= 0)
    same_buyer = np.diff(L.buyer) == 0
    assert np.all(np.diff(L.id)[same_buyer] > 0)
    assert np.array_equal(L.find(L.exporter, L.buyer)[L.stage != DISSOLVED], np.flatnonzero(L.stage != DISSOLVED))
    m.step()  # new rows go to the end until the next sort
    assert not np.all(np.diff(m.ledger.buyer) >= 0)


@pytest.mark.parametrize("cooldown", [1, 8])
def test_admit_takes_the_first_unblocked_candidate_of_each_pair(cooldown):
    """Ledger.admit (one compiled walk in key order) admits exactly the first candidate of each pair that is
    not blocked (live, dissolved less than ``cooldown`` ago, or in the cooling index), appends them in
    candidate order and points the pair index at the new rows."""
    import copy

    m = _run(ticks=45, cooldown=cooldown, exit_rate=0.01)
    m.ledger.compact(m.steps, m.p["cooldown"])
    m.run_for(3)  # some dissolved rows in the ledger again, others in the cooling index
    L = m.ledger
    assert np.any(L.stage == DISSOLVED)
    if cooldown > 1:
        assert L._cool_keys.size > 0
    g = np.random.default_rng(7)
    n = 3000
    old = g.integers(L.n, size=n // 2)  # pairs the ledger knows (live or dissolved)
    e = np.concatenate([L.exporter[old], g.integers(m.exporters.n, size=n // 2)]).astype(np.int64)
    b = np.concatenate([L.buyer[old], g.integers(m.buyers.n, size=n // 2)]).astype(np.int64)
    e, b = np.concatenate([e, e[:300]]), np.concatenate([b, b[:300]])  # duplicates
    t, cd = m.steps + 1, m.p["cooldown"]
    _, first = np.unique(L.pair_key(e, b), return_index=True)
    first.sort()
    expected = first[~L.blocked(e[first], b[first], t, cd)]
    led = copy.deepcopy(L)
    pos, rows = led.admit(e, b, t, cd)
    assert 0 < pos.size < e.size
    assert np.array_equal(pos, expected)
    assert np.array_equal(rows, np.arange(L.n, L.n + pos.size))
    assert np.array_equal(led.find(e[pos], b[pos]), rows)
    assert np.all(np.diff(led._keys) > 0)  # the index stays sorted, one entry per pair
    if cooldown == 1:  # pairs whose dissolved row is still in the ledger meet again: their key is re-pointed
        assert np.count_nonzero(L.find(e[pos], b[pos]) >= 0) > 0
