"""Figures of a ``relsim customers`` folder, drawn from the tables in it (read back from disk), nothing else."""

from __future__ import annotations

import io
import json
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from .. import results as R
from ..plots import subplots

#: most cohort curves drawn in retention.png (beyond, an even selection; the title says so)
MAX_COHORTS = 12


def _save(fig, path: Path) -> Path:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    return R.atomic_write_bytes(path, buf.getvalue())


def _unit(folder: Path) -> str:
    m = json.loads((folder / R.MANIFEST).read_text())
    p = m.get("options", {}).get("period", "period")
    return "period" if p == "integer" else p


def retention(folder: Path, unit: str) -> Path:
    """Share of each cohort active k periods after its first purchase, and the pooled curve."""
    ret = pd.read_csv(folder / "retention.csv")
    pooled = pd.read_csv(folder / "by_age.csv")
    cohorts = sorted(ret["cohort"].unique())
    shown = cohorts if len(cohorts) <= MAX_COHORTS else [cohorts[i] for i in
                                                         np.linspace(0, len(cohorts) - 1, MAX_COHORTS).round().astype(int)]
    fig, ax = subplots(figsize=(7.5, 4.5))
    cmap = matplotlib.colormaps["viridis"]
    for i, c in enumerate(shown):
        d = ret[(ret["cohort"] == c) & (ret["age"] >= 1)]
        label = str(d["period_start"].iloc[0]) if "period_start" in d and len(d) else f"cohort {c}"
        ax.plot(d["age"], d["retention"], color=cmap(i / max(len(shown) - 1, 1)), lw=1, alpha=0.8, label=label)
    p = pooled[pooled["age"] >= 1]
    ax.plot(p["age"], p["retention"], color="black", lw=2.2, label="all cohorts")
    ax.set_xlabel(f"age ({unit}s since first purchase)")
    ax.set_ylabel("share of cohort buying in that period")
    more = "" if len(shown) == len(cohorts) else f" ({len(shown)} of {len(cohorts)} cohorts shown)"
    ax.set_title("Cohort retention curves" + more)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, ncol=2, frameon=False)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # periods, ages and tenures are whole
    return _save(fig, folder / "figures" / "retention.png")


