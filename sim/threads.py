"""The per-row kernels on several threads: the rows are cut into contiguous chunks, one per thread.

Every kernel releases the GIL (``nogil``), so Python threads run chunks at once. Rows are independent
within a phase and every total is an order-free sum (``sim.sums``), so the chunks' partial totals add up to
exactly what one thread gets: results do not depend on the number of threads (tested with 1 and 2).
The number of threads is numba's (``NUMBA_NUM_THREADS``, ``numba.set_num_threads``; by default one per
core); below ``MIN_ROWS`` rows a phase runs on the calling thread alone.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numba

#: fewer rows than this are not worth a thread's start-up (about 20 us)
MIN_ROWS = 1 << 15

_pools: dict[int, ThreadPoolExecutor] = {}


def chunks(n: int) -> list[tuple[int, int]]:
    """``[lo, hi)`` ranges covering ``range(n)``: one per thread, or one in all for fewer than ``MIN_ROWS``."""
    k = numba.get_num_threads() if n >= MIN_ROWS else 1
    return [(n * c // k, n * (c + 1) // k) for c in range(k)]


def run_chunks(kernel, n: int, *args) -> list:
    """``[kernel(lo, hi, *args) for each chunk]``, the chunks on as many threads; results in chunk order."""
    parts = chunks(n)
    if len(parts) == 1:
        return [kernel(0, n, *args)]
    pool = _pools.get(len(parts))
    if pool is None:
        pool = _pools[len(parts)] = ThreadPoolExecutor(len(parts), thread_name_prefix="relsim")
    futures = [pool.submit(kernel, lo, hi, *args) for lo, hi in parts[1:]]
    first = kernel(parts[0][0], parts[0][1], *args)
    return [first] + [f.result() for f in futures]
