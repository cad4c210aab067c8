"""The archive of dissolved relationships, with a bounded memory footprint.

``Ledger.compact`` moves dissolved rows out of the arrays the phases sweep and
hands them here as *chunks*: dicts of numpy columns of equal length. A column
may be a zero-memory broadcast view of one value (``strides == (0,)``) or the
same array object as another column; both are kept that way.

Chunks stay in memory while they fit in ``budget`` bytes (``BUDGET``, a fixed
overhead whatever the size of the market). Beyond it the oldest chunks are
written, one Arrow IPC (feather) file each, to a private temporary directory,
and read back memory-mapped whenever they are asked for. The directory is
removed when the archive is garbage-collected (or at interpreter exit). Small
runs never reach the budget and never touch the disk.

Pickling reads every spilled chunk back into the pickled state (constant
columns stay one value, shared columns stay shared); unpickling applies the
budget again, so a large archive spills again in its new process.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Iterator
from pathlib import Path

import numpy as np

#: bytes of archived rows kept in memory; older chunks go to disk (a fixed overhead per run)
BUDGET = 8 << 20
#: compression of spilled chunks: None (uncompressed: read back memory-mapped, zero-copy) or "lz4"
COMPRESSION: str | None = None


def _chunk_nbytes(chunk: dict[str, np.ndarray]) -> int:
    """Bytes a chunk's columns own (broadcast constants and repeated arrays count nothing / once)."""
    seen, total = set(), 0
    for a in chunk.values():
        if a.strides[0] and id(a) not in seen:
            seen.add(id(a))
            total += a.nbytes
    return total


def _split(chunk: dict[str, np.ndarray]) -> tuple[int, dict[str, np.ndarray], dict[str, tuple]]:
    """(rows, stored columns, the others) of a chunk; the others are ``("const", value, dtype)`` or ``("same", name)``."""
    n = len(next(iter(chunk.values())))
    stored, other, first = {}, {}, {}
    for name, a in chunk.items():
        if id(a) in first:
            other[name] = ("same", first[id(a)])
        elif a.strides[0] == 0:
            other[name] = ("const", a[0].item() if a.size else 0, a.dtype.str)
        else:
            first[id(a)] = name
            stored[name] = a
    return n, stored, other


def _join(n: int, order: list[str], stored: dict[str, np.ndarray], other: dict[str, tuple]) -> dict[str, np.ndarray]:
    """The chunk ``_split`` took apart, columns in ``order``."""
    out = {}
    for name in order:
        if name in stored:
            out[name] = stored[name]
        elif other[name][0] == "const":
            _, value, dtype = other[name]
            out[name] = np.broadcast_to(np.asarray(value, dtype=np.dtype(dtype)), (n,))
        else:
            out[name] = None  # filled below, once its source is in
    for name in order:
        if out[name] is None:
            out[name] = out[other[name][1]]
    return out


def _remove_dir(path: str, pid: int) -> None:
    if os.getpid() == pid:  # a forked child holding a copy of the archive leaves its parent's files alone
        shutil.rmtree(path, ignore_errors=True)


class _Spilled:
    """A chunk on disk: its file, its rows, its column order and the columns not stored (constants, repeats)."""

    __slots__ = ("path", "n", "order", "other", "nbytes")

    def __init__(self, path: Path, n: int, order: list[str], other: dict[str, tuple], nbytes: int):
        self.path, self.n, self.order, self.other, self.nbytes = path, n, order, other, nbytes

    def load(self) -> dict[str, np.ndarray]:
        """The chunk, its stored columns memory-mapped (read-only; compressed files are decompressed into memory)."""
        import pyarrow as pa

        batch = pa.ipc.open_file(pa.memory_map(str(self.path))).get_batch(0)
        zero_copy = COMPRESSION is None
        stored = {name: batch.column(i).to_numpy(zero_copy_only=zero_copy) for i, name in enumerate(batch.schema.names)}
        return _join(self.n, self.order, stored, self.other)


