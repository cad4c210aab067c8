"""The relationship ledger: one row per (exporter, buyer) pair that has met.

Struct of arrays: each relationship attribute is one numpy column indexed by
relationship row; ``exporter`` and ``buyer`` columns say whose it is. Rows are
created sparsely when a buyer becomes aware of an exporter, never as a dense
exporter x buyer matrix. A sorted key index finds the current row of a pair.

``compact`` moves dissolved rows to an archive (``sim.archive.Archive``: in
memory up to a fixed budget, older rows on disk) so that the arrays the
per-tick phases sweep hold (mostly) live relationships; pairs still cooling
down after a dissolution are remembered in a small sorted index.
"""

from __future__ import annotations

import numpy as np

from . import ledger_kernels as lk
from .archive import Archive
from .vocab import AWARENESS, DISSOLVED

#: factor by which the arrays grow when full
GROWTH = 1.05
#: room left after compaction shrinks the arrays (factor of the rows kept); they shrink
#: when more than twice that room is spare. Between two compactions the rows grow by the
#: relationships formed (dissolved rows stay until the next compaction), about 10-15% in a
#: busy market: with this room the arrays settle at a size no tick has to grow again
ROOM = 1.2

#: column name -> dtype. Compact dtypes keep a relationship near 130 bytes.
COLUMNS: dict[str, np.dtype] = {
    "id": np.dtype(np.int32),  # relationship id, stable across compaction
    "exporter": np.dtype(np.int32),
    "buyer": np.dtype(np.int32),
    "stage": np.dtype(np.int8),
    "born": np.dtype(np.int32),  # tick the pair met (awareness)
    "since": np.dtype(np.int32),  # tick the current stage began
    "ended": np.dtype(np.int32),  # tick of dissolution, -1 while live
    "cause": np.dtype(np.int8),  # dissolution cause code (vocab.CAUSES)
    "peak": np.dtype(np.int8),  # highest stage reached
    "trust_calculus": np.dtype(np.float32),
    "trust_knowledge": np.dtype(np.float32),
    "trust_identification": np.dtype(np.float32),
    "trust": np.dtype(np.float32),
    "commitment": np.dtype(np.float32),
    "investment": np.dtype(np.float32),  # relationship-specific input investment
    "switching_cost": np.dtype(np.float32),
    "outcome": np.dtype(np.float32),  # smoothed value received by the buyer
    "expectation": np.dtype(np.float32),
    "satisfaction": np.dtype(np.float32),
    "perceived": np.dtype(np.float32),  # the exporter's estimate of satisfaction
    "shared_values": np.dtype(np.float32),
    "communication": np.dtype(np.float32),  # communication received this tick, [0, 1]
    "preference": np.dtype(np.float32),  # J of the reinforcement rule
    "order": np.dtype(np.float32),  # units ordered this tick
    "forecast": np.dtype(np.float32),  # exporter's forecast of this tick's order
    "level": np.dtype(np.float32),  # smoothing state of the forecast
    "volume": np.dtype(np.float32),  # cumulative units delivered
    "revenue": np.dtype(np.float32),  # cumulative revenue
    "margin": np.dtype(np.float32),  # cumulative gross margin
    "clv": np.dtype(np.float32),  # customer lifetime value to date: discounted margin less contact money
    "n_orders": np.dtype(np.int32),
    "low_sat": np.dtype(np.int16),  # consecutive dissatisfied ticks
}

#: columns the archive keeps for dissolved rows that traded; the others are
#: constant once dissolved (stage, since = ended, communication = order = 0) or
#: working state no result reads (forecast, level, low_sat), and read as 0
ARCHIVED = tuple(c for c in COLUMNS if c not in ("stage", "since", "communication", "order", "forecast", "level", "low_sat"))
#: columns kept for dissolved rows that never traded (awareness that lapsed or was cut):
#: every other column of such a row still holds the zero it was created with
ARCHIVED_AWARENESS = ("id", "exporter", "buyer", "born", "ended", "cause", "shared_values", "preference")


_ONE_VALUE: dict[tuple, np.ndarray] = {}


