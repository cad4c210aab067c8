"""The debrief of a classroom game, built from its results folder alone (rounds.csv, events.parquet,
relationships.parquet, manifest.json): numbers only, the pages put them into words.

``build(folder)`` returns a JSON-able dict:

``players``    per player: exporter, final rank, profit, the relationships through the stages (how many
               reached exploration, expansion, commitment; how many trading ones ended, by cause and by
               the stage they ended in) and the rounds (decisions beside results)
``best``, ``worst``  the three player-rounds with the highest and lowest profit in their round, each with
               its decisions, what happened (customers won and lost, retention, trust) and the class's
               median of the same round to compare with
``winners``    the top third of exporters by final profit against the bottom third: their mean
               acquisition share, their most used policy, retention, committed customers, losses in
               exploration
``facts``      the class's market: share of trading relationships lost while still in exploration, mean
               trust of those that reached commitment and of those lost in exploration, committed
               relationships lost to a better alternative
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import results as R
from ..vocab import STAGES
from .market import LOST_CAUSES

TRADING = ("exploration", "expansion", "commitment")
SHOWN = ("acquisition_share", "policy", "decided", "profit", "customers", "new_customers", "lost_customers",
         "lost_in_exploration", "retention", "mean_trust", "commitment", "profit_total")


def _num(x: Any) -> Any:
    """A JSON-able scalar (NaN as None)."""
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return None if np.isnan(x) else round(float(x), 4)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def _row(r: pd.Series, keys=SHOWN) -> dict:
    return {k: _num(r[k]) for k in keys}


def build(folder: str | Path) -> dict:
    folder = Path(folder)
    manifest = R.read_manifest(folder)
    rounds = pd.read_csv(folder / "rounds.csv", keep_default_na=False, na_values=[""],
                         dtype={"player": str}).fillna({"player": ""})
    rel = pd.read_parquet(folder / "relationships.parquet")
    ev = pd.read_parquet(folder / "events.parquet")
    last = rounds[rounds["round"] == rounds["round"].max()].set_index("exporter")
    rank = last.profit_total.rank(ascending=False, method="min").astype(int)
    lost = ev[(ev.to_stage == "dissolved") & (ev.from_stage != "awareness")]

    players = []
    for p in manifest["players"]:
        e = p["exporter"]
        mine = rel[rel.exporter == e]
        peak = mine.peak.astype(str).map(STAGES.index)
        gone = lost[lost.exporter == e]
        players.append({
            "name": p["name"], "exporter": e, "joined_round": p["joined_round"],
            "rank": int(rank[e]), "profit_total": _num(last.profit_total[e]),
            "reached": {s: int((peak >= STAGES.index(s)).sum()) for s in TRADING},
            "lost_by_cause": {c: int((gone.cause == c).sum()) for c in LOST_CAUSES},
            "lost_by_stage": {s: int((gone.from_stage == s).sum()) for s in TRADING},
            "rounds": [{"round": int(r["round"]), **_row(r)} for _, r in rounds[rounds.exporter == e].iterrows()],
        })

    played = rounds[rounds.player != ""]
    median = rounds.groupby("round")[["profit", "new_customers", "lost_customers", "retention", "mean_trust"]].median()

    def story(r: pd.Series) -> dict:
        med = median.loc[r["round"]]
        return {"player": r.player, "round": int(r["round"]), **_row(r),
                **{f"lost_{c}": int(r[f"lost_{c}"]) for c in LOST_CAUSES},
                "class_median": {k: _num(v) for k, v in med.items()}}

    ranked = played.sort_values(["profit", "exporter"], ascending=[False, True])
    n_show = min(3, len(ranked) // 2) if len(ranked) > 1 else len(ranked)
    best = [story(r) for _, r in ranked.head(n_show).iterrows()]
    worst = [story(r) for _, r in ranked.tail(n_show).iloc[::-1].iterrows()] if len(ranked) > 1 else []

    third = max(1, len(last) // 3)
    order = last.profit_total.sort_values(ascending=False).index
    groups = {"top": order[:third], "bottom": order[-third:]}
    winners = {}
    for g, ex in groups.items():
        rows = rounds[rounds.exporter.isin(ex)]
        winners[g] = {
            "exporters": len(ex), "acquisition_share": _num(rows.acquisition_share.mean()),
            "policy": rows.policy.mode().iloc[0], "retention": _num(rows.retention.mean()),
            "commitment": _num(last.loc[ex, "commitment"].mean()), "profit_total": _num(last.loc[ex, "profit_total"].mean()),
            "lost_in_exploration": _num(rows.groupby("exporter").lost_in_exploration.sum().mean()),
        }

    reached_commitment = rel[rel.peak.astype(str) == "commitment"]
    lost_rel = rel[rel.relationship.isin(lost.relationship)]
    lost_in_expl = rel[rel.relationship.isin(lost.relationship[lost.from_stage == "exploration"])]
    facts = {
        "trading_lost": int(len(lost)),
        "lost_in_exploration": int((lost.from_stage == "exploration").sum()),
        "share_lost_in_exploration": _num((lost.from_stage == "exploration").mean()) if len(lost) else None,
        "trust_committed": _num(reached_commitment.trust.mean()) if len(reached_commitment) else None,
        "trust_lost_in_exploration": _num(lost_in_expl.trust.mean()) if len(lost_in_expl) else None,
        "committed": int(len(reached_commitment)),
        "committed_lost_better_alternative": int(((lost.from_stage == "commitment")
                                                  & (lost.cause == "better_alternative")).sum()),
        "switching_cost_committed": _num(reached_commitment.switching_cost.mean()) if len(reached_commitment) else None,
        "switching_cost_lost": _num(lost_rel.switching_cost.mean()) if len(lost_rel) else None,
    }
    return {"rounds_played": int(rounds["round"].max()), "ticks_per_round": manifest["ticks_per_round"],
            "players": players, "best": best, "worst": worst, "winners": winners, "facts": facts}
