"""Optional numba kernels for the hot per-row loops of a tick (the ``fast`` extra).

The numpy phases in ``sim/trade.py``, ``sim/evaluation.py``, ``sim/communication.py``,
``sim/lifecycle.py``, ``sim/awareness.py`` and ``sim/records.py`` are the reference.
When ``ENABLED`` is true each of them hands its per-row work to the function of
the same name here, which does it in compiled loops over the ledger's rows
instead of a dozen numpy passes (``fulfil``'s one pass over the trading rows
also does the work of ``invest``, ``judge`` and exponential-smoothing
``plan``: within a row the parts run in phase order, and none reads another row). Results are **identical**, bit for bit
(``tests/test_kernels.py``): every equation is restated here in the operation
order and with the dtypes numpy uses under NEP 50 promotion rules, which is
what the comments like ``f32`` and ``f64`` track:

* a Python float times a float32 array is computed in float32
  (``f32(x) * a``); a float32 array with a float64 array in float64;
* comparisons of float32 columns with a Python threshold compare in float32;
* ``np.exp`` stays in numpy (numba's ``exp`` differs from numpy's SIMD one
  in the last bit for a few percent of inputs): kernels return the exponent,
  numpy exponentiates, the next kernel goes on;
* sums that numpy does pairwise (``arr.sum()``, ``mean``) stay in numpy;
  grouped sums (``np.bincount``) add in row order, as the loops here do.

Each kernel names the ``sim.dynamics`` function (or phase) it mirrors; when an
equation changes there, change it here too: the identity test fails otherwise.

Which path runs is an implementation switch, not a model parameter:
``RELSIM_ENGINE=numpy`` or ``numba`` in the environment (default: numba when
it can be imported), or set ``sim.kernels.ENABLED`` at run time.
"""

from __future__ import annotations

import os
import time
import warnings

import numpy as np

from . import dynamics
from .ledger import AWARENESS, COMMITMENT, DISSOLVED, EXPANSION, EXPLORATION
from .parameters import CAUSES

try:  # numba is optional (pip install relsim[fast])
    import numba

    # error_model="numpy": a division by zero gives inf/nan as in numpy instead of raising
    _njit = numba.njit(cache=True, nogil=True, error_model="numpy")
    # for small helpers called per row from other kernels: inlined, so that no call (and no reference
    # counting of its array arguments) happens per row
    _njit_inline = numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
    AVAILABLE = True
except ImportError:  # pragma: no cover - exercised where numba is missing
    numba = None
    AVAILABLE = False

    def _njit(fn):
        return fn

    _njit_inline = _njit


def _choose() -> bool:
    want = os.environ.get("RELSIM_ENGINE", "").strip().lower()
    if want in ("", "auto"):
        return AVAILABLE
    if want == "numpy":
        return False
    if want == "numba":
        if not AVAILABLE:
            warnings.warn("RELSIM_ENGINE=numba but numba is not installed; using the numpy engine", stacklevel=2)
        return AVAILABLE
    raise ValueError(f"RELSIM_ENGINE={want!r} is not allowed: expected numpy, numba or auto")


#: True when the phases use the compiled kernels (read at every call).
ENABLED: bool = _choose()

F32 = np.float32
#: lists a pass fills with a few rows in a hundred get buffers of 1/SHORT_LISTS of the rows plus SHORT_SLACK
#: (a pass whose list outgrows that is run again with room for every row)
SHORT_LISTS, SHORT_SLACK = 10, 2048
#: talk's list of prospects gets room for 1/PROSPECTS of the rows (plus SHORT_SLACK) before it is redone
PROSPECTS = 4
#: Indices are cast to unsigned before indexing: numba then skips the wrap-around test of negative
#: indices on every array access (about 10% of a row's time in the longer kernels).
U = np.uintp


def engine() -> str:
    """Name of the path the phases take now: ``'numba'`` or ``'numpy'``."""
    return "numba" if ENABLED else "numpy"


# ---------------------------------------------------------------------------------------------
# order: logit split of demand (trade.place_orders, dynamics.attractiveness, grouped.group_softmax)
# ---------------------------------------------------------------------------------------------
@_njit
def _logit_exponent(tr, buyer, exporter, quality, rel_price, price_sens, trust, commitment, beta, n_buyers):
    """x - max_g(x) per row, with x = beta * attractiveness (dynamics.attractiveness)."""
    n = tr.size
    x = np.empty(n)
    m = np.full(n_buyers, -np.inf)
    for k in range(n):
        i = U(tr[k])
        b, e = U(buyer[i]), U(exporter[i])
        # A = q - ps (p - 1) + T + C, all in float64
        a = quality[e] - np.float64(price_sens[b]) * (rel_price[e] - 1.0) + np.float64(trust[i]) + np.float64(commitment[i])
        v = beta * a
        x[k] = v
        m[b] = max(m[b], v)  # branch-free: a mispredicted branch per row costs more than the row's arithmetic
    for k in range(n):
        x[k] = x[k] - m[U(buyer[U(tr[k])])]
    return x


@_njit
def _logit_orders(tr, buyer, ez, demand, order_col, n_buyers):
    """order = demand_b * exp(z) / sum_g exp(z) (grouped.group_softmax); writes the float32 column."""
    n = tr.size
    s = np.zeros(n_buyers)
    for k in range(n):
        s[U(buyer[U(tr[k])])] += ez[k]
    out = np.empty(n)
    for k in range(n):
        i = U(tr[k])
        b = U(buyer[i])
        o = demand[b] * (ez[k] / s[b])
        out[k] = o
        order_col[i] = F32(o)
    return out


def place_orders_logit(model, t: int) -> np.ndarray:
    p, L, now = model.p, model.ledger, model.now
    tr = now.rows
    z = _logit_exponent(tr, L.buyer, L.exporter, model.exporters.quality, model.relative_price,
                        model.buyers.price_sensitivity, L.trust, L.commitment, float(p["beta"]), model.buyers.n)
    return _logit_orders(tr, L.buyer, np.exp(z, out=z), now.demand, L.order, model.buyers.n)


