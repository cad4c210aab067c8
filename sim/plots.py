"""Figures of a results folder, computed from its written files alone (matplotlib figures outside pyplot: no backend is chosen).

``make_figures(folder)`` reads timeseries/events/relationships/exporters.parquet,
summary.csv, compare.csv and manifest.json and writes ``figures/*.png``:

    stage_counts.png       relationships per stage over time (stacked area), per policy (and sweep point)
    trust_commitment.png   trust and commitment of live relationships at the end, by stage
    survival.png           Kaplan-Meier survival of trading relationships; dissolution hazard by age
    dissolutions.png       trading dissolutions by cause and by the stage they ended in
    exporters.png          revenue by exporter rank; revenue concentration (HHI) over time
    forecast.png           forecast error (MAPE) and fill rate over time
    loyalty.png            WKH loyalty y over time; retention per tick
    answer.png             the scenario's question and what answers it (``answer_fig``)
    compare.png            (compare) each outcome by policy: mean with 95% CI
    compare_diff.png       (compare) paired difference from the first policy with 95% CI
    sweep.png              (sweep) outcomes against the first swept field, mean with 95% CI

A figure built on fewer than 5 replications per group says so under it, in red.
Every figure but compare/sweep shows one series per *group*: a policy or, when the
folder holds more than one sweep point, a (sweep point, policy) pair labelled with
the point's swept values (read from summary.csv; the swept fields from the manifest).
A sweep point's colour is a shade of its policy's colour family; policies also
differ by line style. At most ``MAX_POINTS`` points are drawn (evenly spread over
the points sorted by their values; the figure says so).
"""

from __future__ import annotations

import io
import os
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, MaxNLocator

from . import results as R
from .answer import spec as answer_spec
from .outcomes import OVER_TIME_LABELS
from .outcomes import label as outcome_label
from .stats import (COMPARE_OUTCOMES, few_replications_note, hazard_by_age, kaplan_meier, outcome_ci,
                    trading_spells)

STAGE_COLS = ("n_awareness", "n_exploration", "n_expansion", "n_commitment")
STAGE_COLOURS = ("#c6dbef", "#6baed6", "#2171b5", "#08306b")
TRADING = ("exploration", "expansion", "commitment")
#: sweep.png: the compared outcomes and the supply-side ones (the scenario's answer outcomes come first)
SWEEP_OUTCOMES = (*COMPARE_OUTCOMES, "forecast_mape", "fill_rate")
#: most sweep points drawn in one figure (beyond, an even selection of them)
MAX_POINTS = 8
_FAMILIES = ("Blues", "Oranges", "Greens", "Reds", "Purples", "Greys", "YlOrBr", "PuRd", "BuGn", "GnBu")
_STYLES = ("-", "--", ":", "-.")


# ---- groups: policies, or (sweep point, policy) pairs ----------------------------------
def fmt_value(v) -> str:
    """A swept value as written in a scenario file (true/false, 0.25, text)."""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.4g}"
    return str(v)

def subplots(nrows=1, ncols=1, *, figsize, layout=None, **kw):
    """A figure and its axes made outside pyplot: no backend is chosen and no figure is left open."""
    fig = Figure(figsize=figsize, layout=layout)
    FigureCanvasAgg(fig)  # drawn by Agg for this figure alone (the global backend is left as it is)
    return fig, fig.subplots(nrows, ncols, **kw)



def _short_names(cols: list[str]) -> dict[str, str]:
    """Last part of each dotted path, or the whole path where two last parts collide."""
    last = [c.rsplit(".", 1)[-1] for c in cols]
    return {c: (s if last.count(s) == 1 else c) for c, s in zip(cols, last)}


def _sort_key(v):
    return (0, float(v), "") if isinstance(v, (int, float, np.integer, np.floating)) else (1, 0.0, str(v))


@dataclass
class Groups:
    """The series of a figure: (point, policy) keys in order, with label, colour and line style each."""

    keys: list[tuple[int, str]]
    labels: dict[tuple[int, str], str]
    colours: dict[tuple[int, str], tuple]
    styles: dict[tuple[int, str], str]
    policies: list[str]
    points: list[int]  # the points drawn, in order of their values
    point_labels: dict[int, str] = field(default_factory=dict)
    sweep_cols: list[str] = field(default_factory=list)
    runs: dict[tuple[int, str], int] = field(default_factory=dict)
    note: str = ""  # e.g. "showing 8 of 40 sweep points"
    few: str = ""  # the few-replications note, when a group has fewer than FEW_REPLICATIONS runs

    @property
    def by_point(self) -> bool:
        return len(self.point_labels) > 0

    @property
    def legend_title(self) -> str:
        if not self.by_point:
            return "policy"
        swept = ", ".join(self.sweep_cols)
        return f"policy · {swept}" if len(self.policies) > 1 else swept

    def select(self, df: pd.DataFrame, key: tuple[int, str]) -> pd.DataFrame:
        point, pol = key
        mask = df["policy"].astype(str) == pol
        if self.by_point:
            mask &= df["point"].to_numpy() == point
        return df[mask]


