"""The archive of dissolved relationships: bounded in memory, older chunks on disk, results unchanged."""

from __future__ import annotations

import copy
import gc
import pickle

import numpy as np
import pandas as pd
import pytest

import sim
import sim.archive as archive_module
from sim.archive import Archive
from sim.ledger import COLUMNS
from sim.vocab import DISSOLVED

SMALL = dict(n_exporters=8, n_buyers=250, initial_relationships=2.0, cooldown=6, media_reach=2.0)
#: a budget that holds a few chunks of SMALL's archive, so that runs keep some in memory and spill the rest
TINY_BUDGET = 6_000


def _run(ticks=65, budget=None, seed=11):
    m = sim.MarketModel(rng=seed, **SMALL)
    if budget is not None:
        m.ledger.archive.budget = budget
    m.run_for(ticks)
    return m


def _same_results(a, b):
    pd.testing.assert_frame_equal(a.relationships, b.relationships, check_exact=True)
    pd.testing.assert_frame_equal(a.events, b.events, check_exact=True)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries, check_exact=True)


def _files(archive):
    return sorted(archive.directory.glob("*")) if archive.directory else []


def _chunk(n, rng, offset=0):
    """A ledger-like chunk: stored columns, a broadcast constant and a column that repeats another."""
    ended = rng.integers(0, 100, n).astype(np.int32)
    return {
        "id": np.arange(offset, offset + n, dtype=np.int32),
        "stage": np.broadcast_to(np.asarray(DISSOLVED, np.int8), (n,)),
        "ended": ended,
        "since": ended,
        "trust": rng.random(n, dtype=np.float32),
        "low_sat": np.broadcast_to(np.asarray(0, np.int16), (n,)),
    }


def test_archive_spills_the_oldest_chunks_and_reads_them_back_exactly():
    rng = np.random.default_rng(0)
    chunks = [_chunk(n, rng, 1000 * i) for i, n in enumerate((300, 1, 50, 700, 20))]
    per_chunk = [c["id"].nbytes + c["ended"].nbytes + c["trust"].nbytes for c in chunks]  # 12 bytes a row
    a = Archive(budget=8_500)
    for c in chunks:
        a.append(c)
        assert a.nbytes() <= a.budget
    assert a.n_spilled == 4 and len(a) == 5 and a.n_rows == 1071
    assert a.nbytes() == per_chunk[-1] == 240  # only the newest chunk fits next to the budget
    assert a.disk_nbytes() == sum(p.stat().st_size for p in _files(a)) > sum(per_chunk[:4])
    for got, want in zip(a, chunks, strict=True):
        assert list(got) == list(want)
        for name in want:
            assert got[name].dtype == want[name].dtype
            np.testing.assert_array_equal(got[name], want[name])
        assert got["since"] is got["ended"]  # a repeated column stays one array
        assert got["stage"].strides == (0,) and got["low_sat"].strides == (0,)  # constants stay zero-memory
    # indexing as a list of chunks (the dashboard reads ``archive[k:]``)
    assert [int(c["id"][0]) for c in a[3:]] == [3000, 4000]
    np.testing.assert_array_equal(a[-5]["trust"], chunks[0]["trust"])
    with pytest.raises(IndexError):
        a[5]


def test_small_archive_never_touches_disk(default_run):
    a = Archive(budget=10_000)
    a.append(_chunk(100, np.random.default_rng(1)))
    assert a.n_spilled == 0 and a.directory is None and a.disk_nbytes() == 0 and a.nbytes() == 1200
    for m in (_run(), default_run):  # the default budget: small markets keep their whole archive in memory
        A = m.ledger.archive
        assert m.ledger.n_archived > 500 and A.n_spilled == 0 and A.directory is None and A.nbytes() > 0


@pytest.fixture(scope="module")
def reference():
    return _run()


@pytest.fixture()
def spilled():
    m = _run(budget=TINY_BUDGET)
    A = m.ledger.archive
    assert A.n_spilled >= 5 and len(A) > A.n_spilled  # really spilled, and still holds newer chunks in memory
    return m


