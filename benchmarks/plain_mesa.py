"""The same market written the plain Mesa way: the engine's oracle and speed baseline.

Every rule of ``sim.MarketModel`` is written again here, one relationship at a
time, in plain Python. Each tick runs the engine's phases in the same order,
and in each phase every agent of the acting kind does its part under
``model.agents_by_type[...].shuffle_do(...)``: buyers demand, try suppliers
out, order, invest, judge and review their suppliers; exporters talk, fulfil
and plan. Each relationship is a small Python object held in the lists of its
buyer and its exporter.

Two things are shared with the engine on purpose, so that both versions
simulate the same market:

* the traits of exporters and buyers (``sim.population.draw_population``) and
  the validated parameters;
* the random numbers. Each phase draws its numbers up front from the engine's
  stream, in the engine's order and amount (one per eligible relationship, in
  creation order); the agents then read the number of each relationship.
  Retention policies are vectorised plug-ins, so they are asked once per tick
  for every relationship's weight, as the engine does.

Everything else - the equations, who counts as short of suppliers, the split
of the contact budget, softmax orders, rationing, stage moves, dissolution,
cool-downs, the per-tick aggregates - is written independently of the engine
in plain Python floats. ``tests/test_oracle.py`` checks that, with randomness
fixed, both give the same trajectories; ``benchmarks`` times both.
"""

from __future__ import annotations

import math

import mesa
import numpy as np
import pandas as pd

from sim.awareness import prospect_weights
from sim.model import SORT_EVERY
from sim.parameters import CAUSES, validate
from sim.policies import PolicyView, get_policy
from sim.population import channel_efficiency, draw_population
from sim.records import TIMESERIES_COLUMNS
from sim.streams import make_streams, seed_sequence

AWARENESS, EXPLORATION, EXPANSION, COMMITMENT, DISSOLVED = range(5)
CODE = {c: i for i, c in enumerate(CAUSES)}
NAN = float("nan")


def clip(x, lo, hi):
    return lo if x < lo else hi if x > hi else x


class Rel:
    """One exporter-buyer relationship."""

    __slots__ = (
        "id", "ex", "buyer", "stage", "born", "since", "ended", "cause", "peak",
        "tc", "tk", "ti", "trust", "commitment", "investment", "switching_cost",
        "outcome", "expectation", "satisfaction", "perceived", "shared_values",
        "communication", "preference", "order", "forecast", "level", "hist",
        "volume", "revenue", "margin", "n_orders", "low_sat",
        "u", "w", "fill", "delivered", "ordered", "opp", "detected", "value", "payoff",
    )

    def __init__(self, rid, ex, buyer, t, shared_values, preference):
        self.id, self.ex, self.buyer = rid, ex, buyer
        self.stage, self.born, self.since, self.ended, self.cause, self.peak = AWARENESS, t, t, -1, 0, AWARENESS
        self.tc = self.tk = self.ti = self.trust = self.commitment = 0.0
        self.investment = self.switching_cost = self.outcome = self.expectation = 0.0
        self.satisfaction = self.perceived = self.communication = 0.0
        self.shared_values, self.preference = shared_values, preference
        self.order = self.forecast = self.level = self.volume = self.revenue = self.margin = 0.0
        self.hist = None
        self.n_orders = self.low_sat = 0

    @property
    def trading(self):
        return EXPLORATION <= self.stage <= COMMITMENT


