"""Trade: buyers' demand, their orders, delivery, and what both sides make of it.

Phases (ODD §3): ``draw_demand``; ``place_orders`` (logit split of demand over suppliers, or the
Weisbuch-Kirman-Herreiner rule: one supplier per tick by logit on J); ``fulfil`` (delivery from
stock, rationed by one fill rate per exporter, opportunistic acts and their detection; then, row by
row in phase order, ``invest``, ``judge`` and the forecasts of ``plan``); ``plan`` (stock for next
tick, inventory costs and profit per exporter). The equations are in ``sim.dynamics``; the kernels
here only visit rows and store results.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import draws
from . import dynamics as eq
from .jit import kernel
from .sums import grid, on_grid, total
from .threads import run_chunks
from .vocab import COMMITMENT, EXPANSION, EXPONENTIAL_SMOOTHING, LOGIT, MOVING_AVERAGE, SEASONAL_INDEX

F32 = np.float32
#: indices are cast to unsigned before indexing: numba then skips the wrap-around test of negative indices
U = np.uintp


#: expected demand when no buyer shares it (read-only, like ``MarketModel.expected_demand``'s: one compiled type)
_NO_SHARING = np.zeros(1)
_NO_SHARING.flags.writeable = False


class Orders(NamedTuple):
    """What ``place_orders`` leaves: the trading rows, the units each ordered (float64, in row order) and the
    trading rows per buyer."""

    rows: np.ndarray
    order: np.ndarray
    n_trading: np.ndarray


class Deliveries(NamedTuple):
    """What ``fulfil`` leaves: per-exporter totals of the tick, opportunism counts, the buyers' received
    values, and the forecasts of next tick (their per-exporter sums, last tick's error)."""

    orders_e: np.ndarray
    delivered_e: np.ndarray
    revenue_e: np.ndarray
    margin_e: np.ndarray
    revenue_hhi: np.ndarray
    opportunistic_acts: int
    detected_acts: int
    value_received: float  # the mean value received by the buyers who ordered (NaN if none did)
    forecast_e: np.ndarray
    forecast_abs_error: float
    forecast_actual: float


class Accounts(NamedTuple):
    """What ``plan`` books per exporter: holding cost, stock-out cost, profit."""

    holding: np.ndarray
    stockout: np.ndarray
    profit: np.ndarray


# ---------------------------------------------------------------------------------------------
# demand
# ---------------------------------------------------------------------------------------------
@kernel
def _expected_demand(size, phase, t, P):
    out = np.empty(size.size)
    for b in range(size.size):
        out[b] = eq.expected_demand(np.float64(size[b]), np.float64(phase[b]), t, P)
    return out


@kernel
def _demand(expected, key, P):
    out = np.empty(expected.size)
    for b in range(expected.size):
        eps = draws.normal(draws.uniform(key, b, 0), draws.uniform(key, b, 1))
        out[b] = eq.demand(expected[b], eps, P)
    return out


def expected_demand(model, t: int) -> np.ndarray:
    """Every buyer's expected demand at tick ``t`` (dynamics.expected_demand)."""
    return _expected_demand(model.buyers.size, model.buyers.phase, t, model.P)


def draw_demand(model, t: int) -> np.ndarray:
    """This tick's demand of every buyer (dynamics.demand)."""
    return _demand(model.expected_demand(t), model.stream_key(draws.DEMAND, t), model.P)


# ---------------------------------------------------------------------------------------------
# orders
# ---------------------------------------------------------------------------------------------
@kernel
def _logit_exponents(lo, hi, tr, buyer, exporter, quality, rel_price, price_sens, trust, commitment, P, x):
    """Rows ``tr[lo:hi]``: each row's utility (dynamics.logit_utility of dynamics.attractiveness) and each
    buyer's largest."""
    top = np.full(price_sens.size, -np.inf)
    for k in range(lo, hi):
        i = U(tr[k])
        b, e = U(buyer[i]), U(exporter[i])
        v = eq.logit_utility(eq.attractiveness(quality[e], rel_price[e], np.float64(price_sens[b]),
                                               np.float64(trust[i]), np.float64(commitment[i])), P)
        x[k] = v
        top[b] = max(top[b], v)
    return top


@kernel
def _logit_weights(lo, hi, tr, buyer, top, q, x):
    """Rows ``tr[lo:hi]``: weights ``exp(x - max)``, at most 1, on the grid ``q``; each buyer's total."""
    total = np.zeros(top.size)
    for k in range(lo, hi):
        b = U(buyer[U(tr[k])])
        x[k] = on_grid(eq.logit_weight(x[k], top[b]), q)
        total[b] += x[k]
    return total


@kernel
def _logit_split(lo, hi, tr, buyer, demand, total, x, order_col):
    """Rows ``tr[lo:hi]``: ``order = D_b w / sum_b w`` (in ``x``, and the ledger's float32 column)."""
    for k in range(lo, hi):
        i = U(tr[k])
        b = U(buyer[i])
        o = eq.logit_order(demand[b], x[k], total[b])
        x[k] = o
        order_col[i] = F32(o)
    return 0


def _logit_orders(tr, buyer, exporter, quality, rel_price, price_sens, trust, commitment, demand, order_col, P, q):
    """order = D_b exp(beta A) / sum_g exp(beta A_g) over the buyer's trading rows (dynamics.attractiveness);
    the weights ``exp(beta A - max)``, at most 1, are added on the grid ``q`` (sim.sums: order-free)."""
    x = np.empty(tr.size)
    top = np.maximum.reduce(run_chunks(_logit_exponents, tr.size, tr, buyer, exporter, quality, rel_price, price_sens,
                                       trust, commitment, P, x))
    total = np.add.reduce(run_chunks(_logit_weights, tr.size, tr, buyer, top, q, x))
    run_chunks(_logit_split, tr.size, tr, buyer, demand, total, x, order_col)
    return x


@kernel
def _reinforcement_orders(tr, buyer, exporter, born, ids, preference, key, demand, order_col, P, n_buyers):
    """One supplier per buyer, drawn with probability softmax(beta J) by the Gumbel-max trick: the row with the
    largest ``beta J + g`` gets the whole demand (g: the relationship's Gumbel draw; the oldest relationship
    on a tie)."""
    n = tr.size
    best = np.full(n_buyers, -np.inf)
    at = np.full(n_buyers, -1, np.int64)
    for k in range(n):
        i = U(tr[k])
        b = U(buyer[i])
        g = draws.gumbel(draws.uniform(key, draws.relationship_subject(exporter[i], buyer[i], born[i], n_buyers), 0))
        v = eq.reinforcement_key(np.float64(preference[i]), g, P)
        if v > best[b] or (v == best[b] and at[b] >= 0 and ids[i] < ids[U(tr[U(at[b])])]):
            best[b] = v
            at[b] = k
    out = np.zeros(n)
    for k in range(n):
        i = U(tr[k])
        b = U(buyer[i])
        o = demand[b] if at[b] == k else 0.0
        out[k] = o
        order_col[i] = F32(o)
    return out


def place_orders(model, t: int, demand: np.ndarray, rows: np.ndarray, n_trading: np.ndarray) -> Orders:
    """Every trading row's order this tick, by the choice rule (also written to the ledger's ``order``);
    ``n_trading``: trading rows per buyer."""
    P, L, by, ex = model.P, model.ledger, model.buyers, model.exporters
    if P.choice_rule == LOGIT:
        q = grid(1.0, int(n_trading.max()) if n_trading.size else 1)  # a buyer's weights are at most 1
        order = _logit_orders(rows, L.buyer, L.exporter, ex.quality, model.relative_price, by.price_sensitivity,
                              L.trust, L.commitment, demand, L.order, P, q)
    else:
        order = _reinforcement_orders(rows, L.buyer, L.exporter, L.born, L.id, L.preference,
                                      model.stream_key(draws.CHOICE, t), demand, L.order, P, by.n)
    return Orders(rows, order, n_trading)


# ---------------------------------------------------------------------------------------------
# fulfil, invest, judge and the row-local forecasts, in one pass over the trading rows.
# Within a row the parts run in the engine's phase order; no part reads another row, so one pass
# gives what the phases give one after the other.
# ---------------------------------------------------------------------------------------------
@kernel
def _order_totals(lo, hi, tr, order, exporter, forecast, q_units, n_exporters):
    """Rows ``tr[lo:hi]``: each exporter's orders (on the grid ``q_units``) and the largest current forecast."""
    orders_e = np.zeros(n_exporters)
    last = 0.0
    for k in range(lo, hi):
        i = U(tr[k])
        orders_e[U(exporter[i])] += on_grid(order[k], q_units)
        last = max(last, abs(np.float64(forecast[i])))
    return orders_e, last


@kernel
def _fill_rates(stock, orders_e, active):
    out = np.empty(stock.size)
    for j in range(stock.size):
        out[j] = eq.fill_rate(stock[j], orders_e[j], active[j])
    return out


@kernel
def _trade_rows(lo, hi, tr, order, demand, expected_next, key, survey_tick, t, P, fill_e, q_units, q_money, q_money2,
                q_error, q_value,
                exporter, buyer, born, stage, stock, active, propensity, quality, price, unit_cost,
                survey, database, fit_bonus, alignment,
                monitoring, size, partnership, importance, n_trading,
                trust_c, comm, volume, revenue_c, margin_c, clv, n_orders, investment, switching,
                outcome_c, expectation_c, satisfaction_c, low_sat, forecast, perceived_c, shared,
                tc_c, tk_c, ti_c, commitment_c, preference, level, hist):
    """Rows ``tr[lo:hi]``: delivery, investment, judgement and the row-local forecasts (the per-exporter totals
    of the chunk are returned on their grids: chunks add up exactly)."""
    E = stock.size
    n_buyers = size.size
    acts = np.zeros(3, np.int64)  # opportunistic acts, detected acts, orders
    received = 0.0  # value received by the rows that ordered (on the grid q_value)
    last = 0.0  # the largest new forecast
    err = 0.0
    delivered_e, revenue_e, margin_e, rev2_e = np.zeros(E), np.zeros(E), np.zeros(E), np.zeros(E)
    width = hist.shape[1]
    for k in range(lo, hi):
        i = U(tr[k])
        e, b = U(exporter[i]), U(buyer[i])
        y = order[k]
        # ---- fulfil ----
        fill = fill_e[e]
        d = y * fill
        ordered = y > 0
        mon = eq.monitoring(np.float64(monitoring[b]), np.float64(trust_c[i]), P)
        u = draws.uniform(key, draws.relationship_subject(exporter[i], buyer[i], born[i], n_buyers), 0)
        act, detected = eq.opportunism(u, propensity[e], mon, ordered)
        v = eq.delivered_value(fill, quality[e], act, np.float64(comm[i]), fit_bonus[e], P)
        rev, mar = eq.sale(d, price[e], unit_cost[e], act, P)
        volume[i] = F32(np.float64(volume[i]) + d)
        revenue_c[i] = F32(np.float64(revenue_c[i]) + rev)
        margin_c[i] = F32(np.float64(margin_c[i]) + mar)
        if mar != 0.0:
            clv[i] = F32(np.float64(clv[i]) + eq.discounted(mar, t - born[i], P))
        n_orders[i] += ordered
        acts[0] += act
        acts[1] += detected
        acts[2] += ordered
        if ordered:
            received += on_grid(v, q_value)
        delivered_e[e] += on_grid(d, q_units)
        revenue_e[e] += on_grid(rev, q_money)
        margin_e[e] += on_grid(mar, q_money)
        rev2_e[e] += on_grid(rev * rev, q_money2)
        # ---- invest ----
        inv = eq.investment_update(np.float64(investment[i]), d, np.float64(size[b]), stage[i] >= EXPANSION,
                                   partnership[b], P)
        investment[i] = F32(inv)
        sc = eq.switching_cost(np.float64(investment[i]), np.float64(importance[b]), n_trading[b] - 1, P)
        switching[i] = F32(sc)
        # ---- judge ----
        o, x, s = eq.satisfaction_update(np.float64(outcome_c[i]), np.float64(expectation_c[i]), v, ordered, P)
        outcome_c[i], expectation_c[i], satisfaction_c[i] = F32(o), F32(x), F32(s)
        low_sat[i] = eq.dissatisfied_ticks(low_sat[i], s, P)
        perceived_c[i] = F32(eq.perceived_satisfaction(np.float64(perceived_c[i]), y, np.float64(forecast[i]), s,
                                                       database[e], survey_tick and survey[e]))
        sv = np.float64(shared[i])
        if alignment[e] != 0.0:
            sv = eq.align_values(sv, np.float64(comm[i]), alignment[e])
            shared[i] = F32(sv)
        tc, tk, ti, trust = eq.trust_update(np.float64(tc_c[i]), np.float64(tk_c[i]), np.float64(ti_c[i]),
                                            np.float64(comm[i]), sv, s, detected, stage[i] == COMMITMENT, P)
        tc_c[i], tk_c[i], ti_c[i], trust_c[i] = F32(tc), F32(tk), F32(ti), F32(trust)
        commitment_c[i] = F32(eq.commitment_update(np.float64(commitment_c[i]), trust, sv, o, np.float64(switching[i]),
                                                   partnership[b], detected, P))
        preference[i] = F32(eq.preference_update(np.float64(preference[i]), eq.visit_payoff(fill, act, ordered, P), P))
        # ---- plan: score this tick's forecast, forecast next tick (row-local methods) ----
        err += on_grid(abs(np.float64(forecast[i]) - y), q_error)
        if P.forecast_method == EXPONENTIAL_SMOOTHING:
            f = eq.smoothed(np.float64(level[i]), y, P)
            level[i] = F32(f)
        elif P.forecast_method == MOVING_AVERAGE:
            hist[i, t % width] = F32(y)
            f = eq.moving_average(hist[i])
        else:
            continue  # the seasonal index needs every row's level first: _seasonal_rows
        if P.information_sharing and stage[i] == COMMITMENT:
            f = eq.shared_forecast(y, demand[b], expected_next[b])
        forecast[i] = F32(f)
        last = max(last, abs(np.float64(forecast[i])))
    return acts, received, err, delivered_e, revenue_e, margin_e, rev2_e, last


@kernel
def _seasonal_rows(tr, order, demand, expected_next, t, P, q_units, exporter, buyer, stage, level, forecast, season):
    """Seasonal-index forecasts: each row's level (dynamics.seasonal_level), each exporter's index of this
    season (dynamics.season_update, renormalised to mean 1), and the forecast ``f = L s_next`` (or the buyer's
    shared forecast)."""
    E, period = season.shape
    now, nxt = t % period, (t + 1) % period
    bound = 0.0
    for k in range(tr.size):
        bound = max(bound, abs(np.float64(level[U(tr[k])])))
    q_level = grid(bound, max(tr.size, 1))
    total_y, total_level = np.zeros(E), np.zeros(E)
    for k in range(tr.size):
        i = U(tr[k])
        e = U(exporter[i])
        total_y[e] += on_grid(order[k], q_units)
        total_level[e] += on_grid(np.float64(level[i]), q_level)
        level[i] = F32(eq.seasonal_level(np.float64(level[i]), order[k], season[e, now], P))
    for e in range(E):
        season[e, now] = eq.season_update(season[e, now], total_y[e], total_level[e], P)
        mean = 0.0
        for s in range(period):
            mean += season[e, s]
        mean /= period
        for s in range(period):
            season[e, s] /= mean
    for k in range(tr.size):
        i = U(tr[k])
        e, b = U(exporter[i]), U(buyer[i])
        f = np.float64(level[i]) * season[e, nxt]
        if P.information_sharing and stage[i] == COMMITMENT:
            f = eq.shared_forecast(order[k], demand[b], expected_next[b])
        forecast[i] = F32(f)


@kernel
def _forecast_totals(lo, hi, tr, exporter, forecast, q, n_exporters):
    """Rows ``tr[lo:hi]``: each exporter's sum of its customers' forecasts (on the grid ``q``: order-free)."""
    out = np.zeros(n_exporters)
    for k in range(lo, hi):
        i = U(tr[k])
        out[U(exporter[i])] += on_grid(np.float64(forecast[i]), q)
    return out


def fulfil(model, t: int, demand: np.ndarray, orders: Orders, n_trading: np.ndarray) -> Deliveries:
    """Deliver, book, judge and forecast every trading row (``n_trading``: trading rows per buyer).

    Per-exporter totals are added on grids (sim.sums) set by bounds every addend keeps: an order is at most
    the largest demand, money at most that times the highest price.
    """
    P, L, ex, by = model.P, model.ledger, model.exporters, model.buyers
    tr = orders.rows
    n = max(tr.size, 1)
    expected_next = model.expected_demand(t + 1) if P.information_sharing else _NO_SHARING
    survey_tick = bool(t % P.survey_every == 0)  # exporters whose policy surveys do so this tick
    units = float(demand.max()) if demand.size else 0.0
    money = units * float(ex.price.max())
    q_units, q_money, q_money2 = grid(units, n), grid(money, n), grid(money * money, n)
    totals = run_chunks(_order_totals, tr.size, tr, orders.order, L.exporter, L.forecast, q_units, ex.n)
    orders_e = np.add.reduce([o for o, _ in totals])  # partial sums on one grid: exact in any order
    q_error = grid(max(units, max(f for _, f in totals)), n)  # the largest order or forecast bounds every error
    q_value = grid(1.0 + ex.fit_bonus.max(initial=0.0), n)  # a delivered value is at most 1 + fit_bonus
    parts = run_chunks(
        _trade_rows, tr.size, tr, orders.order, demand, expected_next, model.stream_key(draws.FULFILMENT, t),
        survey_tick, t, P, _fill_rates(ex.stock, orders_e, ex.active), q_units, q_money, q_money2, q_error, q_value,
        L.exporter, L.buyer, L.born, L.stage, ex.stock, ex.active, ex.opportunism, ex.quality, ex.price,
        ex.unit_cost, ex.survey, ex.database, ex.fit_bonus, ex.value_alignment, by.monitoring, by.size, by.partnership, by.importance, n_trading,
        L.trust, L.communication, L.volume, L.revenue, L.margin, L.clv, L.n_orders, L.investment, L.switching_cost,
        L.outcome, L.expectation, L.satisfaction, L.low_sat, L.forecast, L.perceived, L.shared_values,
        L.trust_calculus, L.trust_knowledge, L.trust_identification, L.commitment, L.preference, L.level, L.hist)
    acts = np.add.reduce([p[0] for p in parts])
    received = sum(p[1] for p in parts) / acts[2] if acts[2] else float("nan")
    err = sum(p[2] for p in parts)
    delivered_e, revenue_e, margin_e, rev2_e = (np.add.reduce([p[j] for p in parts]) for j in range(3, 7))
    if P.forecast_method == SEASONAL_INDEX:
        _seasonal_rows(tr, orders.order, demand, expected_next, t, P, q_units, L.exporter, L.buyer, L.stage, L.level, L.forecast, ex.season_index)
    # the largest new forecast bounds the forecasts' sums (the seasonal index's are bounded after its pass)
    bound = max(p[7] for p in parts) if P.forecast_method != SEASONAL_INDEX else float(np.abs(L.forecast[tr]).max(initial=0.0))
    forecast_e = np.add.reduce(run_chunks(_forecast_totals, tr.size, tr, L.exporter, L.forecast, grid(bound, n), ex.n))
    hhi = np.full(ex.n, np.nan)  # Herfindahl index of this tick's revenue over each exporter's customers
    np.divide(rev2_e, revenue_e * revenue_e, out=hhi, where=revenue_e > 0)
    return Deliveries(orders_e, delivered_e, revenue_e, margin_e, hhi, int(acts[0]), int(acts[1]), received,
                      forecast_e, float(err), float(total(orders.order)))


# ---------------------------------------------------------------------------------------------
# plan: stock, costs and profit per exporter
# ---------------------------------------------------------------------------------------------
@kernel
def _plan_exporters(P, stock, delivered, orders, forecast, capacity, active, margin, spend, revenue, revenue_total,
                    profit_total, profit_smooth, neg_ticks):
    E = stock.size
    holding, stockout, profit = np.empty(E), np.empty(E), np.empty(E)
    for j in range(E):
        stock[j], unsold = eq.restock(stock[j], delivered[j], forecast[j], capacity[j], active[j], P)
        profit[j], holding[j], stockout[j] = eq.exporter_profit(margin[j], unsold, orders[j], delivered[j], spend[j],
                                                                active[j], P)
        revenue_total[j] += revenue[j]
        profit_total[j] += profit[j]
        profit_smooth[j] = eq.smoothed_profit(profit_smooth[j], profit[j])
        neg_ticks[j] = neg_ticks[j] + 1 if profit_smooth[j] < 0 else 0
    return holding, stockout, profit


def plan(model, deliveries: Deliveries, contacts, won: np.ndarray) -> Accounts:
    """Next tick's stock from the forecasts; this tick's holding and stock-out costs and profit, per exporter
    (``contacts``: what ``communication.talk`` spent; ``won``: customers won this tick, per exporter). Adds
    the tick's spending and customers won to each exporter's totals."""
    ex, d = model.exporters, deliveries
    ex.acquisition_total += contacts.acquisition
    ex.retention_total += contacts.retention
    ex.programme_total += contacts.programmes
    ex.customers_won += won
    return Accounts(*_plan_exporters(model.P, ex.stock, d.delivered_e, d.orders_e, d.forecast_e, ex.capacity,
                                     ex.active, d.margin_e, contacts.spend, d.revenue_e, ex.revenue_total,
                                     ex.profit_total, ex.profit_smooth, ex.neg_profit_ticks))


@kernel
def _launch_stock(P, stock, capacity, exporter, stage, forecast):
    E = stock.size
    target = np.zeros(E)
    bound = 0.0
    for i in range(stage.size):
        if stage[i] > 0 and stage[i] < 4:
            bound = max(bound, abs(np.float64(forecast[i])))
    q = grid(bound, max(stage.size, 1))
    for i in range(stage.size):
        if stage[i] > 0 and stage[i] < 4:
            target[U(exporter[i])] += on_grid(np.float64(forecast[i]), q)
    for j in range(E):
        stock[j] = max(stock[j], min((1.0 + P.safety_stock) * target[j], capacity[j]))


def launch_stock(model) -> None:
    """Stock for tick 1: at least the forecast of relationships already trading, plus safety stock.

    Exporters launch with a tenth of their fair share of market demand; when buyers start out trading
    (``initial_awareness='all'``, the WKH set-up) the launch stock also covers their forecast orders,
    within capacity, so that the first visits are served like every later one.
    """
    L, ex = model.ledger, model.exporters
    _launch_stock(model.P, ex.stock, ex.capacity, L.exporter, L.stage, L.forecast)
