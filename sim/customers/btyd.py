"""Buy-till-you-die baselines, fitted by maximum likelihood: BG/NBD and shifted-beta-geometric (sBG).

The standard against which relsim's own customer-file forecasts are judged:

* **BG/NBD** (Fader, Hardie & Lee 2005, "Counting your customers the easy way", Marketing Science
  24(2) 275-284) for non-contractual data: while alive a customer buys as a Poisson process with rate
  ``lambda ~ Gamma(r, alpha)``; after each purchase she drops out for good with probability
  ``p ~ Beta(a, b)``.
* **sBG** (Fader & Hardie 2007, "How to project customer retention", Journal of Interactive Marketing
  21(1) 76-90) for contractual data: each period a subscriber cancels with probability
  ``theta ~ Beta(alpha, beta)``.

Why written here rather than imported: pymc-marketing (the well-kept implementation) requires
``numpy<2.5`` and pins pymc/pytensor, so installing it downgrades the numpy and numba the engine is
compiled with and adds ~30 packages; ``lifetimes`` is unmaintained since 2020 and ``btyd`` is a 2022
beta. The likelihoods below are a few lines each and are checked against the published estimates
(tests/test_customers_btyd.py).

Time is measured in periods (the customer file's period length). Every function is pure: arrays in,
arrays or frozen dataclasses out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special

__all__ = [
    "BGNBD", "SBG", "rfm_summary", "bgnbd_loglik", "fit_bgnbd", "bgnbd_expected", "bgnbd_conditional_expected",
    "bgnbd_p_alive", "bgnbd_tracking", "bgnbd_holdout_forecast", "sbg_churn_probability", "sbg_survival",
    "sbg_retention_rate", "sbg_loglik", "fit_sbg", "sbg_durations", "sbg_tracking", "sbg_holdout_forecast",
]


# ---- results --------------------------------------------------------------------------------------
class _Fit:
    """What both fits share: ``params`` (name -> estimate, in ``NAMES`` order) and ``to_dict``."""

    model = ""
    NAMES: tuple[str, ...] = ()

    @property
    def params(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in self.NAMES}

    def to_dict(self) -> dict:
        return {"model": self.model, **asdict(self)}


@dataclass(frozen=True)
class BGNBD(_Fit):
    """Fitted BG/NBD: parameters, their asymptotic standard errors, the maximised log-likelihood."""

    r: float
    alpha: float
    a: float
    b: float
    loglik: float
    n: int  # customers
    converged: bool
    std_errors: dict = field(default_factory=dict)

    model = "bgnbd"
    NAMES = ("r", "alpha", "a", "b")


@dataclass(frozen=True)
class SBG(_Fit):
    """Fitted shifted-beta-geometric: parameters, standard errors, the maximised log-likelihood."""

    alpha: float
    beta: float
    loglik: float
    n: int  # subscribers
    converged: bool
    std_errors: dict = field(default_factory=dict)

    model = "sbg"
    NAMES = ("alpha", "beta")


# ---- shared optimiser -----------------------------------------------------------------------------
def _hessian(f, x: np.ndarray, rel: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian of ``f`` at ``x`` (steps relative to |x|)."""
    x = np.asarray(x, dtype=float)
    k = x.size
    h = rel * np.maximum(np.abs(x), 1e-3)
    H = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            ei = np.zeros(k)
            ej = np.zeros(k)
            ei[i] = h[i]
            ej[j] = h[j]
            v = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h[i] * h[j])
            H[i, j] = H[j, i] = v
    return H


#: the search box of every parameter, on the log scale: exp(+-LOG_BOUND) = 6e-6 .. 1.6e5
LOG_BOUND = 12.0


