"""The classroom game's logic without a browser: each student's levers in the engine (MarketModel.set_levers),
players, refusals, the results folder, replay and the debrief."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.classroom.game import Game, GameError, replay


def test_a_students_decisions_are_the_engines_levers_for_that_exporter_alone(tmp_path):
    g = Game(rounds=2, ticks_per_round=6, out=tmp_path / "game")
    ana, bo = g.join("Ana", g.code), g.join("Bo", g.code)
    g.decide(ana.token, 0.5, "customer_database")
    g.decide(bo.token, 0.5, "satisfaction_survey")
    m = g.model
    assert g.decisions_of(ana.exporter) == (0.5, "customer_database")
    assert (bool(m.exporters.database[ana.exporter]), bool(m.exporters.survey[ana.exporter])) == (True, False)
    assert (bool(m.exporters.database[bo.exporter]), bool(m.exporters.survey[bo.exporter])) == (False, True)
    g.play_round()
    table = m.exporter_table.set_index("exporter")
    assert table.loc[ana.exporter, "exporter_policy"] == "customer_database"
    assert table.loc[bo.exporter, "exporter_policy"] == "satisfaction_survey"
    # the database costs its fixed fee every tick, whatever the customers; plain even attention costs nothing extra
    assert table.loc[ana.exporter, "programme_cost"] >= 6 * m.P.database_cost > 0
    uniform = [e for e, (_, p) in enumerate(g.computer) if p == "uniform" and e not in (ana.exporter, bo.exporter)]
    assert uniform and (table.loc[uniform, "programme_cost"] == 0).all()


def test_an_exporter_that_spends_on_prospects_talks_more_to_them_and_less_to_customers(tmp_path):
    g = Game(rounds=3, ticks_per_round=4, out=tmp_path / "game")
    players = [g.join(f"P{e}", g.code) for e in range(8)]
    for p in players:
        g.decide(p.token, 0.9 if p.exporter < 4 else 0.1, "uniform")
    g.play_round()
    g.play_round()
    L = g.model.ledger
    prospect, customer = L.stage == 0, (L.stage > 0) & (L.stage < 4)
    spender, saver = L.exporter < 4, (L.exporter >= 4) & (L.exporter < 8)
    mean = lambda mask: float(L.communication[mask].mean())  # noqa: E731
    assert mean(prospect & spender) > mean(prospect & saver)
    assert mean(customer & spender) < mean(customer & saver)


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
    (lambda g, t: g.decide(t, 0.5, "surveys"), "policy='surveys' is not allowed: expected one of uniform, "
                                               "new_customers_first, key_accounts, at_risk, satisfaction_survey, "
                                               "customer_database, shared_values_program"),
    (lambda g, t: g.decide(t, 0.5, ["uniform"]), "policy=['uniform'] is not allowed"),
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
