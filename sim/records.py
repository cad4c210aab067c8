"""What a run records: one row per tick, one row per stage transition, snapshots.

Per-tick aggregates are computed from the ledger with array reductions and
stored as scalars; events are appended as array chunks. DataFrames are built
only when asked for.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .archive import Archive
from .jit import kernel
from .threads import run_chunks
from .sums import grid, on_grid
from .sums import mean as _mean
from .vocab import AWARENESS, CAUSES, DISSOLVED, REINFORCEMENT, STAGES

U = np.uintp

TIMESERIES_COLUMNS = (
    "tick",
    "n_awareness",
    "n_exploration",
    "n_expansion",
    "n_commitment",
    "n_live",
    "n_dissolved",
    "dissolutions",
    "dissolutions_trading",
    "new_awareness",
    "trials",
    "mean_trust",
    "mean_commitment",
    "mean_satisfaction",
    "retention_rate",
    "revenue",
    "profit",
    "contact_spend",
    "acquisition_spend",
    "retention_spend",
    "programme_cost",
    "customers_won",
    "forecast_mape",
    "fill_rate",
    "inventory_cost",
    "revenue_hhi",
    "loyalty_y",
    "opportunistic_acts",
    "detected_acts",
    "buyer_value",
    "active_exporters",
)

_COLUMN_INDEX = {name: i for i, name in enumerate(TIMESERIES_COLUMNS)}
#: bytes of event chunks kept in memory; beyond it they are written to disk as one columnar batch
#: (a fixed overhead, like the archive's budget: the log no longer grows in memory with the run)
EVENTS_BUDGET = 4 << 20
_EVENT_FIELDS = ("tick", "relationship", "exporter", "buyer", "from_stage", "to_stage", "cause")
_STAGE_CAT = pd.CategoricalDtype(["none", *STAGES])
_CAUSE_CAT = pd.CategoricalDtype(list(CAUSES))


def _compact(x):
    """An event field as stored: a Python int if it is one value, else an int8 array of its own."""
    if isinstance(x, (int, np.integer)):
        return int(x)
    x = np.asarray(x, dtype=np.int8)
    return x.copy() if x.ndim else int(x)


class Recorder:
    """Collects the timeseries, the event log and periodic relationship snapshots."""

    def __init__(self, ledger):
        self._ledger = ledger
        self._rows: list[tuple] = []
        self._events: list[tuple[np.ndarray, ...]] = []  # the newest chunks of the event log
        self._events_nbytes = 0
        self._events_spilled = Archive(budget=0)  # older events, one columnar batch a spill, on disk
        self._snapshots: list[pd.DataFrame] = []
        self.n_dissolved = 0
        self._n_events = 0

    # ---- events --------------------------------------------------------------
    def events(self, tick: int, rows: np.ndarray, from_stage, to_stage, cause) -> None:
        """Log a transition of ``rows``; stages and cause may be scalars or arrays.

        A chunk keeps only the relationship ids and what varies within it
        (scalars stay scalars); exporter and buyer are looked up by id when the
        table is built. That keeps the log near 5 bytes per event.
        """
        n = len(rows)
        if n == 0:
            return
        L = self._ledger

        ids = L.id[rows]
        if np.may_share_memory(ids, L.id):  # rows was a slice: keep a copy, not a view of the column
            ids = ids.copy()
        fields = [_compact(from_stage), _compact(to_stage), _compact(cause)]
        if n > 1 and np.any(ids[1:] < ids[:-1]):  # a chunk lists its relationships by id, not by row
            order = np.argsort(ids, kind="stable")
            ids = ids[order]
            fields = [f[order] if isinstance(f, np.ndarray) else f for f in fields]
        chunk = (int(tick), ids, *fields)
        self._events.append(chunk)
        self._n_events += n
        self._events_nbytes += sum(a.nbytes for a in chunk[1:] if isinstance(a, np.ndarray))
        if self._events_nbytes > EVENTS_BUDGET:
            self._spill_events()
        if isinstance(to_stage, (int, np.integer)):  # the usual case: one target stage for the chunk
            self.n_dissolved += n if to_stage == DISSOLVED else 0
        elif np.any(np.asarray(to_stage) == DISSOLVED):
            self.n_dissolved += int(np.count_nonzero(np.broadcast_to(to_stage, (n,)) == DISSOLVED))

    def _columns(self) -> dict[str, np.ndarray] | None:
        """The in-memory chunks as columns (tick, relationship, from_stage, to_stage, cause), or None."""
        if not self._events:
            return None
        ids = [c[1] for c in self._events]
        out = {"tick": np.concatenate([np.full(len(i), c[0], dtype=np.int32) for i, c in zip(ids, self._events)]),
               "relationship": np.concatenate(ids)}
        for k, name in ((2, "from_stage"), (3, "to_stage"), (4, "cause")):
            out[name] = np.concatenate([np.broadcast_to(np.asarray(c[k], dtype=np.int8), (len(i),))
                                        for i, c in zip(ids, self._events)])
        return out

    def _spill_events(self) -> None:
        """Write the in-memory chunks to disk as one columnar batch (they stay in the table, in order)."""
        self._events_spilled.append(self._columns())
        self._events, self._events_nbytes = [], 0

    def event_table(self) -> pd.DataFrame:
        parts = list(self._events_spilled)
        if self._events:
            parts.append(self._columns())
        if parts:
            cols = [np.concatenate([p["tick"] for p in parts]), np.concatenate([p["relationship"] for p in parts])]
            table = self._ledger.table()
            by_id = np.empty(self._ledger.n_created, dtype=np.int64)
            by_id[table["id"]] = np.arange(table["id"].size)
            cols += [table["exporter"][by_id[cols[1]]], table["buyer"][by_id[cols[1]]]]
            cols += [np.concatenate([p[name] for p in parts]) for name in ("from_stage", "to_stage", "cause")]
        else:
            cols = [np.zeros(0, dtype=np.int32)] * len(_EVENT_FIELDS)
        df = pd.DataFrame(dict(zip(_EVENT_FIELDS, cols)))
        # categoricals straight from the codes (no array of strings in between)
        df["from_stage"] = pd.Categorical.from_codes(df["from_stage"].to_numpy() + 1, dtype=_STAGE_CAT)
        df["to_stage"] = pd.Categorical.from_codes(df["to_stage"].to_numpy() + 1, dtype=_STAGE_CAT)
        df["cause"] = pd.Categorical.from_codes(df["cause"].to_numpy(), dtype=_CAUSE_CAT)
        return df

    def event_count(self) -> int:
        return self._n_events

    def event_nbytes(self) -> int:
        """Bytes the event log holds in memory (its older part is on disk: ``event_disk_nbytes``)."""
        return self._events_nbytes + self._events_spilled.nbytes()

    def event_disk_nbytes(self) -> int:
        """Bytes of the event log's files on disk."""
        return self._events_spilled.disk_nbytes()

    # ---- per tick --------------------------------------------------------------
    def record(self, model, t: int, tick) -> None:
        """Append this tick's row of aggregates from the phases' results ``tick`` (a ``model.Tick``)."""
        L = self._ledger
        d, a = tick.deliveries, tick.accounts
        # a delivered value is at most 1 + fit_bonus, and so are outcomes and expectations
        counts, mean_trust, mean_commitment, mean_satisfaction = _record_rows(
            L.stage, L.trust, L.commitment, L.satisfaction, 2.0 + 2.0 * model.exporters.fit_bonus.max(initial=0.0))
        total = np.add.reduce  # per-exporter arrays, in exporter order
        ordered_total = float(total(d.orders_e))
        delivered_total = float(total(d.delivered_e))
        active = model.exporters.active
        hhi = d.revenue_hhi[active & np.isfinite(d.revenue_hhi)]
        trading_at_start, dissolved_trading = tick.changes.trading_at_start, tick.changes.dissolved_trading
        row = dict(
            tick=t,
            n_awareness=int(counts[0]),
            n_exploration=int(counts[1]),
            n_expansion=int(counts[2]),
            n_commitment=int(counts[3]),
            n_live=int(counts[0] + counts[1] + counts[2] + counts[3]),
            n_dissolved=self.n_dissolved,
            dissolutions=self.n_dissolved - tick.dissolved_before,
            dissolutions_trading=dissolved_trading,
            new_awareness=L.n_created - tick.created_before,
            trials=tick.trials.started,
            mean_trust=mean_trust,
            mean_commitment=mean_commitment,
            mean_satisfaction=mean_satisfaction,
            retention_rate=1.0 - dissolved_trading / trading_at_start if trading_at_start else float("nan"),
            revenue=float(total(d.revenue_e)),
            profit=float(total(a.profit)),
            contact_spend=float(total(tick.contacts.contact)),
            acquisition_spend=float(total(tick.contacts.acquisition)),
            retention_spend=float(total(tick.contacts.retention)),
            programme_cost=float(total(tick.contacts.programmes)),
            customers_won=tick.trials.started,
            forecast_mape=d.forecast_abs_error / d.forecast_actual if d.forecast_actual > 0 else float("nan"),
            fill_rate=delivered_total / ordered_total if ordered_total > 0 else float("nan"),
            inventory_cost=float(total(a.holding) + total(a.stockout)),
            revenue_hhi=_mean(hhi) if hhi.size else float("nan"),
            loyalty_y=loyalty(model, tick.orders),
            opportunistic_acts=d.opportunistic_acts,
            detected_acts=d.detected_acts,
            buyer_value=d.value_received,
            active_exporters=int(np.count_nonzero(active)),
        )
        self._rows.append(tuple(row[c] for c in TIMESERIES_COLUMNS))
        self._last = row
        every = model.P.snapshot_every
        if every and t % every == 0:
            self._snapshots.append(snapshot(model, t))

    def timeseries(self) -> pd.DataFrame:
        return pd.DataFrame.from_records(self._rows, columns=list(TIMESERIES_COLUMNS))

    def last(self) -> dict:
        if not self._rows:
            return {}
        if getattr(self, "_last", None) is None or len(self._last) != len(TIMESERIES_COLUMNS):
            self._last = dict(zip(TIMESERIES_COLUMNS, self._rows[-1]))
        return dict(self._last)

    def latest(self, name: str):
        """``name`` in the last timeseries row (None before the first tick), without copying the row."""
        if not self._rows:
            return None
        return self._rows[-1][_COLUMN_INDEX[name]]

    def snapshots(self) -> pd.DataFrame:
        if not self._snapshots:
            return pd.DataFrame(columns=["tick", "relationship", "stage", "trust", "commitment", "satisfaction"])
        return pd.concat(self._snapshots, ignore_index=True)