def _mle(negll, names: list[str], start: np.ndarray) -> tuple[np.ndarray, float, bool, dict]:
    """Minimise ``negll(theta)`` over positive parameters, searched on the log scale in a box.

    Nelder-Mead from ``start`` then an L-BFGS-B polish, both within ``|ln theta| <= LOG_BOUND``.
    ``converged`` is false when the optimiser failed or the optimum lies on the box (the likelihood has
    no interior maximum: the data do not identify the model). Standard errors come from the inverse of
    the numerical Hessian of the negative log-likelihood on the natural scale.
    """

    def on_log(z):
        with np.errstate(all="ignore"):
            v = negll(np.exp(z))
        return v if np.isfinite(v) else 1e300

    box = [(-LOG_BOUND, LOG_BOUND)] * len(start)
    z0 = np.log(np.asarray(start, dtype=float))
    res = optimize.minimize(on_log, z0, method="Nelder-Mead", bounds=box,
                            options=dict(xatol=1e-10, fatol=1e-10, maxiter=20000, maxfev=40000))
    res2 = optimize.minimize(on_log, res.x, method="L-BFGS-B", bounds=box, options=dict(ftol=1e-15, gtol=1e-9))
    best = res2 if res2.fun <= res.fun else res
    theta = np.exp(best.x)
    on_box = bool(np.any(np.abs(best.x) > LOG_BOUND - 0.5))
    converged = bool((res.success or res2.success) and not on_box and best.fun < 1e300)
    se = {n: float("nan") for n in names}
    if converged:
        try:
            with np.errstate(all="ignore"):
                cov = np.linalg.inv(_hessian(negll, theta))
            se = {n: (float(np.sqrt(v)) if v > 0 else float("nan")) for n, v in zip(names, np.diag(cov))}
        except np.linalg.LinAlgError:
            pass
    return theta, -float(best.fun), converged, se


# ---- BG/NBD ---------------------------------------------------------------------------------------
def rfm_summary(customer_id, time, end: float) -> pd.DataFrame:
    """Each customer's ``x, t_x, T`` at the end of calibration (FHL 2005, section 2).

    ``time`` is each purchase's time in periods; purchases at the same time by the same customer are one
    purchase occasion (FHL merge same-day purchases). Purchases after ``end`` are left out, and so are
    customers whose first purchase is after ``end``. With ``s`` the first purchase time:

        x   = (number of distinct purchase times <= end) - 1      repeat purchases
        t_x = (last purchase time <= end) - s                      recency
        T   = end - s                                              time observed

    Returns columns customer_id, first (``s``), x, t_x, T, one row per customer, in customer order.
    """
    df = pd.DataFrame({"customer_id": np.asarray(customer_id), "time": np.asarray(time, dtype=float)})
    df = df[df["time"] <= end].drop_duplicates()
    g = df.groupby("customer_id", sort=True)["time"]
    out = pd.DataFrame({"first": g.min(), "last": g.max(), "n": g.size()})
    out = pd.DataFrame({"customer_id": out.index, "first": out["first"].to_numpy(),
                        "x": (out["n"] - 1).to_numpy(dtype=np.int64),
                        "t_x": (out["last"] - out["first"]).to_numpy(),
                        "T": (end - out["first"]).to_numpy()})
    return out.reset_index(drop=True)


def bgnbd_loglik(r: float, alpha: float, a: float, b: float, x, t_x, T) -> np.ndarray:
    """Each customer's BG/NBD log-likelihood (FHL 2005, eq. 6).

        L = B(a, b+x)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+T)^(r+x))
            + delta(x>0) * B(a+1, b+x-1)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+t_x)^(r+x))

    computed as ``ln L = A1 + A2 + ln(exp(A3) + delta(x>0) exp(A4))`` with
    ``A1 = lnGamma(r+x) - lnGamma(r) + r ln alpha``, ``A2 = lnB(a, b+x) - lnB(a, b)``,
    ``A3 = -(r+x) ln(alpha+T)``, ``A4 = ln(a/(b+x-1)) - (r+x) ln(alpha+t_x)``
    (using ``B(a+1, b+x-1) = B(a, b+x) a/(b+x-1)``).
    """
    x = np.asarray(x, dtype=float)
    t_x = np.asarray(t_x, dtype=float)
    T = np.asarray(T, dtype=float)
    A1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    A2 = special.betaln(a, b + x) - special.betaln(a, b)
    A3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        A4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
                      -np.inf)
    return A1 + A2 + np.logaddexp(A3, A4)


