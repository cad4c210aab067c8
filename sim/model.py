"""The market: exporters and buyers trading, talking and judging each other.

``MarketModel`` is a ``mesa.Model``. Each tick runs these phases, in order::

    demand      buyers' demand for this tick                                  trade.draw_demand
    meet        new awareness: trade fairs, media, matching, referrals        awareness.meet
    talk        exporters spend their contact budget (retention policy)       communication.talk
    try_out     aware buyers in need place trial orders                       lifecycle.try_out
    order       buyers split demand over suppliers (logit or reinforcement)   trade.place_orders
    fulfil      delivery from stock; opportunistic acts and their detection   trade.fulfil
    invest      relationship-specific investment and switching costs          (fulfil's pass)
    judge       satisfaction, trust, commitment, preferences                  (fulfil's pass)
    plan        forecasts, next tick's stock, inventory costs, profit         (fulfil's pass), trade.plan
    advance     exporter exits, stage moves, dissolutions                     lifecycle.advance
    imitate     every imitation_every ticks: exporters copy profitable peers  imitation.imitate
    record      one row of the timeseries                                     Recorder.record

Each phase is a compiled pass over the ledger's rows that calls the equations of ``sim.dynamics``;
each takes what it needs and returns what it leaves as a typed value.
"""

from __future__ import annotations

import inspect
from functools import partial
from typing import NamedTuple

import mesa
import numpy as np
import pandas as pd

from . import awareness, communication, imitation, lifecycle, trade
from .agents import Buyer, Exporter
from .ledger import ROOM, Ledger
from .parameters import BY_NAME, docstring_table, record, signature, validate
from .policies import Assignment, assign_policies, effects, get_policy
from .population import draw_population
from .records import Recorder
from .draws import stream_key
from .streams import draw_seed, population_generator, seed_sequence
from .sums import group_total
from .vocab import CAUSES, MOVING_AVERAGE, STAGES

#: how often long-dissolved rows are moved out of the ledger's arrays
COMPACT_EVERY = 10
#: how often the ledger's rows are put in buyer order (for memory locality only: results do not depend on it)
SORT_EVERY = 10


def _last_recorded(name: str, model) -> float:
    """Mesa DataCollector reporter: ``name`` in the last timeseries row (picklable, unlike a lambda)."""
    return model.recorder.latest(name)


class Tick(NamedTuple):
    """What the phases of one tick handed each other, for the record of the tick."""

    dissolved_before: int
    created_before: int
    demand: np.ndarray
    contacts: communication.Contacts
    trials: lifecycle.Trials
    orders: trade.Orders
    deliveries: trade.Deliveries
    accounts: trade.Accounts
    changes: lifecycle.Changes


