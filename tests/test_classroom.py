"""The classroom game's logic without a browser: the market with a policy and a budget split per exporter,
players, refusals, the results folder, replay and the debrief."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.classroom.game import Game, GameError, replay
from sim.classroom.market import GameMarket


def test_equal_decisions_give_the_engines_market_bit_for_bit():
    kw = dict(n_exporters=8, n_buyers=200, policy="at_risk", acquisition_share=0.3)
    a, b = sim.MarketModel(rng=5, **kw), GameMarket(rng=5, **kw)
    a.run_for(30)
    b.run_for(30)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    np.testing.assert_array_equal(a.exporters.profit_total, b.exporters.profit_total)


def test_an_exporter_that_spends_on_prospects_talks_more_to_them_and_less_to_customers():
    m = GameMarket(rng=3, n_exporters=8, n_buyers=300, policy="uniform", acquisition_share=0.2)
    for e in range(4):
        m.decide(e, 0.9, "uniform")
    m.run_for(12)
    L = m.ledger
    prospect, customer = L.stage == 0, (L.stage > 0) & (L.stage < 4)
    spender = L.exporter < 4
    mean = lambda mask: float(L.communication[mask].mean())  # noqa: E731
    assert mean(prospect & spender) > mean(prospect & ~spender)
    assert mean(customer & spender) < mean(customer & ~spender)


def test_players_join_decide_and_the_folder_replays(tmp_path):
    g = Game(rounds=2, ticks_per_round=3, out=tmp_path / "game")
    ana = g.join("  Ana ", g.code)
    assert (ana.name, ana.exporter) == ("Ana", 0)
    assert g.join("ana", g.code) is ana  # the same name again: the same exporter (another device)
    g.decide(ana.token, 0.65, "key_accounts")
    g.play_round()
    bo = g.join("Bo", g.code)  # late
    assert (bo.exporter, bo.joined_round) == (1, 2)
    g.play_round()
    assert g.over and (tmp_path / "game" / "debrief.json").is_file()
    rounds = pd.read_csv(tmp_path / "game" / "rounds.csv", keep_default_na=False, na_values=[""]).fillna({"player": ""})
    assert rounds.query("exporter == 0").policy.tolist() == ["key_accounts", "key_accounts"]  # decisions stand
    assert rounds.query("exporter == 0").decided.tolist() == [True, False]
    pd.testing.assert_frame_equal(replay(tmp_path / "game"), rounds, check_dtype=False)


@pytest.mark.parametrize("call, message", [
    (lambda g, t: g.join("Ana", "0000" if g.code != "0000" else "0001"), "code="),
    (lambda g, t: g.join("", g.code), "name='' is not allowed: expected 1 to 24 printable characters"),
    (lambda g, t: g.join("x" * 25, g.code), "expected 1 to 24 printable characters"),
    (lambda g, t: g.join("a\x00b", g.code), "expected 1 to 24 printable characters"),
    (lambda g, t: g.decide(t, 0.33, "uniform"), "acquisition_share=0.33 is not allowed: expected a number from 0 to 1 "
                                                "in steps of 0.05"),
    (lambda g, t: g.decide(t, "0.5", "uniform"), "acquisition_share='0.5' is not allowed"),
    (lambda g, t: g.decide(t, 0.5, "satisfaction_survey"), "policy='satisfaction_survey' is not allowed: expected one "
                                                           "of uniform, new_customers_first, key_accounts, at_risk"),
    (lambda g, t: g.decide("nobody", 0.5, "uniform"), "token='nobody' is not allowed"),
])
def test_refusals_name_the_field_the_value_and_what_is_allowed(tmp_path, call, message):
    g = Game(rounds=1, ticks_per_round=1, out=tmp_path / "game")
    token = g.join("Zed", g.code).token
    before = g.version
    with pytest.raises(GameError) as e:
        call(g, token)
    assert message in str(e.value)
    assert g.version == before
