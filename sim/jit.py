"""How the engine's code is compiled: numba decorators, in one place.

``kernel``   a compiled loop over the ledger's rows (or over buyers or exporters);
``equation`` a small scalar function of ``sim.dynamics``, inlined into the kernels that call it.

Both compile on first use and are cached on disk (numba ``cache=True``, in ``__pycache__``), so a
fresh process loads them in a fraction of a second. For debugging, ``NUMBA_DISABLE_JIT=1`` in the
environment makes every kernel and equation run as the plain Python it is written in (slowly, with
the same results up to the last bits of ``exp``): breakpoints, ``print`` and tracebacks then work
inside the engine.
"""

from __future__ import annotations

import numba

# error_model="numpy": a division by zero gives inf/nan, as in numpy, instead of raising
kernel = numba.njit(cache=True, nogil=True, error_model="numpy")
equation = numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