# ---------------------------------------------------------------------------------------------
# fulfil, invest, judge and plan's forecasts in one pass over the trading rows
# (trade.fulfil, dynamics.monitoring; trade.invest, dynamics.investment_update, dynamics.switching_cost;
#  evaluation.judge, dynamics.satisfaction_update, trust_update, commitment_update, preference_update;
#  trade._forecast for exponential smoothing with information sharing)
# Within a row the four parts run in the engine's phase order; no part reads another row, so one
# pass gives what the four phases give one after the other.
# ---------------------------------------------------------------------------------------------
@_njit
def _trade_rows(tr, exporter, buyer, stage, order, stock, active, opportunism, quality, price, unit_cost,
                monitoring, u_act, size, partnership, importance, count_b, exp_table,
                trust_c, comm, volume, revenue_col, margin_col, n_orders, investment, switching,
                outcome_c, expectation_c, satisfaction_c, low_sat, forecast, perceived_c, shared,
                tc_c, tk_c, ti_c, commit_c, preference, level, demand, expected_next,
                fp, n_exporters, plan_on, sharing, database, survey, excessive):
    # fp: float parameters, in the order of _trade_params
    (thr, thr_den, strength, shading, fit_bonus, profit, rate, depreciation, sc_strength,
     s, a, dlevel, alignment, gain, loss, penalty, cdecay, igain, ceffect, sveffect,
     cgain, cdecay2, bloss, gamma, alpha) = (fp[0], fp[1], fp[2], fp[3], fp[4], fp[5], fp[6], fp[7], fp[8],
                                             fp[9], fp[10], fp[11], fp[12], fp[13], fp[14], fp[15], fp[16],
                                             fp[17], fp[18], fp[19], fp[20], fp[21], fp[22], fp[23], fp[24])
    n = tr.size
    E = n_exporters
    orders_e = np.zeros(E)
    for k in range(n):
        orders_e[U(exporter[U(tr[k])])] += order[k]
    fill_e = np.empty(E)
    for j in range(E):
        if not active[j]:
            fill_e[j] = 0.0
        elif orders_e[j] > 0:
            fill_e[j] = min(1.0, stock[j] / max(orders_e[j], 1e-12))
        else:
            fill_e[j] = 1.0
    acts = np.zeros(2, np.int64)  # opportunistic acts, detected acts
    received = np.empty(n + 1)  # value received by the rows that ordered, in row order
    n_received = 0
    err = np.empty(n)
    delivered_e = np.zeros(E)
    revenue_e = np.zeros(E)
    margin_e = np.zeros(E)
    rev2_e = np.zeros(E)
    forecast_e = np.zeros(E)
    half_shading = 0.5 * shading
    f_thr, f_den, f_strength, f_fit = F32(thr), F32(thr_den), F32(strength), F32(fit_bonus)
    f_keep_inv = F32(1.0 - depreciation)
    f_1s, f_1a = F32(1.0 - s), F32(1.0 - a)
    f_tiny, f08 = F32(1e-12), F32(0.8)
    f_align = F32(alignment)
    f_cd = F32(1.0 - cdecay)
    f_ce, f_sv_half = F32(ceffect), F32(0.5 * sveffect)
    f_ig_sv = F32(igain * sveffect)
    f_sv = F32(sveffect)
    f_one, f_zero, f02 = F32(1.0), F32(0.0), F32(0.2)
    f_cdecay = F32(cdecay2)
    f_1g = F32(1.0 - gamma)
    f_1alpha = F32(1.0 - alpha)
    keep_detected = 1.0 - penalty
    for k in range(n):
        i = U(tr[k])
        e, b = U(exporter[i]), U(buyer[i])
        # ---- fulfil (trade.fulfil) ----
        fill = fill_e[e]
        d = order[k] * fill
        od = order[k] > 0
        op = od & (u_act[k] < opportunism[e])  # `&`, not `and`: no branch on a random draw
        mon = monitoring[b]  # dynamics.monitoring, in float32
        if excessive:
            over = (trust_c[i] - f_thr) / f_den
            over = min(max(over, F32(0.0)), F32(1.0))
            mon = mon * (F32(1.0) - f_strength * over)
        det = op & (u_act[k] < opportunism[e] * np.float64(mon))  # trade.fulfil: the act's draw decides detection
        opf = 1.0 if op else 0.0
        kept = 1.0 - shading * opf
        v = fill * quality[e] * kept + np.float64(f_fit * comm[i])
        rev = d * price[e]
        mar = d * (price[e] - unit_cost[e] * (1.0 - half_shading * opf))
        volume[i] = F32(np.float64(volume[i]) + d)
        revenue_col[i] = F32(np.float64(revenue_col[i]) + rev)
        margin_col[i] = F32(np.float64(margin_col[i]) + mar)
        if od:
            n_orders[i] += 1
        acts[0] += op
        acts[1] += det
        received[n_received] = v
        n_received += od
        payoff = profit * fill * kept * (1.0 if od else 0.0)
        delivered_e[e] += d
        revenue_e[e] += rev
        margin_e[e] += mar
        rev2_e[e] += rev * rev
        # ---- invest (dynamics.investment_update, dynamics.switching_cost) ----
        r = rate * (2.0 if partnership[b] else 1.0)
        add = r * (d / np.float64(size[b])) if stage[i] >= EXPANSION else 0.0
        investment[i] = F32(np.float64(investment[i] * f_keep_inv) + add)
        alt_exp = exp_table[U(count_b[b] - 1)]  # np.exp(-0.5 * alternatives)
        switching[i] = F32(sc_strength * (np.float64(investment[i]) + np.float64(importance[b]) * alt_exp))
        # ---- judge: satisfaction_update (float64 where observed, else the stored float32) ----
        if od:
            o = np.float64(f_1s * outcome_c[i]) + s * v
            ex_ = np.float64(f_1a * expectation_c[i]) + a * v
        else:
            o = np.float64(outcome_c[i])
            ex_ = np.float64(expectation_c[i])
        sat = o - ex_
        outcome_c[i], expectation_c[i], satisfaction_c[i] = F32(o), F32(ex_), F32(sat)
        low_sat[i] = low_sat[i] + np.int16(1) if sat < dlevel else np.int16(0)
        # perceived satisfaction (evaluation.judge)
        fc = forecast[i]
        if fc > 0:
            proxy = order[k] / np.float64(max(fc, f_tiny)) - 1.0
        else:
            proxy = 0.0
        proxy = min(max(proxy, -1.0), 1.0) * 0.5
        perc = np.float64(f08 * perceived_c[i]) + 0.2 * proxy
        if database:
            perc = 0.5 * perc + 0.5 * sat
        if survey:
            perc = sat
        perceived_c[i] = F32(perc)
        sv = shared[i]
        if alignment != 0.0:
            sv = sv + f_align * comm[i] * (f_one - sv)
            shared[i] = sv
        # trust_update
        kn, idn = tk_c[i], ti_c[i]
        tc = tc_c[i] * f_cd
        up = np.float64(f_ce * comm[i] + f_sv_half * sv) + 2.0 * max(sat, 0.0)
        down = 2.0 * max(-sat, 0.0)
        tk = (np.float64(kn) + min(gain * up, 1.0) * np.float64(f_one - kn)) - min(loss * down, np.float64(kn))
        if stage[i] == COMMITMENT:
            ti = idn + min(f_ig_sv * sv, f_one) * (f_one - idn)
        else:
            ti = idn + f_zero
        keep = keep_detected if det else 1.0
        tc2 = min(max(np.float64(tc) * keep, 0.0), 1.0)
        tk2 = min(max(tk * keep, 0.0), 1.0)
        ti2 = min(max(np.float64(ti) * keep, 0.0), 1.0)
        trust = 1.0 - (1.0 - tc2) * (1.0 - tk2) * (1.0 - ti2)  # combine_trust
        tc_c[i], tk_c[i], ti_c[i], trust_c[i] = F32(tc2), F32(tk2), F32(ti2), F32(trust)
        # commitment_update
        c0 = commit_c[i]
        sc = switching[i]
        drive = (0.4 * trust + np.float64(f02 * min(f_one, f_sv * sv))) + 0.2 * min(max(o, 0.0), 1.0)
        drive = drive + np.float64(f02 * sc / (f_one + sc))
        ori = 1.0 if partnership[b] else 0.5
        c = (np.float64(c0) + cgain * ori * drive * np.float64(f_one - c0)) - np.float64(f_cdecay * c0)
        if bloss > 0 and det:
            c = c * (1.0 - bloss)
        commit_c[i] = F32(min(max(c, 0.0), 1.0))
        # preference_update
        preference[i] = F32(np.float64(f_1g * preference[i]) + payoff)
        # ---- plan: exponential-smoothing forecast, shared forecasts of committed buyers (trade._forecast) ----
        if plan_on:
            err[k] = abs(np.float64(fc) - order[k])
            f = alpha * order[k] + np.float64(f_1alpha * level[i])
            level[i] = F32(f)
            if sharing and stage[i] == COMMITMENT:
                dm = demand[b]
                share = order[k] / max(dm, 1e-12) if dm > 0 else 0.0
                f = share * np.float64(expected_next[b])
            forecast[i] = F32(f)
            forecast_e[e] += f
    return acts, received[:n_received], err, orders_e, delivered_e, revenue_e, margin_e, rev2_e, forecast_e


