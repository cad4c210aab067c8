"""Figures of the validation report, each drawn from a table written to the results folder.

Every function takes the data directory and the figure path: it reads the
written CSV/parquet files, never in-memory results.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.ticker
import numpy as np
import pandas as pd

from ..plots import subplots

START_STYLE = {"uniform": dict(marker="o", color="tab:blue"), "loyal": dict(marker="^", color="tab:red")}


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def wkh_loyalty(data: Path, path: Path, n: int) -> Path:
    """Simulated loyalty y against b with the mean-field branches (solid stable, dashed unstable)."""
    sim = pd.read_csv(data / "wkh_sweep.csv")
    mf = pd.read_csv(data / "wkh_mean_field.csv")
    sim, mf = sim[sim.n_sellers == n], mf[mf.n_sellers == n]
    fig, ax = subplots(figsize=(6.4, 5.0))
    for (branch, stable), g in mf.groupby(["branch", "stable"]):
        g = g.sort_values("b")
        ax.plot(g.b, g.y, "k-" if stable else "k--", lw=1.6 if stable else 1.0,
                label=f"mean field, {branch} ({'stable' if stable else 'unstable'})")
    for start, g in sim.groupby("start"):
        m = g.groupby("b").loyalty_y.agg(["mean", "min", "max"]).reset_index()
        ax.errorbar(m.b, m["mean"], yerr=[m["mean"] - m["min"], m["max"] - m["mean"]], ls="none", ms=5,
                    label=f"simulation, started {start}", **START_STYLE[start])
    ax.axvline(n if n == 2 else np.nan, color="0.6", lw=0.8)
    ax.set_xlabel(r"$b = \beta \cdot$ profit $/ \gamma$")
    ax.set_ylabel(r"loyalty $y = \sum_j x_j^2$")
    ax.set_title(f"{n} sellers: loyalty against b (gamma = {sim.gamma.iloc[0] if len(sim) else '?'})")
    ax.set_ylim(1.0 / n - 0.05, 1.02)
    # the legend goes below the axes, where it can hide no data
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)
    return _save(fig, path)


def wkh_stock(data: Path, path: Path) -> Path:
    """Limited stock: loyalty, buyers' payoff and sellers' profit against b.

    Sellers' profit is shown relative to the same replication's mean over b <= 2: replications
    share their seeds across b, so this is the paired comparison the report's CI is about.
    """
    d = pd.read_csv(data / "wkh_limited_stock.csv")
    base = d[d.b <= 2.0].groupby("replication").seller_profit.mean()
    d["seller_gain"] = d.seller_profit / d.replication.map(base) - 1.0
    m = d.groupby("b")[["loyalty_y", "buyer_payoff", "seller_gain"]].agg(["mean", "min", "max"])
    fig, axes = subplots(1, 3, figsize=(11, 3.4))
    for ax, col, lab in zip(axes, ["loyalty_y", "buyer_payoff", "seller_gain"],
                            ["loyalty y", "buyer payoff per visit (profit x fill rate)",
                             "seller profit per tick, relative to b <= 2\n(same replication)"]):
        ax.errorbar(m.index, m[(col, "mean")], yerr=[m[(col, "mean")] - m[(col, "min")], m[(col, "max")] - m[(col, "mean")]], marker="o")
        ax.set_xlabel("b")
        ax.set_title(lab, fontsize=9)
    axes[2].axhline(0, color="0.6", lw=0.8)
    axes[2].yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    fig.suptitle(f"{int(d.n_sellers.iloc[0])} sellers stocking their forecast (safety stock {d.safety_stock.iloc[0]:g}); "
                 f"mean and range of {d.replication.nunique()} replications, the same seeds at every b", fontsize=10)
    return _save(fig, path)


def ct_paths(data: Path, path: Path) -> Path:
    """Standardized path coefficients with 95 % CIs; green agrees with the theory's sign, red does not."""
    t = pd.read_csv(data / "ct_paths.csv")
    t = t.iloc[::-1]
    lab = t.outcome + " <- " + t.predictor
    fig, ax = subplots(figsize=(6.4, 4))
    colors = np.where(t.agrees, "tab:green", "tab:red")
    ax.barh(lab, t.std_coef, xerr=[t.std_coef - t.ci_low, t.ci_high - t.std_coef], color=colors, alpha=0.8)
    ax.scatter(t.theory_sign * 0.05, lab, marker="|", color="k", s=80)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel("standardized coefficient (95 % CI, clustered by run)")
    ax.set_title("Commitment-trust paths on simulated relationships\n(| on the side of zero the theory predicts; green: same sign)", fontsize=9)
    return _save(fig, path)


