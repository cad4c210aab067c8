"""Statistics over runs: means with 95% CIs, paired differences, survival and hazard of relationships.

All functions take the tidy tables of a results folder (``summary``, ``events``,
``relationships``) and return DataFrames; nothing here runs the model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as _st

#: outcomes compared across policies (summary column -> label with unit)
COMPARE_OUTCOMES: dict[str, str] = {
    "retention_rate": "retention rate (share of trading relationships kept)",
    "profit": "profit of all exporters (money)",
    "clv": "customer lifetime value (money per trading relationship, discounted, net of contact money)",
    "cost_per_acquired_customer": "acquisition spend per customer won (money)",
    "cost_per_retained_customer": "retention spend per customer retained (money)",
    "dissolutions": "dissolutions of trading relationships (count)",
    "mean_duration": "mean relationship duration (ticks)",
}


#: short label with unit of each compared outcome (figure axes)
SHORT_LABELS: dict[str, str] = {
    "retention_rate": "retention rate (0-1)",
    "profit": "profit (money)",
    "clv": "CLV (money per relationship)",
    "cost_per_acquired_customer": "cost per acquired customer (money)",
    "cost_per_retained_customer": "cost per retained customer (money)",
    "dissolutions": "dissolutions (count)",
    "mean_duration": "mean duration (ticks)",
    "loyalty_y": "loyalty y (1/n-1)",
    "forecast_mape": "forecast error, MAPE (share)",
    "fill_rate": "fill rate (0-1)",
}


def mean_ci(x, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided t confidence interval of the mean (NaNs dropped; NaN CI below 2 values)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(x.mean())
    if n < 2:
        return m, float("nan"), float("nan")
    half = float(_st.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return m, m - half, m + half


def paired_diff_ci(a, b, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``a - b`` over pairs with a t-interval on the paired differences."""
    return mean_ci(np.asarray(a, dtype=float) - np.asarray(b, dtype=float), level)


def compare_table(summary: pd.DataFrame, outcomes=None, level: float = 0.95, baseline: str | None = None) -> pd.DataFrame:
    """Each policy's mean with CI per outcome, and its paired difference from ``baseline``.

    Runs are paired on (point, replication): under common random numbers those
    share a seed. ``baseline`` defaults to the first policy in ``summary``'s order.
    Columns: outcome, policy, n, mean, ci_low, ci_high, diff, diff_low, diff_high.
    """
    outcomes = list(outcomes or COMPARE_OUTCOMES)
    policies = list(dict.fromkeys(summary["policy"]))
    baseline = baseline or policies[0]
    key = ["point", "replication"]
    base = summary[summary["policy"] == baseline].set_index(key)
    rows = []
    for out in outcomes:
        for pol in policies:
            cur = summary[summary["policy"] == pol].set_index(key)
            m, lo, hi = mean_ci(cur[out], level)
            common = cur.index.intersection(base.index)
            if pol == baseline:
                d, dlo, dhi = 0.0, float("nan"), float("nan")
            else:
                d, dlo, dhi = paired_diff_ci(cur.loc[common, out], base.loc[common, out], level)
            rows.append(dict(outcome=out, policy=pol, n=int(cur[out].notna().sum()), mean=m, ci_low=lo, ci_high=hi,
                             diff=d, diff_low=dlo, diff_high=dhi, pairs=int(len(common))))
    return pd.DataFrame(rows)


def policy_means(summary: pd.DataFrame, outcomes, level: float = 0.95) -> pd.DataFrame:
    """Per policy (and sweep point): mean, CI low, CI high of each outcome, long format."""
    rows = []
    for (pol, point), g in summary.groupby(["policy", "point"], sort=False):
        for out in outcomes:
            m, lo, hi = mean_ci(g[out], level)
            rows.append(dict(policy=pol, point=point, outcome=out, n=len(g), mean=m, ci_low=lo, ci_high=hi))
    return pd.DataFrame(rows)


# ---- stages at the end of a run -------------------------------------------------------
#: live stages counted at the last tick, then the cumulative dissolved count
STAGE_NAMES = ("awareness", "exploration", "expansion", "commitment", "dissolved")


def stage_summary(timeseries: pd.DataFrame, events: pd.DataFrame, by=("point", "policy")) -> pd.DataFrame:
    """Per group (sweep point and policy): mean over runs of the stage counts at the end and dissolutions by cause.

    ``awareness`` .. ``commitment``: live relationships in each stage at the run's last
    tick; ``dissolved``: relationships dissolved during the run (cumulative, awareness
    lapses included); then one column per dissolution cause seen in any run, ``dissolved:
    <cause>``, counted from the event log (a run without such events counts 0). One row
    per group in order of appearance, with ``runs`` (the number of runs averaged).
    """
    by = [c for c in by if c in timeseries.columns]
    last = timeseries.loc[timeseries.groupby("run", sort=False)["tick"].idxmax()].set_index("run")
    runs = last[by].copy()
    counts = last[[f"n_{s}" for s in STAGE_NAMES]].rename(columns=lambda c: c[2:]).astype(float)
    dis = events[events["to_stage"] == "dissolved"]
    causes = dis["cause"].astype(str)
    by_cause = pd.crosstab(dis["run"], causes).reindex(runs.index, fill_value=0) if len(dis) else pd.DataFrame(index=runs.index)
    order = [c for c in _CAUSE_ORDER if c in by_cause.columns] + sorted(c for c in by_cause.columns if c not in _CAUSE_ORDER)
    by_cause = by_cause[order].rename(columns=lambda c: f"dissolved: {c}").astype(float)
    per_run = pd.concat([runs, counts, by_cause], axis=1)
    out = per_run.groupby(by, sort=False).mean()
    out.insert(0, "runs", per_run.groupby(by, sort=False).size())
    return out.reset_index()


