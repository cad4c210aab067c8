"""The model's equations: how one relationship, buyer or exporter changes in one tick.

Each submodel is one small scalar function with its equation in the docstring. The compiled
kernels of the phases (``sim.trade``, ``sim.lifecycle``, ...) call these functions row by row, and
so does the plain-Mesa oracle (``sim.testing.plain_mesa``), as plain Python: this is the only
place an equation is written. ``P`` is the parameter record (``sim.parameters.record``): a
coefficient is read as ``P.trust_gain``, never passed by position.

All arithmetic is in float64; the ledger stores relationship state in float32.
"""

from __future__ import annotations

import math

import numpy as np

from .jit import equation
from .vocab import COMMITMENT, DISSATISFACTION, EXPANSION, EXPLORATION, TRUST_BREAKDOWN

# ---------------------------------------------------------------------------------------------
# demand (seed 004)
# ---------------------------------------------------------------------------------------------


@equation
def expected_demand(size, phase, t, P):
    """The deterministic part of a buyer's demand at tick ``t``, what the buyer itself forecasts.

    ``E[D](t) = size * max(0, 1 + trend t) * (1 + amplitude sin(2 pi (t / period + phase)))``
    """
    season = 1.0 + P.season_amplitude * math.sin(2.0 * math.pi * (t / P.season_period + phase))
    return size * max(0.0, 1.0 + P.demand_trend * t) * season


@equation
def demand(expected, eps, P):
    """This tick's demand: expected demand times multiplicative noise, ``D = E[D] max(0, 1 + noise eps)``,
    with ``eps`` a standard normal draw."""
    return expected * max(0.0, 1.0 + P.demand_noise * eps)


# ---------------------------------------------------------------------------------------------
# awareness and trial orders
# ---------------------------------------------------------------------------------------------


@equation
def shared_values(v_exporter, v_buyer):
    """Similarity of two unit value vectors mapped to [0, 1]: ``s = (1 + v_e . v_b) / 2``."""
    dot = 0.0
    for k in range(v_exporter.size):
        dot += float(v_exporter[k]) * float(v_buyer[k])
    return 0.5 * (1.0 + dot)


@equation
def trial_probability(wanted, n_trading, n_aware, committed, quality, rel_price, price_sensitivity, comm, P):
    """Chance that an aware buyer places a trial order with this exporter this tick.

    The buyer's unmet need is spread over the exporters it knows of; a committed buyer has stopped
    searching (a tenth of the need remains)::

        need   = min(1, max(wanted - trading, 0) / aware) * (0.1 if committed else 1)
        appeal = clip(0.5 + q - E[q] - ps (p - 1), 0.1, 1)
        prob   = trial_rate * need * appeal * (0.5 + c)

    with ``E[q]`` the market's mean quality and ``c`` this tick's communication.
    """
    need = min(1.0, max(wanted - n_trading, 0) / max(n_aware, 1)) * (0.1 if committed else 1.0)
    appeal = min(max(0.5 + quality - P.quality_mean - price_sensitivity * (rel_price - 1.0), 0.1), 1.0)
    return P.trial_rate * need * appeal * (0.5 + comm)


# ---------------------------------------------------------------------------------------------
# communication
# ---------------------------------------------------------------------------------------------


@equation
def communication(money, P):
    """Communication received from the money spent on contact with a relationship this tick.

    ``c = 1 - exp(-efficiency money / contact_cost)``, in [0, 1): ``money / contact_cost`` standard
    contacts, each worth ``efficiency`` (``P.channel_efficiency``, the channel's trust effect per unit of
    contact cost), with diminishing returns.
    """
    return 1.0 - math.exp(-P.channel_efficiency * money / P.contact_cost)


@equation
def contact_budget(prospect, n_prospects, weight, total_weight, budget, share):
    """The money an exporter spends on contact with one live relationship this tick.

    A share ``a`` of the exporter's relationship budget ``B`` (money per tick) goes evenly to its prospects
    (awareness rows); the rest is split among its trading relationships in proportion to the retention
    policy's weights ``w``::

        prospect:  a B / n_prospects
        customer:  (1 - a) B w / sum(w)        (0 when every weight is 0)

    ``a`` is the exporter's acquisition share (``acquisition_share`` unless changed for it).
    """
    if prospect:
        return budget * share / max(n_prospects, 1)
    if total_weight > 0:
        return budget * (1.0 - share) * weight / total_weight
    return 0.0


@equation
def contact_spend(budget, has_prospects, has_customers, share):
    """Money an active exporter spends on contact in a tick, on prospects and on customers: the parts of its
    budget it used, ``(a B [prospects], (1 - a) B [customers])`` with ``a`` its acquisition share."""
    return (budget * share if has_prospects else 0.0,
            budget * (1.0 - share) if has_customers else 0.0)