def fulfil(model, t: int) -> None:
    """trade.fulfil, trade.invest, evaluation.judge and (exponential smoothing) plan's forecasts, in one pass."""
    p, L, ex, by, now, policy = model.p, model.ledger, model.exporters, model.buyers, model.now, model.policy
    tr = now.rows
    rng = model.streams["fulfilment"]
    u_act = rng.random(tr.size)
    count_b = now.trading_per_buyer  # trading rows per buyer, counted by try_out (no stage has changed since)
    # the same np.exp as dynamics.switching_cost, on each possible number of alternatives
    exp_table = np.exp(-0.5 * np.arange(max(int(count_b.max()) if count_b.size else 1, 1), dtype=np.int64))
    plan_on = p["forecast_method"] == "exponential_smoothing"
    sharing = bool(p["information_sharing"]) and plan_on
    expected_next = model.expected_demand(t + 1) if sharing else np.zeros(1, np.float32)
    fp = np.array([
        p["excessive_trust_threshold"], max(1.0 - p["excessive_trust_threshold"], 1e-9), p["excessive_trust_strength"],
        p["shading"], policy.fit_bonus, p["profit"],
        p["investment_rate"], p["investment_depreciation"], p["switching_cost_strength"],
        p["satisfaction_smoothing"], p["expectation_adaptation"], p["dissatisfaction_level"], policy.value_alignment or 0.0,
        p["trust_gain"], p["trust_loss"], p["opportunism_penalty"], p["calculus_decay"], p["identification_gain"],
        p["communication_effect"], p["shared_values_effect"], p["commitment_gain"], p["commitment_decay"],
        p["opportunism_commitment_loss"], p["gamma"], p["forecast_alpha"]], dtype=np.float64)
    (acts, received, err, orders_e, delivered_e, revenue_e, margin_e, rev2_e,
     forecast_e) = _trade_rows(
        tr, L.exporter, L.buyer, L.stage, now.order, ex.stock, ex.active, ex.opportunism, ex.quality, ex.price,
        ex.unit_cost, by.monitoring, u_act, by.size, by.partnership, by.importance, count_b, exp_table,
        L.trust, L.communication, L.volume, L.revenue, L.margin, L.n_orders, L.investment, L.switching_cost,
        L.outcome, L.expectation, L.satisfaction, L.low_sat, L.forecast, L.perceived, L.shared_values,
        L.trust_calculus, L.trust_knowledge, L.trust_identification, L.commitment, L.preference, L.level,
        now.demand, expected_next, fp, ex.n, plan_on, sharing, bool(policy.database),
        bool(policy.survey and t % p["survey_every"] == 0), bool(p["excessive_trust"]))
    hhi = np.full(ex.n, np.nan)  # trade._hhi
    np.divide(rev2_e, revenue_e * revenue_e, out=hhi, where=revenue_e > 0)
    now.update(opportunistic_acts=int(acts[0]), detected_acts=int(acts[1]), value_received=received,
               orders_e=orders_e,
               delivered_e=delivered_e, revenue_e=revenue_e, margin_e=margin_e, revenue_hhi=hhi)
    if plan_on:
        now.forecast_abs_error = float(np.add.reduce(err))  # as err.sum()
        now.forecast_actual = float(np.add.reduce(now.order))
        now.forecast_e = forecast_e


