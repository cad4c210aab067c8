"""Running many independent model runs for the validation experiments.

``pmap`` maps a top-level function over argument tuples, in worker processes
when ``workers > 1`` (each run is independent and seeded by its arguments, so
results do not depend on the number of workers or their order).
``scenario_kwargs`` reads a project scenario file when it is there.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

#: the repository root (scenarios/, docs/, results/ live here)
ROOT = Path(__file__).resolve().parents[2]


def default_workers() -> int:
    """Worker processes for the full report: at most 2 (the project's CI machine has 2 cores)."""
    return max(1, min(2, os.cpu_count() or 1))


def pmap(fn: Callable, items: Iterable[Any], workers: int = 1) -> list:
    """``[fn(x) for x in items]``, spread over ``workers`` processes when ``workers > 1``."""
    items = list(items)
    if workers <= 1 or len(items) < 2:
        return [fn(x) for x in items]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items, chunksize=max(1, len(items) // (8 * workers))))


def scenario_kwargs(name: str) -> tuple[dict[str, Any], str]:
    """Flat MarketModel kwargs of ``scenarios/<name>.yaml`` and where they came from.

    Returns ``({}, "defaults")`` when the scenario file or the scenario layer is
    not available, so that validation still runs on the engine's defaults.
    """
    path = ROOT / "scenarios" / f"{name}.yaml"
    if not path.exists():
        return {}, "defaults"
    try:
        from ..scenarios import load_scenario
    except ImportError:  # pragma: no cover - scenario layer missing
        return {}, "defaults"
    sc = load_scenario(path)
    kw = sc.model_kwargs()
    return dict(kw), f"scenarios/{name}.yaml"


def seed_for(*parts: int) -> int:
    """A run seed derived from integers (experiment, point, replication) with SeedSequence."""
    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(1, np.uint32)[0])