def groups(summary: pd.DataFrame, manifest: dict | None = None) -> Groups:
    """The groups of a results folder's figures from its summary (and manifest for the swept fields)."""
    pols = list(dict.fromkeys(summary["policy"].astype(str)))
    cols = [c for c in sweep_columns(manifest or {}) if c in summary.columns] or [c for c in summary.columns if "." in c]
    pts = summary.drop_duplicates("point")
    by_point = len(pts) > 1
    runs = summary.groupby(["point", "policy"], sort=False).size()
    few = few_replications_note(int(runs.min()) if len(runs) else 0)
    if not by_point:
        point = int(pts["point"].iloc[0]) if len(pts) else 0
        cmap = matplotlib.colormaps["tab10"]
        keys = [(point, p) for p in pols]
        return Groups(keys=keys, labels={k: k[1] for k in keys}, colours={k: cmap(i % 10) for i, k in enumerate(keys)},
                      styles={k: "-" for k in keys}, policies=pols, points=[point], sweep_cols=cols,
                      runs={k: int(runs.get(k, 0)) for k in keys}, few=few)
    short = _short_names(cols)
    values = {int(r["point"]): tuple(r[c] for c in cols) for _, r in pts.iterrows()}
    order = sorted(values, key=lambda p: tuple(_sort_key(v) for v in values[p]))
    note = ""
    if len(order) > MAX_POINTS:
        idx = np.unique(np.linspace(0, len(order) - 1, MAX_POINTS).round().astype(int))
        note = f"showing {len(idx)} of {len(order)} sweep points"
        order = [order[i] for i in idx]
    plabel = {p: ", ".join(f"{short[c]}={fmt_value(v)}" for c, v in zip(cols, values[p])) for p in order}
    keys, labels, colours, styles = [], {}, {}, {}
    n = len(order)
    for j, pol in enumerate(pols):
        for i, p in enumerate(order):
            k = (p, pol)
            keys.append(k)
            if len(pols) == 1:
                labels[k] = plabel[p]
                colours[k] = matplotlib.colormaps["tab10"](i % 10) if n <= 10 else matplotlib.colormaps["viridis"](i / max(n - 1, 1))
            else:
                labels[k] = f"{pol} · {plabel[p]}"
                colours[k] = matplotlib.colormaps[_FAMILIES[j % len(_FAMILIES)]](0.45 + 0.5 * (i / max(n - 1, 1)))
            styles[k] = _STYLES[j % len(_STYLES)] if len(pols) > 1 else "-"
    return Groups(keys=keys, labels=labels, colours=colours, styles=styles, policies=pols, points=order,
                  point_labels=plabel, sweep_cols=cols, runs={k: int(runs.get(k, 0)) for k in keys}, note=note,
                  few=few)


def _legend(ax, G: Groups, **kw) -> None:
    """The groups' legend: inside ``ax`` for up to 4 groups, else outside the figure's right edge."""
    kw.setdefault("fontsize", 8)
    if len(G.keys) > 4:
        handles, labels = ax.get_legend_handles_labels()
        ax.figure.legend(handles, labels, loc="outside right upper", title=G.legend_title, title_fontsize=8, **kw)
    else:
        ax.legend(title=G.legend_title, title_fontsize=8, **kw)


def _suptitle(fig, text: str, G: Groups, **kw) -> None:
    fig.suptitle(text + (f" ({G.note})" if G.note else ""), **kw)


def _compact(x, scale: float) -> str:
    """Tick label on an axis reaching ``scale``: 245000 -> 245k, 1.5e6 -> 1.5M; small numbers as they are."""
    if x == 0:
        return "0"
    if scale >= 1e6:
        return f"{x / 1e6:g}M"
    if scale >= 1e4:
        return f"{x / 1e3:g}k"
    return f"{x:g}"


def _readable_ticks(axis) -> None:
    """At most 5 ticks with compact labels in one unit per axis (call after plotting)."""
    scale = float(np.nanmax(np.abs(axis.get_view_interval())))
    axis.set_major_locator(MaxNLocator(nbins=5))
    axis.set_major_formatter(FuncFormatter(lambda x, _pos: _compact(x, scale)))


def _save(fig, path: Path, footnote: str = "") -> Path:
    """Write the figure as PNG (atomically); ``footnote`` (e.g. the few-replications note) under it, in red."""
    if footnote:
        fig.text(0.0, 0.0, footnote, ha="left", va="top", fontsize=9, color="#b30000", transform=fig.transFigure)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    return R.atomic_write_bytes(path, buf.getvalue())