@_njit
def _plan_exporters(stock, delivered, orders, forecast, capacity, active, margin, spend, revenue, revenue_total,
                    profit_total, profit_smooth, neg_ticks, holding_cost, stockout_cost, safety_stock):
    """trade.plan's inventory and profit per exporter (in place: stock, totals, smoothed profit, streak)."""
    E = stock.size
    holding, stockout, profit = np.empty(E), np.empty(E), np.empty(E)
    grow = 1 + safety_stock
    for j in range(E):
        left = max(stock[j] - delivered[j], 0.0)
        holding[j] = holding_cost * left
        stockout[j] = stockout_cost * (orders[j] - delivered[j])
        target = grow * forecast[j]
        stock[j] = left + min(max(target - left, 0.0), capacity[j]) if active[j] else 0.0
        pr = ((margin[j] - holding[j]) - stockout[j]) - spend[j]
        pr = pr if active[j] else 0.0
        profit[j] = pr
        revenue_total[j] += revenue[j]
        profit_total[j] += pr
        ps = 0.9 * profit_smooth[j] + 0.1 * pr
        profit_smooth[j] = ps
        neg_ticks[j] = neg_ticks[j] + 1 if ps < 0 else 0
    return holding, stockout, profit


def invest(model) -> None:
    """Done by ``fulfil``'s pass."""


def judge(model, t: int) -> None:
    """Done by ``fulfil``'s pass."""


def plan_forecasts(model, t: int):
    """Per-exporter sum of the forecasts ``fulfil``'s pass set (exponential smoothing), or None: numpy forecasts."""
    return model.now.__dict__.pop("forecast_e", None)


# ---------------------------------------------------------------------------------------------
# talk (communication.talk, dynamics.communication)
# ---------------------------------------------------------------------------------------------
@_njit
def _talk_rows(stage, exporter, buyer, active, comm, n_exporters, n_buyers, cap):
    """Clear ``comm``; live rows (of active exporters), the trading rows among them and their exporters,
    prospects per exporter; and for ``try_out`` (no stage changes in between), the prospects' rows and per
    buyer its trading, committed and aware rows (one sweep of the ledger serves both phases)."""
    n = stage.size
    n_prospects = np.zeros(n_exporters, np.int64)
    n_trading = np.zeros(n_buyers, np.int64)
    n_committed = np.zeros(n_buyers, np.int64)
    n_aware = np.zeros(n_buyers, np.int64)
    # live and trading rows are most rows: their lists get room for all; prospects are fewer: ``cap``
    # (a write past the end lands on the last slot; if they were more, they are listed again)
    live = np.empty(n + 1, np.int32)
    tr = np.empty(n + 1, np.int32)
    te = np.empty(n + 1, exporter.dtype)
    aw = np.empty(cap, np.int32)
    last = cap - 1
    nl = nt = na = 0
    # a buyer's counts are kept in registers while its rows follow each other (rows are in buyer order
    # but for those added since the last sort) and added to the arrays when the buyer changes
    cb = U(buyer[0]) if n else U(0)
    ca = ct = cc = 0
    for i in range(n):
        comm[i] = 0.0
        st = stage[i]
        ex = exporter[i]
        e, b = U(ex), U(buyer[i])
        is_live = (st != DISSOLVED) & active[e]
        is_prospect = is_live & (st == AWARENESS)
        live[nl] = i  # appended to without branches: stages alternate at random along the rows
        nl += is_live
        tr[nt] = i
        te[nt] = ex
        nt += is_live & (st != AWARENESS)
        aw[min(na, last)] = i
        na += is_prospect
        n_prospects[e] += is_prospect
        if b != cb:
            n_aware[cb] += ca
            n_trading[cb] += ct
            n_committed[cb] += cc
            cb, ca, ct, cc = b, 0, 0, 0
        ca += is_prospect
        ct += (st != AWARENESS) & (st != DISSOLVED)
        cc += st == COMMITMENT
    if n:
        n_aware[cb] += ca
        n_trading[cb] += ct
        n_committed[cb] += cc
    if na > last:
        aw = np.empty(na, np.int32)
        k = 0
        for i in range(n):
            if (stage[i] == AWARENESS) & active[U(exporter[i])]:
                aw[k] = i
                k += 1
    return live[:nl], tr[:nt], n_prospects, te[:nt], (aw[:na], n_trading, n_committed, n_aware)


@_njit
def _talk_budget(live, stage, exporter, te, w, n_prospects, budget, acq_share, n_exporters, efficiency, active,
                 contact_cost):
    """Each live row's contact budget, returned as the exponent ``-efficiency * budget`` of
    dynamics.communication (numpy exponentiates it, _communication_rows finishes the equation),
    and each exporter's contact spend."""
    total_w = np.zeros(n_exporters)
    for k in range(w.size):  # group_sum(te, w): trading rows in row order
        total_w[U(te[k])] += w[k]
    acq, ret = np.empty(n_exporters), np.empty(n_exporters)
    acq_each = np.empty(n_exporters)  # each prospect's share of its exporter's acquisition budget
    spend = np.empty(n_exporters)
    for j in range(n_exporters):
        acq[j] = budget[j] * acq_share
        ret[j] = budget[j] * (1.0 - acq_share)
        acq_each[j] = acq[j] / max(n_prospects[j], 1)
        spent = (acq[j] if n_prospects[j] > 0 else 0.0) + (ret[j] if total_w[j] > 0 else 0.0)
        spend[j] = (spent * np.float64(active[j])) * contact_cost
    x = np.empty(live.size)
    neg = -efficiency
    k = 0
    for j in range(live.size):
        i = U(live[j])
        e = U(exporter[i])
        if stage[i] == AWARENESS:
            x[j] = neg * acq_each[e]
        else:
            tw = total_w[e]
            x[j] = neg * (ret[e] * w[k] / max(tw, 1e-300) if tw > 0 else 0.0)
            k += 1
    return x, spend


@_njit
def _communication_rows(rows, ez, col):
    """col[rows] = 1 - ez (dynamics.communication with ez = exp(-efficiency * budget)), rounded to float32."""
    for k in range(rows.size):
        col[U(rows[k])] = F32(1.0 - ez[k])