@equation
def programme_cost(customers, survey_now, database, values_programme, P):
    """What an exporter's retention programmes cost in a tick (seed 000's surveys and database; a
    shared-values programme), for its ``customers`` trading relationships::

        survey_cost n [survey this tick] + (database_cost + database_cost_per_customer n) [database]
        + values_program_cost n [values programme]
    """
    cost = P.survey_cost * customers if survey_now else 0.0
    if database:
        cost += P.database_cost + P.database_cost_per_customer * customers
    if values_programme:
        cost += P.values_program_cost * customers
    return cost


@equation
def acquisition_spend(prospect_contact, fair_now, P):
    """An exporter's acquisition spend in a tick: contact with prospects plus ``fair_cost`` in a tick it
    attends a trade fair."""
    return prospect_contact + (P.fair_cost if fair_now else 0.0)


@equation
def discounted(amount, age, P):
    """An amount of money ``age`` ticks into a relationship, valued at its start:
    ``amount (1 + discount_rate)^-age``. A relationship's customer lifetime value is the sum of its
    gross margins less the contact money spent on it, each discounted so."""
    return amount * math.pow(1.0 + P.discount_rate, -age)


# ---------------------------------------------------------------------------------------------
# orders and delivery
# ---------------------------------------------------------------------------------------------


@equation
def attractiveness(quality, rel_price, price_sensitivity, trust, commitment):
    """A supplier's attractiveness to a buyer: ``A = q - ps (p - 1) + T + C`` (``p`` relative to the mean price)."""
    return quality - price_sensitivity * (rel_price - 1.0) + trust + commitment


@equation
def logit_utility(attractiveness, P):
    """A supplier's utility in the buyer's logit choice: ``u = beta A`` (``beta``: the intensity of choice)."""
    return P.beta * attractiveness


@equation
def logit_weight(utility, top):
    """A supplier's weight in the buyer's logit choice: ``w = exp(u - max_g u_g)`` with ``u = beta A``
    (the buyer's largest utility subtracted: the shares are unchanged, and no weight overflows)."""
    return np.exp(utility - top)


@equation
def logit_order(demand, weight, total):
    """The logit split of a buyer's demand over its suppliers: ``order = D w / sum_g w_g``."""
    return demand * (weight / total)


@equation
def reinforcement_key(preference, gumbel, P):
    """The reinforcement rule's choice (Weisbuch-Kirman-Herreiner): the buyer visits the supplier with the
    largest ``beta J + g`` (g a standard Gumbel draw): supplier j with probability ``softmax(beta J)_j``."""
    return P.beta * preference + gumbel


@equation
def fill_rate(stock, orders, active):
    """Share of every order an exporter delivers: ``min(1, stock / orders)`` (1 without orders, 0 once it has left)."""
    if not active:
        return 0.0
    if orders > 0:
        return min(1.0, stock / max(orders, 1e-12))
    return 1.0


@equation
def monitoring(base, trust, P):
    """Chance that the buyer detects an opportunistic act.

    With excessive trust switched on, monitoring falls once trust passes the threshold ``T*``:
    ``m = base (1 - strength clip((T - T*) / (1 - T*), 0, 1))``.
    """
    if not P.excessive_trust:
        return base
    thr = P.excessive_trust_threshold
    over = min(max((trust - thr) / max(1.0 - thr, 1e-9), 0.0), 1.0)
    return base * (1.0 - P.excessive_trust_strength * over)


@equation
def opportunism(u, propensity, monitoring, ordered):
    """Whether a delivery is an opportunistic act, and whether the buyer detects it.

    One uniform draw ``u`` decides both: act if ``u < o``, detected if ``u < o m``; given an act,
    ``u / o`` is uniform, so an act is detected with probability ``m``. Only orders can be cheated on.
    """
    act = ordered and u < propensity
    return act, act and u < propensity * monitoring


@equation
def delivered_value(fill, quality, act, comm, fit_bonus, P):
    """Value the buyer receives from a delivery: ``v = fill q (1 - shading [act]) + fit_bonus c``
    (``fit_bonus``: the exporter's policy's better-fitting offer, a customer database)."""
    return fill * quality * (1.0 - P.shading * act) + fit_bonus * comm


@equation
def sale(delivered, price, unit_cost, act, P):
    """Revenue and gross margin of a delivery; an opportunistic act saves half the shaded cost.

    ``revenue = d p``, ``margin = d (p - unit_cost (1 - shading [act] / 2))``
    """
    return delivered * price, delivered * (price - unit_cost * (1.0 - 0.5 * P.shading * act))


