"""Time each phase of ``MarketModel.step`` without touching the engine.

``phase_timer`` wraps, for as long as it is active, the functions ``MarketModel.step`` calls (they are
looked up as module or class attributes at call time, so wrapping the attribute is enough) and adds up
the seconds spent in each; the model's own ``step`` runs unchanged, with the typed values each phase
hands the next. Every phase is one compiled kernel (or a few) behind a thin Python function; ``fulfil``
is one pass that also invests, judges and forecasts (see ``sim.model``). A phase called from inside
another (``Ledger.compact`` puts rows in buyer order with ``sort_by_buyer``) counts for the outer one.
Time the tick spends outside them (building the ``Tick`` record, Mesa's step wrapper) is reported as
``other``. Times are CPU seconds of this process (``time.process_time``), so that other work on a
shared machine inflates them less.
"""

from __future__ import annotations

import time
from collections import defaultdict
from contextlib import contextmanager

import mesa

from sim import awareness, communication, lifecycle, trade
from sim.ledger import Ledger
from sim.records import Recorder

#: phase name -> (object holding the function, attribute name), in tick order (``MarketModel.step``)
PHASES = {
    "demand": (trade, "draw_demand"),
    "meet": (awareness, "meet"),
    "talk": (communication, "talk"),
    "try_out": (lifecycle, "try_out"),
    "order": (trade, "place_orders"),
    "fulfil": (trade, "fulfil"),  # with invest, judge and the forecasts: one pass over the trading rows
    "plan": (trade, "plan"),
    "advance": (lifecycle, "advance"),
    "record": (Recorder, "record"),
    "collect": (mesa.DataCollector, "collect"),  # Mesa's DataCollector (reads the recorder's last row)
    "compact": (Ledger, "compact"),  # every model.COMPACT_EVERY ticks
    "sort": (Ledger, "sort_by_buyer"),  # every model.SORT_EVERY ticks (inside compact when both fall due)
}


def _own(owner, attr):
    """The function ``attr`` as ``owner`` holds it (a class may inherit it)."""
    for k in getattr(owner, "__mro__", (owner,)):
        if attr in vars(k):
            return vars(k)[attr]
    raise AttributeError(f"{owner!r} has no {attr!r}: benchmarks/phases.py PHASES is out of date with MarketModel.step")


@contextmanager
def phase_timer():
    """Yield ``(seconds, calls)``: dicts phase -> CPU seconds and phase -> calls, filled while the block runs ticks."""
    spent: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    active = [False]  # a phase called from inside another counts for the outer one
    saved = []

    def wrap(name, fn):
        def timed(*args, **kwargs):
            if active[0]:
                return fn(*args, **kwargs)
            active[0] = True
            t0 = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += time.process_time() - t0
                calls[name] += 1
                active[0] = False

        return timed

    for name, (owner, attr) in PHASES.items():
        had = attr in vars(owner)
        saved.append((owner, attr, vars(owner).get(attr), had))
        setattr(owner, attr, wrap(name, _own(owner, attr)))
    try:
        yield spent, calls
    finally:
        for owner, attr, fn, had in saved:
            if had:
                setattr(owner, attr, fn)
            else:
                delattr(owner, attr)


def profile_ticks(model, ticks: int) -> tuple[dict[str, float], dict[str, int]]:
    """CPU seconds per tick spent in each phase over ``ticks`` ticks of ``model`` (plus ``other`` and ``total``),
    and how many times each phase ran."""
    with phase_timer() as (spent, calls):
        t0 = time.process_time()
        model.run_for(ticks)
        total = time.process_time() - t0
    out = {name: spent.get(name, 0.0) / ticks for name in PHASES}
    out["other"] = max(total / ticks - sum(out.values()), 0.0)
    out["total"] = total / ticks
    return out, {name: calls.get(name, 0) for name in PHASES}