class Archive:
    """Chunks of archived rows, oldest first: the newest in memory up to ``budget`` bytes, the rest on disk.

    ``append(chunk)`` adds one; iterating (or indexing) yields every chunk as a dict
    of columns, spilled ones read back memory-mapped.
    """

    def __init__(self, budget: int | None = None):
        #: bytes of chunks kept in memory before the oldest are written to disk
        self.budget = BUDGET if budget is None else int(budget)
        self._memory: list[dict[str, np.ndarray]] = []  # newest chunks
        self._memory_nbytes: list[int] = []
        self._disk: list[_Spilled] = []  # oldest chunks
        #: rows archived so far
        self.n_rows = 0
        self._dir: str | None = None
        self._dir_pid: int | None = None
        self._finalizer = None

    # ---- adding ------------------------------------------------------------------
    def append(self, chunk: dict[str, np.ndarray]) -> None:
        """Add a chunk (a dict of equal-length 1-d columns); spill the oldest chunks if the budget is exceeded."""
        self._memory.append(chunk)
        self._memory_nbytes.append(_chunk_nbytes(chunk))
        self.n_rows += len(next(iter(chunk.values())))
        while self._memory and sum(self._memory_nbytes) > self.budget:
            self._spill()

    def _directory(self) -> str:
        if self._dir is None or self._dir_pid != os.getpid():
            self._dir = tempfile.mkdtemp(prefix="relsim-archive-")
            self._dir_pid = os.getpid()
            self._finalizer = weakref.finalize(self, _remove_dir, self._dir, self._dir_pid)
        return self._dir

    def _spill(self) -> None:
        """Write the oldest in-memory chunk to its own Arrow IPC file and drop it from memory."""
        import pyarrow as pa

        chunk = self._memory.pop(0)
        self._memory_nbytes.pop(0)
        n, stored, other = _split(chunk)
        path = Path(self._directory()) / f"chunk-{len(self._disk):06d}.arrow"
        batch = pa.record_batch(list(stored.values()), names=list(stored))
        options = pa.ipc.IpcWriteOptions(compression=COMPRESSION)
        with pa.ipc.new_file(str(path), batch.schema, options=options) as writer:
            writer.write_batch(batch)
        self._disk.append(_Spilled(path, n, list(chunk), other, path.stat().st_size))

    # ---- reading -----------------------------------------------------------------
    def __len__(self) -> int:
        """Number of chunks."""
        return len(self._disk) + len(self._memory)

    def __iter__(self) -> Iterator[dict[str, np.ndarray]]:
        """Every chunk, oldest first."""
        for s in list(self._disk):
            yield s.load()
        yield from list(self._memory)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        k = len(self._disk)
        i = range(len(self))[i]  # negative indices; IndexError out of range
        return self._disk[i].load() if i < k else self._memory[i - k]

    def nbytes(self) -> int:
        """Bytes the archive holds in memory."""
        return sum(self._memory_nbytes)

    def disk_nbytes(self) -> int:
        """Bytes of the archive's files on disk."""
        return sum(s.nbytes for s in self._disk)

    @property
    def n_spilled(self) -> int:
        """Chunks written to disk."""
        return len(self._disk)

    @property
    def directory(self) -> Path | None:
        """The temporary directory of the spilled chunks (None until the first spill)."""
        return None if self._dir is None else Path(self._dir)

    # ---- pickling ----------------------------------------------------------------
    def __getstate__(self) -> dict:
        # every chunk, spilled ones read back; constant and repeated columns are not materialised
        chunks = []
        for chunk in self:
            n, stored, other = _split(chunk)
            chunks.append((n, list(chunk), stored, other))
        return {"budget": self.budget, "chunks": chunks}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["budget"])
        for n, order, stored, other in state["chunks"]:
            self.append(_join(n, order, stored, other))
