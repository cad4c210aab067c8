"""``relsim customers``: the statistics and the baseline of a customer file, written as a results folder.

The folder (every figure is drawn from the tables beside it, read back from disk)::

    manifest.json          command, input file (sha256, rows, columns used), options, kind, summary,
                           baseline fit; status "running" until everything is written, then "complete"
    summary.csv            one row: customers, purchases, revenue, periods, purchases and revenue per
                           customer, repeat share, mean tenure, top20_share, hhi, effective_customers
    customers.parquet      one row per customer: cohort, last_period, purchases, active_periods,
                           revenue, [quantity], tenure, censored, [segment]
    cohorts.csv            customers by first-purchase cohort
    retention.csv          cohort retention curves: cohort, age, cohort_size, active, retention
    by_age.csv             pooled over cohorts: retention and revenue per customer by age
    frequency.csv          purchases per customer: purchases, customers, share
    tenure.csv             tenure distribution: tenure, customers, churned, censored
    concentration.csv      top-20% share, HHI, effective number of customers
    lorenz.parquet         the concentration curve (customer_share, revenue_share)
    segments.csv           (with a segment or channel column) customers, purchases, revenue by value
    baseline.csv           BG/NBD or sBG per period: actual, expected, expected_conditional
    baseline_params.csv    its parameters with standard errors
    figures/*.png          retention, cohorts, frequency, revenue_by_age, concentration, tenure, baseline

Tables with a ``period`` or ``cohort`` column also carry ``period_start`` (the period's first day) when
the file has dates.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import results as R
from . import stats as S
from .baseline import Baseline, fit_baseline
from .reader import CustomerData, CustomerFileError, period_of

#: default horizon when the cut-off is the file's last period (nothing held out)
DEFAULT_HORIZON = 12


@dataclass
class Analysis:
    data: CustomerData
    summary: dict
    tables: dict[str, pd.DataFrame]
    baseline: Baseline
    options: dict = field(default_factory=dict)


def resolve_until(data: CustomerData, until: str | None) -> int:
    """The cut-off period: a period number as in the tables, or a date (its period); default the last."""
    first, last = int(data.rows["period"].min()), int(data.rows["period"].max())
    if until is None:
        return last
    text = str(until).strip()
    try:
        p = int(text)
    except ValueError:
        if not data.has_dates:
            raise CustomerFileError(f"--until {text!r} is not allowed; allowed: an integer period from {first} to "
                                    f"{last} (the file has integer periods)") from None
        d = pd.to_datetime(pd.Series([text]), format="ISO8601", errors="coerce")
        if d.isna().iloc[0]:
            raise CustomerFileError(f"--until {text!r} is not allowed; allowed: a period number from {first} to "
                                    f"{last} or a date YYYY-MM-DD within the file") from None
        p = int(period_of(d.dt.normalize(), data.origin, data.period)[0])
    if not first <= p <= last:
        raise CustomerFileError(f"--until {text!r} (period {p}) is not allowed; allowed: a period from {first} to "
                                f"{last}" + (" or a date within the file" if data.has_dates else ""))
    return p


def analyse(data: CustomerData, until: str | None = None, horizon: int | None = None) -> Analysis:
    """Every statistic (over the whole file) and the baseline (fitted up to ``until``). Nothing is written."""
    rows = data.rows
    last = int(rows["period"].max())
    cut = resolve_until(data, until)
    if horizon is None:
        horizon = last - cut if last > cut else DEFAULT_HORIZON
    if horizon < 0:
        raise CustomerFileError(f"--horizon {horizon} is not allowed; allowed: an integer >= 0")
    cust = S.customer_table(rows, last)
    conc = S.concentration(cust["revenue"])
    summ = S.summary(rows, cust, last)
    tables = {
        "summary.csv": pd.DataFrame([summ]),
        "customers.parquet": cust,
        "cohorts.csv": S.cohort_table(cust),
        "retention.csv": S.retention_table(rows, cust, last),
        "by_age.csv": S.by_age_table(rows, cust, last),
        "frequency.csv": S.frequency_table(cust),
        "tenure.csv": S.tenure_table(cust),
        "concentration.csv": pd.DataFrame([conc]),
        "lorenz.parquet": S.lorenz_table(cust["revenue"]),
    }
    seg = S.segment_table(rows, cust)
    if seg is not None:
        tables["segments.csv"] = seg
    base = fit_baseline(data, cut, horizon)
    if base.table is not None:
        tables["baseline.csv"] = base.table
        tables["baseline_params.csv"] = base.params
    if data.has_dates:  # the first day of each period, beside the period numbers
        for name in ("cohorts.csv", "retention.csv", "baseline.csv"):
            if name in tables:
                t = tables[name]
                key = "cohort" if "cohort" in t else "period"
                starts = data.period_start(t[key].to_numpy())
                t.insert(t.columns.get_loc(key) + 1, "period_start", starts.to_numpy())
    opts = dict(period=data.period, kind=data.kind, kind_reason=data.kind_reason, until=cut, horizon=int(horizon))
    return Analysis(data=data, summary=summ, tables=tables, baseline=base, options=opts)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def default_out(source: str) -> Path:
    name = "".join(c if c.isalnum() or c in "_-" else "_" for c in Path(source).stem) or "file"
    return R.default_dir(f"customers-{name}")


def write(an: Analysis, out: Path, force: bool = False, command: list[str] | None = None) -> Path:
    """Write the results folder (``check_writable`` must have passed), then its figures from its tables."""
    from . import figures

    out = Path(out)
    R.check_writable(out, force=force)
    if force and out.exists() and (out / R.MANIFEST).is_file():
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    src = Path(an.data.source)
    manifest = dict(
        kind="customers",
        status="running",
        command=list(command or []),
        cwd=os.getcwd(),
        versions=R.versions(),
        start=R.now_iso(),
        end=None,
        input=dict(file=str(src.resolve()), sha256=_sha256(src), rows=int(len(an.data.rows)),
                   columns=an.data.columns, has_dates=an.data.has_dates,
                   origin=an.data.origin.date().isoformat() if an.data.origin is not None else None),
        options=an.options,
        summary=an.summary,
        baseline=an.baseline.manifest(),
        files=sorted(an.tables),
    )
    R.write_manifest(out, manifest)
    for name, df in an.tables.items():
        (R.write_parquet if name.endswith(".parquet") else R.write_csv)(out / name, df)
    made = figures.make_figures(out)
    manifest.update(status="complete", end=R.now_iso(), figures=[str(p.relative_to(out)) for p in made])
    R.write_manifest(out, manifest)
    return out


def _fmt(v, spec: str = ",.2f") -> str:
    return "" if v is None or (isinstance(v, float) and v != v) else format(v, spec)


def print_report(an: Analysis, out: Path, console) -> None:
    """The headline numbers, the pooled retention curve, concentration and the baseline, on ``console``."""
    from rich.table import Table

    s, d = an.summary, an.data
    unit = "period" if d.period == "integer" else d.period
    console.print(f"{d.source}: {s['customers']:,} customers, {s['purchases']:,} rows, revenue {s['revenue']:,.2f}, "
                  f"{s['periods']} {unit}s (periods {s['first_period']}-{s['last_period']})")
    console.print(f"kind: {d.kind} ({d.kind_reason})")
    console.print(f"per customer: {s['purchases_per_customer']:.2f} purchases, revenue {s['revenue_per_customer']:,.2f}; "
                  f"active in 2+ {unit}s: {s['repeat_share']:.1%}; mean tenure {s['mean_tenure']:.2f} {unit}s")
    console.print(f"concentration: top 20% of customers ({s['top20_customers']:,}) hold {s['top20_share']:.1%} of "
                  f"revenue; HHI {s['hhi']:.4f} (effective customers {s['effective_customers']:,.1f})")
    ba = an.tables["by_age.csv"]
    t = Table(title=f"retention and revenue by age (all cohorts pooled; first 12 {unit}s)", title_justify="left")
    for c in ("age", "cohort customers", "active", "retention", "revenue / customer", "revenue / active"):
        t.add_column(c, justify="right")
    for r in ba.head(13).itertuples(index=False):
        t.add_row(str(r.age), f"{r.cohort_customers:,}", f"{r.active_customers:,}", f"{r.retention:.3f}",
                  _fmt(r.revenue_per_customer), _fmt(r.revenue_per_active_customer))
    console.print(t)
    b = an.baseline
    name = "BG/NBD" if b.model == "bgnbd" else "sBG"
    if b.fit is None:
        console.print(f"baseline {name}: not fitted ({b.skipped})")
    else:
        ps = ", ".join(f"{k} = {v:.4g} (se {b.fit.std_errors.get(k, float('nan')):.2g})" for k, v in b.fit.params.items())
        console.print(f"baseline {name}, fitted on periods up to {b.cut} ({b.fit.n:,} customers): {ps}; "
                      f"log-likelihood {b.fit.loglik:,.2f}" + ("" if b.fit.converged else "; OPTIMISER DID NOT CONVERGE"))
        e = b.errors
        what = "repeat purchases" if b.model == "bgnbd" else "subscriber-periods"
        if e.get("holdout_periods"):
            console.print(f"holdout, periods {b.cut + 1}-{b.cut + e['holdout_periods']}: actual {what} "
                          f"{e['actual_total']:,.0f}, forecast {e['expected_total']:,.1f} ({e['total_error']:+.1%}); "
                          f"mean absolute error {e['mae_per_period']:,.1f} per {unit}")
        else:
            fc = an.tables["baseline.csv"]
            total = fc.loc[fc["phase"] == "holdout", "expected_conditional"].sum()
            console.print(f"forecast, next {b.horizon} {unit}s: {total:,.1f} {what} expected (no data held out)")
    console.print(f"results: {out}")