# ---- figures ------------------------------------------------------------------------------
def stage_counts(ts: pd.DataFrame, path: Path, G: Groups) -> Path:
    """Stacked areas of mean live relationships per stage over time: one panel per group.

    With sweep points and several policies: one row per point, one column per policy.
    """
    if G.by_point and len(G.policies) > 1:
        rows, cols = len(G.points), len(G.policies)
        cells = [(G.points[r], G.policies[c]) for r in range(rows) for c in range(cols)]
    else:
        n = len(G.keys)
        cols = min(n, 3)
        rows = int(np.ceil(n / cols))
        cells = list(G.keys)
    fig, axes = subplots(rows, cols, figsize=(4.8 * cols, 3.3 * rows), squeeze=False, sharey=True,
                             layout="constrained")
    for ax, key in zip(axes.flat, cells):
        g = G.select(ts, key)
        m = g.groupby("tick")[list(STAGE_COLS)].mean()
        ax.stackplot(m.index, *(m[c] for c in STAGE_COLS), labels=[c[2:] for c in STAGE_COLS], colors=STAGE_COLOURS)
        ax.set_title(f"{G.labels[key]} (mean of {g['run'].nunique()} runs)".replace(" · ", "\n", 1), fontsize=10)
        ax.set_xlabel("tick")
        ax.grid(alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel("relationships (count)")
    for ax in list(axes.flat)[len(cells):]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles[::-1], labels[::-1], loc="outside right upper", fontsize=9, title="stage")
    _suptitle(fig, "Live relationships by stage over time", G)
    return _save(fig, path, G.few)


def _boxes(ax, data: list[np.ndarray], positions: np.ndarray, width: float, colour) -> None:
    keep = [i for i, d in enumerate(data) if len(d)]
    if not keep:
        return
    bp = ax.boxplot([data[i] for i in keep], positions=positions[keep], widths=width * 0.9, patch_artist=True,
                    showfliers=False, manage_ticks=False)
    for b in bp["boxes"]:
        b.set_facecolor(colour)
        b.set_alpha(0.75)
    for m in bp["medians"]:
        m.set_color("black")


def trust_commitment(rel: pd.DataFrame, path: Path, G: Groups) -> Path:
    live = rel[rel["stage"].isin(TRADING)]
    fig, axes = subplots(1, 2, figsize=(12, 4.2), layout="constrained")
    n = len(G.keys)
    width = 0.8 / max(n, 1)
    for ax, col in zip(axes, ("trust", "commitment")):
        for k, key in enumerate(G.keys):
            g = G.select(live, key)
            data = [g.loc[g["stage"].astype(str) == s, col].dropna().to_numpy() for s in TRADING]
            _boxes(ax, data, np.arange(len(TRADING)) + (k - (n - 1) / 2) * width, width, G.colours[key])
            ax.plot([], [], color=G.colours[key], lw=6, alpha=0.75, label=G.labels[key])
        ax.set_xticks(range(len(TRADING)), TRADING)
        ax.set_xlabel("stage at the end of the run")
        ax.set_ylabel(f"{col} (0-1)")
        ax.set_ylim(0, 1)
        ax.set_title(f"{col.capitalize()} of live relationships by stage")
        ax.grid(axis="y", alpha=0.3)
    if n > 1:
        _legend(axes[1], G)
    _suptitle(fig, "Trust and commitment at the end of the run (boxes: quartiles; whiskers: 1.5 IQR)", G, fontsize=10)
    return _save(fig, path, G.few)


def _spells(rel, ev, ts):
    end = ts.groupby("run")["tick"].max()
    return trading_spells(rel, ev, end)


def survival(spells: pd.DataFrame, path: Path, G: Groups) -> Path:
    fig, axes = subplots(1, 2, figsize=(12, 4.2), layout="constrained")
    width = max(1, int(np.ceil(spells["duration"].max() / 25))) if len(spells) else 5
    for key in G.keys:
        g = G.select(spells, key)
        c, ls = G.colours[key], G.styles[key]
        km = kaplan_meier(g["duration"], g["dissolved"])
        axes[0].step(km["age"], km["survival"], where="post", color=c, ls=ls, label=f"{G.labels[key]} (n={len(g)})")
        axes[0].fill_between(km["age"], km["ci_low"], km["ci_high"], step="post", color=c, alpha=0.12)
        hz = hazard_by_age(g["duration"], g["dissolved"], width)
        axes[1].plot((hz["age_start"] + hz["age_end"]) / 2, hz["hazard"], marker="o", ms=3, color=c, ls=ls,
                     label=G.labels[key])
    axes[0].set(xlabel="relationship age since first trial order (ticks)", ylabel="share still live",
                title="Survival of trading relationships (Kaplan-Meier, 95% CI)", ylim=(0, 1.02))
    axes[1].set(xlabel="relationship age (ticks)", ylabel="dissolutions per relationship per tick",
                title=f"Dissolution hazard by age ({width}-tick bins)")
    axes[1].set_ylim(bottom=0)
    for ax in axes:
        ax.grid(alpha=0.3)
    _legend(axes[0], G)
    if G.note:
        _suptitle(fig, "Survival and dissolution hazard", G, fontsize=10)
    return _save(fig, path, G.few)