class PlainExporter(mesa.Agent):
    def __init__(self, model, i):
        super().__init__(model)
        m, ex = model, model.ex
        self.i = i
        self.quality, self.price, self.unit_cost = float(ex.quality[i]), float(ex.price[i]), float(ex.unit_cost[i])
        self.opportunism, self.budget, self.capacity = float(ex.opportunism[i]), float(ex.budget[i]), float(ex.capacity[i])
        self.values = [float(x) for x in ex.values[i]]
        self.rel_price = self.price / m.p["price_mean"]
        self.active, self.exited_at, self.stock = True, -1, float(ex.stock[i])
        self.season = [1.0] * m.p["season_period"]
        self.profit_smooth, self.neg_ticks, self.revenue_total, self.profit_total = 0.0, 0, 0.0, 0.0
        self.rels: list[Rel] = []

    def talk(self, t):
        p = self.model.p
        if not self.active:
            self.spend = 0.0
            return
        prospects = [r for r in self.rels if r.stage == AWARENESS]
        customers = [r for r in self.rels if r.stage != AWARENESS]
        acq = self.budget * p["acquisition_share"]
        ret = self.budget * (1.0 - p["acquisition_share"])
        eff = self.model.efficiency
        for r in prospects:
            r.communication = 1.0 - math.exp(-eff * (acq / len(prospects)))
        total_w = sum(r.w for r in customers)
        for r in customers:
            r.communication = 1.0 - math.exp(-eff * (ret * r.w / total_w if total_w > 0 else 0.0))
        self.spend = ((acq if prospects else 0.0) + (ret if total_w > 0 else 0.0)) * p["contact_cost"]

    def fulfil(self, t):
        p, m = self.model.p, self.model
        customers = [r for r in self.rels if r.trading]
        self.orders = sum(r.order for r in customers)
        fill = (min(1.0, self.stock / max(self.orders, 1e-12)) if self.orders > 0 else 1.0) if self.active else 0.0
        self.delivered = self.revenue_tick = self.margin_tick = rev2 = 0.0
        for r in customers:
            b = m.buyer_list[r.buyer]
            r.fill, r.delivered, r.ordered = fill, r.order * fill, r.order > 0
            r.opp = r.ordered and r.u < self.opportunism
            mon = b.monitoring
            if p["excessive_trust"]:
                over = clip((r.trust - p["excessive_trust_threshold"]) / max(1.0 - p["excessive_trust_threshold"], 1e-9), 0.0, 1.0)
                mon = mon * (1.0 - p["excessive_trust_strength"] * over)
            r.detected = r.opp and r.u < self.opportunism * mon  # the act's own draw decides detection too
            kept = 1.0 - p["shading"] * r.opp
            r.value = fill * self.quality * kept + m.policy.fit_bonus * r.communication
            revenue = r.delivered * self.price
            margin = r.delivered * (self.price - self.unit_cost * (1.0 - 0.5 * p["shading"] * r.opp))
            r.volume += r.delivered
            r.revenue += revenue
            r.margin += margin
            r.n_orders += r.ordered
            r.payoff = p["profit"] * fill * kept * r.ordered
            self.delivered += r.delivered
            self.revenue_tick += revenue
            self.margin_tick += margin
            rev2 += revenue * revenue
        self.hhi = rev2 / self.revenue_tick**2 if self.revenue_tick > 0 else NAN

    def plan(self, t):
        p, m = self.model.p, self.model
        customers = [r for r in self.rels if r.trading]
        alpha, method = p["forecast_alpha"], p["forecast_method"]
        m.fc_error += sum(abs(r.forecast - r.order) for r in customers)
        m.fc_actual += sum(r.order for r in customers)
        if method == "seasonal_index":
            P = p["season_period"]
            s_now = self.season[t % P]
            total_y = sum(r.order for r in customers)
            total_level = sum(r.level for r in customers)
            for r in customers:
                r.level = alpha * r.order / s_now + (1 - alpha) * r.level
            self.season[t % P] = (1 - alpha) * s_now + alpha * (total_y / max(total_level, 1e-12) if total_level > 0 else s_now)
            mean = sum(self.season) / P
            self.season = [s / mean for s in self.season]
        target = 0.0
        for r in customers:
            if method == "moving_average":
                r.hist[t % len(r.hist)] = r.order
                f = sum(r.hist) / len(r.hist)
            elif method == "exponential_smoothing":
                f = r.level = alpha * r.order + (1 - alpha) * r.level
            else:
                f = r.level * self.season[(t + 1) % p["season_period"]]
            if p["information_sharing"] and r.stage == COMMITMENT:
                b = m.buyer_list[r.buyer]
                f = (r.order / max(b.demand, 1e-12) if b.demand > 0 else 0.0) * b.expected_demand(t + 1)
            r.forecast = f
            target += f
        left = max(self.stock - self.delivered, 0.0)
        self.holding = p["holding_cost"] * left
        self.stockout = p["stockout_cost"] * (self.orders - self.delivered)
        target *= 1 + p["safety_stock"]
        self.stock = left + clip(target - left, 0.0, self.capacity) if self.active else 0.0
        profit = self.margin_tick - self.holding - self.stockout - self.spend if self.active else 0.0
        self.profit = profit
        self.revenue_total += self.revenue_tick
        self.profit_total += profit
        self.profit_smooth = 0.9 * self.profit_smooth + 0.1 * profit
        self.neg_ticks = self.neg_ticks + 1 if self.profit_smooth < 0 else 0