def talk(model, t: int) -> None:
    """communication.talk with the row selection and the budget split compiled."""
    from .communication import priorities

    p, L, ex = model.p, model.ledger, model.exporters
    E = ex.n
    live, tr, n_prospects, te, model.now.try_out_counts = _talk_rows(
        L.stage, L.exporter, L.buyer, ex.active, L.communication, E, model.buyers.n, L.n // PROSPECTS + SHORT_SLACK)
    w = priorities(model, tr, te, t)
    x, model.now.contact_spend = _talk_budget(live, L.stage, L.exporter, te, w, n_prospects, ex.budget,
                                              float(p["acquisition_share"]), E, float(model.channel_efficiency),
                                              ex.active, float(p["contact_cost"]))
    _communication_rows(live, np.exp(x, out=x), L.communication)


# ---------------------------------------------------------------------------------------------
# try_out (lifecycle.try_out)
# ---------------------------------------------------------------------------------------------
@_njit
def _try_out_pick(aw, exporter, buyer, u, wanted, n_trading, n_committed, n_aware, quality, expected_value,
                  price_sens, rel_price, comm, trial_rate):
    out = np.empty(aw.size + 1, np.int32)
    m = 0
    for k in range(aw.size):
        i = U(aw[k])
        b, e = U(buyer[i]), U(exporter[i])
        gap = max(np.int64(wanted[b]) - n_trading[b], 0)
        need = min(1.0, gap / max(n_aware[b], 1)) * (0.1 if n_committed[b] > 0 else 1.0)
        appeal = 0.5 + quality[e] - expected_value - np.float64(price_sens[b]) * (rel_price[e] - 1.0)
        appeal = min(max(appeal, 0.1), 1.0)
        prob = trial_rate * need * appeal * np.float64(F32(0.5) + comm[i])
        out[m] = i
        m += u[k] < prob
    return out[:m]


def try_out(model, t: int) -> None:
    """lifecycle.try_out: the trial orders of aware buyers in need, compiled.

    Reads the counts ``talk``'s sweep left in ``model.now`` (the phase before it in a tick) and leaves the
    trading rows per buyer for ``fulfil``."""
    from .awareness import start_trading

    p, L, by, ex = model.p, model.ledger, model.buyers, model.exporters
    aw, n_trading, n_committed, n_aware = model.now.try_out_counts  # talk's sweep counted them (no stage changed since)
    u = model.streams["trial"].random(aw.size)
    if aw.size:
        rows = _try_out_pick(aw, L.exporter, L.buyer, u, by.wanted, n_trading, n_committed, n_aware, ex.quality,
                             float(model.expected_value), by.price_sensitivity, model.relative_price,
                             L.communication, float(p["trial_rate"]))
        start_trading(model, rows, t)
        _count_into(rows, L.buyer, n_trading)
    model.now.trading_per_buyer = n_trading  # for fulfil's switching costs: no stage changes before it


@_njit
def _count_into(rows, group, counts):
    for k in range(rows.size):
        counts[U(group[U(rows[k])])] += 1


# ---------------------------------------------------------------------------------------------
# advance: stage moves and dissolution causes of trading rows (lifecycle.advance)
# ---------------------------------------------------------------------------------------------
@_njit
def _start_trading(rows, buyer, stage, peak, since, tc, tk, ti, trust, outcome, expectation, satisfaction,
                   perceived, level, forecast, size, wanted, t, calculus_trust, prior):
    """awareness.start_trading's writes (no order history): exploration, initial trust and expectations,
    and a first forecast of size / suppliers wanted (float32 / int16 computes in float32, as in numpy)."""
    f_calc, f_prior = F32(calculus_trust), F32(prior)
    for k in range(rows.size):
        i = U(rows[k])
        b = U(buyer[i])
        stage[i] = EXPLORATION
        peak[i] = EXPLORATION
        since[i] = t
        tc[i] = f_calc
        tk[i] = 0.0
        ti[i] = 0.0
        trust[i] = f_calc
        outcome[i] = f_prior
        expectation[i] = f_prior
        satisfaction[i] = 0.0
        perceived[i] = 0.0
        guess = F32(size[b]) / F32(wanted[b])
        level[i] = guess
        forecast[i] = guess


@_njit
def _trading_rows(stage):
    n = stage.size
    out = np.empty(n + 1, np.int32)
    m = 0
    for i in range(n):
        st = stage[i]
        out[m] = i
        m += (st > AWARENESS) & (st < DISSOLVED)  # no branch: stages alternate at random along the rows
    return out[:m]


@_njit
def _stage_moves(tr, stage, trust, commitment, n_orders, low_sat, u_review, review_rate, buyer,
                 expansion_trust, commitment_threshold, fall_back, min_trials, breakdown_trust, patience,
                 dissolution, cap):
    """lifecycle.advance's rules for the trading rows ``tr``, in one pass: the rows that move up (trust
    built, committed) or down (commitment decay), the rows that end (trust breakdown, then dissatisfaction;
    an ending overrides a move), and the positions in ``tr`` of rows that end no other way and whose buyer
    reviews its suppliers (candidates for a better alternative). Lists are ascending.

    The lists are appended to without branches into buffers of ``cap`` rows (they are short, so ``cap`` is
    a fraction of the rows; a write past the end lands on the last slot): if a list outgrew its buffer the
    result is None, for the caller to run the pass again with ``cap`` above the number of rows."""
    n = tr.size
    up1, up2, down = np.empty(cap, np.int32), np.empty(cap, np.int32), np.empty(cap, np.int32)
    broken_l, unhappy_l, review = np.empty(cap, np.int32), np.empty(cap, np.int32), np.empty(cap, np.int64)
    n1 = n2 = n3 = nb = nu = nr = 0
    last = cap - 1
    f_exp, f_thr, f_fall, f_break = F32(expansion_trust), F32(commitment_threshold), F32(fall_back), F32(breakdown_trust)
    for k in range(n):
        i = tr[k]
        r = U(i)
        st, tru, c = stage[r], trust[r], commitment[r]
        broken = dissolution & (tru < f_break)
        unhappy = dissolution & (~broken) & (low_sat[r] >= patience)
        stays = ~(broken | unhappy)
        up1[min(n1, last)], up2[min(n2, last)], down[min(n3, last)] = i, i, i
        broken_l[min(nb, last)], unhappy_l[min(nu, last)], review[min(nr, last)] = i, i, k
        n1 += stays & (st == EXPLORATION) & (tru >= f_exp) & (n_orders[r] >= min_trials)
        n2 += stays & (st == EXPANSION) & (c >= f_thr) & (tru >= f_exp)
        n3 += stays & (st == COMMITMENT) & (c < f_fall)
        nb += broken
        nu += unhappy
        nr += dissolution & stays & (st < COMMITMENT) & (u_review[k] < review_rate[U(buyer[r])])
    if max(max(n1, n2, n3), max(nb, nu, nr)) >= cap:
        return None
    return up1[:n1].copy(), up2[:n2].copy(), down[:n3].copy(), broken_l[:nb].copy(), unhappy_l[:nu].copy(), \
        review[:nr].copy()


@_njit
def _better_alternative_k(tr, review, stage, buyer, exporter, trust, commitment, switching, quality, rel_price,
                          price_sens, active, calculus_trust, switch_margin, n_buyers, cap):
    """lifecycle._better_alternative: for the reviewing rows ``tr[review]``, whether another supplier the
    buyer knows beats this one by more than the switching cost."""
    looking = np.zeros(n_buyers, np.bool_)
    for j in range(review.size):
        looking[U(buyer[U(tr[U(review[j])])])] = True
    f_calc, f_margin = F32(calculus_trust), F32(switch_margin)
    n = stage.size
    rows = np.empty(cap, np.int32)  # live rows of the buyers who look around (a few percent)
    last = cap - 1
    m = 0
    for i in range(n):
        rows[min(m, last)] = i  # a write past the end lands on the last slot: see below
        m += (stage[i] != DISSOLVED) & looking[U(buyer[i])]
    if m >= cap:
        return None  # the buffer was too short: the caller runs the pass again with room for every row
    a_rows = np.empty(m)
    m1 = np.full(n_buyers, -np.inf)
    for k in range(m):  # largest attractiveness per looking buyer (grouped.group_second_max)
        i = U(rows[k])
        a = _attract_row(i, stage, buyer, exporter, trust, commitment, quality, rel_price, price_sens, active, f_calc)
        a_rows[k] = a
        b = U(buyer[i])
        m1[b] = max(m1[b], a)
    n_best = np.zeros(n_buyers, np.int64)
    m2 = np.full(n_buyers, -np.inf)
    for k in range(m):
        b = U(buyer[U(rows[k])])
        a = a_rows[k]
        if a == m1[b]:
            n_best[b] += 1
        elif a > m2[b]:
            m2[b] = a
    out = np.zeros(review.size, np.bool_)
    for j in range(review.size):
        i = U(tr[U(review[j])])
        b = U(buyer[i])
        a = _attract_row(i, stage, buyer, exporter, trust, commitment, quality, rel_price, price_sens, active, f_calc)
        other = m2[b] if (a == m1[b] and n_best[b] < 2) else m1[b]
        out[j] = (other - a) > np.float64(switching[i] + f_margin)
    return out


@_njit_inline
def _attract_row(i, stage, buyer, exporter, trust, commitment, quality, rel_price, price_sens, active, f_calc):
    """dynamics.attractiveness of row i; exporters only known of are judged on calculus trust; -inf if inactive."""
    e, b = U(exporter[i]), U(buyer[i])
    if not active[e]:
        return -np.inf
    tr_ = f_calc if stage[i] == AWARENESS else trust[i]
    return quality[e] - np.float64(price_sens[b]) * (rel_price[e] - 1.0) + np.float64(tr_) + np.float64(commitment[i])


def better_alternative(model, tr: np.ndarray, review: np.ndarray) -> np.ndarray:
    """For the reviewing rows ``tr[review]``: does the buyer know a better supplier, net of switching cost?"""
    p, L, ex, by = model.p, model.ledger, model.exporters, model.buyers
    args = (tr, review, L.stage, L.buyer, L.exporter, L.trust, L.commitment, L.switching_cost, ex.quality,
            model.relative_price, by.price_sensitivity, ex.active, float(p["calculus_trust"]),
            float(p["switch_margin"]), by.n)
    out = _better_alternative_k(*args, L.n // SHORT_LISTS + SHORT_SLACK)  # the looking buyers' rows: a few percent
    return out if out is not None else _better_alternative_k(*args, L.n + 1)


@_njit
def _drop_sorted(rows, drop):
    """``rows`` without the values in ``drop`` (both ascending)."""
    out = np.empty(rows.size, rows.dtype)
    m = j = 0
    for k in range(rows.size):
        r = rows[k]
        while j < drop.size and drop[j] < r:
            j += 1
        out[m] = r
        m += not (j < drop.size and drop[j] == r)
    return out[:m]


def stage_moves(model, tr: np.ndarray, u_review: np.ndarray):
    """lifecycle.advance for trading rows ``tr``: [(cause code, rows)] to dissolve, then rows moving up1, up2, down."""
    p, L, by = model.p, model.ledger, model.buyers
    args = (tr, L.stage, L.trust, L.commitment, L.n_orders, L.low_sat, u_review, by.review_rate, L.buyer,
            float(p["expansion_trust"]), float(p["commitment_threshold"]),
            float(p["commitment_threshold"] - p["hysteresis"]), int(p["min_trials"]), float(p["breakdown_trust"]),
            int(p["patience"]), bool(p["dissolution"]))
    # the lists are short: buffers of a tenth of the rows, all the rows if that was not enough
    out = _stage_moves(*args, tr.size // SHORT_LISTS + SHORT_SLACK)
    if out is None:
        out = _stage_moves(*args, tr.size + 1)
    up1, up2, down, broken, unhappy, review = out
    better = tr[review[better_alternative(model, tr, review)]] if review.size else review[:0]
    if better.size:  # rows leaving for a better supplier make no stage move
        up1, up2, down = _drop_sorted(up1, better), _drop_sorted(up2, better), _drop_sorted(down, better)
    endings = sorted((CAUSES.index(c), rows) for c, rows in
                     (("trust_breakdown", broken), ("dissatisfaction", unhappy), ("better_alternative", better)))
    return [(c, rows) for c, rows in endings if rows.size], up1, up2, down


@_njit
def _move_stage(rows, stage, since, peak, to, t):
    """lifecycle.move: stage, since and peak of ``rows``; returns their stages before the move."""
    frm = np.empty(rows.size, np.int8)
    for k in range(rows.size):
        i = rows[k]
        frm[k] = stage[i]
        stage[i] = to
        since[i] = t
        if peak[i] < to:
            peak[i] = to
    return frm


@_njit
def _dissolve_rows(rows, stage, since, ended, cause, comm, order, t, code):
    """lifecycle.dissolve: returns the stages before and how many rows were trading."""
    frm = np.empty(rows.size, np.int8)
    n_trading = 0
    for k in range(rows.size):
        i = rows[k]
        frm[k] = stage[i]
        if stage[i] > AWARENESS:
            n_trading += 1
        stage[i] = DISSOLVED
        since[i] = t
        ended[i] = t
        cause[i] = code
        comm[i] = 0.0
        order[i] = 0.0
    return frm, n_trading


@_njit
def _lapsed_k(stage, since, t, lapse, cap):
    """Awareness rows met ``lapse`` or more ticks ago; None if more than ``cap`` (see SHORT_LISTS)."""
    n = stage.size
    out = np.empty(cap, np.int32)
    last = cap - 1
    m = 0
    for i in range(n):
        out[min(m, last)] = i
        m += (stage[i] == AWARENESS) & (np.int32(t) - since[i] >= lapse)
    return out[:m].copy() if m < cap else None


def _lapsed(stage, since, t, lapse):
    out = _lapsed_k(stage, since, t, lapse, stage.size // SHORT_LISTS + SHORT_SLACK)
    return out if out is not None else _lapsed_k(stage, since, t, lapse, stage.size + 1)


# ---------------------------------------------------------------------------------------------
# meet and record: grouped counts and sums
# ---------------------------------------------------------------------------------------------
@_njit
def _meet_rows(stage, buyer, wanted, u, matching_rate):
    """awareness.meet's sweep: the buyers matched (fewer live relationships than wanted and ``u`` below the
    matching rate, ascending) and the committed rows (who may refer)."""
    n_buyers = wanted.size
    known = np.zeros(n_buyers, np.int64)
    n = stage.size
    committed = np.empty(n + 1, np.int32)
    m = 0
    cb = U(buyer[0]) if n else U(0)
    ck = 0
    for i in range(n):  # a buyer's count kept in a register while its rows follow each other
        st = stage[i]
        b = U(buyer[i])
        if b != cb:
            known[cb] += ck
            cb, ck = b, 0
        ck += st != DISSOLVED
        committed[m] = i
        m += st == COMMITMENT
    if n:
        known[cb] += ck
    matched = np.empty(n_buyers + 1, np.int64)
    k = 0
    for b in range(n_buyers):
        matched[k] = b
        k += (known[b] < wanted[b]) & (u[b] < matching_rate)
    return matched[:k], committed[:m]


@_njit
def _referrers(committed, u, referral_rate, exporter):
    """Exporters of the committed rows whose ``u`` is below the referral rate, in row order."""
    out = np.empty(committed.size + 1, exporter.dtype)
    m = 0
    for k in range(committed.size):
        out[m] = exporter[U(committed[k])]
        m += u[k] < referral_rate
    return out[:m]


@_njit
def _loyalty_ratios(tr, buyer, x, n_buyers):
    """records.loyalty: sum_j x^2 / (sum_j x)^2 of each buyer with sum_j x > 0, in buyer order
    (sums added in row order, as group_sum's bincount does)."""
    s1 = np.zeros(n_buyers)
    s2 = np.zeros(n_buyers)
    for k in range(tr.size):
        b = U(buyer[U(tr[k])])
        v = np.float64(x[k])
        s1[b] += v
        s2[b] += v * v
    out = np.empty(n_buyers + 1)
    m = 0
    for b in range(n_buyers):
        out[m] = s2[b] / (s1[b] * s1[b])
        m += s1[b] > 0
    return out[:m]


@_njit
def _record_rows(stage, trust, commitment, satisfaction):
    """Stage counts, and the trust, commitment and satisfaction of the trading rows (for numpy's means)."""
    n = stage.size
    t_ = np.empty(n + 1, np.float32)
    c_ = np.empty(n + 1, np.float32)
    s_ = np.empty(n + 1, np.float32)
    m = 0
    n0 = n2 = n3 = n4 = 0
    for i in range(n):  # counts in registers (no store-to-load chain through a counts array)
        st = stage[i]
        n0 += st == AWARENESS
        n2 += st == EXPANSION
        n3 += st == COMMITMENT
        n4 += st == DISSOLVED
        t_[m], c_[m], s_[m] = trust[i], commitment[i], satisfaction[i]
        m += (st > AWARENESS) & (st < DISSOLVED)
    counts = np.array([n0, m - n2 - n3, n2, n3, n4], np.int64)
    return counts, t_[:m], c_[:m], s_[:m]


@_njit
def _append_rows(id_, exporter_col, buyer_col, stage, born, since, ended, start, first_id, exporter, buyer, tick):
    """Ledger._append's writes: new awareness rows from ``start`` on, ids from ``first_id`` on."""
    for k in range(exporter.size):
        i = U(start + k)
        id_[i] = first_id + k
        exporter_col[i] = exporter[k]
        buyer_col[i] = buyer[k]
        stage[i] = AWARENESS
        born[i] = tick
        since[i] = tick
        ended[i] = -1


@_njit
def _gallop(sorted_keys, key, lo):
    """First position >= lo whose key is >= ``key`` (``sorted_keys[lo - 1] < key``): exponential then binary
    search, so that a walk over needles in key order costs O(log gap) per needle."""
    n = sorted_keys.size
    step = 1
    hi = lo
    while hi < n and sorted_keys[U(hi)] < key:
        lo = hi + 1
        hi = lo + step
        step *= 2
    hi = min(hi, n)
    while lo < hi:
        mid = (lo + hi) // 2
        if sorted_keys[U(mid)] < key:
            lo = mid + 1
        else:
            hi = mid
    return lo


@_njit
def _admit(keys, order, index_keys, index_rows, stage, ended, cool_keys, cool_ended, tick, cooldown):
    """Ledger.admit: walk the candidates in key order (``order``, stable); keep the first of each pair unless
    its current row is live or ended less than ``cooldown`` ago, or it is cooling down (Ledger.blocked).
    Returns the kept positions (ascending), for each the pair-index position of its old row (-1 if none),
    and the keys of kept pairs new to the index (ascending) with their ranks among the kept."""
    n = keys.size
    keep = np.zeros(n, np.bool_)
    hit_at = np.full(n, -1, np.int64)
    new_k = np.empty(n, np.int64)  # original positions of kept candidates new to the index, in key order
    n_new = 0
    j = 0
    c = 0
    prev = np.int64(0)
    for idx in range(n):
        k = U(order[idx])
        key = keys[k]
        if idx > 0 and key == prev:
            continue  # not the first candidate of this pair
        prev = key
        j = _gallop(index_keys, key, j)
        blocked = False
        found = j < index_keys.size and index_keys[U(j)] == key
        if found:
            r = U(index_rows[U(j)])
            blocked = stage[r] != DISSOLVED or np.int64(tick) - np.int64(ended[r]) < cooldown
        c = _gallop(cool_keys, key, c)
        if c < cool_keys.size and cool_keys[U(c)] == key and np.int64(tick) - np.int64(cool_ended[U(c)]) < cooldown:
            blocked = True
        if not blocked:
            keep[k] = True
            if found:
                hit_at[k] = j
            else:
                new_k[n_new] = k
                n_new += 1
    rank = np.empty(n, np.int64)
    m = 0
    for k in range(n):
        rank[k] = m
        m += keep[k]
    pos = np.empty(m, np.int64)
    hit = np.empty(m, np.int64)
    m = 0
    for k in range(n):
        if keep[k]:
            pos[m] = k
            hit[m] = hit_at[k]
            m += 1
    new_keys = np.empty(n_new, np.int64)
    new_rank = np.empty(n_new, np.int64)
    for q in range(n_new):
        k = U(new_k[q])
        new_keys[q] = keys[k]
        new_rank[q] = rank[k]
    return pos, hit, new_keys, new_rank


@_njit
def _merge_keys(index_keys, index_rows, hit, rows, new_keys, new_rows):
    """The pair index after admitting ``rows``: keys already there (``hit`` >= 0) point at their new row,
    new keys (ascending) are merged in. Returns fresh arrays (as np.insert does)."""
    for q in range(hit.size):
        if hit[q] >= 0:
            index_rows[U(hit[q])] = rows[q]
    n, m = index_keys.size, new_keys.size
    keys_out = np.empty(n + m, np.int64)
    rows_out = np.empty(n + m, index_rows.dtype)
    i = j = 0
    for o in range(n + m):
        if j >= m or (i < n and index_keys[U(i)] < new_keys[U(j)]):
            keys_out[o] = index_keys[U(i)]
            rows_out[o] = index_rows[U(i)]
            i += 1
        else:
            keys_out[o] = new_keys[U(j)]
            rows_out[o] = new_rows[U(j)]
            j += 1
    return keys_out, rows_out


@_njit
def _new_rows(keep, buyer, n_buyers, by_buyer):
    """Where each row goes when the rows not kept are dropped (-1) and, with ``by_buyer``, the rest put in
    buyer order (a stable counting sort); and the old row of each new row."""
    n = keep.size
    new_row = np.full(n, -1, np.int32)
    m = 0
    for i in range(n):
        m += keep[i]
    order = np.empty(m, np.int32)
    if by_buyer:
        start = np.zeros(n_buyers + 1, np.int64)
        for i in range(n):
            start[U(buyer[i]) + 1] += keep[i]
        for b in range(n_buyers):
            start[b + 1] += start[b]
        for i in range(n):
            if keep[i]:
                b = U(buyer[i])
                j = start[b]
                start[b] = j + 1
                new_row[i] = j
                order[U(j)] = i
    else:
        j = 0
        for i in range(n):
            if keep[i]:
                new_row[i] = j
                order[j] = i
                j += 1
    return new_row, order


@_njit
def _compact_index(keys, key_rows, new_row, ended, cool_keys, cool_ended, tick, cooldown):
    """Ledger.compact's index work in one walk: entries of kept rows (``new_row`` >= 0) stay (in place,
    renumbered to ``new_row``); entries of
    dropped rows go, in key order, into the cooling index, merged with its entries (latest dissolution per
    pair) and pruned to those still cooling. Returns the kept entries' count and the new cooling index.

    A dissolved row the index no longer points at belongs to a pair that met again after cooling down, so
    its dissolution cools no longer: the cooling index comes out as Ledger.compact's numpy path builds it.
    """
    n_gone = 0
    for i in range(new_row.size):
        n_gone += new_row[i] < 0
    gone_keys = np.empty(n_gone, np.int64)  # each dropped row has at most one index entry
    gone_ended = np.empty(n_gone, np.int32)
    m = g = 0
    for k in range(keys.size):
        r = U(key_rows[k])
        if new_row[r] >= 0:
            keys[m] = keys[k]
            key_rows[m] = new_row[r]
            m += 1
        else:
            gone_keys[g] = keys[k]
            gone_ended[g] = ended[r]
            g += 1
    n_old = cool_keys.size
    out_keys = np.empty(n_old + g, np.int64)
    out_ended = np.empty(n_old + g, np.int32)
    a = b = o = 0
    while a < n_old or b < g:
        if b >= g or (a < n_old and cool_keys[U(a)] < gone_keys[U(b)]):
            key, end = cool_keys[U(a)], cool_ended[U(a)]
            a += 1
        elif a >= n_old or gone_keys[U(b)] < cool_keys[U(a)]:
            key, end = gone_keys[U(b)], gone_ended[U(b)]
            b += 1
        else:  # the pair in both: its latest dissolution
            key, end = cool_keys[U(a)], max(cool_ended[U(a)], gone_ended[U(b)])
            a += 1
            b += 1
        out_keys[o], out_ended[o] = key, end
        o += np.int64(tick) - np.int64(end) < cooldown
    return m, out_keys[:o], out_ended[:o]


@_njit
def _take(col, order, buf, n):
    """col[:order.size] = col[order] through ``buf``; rows order.size..n cleared."""
    m = order.size
    for j in range(m):
        buf[j] = col[U(order[j])]
    for j in range(m):
        col[j] = buf[j]
    for j in range(m, n):
        col[j] = 0


@_njit
def _move_rows(col, kept, n):
    """col[:kept.size] = col[kept] in place (kept ascending: no row is overwritten before it is read); zero rows kept.size..n."""
    for j in range(kept.size):
        col[j] = col[U(kept[j])]
    for j in range(kept.size, n):
        col[j] = 0


def warm_up() -> float:
    """Compile (or load from numba's cache) every kernel on a tiny market; seconds it took."""
    if not AVAILABLE:
        return 0.0
    from .model import MarketModel

    global ENABLED
    saved, ENABLED = ENABLED, True
    t0 = time.perf_counter()
    try:
        # 11 ticks: every phase, stage moves, dissolutions and a compaction (tick 10) run at least once
        for kw in (dict(), dict(excessive_trust=True, policy="customer_database", information_sharing=False)):
            MarketModel(rng=0, n_exporters=3, n_buyers=40, initial_relationships=2.0, **kw).run_for(11)
    finally:
        ENABLED = saved
    return time.perf_counter() - t0


__all__ = ["AVAILABLE", "ENABLED", "engine", "warm_up", "dynamics"]
