"""Figures of a results folder, computed from its written files alone (matplotlib, Agg).

``make_figures(folder)`` reads timeseries/events/relationships/exporters.parquet,
summary.csv and compare.csv and writes ``figures/*.png``:

    stage_counts.png       relationships per stage over time (stacked area), per policy
    trust_commitment.png   trust and commitment of live relationships at the end, by stage
    survival.png           Kaplan-Meier survival of trading relationships; dissolution hazard by age
    dissolutions.png       trading dissolutions by cause and by the stage they ended in
    exporters.png          revenue by exporter rank; revenue concentration (HHI) over time
    forecast.png           forecast error (MAPE) and fill rate over time
    loyalty.png            WKH loyalty y over time
    compare.png            (compare) each outcome by policy: mean with 95% CI
    compare_diff.png       (compare) paired difference from the first policy with 95% CI
    sweep.png              (sweep) outcomes against the first swept parameter, mean with 95% CI
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from . import results as R  # noqa: E402
from .stats import COMPARE_OUTCOMES, SHORT_LABELS, hazard_by_age, kaplan_meier, mean_ci, trading_spells  # noqa: E402

STAGE_COLS = ("n_awareness", "n_exploration", "n_expansion", "n_commitment")
STAGE_COLOURS = ("#c6dbef", "#6baed6", "#2171b5", "#08306b")
TRADING = ("exploration", "expansion", "commitment")


def _colours(policies):
    cmap = plt.get_cmap("tab10")
    return {p: cmap(i % 10) for i, p in enumerate(policies)}


def _save(fig, path: Path) -> Path:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return R.atomic_write_bytes(path, buf.getvalue())


def _policies(df: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(df["policy"].astype(str)))


def stage_counts(ts: pd.DataFrame, path: Path) -> Path:
    pols = _policies(ts)
    n = len(pols)
    cols = min(n, 3)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.6 * rows), squeeze=False, sharey=True)
    for ax, pol in zip(axes.flat, pols):
        g = ts[ts["policy"].astype(str) == pol]
        m = g.groupby("tick")[list(STAGE_COLS)].mean()
        ax.stackplot(m.index, *(m[c] for c in STAGE_COLS), labels=[c[2:] for c in STAGE_COLS], colors=STAGE_COLOURS)
        ax.set_title(f"{pol} (mean of {g['run'].nunique()} runs)")
        ax.set_xlabel("tick")
        ax.grid(alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel("relationships (count)")
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    axes.flat[0].legend(loc="upper left", fontsize=8, title="stage")
    fig.suptitle("Relationships by stage over time")
    return _save(fig, path)


def trust_commitment(rel: pd.DataFrame, path: Path) -> Path:
    pols = _policies(rel)
    colours = _colours(pols)
    live = rel[rel["stage"].astype(str).isin(TRADING)]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    width = 0.8 / max(len(pols), 1)
    for ax, col in zip(axes, ("trust", "commitment")):
        for k, pol in enumerate(pols):
            g = live[live["policy"].astype(str) == pol]
            data = [g.loc[g["stage"].astype(str) == s, col].dropna().to_numpy() for s in TRADING]
            pos = np.arange(len(TRADING)) + (k - (len(pols) - 1) / 2) * width
            keep = [i for i, d in enumerate(data) if len(d)]
            if keep:
                bp = ax.boxplot([data[i] for i in keep], positions=pos[keep], widths=width * 0.9, patch_artist=True,
                                showfliers=False, manage_ticks=False)
                for b in bp["boxes"]:
                    b.set_facecolor(colours[pol])
                    b.set_alpha(0.6)
            ax.plot([], [], color=colours[pol], lw=6, alpha=0.6, label=pol)
        ax.set_xticks(range(len(TRADING)), TRADING)
        ax.set_xlabel("stage at the end of the run")
        ax.set_ylabel(f"{col} (0-1)")
        ax.set_ylim(0, 1)
        ax.set_title(f"{col.capitalize()} of live relationships by stage")
        ax.grid(axis="y", alpha=0.3)
    if len(pols) > 1:
        axes[1].legend(fontsize=8, title="policy")
    return _save(fig, path)


def _spells(rel, ev, ts):
    end = ts.groupby("run")["tick"].max()
    return trading_spells(rel, ev, end)


def survival(spells: pd.DataFrame, path: Path) -> Path:
    pols = _policies(spells)
    colours = _colours(pols)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    width = max(1, int(np.ceil(spells["duration"].max() / 25))) if len(spells) else 5
    for pol in pols:
        g = spells[spells["policy"].astype(str) == pol]
        km = kaplan_meier(g["duration"], g["dissolved"])
        axes[0].step(km["age"], km["survival"], where="post", color=colours[pol], label=f"{pol} (n={len(g)})")
        axes[0].fill_between(km["age"], km["ci_low"], km["ci_high"], step="post", color=colours[pol], alpha=0.15)
        hz = hazard_by_age(g["duration"], g["dissolved"], width)
        axes[1].plot((hz["age_start"] + hz["age_end"]) / 2, hz["hazard"], marker="o", ms=3, color=colours[pol], label=pol)
    axes[0].set(xlabel="relationship age since first trial order (ticks)", ylabel="share still live",
                title="Survival of trading relationships (Kaplan-Meier, 95% CI)", ylim=(0, 1.02))
    axes[1].set(xlabel="relationship age (ticks)", ylabel="dissolutions per relationship per tick",
                title=f"Dissolution hazard by age ({width}-tick bins)")
    axes[1].set_ylim(bottom=0)
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return _save(fig, path)


def dissolutions(ev: pd.DataFrame, path: Path) -> Path:
    pols = _policies(ev) if len(ev) else []
    colours = _colours(pols)
    dis = ev[ev["to_stage"].astype(str) == "dissolved"]
    runs = ev.groupby("policy", observed=True)["run"].nunique()
    trading = dis[dis["from_stage"].astype(str).isin(TRADING)]
    lapsed = len(dis) - len(trading)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, col, cats in ((axes[0], "cause", None), (axes[1], "from_stage", TRADING)):
        cats = list(cats or [c for c in trading[col].astype(str).unique()])
        cats = sorted(cats, key=lambda c: -int((trading[col].astype(str) == c).sum())) if col == "cause" else cats
        width = 0.8 / max(len(pols), 1)
        for k, pol in enumerate(pols):
            g = trading[trading["policy"].astype(str) == pol]
            counts = g[col].astype(str).value_counts().reindex(cats, fill_value=0) / max(int(runs.get(pol, 1)), 1)
            ax.bar(np.arange(len(cats)) + (k - (len(pols) - 1) / 2) * width, counts.to_numpy(), width,
                   color=colours[pol], label=pol)
        ax.set_xticks(range(len(cats)), [c.replace("_", " ") for c in cats], rotation=20, ha="right")
        ax.set_ylabel("dissolutions per run (count)")
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_title("Trading dissolutions by cause")
    axes[1].set_title("Trading dissolutions by stage left")
    axes[1].set_xlabel("stage at dissolution")
    if len(pols) > 1:
        axes[0].legend(fontsize=8, title="policy")
    n_runs = max(int(runs.sum()), 1)
    fig.suptitle(f"Dissolutions (awareness lapses without a trial, not shown: {lapsed / n_runs:.0f} per run)", fontsize=10)
    return _save(fig, path)


def exporters(ex: pd.DataFrame, ts: pd.DataFrame, path: Path) -> Path:
    pols = _policies(ex)
    colours = _colours(pols)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for pol in pols:
        g = ex[ex["policy"].astype(str) == pol].copy()
        g["rank"] = g.groupby("run")["revenue"].rank(ascending=False, method="first").astype(int)
        m = g.groupby("rank")["revenue"].mean()
        axes[0].plot(m.index, m.to_numpy(), marker="o", ms=3, color=colours[pol], label=pol)
        t = ts[ts["policy"].astype(str) == pol].groupby("tick")["revenue_hhi"].mean()
        axes[1].plot(t.index, t.to_numpy(), color=colours[pol], label=pol)
    axes[0].set(xlabel="exporter rank by revenue (1 = largest)", ylabel="revenue over the run (money)",
                title="Revenue per exporter (mean over runs, by rank)")
    axes[1].set(xlabel="tick", ylabel="HHI of revenue over customers (0-1)",
                title="Revenue concentration of exporters (mean HHI)")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return _save(fig, path)


def _over_time(ts: pd.DataFrame, path: Path, cols: list[tuple[str, str, str]], suptitle: str | None = None) -> Path:
    pols = _policies(ts)
    colours = _colours(pols)
    fig, axes = plt.subplots(1, len(cols), figsize=(5.5 * len(cols), 4), squeeze=False)
    for ax, (col, ylabel, title) in zip(axes.flat, cols):
        for pol in pols:
            t = ts[ts["policy"].astype(str) == pol].groupby("tick")[col].mean()
            ax.plot(t.index, t.to_numpy(), color=colours[pol], label=pol)
        ax.set(xlabel="tick", ylabel=ylabel, title=title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    return _save(fig, path)


def compare_fig(table: pd.DataFrame, path: Path, diff: bool = False) -> Path:
    outs = list(dict.fromkeys(table["outcome"]))
    pols = list(dict.fromkeys(table["policy"]))
    colours = _colours(pols)
    fig, axes = plt.subplots(1, len(outs), figsize=(3.4 * len(outs), 1.6 + 0.35 * len(pols)), squeeze=False, layout="constrained")
    for ax, out in zip(axes.flat, outs):
        g = table[table["outcome"] == out].set_index("policy").reindex(pols)
        c, lo, hi = ("diff", "diff_low", "diff_high") if diff else ("mean", "ci_low", "ci_high")
        y = np.arange(len(pols))[::-1]
        err = np.vstack([(g[c] - g[lo]).to_numpy(), (g[hi] - g[c]).to_numpy()])
        err = np.nan_to_num(err, nan=0.0)
        ax.errorbar(g[c], y, xerr=err, fmt="none", ecolor="0.3", capsize=3, zorder=1)
        for yi, pol in zip(y, pols):
            ax.plot(g.loc[pol, c], yi, "o", color=colours[pol], ms=7, zorder=2)
        ax.set_ylim(-0.6, len(pols) - 0.4)
        if diff:
            ax.axvline(0, color="0.5", lw=1, ls="--")
        ax.set_yticks(y, pols if ax is axes.flat[0] else [""] * len(pols))
        ax.set_xlabel(("difference in " if diff else "") + SHORT_LABELS.get(out, out), fontsize=9)
        ax.set_title(out.replace("_", " "), fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    base = pols[0] if pols else ""
    fig.suptitle(f"Paired difference from {base!r} (95% CI, common random numbers)" if diff
                 else "Outcomes by policy (mean, 95% CI)")
    return _save(fig, path)


def sweep_fig(summary: pd.DataFrame, sweep_cols: list[str], path: Path) -> Path:
    x = sweep_cols[0]
    outs = list(COMPARE_OUTCOMES)
    pols = _policies(summary)
    colours = _colours(pols)
    fig, axes = plt.subplots(1, len(outs), figsize=(3.6 * len(outs), 3.6), squeeze=False, layout="constrained")
    for ax, out in zip(axes.flat, outs):
        for pol in pols:
            g = summary[summary["policy"].astype(str) == pol]
            rows = [(v, *mean_ci(gg[out])) for v, gg in g.groupby(x)]
            if not rows:
                continue
            v, m, lo, hi = map(np.asarray, zip(*rows))
            ax.plot(v, m, marker="o", ms=3, color=colours[pol], label=pol)
            ok = np.isfinite(lo)
            ax.fill_between(v[ok], lo[ok], hi[ok], color=colours[pol], alpha=0.15)
        ax.set_xlabel(x)
        ax.set_ylabel(SHORT_LABELS[out], fontsize=9)
        ax.set_title(out.replace("_", " "), fontsize=10)
        ax.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=8)
    extra = f" (other swept fields averaged: {', '.join(sweep_cols[1:])})" if len(sweep_cols) > 1 else ""
    fig.suptitle(f"Outcomes against {x}: mean with 95% CI{extra}", fontsize=10)
    return _save(fig, path)


def sweep_columns(manifest: dict) -> list[str]:
    """The swept fields (dotted paths), in the order they appear in the runs' point values."""
    cols: dict[str, None] = {}
    for r in manifest.get("runs", []):
        for k in (r.get("point_values") or {}):
            cols.setdefault(k, None)
    return list(cols)