def fit_bgnbd(x, t_x, T, weights=None, start=(1.0, 1.0, 1.0, 1.0)) -> BGNBD:
    """Maximum-likelihood BG/NBD: maximise ``sum_i w_i ln L(r, alpha, a, b | x_i, t_x_i, T_i)`` (eq. 6).

    Customers with identical ``(x, t_x, T)`` are collapsed into one weighted row first.
    """
    df = pd.DataFrame({"x": np.asarray(x, dtype=float), "t_x": np.asarray(t_x, dtype=float),
                       "T": np.asarray(T, dtype=float),
                       "w": np.ones(len(np.asarray(x))) if weights is None else np.asarray(weights, dtype=float)})
    if len(df) == 0:
        raise ValueError("no customers to fit")
    g = df.groupby(["x", "t_x", "T"], as_index=False)["w"].sum()
    xs, txs, Ts, ws = (g[c].to_numpy() for c in ("x", "t_x", "T", "w"))

    def negll(th):
        r, al, a, b = th
        return -float(np.sum(ws * bgnbd_loglik(r, al, a, b, xs, txs, Ts)))

    th, ll, ok, se = _mle(negll, ["r", "alpha", "a", "b"], np.asarray(start))
    return BGNBD(r=float(th[0]), alpha=float(th[1]), a=float(th[2]), b=float(th[3]), loglik=ll,
                 n=int(round(ws.sum())), converged=ok, std_errors=se)


def bgnbd_expected(p: BGNBD, t) -> np.ndarray:
    """Expected repeat purchases of a new customer in ``(0, t]`` (FHL 2005, eq. 7).

        E[X(t)] = (a+b-1)/(a-1) * [1 - (alpha/(alpha+t))^r * 2F1(r, b; a+b-1; t/(alpha+t))]

    ``t <= 0`` gives 0.
    """
    t = np.maximum(np.asarray(t, dtype=float), 0.0)
    r, al, a, b = p.r, p.alpha, p.a, p.b
    z = t / (al + t)
    val = (a + b - 1) / (a - 1) * (1 - (al / (al + t)) ** r * special.hyp2f1(r, b, a + b - 1, z))
    return np.where(t > 0, val, 0.0)


def bgnbd_conditional_expected(p: BGNBD, t, x, t_x, T) -> np.ndarray:
    """Expected purchases in ``(T, T+t]`` of a customer with history ``(x, t_x, T)`` (FHL 2005, eq. 10).

        E[Y(t) | x, t_x, T] = (a+b+x-1)/(a-1)
              * [1 - ((alpha+T)/(alpha+T+t))^(r+x) * 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
              / [1 + delta(x>0) * a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x)]
    """
    t = np.maximum(np.asarray(t, dtype=float), 0.0)
    x = np.asarray(x, dtype=float)
    t_x = np.asarray(t_x, dtype=float)
    T = np.asarray(T, dtype=float)
    r, al, a, b = p.r, p.alpha, p.a, p.b
    num = (a + b + x - 1) / (a - 1) * (
        1 - ((al + T) / (al + T + t)) ** (r + x) * special.hyp2f1(r + x, b + x, a + b + x - 1, t / (al + T + t)))
    return np.where(t > 0, num / _bgnbd_dead_odds_plus_one(p, x, t_x, T), 0.0)


def _bgnbd_dead_odds_plus_one(p: BGNBD, x, t_x, T):
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = np.where(x > 0, p.a / np.maximum(p.b + x - 1, 1e-300) * ((p.alpha + T) / (p.alpha + t_x)) ** (p.r + x),
                        0.0)
    return 1.0 + odds


