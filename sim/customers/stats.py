"""The statistics of a customer base, as tidy tables: pure functions of the checked rows.

Input is the ``rows`` of :class:`sim.customers.reader.CustomerData` (customer_id, period, revenue and
optionally quantity, segment, channel) and ``last_period``, the last period observed. Definitions:

* a **purchase** is a row of the file; a customer is **active** in a period when she has a row in it;
* a customer's **cohort** is the period of her first row; her **age** in period ``p`` is ``p - cohort``;
* **retention** at age ``k`` of cohort ``c`` = (customers of ``c`` active in period ``c+k``) / (size of ``c``),
  defined while ``c + k <= last_period``;
* **tenure** = last active period - cohort + 1 (periods from the first to the last purchase, both
  counted); a customer active in ``last_period`` is **censored** (her tenure is not over);
* **top-20% share** = revenue of the ``ceil(0.2 n)`` customers with the most revenue / all revenue;
* **HHI** = sum over customers of (customer revenue / all revenue)^2, on the 0-1 scale (x 10,000 for the
  antitrust convention); ``1/HHI`` is the effective number of equal-sized customers.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def customer_table(rows: pd.DataFrame, last_period: int) -> pd.DataFrame:
    """One row per customer: cohort, last_period, purchases, active_periods, revenue, [quantity], tenure,
    censored, [segment: that of her first row]."""
    df = rows.sort_values(["customer_id", "period"], kind="stable")
    g = df.groupby("customer_id", sort=True)
    out = pd.DataFrame({
        "cohort": g["period"].min(),
        "last_period": g["period"].max(),
        "purchases": g.size(),
        "active_periods": g["period"].nunique(),
        "revenue": g["revenue"].sum(),
    })
    if "quantity" in df:
        out["quantity"] = g["quantity"].sum()
    out["tenure"] = out["last_period"] - out["cohort"] + 1
    out["censored"] = out["last_period"] >= last_period
    if "segment" in df:
        out["segment"] = g["segment"].first()
    return out.reset_index()


def cohort_table(customers: pd.DataFrame) -> pd.DataFrame:
    """Customers by first-purchase cohort: cohort, customers, share of all customers, revenue (their total)."""
    g = customers.groupby("cohort", sort=True)
    out = pd.DataFrame({"customers": g.size(), "revenue": g["revenue"].sum()}).reset_index()
    out.insert(2, "share", out["customers"] / out["customers"].sum())
    return out


def _activity(rows: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """Revenue per customer and period, with her cohort and age."""
    act = rows.groupby(["customer_id", "period"], sort=False)["revenue"].sum().reset_index()
    act = act.merge(customers[["customer_id", "cohort"]], on="customer_id", how="left")
    act["age"] = act["period"] - act["cohort"]
    return act


def retention_table(rows: pd.DataFrame, customers: pd.DataFrame, last_period: int) -> pd.DataFrame:
    """The cohort retention curves: cohort, age, cohort_size, active, retention = active / cohort_size.

    One row per cohort and age ``0 .. last_period - cohort`` (ages with nobody active are included).
    """
    act = _activity(rows, customers)
    active = act.groupby(["cohort", "age"]).size()
    sizes = customers.groupby("cohort").size()
    recs = []
    for c, n in sizes.items():
        for k in range(0, int(last_period - c) + 1):
            a = int(active.get((c, k), 0))
            recs.append((c, k, int(n), a, a / n))
    return pd.DataFrame(recs, columns=["cohort", "age", "cohort_size", "active", "retention"])


def by_age_table(rows: pd.DataFrame, customers: pd.DataFrame, last_period: int) -> pd.DataFrame:
    """Pooled over the cohorts observed at each age ``k`` (those with ``cohort + k <= last_period``):

    age, cohorts, cohort_customers (their size), active_customers, retention = active / cohort_customers,
    revenue (in their period ``cohort + k``), revenue_per_customer = revenue / cohort_customers,
    revenue_per_active_customer = revenue / active_customers.
    """
    act = _activity(rows, customers)
    sizes = customers.groupby("cohort").size()
    recs = []
    max_age = int(last_period - sizes.index.min()) if len(sizes) else -1
    for k in range(max_age + 1):
        obs = sizes[sizes.index + k <= last_period]
        a = act[(act["age"] == k) & act["cohort"].isin(obs.index)]
        n, m, rev = int(obs.sum()), int(a["customer_id"].nunique()), float(a["revenue"].sum())
        recs.append((k, len(obs), n, m, m / n, rev, rev / n, rev / m if m else float("nan")))
    return pd.DataFrame(recs, columns=["age", "cohorts", "cohort_customers", "active_customers", "retention",
                                       "revenue", "revenue_per_customer", "revenue_per_active_customer"])


def frequency_table(customers: pd.DataFrame) -> pd.DataFrame:
    """Purchase frequency: purchases (per customer over the file), customers, share of customers."""
    f = customers.groupby("purchases").size().rename("customers").reset_index()
    f["share"] = f["customers"] / f["customers"].sum()
    return f


def tenure_table(customers: pd.DataFrame) -> pd.DataFrame:
    """Tenure distribution: tenure (periods), customers, churned (last active before the last period),
    censored (active in the last period)."""
    g = customers.groupby("tenure")
    out = pd.DataFrame({"customers": g.size(), "censored": g["censored"].sum().astype(int)})
    out["churned"] = out["customers"] - out["censored"]
    return out.reset_index()[["tenure", "customers", "churned", "censored"]]


def concentration(revenue) -> dict:
    """Revenue concentration over customers (``revenue``: one total per customer).

        top20_share = sum of the ceil(0.2 n) largest revenues / sum of all revenues
        hhi         = sum_i (revenue_i / sum revenue)^2          (0-1 scale)
        effective_customers = 1 / hhi
    """
    r = np.sort(np.asarray(revenue, dtype=float))[::-1]
    n, total = r.size, float(r.sum())
    k = math.ceil(0.2 * n)
    if total <= 0:
        return dict(customers=n, revenue=total, top20_customers=k, top20_share=float("nan"), hhi=float("nan"),
                    effective_customers=float("nan"))
    s = r / total
    hhi = float(np.sum(s ** 2))
    return dict(customers=n, revenue=total, top20_customers=k, top20_share=float(r[:k].sum() / total), hhi=hhi,
                effective_customers=1.0 / hhi)


def lorenz_table(revenue) -> pd.DataFrame:
    """The concentration curve: customers ranked by revenue (largest first); customer_share (top share of
    customers) and revenue_share (their share of revenue), starting at (0, 0)."""
    r = np.sort(np.asarray(revenue, dtype=float))[::-1]
    n, total = r.size, float(r.sum())
    cum = np.concatenate([[0.0], np.cumsum(r)]) / (total if total > 0 else 1.0)
    return pd.DataFrame({"customers": np.arange(n + 1), "customer_share": np.arange(n + 1) / max(n, 1),
                         "revenue_share": cum})


def segment_table(rows: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame | None:
    """By segment (a customer's first) and by channel (of each purchase): dimension, value, customers,
    purchases, revenue, revenue_share. None when the file has neither column."""
    parts = []
    total = float(rows["revenue"].sum())
    if "segment" in customers:
        g = customers.groupby("segment")
        parts.append(pd.DataFrame({"dimension": "segment", "customers": g.size(), "purchases": g["purchases"].sum(),
                                   "revenue": g["revenue"].sum()}).rename_axis("value").reset_index())
    if "channel" in rows:
        g = rows.groupby("channel")
        parts.append(pd.DataFrame({"dimension": "channel", "customers": g["customer_id"].nunique(),
                                   "purchases": g.size(), "revenue": g["revenue"].sum()})
                     .rename_axis("value").reset_index())
    if not parts:
        return None
    out = pd.concat(parts, ignore_index=True)[["dimension", "value", "customers", "purchases", "revenue"]]
    out["revenue_share"] = out["revenue"] / total if total > 0 else float("nan")
    return out


def summary(rows: pd.DataFrame, customers: pd.DataFrame, last_period: int) -> dict:
    """The headline numbers: customers, purchases, revenue, periods, first/last period, purchases per
    customer, revenue per customer, repeat_share (customers active in 2+ periods), mean tenure, the
    concentration measures."""
    n = len(customers)
    first = int(rows["period"].min())
    return dict(customers=n, purchases=int(len(rows)), revenue=float(rows["revenue"].sum()),
                first_period=first, last_period=int(last_period), periods=int(last_period - first + 1),
                purchases_per_customer=float(len(rows) / n),
                revenue_per_customer=float(rows["revenue"].sum() / n),
                repeat_share=float((customers["active_periods"] >= 2).mean()),
                mean_tenure=float(customers["tenure"].mean()),
                **{k: v for k, v in concentration(customers["revenue"]).items() if k not in ("customers", "revenue")})