def dissolutions(ev: pd.DataFrame, path: Path, G: Groups) -> Path:
    dis = ev[ev["to_stage"] == "dissolved"]
    trading = dis[dis["from_stage"].isin(TRADING)]
    n = len(G.keys)
    fig, axes = subplots(1, 2, figsize=(12, 4.2), layout="constrained")
    lapsed_per_run = []
    for ax, col, cats in ((axes[0], "cause", None), (axes[1], "from_stage", TRADING)):
        cats = list(cats or [c for c in trading[col].astype(str).unique()])
        cats = sorted(cats, key=lambda c: -int((trading[col].astype(str) == c).sum())) if col == "cause" else cats
        width = 0.8 / max(n, 1)
        for k, key in enumerate(G.keys):
            g = G.select(trading, key)
            runs = max(G.runs.get(key, 1), 1)
            counts = g[col].astype(str).value_counts().reindex(cats, fill_value=0) / runs
            ax.bar(np.arange(len(cats)) + (k - (n - 1) / 2) * width, counts.to_numpy(), width,
                   color=G.colours[key], label=G.labels[key])
        ax.set_xticks(range(len(cats)), [c.replace("_", " ") for c in cats], rotation=20, ha="right")
        ax.set_ylabel("dissolutions per run (count)")
        ax.grid(axis="y", alpha=0.3)
    for key in G.keys:
        lapsed_per_run.append((len(G.select(dis, key)) - len(G.select(trading, key))) / max(G.runs.get(key, 1), 1))
    axes[0].set_title("Trading dissolutions by cause")
    axes[1].set_title("Trading dissolutions by stage left")
    axes[1].set_xlabel("stage at dissolution")
    if n > 1:
        _legend(axes[0], G)
    lapsed = float(np.mean(lapsed_per_run)) if lapsed_per_run else 0.0
    _suptitle(fig, f"Dissolutions (awareness lapses without a trial, not shown: {lapsed:.0f} per run)", G, fontsize=10)
    return _save(fig, path, G.few)


def exporters(ex: pd.DataFrame, ts: pd.DataFrame, path: Path, G: Groups) -> Path:
    fig, axes = subplots(1, 2, figsize=(12, 4.2), layout="constrained")
    for key in G.keys:
        g = G.select(ex, key).copy()
        c, ls = G.colours[key], G.styles[key]
        g["rank"] = g.groupby("run")["revenue"].rank(ascending=False, method="first").astype(int)
        m = g.groupby("rank")["revenue"].mean()
        axes[0].plot(m.index, m.to_numpy(), marker="o", ms=3, color=c, ls=ls, label=G.labels[key])
        t = G.select(ts, key).groupby("tick")["revenue_hhi"].mean()
        axes[1].plot(t.index, t.to_numpy(), color=c, ls=ls, label=G.labels[key])
    axes[0].set(xlabel="exporter rank by revenue (1 = largest)", ylabel="revenue over the run (money)",
                title="Revenue per exporter (mean over runs, by rank)")
    axes[0].xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[1].set(xlabel="tick", ylabel="HHI of revenue over customers (0-1)",
                title="Revenue concentration of exporters (mean HHI)")
    for ax in axes:
        ax.grid(alpha=0.3)
    _legend(axes[0], G)
    if G.note:
        _suptitle(fig, "Exporters", G, fontsize=10)
    return _save(fig, path, G.few)


def _over_time(ts: pd.DataFrame, path: Path, cols: list[tuple[str, str, str]], G: Groups,
               suptitle: str | None = None) -> Path:
    fig, axes = subplots(1, len(cols), figsize=(6 * len(cols), 4.2), squeeze=False, layout="constrained")
    for ax, (col, ylabel, title) in zip(axes.flat, cols):
        for key in G.keys:
            t = G.select(ts, key).groupby("tick")[col].mean()
            ax.plot(t.index, t.to_numpy(), color=G.colours[key], ls=G.styles[key], label=G.labels[key])
        ax.set(xlabel="tick", ylabel=ylabel, title=title)
        ax.grid(alpha=0.3)
    _legend(axes.flat[0], G)
    if suptitle or G.note:
        _suptitle(fig, suptitle or "", G, fontsize=10)
    return _save(fig, path, G.few)


def loyalty_label(rules) -> str:
    """The y-axis label of loyalty y for the choice rule(s) of the runs."""
    rules = set(rules)
    if rules == {"reinforcement"}:
        return "y = ΣJ² / (ΣJ)², J = preferences (1/n .. 1)"
    if rules <= {"logit"}:
        return "y = Σs² / (Σs)², s = order shares (1/n .. 1)"
    return "y over order shares (logit) or preferences J (reinforcement), 1/n .. 1"


