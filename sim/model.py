"""The market: exporters and buyers trading, talking and judging each other.

``MarketModel`` is a ``mesa.Model``. Each tick runs these phases, in order::

    demand      buyers' demand for this tick
    meet        new awareness: trade fairs, media, matching, referrals
    talk        exporters spend their contact budget (retention policy)
    try_out     aware buyers in need place trial orders
    order       buyers split demand over suppliers (logit or reinforcement)
    fulfil      delivery from stock; opportunistic acts and their detection
    invest      relationship-specific investment and switching costs
    judge       satisfaction, trust, commitment, preferences
    plan        forecasts, next tick's stock, inventory costs, profit
    advance     exporter exits, stage moves, dissolutions
    record      one row of the timeseries

Everything a phase does to relationships is an array operation on the ledger.
"""

from __future__ import annotations

import inspect
from functools import partial
from types import SimpleNamespace

import mesa
import numpy as np
import pandas as pd

from . import awareness, communication, evaluation, kernels, lifecycle, trade
from .agents import Buyer, Exporter
from .ledger import ROOM, Ledger
from .parameters import STAGES, docstring_table, signature, validate, CAUSES
from .policies import get_policy
from .population import channel_efficiency, draw_population
from .records import Recorder
from .streams import make_streams, seed_sequence

#: how often long-dissolved rows are moved out of the ledger's arrays
COMPACT_EVERY = 10
#: how often the ledger's rows are put in buyer order (part of the schedule: ODD §3, Ledger.sort_by_buyer)
SORT_EVERY = 10


def _last_recorded(name: str, model) -> float:
    """Mesa DataCollector reporter: ``name`` in the last timeseries row (picklable, unlike a lambda)."""
    return model.recorder.latest(name)


class Tick(SimpleNamespace):
    """Scratch values shared by the phases of one tick."""

    def update(self, **kw):
        self.__dict__.update(kw)


class MarketModel(mesa.Model):
    """A market of exporters and buyers whose relationships form, deepen and dissolve.

    All arguments are keyword-only; each has a default (see ``sim.parameters``):

{params}

    rng : None, int, numpy SeedSequence or Generator
        Seed of the run. Each mechanism draws from its own stream spawned from
        ``numpy.random.SeedSequence(rng)``.

    After ``run_for(n)``: ``timeseries`` (one row per tick), ``events`` (one
    row per stage transition) and ``relationships`` (one row per relationship).
    """

    def __init__(self, *, rng=None, **params):
        self.p = validate(params)
        seq = seed_sequence(rng)
        self.seed_entropy = seq.entropy
        super().__init__(rng=int(seq.generate_state(1, np.uint32)[0]))
        self.streams = make_streams(seq)
        self.policy = get_policy(self.p["policy"])

        self.exporters, self.buyers = draw_population(self.p, self.streams["population"])
        self.relative_price = self.exporters.price / self.p["price_mean"]
        self.expected_value = float(self.p["quality_mean"])
        self.channel_efficiency = channel_efficiency(self.p["channel"])
        self.prospect_cdf = awareness.prospect_weights(self)

        # the order history is read only by the moving-average forecast
        hist = self.p["forecast_window"] if self.p["forecast_method"] == "moving_average" else 0
        self.ledger = Ledger(self.buyers.n, hist_width=hist)
        self.recorder = Recorder(self.ledger)
        self.now = Tick()
        awareness.seed_initial(self)
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
        self.now = now = Tick(
            demand=trade.draw_demand(self, t),
            dissolved_before=self.recorder.n_dissolved,
            created_before=L.n_created,
            dissolved_trading=0,
        )
        awareness.meet(self, t)
        communication.talk(self, t)
        n_before = self.recorder.event_count()
        lifecycle.try_out(self, t)
        now.trials = self.recorder.event_count() - n_before
        now.rows = kernels._trading_rows(L.stage) if kernels.ENABLED else np.flatnonzero((L.stage > 0) & (L.stage < 4))
        trade.place_orders(self, t)
        trade.fulfil(self, t)
        trade.invest(self)
        evaluation.judge(self, t)
        trade.plan(self, t)
        lifecycle.advance(self, t)
        self.recorder.record(self, t)
        self.datacollector.collect(self)
        # dissolved rows go to the archive (no effect on results); every SORT_EVERY ticks the rows are put in
        # buyer order (part of the schedule: it fixes the order in which rows draw and sum; see Ledger.sort_by_buyer)
        sort = t % SORT_EVERY == 0
        if t % COMPACT_EVERY == 0:
            L.compact(t, self.p["cooldown"], by_buyer=sort)
        elif sort:
            L.sort_by_buyer()

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
        df = pd.DataFrame(t).rename(columns={"id": "relationship", "margin": "clv"})
        df = df.drop(columns=["order", "forecast", "level", "low_sat"])
        end = np.where(df["ended"] >= 0, df["ended"], self.steps)
        df["duration"] = end - df["born"]
        df["stage"] = pd.Categorical(np.array(STAGES)[df["stage"]], categories=list(STAGES))
        df["peak"] = pd.Categorical(np.array(STAGES)[df["peak"]], categories=list(STAGES))
        df["cause"] = pd.Categorical(np.array(CAUSES)[df["cause"]], categories=list(CAUSES))
        df["partnership"] = self.buyers.partnership[df["buyer"].to_numpy()]
        return df.sort_values("relationship", ignore_index=True)

    @property
    def exporter_table(self) -> pd.DataFrame:
        """One row per exporter: traits, revenue, profit, customers, revenue concentration."""
        ex, L = self.exporters, self.ledger
        trading = (L.stage > 0) & (L.stage < 4)
        customers = np.bincount(L.exporter[trading], minlength=ex.n)
        rev = np.bincount(L.exporter[trading], weights=L.revenue[trading], minlength=ex.n)
        rev2 = np.bincount(L.exporter[trading], weights=L.revenue[trading].astype(np.float64) ** 2, minlength=ex.n)
        return pd.DataFrame(
            {
                "exporter": np.arange(ex.n),
                "quality": ex.quality,
                "price": ex.price,
                "opportunism": ex.opportunism,
                "active": ex.active,
                "exited_at": ex.exited_at,
                "customers": customers,
                "revenue": ex.revenue_total,
                "profit": ex.profit_total,
                "revenue_hhi": np.divide(rev2, rev * rev, out=np.full(ex.n, np.nan), where=rev > 0),
            }
        )


MarketModel.__init__.__signature__ = signature(
    [inspect.Parameter("rng", inspect.Parameter.KEYWORD_ONLY, default=None)]
)
MarketModel.__doc__ = MarketModel.__doc__.replace("{params}", docstring_table())