def bgnbd_p_alive(p: BGNBD, x, t_x, T) -> np.ndarray:
    """Probability that a customer with history ``(x, t_x, T)`` is still alive (FHL 2005, eq. 11).

        P(alive | x, t_x, T) = 1 / [1 + delta(x>0) * a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x)]
    """
    return 1.0 / _bgnbd_dead_odds_plus_one(p, np.asarray(x, float), np.asarray(t_x, float), np.asarray(T, float))


def bgnbd_tracking(p: BGNBD, first, ends) -> np.ndarray:
    """Expected repeat purchases in each period of a customer base, from acquisition on (FHL 2005, fig. 1).

    A customer first buying at time ``s_i`` adds ``E[X(e_k - s_i)] - E[X(e_{k-1} - s_i)]`` (eq. 7) to
    the period ending at ``e_k``; ``ends`` are the period end times in increasing order and the first
    period starts at ``-inf``. Returns one value per period.
    """
    first = np.asarray(first, dtype=float)
    ends = np.asarray(ends, dtype=float)
    s, counts = np.unique(first, return_counts=True)
    cum = np.array([np.sum(counts * bgnbd_expected(p, e - s)) for e in ends])
    return np.diff(cum, prepend=0.0)


def bgnbd_holdout_forecast(p: BGNBD, summary: pd.DataFrame, horizon: int, period_length: float = 1.0,
                           taus=None) -> pd.DataFrame:
    """Expected repeat purchases per period after the end of calibration, summed over the customers.

    Period ``k = 1..horizon`` covers ``(T + tau_{k-1}, T + tau_k]`` of each customer, with
    ``tau_k = k L`` (``L = period_length`` in the time unit of ``summary``) unless ``taus``
    (``tau_0 = 0, ..., tau_horizon``: calendar periods of unequal length) is given; its expectation is
    eq. 10 at ``tau_k`` minus eq. 10 at ``tau_{k-1}``, summed over the customers (identical histories
    collapsed). Columns: step (1..horizon), expected (in that period), cumulative.
    """
    g = summary.groupby(["x", "t_x", "T"], as_index=False).size()
    taus = np.arange(horizon + 1) * float(period_length) if taus is None else np.asarray(taus, dtype=float)
    if len(taus) != horizon + 1:
        raise ValueError(f"taus: {len(taus)} values; expected horizon + 1 = {horizon + 1}")
    cum = np.array([np.sum(g["size"].to_numpy() * bgnbd_conditional_expected(p, tau, g["x"], g["t_x"], g["T"]))
                    for tau in taus])
    inc = np.diff(cum)
    return pd.DataFrame({"step": np.arange(1, horizon + 1), "expected": inc, "cumulative": cum[1:]})


# ---- shifted-beta-geometric ---------------------------------------------------------------------
def sbg_churn_probability(alpha: float, beta: float, t) -> np.ndarray:
    """P(T = t): a new subscriber's last period is ``t`` (cancels at its end), t = 1, 2, ... (F&H 2007, eq. 5).

        P(T = t | alpha, beta) = B(alpha+1, beta+t-1) / B(alpha, beta)
    """
    t = np.asarray(t, dtype=float)
    return np.exp(special.betaln(alpha + 1, beta + t - 1) - special.betaln(alpha, beta))


def sbg_survival(alpha: float, beta: float, t) -> np.ndarray:
    """S(t) = P(T > t): a new subscriber is still subscribed after ``t`` renewals (F&H 2007, eq. 6).

        S(t | alpha, beta) = B(alpha, beta+t) / B(alpha, beta),  S(0) = 1
    """
    t = np.asarray(t, dtype=float)
    return np.exp(special.betaln(alpha, beta + t) - special.betaln(alpha, beta))


def sbg_retention_rate(alpha: float, beta: float, t) -> np.ndarray:
    """Share of those active in period t-1 who renew for period t (F&H 2007, eq. 8), rising with t.

        r_t = S(t)/S(t-1) = (beta + t - 1) / (alpha + beta + t - 1)
    """
    t = np.asarray(t, dtype=float)
    return (beta + t - 1) / (alpha + beta + t - 1)


