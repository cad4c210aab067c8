"""Reading a customer file: one row per purchase (or per customer per subscribed period), checked line by line.

A file is a CSV (separator detected or ``sep``) or a parquet file with the columns

    customer_id   who bought (any text)
    date          when (ISO 8601 ``YYYY-MM-DD`` or ``YYYYMMDD``, or ``date_format``)   } one of the two
    period        or an integer period number (consecutive integers: 1, 2, 3, ...)   }
    revenue       what it was worth (a number >= 0)
    quantity      optional: units (a number >= 0)
    segment       optional: the customer's segment (text; a customer's first row counts)
    channel       optional: the sales channel of the purchase (text)

named as here or mapped (``columns={"revenue": "dollar_value", ...}``). Dates are grouped into periods of
``period`` (day, week, month, quarter, year; weeks are 7-day blocks from the first date in the file,
the others calendar periods); the period numbers start at 0 with the file's first period.

Contractual data (one row per customer per period while subscribed) is recognised with ``kind="auto"``
when every customer's periods are consecutive with no gap and at least one customer spans two periods;
otherwise the file is read as transactions. ``kind="contractual"`` or ``"transactions"`` forces either.

Every problem raises :class:`CustomerFileError` with one line naming the file, the line (CSV line
numbers count the header as line 1; parquet rows count from 1), the field, the value and what is allowed.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

FIELDS = ("customer_id", "date", "period", "revenue", "quantity", "segment", "channel")
PERIODS = ("day", "week", "month", "quarter", "year")
KINDS = ("auto", "transactions", "contractual")
#: mean length of a period in days (the time unit of the BG/NBD when the file has dates)
PERIOD_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12, "quarter": 365.25 / 4, "year": 365.25}


class CustomerFileError(ValueError):
    """A customer file that cannot be read; the message is one line."""


@dataclass
class CustomerData:
    """A checked customer file: ``rows`` has customer_id (str), period (int), revenue, and when present
    date (day), day (days since the first date), quantity, segment, channel."""

    rows: pd.DataFrame
    source: str
    period: str  # day/week/month/quarter/year, or "integer" when the file has integer periods
    kind: str  # "transactions" or "contractual"
    kind_reason: str
    columns: dict = field(default_factory=dict)  # field -> column name used
    origin: pd.Timestamp | None = None  # first day of the file's first period (dates only); ``day`` counts from it

    @property
    def has_dates(self) -> bool:
        return "date" in self.rows

    def period_start(self, periods) -> pd.Series | None:
        """The first day of each period number (None without dates)."""
        if not self.has_dates:
            return None
        return pd.Series([period_start(self.origin, self.period, int(p)).date().isoformat() for p in periods])

    def period_end_day(self, p: int) -> float:
        """The last day of period ``p`` in days since the origin (for integer periods: ``p`` itself)."""
        if not self.has_dates:
            return float(p)
        return float((period_start(self.origin, self.period, int(p) + 1) - self.origin).days - 1)


def period_start(origin: pd.Timestamp, period: str, p: int) -> pd.Timestamp:
    """First day of period number ``p`` (0: the period holding ``origin``)."""
    if period == "day":
        return origin + pd.Timedelta(days=p)
    if period == "week":
        return origin + pd.Timedelta(days=7 * p)
    if period == "month":
        m = origin.year * 12 + origin.month - 1 + p
        return pd.Timestamp(year=m // 12, month=m % 12 + 1, day=1)
    if period == "quarter":
        q = origin.year * 4 + (origin.month - 1) // 3 + p
        return pd.Timestamp(year=q // 4, month=3 * (q % 4) + 1, day=1)
    if period == "year":
        return pd.Timestamp(year=origin.year + p, month=1, day=1)
    raise ValueError(period)


def period_of(dates: pd.Series, origin: pd.Timestamp, period: str) -> np.ndarray:
    """Period number of each date (0 for the period holding ``origin``)."""
    if period == "day":
        return (dates - origin).dt.days.to_numpy()
    if period == "week":
        return ((dates - origin).dt.days // 7).to_numpy()
    y, m = dates.dt.year.to_numpy(), dates.dt.month.to_numpy()
    if period == "month":
        return (y * 12 + m - 1) - (origin.year * 12 + origin.month - 1)
    if period == "quarter":
        return (y * 4 + (m - 1) // 3) - (origin.year * 4 + (origin.month - 1) // 3)
    if period == "year":
        return y - origin.year
    raise ValueError(period)


def _sniff_sep(path: Path) -> str:
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as fh:
        head = fh.readline()
    for sep in (",", ";", "\t", "|"):
        if sep in head:
            return sep
    return r"\s+" if len(head.split()) > 1 else ","


def _raw(path: Path, sep: str | None) -> tuple[pd.DataFrame, int, str]:
    """The file as text columns, the line number of the first data row, and 'line' or 'row'."""
    if not path.is_file():
        raise CustomerFileError(f"{path}: no such file; allowed: a CSV or parquet file with one row per purchase")
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            df = pd.read_parquet(path)
        except Exception as e:  # pyarrow raises several kinds
            raise CustomerFileError(f"{path}: not a readable parquet file ({type(e).__name__}: "
                                    f"{' '.join(str(e).split())[:200]})") from None
        return df, 1, "row"
    sep = _sniff_sep(path) if sep in (None, "auto") else ("\t" if sep in ("\\t", "tab") else
                                                           r"\s+" if sep in ("whitespace", " ") else sep)
    try:
        df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=False,
                         encoding="utf-8-sig", engine="python" if len(sep) > 1 else "c")
    except pd.errors.EmptyDataError:
        raise CustomerFileError(f"{path}: empty file; allowed: a header line and one row per purchase") from None
    except (pd.errors.ParserError, UnicodeDecodeError, csv.Error) as e:
        msg = " ".join(str(e).split())
        m = re.search(r"line (\d+)", msg)
        where = f"line {m.group(1)}: " if m else ""
        raise CustomerFileError(f"{path}: {where}not readable as CSV ({msg[:200]}); allowed: one row per purchase "
                                "with the same number of fields as the header") from None
    df.columns = [str(c).strip() for c in df.columns]
    return df, 2, "line"


def _where(path: Path, first: int, unit: str, i: int) -> str:
    return f"{path}: {unit} {first + i}"


def _numbers(path, col, s: pd.Series, first, unit, name, required=True) -> np.ndarray:
    """Parse a column of numbers >= 0; raise naming the first bad line."""
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        txt = s.astype(str).str.strip()
        v = pd.to_numeric(txt, errors="coerce")
        bad = np.flatnonzero(v.isna().to_numpy() | ~np.isfinite(v.to_numpy(dtype=float, na_value=np.nan)))
        if bad.size:
            i = int(bad[0])
            raise CustomerFileError(f"{_where(path, first, unit, i)}: {name} {txt.iloc[i]!r} (column {col!r}) is "
                                    f"not a number; allowed: a number >= 0, e.g. 12.50")
        v = v.to_numpy(dtype=float)
    else:
        v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = np.flatnonzero(~np.isfinite(v))
        if bad.size:
            i = int(bad[0])
            raise CustomerFileError(f"{_where(path, first, unit, i)}: {name} {s.iloc[i]!r} (column {col!r}) is "
                                    "not a number; allowed: a number >= 0, e.g. 12.50")
    neg = np.flatnonzero(v < 0)
    if neg.size:
        i = int(neg[0])
        raise CustomerFileError(f"{_where(path, first, unit, i)}: {name} {v[i]:g} (column {col!r}) is negative; "
                                "allowed: a number >= 0 (net refunds into their purchase or leave them out)")
    return v


def _dates(path, col, s: pd.Series, first, unit, date_format: str | None) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        d = pd.to_datetime(s)
        if getattr(d.dt, "tz", None) is not None:
            d = d.dt.tz_localize(None)
        bad = np.flatnonzero(d.isna().to_numpy())
        if bad.size:
            raise CustomerFileError(f"{_where(path, first, unit, int(bad[0]))}: date is empty (column {col!r}); "
                                    "allowed: a date")
        return d.dt.normalize()
    txt = s.astype(str).str.strip()
    fmt = date_format
    if fmt is None:
        sample = txt[txt != ""]
        fmt = "%Y%m%d" if len(sample) and re.fullmatch(r"\d{8}", sample.iloc[0]) else "ISO8601"
    d = pd.to_datetime(txt, format=fmt, errors="coerce")
    bad = np.flatnonzero(d.isna().to_numpy())
    if bad.size:
        i = int(bad[0])
        allowed = (f"a date in the format {date_format!r} (--date-format)" if date_format else
                   "a date as YYYY-MM-DD (ISO 8601) or YYYYMMDD like the file's first date, or set --date-format")
        raise CustomerFileError(f"{_where(path, first, unit, i)}: date {txt.iloc[i]!r} (column {col!r}) is not a "
                                f"date; allowed: {allowed}")
    if getattr(d.dt, "tz", None) is not None:
        d = d.dt.tz_localize(None)
    return d.dt.normalize()


def _integers(path, col, s: pd.Series, first, unit) -> np.ndarray:
    txt = s.astype(str).str.strip()
    v = pd.to_numeric(txt, errors="coerce")
    arr = v.to_numpy(dtype=float, na_value=np.nan)
    bad = np.flatnonzero(~np.isfinite(arr) | (arr != np.round(arr)))
    if bad.size:
        i = int(bad[0])
        raise CustomerFileError(f"{_where(path, first, unit, i)}: period {txt.iloc[i]!r} (column {col!r}) is not an "
                                "integer; allowed: an integer period number (1, 2, 3, ...), or a date column")
    return arr.astype(np.int64)


def detect_kind(customer_id: np.ndarray, period: np.ndarray) -> tuple[str, str]:
    """``("contractual", why)`` when every customer's periods are consecutive (no gap) and one spans two
    periods or more; else ``("transactions", why)``."""
    df = pd.DataFrame({"c": customer_id, "p": period}).drop_duplicates()
    g = df.groupby("c")["p"]
    span = g.max() - g.min() + 1
    n = g.size()
    gaps = int((span != n).sum())
    if gaps:
        return "transactions", f"{gaps} customers skip periods between purchases"
    if int(span.max()) < 2:
        return "transactions", "no customer is active in two periods"
    return "contractual", "every customer has one row per period from first to last, with no gap"


def read_customers(path, columns: dict | None = None, period: str = "month", kind: str = "auto",
                   sep: str | None = None, date_format: str | None = None) -> CustomerData:
    """Read and check a customer file (see the module docstring); raise :class:`CustomerFileError`."""
    path = Path(path)
    columns = dict(columns or {})
    for k in columns:
        if k not in FIELDS:
            raise CustomerFileError(f"column mapping {k!r} is not allowed; allowed: {', '.join(FIELDS)}")
    if period not in PERIODS:
        raise CustomerFileError(f"--period {period!r} is not allowed; allowed: {', '.join(PERIODS)}")
    if kind not in KINDS:
        raise CustomerFileError(f"--kind {kind!r} is not allowed; allowed: {', '.join(KINDS)}")
    df, first, unit = _raw(path, sep)
    found = list(df.columns)
    shown = ", ".join(found[:12]) + (", ..." if len(found) > 12 else "")

    def col(name: str, required: bool) -> str | None:
        c = columns.get(name, name)
        if c in df.columns:
            return c
        if name in columns or required:
            opt = "--" + name.replace("_", "-") + "-col"
            raise CustomerFileError(f"{path}: column {c!r} missing (the {name} column); allowed: a column named "
                                    f"{name} or one named with {opt} NAME (columns found: {shown})")
        return None

    c_id = col("customer_id", True)
    c_rev = col("revenue", True)
    if "period" in columns:
        c_date, c_per = None, col("period", True)
    elif "date" in columns or columns.get("date", "date") in df.columns:
        c_date, c_per = col("date", True), None
    elif "period" in df.columns:
        c_date, c_per = None, "period"
    else:
        raise CustomerFileError(f"{path}: column 'date' missing (or 'period'); allowed: a date column named date or "
                                f"one named with --date-col NAME, or an integer period column named period or one "
                                f"named with --period-col NAME (columns found: {shown})")
    c_qty, c_seg, c_chan = col("quantity", False), col("segment", False), col("channel", False)
    if len(df) == 0:
        raise CustomerFileError(f"{path}: no rows; allowed: one row per purchase below the header")

    ids = df[c_id].astype(str).str.strip()
    empty = np.flatnonzero((ids == "").to_numpy() | df[c_id].isna().to_numpy())
    if empty.size:
        raise CustomerFileError(f"{_where(path, first, unit, int(empty[0]))}: customer_id is empty (column {c_id!r}); "
                                "allowed: any non-empty text")
    rows = pd.DataFrame({"customer_id": ids.to_numpy()})
    origin = None
    if c_date is not None:
        d = _dates(path, c_date, df[c_date], first, unit, date_format)
        origin = period_start(d.min(), period, 0)  # the first day of the file's first period
        rows["date"] = d.to_numpy()
        rows["day"] = (d - origin).dt.days.to_numpy()
        rows["period"] = period_of(d, origin, period)
        per_name = period
    else:
        p = _integers(path, c_per, df[c_per], first, unit)
        rows["period"] = p
        per_name = "integer"
    rows["revenue"] = _numbers(path, c_rev, df[c_rev], first, unit, "revenue")
    if c_qty is not None:
        rows["quantity"] = _numbers(path, c_qty, df[c_qty], first, unit, "quantity")
    for name, c in (("segment", c_seg), ("channel", c_chan)):
        if c is not None:
            rows[name] = df[c].astype(str).str.strip().to_numpy()
    used = {k: v for k, v in (("customer_id", c_id), ("date", c_date), ("period", c_per), ("revenue", c_rev),
                              ("quantity", c_qty), ("segment", c_seg), ("channel", c_chan)) if v is not None}
    detected, why = detect_kind(rows["customer_id"].to_numpy(), rows["period"].to_numpy())
    if kind == "auto":
        kind_used, reason = detected, f"detected: {why}"
    elif kind == "contractual" and detected != "contractual" and "skip" in why:
        cid = _first_gap(rows)
        raise CustomerFileError(f"{path}: customer {cid!r} skips periods; allowed for --kind contractual: one row per "
                                "customer per period from the first to the last, with no gap (or --kind transactions)")
    else:
        kind_used, reason = kind, "set with --kind"
    return CustomerData(rows=rows, source=str(path), period=per_name, kind=kind_used, kind_reason=reason,
                        columns=used, origin=origin)


def _first_gap(rows: pd.DataFrame) -> str:
    df = rows[["customer_id", "period"]].drop_duplicates()
    g = df.groupby("customer_id", sort=False)["period"]
    bad = (g.max() - g.min() + 1) != g.size()
    return str(bad[bad].index[0])