class PlainBuyer(mesa.Agent):
    def __init__(self, model, i):
        super().__init__(model)
        by = model.by
        self.i = i
        self.values = [float(x) for x in by.values[i]]
        self.partnership = bool(by.partnership[i])
        self.size, self.phase = float(by.size[i]), float(by.phase[i])
        self.importance, self.price_sensitivity = float(by.importance[i]), float(by.price_sensitivity[i])
        self.wanted, self.monitoring, self.review_rate = int(by.wanted[i]), float(by.monitoring[i]), float(by.review_rate[i])
        self.rels: list[Rel] = []
        self.demand = 0.0

    def expected_demand(self, t):
        p = self.model.p
        season = 1.0 + p["season_amplitude"] * math.sin(2 * math.pi * (t / p["season_period"] + self.phase))
        return self.size * max(0.0, 1.0 + p["demand_trend"] * t) * season

    def draw_demand(self, t, eps):
        self.demand = self.expected_demand(t) * max(0.0, 1.0 + self.model.p["demand_noise"] * eps[self.i])

    def attractiveness(self, r, trust):
        ex = self.model.exporter_list[r.ex]
        return ex.quality - self.price_sensitivity * (ex.rel_price - 1.0) + trust + r.commitment

    def try_out(self, t):
        m, p = self.model, self.model.p
        aware = [r for r in self.rels if r.stage == AWARENESS and m.exporter_list[r.ex].active]
        if not aware:
            return
        n_trading = sum(1 for r in self.rels if r.trading)
        committed = any(r.stage == COMMITMENT for r in self.rels)
        need = min(1.0, max(self.wanted - n_trading, 0) / len(aware)) * (0.1 if committed else 1.0)
        for r in aware:
            ex = m.exporter_list[r.ex]
            appeal = clip(0.5 + ex.quality - m.expected_value - self.price_sensitivity * (ex.rel_price - 1.0), 0.1, 1.0)
            if r.u < p["trial_rate"] * need * appeal * (0.5 + r.communication):
                m.start_trading(r, t)

    def place_orders(self, t):
        p = self.model.p
        mine = [r for r in self.rels if r.trading]
        if not mine:
            return
        if p["choice_rule"] == "logit":
            x = [p["beta"] * self.attractiveness(r, r.trust) for r in mine]
            top = max(x)
            e = [math.exp(v - top) for v in x]
            total = sum(e)
            for r, ei in zip(mine, e):
                r.order = self.demand * (ei / total)
        else:
            key = [p["beta"] * r.preference + r.u for r in mine]
            best = key.index(max(key))
            for k, r in enumerate(mine):
                r.order = self.demand if k == best else 0.0

    def invest(self, t):
        p = self.model.p
        mine = [r for r in self.rels if r.trading]
        rate = p["investment_rate"] * (2.0 if self.partnership else 1.0)
        for r in mine:
            r.investment = r.investment * (1.0 - p["investment_depreciation"]) + (
                rate * (r.delivered / self.size) if r.stage >= EXPANSION else 0.0
            )
            r.switching_cost = p["switching_cost_strength"] * (
                r.investment + self.importance * math.exp(-0.5 * (len(mine) - 1))
            )

    def judge(self, t):
        m, p = self.model, self.model.p
        policy = m.policy
        s, a = p["satisfaction_smoothing"], p["expectation_adaptation"]
        for r in self.rels:
            if not r.trading:
                continue
            if r.ordered:
                r.outcome = (1.0 - s) * r.outcome + s * r.value
                r.expectation = (1.0 - a) * r.expectation + a * r.value
            sat = r.satisfaction = r.outcome - r.expectation
            r.low_sat = r.low_sat + 1 if sat < p["dissatisfaction_level"] else 0
            proxy = clip(r.order / max(r.forecast, 1e-12) - 1.0 if r.forecast > 0 else 0.0, -1.0, 1.0) * 0.5
            perceived = 0.8 * r.perceived + 0.2 * proxy
            if policy.database:
                perceived = 0.5 * perceived + 0.5 * sat
            if policy.survey and t % p["survey_every"] == 0:
                perceived = sat
            r.perceived = perceived
            if policy.value_alignment:
                r.shared_values += policy.value_alignment * r.communication * (1.0 - r.shared_values)
            # trust: calculus wears off, knowledge builds with contact, values and good outcomes
            sve = p["shared_values_effect"]
            up = p["communication_effect"] * r.communication + 0.5 * sve * r.shared_values + 2.0 * max(sat, 0.0)
            down = 2.0 * max(-sat, 0.0)
            tc = r.tc * (1.0 - p["calculus_decay"])
            tk = r.tk + min(p["trust_gain"] * up, 1.0) * (1.0 - r.tk) - min(p["trust_loss"] * down, r.tk)
            ti = r.ti
            if r.stage == COMMITMENT:
                ti += min(p["identification_gain"] * sve * r.shared_values, 1.0) * (1.0 - r.ti)
            keep = 1.0 - p["opportunism_penalty"] if r.detected else 1.0
            r.tc, r.tk, r.ti = clip(tc * keep, 0.0, 1.0), clip(tk * keep, 0.0, 1.0), clip(ti * keep, 0.0, 1.0)
            r.trust = 1.0 - (1.0 - r.tc) * (1.0 - r.tk) * (1.0 - r.ti)
            # commitment: trust, values, benefits and switching costs drive it; it decays
            sc = r.switching_cost
            drive = 0.4 * r.trust + 0.2 * min(1.0, sve * r.shared_values) + 0.2 * clip(r.outcome, 0.0, 1.0) + 0.2 * sc / (1.0 + sc)
            orientation = 1.0 if self.partnership else 0.5
            c = r.commitment
            c = c + p["commitment_gain"] * orientation * drive * (1.0 - c) - p["commitment_decay"] * c
            if r.detected:  # a detected opportunistic act breaks the promise of continuity
                c *= 1.0 - p["opportunism_commitment_loss"]
            r.commitment = clip(c, 0.0, 1.0)
            r.preference = (1.0 - p["gamma"]) * r.preference + r.payoff

    def review(self, t):
        """Stage moves and dissolutions of this buyer's trading relationships."""
        m, p = self.model, self.model.p
        live = [r for r in self.rels if r.stage != DISSOLVED]
        score = {}
        for r in live:
            active = m.exporter_list[r.ex].active
            score[r.id] = self.attractiveness(r, p["calculus_trust"] if r.stage == AWARENESS else r.trust) if active else -math.inf
        for r in [r for r in live if r.trading]:
            stage, trust, c = r.stage, r.trust, r.commitment
            if p["dissolution"]:
                cause = None
                if trust < p["breakdown_trust"]:
                    cause = "trust_breakdown"
                elif r.low_sat >= p["patience"]:
                    cause = "dissatisfaction"
                elif stage < COMMITMENT and r.u < self.review_rate:
                    best_other = max((score[o.id] for o in live if o is not r), default=-math.inf)
                    if best_other - score[r.id] > r.switching_cost + p["switch_margin"]:
                        cause = "better_alternative"
                if cause:
                    m.dissolve(r, cause, t)
                    continue
            if stage == EXPLORATION and trust >= p["expansion_trust"] and r.n_orders >= p["min_trials"]:
                m.move(r, EXPANSION, "trust_built", t)
            elif stage == EXPANSION and c >= p["commitment_threshold"] and trust >= p["expansion_trust"]:
                m.move(r, COMMITMENT, "committed", t)
            elif stage == COMMITMENT and c < p["commitment_threshold"] - p["hysteresis"]:
                m.move(r, EXPANSION, "commitment_decay", t)

    def lapse(self, t):
        p = self.model.p
        for r in list(self.rels):
            if r.stage == AWARENESS and t - r.since >= p["awareness_lapse"]:
                self.model.dissolve(r, "lapsed", t)


