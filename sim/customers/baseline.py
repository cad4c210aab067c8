"""The buy-till-you-die baseline of a customer file: fit up to a cut-off, track and forecast per period.

Transactions get the BG/NBD, contractual data the sBG (:mod:`sim.customers.btyd`). Both are fitted on
the rows up to and including the cut-off period and on the customers acquired by then; the forecast
covers those customers only (customers acquired later are in neither the actual nor the expected
counts).

Time unit: one period. With dates, purchase times are days since the file's first period start divided
by the mean period length (7 days a week, 365.25/12 a month, ...) and same-day purchases are one
purchase occasion, as in Fader, Hardie & Lee (2005); with integer periods a period is the time unit and
purchases in the same period are one occasion. The calibration ends at the last day of the cut-off
period.

The table (``baseline.csv``), one row per period from the first to cut-off + horizon:

    period, phase (calibration/holdout), actual, expected, expected_conditional

``actual``: repeat purchase occasions (BG/NBD) or active subscribers (sBG) of the calibration customers
in that period (empty beyond the file); ``expected``: the model's expectation from each customer's
acquisition on (tracking, eq. 7 of FHL 2005 / S(t) of F&H 2007); ``expected_conditional``: holdout
periods only, the forecast conditional on each customer's calibration history (eq. 10 of FHL 2005 /
``m S(A+k)/S(A)`` for the sBG).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import btyd
from .reader import PERIOD_DAYS, CustomerData


@dataclass
class Baseline:
    model: str  # "bgnbd" or "sbg"
    fit: object | None  # btyd.BGNBD / btyd.SBG, None when it could not be fitted
    table: pd.DataFrame | None
    params: pd.DataFrame | None
    errors: dict
    cut: int
    horizon: int
    skipped: str | None = None  # why there is no fit

    def manifest(self) -> dict:
        out = dict(model=self.model, cut=int(self.cut), horizon=int(self.horizon))
        if self.fit is None:
            out["skipped"] = self.skipped
        else:
            out.update(self.fit.to_dict())
            out["errors"] = self.errors
        return out


def _params_table(fit) -> pd.DataFrame:
    return pd.DataFrame([(fit.model, k, v, fit.std_errors.get(k, float("nan"))) for k, v in fit.params.items()],
                        columns=["model", "parameter", "estimate", "std_error"])


def holdout_errors(table: pd.DataFrame) -> dict:
    """Holdout accuracy of the conditional forecast over the periods with data: periods, actual and
    expected totals, their relative difference, and the mean absolute error per period."""
    h = table[(table["phase"] == "holdout") & table["actual"].notna()]
    if h.empty:
        return dict(holdout_periods=0)
    act, exp = h["actual"].to_numpy(float), h["expected_conditional"].to_numpy(float)
    return dict(holdout_periods=int(len(h)), actual_total=float(act.sum()), expected_total=float(exp.sum()),
                total_error=float((exp.sum() - act.sum()) / act.sum()) if act.sum() > 0 else float("nan"),
                mae_per_period=float(np.mean(np.abs(exp - act))))


def fit_baseline(data: CustomerData, cut: int, horizon: int) -> Baseline:
    """Fit the baseline of ``data.kind`` on the periods up to ``cut`` and forecast ``horizon`` periods."""
    fn = _sbg if data.kind == "contractual" else _bgnbd
    return fn(data, int(cut), int(horizon))


def _periods(data: CustomerData, cut: int, horizon: int) -> tuple[np.ndarray, int]:
    first = int(data.rows["period"].min())
    last = int(data.rows["period"].max())
    return np.arange(first, cut + horizon + 1), last


def _bgnbd(data: CustomerData, cut: int, horizon: int) -> Baseline:
    rows = data.rows
    L = PERIOD_DAYS[data.period] if data.has_dates else 1.0
    t = rows["day"].to_numpy(float) / L if data.has_dates else rows["period"].to_numpy(float)
    end = data.period_end_day(cut) / L
    summ = btyd.rfm_summary(rows["customer_id"].to_numpy(), t, end)
    periods, last = _periods(data, cut, horizon)
    skip = None
    if len(summ) < 2:
        skip = "fewer than two customers before the cut-off"
    elif int(summ["x"].sum()) == 0:
        skip = "no repeat purchase before the cut-off"
    if skip:
        return Baseline("bgnbd", None, None, None, {}, cut, horizon, skipped=skip)
    fit = btyd.fit_bgnbd(summ["x"], summ["t_x"], summ["T"])
    if not fit.converged:
        return _unidentified("bgnbd", fit, cut, horizon)
    # actual repeat purchase occasions of the calibration customers, per period
    occ = pd.DataFrame({"customer_id": rows["customer_id"].to_numpy(), "time": t, "period": rows["period"].to_numpy()})
    occ = occ[occ["customer_id"].isin(summ["customer_id"])].drop_duplicates(["customer_id", "time"])
    firsts = occ.groupby("customer_id")["time"].transform("min")
    actual = occ[occ["time"] > firsts].groupby("period").size()
    ends = np.array([data.period_end_day(p) / L for p in periods])
    expected = btyd.bgnbd_tracking(fit, summ["first"], ends)
    taus = np.array([data.period_end_day(cut + k) / L for k in range(horizon + 1)]) - end
    cond = btyd.bgnbd_holdout_forecast(fit, summ, horizon, taus=taus)["expected"].to_numpy()
    table = _table(periods, cut, last, actual, expected, cond)
    return Baseline("bgnbd", fit, table, _params_table(fit), holdout_errors(table), cut, horizon)


def _sbg(data: CustomerData, cut: int, horizon: int) -> Baseline:
    rows = data.rows[data.rows["period"] <= cut]
    per = rows[["customer_id", "period"]].drop_duplicates()
    g = per.groupby("customer_id")["period"]
    cust = pd.DataFrame({"cohort": g.min(), "last": g.max()})
    periods, last = _periods(data, cut, horizon)
    censored = (cust["last"] >= cut).to_numpy()
    age_last = (cust["last"] - cust["cohort"]).to_numpy()
    duration = np.where(censored, age_last, age_last + 1)
    if len(cust) < 2 or censored.all():
        why = "fewer than two customers before the cut-off" if len(cust) < 2 else "no customer cancelled before the cut-off"
        return Baseline("sbg", None, None, None, {}, cut, horizon, skipped=why)
    d = pd.DataFrame({"duration": duration, "censored": censored}).value_counts().reset_index(name="count")
    fit = btyd.fit_sbg(d["duration"], d["censored"], d["count"])
    if not fit.converged:
        return _unidentified("sbg", fit, cut, horizon)
    sizes = cust.groupby("cohort").size()
    ages = periods[:, None] - sizes.index.to_numpy()[None, :]
    expected = btyd.sbg_tracking(fit, sizes.to_numpy(), ages)
    allp = data.rows[["customer_id", "period"]].drop_duplicates()
    actual = allp[allp["customer_id"].isin(cust.index)].groupby("period").size()
    alive = cust[censored].groupby("cohort").size()
    cond = btyd.sbg_holdout_forecast(fit, alive.to_numpy(), cut - alive.index.to_numpy(), horizon)["expected"].to_numpy()
    table = _table(periods, cut, last, actual, expected, cond)
    return Baseline("sbg", fit, table, _params_table(fit), holdout_errors(table), cut, horizon)


def _unidentified(model: str, fit, cut: int, horizon: int) -> Baseline:
    est = ", ".join(f"{k} = {v:.3g}" for k, v in fit.params.items())
    why = (f"the likelihood has no maximum inside the parameter range ({est}): too few customers or purchases "
           "before the cut-off to identify the model")
    return Baseline(model, None, None, None, {}, cut, horizon, skipped=why)


def _table(periods, cut, last, actual: pd.Series, expected, cond) -> pd.DataFrame:
    act = actual.reindex(periods, fill_value=0).to_numpy(dtype=float, copy=True)
    act[periods > last] = np.nan
    ec = np.full(len(periods), np.nan)
    ec[periods > cut] = cond
    return pd.DataFrame({"period": periods, "phase": np.where(periods <= cut, "calibration", "holdout"),
                         "actual": act, "expected": expected, "expected_conditional": ec})