@equation
def visit_payoff(fill, act, ordered, P):
    """The buyer's payoff from a visit in the reinforcement rule: ``profit * fill * (1 - shading [act])`` if it ordered."""
    return P.profit * fill * (1.0 - P.shading * act) if ordered else 0.0


# ---------------------------------------------------------------------------------------------
# investment and switching costs (seed 002)
# ---------------------------------------------------------------------------------------------


@equation
def investment_update(investment, delivered, size, invests, partnership, P):
    """Relationship-specific input investment.

    ``I <- I (1 - depreciation) + rate_b d / size`` while the relationship ``invests`` (expansion and
    commitment); ``rate_b`` is ``investment_rate``, doubled for partnership buyers.
    """
    add = P.investment_rate * (2.0 if partnership else 1.0) * (delivered / size) if invests else 0.0
    return investment * (1.0 - P.investment_depreciation) + add


@equation
def switching_cost(investment, importance, alternatives, P):
    """Switching cost = input investment + conversion risk (seed 002).

    Conversion risk is the product's importance to the buyer, discounted when it already trades with
    alternatives: ``R = importance exp(-alternatives / 2)``; ``SC = strength (I + R)``.
    """
    return P.switching_cost_strength * (investment + importance * math.exp(-0.5 * alternatives))


# ---------------------------------------------------------------------------------------------
# judgement: satisfaction, trust, commitment, preference
# ---------------------------------------------------------------------------------------------


@equation
def satisfaction_update(outcome, expectation, value, observed, P):
    """Satisfaction = smoothed outcome minus an adaptive expectation.

    Where the buyer ``observed`` a delivery of ``value`` this tick:
    ``O <- (1 - smoothing) O + smoothing v`` and ``E <- (1 - adaptation) E + adaptation v``.
    Returns ``(O, E, S)`` with ``S = O - E``.
    """
    if observed:
        outcome = (1.0 - P.satisfaction_smoothing) * outcome + P.satisfaction_smoothing * value
        expectation = (1.0 - P.expectation_adaptation) * expectation + P.expectation_adaptation * value
    return outcome, expectation, outcome - expectation


@equation
def dissatisfied_ticks(streak, satisfaction, P):
    """Consecutive dissatisfied ticks: ``streak + 1`` while ``S < dissatisfaction_level``, else 0."""
    return streak + 1 if satisfaction < P.dissatisfaction_level else 0


@equation
def perceived_satisfaction(perceived, order, forecast, satisfaction, database, survey_now):
    """The exporter's estimate of its customer's satisfaction.

    It reads order changes against its forecast: ``proxy = clip(order / forecast - 1, -1, 1) / 2``
    (0 without a forecast) and ``S^ <- 0.8 S^ + 0.2 proxy``. A customer database sharpens it,
    ``S^ <- (S^ + S) / 2``; a survey reveals the truth, ``S^ <- S`` (``database``, ``survey_now``: the
    exporter's policy keeps one, surveys this tick).
    """
    proxy = min(max(order / max(forecast, 1e-12) - 1.0, -1.0), 1.0) * 0.5 if forecast > 0 else 0.0
    est = 0.8 * perceived + 0.2 * proxy
    if database:
        est = 0.5 * est + 0.5 * satisfaction
    if survey_now:
        est = satisfaction
    return est


@equation
def align_values(shared, comm, alignment):
    """A shared-values programme: every contact moves shared values towards 1, ``s <- s + alignment c (1 - s)``
    (``alignment``: the exporter's policy's ``value_alignment``)."""
    return shared + alignment * comm * (1.0 - shared)


