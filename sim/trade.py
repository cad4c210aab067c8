"""Trade: buyers' demand, their orders, fulfilment from stock, forecasting and inventory.

Demand (seed 004): ``D_b(t) = size_b (1 + trend t)(1 + amp sin(2 pi (t / P + phase_b))) max(0, 1 + noise eps)``.
Orders: by the logit split of demand over suppliers, or by the
Weisbuch-Kirman-Herreiner rule (one supplier per tick drawn by logit on J).
Fulfilment: an exporter short of stock rations every order by the same fill
rate. Forecasts: moving average, exponential smoothing or seasonal index; in
committed relationships the buyer shares its own forecast.
"""

from __future__ import annotations

import numpy as np

from . import dynamics, kernels
from .grouped import group_gumbel_choice, group_softmax, group_sum
from .ledger import COMMITMENT, EXPANSION


def expected_demand(model, t: int) -> np.ndarray:
    """The deterministic part of every buyer's demand at tick ``t`` (what the buyer itself forecasts)."""
    p, by = model.p, model.buyers
    season = 1.0 + p["season_amplitude"] * np.sin(2 * np.pi * (t / p["season_period"] + by.phase))
    return by.size * max(0.0, 1.0 + p["demand_trend"] * t) * season


def draw_demand(model, t: int) -> np.ndarray:
    """This tick's demand of every buyer: expected demand times multiplicative noise."""
    eps = model.streams["demand"].standard_normal(model.buyers.n)
    return model.expected_demand(t) * np.maximum(0.0, 1.0 + model.p["demand_noise"] * eps)


def place_orders(model, t: int) -> None:
    """Set ``order`` on every trading row (``model.now.rows``) by the choice rule."""
    p, L, now = model.p, model.ledger, model.now
    if p["choice_rule"] == "logit" and kernels.ENABLED:
        now.order = kernels.place_orders_logit(model, t)  # the same equations in one compiled pass
        return
    tr = now.rows
    b, e = L.buyer[tr], L.exporter[tr]
    B = model.buyers.n
    if p["choice_rule"] == "logit":
        a = dynamics.attractiveness(
            model.exporters.quality[e],
            model.relative_price[e],
            model.buyers.price_sensitivity[b],
            L.trust[tr],
            L.commitment[tr],
        )
        order = now.demand[b] * group_softmax(b, p["beta"] * a, B)
    else:
        g = model.streams["choice"].gumbel(size=tr.size)
        chosen = group_gumbel_choice(b, p["beta"] * L.preference[tr].astype(np.float64), B, g)
        order = np.where(chosen, now.demand[b], 0.0)
    L.order[tr] = order
    now.order = order


def fulfil(model, t: int) -> None:
    """Deliver from stock, draw opportunistic acts and their detection, book revenue and margin."""
    if kernels.ENABLED:
        return kernels.fulfil(model, t)
    p, L, ex, now = model.p, model.ledger, model.exporters, model.now
    tr, order = now.rows, now.order
    e, b = L.exporter[tr], L.buyer[tr]
    E = ex.n
    orders_e = group_sum(e, order, E)
    fill_e = np.where(orders_e > 0, np.minimum(1.0, ex.stock / np.maximum(orders_e, 1e-12)), 1.0)
    fill_e[~ex.active] = 0.0
    fill = fill_e[e]
    delivered = order * fill
    ordered = order > 0

    # one draw per order decides both the act (u < o) and its detection (u < o m): given an act,
    # u / o is uniform, so the act is detected with probability m, as with a draw of its own
    u = model.streams["fulfilment"].random(tr.size)
    opp = ordered & (u < ex.opportunism[e])
    mon = dynamics.monitoring(
        model.buyers.monitoring[b],
        L.trust[tr],
        p["excessive_trust"],
        p["excessive_trust_threshold"],
        p["excessive_trust_strength"],
    )
    detected = opp & (u < ex.opportunism[e] * mon)

    kept = 1.0 - p["shading"] * opp
    value = fill * ex.quality[e] * kept + model.policy.fit_bonus * L.communication[tr]
    revenue = delivered * ex.price[e]
    margin = delivered * (ex.price[e] - ex.unit_cost[e] * (1.0 - 0.5 * p["shading"] * opp))
    L.volume[tr] += delivered
    L.revenue[tr] += revenue
    L.margin[tr] += margin
    L.n_orders[tr] += ordered

    now.update(
        ordered=ordered,
        delivered=delivered,
        opportunistic=opp,
        detected=detected,
        value=value,
        payoff=p["profit"] * fill * kept * ordered,
        orders_e=orders_e,
        delivered_e=group_sum(e, delivered, E),
        revenue_e=group_sum(e, revenue, E),
        margin_e=group_sum(e, margin, E),
        revenue_hhi=_hhi(e, revenue, E),
        opportunistic_acts=int(opp.sum()),
        detected_acts=int(detected.sum()),
        value_received=value[ordered],
    )


def _hhi(group: np.ndarray, revenue: np.ndarray, n: int) -> np.ndarray:
    """Per exporter, the Herfindahl index of this tick's revenue over its customers."""
    total = group_sum(group, revenue, n)
    sq = group_sum(group, revenue * revenue, n)
    out = np.full(n, np.nan)
    np.divide(sq, total * total, out=out, where=total > 0)
    return out


