"""One classroom game: the market, the students and their exporters, the rounds, and the results folder.

A student joins with a name and the join code and is given the lowest-numbered exporter the computer
still plays. Before each round a student may change their decisions (``decide``); decisions not changed
stand. The teacher plays a round (``play_round``): every exporter's decisions in force are recorded, the
market runs ``ticks_per_round`` ticks, and each exporter's results are recorded. Everything goes to the
results folder as it happens:

    manifest.json    scenario, seed, settings, versions, players (name, exporter, round joined)
    decisions.csv    one row per exporter per round: acquisition share, policy, player, decided this round
    rounds.csv       decisions.csv's columns plus the exporter's results of the round
    timeseries.parquet  the market, one row per tick
    events.parquet, relationships.parquet, exporters.parquet   when the game ends
    debrief.json     when the game ends (sim.classroom.debrief, from the files above)

``replay(folder)`` runs the recorded decisions again and gives the same rounds.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import results as R
from ..model import MarketModel
from ..parameters import BY_NAME
from ..vocab import STAGES
from .market import LOST_CAUSES, game_policies, levers, trading_ids

DEFAULT_SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "classroom_game.yaml"
#: acquisition shares a student can choose: 0 %, 5 %, ... 100 %
SHARE_STEP = 0.05
NAME_MAX = 24
#: rounds.csv's result columns (after the decision columns of decisions.csv)
RESULTS = ("tick", "profit", "profit_total", "revenue", "customers", "exploration", "expansion", "commitment",
           "new_customers", "lost_customers", "lost_in_exploration", *(f"lost_{c}" for c in LOST_CAUSES),
           "retention", "mean_trust", "mean_commitment")
DECISIONS = ("round", "exporter", "player", "acquisition_share", "policy", "decided")


class GameError(ValueError):
    """A request the game refuses, as one line naming the field, the value and what is allowed."""

    def __init__(self, field: str, value: Any, allowed: str):
        self.field = field
        super().__init__(f"{field}={value!r} is not allowed: expected {allowed}")


@dataclass
class Player:
    name: str
    token: str
    exporter: int
    joined_round: int
    decided_round: int = -1  #: the round (1-based, the next one to play) a decision was last sent for


@dataclass
class Game:
    """A game on ``scenario``'s market (``DEFAULT_SCENARIO`` when None), written to ``out``."""

    scenario: str | Path | None = None
    rounds: int = 8
    ticks_per_round: int = 6
    out: str | Path | None = None
    code: str = field(default_factory=lambda: f"{secrets.randbelow(10_000):04d}")
    players: dict[str, Player] = field(default_factory=dict)  # by token

    def __post_init__(self):
        from ..scenarios import load_scenario  # raises ScenarioError (one line)

        path = Path(self.scenario) if self.scenario else DEFAULT_SCENARIO
        sc = load_scenario(path)
        self.scenario_name, self.seed = sc.name, int(sc.seed)
        kw = {k: v for k, v in sc.model_kwargs().items() if k in BY_NAME}
        # the players' decisions stand: no exporter copies a peer's policy behind their back (sim.imitation)
        kw["imitation_every"] = 0
        self.params = kw
        self.model = MarketModel(rng=self.seed, **kw)
        #: the computer's decisions for each exporter: the file's share, the registered policies in turn
        policies = game_policies()
        self.computer = [(kw["acquisition_share"], policies[e % len(policies)]) for e in range(self.model.exporters.n)]
        for e, (share, policy) in enumerate(self.computer):
            self.model.set_levers(e, policy=policy, acquisition_share=share)
        self.round = 0  # rounds played
        self.over = False
        self.version = 0  # moves at every change a page shows
        self._decisions: list[dict] = []
        self._rounds: list[dict] = []
        self.folder = Path(self.out) if self.out else R.default_dir(self.scenario_name)
        R.prepare(self.folder)
        (self.folder / "runs").rmdir()  # the game's results are its own tables, not runs
        self.started = R.now_iso()
        self._write_manifest()

    # ---- players ---------------------------------------------------------------
    def join(self, name: Any, code: Any) -> Player:
        """The player ``name`` (a new one, or the same name again: the same exporter)."""
        if str(code).strip() != self.code:
            raise GameError("code", code, "the join code shown on the teacher's screen")
        name = clean_name(name)
        for p in self.players.values():
            if p.name.casefold() == name.casefold():
                return p
        if self.over:
            raise GameError("name", name, "a player who joined before the game ended")
        taken = {p.exporter for p in self.players.values()}
        free = [e for e in range(self.model.exporters.n) if e not in taken and self.model.exporters.active[e]]
        if not free:
            raise GameError("name", name, f"a player already in the game (all {len(taken)} exporters are taken)")
        player = Player(name, secrets.token_urlsafe(12), free[0], self.round + 1)
        self.players[player.token] = player
        self._write_manifest()
        self.version += 1
        return player

    def player(self, token: Any) -> Player:
        if not isinstance(token, str) or token not in self.players:
            raise GameError("token", token, "the token given when you joined (join again with your name)")
        return self.players[token]

    def decide(self, token: Any, acquisition_share: Any, policy: Any) -> None:
        """The player's decisions for the next round and after (until changed)."""
        p = self.player(token)
        if self.over:
            raise GameError("round", self.round, "a round still to play (the game is over)")
        share = check_share(acquisition_share)
        if not isinstance(policy, str) or policy not in game_policies():
            raise GameError("policy", policy, "one of " + ", ".join(game_policies()))
        self.model.set_levers(p.exporter, policy=policy, acquisition_share=share)
        p.decided_round = self.round + 1
        self.version += 1

    def decisions_of(self, exporter: int) -> tuple[float, str]:
        return levers(self.model, exporter)

    # ---- rounds ----------------------------------------------------------------
    def play_round(self) -> None:
        """Record the decisions in force, run one round, record and write its results."""
        if self.over:
            raise GameError("round", self.round, "a round still to play (the game is over)")
        m, r = self.model, self.round + 1
        by_exporter = {p.exporter: p for p in self.players.values()}
        ids0, ex0 = trading_ids(m)
        profit0, revenue0 = m.exporters.profit_total.copy(), m.exporters.revenue_total.copy()
        t0 = m.steps
        decisions = []
        for e in range(m.exporters.n):
            share, policy = self.decisions_of(e)
            p = by_exporter.get(e)
            decisions.append({"round": r, "exporter": e, "player": p.name if p else "",
                              "acquisition_share": share, "policy": policy, "decided": bool(p and p.decided_round == r)})
        m.run_for(self.ticks_per_round)
        results = round_results(m, t0, ids0, ex0, profit0, revenue0)
        self._decisions += decisions
        self._rounds += [{**d, **res} for d, res in zip(decisions, results)]
        self.round = r
        R.write_csv(self.folder / "decisions.csv", self.decisions)
        R.write_csv(self.folder / "rounds.csv", self.rounds_table)
        R.write_parquet(self.folder / "timeseries.parquet", m.timeseries)
        if r >= self.rounds:
            self.end()
        self.version += 1

    def end(self) -> None:
        """End the game: write the market's tables and the debrief."""
        from .debrief import build

        if self.over:
            return
        self.over = True
        m = self.model
        for name, table in (("timeseries", m.timeseries), ("events", m.events), ("relationships", m.relationships),
                            ("exporters", m.exporter_table)):
            R.write_parquet(self.folder / f"{name}.parquet", table)
        self._write_manifest()
        R.write_json(self.folder / "debrief.json", build(self.folder))
        self.version += 1

    @property
    def decisions(self) -> pd.DataFrame:
        return pd.DataFrame(self._decisions, columns=list(DECISIONS))

    @property
    def rounds_table(self) -> pd.DataFrame:
        return pd.DataFrame(self._rounds, columns=[*DECISIONS, *RESULTS])

    def _write_manifest(self) -> None:
        R.write_manifest(self.folder, {
            "kind": "classroom", "scenario": self.scenario_name, "seed": self.seed, "params": self.params,
            "rounds": self.rounds, "ticks_per_round": self.ticks_per_round, "rounds_played": self.round,
            "over": self.over, "started": self.started, "updated": R.now_iso(), "versions": R.versions(),
            "players": [{"name": p.name, "exporter": p.exporter, "joined_round": p.joined_round}
                        for p in sorted(self.players.values(), key=lambda p: p.exporter)],
            "computer": {"acquisition_share": self.params["acquisition_share"],
                         "policies": "exporter e plays " + " / ".join(game_policies())
                                     + f"[e % {len(game_policies())}]"},
        })


