"""Sizes of the validation experiments: ``QUICK`` (minutes, for checks) and ``FULL`` (the report)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .sensitivity import Size


@dataclass(frozen=True)
class Settings:
    name: str
    # Weisbuch-Kirman-Herreiner
    wkh2_b: tuple[float, ...]
    wkh3_b: tuple[float, ...]
    wkh_reps: int
    wkh_point: dict = field(default_factory=dict)
    wkh3_point: dict = field(default_factory=dict)  # three sellers; empty: as wkh_point
    stock_b: tuple[float, ...] = ()
    stock_reps: int = 1
    stock_point: dict = field(default_factory=dict)
    # Morgan & Hunt
    ct_runs: int = 8
    ct_size: dict = field(default_factory=dict)
    # lifecycle
    lc_reps: int = 2
    lc_size: dict = field(default_factory=dict)
    # retention economics
    re_policies: tuple[str, ...] | None = None
    re_markets: tuple[str, ...] | None = None
    re_reps: int = 1
    re_size: dict = field(default_factory=dict)
    # policy tournament: overrides of scenarios/policy_tournament.yaml (none: the file as shipped)
    tournament_overrides: tuple[str, ...] = ()
    # sensitivity
    morris_trajectories: int = 4
    sobol_n: int = 8
    sa_size: Size = Size()


QUICK = Settings(
    name="quick",
    wkh2_b=(0.5, 1.0, 1.5, 2.5, 3.0, 4.0),
    wkh3_b=(2.0, 2.5, 2.75, 3.0, 3.5, 4.0),
    wkh_reps=1,
    wkh_point=dict(n_buyers=100, ticks=400, window=100),
    stock_b=(1.0, 2.0, 4.0, 6.0),
    stock_reps=3,
    stock_point=dict(n_buyers=150, ticks=400, window=150),
    ct_runs=16,
    ct_size=dict(n_buyers=150, n_exporters=8, ticks=120, snapshot=80, window=20),
    lc_reps=2,
    lc_size=dict(ticks=150, n_buyers=200, n_exporters=10),
    re_policies=("uniform", "key_accounts", "satisfaction_survey"),
    re_markets=("baseline", "partnership"),
    re_reps=1,
    re_size=dict(ticks=120, burn_in=30, n_buyers=200, n_exporters=10),
    tournament_overrides=("policy=[uniform, key_accounts, customer_database]", "replications=3", "ticks=80",
                          "market.buyers.count=200", "market.exporters.count=8"),
    morris_trajectories=4,
    sobol_n=8,
    sa_size=Size(n_exporters=5, n_buyers=100, ticks=80, burn_in=20),
)

FULL = Settings(
    name="full",
    # Runtime (the report used to take 21 minutes, 12 of them here): b grids dense only where the
    # transitions are (b = 2 for two sellers; the bistable window 2.75 < b < 3 for three) instead
    # of uniform 0.25 / 0.125 steps, and three sellers run 1500 ticks instead of 2000 (15
    # relaxation times 1/gamma; the bistable window needs no long escape). Two sellers keep 2000
    # ticks: started uniform just above b = 2 they leave the unstable symmetric state at rate
    # gamma (b/2 - 1), and at 1500 ticks b = 2.5 still lags the mean field by 0.07.
    wkh2_b=(0.5, 1.0, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 3.5, 4.0, 5.0),
    wkh3_b=(2.0, 2.5, 2.625, 2.75, 2.875, 3.0, 3.125, 3.25, 3.5, 4.0, 4.5),
    wkh_reps=2,
    wkh_point=dict(n_buyers=200, ticks=2000, window=500),
    wkh3_point=dict(n_buyers=200, ticks=1500, window=500),
    stock_b=(0.5, 1.0, 1.5, 2.0, 4.0, 5.0, 6.0, 8.0),
    stock_reps=4,
    stock_point=dict(n_buyers=300, ticks=1000, window=400),
    ct_runs=40,
    ct_size=dict(n_buyers=250, n_exporters=10, ticks=150, snapshot=100, window=30),
    lc_reps=6,
    lc_size=dict(ticks=240),
    re_policies=None,
    re_markets=None,
    re_reps=3,
    re_size=dict(ticks=200, burn_in=50, n_buyers=500, n_exporters=20),
    morris_trajectories=20,
    sobol_n=128,
    sa_size=Size(n_exporters=8, n_buyers=150, ticks=120, burn_in=40),
)
