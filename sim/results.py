"""The results folder: layout, atomic writes, run hashes, the manifest, resume bookkeeping.

One folder per invocation of ``relsim run/compare/sweep``::

    manifest.json            resolved scenario, versions, seeds, times, command line, runs
    runs/<hash>/             one folder per run, keyed by a hash of its parameters and seed
        timeseries.parquet   one row per tick
        events.parquet       one row per stage transition
        relationships.parquet  one row per relationship (final state)
        exporters.parquet    one row per exporter
        snapshots.parquet    (when outputs.snapshot_every > 0) live relationships every n ticks
        policy_shares.parquet (when imitation_every > 0) exporters running each policy after every imitation round
        outcomes.json        the run's scalar outcomes; written last: marks the run complete
    timeseries.parquet       the runs' tables combined, each row tagged with scenario, policy,
    events.parquet           point, replication, run (hash), seed and the swept values
                             (one column per swept field, named by its dotted path)
    relationships.parquet
    exporters.parquet
    [snapshots.parquet]
    summary.csv              one row per run: identity, sweep values, scalar outcomes
    compare.csv              (compare) each policy's mean and paired difference with 95% CIs
    figures/*.png            made by ``sim.plots`` from the files above
    report.html              made by ``sim.report`` from the files above

Every file is written to a temporary name in the same folder and renamed into
place (``os.replace``), so a file that exists is complete.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .version import __version__

TABLES = ("timeseries", "events", "relationships", "exporters")
#: written when the run records them: snapshots (outputs.snapshot_every > 0), policy shares (imitation_every > 0)
OPTIONAL_TABLES = ("snapshots", "policy_shares")
ID_COLUMNS = ("scenario", "policy", "point", "replication", "run", "seed")
OUTCOMES_FILE = "outcomes.json"
MANIFEST = "manifest.json"
DEPENDENCIES = ("mesa", "numpy", "pandas", "pyarrow", "matplotlib", "pydantic", "pyyaml", "typer", "rich", "scipy")


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old


_FILE_MODE = 0o666 & ~_umask()


class ResultsExistError(FileExistsError):
    """The results folder exists and ``force`` was not given (the CLI exits with code 2)."""


class NotResultsError(ValueError):
    """A folder that should hold results does not (no manifest.json)."""


# ---- atomic writes ----------------------------------------------------------
def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n")


def write_parquet(path: str | os.PathLike, df: pd.DataFrame) -> Path:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return atomic_write_bytes(path, buf.getvalue())


def write_csv(path: str | os.PathLike, df: pd.DataFrame) -> Path:
    return atomic_write_text(path, df.to_csv(index=False))


def _json_default(x: Any):
    if hasattr(x, "item"):
        return x.item()
    if isinstance(x, (set, tuple)):
        return list(x)
    if isinstance(x, Path):
        return str(x)
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")


# ---- run identity -------------------------------------------------------------
def canonical(obj: Any) -> str:
    """Canonical JSON (sorted keys, no spaces) used for hashing parameters."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_json_default)


def run_hash(params: dict, seed: int, ticks: int) -> str:
    """16 hex digits identifying a run by its resolved model parameters, tick count and seed."""

    key = canonical({"params": params, "seed": int(seed), "ticks": int(ticks), "relsim": __version__})
    return hashlib.sha256(key.encode()).hexdigest()[:16]


# ---- the folder ---------------------------------------------------------------
def default_dir(name: str, root: str | os.PathLike = "results") -> Path:
    """``results/<name>-<YYYYmmdd-HHMMSS>`` (with a numeric suffix if that exists already)."""
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"{name}-{stamp}"
    path, k = base, 2
    while path.exists():
        path, k = base.with_name(f"{base.name}-{k}"), k + 1
    return path


def latest_dir(name: str, root: str | os.PathLike = "results") -> Path | None:
    """The newest ``results/<name>-*`` folder holding a manifest, if any (for ``--resume``)."""
    root = Path(root)
    if not root.is_dir():
        return None
    found = [p for p in root.glob(f"{name}-*") if (p / MANIFEST).is_file()]
    return max(found, key=lambda p: (p / MANIFEST).stat().st_mtime) if found else None


def check_writable(path: Path, force: bool = False, resume: bool = False) -> None:
    """Raise unless ``path`` may be used: new, empty, resumable, or a results folder with ``force``.

    Touches nothing. ``ResultsExistError`` when it exists and neither flag allows it;
    ``NotResultsError`` when ``force`` would have to delete something that is not a results folder.
    """
    if path.exists() and not path.is_dir():
        raise ResultsExistError(f"{path}: exists and is not a folder; choose another --out")
    if not path.exists() or not any(path.iterdir()):
        return
    if resume:
        if not (path / MANIFEST).is_file():
            raise NotResultsError(f"{path}: cannot resume: no {MANIFEST} in it")
        return
    if not force:
        raise ResultsExistError(f"{path}: results folder exists; use --force to overwrite it or --out to choose another")
    if not (path / MANIFEST).is_file():
        raise NotResultsError(f"{path}: not a relsim results folder (no {MANIFEST}); refusing to overwrite it")


def prepare(path: Path, force: bool = False, resume: bool = False) -> Path:
    """Create ``path`` (after ``check_writable``); with ``force`` remove the old results first."""
    check_writable(path, force=force, resume=resume)
    if force and not resume and path.exists() and (path / MANIFEST).is_file():
        shutil.rmtree(path)
    (path / "runs").mkdir(parents=True, exist_ok=True)
    return path


def run_dir(root: Path, h: str) -> Path:
    return Path(root) / "runs" / h