def sbg_loglik(alpha: float, beta: float, duration, censored) -> np.ndarray:
    """Each subscriber's sBG log-likelihood (F&H 2007, eq. 7; multi-cohort form of F&H's note 17).

    A subscriber seen in periods 0..L of her life who then cancelled has ``duration = L+1`` and
    contributes ``ln P(T = L+1)``; one still subscribed at the end of the data (``censored``) has
    ``duration = L`` renewals and contributes ``ln S(L)``.
    """
    d = np.asarray(duration, dtype=float)
    c = np.asarray(censored, dtype=bool)
    churn = special.betaln(alpha + 1, beta + np.maximum(d, 1) - 1) - special.betaln(alpha, beta)
    surv = special.betaln(alpha, beta + d) - special.betaln(alpha, beta)
    return np.where(c, surv, churn)


def sbg_durations(survivors) -> pd.DataFrame:
    """Durations and censoring of one cohort from its survivor counts ``n_0 >= n_1 >= ... >= n_K``.

    ``n_{t-1} - n_t`` subscribers have ``duration = t`` (cancelled after period t-1); ``n_K`` are still
    subscribed after ``K`` renewals (``duration = K``, censored). Columns: duration, censored, count.
    """
    n = np.asarray(survivors, dtype=float)
    K = len(n) - 1
    rows = [(t, False, n[t - 1] - n[t]) for t in range(1, K + 1)] + [(K, True, n[K])]
    return pd.DataFrame(rows, columns=["duration", "censored", "count"])


def fit_sbg(duration, censored, weights=None, start=(1.0, 1.0)) -> SBG:
    """Maximum-likelihood sBG: maximise ``sum_i w_i`` times the log-likelihood of :func:`sbg_loglik`."""
    d = np.asarray(duration, dtype=float)
    c = np.asarray(censored, dtype=bool)
    w = np.ones(len(d)) if weights is None else np.asarray(weights, dtype=float)
    if len(d) == 0:
        raise ValueError("no subscribers to fit")
    if not np.any(~c & (w > 0)):
        raise ValueError("no subscriber cancelled: the sBG cannot be fitted (retention 100%)")

    def negll(th):
        return -float(np.sum(w * sbg_loglik(th[0], th[1], d, c)))

    th, ll, ok, se = _mle(negll, ["alpha", "beta"], np.asarray(start))
    return SBG(alpha=float(th[0]), beta=float(th[1]), loglik=ll, n=int(round(w.sum())), converged=ok,
               std_errors=se)


def sbg_tracking(p: SBG, cohort_sizes, ages) -> np.ndarray:
    """Expected subscribers per period from acquisition on: ``sum_c n_c S(age_c)`` (F&H 2007, eq. 6).

    ``cohort_sizes`` has one entry per cohort and ``ages`` a matrix (periods x cohorts) of each cohort's
    age in each period (negative: not yet acquired, contributes 0).
    """
    n = np.asarray(cohort_sizes, dtype=float)
    ages = np.asarray(ages, dtype=float)
    return np.sum(np.where(ages >= 0, n * sbg_survival(p.alpha, p.beta, np.maximum(ages, 0)), 0.0), axis=-1)


def sbg_holdout_forecast(p: SBG, alive, age, horizon: int) -> pd.DataFrame:
    """Expected subscribers in each of the ``horizon`` periods after the end of calibration.

    A cohort with ``m`` subscribers at age ``A`` (its last calibration period) has, k periods later,

        E[active] = m * S(A + k) / S(A)

    (the survivors' own beta-distributed churn, updated by having survived A renewals). Summed over
    cohorts. Columns: step (1..horizon), expected.
    """
    m = np.asarray(alive, dtype=float)
    A = np.asarray(age, dtype=float)
    steps = np.arange(1, horizon + 1)
    base = sbg_survival(p.alpha, p.beta, A)
    exp = [float(np.sum(m * sbg_survival(p.alpha, p.beta, A + k) / base)) for k in steps]
    return pd.DataFrame({"step": steps, "expected": exp})