class PlainMarket(mesa.Model):
    """``sim.MarketModel``'s rules, one agent and one relationship at a time."""

    def __init__(self, *, rng=None, **params):
        self.p = p = validate(params)
        seq = seed_sequence(rng)
        super().__init__(rng=int(seq.generate_state(1, np.uint32)[0]))
        self.streams = make_streams(seq)
        self.policy = get_policy(p["policy"])
        self.ex, self.by = draw_population(p, self.streams["population"])
        self.buyers = self.by  # what prospect_weights reads
        self.prospect_cdf = prospect_weights(self)
        self.expected_value = float(p["quality_mean"])
        self.efficiency = channel_efficiency(p["channel"])
        self.exporter_list = [PlainExporter(self, i) for i in range(self.ex.n)]
        self.buyer_list = [PlainBuyer(self, i) for i in range(self.by.n)]
        self.rels: list[Rel] = []  # live relationships in creation order
        self.formed: list[Rel] = []  # every relationship ever formed
        self.pairs: dict[tuple[int, int], Rel] = {}  # latest relationship of each pair
        self.n_created = self.n_dissolved = 0
        self.event_log: list[tuple] = []
        self.rows: list[tuple] = []
        self.seed_initial()
        for x in self.exporter_list:  # launch stock covers the forecast of relationships already trading
            target = (1 + p["safety_stock"]) * sum(r.forecast for r in x.rels if r.trading)
            x.stock = max(x.stock, min(target, x.capacity))

    # ---- relationships -------------------------------------------------------------
    def log(self, t, r, frm, to, cause):
        self.event_log.append((t, r.id, r.ex, r.buyer, frm, to, CODE[cause]))

    def introduce(self, candidates, t):
        """Add each new, unblocked (exporter, buyer, channel) candidate as an awareness relationship."""
        seen, added = set(), []
        for e, b, channel in candidates:
            if (e, b) in seen:
                continue
            seen.add((e, b))
            old = self.pairs.get((e, b))
            if old is not None and (old.stage != DISSOLVED or t - old.ended < self.p["cooldown"]):
                continue
            ve, vb = self.exporter_list[e].values, self.buyer_list[b].values
            r = Rel(self.n_created, e, b, t, 0.5 * (1.0 + sum(x * y for x, y in zip(ve, vb))), self.p["initial_preference"])
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
        p, b = self.p, self.buyer_list[r.buyer]
        self.log(t, r, AWARENESS, EXPLORATION, "trial")
        r.stage = r.peak = EXPLORATION
        r.since = t
        r.tc = r.trust = p["calculus_trust"]
        r.tk = r.ti = r.satisfaction = r.perceived = 0.0
        r.outcome = r.expectation = self.expected_value
        r.level = r.forecast = b.size / b.wanted
        r.hist = [r.level] * p["forecast_window"]
        self.trials += 1

    def move(self, r, to, cause, t):
        self.log(t, r, r.stage, to, cause)
        r.stage, r.since, r.peak = to, t, max(r.peak, to)

    def dissolve(self, r, cause, t):
        self.log(t, r, r.stage, DISSOLVED, cause)
        self.dissolved_trading += r.stage > AWARENESS
        self.n_dissolved += 1
        r.stage, r.since, r.ended, r.cause = DISSOLVED, t, t, CODE[cause]
        r.communication = 0.0
        self.exporter_list[r.ex].rels.remove(r)
        self.buyer_list[r.buyer].rels.remove(r)

    def prospects(self, n, rng):
        if self.prospect_cdf is None:
            return rng.integers(self.by.n, size=n).tolist()
        return np.minimum(np.searchsorted(self.prospect_cdf, rng.random(n)), self.by.n - 1).tolist()

    def seed_initial(self):
        p, rng, E, B = self.p, self.streams["population"], self.ex.n, self.by.n
        self.trials = 0
        if p["initial_awareness"] == "all":
            rels = self.introduce([(e, b, "initial") for e in range(E) for b in range(B)], 0)
            for r in rels:
                self.start_trading(r, 0)
            if p["initial_loyal"] > 0:
                fav = rng.integers(E, size=B).tolist()
                for r in rels:
                    if r.ex == fav[r.buyer]:
                        r.preference += p["initial_loyal"]
            return
        k = p["initial_relationships"]
        if k <= 0:
            return
        extra = (rng.random(B) < k - math.floor(k)).tolist()
        buyers = [b for b in range(B) for _ in range(int(math.floor(k)) + extra[b])]
        exporters = rng.integers(E, size=len(buyers)).tolist()
        self.introduce([(e, b, "initial") for e, b in zip(exporters, buyers)], 0)

    def draw(self, stream, rels, name="u", kind="random"):
        """One number per relationship of ``rels``, from the engine's stream, in creation order."""
        rng = self.streams[stream]
        u = (rng.random(len(rels)) if kind == "random" else rng.gumbel(size=len(rels))).tolist()
        for r, x in zip(rels, u):
            setattr(r, name, x)

    # ---- the tick ----------------------------------------------------------------
    def step(self):
        t, p = self.steps, self.p
        exporters, buyers = self.agents_by_type[PlainExporter], self.agents_by_type[PlainBuyer]
        self.trials = self.dissolved_trading = 0
        created_before, dissolved_before = self.n_created, self.n_dissolved

        eps = self.streams["demand"].standard_normal(self.by.n).tolist()
        buyers.shuffle_do("draw_demand", t, eps)

        self.meet(t)
        self.rels = [r for r in self.rels if r.stage != DISSOLVED]

        customers = [r for r in self.rels if r.stage != AWARENESS and self.exporter_list[r.ex].active]
        self.weigh(customers, t)
        for r in self.rels:
            r.communication = 0.0
        exporters.shuffle_do("talk", t)

        self.draw("trial", [r for r in self.rels if r.stage == AWARENESS and self.exporter_list[r.ex].active])
        buyers.shuffle_do("try_out", t)

        trading = [r for r in self.rels if r.trading]
        if p["choice_rule"] == "reinforcement":
            self.draw("choice", trading, kind="gumbel")
        buyers.shuffle_do("place_orders", t)
        self.draw("fulfilment", trading)
        exporters.shuffle_do("fulfil", t)
        buyers.shuffle_do("invest", t)
        buyers.shuffle_do("judge", t)
        self.fc_error = self.fc_actual = 0.0
        exporters.shuffle_do("plan", t)
        self.advance(t, trading)
        self.record(t, trading, created_before, dissolved_before)
        if t % SORT_EVERY == 0:  # the engine puts its relationships in buyer order (a stable sort)
            self.rels.sort(key=lambda r: r.buyer)
            position = {id(r): k for k, r in enumerate(self.rels)}
            for x in self.exporter_list:
                x.rels.sort(key=lambda r: position[id(r)])

    def meet(self, t):
        p, rng = self.p, self.streams["awareness"]
        active = [x.i for x in self.exporter_list if x.active]
        if not active:
            return
        candidates = []
        if (t - 1) % p["fair_every"] == 0 and p["fair_contacts"] > 0:
            es = [e for e in active for _ in range(p["fair_contacts"])]
            candidates += [(e, b, "trade_fair") for e, b in zip(es, self.prospects(len(es), rng))]
        k = rng.poisson(p["media_reach"], len(active)).tolist()
        es = [e for e, n in zip(active, k) for _ in range(n)]
        candidates += [(e, b, "media") for e, b in zip(es, self.prospects(len(es), rng))]
        u = rng.random(self.by.n).tolist()
        short = [b.i for b in self.buyer_list if len(b.rels) < b.wanted and u[b.i] < p["matching_rate"]]
        pick = rng.integers(len(active), size=len(short)).tolist()
        candidates += [(active[j], b, "matching") for j, b in zip(pick, short)]
        committed = [r for r in self.rels if r.stage == COMMITMENT]
        u = rng.random(len(committed)).tolist()
        referrers = [r.ex for r, x in zip(committed, u) if x < p["referral_rate"]]
        candidates += [(e, b, "referral") for e, b in zip(referrers, rng.integers(self.by.n, size=len(referrers)).tolist())]
        self.introduce(candidates, t)

    def weigh(self, rels, t):
        """The retention policy's weight of each customer relationship (policies are vectorised)."""
        view = PolicyView(
            tick=t,
            exporter=np.array([r.ex for r in rels], dtype=np.int64),
            stage=np.array([r.stage for r in rels], dtype=np.int8),
            age=np.array([t - r.born for r in rels], dtype=np.float64),
            revenue=np.array([r.revenue for r in rels], dtype=np.float64),
            last_order=np.array([r.order for r in rels], dtype=np.float64),
            perceived=np.array([r.perceived for r in rels], dtype=np.float64),
            buyer_size=np.array([self.buyer_list[r.buyer].size for r in rels], dtype=np.float64),
            rng=self.streams["policy"],
        )
        for r, w in zip(rels, np.asarray(self.policy.priority(view), dtype=np.float64).tolist()):
            r.w = w

    def advance(self, t, traded):
        p = self.p
        self.trading_at_start = sum(1 for r in self.rels if r.trading)
        u = self.streams["exit"].random(self.ex.n).tolist()
        for x in self.exporter_list:
            if x.active and (u[x.i] < p["exit_rate"] or x.neg_ticks >= p["exit_patience"]):
                x.active, x.exited_at = False, t
                for r in list(x.rels):
                    self.dissolve(r, "exporter_exit", t)
        if t == p["shock_tick"]:
            for x in self.exporter_list:
                mine = [r for r in x.rels if r.trading]
                if mine:
                    top = max(r.revenue for r in mine)
                    self.dissolve(next(r for r in mine if r.revenue == top), "key_account_loss", t)
        self.rels = [r for r in self.rels if r.stage != DISSOLVED]
        self.draw("lifecycle", [r for r in self.rels if r.trading])
        buyers = self.agents_by_type[PlainBuyer]
        buyers.shuffle_do("review", t)
        if p["dissolution"]:
            buyers.shuffle_do("lapse", t)
        self.rels = [r for r in self.rels if r.stage != DISSOLVED]

    # ---- results ------------------------------------------------------------------
    def record(self, t, traded, created_before, dissolved_before):
        p, rels = self.p, self.rels
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
            contact_spend=sum(x.spend for x in xs),
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
            x = r.preference if self.p["choice_rule"] == "reinforcement" else r.order
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
        """Every relationship ever formed: id, stage, trust, commitment (for comparison with the engine)."""
        return pd.DataFrame(
            [(r.id, r.ex, r.buyer, r.stage, r.trust, r.commitment, r.satisfaction) for r in self.formed],
            columns=["relationship", "exporter", "buyer", "stage", "trust", "commitment", "satisfaction"],
        ).sort_values("relationship", ignore_index=True)