def is_complete(root: Path, h: str) -> bool:
    """A run is complete when its outcomes file exists (it is written after its tables)."""
    d = run_dir(root, h)
    return (d / OUTCOMES_FILE).is_file() and all((d / f"{t}.parquet").is_file() for t in TABLES)


def write_run(root: Path, h: str, tables: dict[str, pd.DataFrame], outcomes: dict) -> Path:
    """Write one run's tables, then its outcomes (the completion marker)."""
    d = run_dir(root, h)
    d.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        write_parquet(d / f"{name}.parquet", df)
    write_json(d / OUTCOMES_FILE, outcomes)
    return d


def read_outcomes(root: Path, h: str) -> dict:
    return json.loads((run_dir(root, h) / OUTCOMES_FILE).read_text())


# ---- manifest --------------------------------------------------------------------
def versions() -> dict[str, str]:
    """Python, relsim and dependency versions."""

    out = {"python": sys.version.split()[0], "relsim": __version__}
    for dist in DEPENDENCIES:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).astimezone().isoformat(timespec="seconds")


def read_manifest(root: str | os.PathLike) -> dict:
    path = Path(root) / MANIFEST
    if not path.is_file():
        raise NotResultsError(f"{root}: not a relsim results folder (no {MANIFEST})")
    return json.loads(path.read_text())


def write_manifest(root: Path, manifest: dict) -> Path:
    return write_json(Path(root) / MANIFEST, manifest)


# ---- combining -------------------------------------------------------------------
def combine(root: Path, runs: list[dict]) -> dict[str, pd.DataFrame]:
    """Concatenate the runs' tables (in the order of ``runs``), tag them, write them; also summary.csv.

    ``runs`` are manifest entries: dicts with scenario, policy, point, replication,
    hash, seed, point_values. The tables are joined as Arrow tables, one run at a time, without a
    round trip through pandas; returns the summary and the combined tables, each read from its file
    when first asked for.
    """
    root = Path(root)
    optional = [t for t in OPTIONAL_TABLES if runs and all((run_dir(root, r["hash"]) / f"{t}.parquet").is_file() for r in runs)]
    for name in (*TABLES, *optional):
        if runs:
            parts = [_tag_arrow(pq.read_table(run_dir(root, r["hash"]) / f"{name}.parquet"), r) for r in runs]
            write_arrow(root / f"{name}.parquet", pa.concat_tables(parts))
        else:
            write_parquet(root / f"{name}.parquet", pd.DataFrame(columns=list(ID_COLUMNS)))
    rows = []
    for r in runs:
        row = {k: r[k] for k in ("scenario", "policy", "point", "replication")}
        row["run"], row["seed"] = r["hash"], r["seed"]
        row.update(r.get("point_values") or {})
        row.update(read_outcomes(root, r["hash"]))
        rows.append(row)
    summary = pd.DataFrame(rows)
    write_csv(root / "summary.csv", summary)
    return _Tables(root, summary)


class _Tables(dict):
    """The combined tables of a results folder: ``summary`` in memory, the others read when asked for."""

    def __init__(self, root: Path, summary: pd.DataFrame):
        super().__init__(summary=summary)
        self._root = root

    def __missing__(self, name: str) -> pd.DataFrame:
        path = self._root / f"{name}.parquet"
        if not path.is_file():
            raise KeyError(name)
        self[name] = df = pd.read_parquet(path)
        return df


def _tag_arrow(table: pa.Table, r: dict) -> pa.Table:
    """The run's table with the identity columns (and the sweep point's values) in front, as ``_tag`` makes
    them in pandas: the schema, pandas metadata included, is that of ``_tag`` on the table's empty frame."""
    tagged = pa.Schema.from_pandas(_tag(table.schema.empty_table().to_pandas(), r), preserve_index=False)
    values = [r["scenario"], r["policy"], r["point"], r["replication"], r["hash"], r["seed"],
              *(r.get("point_values") or {}).values()]
    ids = [tagged.field(i) for i in range(len(values))]
    schema = pa.schema([*ids, *table.schema], metadata=tagged.metadata)
    front = [pa.repeat(pa.scalar(v, type=f.type), table.num_rows) for v, f in zip(values, ids)]
    return pa.Table.from_arrays([*front, *table.columns], schema=schema)


def write_arrow(path: str | os.PathLike, table: pa.Table) -> Path:
    """Write an Arrow table as parquet, atomically (as ``write_parquet``)."""
    buf = pa.BufferOutputStream()
    pq.write_table(table, buf)
    return atomic_write_bytes(path, buf.getvalue().to_pybytes())


def _strings(value: str, n: int) -> pd.arrays.ArrowStringArray:
    """``n`` copies of ``value`` as a pandas string column, built by Arrow (no list of ``n`` Python strings)."""
    return pd.array(pa.repeat(pa.scalar(value, pa.string()), n), dtype="string")


def _tag(df: pd.DataFrame, r: dict) -> pd.DataFrame:
    n = len(df)
    ids = pd.DataFrame(
        {
            "scenario": _strings(r["scenario"], n),
            "policy": _strings(r["policy"], n),
            "point": np.full(n, r["point"], dtype=np.int32),
            "replication": np.full(n, r["replication"], dtype=np.int32),
            "run": _strings(r["hash"], n),
            "seed": np.full(n, r["seed"], dtype=np.int64),
        }
    )
    # the sweep point's values as columns named by their dotted paths (e.g. ``dynamics.information_sharing``)
    for k, v in (r.get("point_values") or {}).items():
        ids[k] = pd.Series([v] * len(df), dtype=_dtype(v))
    return pd.concat([ids, df.reset_index(drop=True)], axis=1)


def _dtype(v) -> str | None:
    """The column dtype of a swept value (so an empty table keeps the type)."""
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int64"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    return None