def plan(model, t: int) -> None:
    """Score last tick's forecasts, forecast next tick, set stock, and book inventory costs and profit."""
    p, ex, now = model.p, model.exporters, model.now
    # the numba kernel does exponential smoothing and information sharing in one pass (None otherwise)
    forecast_e = kernels.plan_forecasts(model, t) if kernels.ENABLED else None
    if forecast_e is None:
        forecast_e = _forecast(model, t)

    # base-stock inventory: unsold stock carries over (at a holding cost);
    # production brings stock up to forecast plus safety stock, within capacity
    if kernels.ENABLED:  # the same per-exporter equations in one compiled pass
        holding, stockout, profit = kernels._plan_exporters(
            ex.stock, now.delivered_e, now.orders_e, forecast_e, ex.capacity, ex.active, now.margin_e,
            now.contact_spend, now.revenue_e, ex.revenue_total, ex.profit_total, ex.profit_smooth,
            ex.neg_profit_ticks, float(p["holding_cost"]), float(p["stockout_cost"]), float(p["safety_stock"]))
        now.update(holding_e=holding, stockout_e=stockout, profit_e=profit)
        return
    left = np.maximum(ex.stock - now.delivered_e, 0.0)
    holding = p["holding_cost"] * left
    stockout = p["stockout_cost"] * (now.orders_e - now.delivered_e)
    target = (1 + p["safety_stock"]) * forecast_e
    ex.stock = np.where(ex.active, left + np.clip(target - left, 0.0, ex.capacity), 0.0)
    profit = now.margin_e - holding - stockout - now.contact_spend
    profit[~ex.active] = 0.0
    ex.revenue_total += now.revenue_e
    ex.profit_total += profit
    ex.profit_smooth = 0.9 * ex.profit_smooth + 0.1 * profit
    ex.neg_profit_ticks = np.where(ex.profit_smooth < 0, ex.neg_profit_ticks + 1, 0)
    now.update(holding_e=holding, stockout_e=stockout, profit_e=profit)


def _forecast(model, t: int) -> np.ndarray:
    """Score last tick's forecasts and forecast next tick's orders of trading rows; per-exporter sum of forecasts."""
    p, L, ex, now = model.p, model.ledger, model.exporters, model.now
    tr, y = now.rows, now.order
    e, b = L.exporter[tr], L.buyer[tr]
    E = ex.n

    method, alpha = p["forecast_method"], p["forecast_alpha"]
    now.forecast_abs_error = float(np.abs(L.forecast[tr] - y).sum())
    now.forecast_actual = float(y.sum())
    if method == "moving_average":
        L.hist[tr, t % L.hist.shape[1]] = y
        f = L.hist[tr].mean(axis=1)
    elif method == "exponential_smoothing":
        f = alpha * y + (1 - alpha) * L.level[tr]
        L.level[tr] = f
    else:  # seasonal index, estimated per exporter from its total orders
        P = p["season_period"]
        s_now = ex.season_index[:, t % P]
        level_prev = L.level[tr]
        level = alpha * y / s_now[e] + (1 - alpha) * level_prev
        L.level[tr] = level
        total_y, total_level = group_sum(e, y, E), group_sum(e, level_prev, E)
        ratio = np.where(total_level > 0, total_y / np.maximum(total_level, 1e-12), s_now)
        ex.season_index[:, t % P] = (1 - alpha) * s_now + alpha * ratio
        ex.season_index /= ex.season_index.mean(axis=1, keepdims=True)
        f = level * ex.season_index[e, (t + 1) % P]
    if p["information_sharing"]:
        # committed buyers share their own forecast of next tick's demand
        share = np.where(now.demand[b] > 0, y / np.maximum(now.demand[b], 1e-12), 0.0)
        shared = share * model.expected_demand(t + 1)[b]
        f = np.where(L.stage[tr] == COMMITMENT, shared, f)
    L.forecast[tr] = f
    return group_sum(e, f, E)


def launch_stock(model) -> None:
    """Stock for tick 1: at least the forecast of relationships already trading, plus safety stock.

    Exporters launch with a tenth of their fair share of market demand; when
    buyers start out trading (``initial_awareness='all'``, the WKH set-up) the
    launch stock also covers their forecast orders, within capacity, so that
    the first visits are served like every later one.
    """
    p, L, ex = model.p, model.ledger, model.exporters
    tr = np.flatnonzero((L.stage > 0) & (L.stage < 4))
    if tr.size == 0:
        return
    target = (1 + p["safety_stock"]) * group_sum(L.exporter[tr], L.forecast[tr].astype(np.float64), ex.n)
    ex.stock = np.maximum(ex.stock, np.minimum(target, ex.capacity))


def invest(model) -> None:
    """Relationship-specific investment and switching costs of trading rows (after fulfilment)."""
    if kernels.ENABLED:
        return kernels.invest(model)
    p, L, by, now = model.p, model.ledger, model.buyers, model.now
    tr = now.rows
    b = L.buyer[tr]
    L.investment[tr] = dynamics.investment_update(
        L.investment[tr],
        now.delivered / by.size[b],
        L.stage[tr] >= EXPANSION,
        rate=p["investment_rate"] * np.where(by.partnership[b], 2.0, 1.0),
        depreciation=p["investment_depreciation"],
    )
    alternatives = group_sum(b, None, by.n)[b] - 1
    L.switching_cost[tr] = dynamics.switching_cost(
        L.investment[tr], by.importance[b], alternatives, strength=p["switching_cost_strength"]
    )
