"""What an experiment will cost before it runs: memory and time per run, the worker count worth using.

Rough linear models of this machine's measurements (2 cores, numba kernels cached; see
docs/performance.md, "Resources"): a process with the engine loaded holds ``BASE_BYTES``;
a run adds, per buyer, a fixed part for the market's arrays and a part per tick for
the event log and the tables built from it; its time grows with ticks and buyers x ticks. Starting
worker processes (each loads the engine) costs ``WORKER_START_SECONDS`` before the first
run, so more workers only pay when the runs take longer than that (the command line says so).
"""

from __future__ import annotations

from dataclasses import dataclass

#: memory of a process with the engine, numpy, pandas and pyarrow loaded (measured ~360 MB)
BASE_BYTES = 400e6
#: memory per buyer: fixed, and per tick (measured: 5e4 buyers x 50 ticks +37 MB, x 200 ticks +110 MB)
BYTES_PER_BUYER = 250.0
BYTES_PER_BUYER_TICK = 10.0
#: seconds of a run: per tick, and per buyer-tick (measured: 500 x 200 in 0.27 s, 5e4 x 200 in ~3 s,
#: 100 x 500 (wkh2000) in ~1 s: small markets are dominated by the per-tick overhead)
SECONDS_PER_TICK = 1.5e-3
SECONDS_PER_BUYER_TICK = 3e-7
#: writing a run's tables and outcomes (four parquet files and a JSON)
SECONDS_PER_RUN = 0.3
#: seconds to start worker processes and load the engine in each (a local Dask cluster: ~8-10 s)
WORKER_START_SECONDS = 10.0


@dataclass(frozen=True)
class Estimate:
    """What a set of runs will take: peak memory with ``workers`` runs at once, and time in one process."""

    memory: float  # bytes
    seconds: float  # all runs, one after the other
    runs: int
    workers: int


def run_bytes(params: dict) -> float:
    """Memory one run adds to its process (bytes), from its buyers and ticks."""
    return float(params["n_buyers"]) * (BYTES_PER_BUYER + BYTES_PER_BUYER_TICK * float(params["ticks"]))


def run_seconds(params: dict) -> float:
    """Time of one run in a warm process (seconds), from its buyers and ticks."""
    return SECONDS_PER_RUN + float(params["ticks"]) * (SECONDS_PER_TICK + SECONDS_PER_BUYER_TICK * float(params["n_buyers"]))


def estimate(params: list[dict], workers: int = 1) -> Estimate:
    """Peak memory and serial time of the runs with these parameters (each a RunSpec's ``params``)."""
    at_once = max(1, min(int(workers), len(params)))
    biggest = sorted((run_bytes(p) for p in params), reverse=True)[:at_once]
    memory = at_once * BASE_BYTES + sum(biggest)
    return Estimate(memory, sum(run_seconds(p) for p in params), len(params), at_once)


def worth_workers(seconds: float, workers: int) -> bool:
    """Whether ``workers`` processes finish sooner than one: ``seconds / workers + start < seconds``."""
    return workers > 1 and seconds / workers + WORKER_START_SECONDS < seconds


def available_bytes() -> float:
    """Memory available to new processes now (psutil, a dependency of dask.distributed)."""
    import psutil

    return float(psutil.virtual_memory().available)


def human(n: float) -> str:
    """Bytes as ``1.2 GB``."""
    for unit, size in (("GB", 1e9), ("MB", 1e6)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n / 1e3:.0f} kB"
