"""The verdict of a comparison (sim.stats.compare_table, disagreements): better / worse / no detectable
difference in each outcome's good direction, the difference in %, the rank."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.stats import compare_table, disagreements


def _summary():
    rng = np.random.default_rng(0)
    rows = []
    for rep in range(8):
        noise = rng.normal(0, 1)
        for pol, profit, diss, ret in (("uniform", 1000, 100, 0.80), ("cheap", 1100, 120, 0.85),
                                       ("same", 1000, 100, 0.80)):
            jitter = rng.normal(0, 5) if pol == "same" else 0.0
            rows.append(dict(policy=pol, point=0, replication=rep, profit=profit + 50 * noise + jitter,
                             dissolutions=diss + noise + jitter / 10, retention_rate=ret + 0.01 * noise))
    return pd.DataFrame(rows)


def test_verdicts_follow_each_outcomes_good_direction():
    t = compare_table(_summary(), ["profit", "dissolutions", "retention_rate"]).set_index(["policy", "outcome"])
    assert t.loc[("uniform", "profit"), "verdict"] == "reference"
    assert t.loc[("cheap", "profit"), "verdict"] == "better"  # more profit is better
    assert t.loc[("cheap", "dissolutions"), "verdict"] == "worse"  # more dissolutions are worse
    assert t.loc[("same", "profit"), "verdict"] == "no detectable difference"
    assert t.loc[("cheap", "profit"), "diff_pct"] == pytest.approx(10.0, abs=0.5)
    assert t.loc[("cheap", "profit"), "rank"] == 1 and t.loc[("cheap", "dissolutions"), "rank"] == 3


def test_disagreeing_outcomes_are_explained_in_one_line():
    t = compare_table(_summary(), ["profit", "dissolutions", "retention_rate"])
    lines = disagreements(t)
    assert len(lines) == 1
    assert lines[0].startswith("cheap: retention_rate better but dissolutions worse, because")