def clean_name(name: Any) -> str:
    """A player's name as shown: printable, 1 to NAME_MAX characters, inner spaces collapsed."""
    text = " ".join(str(name).split()) if isinstance(name, str) else ""
    if not text or len(text) > NAME_MAX or any(unicodedata.category(ch).startswith("C") for ch in text):
        raise GameError("name", name, f"1 to {NAME_MAX} printable characters")
    return text


def check_share(value: Any) -> float:
    """An acquisition share from a page: a number in [0, 1] on the 5 % grid."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) \
            or not 0.0 <= value <= 1.0 or abs(value / SHARE_STEP - round(value / SHARE_STEP)) > 1e-9:
        raise GameError("acquisition_share", value, "a number from 0 to 1 in steps of 0.05")
    return round(round(value / SHARE_STEP) * SHARE_STEP, 2)


def round_results(m: MarketModel, t0: int, ids0: np.ndarray, ex0: np.ndarray, profit0: np.ndarray,
                  revenue0: np.ndarray) -> list[dict]:
    """Each exporter's results of the ticks after ``t0``: money, customers by stage, gains and losses, trust.

    ``ids0``, ``ex0``: the trading relationships when the round began and their exporters; ``retention`` is the share of an exporter's
    that still trade (NaN for an exporter that had none).
    """
    n = m.exporters.n
    L = m.ledger
    ids1, _ = trading_ids(m)
    live = (L.stage > 0) & (L.stage < len(STAGES) - 1)
    count = lambda mask: np.bincount(L.exporter[mask], minlength=n)  # noqa: E731
    stage = {s: count(live & (L.stage == k)) for k, s in enumerate(STAGES) if s in ("exploration", "expansion", "commitment")}
    customers = count(live)
    trust = np.bincount(L.exporter[live], weights=L.trust[live], minlength=n)
    commitment = np.bincount(L.exporter[live], weights=L.commitment[live], minlength=n)
    ev = m.events
    ev = ev[ev.tick > t0]
    new = ev[(ev.from_stage == "awareness") & (ev.to_stage == "exploration")]
    lost = ev[(ev.to_stage == "dissolved") & (ev.from_stage != "awareness")]
    new_n = np.bincount(new.exporter, minlength=n)
    lost_n = np.bincount(lost.exporter, minlength=n)
    lost_expl = np.bincount(lost.exporter[lost.from_stage == "exploration"], minlength=n)
    by_cause = {c: np.bincount(lost.exporter[lost.cause == c], minlength=n) for c in LOST_CAUSES}
    # retention: the round's starting customers still trading at its end
    kept = np.isin(ids0, ids1)
    had = np.bincount(ex0, minlength=n)
    still = np.bincount(ex0[kept], minlength=n)
    rows = []
    for e in range(n):
        c = int(customers[e])
        rows.append({
            "tick": int(m.steps), "profit": float(m.exporters.profit_total[e] - profit0[e]),
            "profit_total": float(m.exporters.profit_total[e]), "revenue": float(m.exporters.revenue_total[e] - revenue0[e]),
            "customers": c, **{s: int(v[e]) for s, v in stage.items()},
            "new_customers": int(new_n[e]), "lost_customers": int(lost_n[e]), "lost_in_exploration": int(lost_expl[e]),
            **{f"lost_{k}": int(v[e]) for k, v in by_cause.items()},
            "retention": float(still[e] / had[e]) if had[e] else float("nan"),
            "mean_trust": float(trust[e] / c) if c else float("nan"),
            "mean_commitment": float(commitment[e] / c) if c else float("nan"),
        })
    return rows


def replay(folder: str | Path) -> pd.DataFrame:
    """The rounds of a recorded game, run again from its manifest and decisions.csv (same results)."""
    folder = Path(folder)
    manifest = R.read_manifest(folder)
    decisions = pd.read_csv(folder / "decisions.csv")
    m = MarketModel(rng=manifest["seed"], **manifest["params"])
    rows = []
    for r, d in decisions.groupby("round", sort=True):
        for row in d.itertuples():
            m.set_levers(int(row.exporter), policy=row.policy, acquisition_share=float(row.acquisition_share))
        ids0, ex0 = trading_ids(m)
        profit0, revenue0, t0 = m.exporters.profit_total.copy(), m.exporters.revenue_total.copy(), m.steps
        m.run_for(int(manifest["ticks_per_round"]))
        res = round_results(m, t0, ids0, ex0, profit0, revenue0)
        rows += [{**dict(zip(DECISIONS, (int(r), int(x.exporter), x.player if isinstance(x.player, str) else "",
                                         float(x.acquisition_share), x.policy, bool(x.decided)))), **y}
                 for x, y in zip(d.itertuples(), res)]
    return pd.DataFrame(rows, columns=[*DECISIONS, *RESULTS])