_CAUSE_ORDER = ("trust_breakdown", "better_alternative", "dissatisfaction", "exporter_exit", "key_account_loss", "lapsed")


# ---- relationship spells ---------------------------------------------------------
def trading_spells(relationships: pd.DataFrame, events: pd.DataFrame, end_tick) -> pd.DataFrame:
    """One row per trading relationship (reached exploration): start, end, duration, dissolved.

    ``start`` is the tick of its first trial order (the exploration event; the
    tick it was formed when no such event exists), ``end`` its dissolution tick or
    the run's last tick (then ``dissolved`` is False: censored). ``duration =
    end - start`` in ticks. Works on one run or on tidy tables with a ``run``
    column (``end_tick`` then a mapping run -> last tick, or one int for all).
    """
    key = ["run", "relationship"] if "run" in relationships.columns else ["relationship"]
    rel = relationships[relationships["peak"].isin(["exploration", "expansion", "commitment"])]
    cols = key + ["born", "ended", "cause", "stage"] + [c for c in ("policy", "point", "replication") if c in rel.columns]
    rel = rel[cols].copy()
    ev = events[events["to_stage"] == "exploration"]
    first = ev.groupby(key, observed=True)["tick"].min().rename("start")
    rel = rel.join(first, on=key)
    rel["start"] = rel["start"].fillna(rel["born"]).astype(int)
    if "run" in rel.columns and not np.isscalar(end_tick):
        last = rel["run"].map(dict(end_tick)).astype(int)
    else:
        last = int(end_tick)
    rel["dissolved"] = rel["ended"] >= 0
    rel["end"] = np.where(rel["dissolved"], rel["ended"], last)
    rel["duration"] = (rel["end"] - rel["start"]).astype(int)
    # the stage a dissolved relationship left, from the event log
    dis = events[events["to_stage"] == "dissolved"]
    left = dis.groupby(key, observed=True)["from_stage"].last().astype(str).rename("left_stage")
    rel = rel.join(left, on=key)
    return rel.reset_index(drop=True)


def kaplan_meier(duration, dissolved, level: float = 0.95) -> pd.DataFrame:
    """Kaplan–Meier survival of relationships (live ones right-censored), with a pointwise CI.

    Returns age (ticks), survival, ci_low, ci_high; starts at age 0 with survival 1.
    Uses ``scipy.stats.ecdf`` on right-censored data (Greenwood CI).
    """
    duration = np.asarray(duration, dtype=float)
    dissolved = np.asarray(dissolved, dtype=bool)
    head = pd.DataFrame({"age": [0.0], "survival": [1.0], "ci_low": [1.0], "ci_high": [1.0]})
    if duration.size == 0 or not dissolved.any():
        if duration.size:
            head = pd.concat([head, pd.DataFrame({"age": [duration.max()], "survival": [1.0],
                                                  "ci_low": [1.0], "ci_high": [1.0]})], ignore_index=True)
        return head
    data = _st.CensoredData.right_censored(duration, ~dissolved)
    sf = _st.ecdf(data).sf
    ci = sf.confidence_interval(level)
    body = pd.DataFrame({"age": sf.quantiles, "survival": sf.probabilities,
                         "ci_low": ci.low.probabilities, "ci_high": ci.high.probabilities})
    return pd.concat([head, body], ignore_index=True)


def hazard_by_age(duration, dissolved, width: int = 5) -> pd.DataFrame:
    """Discrete-time dissolution hazard in age bins of ``width`` ticks: dissolutions / ticks at risk.

    A relationship of duration d is at risk at ages 0..d and, if dissolved, dissolves at age d.
    Columns: age_start, age_end (bin [start, end)), at_risk (relationships reaching the bin),
    dissolutions, exposure (relationship-ticks at risk in the bin), hazard (per tick).
    """
    d = np.asarray(duration, dtype=float)
    e = np.asarray(dissolved, dtype=bool)
    if d.size == 0:
        return pd.DataFrame(columns=["age_start", "age_end", "at_risk", "dissolutions", "exposure", "hazard"])
    edges = np.arange(0, d.max() + width + 1, width)
    lo, hi = edges[:-1], edges[1:]
    at_risk = (d[None, :] >= lo[:, None]).sum(axis=1)
    # relationship-ticks at risk: a relationship of duration d is at risk at ages 0..d
    exposure = np.clip(d[None, :] - lo[:, None] + 1, 0, width).sum(axis=1)
    idx = np.clip(np.searchsorted(hi, d, side="right"), 0, lo.size - 1)  # bin of each duration
    events = np.bincount(idx[e], minlength=lo.size)
    hazard = np.divide(events, exposure, out=np.full(lo.size, np.nan), where=exposure > 0)
    out = pd.DataFrame({"age_start": lo, "age_end": hi, "at_risk": at_risk, "dissolutions": events,
                        "exposure": exposure, "hazard": hazard})
    return out[out["at_risk"] > 0].reset_index(drop=True)