def lifecycle_rates(data: Path, path: Path) -> Path:
    """Dissolution rate per relationship-tick by stage (mean and range over replications), and by cause."""
    r = pd.read_csv(data / "lifecycle_rates_by_replication.csv")
    pooled = pd.read_csv(data / "lifecycle_rates.csv")
    stages = ["awareness", "exploration", "expansion", "commitment"]
    fig, axes = subplots(1, 2, figsize=(11, 3.8))
    g = r.groupby("stage").rate_excl_lapse.agg(["mean", "min", "max"]).reindex(stages)
    axes[0].bar(stages, g["mean"], yerr=[g["mean"] - g["min"], g["max"] - g["mean"]], color=["0.7", "tab:red", "tab:orange", "tab:green"])
    axes[0].set_ylabel("dissolutions per relationship-tick")
    axes[0].set_title("Dissolution hazard by stage (awareness: lapse excluded)", fontsize=9)
    causes = [c for c in pooled.columns if c.startswith("n_") and pooled[c].sum() > 0]
    bottom = np.zeros(len(stages))
    p = pooled.set_index("stage").reindex(stages)
    for c in causes:
        axes[1].bar(stages, p[c], bottom=bottom, label=c[2:])
        bottom += p[c].to_numpy()
    axes[1].set_ylabel("dissolutions (all replications)")
    axes[1].set_title("Where and why relationships end", fontsize=9)
    axes[1].legend(fontsize=7)
    return _save(fig, path)


def retention_profit(data: Path, path: Path) -> Path:
    """log profit against log annual retention: runs (by market) and exporters within runs (demeaned)."""
    runs = pd.read_csv(data / "retention_runs.csv")
    ex = pd.read_csv(data / "retention_exporters.csv")
    fig, axes = subplots(1, 2, figsize=(11, 4))
    for mkt, g in runs.groupby("market"):
        axes[0].scatter(g.retention, g.profit_per_tick, label=mkt, s=18)
    axes[0].set_xscale("log")
    axes[0].set_yscale("log")
    axes[0].set_xlabel("annual retention (run)")
    axes[0].set_ylabel("profit per tick (all exporters)")
    axes[0].set_title("Runs: policies x markets", fontsize=9)
    axes[0].legend(fontsize=7)
    ex = ex[ex.active & (ex.profit_per_tick > 0) & (ex.retention > 0)].copy()
    ex["run"] = ex.market + ex.policy + ex.replication.astype(str)
    lx, ly = np.log(ex.retention), np.log(ex.profit_per_tick)
    dx = lx - lx.groupby(ex.run).transform("mean")
    dy = ly - ly.groupby(ex.run).transform("mean")
    axes[1].scatter(dx, dy, s=6, alpha=0.4)
    if (dx * dx).sum() > 0:
        k = float((dx * dy).sum() / (dx * dx).sum())
        xs = np.linspace(dx.min(), dx.max(), 10)
        axes[1].plot(xs, k * xs, "k-", label=f"slope (elasticity) {k:.2f}")
        axes[1].legend(fontsize=7)
    axes[1].set_xlabel("log annual retention (within run)")
    axes[1].set_ylabel("log profit per tick (within run)")
    axes[1].set_title("Exporters within runs", fontsize=9)
    return _save(fig, path)


PARAM_MARKERS = "osD^vP*Xph<>"


def morris_plot(data: Path, path: Path) -> Path:
    """Morris mu* (with CI) against sigma for each output; one colour and marker per parameter, one key."""
    m = pd.read_csv(data / "morris_indices.csv")
    outs = list(dict.fromkeys(m.output))
    params = list(dict.fromkeys(m.parameter))
    cmap = matplotlib.colormaps["tab10" if len(params) <= 10 else "tab20"]
    style = {p: dict(color=cmap(i % cmap.N), marker=PARAM_MARKERS[i % len(PARAM_MARKERS)]) for i, p in enumerate(params)}
    fig, axes = subplots(1, len(outs), figsize=(4.2 * len(outs), 4.6))
    for ax, out in zip(np.atleast_1d(axes), outs):
        g = m[m.output == out].set_index("parameter")
        for p in params:
            r = g.loc[p]
            ax.errorbar(r.mu_star, r.sigma, xerr=r.mu_star_conf, ls="none", ms=6,
                        label=p, **style[p])
        ax.set_xlabel("mu* (mean |elementary effect|, 95 % CI)")
        ax.set_ylabel("sigma (sd of elementary effects)")
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.set_title(out, fontsize=9)
    h, lab = np.atleast_1d(axes)[0].get_legend_handles_labels()
    fig.legend(h, lab, loc="lower center", ncol=min(5, len(params)), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path


def sobol_plot(data: Path, path: Path) -> Path:
    """First-order and total Sobol indices with 95 % bootstrap CIs for each output."""
    s = pd.read_csv(data / "sobol_indices.csv")
    outs = list(dict.fromkeys(s.output))
    fig, axes = subplots(1, len(outs), figsize=(4.4 * len(outs), 4.2), sharey=True)
    for ax, out in zip(np.atleast_1d(axes), outs):
        g = s[s.output == out]
        y = np.arange(len(g))
        ax.barh(y - 0.2, g.S1, 0.4, xerr=g.S1_conf, label="S1 (first order)")
        ax.barh(y + 0.2, g.ST, 0.4, xerr=g.ST_conf, label="ST (total)")
        ax.set_yticks(y, g.parameter, fontsize=7)
        ax.axvline(0, color="k", lw=0.6)
        ax.set_xlabel("Sobol index (95 % CI)")
        ax.set_title(out, fontsize=9)
    h, lab = np.atleast_1d(axes)[0].get_legend_handles_labels()
    fig.legend(h, lab, loc="lower center", ncol=2, fontsize=8, frameon=False)  # below the panels: hides no bar
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path
