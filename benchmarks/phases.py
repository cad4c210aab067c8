"""Time each phase of ``MarketModel.step`` without touching the engine.

``PhaseTimer`` wraps, for as long as it is active, the functions the tick
calls (they are looked up as module attributes at call time, so wrapping the
attribute is enough) and adds up the seconds spent in each. Time the tick spends
outside them (the trading-row mask, event counting, Mesa's DataCollector) is
reported as ``other``. Times are CPU seconds of this process
(``time.process_time``), so that other work on a shared machine inflates them less.
"""

from __future__ import annotations

import time
from collections import defaultdict
from contextlib import contextmanager

from sim import awareness, communication, evaluation, lifecycle, trade
from sim.ledger import Ledger
from sim.records import Recorder

#: phase name -> (object holding the function, attribute name), in tick order
PHASES = {
    "demand": (trade, "draw_demand"),
    "meet": (awareness, "meet"),
    "talk": (communication, "talk"),
    "try_out": (lifecycle, "try_out"),
    "order": (trade, "place_orders"),
    "fulfil": (trade, "fulfil"),
    "invest": (trade, "invest"),
    "judge": (evaluation, "judge"),
    "plan": (trade, "plan"),
    "advance": (lifecycle, "advance"),
    "record": (Recorder, "record"),
    "compact": (Ledger, "compact"),
}


@contextmanager
def phase_timer():
    """Yield a dict phase -> seconds that fills while the block runs ticks."""
    spent: dict[str, float] = defaultdict(float)
    saved = []

    def wrap(name, fn):
        def timed(*args, **kwargs):
            t0 = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += time.process_time() - t0

        return timed

    for name, (owner, attr) in PHASES.items():
        fn = owner.__dict__[attr]
        saved.append((owner, attr, fn))
        setattr(owner, attr, wrap(name, fn))
    try:
        yield spent
    finally:
        for owner, attr, fn in saved:
            setattr(owner, attr, fn)


def profile_ticks(model, ticks: int) -> dict[str, float]:
    """Seconds per tick spent in each phase over ``ticks`` ticks of ``model`` (plus ``other`` and ``total``)."""
    with phase_timer() as spent:
        t0 = time.process_time()
        model.run_for(ticks)
        total = time.process_time() - t0
    out = {name: spent.get(name, 0.0) / ticks for name in PHASES}
    out["other"] = max(total / ticks - sum(out.values()), 0.0)
    out["total"] = total / ticks
    return out