def loyalty(model, orders) -> float:
    """Weisbuch-Kirman-Herreiner order parameter ``y``, averaged over buyers.

    ``y_i = sum_j J_ij^2 / (sum_j J_ij)^2`` over buyer i's trading relationships,
    with J the reinforcement preferences, or (logit rule) this tick's order shares.
    1/n for a buyer spreading evenly over n suppliers; 1 for a fully loyal one.
    """
    L = model.ledger
    tr = orders.rows
    if tr.size == 0:
        return float("nan")
    x = L.preference[tr].astype(np.float64) if model.P.choice_rule == REINFORCEMENT else orders.order
    bound, per_buyer = float(np.abs(x).max()), int(orders.n_trading.max())
    y = _loyalty_ratios(tr, L.buyer, x, model.buyers.n, grid(bound, per_buyer), grid(bound * bound, per_buyer))
    return _mean(y)


@kernel
def _loyalty_ratios(tr, buyer, x, n_buyers, q1, q2):
    """sum_j x^2 / (sum_j x)^2 of each buyer with sum_j x > 0, in buyer order (sums on grids: order-free)."""
    s1 = np.zeros(n_buyers)
    s2 = np.zeros(n_buyers)
    for k in range(tr.size):
        b = U(buyer[U(tr[k])])
        v = x[k]
        s1[b] += on_grid(v, q1)
        s2[b] += on_grid(v * v, q2)
    out = np.empty(n_buyers + 1)
    m = 0
    for b in range(n_buyers):
        out[m] = s2[b] / (s1[b] * s1[b])
        m += s1[b] > 0
    return out[:m].copy()