@equation
def trust_update(calculus, knowledge, identification, comm, values, satisfaction, detected, committed, P):
    """Calculus-, knowledge- and identification-based trust, and their combination.

    Calculus trust wears off:      ``Tc <- Tc (1 - calculus_decay)``
    Knowledge trust builds with communication ``c``, shared values ``s`` and good outcomes, and falls
    with bad outcomes, faster than it rises (``loss > gain``)::

        up   = communication_effect c + shared_values_effect s / 2 + 2 max(S, 0)
        down = 2 max(-S, 0)
        Tk  <- Tk + min(gain up, 1) (1 - Tk) - min(loss down, Tk)

    Gains saturate (``1 - Tk``: the more trust, the less there is left to win); losses do not (a
    bad outcome costs ``loss down`` whatever trust there is, until none is left).

    Identification trust grows with shared values in committed relationships:
    ``Ti <- Ti + min(identification_gain shared_values_effect s, 1) (1 - Ti)``.
    A detected opportunistic act destroys a share ``opportunism_penalty`` of every component.
    Returns ``(Tc, Tk, Ti, T)`` with ``T = 1 - (1 - Tc)(1 - Tk)(1 - Ti)`` (noisy-or); all in [0, 1].
    """
    tc = calculus * (1.0 - P.calculus_decay)
    up = P.communication_effect * comm + 0.5 * P.shared_values_effect * values + 2.0 * max(satisfaction, 0.0)
    down = 2.0 * max(-satisfaction, 0.0)
    tk = knowledge + min(P.trust_gain * up, 1.0) * (1.0 - knowledge) - min(P.trust_loss * down, knowledge)
    ti = identification
    if committed:
        ti = identification + min(P.identification_gain * P.shared_values_effect * values, 1.0) * (1.0 - identification)
    keep = 1.0 - P.opportunism_penalty if detected else 1.0
    tc = min(max(tc * keep, 0.0), 1.0)
    tk = min(max(tk * keep, 0.0), 1.0)
    ti = min(max(ti * keep, 0.0), 1.0)
    return tc, tk, ti, combine_trust(tc, tk, ti)


@equation
def combine_trust(calculus, knowledge, identification):
    """Overall trust as the noisy-or of its three forms: ``T = 1 - (1 - Tc)(1 - Tk)(1 - Ti)``."""
    return 1.0 - (1.0 - calculus) * (1.0 - knowledge) * (1.0 - identification)


@equation
def commitment_update(commitment, trust, values, outcome, switching, partnership, detected, P):
    """Commitment rises with trust, shared values, benefits and switching costs; it decays.

    ``drive = 0.4 T + 0.2 min(1, shared_values_effect s) + 0.2 clip(O, 0, 1) + 0.2 SC / (1 + SC)``
    ``C <- C + gain orientation drive (1 - C) - decay C``

    ``orientation`` is 1 for partnership buyers and 0.5 for transactional ones; the benefit is the
    smoothed outcome ``O``. Where an opportunistic act was ``detected`` this tick the promise of
    continuity is broken: ``C <- C (1 - opportunism_commitment_loss)`` (after the update). Without
    it, the trust-free part of ``drive`` would keep a committed partnership above the fall-back level
    for ever. The result is clipped to [0, 1].
    """
    drive = (0.4 * trust + 0.2 * min(1.0, P.shared_values_effect * values) + 0.2 * min(max(outcome, 0.0), 1.0)
             + 0.2 * switching / (1.0 + switching))
    orientation = 1.0 if partnership else 0.5
    c = commitment + P.commitment_gain * orientation * drive * (1.0 - commitment) - P.commitment_decay * commitment
    if detected:
        c = c * (1.0 - P.opportunism_commitment_loss)
    return min(max(c, 0.0), 1.0)


@equation
def preference_update(preference, payoff, P):
    """Weisbuch-Kirman-Herreiner reinforcement: ``J <- (1 - gamma) J + payoff``."""
    return (1.0 - P.gamma) * preference + payoff


# ---------------------------------------------------------------------------------------------
# the lifecycle
# ---------------------------------------------------------------------------------------------


@equation
def ending(trust, dissatisfied, P):
    """Why a trading relationship ends this tick, before any review of alternatives: a cause code.

    Trust breakdown (``T < breakdown_trust``), else dissatisfaction (``patience`` dissatisfied ticks
    in a row), else none (0); never while ``dissolution`` is off.
    """
    if not P.dissolution:
        return 0
    if trust < P.breakdown_trust:
        return TRUST_BREAKDOWN
    if dissatisfied >= P.patience:
        return DISSATISFACTION
    return 0


@equation
def stage_move(stage, trust, commitment, n_orders, P):
    """The stage a trading relationship moves to (Dwyer, Schurr & Oh 1987), or its own stage.

    exploration -> expansion   ``T >= expansion_trust`` after ``min_trials`` orders
    expansion -> commitment    ``C >= commitment_threshold`` and ``T >= expansion_trust``
    commitment -> expansion    ``C < commitment_threshold - hysteresis``
    """
    if stage == EXPLORATION and trust >= P.expansion_trust and n_orders >= P.min_trials:
        return EXPANSION
    if stage == EXPANSION and commitment >= P.commitment_threshold and trust >= P.expansion_trust:
        return COMMITMENT
    if stage == COMMITMENT and commitment < P.commitment_threshold - P.hysteresis:
        return EXPANSION
    return stage