def compare_fig(table: pd.DataFrame, path: Path, diff: bool = False, ncols: int = 3, note: str = "") -> Path:
    """Each outcome by policy, mean (or paired difference) with 95% CI: a grid of panels, ``ncols`` wide.

    ``note`` (e.g. the few-replications note) is printed under the figure.
    """
    outs = list(dict.fromkeys(table["outcome"]))
    pols = list(dict.fromkeys(table["policy"]))
    cmap = matplotlib.colormaps["tab10"]
    colours = {p: cmap(i % 10) for i, p in enumerate(pols)}
    ncols = max(1, min(ncols, len(outs)))
    nrows = int(np.ceil(len(outs) / ncols))
    fig, axes = subplots(nrows, ncols, figsize=(4.6 * ncols, (1.3 + 0.42 * len(pols)) * nrows + 0.6),
                             squeeze=False, layout="constrained")
    for i, (ax, out) in enumerate(zip(axes.flat, outs)):
        g = table[table["outcome"] == out].set_index("policy").reindex(pols)
        c, lo, hi = ("diff", "diff_low", "diff_high") if diff else ("mean", "ci_low", "ci_high")
        y = np.arange(len(pols))[::-1]
        err = np.vstack([(g[c] - g[lo]).to_numpy(), (g[hi] - g[c]).to_numpy()])
        err = np.nan_to_num(err, nan=0.0)
        ax.errorbar(g[c], y, xerr=err, fmt="none", ecolor="0.3", capsize=4, zorder=1)
        for yi, pol in zip(y, pols):
            ax.plot(g.loc[pol, c], yi, "o", color=colours[pol], ms=8, zorder=2)
        ax.set_ylim(-0.6, len(pols) - 0.4)
        if diff:
            ax.axvline(0, color="0.5", lw=1, ls="--")
        ax.set_yticks(y, pols if i % ncols == 0 else [""] * len(pols), fontsize=10)
        _readable_ticks(ax.xaxis)
        ax.tick_params(axis="x", labelsize=9)
        ax.set_xlabel(("difference in " if diff else "") + outcome_label(out), fontsize=10)
        ax.set_title(out.replace("_", " "), fontsize=11)
        ax.grid(axis="x", alpha=0.3)
    for ax in list(axes.flat)[len(outs):]:
        ax.axis("off")
    base = pols[0] if pols else ""
    fig.suptitle(f"Paired difference from {base!r} (95% CI, common random numbers)" if diff
                 else "Outcomes by policy (mean, 95% CI)", fontsize=12)
    return _save(fig, path, note)


def is_categorical(values: pd.Series) -> bool:
    """Bool and text sweep values are categories on the x axis; numbers are a scale."""
    return pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values)


def sweep_fig(summary: pd.DataFrame, sweep_cols: list[str], path: Path, outcomes=SWEEP_OUTCOMES, note: str = "") -> Path:
    """Each outcome against the first swept field: mean over replications with 95% CI (in the outcome's range).

    One line per policy and, on a grid with at most 8 such combinations, per value of
    the other swept fields; otherwise those are averaged over (said in the title).
    Bool or text values are categories (points with error bars), numbers a scale (line and
    band); sampled points (not a grid of several fields) are not joined by lines.
    """
    x, others = sweep_cols[0], list(sweep_cols[1:])
    outs = [o for o in outcomes if o in summary.columns]
    pols = list(dict.fromkeys(summary["policy"].astype(str)))
    pts = summary.drop_duplicates("point")
    is_grid = len(pts) == int(np.prod([pts[c].nunique() for c in sweep_cols]))
    split = bool(others) and is_grid and len(pols) * int(np.prod([pts[c].nunique() for c in others])) <= 8
    line_keys = ["policy", *others] if split else ["policy"]
    short = _short_names(sweep_cols)
    categorical = is_categorical(summary[x])
    cats = sorted(summary[x].dropna().unique(), key=_sort_key)
    pos = {v: i for i, v in enumerate(cats)}
    lines = list(summary.groupby(line_keys if split else "policy", sort=False).groups)
    cmap = matplotlib.colormaps["tab10"]
    ncols = min(4, len(outs))
    nrows = int(np.ceil((len(outs) + 1) / ncols))  # one panel more: the legend
    fig, axes = subplots(nrows, ncols, figsize=(4 * ncols, 3.4 * nrows), squeeze=False, layout="constrained")
    for ax, out in zip(axes.flat, outs):
        for li, key in enumerate(lines):
            key = key if isinstance(key, tuple) else (key,)
            mask = np.ones(len(summary), dtype=bool)
            for col, v in zip(line_keys, key):
                mask &= (summary[col].astype(str) if col == "policy" else summary[col]).to_numpy() == v
            g = summary[mask]
            rows = [(v, *outcome_ci(gg[out], out)) for v, gg in g.groupby(x)]
            if not rows:
                continue
            v, m, lo, hi = (np.asarray(a) for a in zip(*rows))
            label = ", ".join([str(key[0]), *(f"{short[c]}={fmt_value(k)}" for c, k in zip(others, key[1:]))]) \
                if split else str(key[0])
            colour = cmap(li % 10)
            if categorical:
                xs = np.array([pos[u] for u in v], dtype=float) + (li - (len(lines) - 1) / 2) * 0.12
                err = np.nan_to_num(np.vstack([m - lo, hi - m]), nan=0.0)
                ax.errorbar(xs, m, yerr=err, fmt="o", ms=5, capsize=4, color=colour, label=label)
            elif is_grid:
                ax.plot(v.astype(float), m, marker="o", ms=3, color=colour, label=label)
                ok = np.isfinite(lo.astype(float))
                ax.fill_between(v.astype(float)[ok], lo[ok].astype(float), hi[ok].astype(float), color=colour, alpha=0.15)
            else:  # sampled points (lhs, sobol, random): each its own x, other fields differ too: no line joins them
                err = np.nan_to_num(np.vstack([m - lo, hi - m]).astype(float), nan=0.0)
                ax.errorbar(v.astype(float), m.astype(float), yerr=err, fmt="o", ms=4, capsize=2, color=colour,
                            alpha=0.8, label=label)
        if categorical:
            ax.set_xticks(range(len(cats)), [fmt_value(c) for c in cats])
            ax.set_xlim(-0.6, len(cats) - 0.4)
        _readable_ticks(ax.yaxis)
        ax.set_xlabel(x, fontsize=9)
        ax.set_ylabel(outcome_label(out), fontsize=9)
        ax.set_title(out.replace("_", " "), fontsize=10)
        ax.grid(alpha=0.3)
    rest = list(axes.flat)[len(outs):]
    handles, labels = axes.flat[0].get_legend_handles_labels()
    rest[0].legend(handles, labels, loc="center", fontsize=9,
                   title="policy" + (" · " + ", ".join(short[c] for c in others) if split else ""))
    for ax in rest:
        ax.axis("off")
    extra = f" (averaged over {', '.join(others)})" if others and not split else ""
    fig.suptitle(f"Outcomes against {x}: mean over replications with 95% CI{extra}", fontsize=11)
    return _save(fig, path, note)