def test_spilled_archive_changes_no_result(reference, spilled):
    A = spilled.ledger.archive
    assert A.nbytes() <= TINY_BUDGET < reference.ledger.archive.nbytes()
    assert len(_files(A)) == A.n_spilled
    _same_results(reference, spilled)
    spilled.run_for(12)  # and runs on identically after reading its spilled chunks
    ahead = _run(ticks=77)
    _same_results(ahead, spilled)


def test_every_chunk_spilled_changes_no_result(reference, monkeypatch):
    monkeypatch.setattr(archive_module, "BUDGET", 0)
    m = _run()
    assert m.ledger.archive.nbytes() == 0 and m.ledger.archive.n_spilled == len(m.ledger.archive) > 5
    _same_results(reference, m)


def test_pickling_a_spilled_model_round_trips(reference, spilled):
    back = pickle.loads(pickle.dumps(spilled))
    A, B = spilled.ledger.archive, back.ledger.archive
    _same_results(spilled, back)
    # unpickling applies the budget again, in a directory of its own
    assert B.n_spilled == A.n_spilled and B.nbytes() == A.nbytes() and B.directory != A.directory
    for chunk in B:
        assert chunk["stage"].strides == (0,) and chunk["since"] is chunk["ended"]
    back.run_for(12)
    spilled.run_for(12)
    _same_results(spilled, back)
    clone = copy.deepcopy(spilled)
    _same_results(spilled, clone)


def test_pickling_keeps_constant_columns_zero_memory(reference):
    back = pickle.loads(pickle.dumps(reference))
    assert back.ledger.nbytes() == reference.ledger.nbytes()
    assert all(c["stage"].strides == (0,) and c["order"].strides == (0,) for c in back.ledger.archive)
    _same_results(reference, back)


def test_spilled_files_are_removed_with_the_model():
    m = _run(budget=TINY_BUDGET)
    folder = m.ledger.archive.directory
    assert folder.is_dir() and any(folder.iterdir())
    relationships = m.relationships  # tables built from memory-mapped chunks outlive the files
    del m
    gc.collect()
    assert not folder.exists()
    assert len(relationships) > 1000 and relationships["relationship"].is_unique


def test_ledger_memory_parts_add_up(reference, spilled):
    for m in (reference, spilled):
        L = m.ledger
        mem = L.memory()
        assert set(mem) == {"live_rows", "spare_capacity", "pair_index", "archive_in_memory", "archive_on_disk"}
        assert sum(v for k, v in mem.items() if k != "archive_on_disk") == L.nbytes()
        assert mem["live_rows"] == L.n * L.row_nbytes and L.row_nbytes == sum(dt.itemsize for dt in COLUMNS.values())
        assert mem["spare_capacity"] >= 0 and mem["pair_index"] > 0
        assert mem["archive_in_memory"] == L.archive.nbytes()
    assert reference.ledger.memory()["archive_on_disk"] == 0
    assert spilled.ledger.memory()["archive_on_disk"] == sum(p.stat().st_size for p in _files(spilled.ledger.archive)) > 0
    assert spilled.ledger.nbytes() < reference.ledger.nbytes()


def test_event_log_spills_beyond_its_budget_and_the_events_stay_the_same(monkeypatch):
    """Past ``records.EVENTS_BUDGET`` bytes the event log's chunks go to disk as columnar batches: the
    in-memory log stays bounded, ``model.events`` is the same table, and a pickled model keeps it."""
    import sim.records as records

    reference = _run()
    monkeypatch.setattr(records, "EVENTS_BUDGET", 2_000)
    spilled = _run()
    rec = spilled.recorder
    assert rec.event_disk_nbytes() > 0 and rec._events_spilled.n_spilled >= 5
    assert rec.event_nbytes() <= 2_000 + 1_000  # the budget plus the last chunk
    assert rec.event_count() == reference.recorder.event_count() == len(spilled.events)
    _same_results(reference, spilled)
    again = pickle.loads(pickle.dumps(spilled))
    pd.testing.assert_frame_equal(again.events, reference.events, check_exact=True)
    spilled.run_for(5)  # the run goes on after spilling, as the reference does
    reference.run_for(5)
    _same_results(reference, spilled)
