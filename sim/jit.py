"""How the engine's code is compiled: numba decorators, in one place.

``kernel``   a compiled loop over the ledger's rows (or over buyers or exporters);
``equation`` a small scalar function of ``sim.dynamics``, inlined into the kernels that call it.

Both compile on first use and are cached on disk (numba ``cache=True``, in ``sim/__pycache__``), so a
fresh process loads them in a fraction of a second. numba checks a cached kernel against its own source
file only, so an edit to an equation in ``sim/dynamics.py`` (inlined into kernels in other files) would
leave the old code running: the engine's cache locators add a digest of every engine module to that
check (``ENGINE_MODULES``), and any edit to the engine recompiles what it touches.

For debugging, ``NUMBA_DISABLE_JIT=1`` in the environment makes every kernel and equation run as the
plain Python it is written in (slowly, with the same results up to the last bits of ``exp``):
breakpoints, ``print`` and tracebacks then work inside the engine.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numba
from numba.core import caching, config

#: the modules the compiled engine is made of (tests/test_architecture.py checks this covers sim.model's imports)
ENGINE_MODULES = ("agents", "archive", "awareness", "communication", "draws", "dynamics", "jit", "ledger",
                  "imitation", "ledger_kernels", "lifecycle", "model", "parameters", "policies", "population", "records",
                  "streams", "sums", "threads", "trade", "vocab")
_HERE = Path(__file__).resolve().parent
DIGEST = hashlib.sha256(b"".join((_HERE / f"{m}.py").read_bytes() for m in ENGINE_MODULES)).hexdigest()


class _EngineStamp:
    """A cache locator whose source stamp, for the engine's files, also covers every engine module."""

    def get_source_stamp(self):
        stamp = super().get_source_stamp()
        return (stamp, DIGEST) if Path(self._py_file).resolve().parent == _HERE else stamp


class EngineUserProvidedCacheLocator(_EngineStamp, caching.UserProvidedCacheLocator):
    """numba's locator for ``NUMBA_CACHE_DIR``, with the engine's stamp."""


class EngineInTreeCacheLocator(_EngineStamp, caching.InTreeCacheLocator):
    """numba's locator for ``__pycache__`` beside the source, with the engine's stamp."""


class EngineUserWideCacheLocator(_EngineStamp, caching.UserWideCacheLocator):
    """numba's locator for the user-wide cache directory, with the engine's stamp."""


if not config.CACHE_LOCATOR_CLASSES:  # numba's own order of locators, with the engine's stamp where it applies
    config.CACHE_LOCATOR_CLASSES = ",".join(
        [f"{__name__}.{c.__name__}" for c in (EngineUserProvidedCacheLocator, EngineInTreeCacheLocator,
                                              EngineUserWideCacheLocator)]
        + ["numba.core.caching.IPythonCacheLocator", "numba.core.caching.ZipCacheLocator"])

def _marker() -> Path:
    return _HERE / "__pycache__" / f"relsim-engine-{DIGEST[:16]}.compiled"


def is_compiled() -> bool:
    """Whether a run of this version of the engine has completed here (so its kernels are in numba's cache,
    unless someone deleted them): the command line says when a first run will compile first."""
    return _marker().is_file()


def mark_compiled() -> None:
    """Record that this version of the engine has run here (see ``is_compiled``); silent where it cannot."""
    try:
        _marker().parent.mkdir(exist_ok=True)
        _marker().touch()
    except OSError:
        pass


# error_model="numpy": a division by zero gives inf/nan, as in numpy, instead of raising
kernel = numba.njit(cache=True, nogil=True, error_model="numpy")
equation = numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