@equation
def alternative_attractiveness(quality, rel_price, price_sensitivity, trust, commitment, only_known, active, P):
    """How a reviewing buyer rates one of the suppliers it knows: ``dynamics.attractiveness``, with calculus
    trust for an exporter it only knows of (awareness), and ``-inf`` for one that has left the market."""
    if not active:
        return -np.inf
    return attractiveness(quality, rel_price, price_sensitivity, P.calculus_trust if only_known else trust,
                          commitment)


@equation
def switches(own, best_other, switching, P):
    """A reviewing buyer leaves for a better alternative: ``A_other - A_own > SC + switch_margin``."""
    return best_other - own > switching + P.switch_margin


# ---------------------------------------------------------------------------------------------
# forecasting, stock and money (per relationship and per exporter)
# ---------------------------------------------------------------------------------------------


@equation
def smoothed(level, order, P):
    """Exponential smoothing of a customer's orders: ``L <- alpha y + (1 - alpha) L`` (the next forecast)."""
    return P.forecast_alpha * order + (1.0 - P.forecast_alpha) * level


@equation
def shared_forecast(order, demand, expected_next):
    """A committed buyer shares its own forecast: this exporter's share of its demand times its
    expected demand next tick, ``(y / D) E[D](t + 1)`` (0 without demand)."""
    return order / max(demand, 1e-12) * expected_next if demand > 0 else 0.0


@equation
def first_forecast(size, wanted):
    """The exporter's first forecast of a new customer's orders, its size over the suppliers it wants:
    ``f = size / wanted`` (in float32, as stored)."""
    return np.float32(size / np.float32(wanted))


@equation
def moving_average(history):
    """The moving-average forecast: the mean of the customer's last ``forecast_window`` orders."""
    f = 0.0
    for w in range(history.size):
        f += np.float64(history[w])
    return f / history.size


@equation
def seasonal_level(level, order, season_now, P):
    """The deseasonalised level of a customer's orders: ``L <- alpha y / s_now + (1 - alpha) L``."""
    return P.forecast_alpha * order / season_now + (1.0 - P.forecast_alpha) * level


@equation
def season_update(season_now, orders, levels, P):
    """An exporter's index of this season from its customers' orders ``y`` and levels before the update ``L``:
    ``s <- (1 - alpha) s + alpha sum(y) / sum(L)`` (unchanged when the levels sum to 0); the indices are then
    renormalised to mean 1."""
    ratio = orders / max(levels, 1e-12) if levels > 0 else season_now
    return (1.0 - P.forecast_alpha) * season_now + P.forecast_alpha * ratio


@equation
def restock(stock, delivered, forecast, capacity, active, P):
    """Base-stock inventory. Unsold stock carries over; production brings stock up to the forecast
    plus safety stock, within capacity. Returns ``(stock, unsold)``::

        unsold = max(stock - delivered, 0)
        stock <- unsold + clip((1 + safety_stock) forecast - unsold, 0, capacity)   (0 once left)
    """
    left = max(stock - delivered, 0.0)
    if not active:
        return 0.0, left
    return left + min(max((1.0 + P.safety_stock) * forecast - left, 0.0), capacity), left


@equation
def exporter_profit(margin, unsold, orders, delivered, spend, active, P):
    """An exporter's profit in a tick: gross margin less holding, stock-out, acquisition and retention costs.

    ``profit = margin - holding_cost unsold - stockout_cost (orders - delivered) - spend`` (0 once it has
    left), with ``spend`` its acquisition spend and its retention spend (contacts and programmes).
    Returns ``(profit, holding, stockout)``.
    """
    holding = P.holding_cost * unsold
    stockout = P.stockout_cost * (orders - delivered)
    return (margin - holding - stockout - spend if active else 0.0), holding, stockout


@equation
def smoothed_profit(smooth, profit):
    """Smoothed profit that an exit decision reads: ``pi~ <- 0.9 pi~ + 0.1 pi``."""
    return 0.9 * smooth + 0.1 * profit


@equation
def imitation_probability(own, peer, spread, P):
    """Proportional imitation (Schlag 1998; in expectation, replicator dynamics): an exporter copies the
    policy of the peer it compared itself with, with probability

        imitation_strength max(peer - own, 0) / spread

    where ``own`` and ``peer`` are their profits since the last round and ``spread`` the largest minus the
    smallest such profit among active exporters (0 when all made the same)."""
    if spread <= 0.0:
        return 0.0
    return P.imitation_strength * max(peer - own, 0.0) / spread


@equation
def exits(u, losing_ticks, P):
    """An exporter leaves: the exogenous hazard (``u < exit_rate``) or ``exit_patience`` ticks of
    negative smoothed profit."""
    return u < P.exit_rate or losing_ticks >= P.exit_patience