def make_figures(folder: str | os.PathLike) -> list[Path]:
    """Write every figure of ``folder`` into ``folder/figures`` from its files; return their paths."""
    root = Path(folder)
    manifest = R.read_manifest(root)
    figs = root / "figures"
    figs.mkdir(exist_ok=True)
    ts = pd.read_parquet(root / "timeseries.parquet")
    ev = pd.read_parquet(root / "events.parquet")
    rel = pd.read_parquet(root / "relationships.parquet")
    ex = pd.read_parquet(root / "exporters.parquet")
    summary = pd.read_csv(root / "summary.csv")
    out = [
        stage_counts(ts, figs / "stage_counts.png"),
        trust_commitment(rel, figs / "trust_commitment.png"),
        survival(_spells(rel, ev, ts), figs / "survival.png"),
        dissolutions(ev, figs / "dissolutions.png"),
        exporters(ex, ts, figs / "exporters.png"),
        _over_time(ts, figs / "forecast.png", [
            ("forecast_mape", "mean absolute percentage error (share)", "Forecast error of exporters (MAPE)"),
            ("fill_rate", "units delivered / units ordered (0-1)", "Fill rate"),
        ]),
        _over_time(ts, figs / "loyalty.png", [
            ("loyalty_y", "y = sum J^2 / (sum J)^2 (1/n .. 1)", "Buyer loyalty (Weisbuch-Kirman-Herreiner y)"),
            ("retention_rate", "1 - trading dissolutions / trading relationships", "Retention per tick"),
        ]),
    ]
    cmp_path = root / "compare.csv"
    if cmp_path.is_file():
        table = pd.read_csv(cmp_path)
        out.append(compare_fig(table, figs / "compare.png"))
        out.append(compare_fig(table, figs / "compare_diff.png", diff=True))
    cols = [c for c in sweep_columns(manifest) if c in summary.columns]
    if cols and summary["point"].nunique() > 1:
        out.append(sweep_fig(summary, cols, figs / "sweep.png"))
    return out