class MarketModel(mesa.Model):
    """A market of exporters and buyers whose relationships form, deepen and dissolve.

    All arguments are keyword-only; each has a default (see ``sim.parameters``):

{params}

    policy_mix : None, mapping or sequence
        Exporters running different retention policies in one market: ``{policy: share}`` (shares summing
        to 1; which exporters run which policy is drawn from the seed alone, see
        ``sim.policies.assign_policies``) or one policy name per exporter. None: every exporter runs
        ``policy``.
    rng : None, int, numpy SeedSequence or Generator
        Seed of the run, made a ``numpy.random.SeedSequence``. The traits drawn at construction come
        from its first child; every draw during the run is a pure function of the run's seed, the
        mechanism, the tick and the agent or relationship it concerns (``sim.draws``).

    After ``run_for(n)``: ``timeseries`` (one row per tick), ``events`` (one
    row per stage transition) and ``relationships`` (one row per relationship).
    """

    def __init__(self, *, rng=None, policy_mix=None, **params):
        self.p = validate(params)
        #: the parameters as the engine reads them (``sim.parameters.record``)
        self.P = record(self.p)
        seq = seed_sequence(rng)
        self.seed_entropy = seq.entropy
        super().__init__(rng=int(seq.generate_state(1, np.uint32)[0]))
        #: the run's seed as the order-free draws use it (sim.draws.stream_key)
        self.draw_seed = draw_seed(seq)
        population = population_generator(seq)  # traits, then the relationships that exist before tick 1
        self.exporters, self.buyers = draw_population(self.p, population)
        assignment = assign_policies(policy_mix, self.p["policy"], self.exporters.n, self.draw_seed)
        #: the retention policies of the market; exporter e runs ``policies[exporters.policy[e]]``
        self.policies = assignment.policies
        self.exporters.policy = assignment.code
        for name, value in effects(assignment)._asdict().items():
            setattr(self.exporters, name, value)
        self._shares: list[tuple[int, int, int]] = []  # (tick, policy code, active exporters running it)
        self._record_shares(0)
        self.relative_price = self.exporters.price / self.p["price_mean"]
        self.prospect_cdf = awareness.prospect_weights(self)

        # the order history is read only by the moving-average forecast
        hist = self.P.forecast_window if self.P.forecast_method == MOVING_AVERAGE else 0
        self.ledger = Ledger(self.buyers.n, hist_width=hist)
        self.recorder = Recorder(self.ledger)
        awareness.seed_initial(self, population)
        self.ledger.reserve(int(ROOM * self.ledger.n))  # the room compaction would leave: no growth in the first ticks
        trade.launch_stock(self)

        Exporter.create_agents(self, self.exporters.n, np.arange(self.exporters.n))
        Buyer.create_agents(self, self.buyers.n, np.arange(self.buyers.n))
        self.datacollector = mesa.DataCollector(
            model_reporters={
                name: partial(_last_recorded, name)
                for name in ("n_awareness", "n_exploration", "n_expansion", "n_commitment", "n_dissolved",
                             "mean_trust", "mean_commitment", "retention_rate", "revenue", "profit", "loyalty_y")
            }
        )

    # ---- the tick ----------------------------------------------------------------
    def step(self) -> None:
        """Advance the market by one tick (see the module docstring for the phases)."""
        t = self.steps
        L = self.ledger
        dissolved_before, created_before = self.recorder.n_dissolved, L.n_created
        demand = trade.draw_demand(self, t)
        awareness.meet(self, t)
        contacts = communication.talk(self, t)
        trials = lifecycle.try_out(self, t, contacts)
        orders = trade.place_orders(self, t, demand, trials.rows, trials.n_trading)
        deliveries = trade.fulfil(self, t, demand, orders, trials.n_trading)  # with invest, judge, forecasts
        accounts = trade.plan(self, deliveries, contacts, trials.won)
        changes = lifecycle.advance(self, t, trials.rows)
        imitation.imitate(self, t)
        if self.P.imitation_every and t % self.P.imitation_every == 0:
            self._record_shares(t)
        #: what the phases of the last tick handed each other (read by the recorder, dashboards and tests)
        self.last_tick = Tick(dissolved_before, created_before, demand, contacts, trials, orders, deliveries, accounts,
                              changes)
        self.recorder.record(self, t, self.last_tick)
        self.datacollector.collect(self)
        # housekeeping, with no effect on results (draws and sums are order-free): dissolved rows go to the
        # archive, and every SORT_EVERY ticks the rows are put in buyer order (memory locality)
        sort = t % SORT_EVERY == 0
        if t % COMPACT_EVERY == 0:
            L.compact(t, self.P.cooldown, by_buyer=sort)
        elif sort:
            L.sort_by_buyer()

    @property
    def policy(self):
        """The retention policy every exporter runs (a market with a ``policy_mix`` has ``policies``)."""
        if len(self.policies) > 1:
            raise AttributeError("this market mixes retention policies: see model.policies and exporters.policy")
        return self.policies[0]

    def set_levers(self, exporter: int, *, policy: str | None = None, acquisition_share: float | None = None) -> None:
        """Change one exporter's levers from the next tick on (a classroom game, a manager's decision).

        ``policy``: a registered retention policy's name (added to ``policies`` if the market does not have it
        yet), with its declarative effects; ``acquisition_share``: the share of its relationship budget spent
        on prospects, in [0, 1]. Raises ValueError naming the field, the value and what is allowed.
        """
        ex = self.exporters
        if isinstance(exporter, bool) or not isinstance(exporter, (int, np.integer)) or not 0 <= exporter < ex.n:
            raise ValueError(f"exporter={exporter!r} is not allowed: expected an exporter id in [0, {ex.n - 1}]")
        if acquisition_share is not None:
            share = BY_NAME["acquisition_share"].check(acquisition_share)
        if policy is not None:
            names = [p.name for p in self.policies]
            if policy not in names:
                self.policies = (*self.policies, get_policy(policy))  # ValueError for an unknown name
                names.append(policy)
            ex.policy[exporter] = names.index(policy)
            for name, value in effects(Assignment(self.policies, ex.policy))._asdict().items():
                setattr(ex, name, value)
        if acquisition_share is not None:
            ex.acquisition_share[exporter] = share

    def _record_shares(self, t: int) -> None:
        counts = np.bincount(self.exporters.policy[self.exporters.active], minlength=len(self.policies))
        self._shares.extend((t, j, int(c)) for j, c in enumerate(counts))

    @property
    def policy_shares(self) -> pd.DataFrame:
        """Active exporters running each policy at tick 0 and after every imitation round: tick,
        exporter_policy, exporters, share (of the active exporters)."""
        df = pd.DataFrame(self._shares, columns=["tick", "code", "exporters"])
        df["exporter_policy"] = pd.Categorical.from_codes(df["code"], categories=[p.name for p in self.policies])
        total = df.groupby("tick")["exporters"].transform("sum")
        df["share"] = np.divide(df["exporters"], total, out=np.full(len(df), np.nan), where=total > 0)
        return df[["tick", "exporter_policy", "exporters", "share"]]

    def stream_key(self, mechanism: int, t: int) -> np.uint64:
        """The key of a mechanism's draws at tick ``t`` in this run (sim.draws)."""
        return stream_key(self.draw_seed, mechanism, t)

    def expected_demand(self, t: int) -> np.ndarray:
        """Each buyer's expected demand at tick ``t`` (what it shares when committed); read-only.

        Remembered for the last tick asked: tick t's sharing and tick t + 1's demand draw ask for the same.
        """
        memo = self.__dict__.get("_expected_memo")
        if memo is None or memo[0] != t:
            value = trade.expected_demand(self, t)
            value.flags.writeable = False
            memo = self._expected_memo = (t, value)
        return memo[1]

    # ---- results -----------------------------------------------------------------
    @property
    def timeseries(self) -> pd.DataFrame:
        """One row per tick: stage counts, dissolutions, trust, commitment, money, forecasting, loyalty."""
        return self.recorder.timeseries()

    @property
    def events(self) -> pd.DataFrame:
        """One row per stage transition: tick, relationship, exporter, buyer, from_stage, to_stage, cause."""
        return self.recorder.event_table()

    @property
    def snapshots(self) -> pd.DataFrame:
        """Live relationships every ``snapshot_every`` ticks (empty when 0)."""
        return self.recorder.snapshots()

    @property
    def relationships(self) -> pd.DataFrame:
        """One row per relationship ever formed, in its current (or final) state."""
        t = self.ledger.table()
        order = np.argsort(t["id"], kind="stable")  # by relationship
        cols = {("relationship" if k == "id" else k): v[order] for k, v in t.items()
                if k not in ("order", "forecast", "level", "low_sat")}
        cols["duration"] = np.where(cols["ended"] >= 0, cols["ended"], self.steps) - cols["born"]
        for name, names in (("stage", STAGES), ("peak", STAGES), ("cause", CAUSES)):  # from the codes, no strings
            cols[name] = pd.Categorical.from_codes(cols[name], categories=list(names))
        cols["partnership"] = self.buyers.partnership[cols["buyer"]]
        return pd.DataFrame(cols)

    @property
    def exporter_table(self) -> pd.DataFrame:
        """One row per exporter: traits, revenue, profit, customers, revenue concentration."""
        ex, L = self.exporters, self.ledger
        trading = (L.stage > 0) & (L.stage < 4)
        customers = np.bincount(L.exporter[trading], minlength=ex.n)
        revenue = L.revenue[trading].astype(np.float64)
        rev = group_total(L.exporter[trading], revenue, ex.n)
        rev2 = group_total(L.exporter[trading], revenue**2, ex.n)
        # customer lifetime value: mean over every relationship that traded, live or dissolved
        rel = self.relationships
        traded = rel[rel["peak"].isin(["exploration", "expansion", "commitment"])]
        n_traded = np.bincount(traded["exporter"], minlength=ex.n)
        group_mean_clv = np.divide(group_total(traded["exporter"].to_numpy(), traded["clv"].to_numpy(np.float64), ex.n),
                                   n_traded, out=np.full(ex.n, np.nan), where=n_traded > 0)
        return pd.DataFrame(
            {
                "exporter": np.arange(ex.n),
                "exporter_policy": pd.Categorical.from_codes(ex.policy, categories=[p.name for p in self.policies]),
                "quality": ex.quality,
                "price": ex.price,
                "opportunism": ex.opportunism,
                "active": ex.active,
                "exited_at": ex.exited_at,
                "customers": customers,
                "revenue": ex.revenue_total,
                "profit": ex.profit_total,
                "acquisition_spend": ex.acquisition_total,
                "retention_spend": ex.retention_total,
                "programme_cost": ex.programme_total,
                "customers_won": ex.customers_won,
                "cost_per_acquired_customer": np.divide(ex.acquisition_total, ex.customers_won,
                                                        out=np.full(ex.n, np.nan), where=ex.customers_won > 0),
                "clv": group_mean_clv,
                "revenue_hhi": np.divide(rev2, rev * rev, out=np.full(ex.n, np.nan), where=rev > 0),
            }
        )


MarketModel.__init__.__signature__ = signature(
    [inspect.Parameter("policy_mix", inspect.Parameter.KEYWORD_ONLY, default=None),
     inspect.Parameter("rng", inspect.Parameter.KEYWORD_ONLY, default=None)]
)
MarketModel.__doc__ = MarketModel.__doc__.replace("{params}", docstring_table())


def warm_up() -> float:
    """Compile (or load from numba's cache) every kernel of the engine on tiny markets; seconds it took."""
    import time

    t0 = time.perf_counter()
    # 11 ticks: every phase, stage moves, dissolutions and a compaction (tick 10) run at least once;
    # the configurations reach every kernel (choice rules, forecast methods, a shock, exits)
    for kw in (dict(), dict(excessive_trust=True, policy="customer_database", information_sharing=False,
                            forecast_method="seasonal_index", shock_tick=5, exit_rate=0.3),
               dict(choice_rule="reinforcement", forecast_method="moving_average")):
        MarketModel(rng=0, n_exporters=3, n_buyers=40, initial_relationships=2.0, **kw).run_for(11)
    return time.perf_counter() - t0