def _constant(value, dtype, n: int) -> np.ndarray:
    """A read-only column of ``n`` equal values that takes no memory (a zero-stride view, as
    ``np.broadcast_to`` gives, built without its overhead: compaction makes a dozen per chunk)."""
    key = (value, np.dtype(dtype).str)
    base = _ONE_VALUE.get(key)
    if base is None:
        base = _ONE_VALUE[key] = np.full(1, value, dtype=dtype)
        base.flags.writeable = False
    return np.ndarray((n,), dtype=base.dtype, buffer=base, strides=(0,))  # read-only: its buffer is


class Ledger:
    """Growable struct-of-arrays table of relationships.

    Columns are reached as attributes and are views of the first ``n`` rows,
    so ``ledger.trust[rows] = x`` writes in place.
    """

    def __init__(self, n_buyers: int, hist_width: int = 4, capacity: int = 1024):
        self._n_buyers = int(n_buyers)
        self.n = 0
        self._cap = max(int(capacity), 16)
        self._cols = {name: np.zeros(self._cap, dtype=dt) for name, dt in COLUMNS.items()}
        self._hist = np.zeros((self._cap, hist_width), dtype=np.float32)
        self._keys = np.zeros(0, dtype=np.int64)  # sorted pair keys
        self._key_rows = np.zeros(0, dtype=np.int32)  # current row of each key (rows, like ids, fit in int32)
        #: dissolved rows moved out by ``compact``, in chunks (see ``sim.archive``)
        self.archive = Archive()
        self.n_archived = 0
        # archived pairs still cooling down: sorted keys and the tick each dissolved
        self._cool_keys = np.zeros(0, dtype=np.int64)
        self._cool_ended = np.zeros(0, dtype=np.int32)
        self.n_created = 0
        self._refresh()

    # ---- columns -----------------------------------------------------------
    def _refresh(self) -> None:
        """Expose each column as a plain attribute: a view of its first ``n`` rows.

        Called whenever ``n`` or the arrays change, so that ``ledger.trust`` is a
        dict look-up rather than a ``__getattr__`` call (a tick reads columns
        a few hundred times).
        """
        d, n = self.__dict__, self.n
        for name, col in self._cols.items():
            d[name] = col[:n]

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("_cols")
        if cols is not None and name in cols:
            return cols[name][: self.__dict__["n"]]
        raise AttributeError(name)

    def __getstate__(self) -> dict:
        # the column views are rebuilt on unpickling, so that they stay views of the arrays
        return {k: v for k, v in self.__dict__.items() if k not in COLUMNS}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._refresh()

    @property
    def hist(self) -> np.ndarray:
        """(n, W) ring buffer of the last W orders, for the moving-average forecast."""
        return self._hist[: self.n]

    @property
    def row_nbytes(self) -> int:
        """Bytes of one row of the ledger's arrays (every column, and ``hist`` when kept)."""
        return sum(c.itemsize for c in self._cols.values()) + self._hist.itemsize * self._hist.shape[1]

    def memory(self) -> dict[str, int]:
        """Bytes the ledger holds, by part.

        ``live_rows`` (the first ``n`` rows of every column, dissolved rows not yet
        compacted included), ``spare_capacity`` (rows allocated beyond ``n``),
        ``pair_index`` (the sorted pair keys and their rows, and the cooling index),
        ``archive_in_memory``; these add up to ``nbytes()``. ``archive_on_disk`` is
        the size of the archive's spilled files, held on disk, not in memory.
        """
        row = self.row_nbytes
        return {
            "live_rows": self.n * row,
            "spare_capacity": (self._cap - self.n) * row,
            "pair_index": self._keys.nbytes + self._key_rows.nbytes + self._cool_keys.nbytes + self._cool_ended.nbytes,
            "archive_in_memory": self.archive.nbytes(),
            "archive_on_disk": self.archive.disk_nbytes(),
        }

    def nbytes(self) -> int:
        """Bytes the ledger holds in memory: arrays with their spare capacity, pair index, in-memory archive."""
        total = sum(c.nbytes for c in self._cols.values()) + self._hist.nbytes
        total += self._keys.nbytes + self._key_rows.nbytes + self._cool_keys.nbytes + self._cool_ended.nbytes
        return total + self.archive.nbytes()

    def reserve(self, rows: int) -> None:
        """Make room for ``rows`` rows (never shrinks)."""
        if rows > self._cap:
            self._resize(int(rows))

    def _grow(self, need: int) -> None:
        if need <= self._cap:
            return
        self._resize(max(need, int(self._cap * GROWTH)))

    def _resize(self, cap: int) -> None:
        """Reallocate every column to ``cap`` rows (>= n), keeping the first ``n``."""
        for name in self._cols:  # drop the views first, so that each old column is freed as soon as it is copied
            self.__dict__.pop(name, None)
        for name, col in self._cols.items():
            new = np.zeros(cap, dtype=col.dtype)
            new[: self.n] = col[: self.n]
            self._cols[name] = new
        hist = np.zeros((cap, self._hist.shape[1]), dtype=np.float32)
        hist[: self.n] = self._hist[: self.n]
        self._hist = hist
        self._cap = cap
        self._refresh()

    # ---- pairs -------------------------------------------------------------
    def pair_key(self, exporter: np.ndarray, buyer: np.ndarray) -> np.ndarray:
        return exporter.astype(np.int64) * self._n_buyers + buyer.astype(np.int64)

    def find(self, exporter: np.ndarray, buyer: np.ndarray) -> np.ndarray:
        """Current row of each pair, or -1 for pairs that never met."""
        keys = self.pair_key(exporter, buyer)
        if self._keys.size == 0:
            return np.full(keys.shape, -1, dtype=np.int64)
        pos = _search(self._keys, keys)
        pos_c = np.minimum(pos, self._keys.size - 1)
        hit = self._keys[pos_c] == keys
        return np.where(hit, self._key_rows[pos_c], -1)

    def admit(self, exporter: np.ndarray, buyer: np.ndarray, tick: int, cooldown: int) -> tuple[np.ndarray, np.ndarray]:
        """Add the candidate pairs that are new: the first of each pair, unless its current row is live or
        ended less than ``cooldown`` ticks ago, or it is still cooling down in the cooling index.

        Returns the positions of the admitted candidates (ascending) and their new rows. One compiled pass
        over the candidates in key order does the de-duplication, the look-ups in the pair index and the
        cooling index, and the index update (a merge).
        """
        keys = self.pair_key(exporter, buyer)
        order = np.argsort(keys, kind="stable")  # the first of equal keys comes first
        pos, hit, new_keys, new_rank = lk.admit(keys, order, self._keys, self._key_rows, self.stage, self.ended,
                                                self._cool_keys, self._cool_ended, tick, cooldown)
        rows = self._append(exporter[pos], buyer[pos], tick)
        self._keys, self._key_rows = lk.merge_keys(self._keys, self._key_rows, hit, rows, new_keys, rows[new_rank])
        return pos, rows

    def _append(self, exporter: np.ndarray, buyer: np.ndarray, tick: int) -> np.ndarray:
        """Write new awareness rows at the end (the pair index is the caller's business)."""
        m = len(exporter)
        start = self.n
        self._grow(start + m)
        self.n = start + m
        rows = np.arange(start, start + m)
        # rows beyond n are all zero (fresh capacity, or cleared by compact), so only non-zero columns are set
        c = self._cols
        lk.append_rows(c["id"], c["exporter"], c["buyer"], c["stage"], c["born"], c["since"], c["ended"], start,
                       self.n_created, exporter, buyer, tick)
        self.n_created += m
        self._refresh()
        return rows

    def blocked(self, exporter: np.ndarray, buyer: np.ndarray, tick: int, cooldown: int) -> np.ndarray:
        """True where the pair is live, or dissolved less than ``cooldown`` ticks ago."""
        rows = self.find(exporter, buyer)
        known = rows >= 0
        out = np.zeros(rows.shape, dtype=bool)
        r = rows[known]
        live = self.stage[r] != DISSOLVED
        recent = tick - self.ended[r] < cooldown
        out[known] = live | recent
        if self._cool_keys.size:
            keys = self.pair_key(exporter, buyer)
            pos = np.minimum(_search(self._cool_keys, keys), self._cool_keys.size - 1)
            out |= (self._cool_keys[pos] == keys) & (tick - self._cool_ended[pos] < cooldown)
        return out

    # ---- compaction ----------------------------------------------------------
    def compact(self, tick: int, cooldown: int, by_buyer: bool = False) -> None:
        """Move every dissolved row to the archive, so that the arrays the phases sweep hold live rows.

        Pairs dissolved less than ``cooldown`` ticks ago stay in a small cooling
        index (key and tick of dissolution) that ``admit`` consults. Live rows
        keep their relative order; with ``by_buyer`` they are then put in buyer
        order as ``sort_by_buyer`` does (in the same pass).
        """
        gone = self.stage == DISSOLVED
        if not gone.any():
            if by_buyer:
                self.sort_by_buyer()
            return
        out = np.flatnonzero(gone)
        self._archive_rows(out)
        self.n_archived += out.size
        keep = ~gone
        del gone, out
        # the index update and the cooling index in one compiled walk
        new_row, order = lk.new_rows(keep, self.buyer, self._n_buyers, by_buyer)
        del keep
        m, self._cool_keys, self._cool_ended = lk.compact_index(
            self._keys, self._key_rows, new_row, self.ended, self._cool_keys, self._cool_ended, tick, cooldown)
        self._keys, self._key_rows = self._keys[:m], self._key_rows[:m]
        del new_row
        self._take_rows(order, in_order=not by_buyer)

    def sort_by_buyer(self) -> None:
        """Put the rows in buyer order, keeping the order of each buyer's rows (a stable sort).

        The model does this every few ticks (``model.SORT_EVERY``): a buyer's relationships then sit
        together, so that the per-row phases read each buyer's arrays once, in order, instead of at
        random. It changes no result: every draw is named by its relationship and every sum is
        order-free (tests/test_determinism.py).
        """
        new_row, order = lk.new_rows(np.ones(self.n, np.bool_), self.buyer, self._n_buyers, True)
        self._key_rows = new_row[self._key_rows]
        del new_row
        self._take_rows(order, in_order=False)

    def _take_rows(self, order: np.ndarray, in_order: bool) -> None:
        """Row ``j`` becomes row ``order[j]`` (``in_order``: ascending, so it is done in place); rows past the
        new end are cleared; room a shrinking market no longer needs is given back."""
        scratch: dict[np.dtype, np.ndarray] = {}  # one buffer per dtype, reused column after column
        for col in self._cols.values():
            if in_order:
                lk.move_rows(col, order, self.n)
            else:
                buf = scratch.get(col.dtype)
                if buf is None:
                    buf = scratch[col.dtype] = np.empty(order.size, col.dtype)
                lk.take(col, order, buf, self.n)
        del scratch
        if in_order:
            self._hist[: order.size] = self._hist[order]
            self._hist[order.size : self.n] = 0
        else:
            self._hist[: order.size] = self._hist[order]
            self._hist[order.size : self.n] = 0
        self.n = order.size
        self._refresh()
        if self._cap > (1 + 2 * (ROOM - 1)) * self.n + 1024:  # give back room a shrinking market no longer needs
            self._resize(int(ROOM * self.n) + 1024)

    def _archive_rows(self, out: np.ndarray) -> None:
        """Hand dissolved rows ``out`` to the archive: one chunk of rows that traded, one of awareness only.

        Each chunk is a dict of every column; only the columns in ``ARCHIVED`` /
        ``ARCHIVED_AWARENESS`` are stored, the rest are zero-memory constant views.
        """
        c = self._cols
        aware = c["peak"][out] == AWARENESS
        for rows, keep in ((out[~aware], ARCHIVED), (out[aware], ARCHIVED_AWARENESS)):
            if rows.size == 0:
                continue
            chunk = {name: c[name][rows] for name in keep}
            for name, dt in COLUMNS.items():
                if name not in chunk:
                    chunk[name] = _constant(DISSOLVED if name == "stage" else 0, dt, rows.size)
            chunk["since"] = chunk["ended"]  # a dissolved row's stage began when it ended
            self.archive.append(chunk)

    def table(self) -> dict[str, np.ndarray]:
        """Every relationship ever created: archived rows first, then current rows.

        Archived (dissolved) rows read 0 in the working columns ``order``,
        ``forecast``, ``level`` and ``low_sat`` (see ``ARCHIVED``). Chunks the
        archive spilled to disk are read back memory-mapped.
        """
        parts = [*self.archive, {name: col[: self.n] for name, col in self._cols.items()}]
        return {name: np.concatenate([p[name] for p in parts]) for name in COLUMNS}


def _search(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """``np.searchsorted(sorted_keys, keys)``, with many needles sorted first (the same result, far fewer cache misses)."""
    if keys.size < 256:
        return np.searchsorted(sorted_keys, keys)
    order = np.argsort(keys)
    pos = np.empty(keys.size, dtype=np.intp)
    pos[order] = np.searchsorted(sorted_keys, keys[order])
    return pos