@kernel
def _record_chunk(lo, hi, stage, trust, commitment, satisfaction, q):
    """Rows ``lo:hi``: stage counts, and the trading rows' sums of trust, commitment and satisfaction on the
    grid ``q`` (sim.sums: chunks add up exactly)."""
    counts = np.zeros(5, np.int64)
    sums = np.zeros(3)
    for i in range(lo, hi):
        st = stage[i]
        counts[st] += 1
        if (st > AWARENESS) & (st < DISSOLVED):
            sums[0] += on_grid(np.float64(trust[i]), q)
            sums[1] += on_grid(np.float64(commitment[i]), q)
            sums[2] += on_grid(np.float64(satisfaction[i]), q)
    return counts, sums


def _record_rows(stage, trust, commitment, satisfaction, bound):
    """Stage counts, and the mean trust, commitment and satisfaction of the trading rows (NaN without any).

    Trust and commitment are in [0, 1] and satisfaction, an outcome less an expectation, within ``bound``
    of 0: one grid serves the three sums."""
    parts = run_chunks(_record_chunk, stage.size, stage, trust, commitment, satisfaction,
                       grid(bound, max(stage.size, 1)))
    counts = np.add.reduce([p[0] for p in parts])
    n = int(counts[1] + counts[2] + counts[3])
    means = np.add.reduce([p[1] for p in parts]) / n if n else np.full(3, np.nan)
    return counts, float(means[0]), float(means[1]), float(means[2])


def snapshot(model, t: int) -> pd.DataFrame:
    """Trust, commitment and satisfaction of every live relationship at tick ``t``."""
    L = model.ledger
    live = np.flatnonzero(L.stage != DISSOLVED)
    live = live[np.argsort(L.id[live], kind="stable")]  # by relationship, not by row
    return pd.DataFrame(
        {
            "tick": np.full(live.size, t, dtype=np.int32),
            "relationship": L.id[live],
            "stage": pd.Categorical.from_codes(L.stage[live], categories=list(STAGES)),
            "trust": L.trust[live],
            "commitment": L.commitment[live],
            "satisfaction": L.satisfaction[live],
        }
    )
