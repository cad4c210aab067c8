"""The same market written the plain Mesa way: the engine's oracle and speed baseline.

Each tick runs the engine's phases in the same order, and in each phase every
agent of the acting kind does its part under
``model.agents_by_type[...].shuffle_do(...)``: buyers demand, try suppliers
out, order, invest, judge and review their suppliers; exporters talk, fulfil
and plan. Each relationship is a small Python object held in the lists of its
buyer and its exporter.

Three things are shared with the engine on purpose, so that both versions
simulate the same market:

* the equations. Every model equation is written once, as a small scalar
  function of ``sim.dynamics``; this module calls the same functions, as plain
  Python (their ``py_func``, collected in the namespace ``eq``), one
  relationship, buyer or exporter at a time. The parameter record ``P`` they
  read is built here from this model's own parameters
  (``sim.parameters.record``);
* the traits of exporters and buyers (``sim.population.draw_population``) and
  the validated parameters;
* the random numbers, and only the numbers. Every draw of the engine is an
  order-free, counter-based draw (``sim.draws``): a pure function of the run's
  seed, the mechanism, the tick and the agent or relationship it concerns. So
  here each buyer, exporter and relationship draws its own number when it
  needs it, by calling the same functions as plain Python (``draws.uniform``,
  and the ``py_func`` of ``normal``, ``gumbel``, ``poisson`` and
  ``relationship_subject``): a buyer its demand noise (DEMAND draws (b, 0) and
  (b, 1)) and whether it is matched (MATCHING); an exporter the prospects it
  meets at fairs and through media (FAIR, MEDIA_COUNT, MEDIA) and whether it
  exits (EXIT); a relationship, named by its pair and the tick it began, its
  trial (TRIAL), its Gumbel noise under the reinforcement rule (CHOICE), its
  opportunism draw (FULFILMENT), its review (REVIEW) and its referral
  (REFERRAL). Nothing is drawn up front and nothing mimics the order of the
  engine's ledger rows: agents act under ``shuffle_do`` in random order and
  their relationships sit in creation order, yet they get the engine's
  numbers. Where order does carry meaning it is the rule's own: ties go to the
  oldest relationship (lowest id), and the new pairs of a tick are listed by
  channel, then exporter (fairs, media), buyer (matching) or (exporter, buyer)
  (referrals), the first listing of a pair being the one that counts. The
  traits and the relationships before tick 1 come from the construction's
  generator (``sim.streams.population_generator``), and a retention policy gets
  the engine's per-tick generator (``draws.policy_generator``). Retention
  policies are vectorised plug-ins, so they are asked once per tick for every
  relationship's weight, as the engine does.

Everything else - the agents and relationship objects, who is trading, who
counts as short of suppliers, the split of the contact budget, softmax orders,
rationing, the seasonal index, the order of stage moves, dissolution,
cool-downs, the per-tick aggregates - is bookkeeping written independently of
the engine in plain Python floats. (The engine adds its per-exporter and
per-buyer totals exactly, on a power-of-two grid, ``sim.sums``; the plain
float64 sums here differ from those by about 1e-12 relatively.) ``tests/test_oracle.py`` checks that, with
randomness fixed, both give the same trajectories; ``benchmarks`` times both.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from types import SimpleNamespace

import mesa
import numpy as np
import pandas as pd

from sim import draws, dynamics
from sim.awareness import prospect_weights
from sim.parameters import record, validate
from sim.policies import PolicyView, assign_policies
from sim.population import draw_population
from sim.records import TIMESERIES_COLUMNS
from sim.streams import draw_seed, population_generator, seed_sequence
from sim.vocab import (AWARENESS, BETTER_ALTERNATIVE, COMMITMENT, COMMITMENT_DECAY, COMMITTED, DISSOLVED, EXPANSION,
                       EXPLORATION, EXPONENTIAL_SMOOTHING, EXPORTER_EXIT, INITIAL, KEY_ACCOUNT_LOSS, LAPSED, LOGIT,
                       MATCHING, MEDIA, MOVING_AVERAGE, REFERRAL, REINFORCEMENT, SEASONAL_INDEX, TRADE_FAIR, TRIAL,
                       TRUST_BUILT)


def _plain_equations(module) -> SimpleNamespace:
    """The equations of ``module`` as plain Python functions: each compiled function's ``py_func``
    (the function itself when numba's JIT is disabled)."""
    out = {}
    for name, f in vars(module).items():
        f = getattr(f, "py_func", f)
        if callable(f) and not name.startswith("_") and getattr(f, "__module__", None) == module.__name__:
            out[name] = f
    return SimpleNamespace(**out)


#: ``sim.dynamics``' equations, called as plain Python: ``eq.trust_update(...)``
eq = _plain_equations(dynamics)
#: ``sim.draws``' functions, called as plain Python: ``rnd.uniform(key, subject, index)``, ``rnd.normal(u1, u2)``
rnd = _plain_equations(draws)

#: the cause recorded for each stage move (from, to)
MOVE_CAUSE = {(EXPLORATION, EXPANSION): TRUST_BUILT, (EXPANSION, COMMITMENT): COMMITTED,
              (COMMITMENT, EXPANSION): COMMITMENT_DECAY}
NAN = float("nan")


class Rel:
    """One exporter-buyer relationship."""

    __slots__ = (
        "id", "ex", "buyer", "stage", "born", "since", "ended", "cause", "peak",
        "tc", "tk", "ti", "trust", "commitment", "investment", "switching_cost",
        "outcome", "expectation", "satisfaction", "perceived", "shared_values",
        "communication", "preference", "order", "forecast", "level", "hist",
        "volume", "revenue", "margin", "clv", "n_orders", "low_sat", "subject",
        "w", "fill", "delivered", "ordered", "opp", "detected", "value", "payoff",
    )

    def __init__(self, rid, ex, buyer, t, shared_values, preference, n_buyers):
        self.id, self.ex, self.buyer = rid, ex, buyer
        #: the relationship's name in the draws: its pair and the tick it began
        self.subject = int(rnd.relationship_subject(ex, buyer, t, n_buyers))
        self.stage, self.born, self.since, self.ended, self.cause, self.peak = AWARENESS, t, t, -1, 0, AWARENESS
        self.tc = self.tk = self.ti = self.trust = self.commitment = 0.0
        self.investment = self.switching_cost = self.outcome = self.expectation = 0.0
        self.satisfaction = self.perceived = self.communication = 0.0
        self.shared_values, self.preference = shared_values, preference
        self.order = self.forecast = self.level = self.volume = self.revenue = self.margin = self.clv = 0.0
        self.hist = None
        self.n_orders = self.low_sat = 0

    @property
    def trading(self):
        return EXPLORATION <= self.stage <= COMMITMENT

    def draw(self, key, index=0):
        """This relationship's draw ``index`` under ``key`` (a mechanism's key of this tick)."""
        return rnd.uniform(key, self.subject, index)


class PlainExporter(mesa.Agent):
    def __init__(self, model, i):
        super().__init__(model)
        m, ex = model, model.ex
        self.i = i
        self.quality, self.price, self.unit_cost = float(ex.quality[i]), float(ex.price[i]), float(ex.unit_cost[i])
        self.opportunism, self.budget, self.capacity = float(ex.opportunism[i]), float(ex.budget[i]), float(ex.capacity[i])
        self.values = ex.values[i]
        self.acquisition_share = float(ex.acquisition_share[i])
        self.adopt(m.policies[m.policy_code[i]])
        self.rel_price = self.price / m.p["price_mean"]
        self.active, self.exited_at, self.stock = True, -1, float(ex.stock[i])
        self.season = [1.0] * m.P.season_period
        self.profit_smooth, self.neg_ticks, self.revenue_total, self.profit_total = 0.0, 0, 0.0, 0.0
        self.acquisition_total = self.retention_total = self.profit_at_round = 0.0
        self.rels: list[Rel] = []

    def adopt(self, policy):
        """Run ``policy`` from now on, with its declarative effects."""
        self.policy = policy
        self.survey, self.database = bool(policy.survey), bool(policy.database)
        self.fit_bonus, self.value_alignment = float(policy.fit_bonus), float(policy.value_alignment or 0.0)

    def talk(self, t):
        P = self.model.P
        self.acquisition = self.retention = self.programmes = self.contact = 0.0
        if not self.active:
            return
        prospects = [r for r in self.rels if r.stage == AWARENESS]
        customers = [r for r in self.rels if r.stage != AWARENESS]
        total_w = sum(r.w for r in customers)
        for r in prospects:
            r.communication = eq.communication(
                eq.contact_budget(True, len(prospects), 0.0, total_w, self.budget, self.acquisition_share), P)
        for r in customers:
            money = eq.contact_budget(False, len(prospects), r.w, total_w, self.budget, self.acquisition_share)
            r.communication = eq.communication(money, P)
            r.clv -= eq.discounted(money, t - r.born, P)
        on_prospects, on_customers = eq.contact_spend(self.budget, len(prospects) > 0, total_w > 0,
                                                      self.acquisition_share)
        self.programmes = eq.programme_cost(len(customers), t % P.survey_every == 0 and self.survey, self.database,
                                            self.value_alignment != 0.0, P)
        fair_now = (t - 1) % P.fair_every == 0 and P.fair_contacts > 0
        self.acquisition = eq.acquisition_spend(on_prospects, fair_now, P)
        self.retention = on_customers + self.programmes
        self.contact = on_prospects + on_customers
        self.acquisition_total += self.acquisition
        self.retention_total += self.retention

    def advertise(self, t, found):
        """Prospects this exporter meets: at a fair (its FAIR draws, one per contact) and through media (a
        Poisson number, its MEDIA_COUNT draw, of prospects, its MEDIA draws); and the buyers its committed
        customers refer it to (each relationship's REFERRAL draws 0 and 1)."""
        m, P = self.model, self.model.P
        if not self.active:
            return
        if (t - 1) % P.fair_every == 0 and P.fair_contacts > 0:
            found["fair"][self.i] = [m.prospect(rnd.uniform(m.key[draws.FAIR], self.i, c))
                                     for c in range(P.fair_contacts)]
        n = rnd.poisson(m.key[draws.MEDIA_COUNT], self.i, P.media_reach)
        found["media"][self.i] = [m.prospect(rnd.uniform(m.key[draws.MEDIA], self.i, c)) for c in range(n)]

    def refer(self, t, found):
        """Each committed relationship of this exporter refers it to a buyer with chance ``referral_rate``."""
        m, B = self.model, self.model.by.n
        key = m.key[draws.REFERRAL]
        for r in self.rels:
            if r.stage == COMMITMENT and r.draw(key, 0) < m.P.referral_rate:
                found["referral"].append((self.i, min(int(r.draw(key, 1) * B), B - 1)))

    def leaves(self, t):
        """Whether this exporter exits now (its EXIT draw; dynamics.exits)."""
        return self.active and eq.exits(rnd.uniform(self.model.key[draws.EXIT], self.i, 0), self.neg_ticks,
                                        self.model.P)

    def fulfil(self, t):
        m, P = self.model, self.model.P
        customers = [r for r in self.rels if r.trading]
        self.orders = sum(r.order for r in customers)
        fill = eq.fill_rate(self.stock, self.orders, self.active)
        self.delivered = self.revenue_tick = self.margin_tick = rev2 = 0.0
        for r in customers:
            b = m.buyer_list[r.buyer]
            r.fill, r.delivered, r.ordered = fill, r.order * fill, r.order > 0
            monitoring = eq.monitoring(b.monitoring, r.trust, P)
            r.opp, r.detected = eq.opportunism(r.draw(m.key[draws.FULFILMENT]), self.opportunism, monitoring,
                                               r.ordered)
            r.value = eq.delivered_value(fill, self.quality, r.opp, r.communication, self.fit_bonus, P)
            revenue, margin = eq.sale(r.delivered, self.price, self.unit_cost, r.opp, P)
            r.payoff = eq.visit_payoff(fill, r.opp, r.ordered, P)
            r.volume += r.delivered
            r.revenue += revenue
            r.margin += margin
            r.clv += eq.discounted(margin, t - r.born, P)
            r.n_orders += r.ordered
            self.delivered += r.delivered
            self.revenue_tick += revenue
            self.margin_tick += margin
            rev2 += revenue * revenue
        self.hhi = rev2 / self.revenue_tick**2 if self.revenue_tick > 0 else NAN

    def plan(self, t):
        m, P = self.model, self.model.P
        customers = [r for r in self.rels if r.trading]
        method = P.forecast_method
        m.fc_error += sum(abs(r.forecast - r.order) for r in customers)
        m.fc_actual += sum(r.order for r in customers)
        if method == SEASONAL_INDEX:
            period = P.season_period
            s_now = self.season[t % period]
            total_y = sum(r.order for r in customers)
            total_level = sum(r.level for r in customers)
            for r in customers:
                r.level = eq.seasonal_level(r.level, r.order, s_now, P)
            self.season[t % period] = eq.season_update(s_now, total_y, total_level, P)
            mean = sum(self.season) / period
            self.season = [s / mean for s in self.season]
        forecast = 0.0
        for r in customers:
            if method == MOVING_AVERAGE:
                r.hist[t % len(r.hist)] = r.order
                f = eq.moving_average(np.array(r.hist))
            elif method == EXPONENTIAL_SMOOTHING:
                f = r.level = eq.smoothed(r.level, r.order, P)
            else:
                f = r.level * self.season[(t + 1) % P.season_period]
            if P.information_sharing and r.stage == COMMITMENT:
                b = m.buyer_list[r.buyer]
                f = eq.shared_forecast(r.order, b.demand, b.expected_demand(t + 1))
            r.forecast = f
            forecast += f
        self.stock, unsold = eq.restock(self.stock, self.delivered, forecast, self.capacity, self.active, P)
        self.profit, self.holding, self.stockout = eq.exporter_profit(
            self.margin_tick, unsold, self.orders, self.delivered, self.acquisition + self.retention, self.active, P)
        self.revenue_total += self.revenue_tick
        self.profit_total += self.profit
        self.profit_smooth = eq.smoothed_profit(self.profit_smooth, self.profit)
        self.neg_ticks = self.neg_ticks + 1 if self.profit_smooth < 0 else 0


class PlainBuyer(mesa.Agent):
    def __init__(self, model, i):
        super().__init__(model)
        by = model.by
        self.i = i
        self.values = by.values[i]
        self.partnership = bool(by.partnership[i])
        self.size, self.phase = float(by.size[i]), float(by.phase[i])
        self.importance, self.price_sensitivity = float(by.importance[i]), float(by.price_sensitivity[i])
        self.wanted, self.monitoring, self.review_rate = int(by.wanted[i]), float(by.monitoring[i]), float(by.review_rate[i])
        self.rels: list[Rel] = []
        self.demand = 0.0

    def expected_demand(self, t):
        return eq.expected_demand(self.size, self.phase, t, self.model.P)

    def draw_demand(self, t):
        """This tick's demand, with noise from the buyer's two DEMAND draws (Box-Muller)."""
        key = self.model.key[draws.DEMAND]
        eps = rnd.normal(rnd.uniform(key, self.i, 0), rnd.uniform(key, self.i, 1))
        self.demand = eq.demand(self.expected_demand(t), eps, self.model.P)

    def seek(self, t, found, active):
        """A buyer short of suppliers is matched, with chance ``matching_rate`` (its MATCHING draw 0), to an
        active exporter (its draw 1)."""
        m = self.model
        key = m.key[draws.MATCHING]
        if len(self.rels) < self.wanted and rnd.uniform(key, self.i, 0) < m.P.matching_rate:
            found["matching"][self.i] = active[min(int(rnd.uniform(key, self.i, 1) * len(active)), len(active) - 1)]

    def attractiveness(self, r, trust):
        ex = self.model.exporter_list[r.ex]
        return eq.attractiveness(ex.quality, ex.rel_price, self.price_sensitivity, trust, r.commitment)

    def try_out(self, t):
        m, P = self.model, self.model.P
        aware = [r for r in self.rels if r.stage == AWARENESS and m.exporter_list[r.ex].active]
        if not aware:
            return
        n_trading = sum(1 for r in self.rels if r.trading)
        committed = any(r.stage == COMMITMENT for r in self.rels)
        key = m.key[draws.TRIAL]
        for r in aware:
            ex = m.exporter_list[r.ex]
            if r.draw(key) < eq.trial_probability(self.wanted, n_trading, len(aware), committed, ex.quality, ex.rel_price,
                                          self.price_sensitivity, r.communication, P):
                m.start_trading(r, t)

    def place_orders(self, t):
        m, P = self.model, self.model.P
        mine = [r for r in self.rels if r.trading]
        if not mine:
            return
        if P.choice_rule == LOGIT:
            x = [eq.logit_utility(self.attractiveness(r, r.trust), P) for r in mine]
            top = max(x)
            e = [eq.logit_weight(v, top) for v in x]
            total = sum(e)
            for r, ei in zip(mine, e):
                r.order = eq.logit_order(self.demand, ei, total)
        else:  # reinforcement: the largest beta J + Gumbel noise (each relationship's CHOICE draw) gets the
            # whole demand; the oldest relationship (lowest id) on a tie
            key = m.key[draws.CHOICE]
            best = max(mine, key=lambda r: (eq.reinforcement_key(r.preference, rnd.gumbel(r.draw(key)), P), -r.id))
            for r in mine:
                r.order = self.demand if r is best else 0.0

    def invest(self, t):
        P = self.model.P
        mine = [r for r in self.rels if r.trading]
        for r in mine:
            r.investment = eq.investment_update(r.investment, r.delivered, self.size, r.stage >= EXPANSION,
                                                self.partnership, P)
            r.switching_cost = eq.switching_cost(r.investment, self.importance, len(mine) - 1, P)

    def judge(self, t):
        P = self.model.P
        survey_tick = t % P.survey_every == 0
        for r in self.rels:
            if not r.trading:
                continue
            r.outcome, r.expectation, sat = eq.satisfaction_update(r.outcome, r.expectation, r.value, r.ordered, P)
            r.satisfaction = sat
            r.low_sat = eq.dissatisfied_ticks(r.low_sat, sat, P)
            x = self.model.exporter_list[r.ex]
            r.perceived = eq.perceived_satisfaction(r.perceived, r.order, r.forecast, sat, x.database,
                                                    survey_tick and x.survey)
            if x.value_alignment:
                r.shared_values = eq.align_values(r.shared_values, r.communication, x.value_alignment)
            r.tc, r.tk, r.ti, r.trust = eq.trust_update(r.tc, r.tk, r.ti, r.communication, r.shared_values, sat,
                                                        r.detected, r.stage == COMMITMENT, P)
            r.commitment = eq.commitment_update(r.commitment, r.trust, r.shared_values, r.outcome, r.switching_cost,
                                                self.partnership, r.detected, P)
            r.preference = eq.preference_update(r.preference, r.payoff, P)

    def review(self, t):
        """Stage moves and dissolutions of this buyer's trading relationships."""
        m, P = self.model, self.model.P
        live = [r for r in self.rels if r.stage != DISSOLVED]
        score = {}
        for r in live:
            ex = m.exporter_list[r.ex]
            score[r.id] = eq.alternative_attractiveness(ex.quality, ex.rel_price, self.price_sensitivity, r.trust,
                                                        r.commitment, r.stage == AWARENESS, ex.active, P)
        key = m.key[draws.REVIEW]
        for r in [r for r in live if r.trading]:
            cause = eq.ending(r.trust, r.low_sat, P)
            if not cause and P.dissolution and r.stage < COMMITMENT and r.draw(key) < self.review_rate:
                best_other = max((score[o.id] for o in live if o is not r), default=-math.inf)
                if eq.switches(score[r.id], best_other, r.switching_cost, P):
                    cause = BETTER_ALTERNATIVE
            if cause:
                m.dissolve(r, cause, t)
                continue
            to = eq.stage_move(r.stage, r.trust, r.commitment, r.n_orders, P)
            if to != r.stage:
                m.move(r, to, MOVE_CAUSE[(r.stage, to)], t)

    def lapse(self, t):
        P = self.model.P
        for r in list(self.rels):
            if r.stage == AWARENESS and t - r.since >= P.awareness_lapse:
                self.model.dissolve(r, LAPSED, t)


class PlainMarket(mesa.Model):
    """``sim.MarketModel``'s rules, one agent and one relationship at a time."""

    def __init__(self, *, rng=None, policy_mix=None, **params):
        self.p = p = validate(params)
        #: the parameter record the equations read, built from this model's own parameters
        self.P = P = record(p)
        seq = seed_sequence(rng)
        super().__init__(rng=int(seq.generate_state(1, np.uint32)[0]))
        #: the run's seed as the draws use it (as the engine derives it)
        self.draw_seed = draw_seed(seq)
        self.key = None  # this tick's key of each mechanism (draws.MECHANISMS), set by step
        population = population_generator(seq)  # traits, then the relationships that exist before tick 1
        self.ex, self.by = draw_population(p, population)
        assignment = assign_policies(policy_mix, p["policy"], self.ex.n, self.draw_seed)
        self.policies, self.policy_code = assignment.policies, assignment.code
        self.buyers = self.by  # what prospect_weights reads
        self.prospect_cdf = prospect_weights(self).tolist()  # empty: uniform
        self.exporter_list = [PlainExporter(self, i) for i in range(self.ex.n)]
        self.buyer_list = [PlainBuyer(self, i) for i in range(self.by.n)]
        self.rels: list[Rel] = []  # live relationships in creation order
        self.formed: list[Rel] = []  # every relationship ever formed
        self.pairs: dict[tuple[int, int], Rel] = {}  # latest relationship of each pair
        self.n_created = self.n_dissolved = 0
        self.event_log: list[tuple] = []
        self.rows: list[tuple] = []
        self.seed_initial(population)
        for x in self.exporter_list:  # launch stock covers the forecast of relationships already trading
            target = (1 + P.safety_stock) * sum(r.forecast for r in x.rels if r.trading)
            x.stock = max(x.stock, min(target, x.capacity))

    # ---- relationships -------------------------------------------------------------
    def log(self, t, r, frm, to, cause):
        self.event_log.append((t, r.id, r.ex, r.buyer, frm, to, cause))

    def introduce(self, candidates, t):
        """Add each new, unblocked (exporter, buyer, channel) candidate as an awareness relationship."""
        seen, added = set(), []
        for e, b, channel in candidates:
            if (e, b) in seen:
                continue
            seen.add((e, b))
            old = self.pairs.get((e, b))
            if old is not None and (old.stage != DISSOLVED or t - old.ended < self.P.cooldown):
                continue
            shared = eq.shared_values(self.exporter_list[e].values, self.buyer_list[b].values)
            r = Rel(self.n_created, e, b, t, shared, self.P.initial_preference, self.by.n)
            self.n_created += 1
            self.pairs[(e, b)] = r
            self.rels.append(r)
            self.formed.append(r)
            self.exporter_list[e].rels.append(r)
            self.buyer_list[b].rels.append(r)
            self.log(t, r, -1, AWARENESS, channel)
            added.append(r)
        return added

    def start_trading(self, r, t):
        P, b = self.P, self.buyer_list[r.buyer]
        self.log(t, r, AWARENESS, EXPLORATION, TRIAL)
        r.stage = r.peak = EXPLORATION
        r.since = t
        r.tc = r.trust = P.calculus_trust
        r.tk = r.ti = r.satisfaction = r.perceived = 0.0
        r.outcome = r.expectation = P.quality_mean
        r.level = r.forecast = float(eq.first_forecast(b.size, b.wanted))
        r.hist = [r.level] * P.forecast_window
        self.trials += 1

    def move(self, r, to, cause, t):
        self.log(t, r, r.stage, to, cause)
        r.stage, r.since, r.peak = to, t, max(r.peak, to)

    def dissolve(self, r, cause, t):
        self.log(t, r, r.stage, DISSOLVED, cause)
        self.dissolved_trading += r.stage > AWARENESS
        self.n_dissolved += 1
        r.stage, r.since, r.ended, r.cause = DISSOLVED, t, t, cause
        r.communication = 0.0
        self.exporter_list[r.ex].rels.remove(r)
        self.buyer_list[r.buyer].rels.remove(r)

    def prospect(self, u):
        """The buyer a prospect draw ``u`` picks: ``floor(u B)``, or with prospect targeting the buyer whose
        interval of the cumulative weights holds ``u``."""
        B = self.by.n
        if not self.prospect_cdf:
            return min(int(u * B), B - 1)
        return min(bisect_right(self.prospect_cdf, u), B - 1)

    def seed_initial(self, rng):
        """The relationships that exist before tick 1, drawn with the construction's generator ``rng``."""
        P, E, B = self.P, self.ex.n, self.by.n
        self.trials = 0
        if self.p["initial_awareness"] == "all":
            rels = self.introduce([(e, b, INITIAL) for e in range(E) for b in range(B)], 0)
            for r in rels:
                self.start_trading(r, 0)
            if P.initial_loyal > 0:
                fav = rng.integers(E, size=B).tolist()
                for r in rels:
                    if r.ex == fav[r.buyer]:
                        r.preference += P.initial_loyal
            return
        k = P.initial_relationships
        if k <= 0:
            return
        extra = (rng.random(B) < k - math.floor(k)).tolist()
        buyers = [b for b in range(B) for _ in range(int(math.floor(k)) + extra[b])]
        exporters = rng.integers(E, size=len(buyers)).tolist()
        self.introduce([(e, b, INITIAL) for e, b in zip(exporters, buyers)], 0)

    # ---- the tick ----------------------------------------------------------------
    def step(self):
        t = self.steps
        exporters, buyers = self.agents_by_type[PlainExporter], self.agents_by_type[PlainBuyer]
        self.trials = self.dissolved_trading = 0
        created_before, dissolved_before = self.n_created, self.n_dissolved
        self.key = [int(draws.stream_key(self.draw_seed, mechanism, t)) for mechanism in range(len(draws.MECHANISMS))]

        buyers.shuffle_do("draw_demand", t)

        self.meet(t)
        self.rels = [r for r in self.rels if r.stage != DISSOLVED]

        customers = [r for r in self.rels if r.stage != AWARENESS and self.exporter_list[r.ex].active]
        self.weigh(customers, t)
        for r in self.rels:
            r.communication = 0.0
        exporters.shuffle_do("talk", t)

        buyers.shuffle_do("try_out", t)

        trading = [r for r in self.rels if r.trading]
        buyers.shuffle_do("place_orders", t)
        exporters.shuffle_do("fulfil", t)
        buyers.shuffle_do("invest", t)
        buyers.shuffle_do("judge", t)
        self.fc_error = self.fc_actual = 0.0
        exporters.shuffle_do("plan", t)
        self.advance(t, trading)
        self.imitate(t)
        self.record(t, trading, created_before, dissolved_before)

    def meet(self, t):
        """New awareness: the agents find their candidates in any order, each with its own draws; the
        candidates are then listed by channel, and within a channel by exporter (fairs, media), buyer
        (matching) or (exporter, buyer) (referrals)."""
        active = [x.i for x in self.exporter_list if x.active]
        if not active:
            return
        found = {"fair": {}, "media": {}, "matching": {}, "referral": []}
        self.agents_by_type[PlainExporter].shuffle_do("advertise", t, found)
        self.agents_by_type[PlainBuyer].shuffle_do("seek", t, found, active)
        self.agents_by_type[PlainExporter].shuffle_do("refer", t, found)
        candidates = [(e, b, TRADE_FAIR) for e in sorted(found["fair"]) for b in found["fair"][e]]
        candidates += [(e, b, MEDIA) for e in sorted(found["media"]) for b in found["media"][e]]
        candidates += [(e, b, MATCHING) for b, e in sorted(found["matching"].items())]
        candidates += [(e, b, REFERRAL) for e, b in sorted(found["referral"])]
        self.introduce(candidates, t)

    def imitate(self, t):
        """Every imitation_every ticks each active exporter compares its profit since the last round with one
        other active exporter's (its IMITATION draw 0) and copies that one's policy with the probability of
        dynamics.imitation_probability (draw 1); all decide on the policies before the round."""
        P = self.P
        if not P.imitation_every or t % P.imitation_every != 0:
            return
        xs = self.exporter_list
        profit = [x.profit_total - x.profit_at_round for x in xs]
        for x in xs:
            x.profit_at_round = x.profit_total
        active = [x.i for x in xs if x.active]
        if len(active) < 2:
            return
        spread = max(profit[i] for i in active) - min(profit[i] for i in active)
        key = int(draws.stream_key(self.draw_seed, draws.IMITATION, t))
        before = list(self.policy_code)
        for e in active:
            others = [i for i in active if i != e]
            peer = others[min(int(rnd.uniform(key, e, 0) * len(others)), len(others) - 1)]
            if before[peer] != before[e] and rnd.uniform(key, e, 1) < eq.imitation_probability(
                    profit[e], profit[peer], spread, P):
                self.policy_code[e] = before[peer]
                xs[e].adopt(self.policies[before[peer]])

    def weigh(self, rels, t):
        """Each retention policy's weight of its exporters' customer relationships (policies are vectorised,
        one view per policy, as the engine hands them)."""
        for group, policy in enumerate(self.policies):
            mine = [r for r in rels if self.policy_code[r.ex] == group]
            view = PolicyView(
                tick=t,
                exporter=np.array([r.ex for r in mine], dtype=np.int64),
                stage=np.array([r.stage for r in mine], dtype=np.int8),
                age=np.array([t - r.born for r in mine], dtype=np.float64),
                revenue=np.array([r.revenue for r in mine], dtype=np.float64),
                last_order=np.array([r.order for r in mine], dtype=np.float64),
                perceived=np.array([r.perceived for r in mine], dtype=np.float64),
                buyer_size=np.array([self.buyer_list[r.buyer].size for r in mine], dtype=np.float64),
                rng=draws.policy_generator(self.draw_seed, t, group),
            )
            for r, w in zip(mine, np.asarray(policy.priority(view), dtype=np.float64).tolist()):
                r.w = w

    def advance(self, t, traded):
        P = self.P
        self.trading_at_start = sum(1 for r in self.rels if r.trading)
        for x in self.exporter_list:
            if x.leaves(t):
                x.active, x.exited_at = False, t
                for r in list(x.rels):
                    self.dissolve(r, EXPORTER_EXIT, t)
        if t == P.shock_tick:
            for x in self.exporter_list:
                mine = [r for r in x.rels if r.trading]
                if mine:  # the largest account by revenue so far; the oldest relationship on a tie
                    self.dissolve(max(mine, key=lambda r: (r.revenue, -r.id)), KEY_ACCOUNT_LOSS, t)
        self.rels = [r for r in self.rels if r.stage != DISSOLVED]
        buyers = self.agents_by_type[PlainBuyer]
        buyers.shuffle_do("review", t)
        if P.dissolution:
            buyers.shuffle_do("lapse", t)
        self.rels = [r for r in self.rels if r.stage != DISSOLVED]

    # ---- results ------------------------------------------------------------------
    def record(self, t, traded, created_before, dissolved_before):
        rels = self.rels
        counts = [0] * 5
        for r in rels:
            counts[r.stage] += 1
        now = [r for r in rels if r.trading]
        mean = (lambda xs: sum(xs) / len(xs)) if now else (lambda xs: NAN)
        xs = self.exporter_list
        orders, delivered = sum(x.orders for x in xs), sum(x.delivered for x in xs)
        hhi = [x.hhi for x in xs if x.active and not math.isnan(x.hhi)]
        values = [r.value for r in traded if r.ordered]
        row = dict(
            tick=t,
            n_awareness=counts[0], n_exploration=counts[1], n_expansion=counts[2], n_commitment=counts[3],
            n_live=len(rels), n_dissolved=self.n_dissolved,
            dissolutions=self.n_dissolved - dissolved_before, dissolutions_trading=self.dissolved_trading,
            new_awareness=self.n_created - created_before, trials=self.trials,
            mean_trust=mean([r.trust for r in now]),
            mean_commitment=mean([r.commitment for r in now]),
            mean_satisfaction=mean([r.satisfaction for r in now]),
            retention_rate=1.0 - self.dissolved_trading / self.trading_at_start if self.trading_at_start else NAN,
            revenue=sum(x.revenue_tick for x in xs),
            profit=sum(x.profit for x in xs),
            contact_spend=sum(x.contact for x in xs),
            acquisition_spend=sum(x.acquisition for x in xs),
            retention_spend=sum(x.retention for x in xs),
            programme_cost=sum(x.programmes for x in xs),
            customers_won=self.trials,
            forecast_mape=self.fc_error / self.fc_actual if self.fc_actual > 0 else NAN,
            fill_rate=delivered / orders if orders > 0 else NAN,
            inventory_cost=sum(x.holding + x.stockout for x in xs),
            revenue_hhi=sum(hhi) / len(hhi) if hhi else NAN,
            loyalty_y=self.loyalty(traded),
            opportunistic_acts=sum(r.opp for r in traded),
            detected_acts=sum(r.detected for r in traded),
            buyer_value=sum(values) / len(values) if values else NAN,
            active_exporters=sum(x.active for x in xs),
        )
        self.rows.append(tuple(row[c] for c in TIMESERIES_COLUMNS))

    def loyalty(self, traded):
        if not traded:
            return NAN
        s1, s2 = {}, {}
        for r in traded:
            x = r.preference if self.P.choice_rule == REINFORCEMENT else r.order
            s1[r.buyer] = s1.get(r.buyer, 0.0) + x
            s2[r.buyer] = s2.get(r.buyer, 0.0) + x * x
        y = [s2[b] / s1[b] ** 2 for b in s1 if s1[b] > 0]
        return sum(y) / len(y) if y else NAN

    @property
    def timeseries(self) -> pd.DataFrame:
        return pd.DataFrame.from_records(self.rows, columns=list(TIMESERIES_COLUMNS))

    @property
    def events(self) -> pd.DataFrame:
        return pd.DataFrame(self.event_log, columns=["tick", "relationship", "exporter", "buyer", "from_stage", "to_stage", "cause"])

    def relationship_state(self) -> pd.DataFrame:
        """Every relationship ever formed: id, stage, trust, commitment, satisfaction and customer lifetime
        value (for comparison with the engine)."""
        return pd.DataFrame(
            [(r.id, r.ex, r.buyer, r.stage, r.trust, r.commitment, r.satisfaction, r.clv) for r in self.formed],
            columns=["relationship", "exporter", "buyer", "stage", "trust", "commitment", "satisfaction", "clv"],
        ).sort_values("relationship", ignore_index=True)