def _params_by_point(manifest: dict) -> dict[int, dict]:
    out: dict[int, dict] = {}
    for r in manifest.get("runs", []):
        out.setdefault(int(r["point"]), r.get("params") or {})
    return out


def _mean_field(params: dict) -> float:
    """Mean-field loyalty y of a reinforcement market (from a uniform start, or a loyal one if buyers start loyal)."""
    from .validation.wkh import mean_field_y

    b = float(params["beta"]) * float(params["profit"]) / float(params["gamma"])
    start = "loyal" if float(params.get("initial_loyal", 0.0)) > 0 else "uniform"
    return mean_field_y(int(params["n_exporters"]), b, start)


def _reinforcement(manifest: dict) -> bool:
    rules = {str((r.get("params") or {}).get("choice_rule")) for r in manifest.get("runs", [])}
    return rules == {"reinforcement"}


def _against_sweep(ax, summary: pd.DataFrame, out: str, G: Groups, manifest: dict, mean_field: bool) -> None:
    x = G.sweep_cols[0]
    categorical = is_categorical(summary[x])
    cats = sorted(summary[x].dropna().unique(), key=_sort_key)
    cmap = matplotlib.colormaps["tab10"]
    for li, pol in enumerate(G.policies):
        g = summary[summary["policy"].astype(str) == pol]
        rows = [(v, *outcome_ci(gg[out], out)) for v, gg in g.groupby(x)]
        v, m, lo, hi = (np.asarray(a) for a in zip(*rows))
        if categorical:
            xs = np.array([cats.index(u) for u in v], dtype=float) + (li - (len(G.policies) - 1) / 2) * 0.12
            err = np.nan_to_num(np.vstack([m - lo, hi - m]).astype(float), nan=0.0)
            ax.errorbar(xs, m.astype(float), yerr=err, fmt="o", ms=6, capsize=4, color=cmap(li % 10), label=pol)
        else:
            ax.plot(v.astype(float), m.astype(float), marker="o", ms=4, color=cmap(li % 10), label=f"{pol} (mean, 95% CI)")
            ok = np.isfinite(lo.astype(float))
            ax.fill_between(v.astype(float)[ok], lo[ok].astype(float), hi[ok].astype(float), color=cmap(li % 10),
                            alpha=0.18)
    if categorical:
        ax.set_xticks(range(len(cats)), [fmt_value(c) for c in cats])
        ax.set_xlim(-0.6, len(cats) - 0.4)
    if mean_field and not categorical:
        params = _params_by_point(manifest)
        first = next(iter(params.values()))
        if x == "choice.beta":
            grid = np.linspace(float(summary[x].min()), float(summary[x].max()), 160)
            ys = [_mean_field({**first, "beta": b}) for b in grid]
        else:
            pts = summary.drop_duplicates("point").sort_values(x)
            grid = pts[x].to_numpy(dtype=float)
            ys = [_mean_field(params[int(p)]) for p in pts["point"]]
        ax.plot(grid, ys, color="black", ls="--", lw=1.2, label="mean field (WKH 2000)")
    ax.set_xlabel(x)


def _by_policy(ax, summary: pd.DataFrame, out: str, G: Groups, manifest: dict, mean_field: bool) -> None:
    cmap = matplotlib.colormaps["tab10"]
    for i, pol in enumerate(G.policies):
        m, lo, hi = outcome_ci(summary.loc[summary["policy"].astype(str) == pol, out], out)
        err = np.nan_to_num(np.array([[m - lo], [hi - m]]), nan=0.0)
        ax.errorbar([i], [m], yerr=err, fmt="o", ms=8, capsize=5, color=cmap(i % 10))
    ax.set_xticks(range(len(G.policies)), G.policies, rotation=15 if len(G.policies) > 3 else 0)
    ax.set_xlim(-0.6, len(G.policies) - 0.4)
    if mean_field:
        y = _mean_field(next(iter(_params_by_point(manifest).values())))
        ax.axhline(y, color="black", ls="--", lw=1.2, label=f"mean field (WKH 2000): {y:.3f}")
        ax.legend(fontsize=8)
    ax.set_xlabel("policy")


