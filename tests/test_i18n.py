"""English and Korean: every word in both, stage names as seed 000 writes them, the dashboard in Korean."""

from __future__ import annotations

import subprocess
import sys

from sim import i18n


def test_every_key_in_both_languages():
    for table in (i18n.UI, i18n.STAGES, i18n.CAUSES, i18n.POLICIES):
        assert set(table["en"]) == set(table["ko"])


def test_stage_names_follow_seed_000():
    assert [i18n.STAGES["ko"][s] for s in ("awareness", "exploration", "expansion", "commitment", "dissolved")] == \
        ["인식", "탐색", "확장", "몰입", "해지"]


def test_the_dashboard_speaks_korean():
    code = """
import sim.dashboard as d
m = d.ClassroomMarket(n_exporters=4, n_buyers=60, rng=1)
m.run_for(3)
lines = d.summary_lines(m, {**d.market_settings(m), "n_exporters": 5})
print(lines[0]); print(lines[2]); print(lines[3])
print(d.stage_chart(m)["title"]["text"], [s["name"] for s in d.stage_chart(m)["series"]])
print(d.model_params()["n_buyers"]["label"])
"""
    out = subprocess.run([sys.executable, "-c", code], env={"RELSIM_DASHBOARD_LANG": "ko", "PATH": ""},
                         capture_output=True, text=True, timeout=300).stdout.splitlines()
    assert out[0] == "틱 3 · 4 수출업체 × 60 바이어 · 정책 uniform"
    assert out[1].startswith("⟳ 다음 재설정: 수출업체 수 4 → 5")
    assert out[2].startswith("탐색 ")
    assert out[3] == "단계별 관계 수 ['인식', '탐색', '확장', '몰입']"
    assert out[4] == "바이어 수"


def test_every_registered_policy_has_a_name_in_both_languages():
    from sim.policies import POLICIES

    for lang in i18n.LANGS:
        assert set(i18n.POLICIES[lang]) == set(POLICIES)
        assert list(i18n.texts(lang)["policies"]) == list(POLICIES)  # the game's choices, in the engine's order
    assert i18n.texts("ko")["policies"]["customer_database"][0] == "고객 데이터베이스"