def cohorts(folder: Path, unit: str) -> Path:
    """New customers by the period of their first purchase."""
    c = pd.read_csv(folder / "cohorts.csv")
    fig, ax = subplots(figsize=(7.5, 3.8))
    x = c["period_start"].astype(str) if "period_start" in c else c["cohort"].astype(str)
    ax.bar(range(len(c)), c["customers"], color="#2171b5")
    step = max(1, len(c) // 12)
    ax.set_xticks(range(0, len(c), step), x.iloc[::step], rotation=45, ha="right", fontsize=8)
    ax.set_xlabel(f"first-purchase {unit}")
    ax.set_ylabel("customers")
    ax.set_title("Customers by first-purchase cohort")
    return _save(fig, folder / "figures" / "cohorts.png")


def frequency(folder: Path, unit: str) -> Path:
    """Customers by number of purchases (the tail beyond 20 purchases pooled)."""
    f = pd.read_csv(folder / "frequency.csv")
    head = f[f["purchases"] <= 20]
    tail = int(f.loc[f["purchases"] > 20, "customers"].sum())
    fig, ax = subplots(figsize=(7.5, 3.8))
    ax.bar(head["purchases"].astype(str), head["customers"], color="#2171b5")
    if tail:
        ax.bar([">20"], [tail], color="#6baed6")
    ax.set_xlabel("purchases per customer")
    ax.set_ylabel("customers")
    ax.set_title("Purchase frequency")
    return _save(fig, folder / "figures" / "frequency.png")


def revenue_by_age(folder: Path, unit: str) -> Path:
    """Revenue per cohort customer and per active customer, by age."""
    a = pd.read_csv(folder / "by_age.csv")
    fig, ax = subplots(figsize=(7.5, 4))
    ax.plot(a["age"], a["revenue_per_customer"], marker="o", ms=3, label="per customer of the cohort")
    ax.plot(a["age"], a["revenue_per_active_customer"], marker="s", ms=3, label="per customer active then")
    ax.set_xlabel(f"age ({unit}s since first purchase)")
    ax.set_ylabel(f"revenue in that {unit}")
    ax.set_title("Revenue per customer by age")
    ax.legend(frameon=False)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # periods, ages and tenures are whole
    return _save(fig, folder / "figures" / "revenue_by_age.png")


def concentration(folder: Path, unit: str) -> Path:
    """The concentration curve with the top-20% share and the HHI."""
    lz = pd.read_parquet(folder / "lorenz.parquet")
    c = pd.read_csv(folder / "concentration.csv").iloc[0]
    fig, ax = subplots(figsize=(5.5, 5))
    ax.plot(lz["customer_share"], lz["revenue_share"], color="#08306b")
    ax.plot([0, 1], [0, 1], color="grey", ls=":", lw=1)
    k = int(c["top20_customers"]) / max(int(c["customers"]), 1)
    ax.plot([k, k, 0], [0, c["top20_share"], c["top20_share"]], color="#e6550d", ls="--", lw=1)
    ax.set_xlabel("share of customers (largest first)")
    ax.set_ylabel("share of revenue")
    ax.set_title(f"Revenue concentration: top 20% = {c['top20_share']:.1%}, HHI = {c['hhi']:.4f}")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    return _save(fig, folder / "figures" / "concentration.png")


def tenure(folder: Path, unit: str) -> Path:
    """Customers by tenure, churned (last purchase before the last period) and still active (censored)."""
    t = pd.read_csv(folder / "tenure.csv")
    fig, ax = subplots(figsize=(7.5, 3.8))
    ax.bar(t["tenure"], t["churned"], color="#2171b5", label="last purchase before the last period")
    ax.bar(t["tenure"], t["censored"], bottom=t["churned"], color="#9ecae1", label="active in the last period")
    ax.set_xlabel(f"tenure ({unit}s from first to last purchase, both counted)")
    ax.set_ylabel("customers")
    ax.set_title("Tenure distribution")
    ax.legend(frameon=False, fontsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # periods, ages and tenures are whole
    return _save(fig, folder / "figures" / "tenure.png")


def baseline(folder: Path, unit: str) -> Path | None:
    """Actual against expected per period, the cut-off marked (no figure without a fitted baseline)."""
    if not (folder / "baseline.csv").is_file():
        return None
    b = pd.read_csv(folder / "baseline.csv")
    model = pd.read_csv(folder / "baseline_params.csv")["model"].iloc[0]
    what = "repeat purchases" if model == "bgnbd" else "active subscribers"
    name = "BG/NBD" if model == "bgnbd" else "sBG"
    fig, ax = subplots(figsize=(8, 4.2))
    ax.plot(b["period"], b["actual"], color="black", lw=1.4, label="actual")
    ax.plot(b["period"], b["expected"], color="#2171b5", ls="--", lw=1.4, label=f"{name}, from acquisition")
    h = b[b["phase"] == "holdout"]
    if len(h):
        ax.plot(h["period"], h["expected_conditional"], color="#e6550d", lw=1.6,
                label=f"{name}, conditional on history at the cut-off")
        cut = b.loc[b["phase"] == "calibration", "period"].max()
        ax.axvline(cut + 0.5, color="grey", ls=":", lw=1)
        ax.text(cut + 0.5, ax.get_ylim()[1] * 0.97, " cut-off", va="top", fontsize=8, color="grey")
    ax.set_xlabel(unit + " (period number)")
    ax.set_ylabel(f"{what} per {unit}")
    ax.set_title(f"{name} baseline: {what} per {unit}, actual and expected")
    ax.legend(frameon=False, fontsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # periods, ages and tenures are whole
    return _save(fig, folder / "figures" / "baseline.png")


def make_figures(folder: str | Path) -> list[Path]:
    """Every figure of a customers folder, from its tables."""
    folder = Path(folder)
    unit = _unit(folder)
    out = [f(folder, unit) for f in (retention, cohorts, frequency, revenue_by_age, concentration, tenure, baseline)]
    return [p for p in out if p is not None]