def _over_time_panel(ax, ts: pd.DataFrame, col: str, G: Groups, shock: int) -> None:
    for key in G.keys:
        t = G.select(ts, key).groupby("tick")[col].mean()
        ax.plot(t.index, t.to_numpy(), color=G.colours[key], ls=G.styles[key], label=G.labels[key])
    if shock >= 1:
        ax.axvline(shock, color="#b30000", ls="--", lw=1.2, label=f"key-account shock (tick {shock})")
    ax.set_xlabel("tick")
    ax.set_ylabel(OVER_TIME_LABELS.get(col, col), fontsize=9)
    ax.set_title(f"{col.replace('_', ' ')} over time (mean over runs)", fontsize=10)


def answer_fig(ts: pd.DataFrame, summary: pd.DataFrame, manifest: dict, path: Path, G: Groups) -> Path:
    """The answer figure: the question as its title, a panel per answer outcome and per over-time column.

    An outcome is drawn against the first swept field (a sweep) or by policy: mean over replications
    with its 95% CI in the outcome's range; for ``loyalty_y`` under the reinforcement rule beside the
    mean-field loyalty of Weisbuch, Kirman & Herreiner (2000) (``sim.validation.wkh.mean_field_y`` from
    each point's beta, gamma, profit and sellers). A column over time: mean over runs per group, with
    the key-account shock marked.
    """
    S = answer_spec(manifest)
    outs = [o for o in S.outcomes if o in summary.columns]
    cols = [c for c in S.over_time if c in ts.columns]
    n = max(len(outs) + len(cols), 1)
    ncols = min(n, 3)
    nrows = int(np.ceil(n / ncols))
    fig, axes = subplots(nrows, ncols, figsize=(5.2 * ncols, 3.9 * nrows + 0.5), squeeze=False,
                             layout="constrained")
    mf = _reinforcement(manifest)
    flat = list(axes.flat)
    for ax, out in zip(flat, outs):
        draw = _against_sweep if G.by_point else _by_policy
        draw(ax, summary, out, G, manifest, mf and out == "loyalty_y")
        ax.set_ylabel(outcome_label(out), fontsize=9)
        ax.set_title(out.replace("_", " ") + " (mean, 95% CI)", fontsize=10)
        ax.grid(alpha=0.3)
        if G.by_point and ax is flat[0]:
            ax.legend(fontsize=8)
    for ax, col in zip(flat[len(outs):], cols):
        _over_time_panel(ax, ts, col, G, S.shock_tick)
        ax.grid(alpha=0.3)
        if ax is flat[len(outs)]:
            ax.legend(fontsize=8, title="policy" if not G.by_point else G.legend_title, title_fontsize=8)
    for ax in flat[len(outs) + len(cols):]:
        ax.axis("off")
    fig.suptitle("\n".join(textwrap.wrap(S.question, 110)), fontsize=11)
    notes = "; ".join(x for x in (G.few, G.note) if x)
    return _save(fig, path, notes)


def sweep_columns(manifest: dict) -> list[str]:
    """The swept fields (dotted paths), in the order they appear in the runs' point values."""
    cols: dict[str, None] = {}
    for r in manifest.get("runs", []):
        for k in (r.get("point_values") or {}):
            cols.setdefault(k, None)
    return list(cols)


def choice_rules(manifest: dict) -> set[str]:
    """The choice rules of the folder's runs (from their parameters in the manifest)."""
    return {str((r.get("params") or {}).get("choice_rule", "logit")) for r in manifest.get("runs", [])} or {"logit"}


def make_figures(folder: str | os.PathLike) -> list[Path]:
    """Write every figure of ``folder`` into ``folder/figures`` from its files; return their paths."""
    root = Path(folder)
    manifest = R.read_manifest(root)
    figs = root / "figures"
    figs.mkdir(exist_ok=True)
    ts = pd.read_parquet(root / "timeseries.parquet")
    # the figures read first trial orders (spells) and dissolutions of the event log, not its other rows
    ev = pd.read_parquet(root / "events.parquet", filters=[("to_stage", "in", ["exploration", "dissolved"])])
    rel = pd.read_parquet(root / "relationships.parquet")
    ex = pd.read_parquet(root / "exporters.parquet")
    summary = pd.read_csv(root / "summary.csv")
    G = groups(summary, manifest)
    out = [
        stage_counts(ts, figs / "stage_counts.png", G),
        trust_commitment(rel, figs / "trust_commitment.png", G),
        survival(_spells(rel, ev, ts), figs / "survival.png", G),
        dissolutions(ev, figs / "dissolutions.png", G),
        exporters(ex, ts, figs / "exporters.png", G),
        _over_time(ts, figs / "forecast.png", [
            ("forecast_mape", "mean absolute percentage error (share)", "Forecast error of exporters (MAPE)"),
            ("fill_rate", "units delivered / units ordered (0-1)", "Fill rate"),
        ], G),
        _over_time(ts, figs / "loyalty.png", [
            ("loyalty_y", loyalty_label(choice_rules(manifest)), "Buyer loyalty (Weisbuch-Kirman-Herreiner y)"),
            ("retention_rate", "1 - trading dissolutions / trading relationships", "Retention per tick"),
        ], G),
    ]
    cmp_path = root / "compare.csv"
    if cmp_path.is_file():
        table = pd.read_csv(cmp_path)
        out.append(compare_fig(table, figs / "compare.png", note=G.few))
        out.append(compare_fig(table, figs / "compare_diff.png", diff=True, note=G.few))
    cols = [c for c in sweep_columns(manifest) if c in summary.columns]
    if cols and summary["point"].nunique() > 1:
        outs = list(dict.fromkeys([*answer_spec(manifest).outcomes, *SWEEP_OUTCOMES]))
        out.append(sweep_fig(summary, cols, figs / "sweep.png", outcomes=outs, note=G.few))
    out.append(answer_fig(ts, summary, manifest, figs / "answer.png", G))
    if (root / "policy_shares.parquet").is_file():
        out.append(policy_shares(pd.read_parquet(root / "policy_shares.parquet"), figs / "policy_shares.png"))
    return out


def policy_shares(shares: pd.DataFrame, path: Path) -> Path:
    """Share of the active exporters running each policy after every imitation round: the mean over the
    runs (line) and the range of the runs (band); one panel per policy label of the runs (their mix)."""
    run_label = shares["policy"].astype(str) if "policy" in shares.columns else pd.Series("", index=shares.index)
    labels = list(dict.fromkeys(run_label))
    fig, axes = subplots(1, len(labels), figsize=(5.5 * len(labels), 3.6), squeeze=False, layout="constrained")
    for ax, label in zip(axes[0], labels):
        part = shares[run_label == label]
        for k, (pol, g) in enumerate(part.groupby("exporter_policy", observed=True, sort=False)):
            by_tick = g.groupby("tick")["share"]
            mean, lo, hi = by_tick.mean(), by_tick.min(), by_tick.max()
            colour = matplotlib.colormaps["tab10"](k % 10)
            ax.plot(mean.index, mean.to_numpy(), color=colour, label=str(pol))
            ax.fill_between(mean.index, lo.to_numpy(), hi.to_numpy(), color=colour, alpha=0.15, lw=0)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("tick")
        ax.set_ylabel("share of active exporters")
        ax.set_title(label or "Policies under imitation", fontsize=9)
        ax.legend(fontsize=8, title="policy (mean over runs; band: range)")
    return _save(fig, path)


# ---- tournaments (sim.tournament) ---------------------------------------------------------
def tournament_figure(folder: str | os.PathLike, outcomes=("profit", "retention_rate")) -> Path:
    """``figures/tournament.png`` from ``payoffs.csv``: for each outcome, the focal policy's gain from switching
    (rows: focal policy; columns: the field's policy) in % of staying with the field's policy, as a heat map;
    each cell shows the mean and the 95% CI, and cells whose interval includes 0 are hatched."""
    folder = Path(folder)
    pay = pd.read_csv(folder / "payoffs.csv")
    pay = pay[pay["payoff"] == "switching_gain"]
    policies = list(dict.fromkeys(pay["focal"]))
    n = len(policies)
    fig, axes = subplots(1, len(outcomes), figsize=(len(outcomes) * (2.4 + 1.15 * n), 1.8 + 0.9 * n), squeeze=False,
                         layout="constrained")
    for k, (ax, out) in enumerate(zip(axes[0], outcomes)):
        sub = pay[pay["outcome"] == out].set_index(["focal", "field"])
        grid = np.array([[sub.loc[(x, y), "diff_pct"] for y in policies] for x in policies], dtype=float)
        lim = np.nanmax(np.abs(grid)) if np.isfinite(grid).any() and np.nanmax(np.abs(grid)) > 0 else 1.0
        im = ax.imshow(grid, cmap="RdBu", vmin=-lim, vmax=lim)
        for i, x in enumerate(policies):
            for j, y in enumerate(policies):
                r = sub.loc[(x, y)]
                if x == y:
                    text = "(field)"
                else:
                    text = f"{r['diff_pct']:+.1f}%\n[{r['low_pct']:+.1f}, {r['high_pct']:+.1f}]"
                    if r["verdict"] == "no detectable difference":
                        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="//", lw=0,
                                               edgecolor="0.6"))
                dark = np.isfinite(grid[i, j]) and abs(grid[i, j]) > 0.6 * lim
                ax.text(j, i, text, ha="center", va="center", fontsize=7, color="white" if dark else "black")
        ax.set_xticks(range(n), policies, rotation=35, ha="right", fontsize=8)
        ax.set_yticks(range(n), policies if k == 0 else [""] * n, fontsize=8)
        ax.set_xlabel("field policy (the other exporters)")
        if k == 0:
            ax.set_ylabel("focal policy")
        ax.set_title(f"{outcome_label(out)}: gain from switching", fontsize=9)
        fig.colorbar(im, ax=ax, shrink=0.8, label="% of staying with the field's policy")
    title = ("Tournament: focal exporters' gain from running the row policy among the column policy "
             "(mean, 95% CI; hatched: no detectable difference)")
    few = few_replications_note(int(pay["n"].min())) if len(pay) else ""
    fig.suptitle(title + (f"\n{few}" if few else ""), fontsize=9, color="black")
    (folder / "figures").mkdir(exist_ok=True)
    return _save(fig, folder / "figures" / "tournament.png")
