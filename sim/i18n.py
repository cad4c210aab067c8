"""The words the dashboard and the classroom game show, in English and Korean.

Stage names follow seed 000 (인식 · 탐색 · 확장 · 몰입 · 해지); trust 신뢰, commitment 몰입, switching cost
전환 비용 and shared values 공유된 가치 as the Korean seeds write them. ``word(lang, key)`` looks a key
up; every key exists in both languages (tests/test_i18n.py).
"""

from __future__ import annotations

LANGS = ("en", "ko")

STAGES = {
    "en": {"awareness": "awareness", "exploration": "exploration", "expansion": "expansion",
           "commitment": "commitment", "dissolved": "dissolved"},
    "ko": {"awareness": "인식", "exploration": "탐색", "expansion": "확장", "commitment": "몰입", "dissolved": "해지"},
}
CAUSES = {
    "en": {"trust_breakdown": "trust breakdown", "better_alternative": "better alternative",
           "exporter_exit": "exporter exit", "dissatisfaction": "dissatisfaction",
           "key_account_loss": "key account loss", "lapsed": "unused awareness lapsed"},
    "ko": {"trust_breakdown": "신뢰 붕괴", "better_alternative": "더 나은 대안", "exporter_exit": "수출업체 퇴출",
           "dissatisfaction": "불만족", "key_account_loss": "핵심 고객 상실", "lapsed": "인식 소멸(거래 없음)"},
}
POLICIES = {
    "en": {"uniform": ("Even attention", "Every customer gets the same share of the retention budget."),
           "new_customers_first": ("New customers first", "New customers (exploration) get four times the attention, fading with age."),
           "key_accounts": ("Key accounts", "Attention in proportion to each customer's revenue so far."),
           "at_risk": ("Customers at risk", "Attention to the customers you believe least satisfied."),
           "satisfaction_survey": ("Satisfaction survey", "Regular surveys show how satisfied customers really are; "
                                   "attention to the least satisfied. Each survey costs money per customer."),
           "customer_database": ("Customer database", "A database of purchases: a truer view of satisfaction and a "
                                 "better-fitting offer; attention to the least satisfied. Costs money every month."),
           "shared_values_program": ("Shared-values programme", "Even attention, and every contact slowly brings your "
                                     "values and your customers' closer. Costs money per customer.")},
    "ko": {"uniform": ("고른 관리", "모든 고객에게 유지 예산을 똑같이 나눕니다."),
           "new_customers_first": ("신규 고객 우선", "새 고객(탐색 단계)에 네 배의 관심을 주고, 관계가 오래될수록 줄입니다."),
           "key_accounts": ("핵심 고객", "지금까지의 매출에 비례해 관심을 줍니다."),
           "at_risk": ("이탈 위험 고객", "만족도가 가장 낮다고 보이는 고객에게 관심을 줍니다."),
           "satisfaction_survey": ("고객 만족도 조사", "정기 조사로 고객의 실제 만족도를 알고, 가장 불만족한 고객에게 "
                                   "관심을 줍니다. 조사에는 고객당 비용이 듭니다."),
           "customer_database": ("고객 데이터베이스", "구매 기록 데이터베이스로 만족도를 더 정확히 알고 고객에 더 맞는 "
                                 "제안을 합니다. 불만족한 고객에게 관심을 줍니다. 매달 비용이 듭니다."),
           "shared_values_program": ("공유 가치 프로그램", "모든 고객에게 고르게 관심을 주고, 접촉할 때마다 서로의 가치가 "
                                     "조금씩 가까워집니다. 고객당 비용이 듭니다.")},
}

UI = {
    "en": {
        "lang_name": "English",
        # the dashboard
        "dash_title": "relsim classroom", "tick": "Tick", "exporters": "exporters", "buyers": "buyers",
        "policy": "policy", "running": "Running market (settings of the last Reset)", "seed": "seed",
        "next_reset": "⟳ Next Reset", "press_reset": "press Reset to apply",
        "press_step": "Press Step or ▶ to start the market.", "dissolved_so_far": "dissolved so far",
        "mean_trust": "mean trust", "mean_commitment": "mean commitment", "mean_satisfaction": "mean satisfaction",
        "retention_tick": "retention this tick", "chart_stages": "Relationships by stage",
        "chart_trust": "Trust and commitment (trading relationships)",
        "chart_dissolutions": "Dissolutions by cause, cumulative ({n} unused awareness lapsed)",
        "chart_network": "Tick {t}: {n} trading relationships", "partnership_buyers": "partnership buyers",
        "transactional_buyers": "transactional buyers", "tick_axis": "tick",
        "n_exporters": "Exporters", "n_buyers": "Buyers", "contact_budget": "Relationship budget per exporter (money/tick)",
        "values_spread": "Spread of shared values", "switching_cost_strength": "Switching-cost strength",
        "opportunism_mean": "Opportunism (mean)", "partnership_share": "Share of partnership buyers",
        "beta": "Intensity of choice (beta)", "retention_policy": "Retention policy", "rng": "Seed",
        # the game
        "game_title": "The relationship game", "join": "Join the game", "your_name": "Your name",
        "join_code": "Join code", "join_button": "Join", "you_run": "You run exporter {e}",
        "round": "Round", "of": "of", "decisions": "Your decisions", "acquisition": "Budget for finding new customers",
        "retention_part": "the rest ({p} %) keeps customers", "retention_policy_q": "How to share the rest among your customers",
        "save": "Save decisions for round {r}", "saved": "Saved for round {r}. They stand until you change them.",
        "not_saved": "Not changed for round {r}: your previous decisions stand.",
        "your_results": "Your results", "leaderboard": "Leaderboard", "rank": "#", "player": "Player",
        "profit": "Profit", "customers": "Customers", "retention": "Kept", "trust": "Trust",
        "computer": "computer ({p})", "market": "The market: relationships by stage",
        "play_round": "Play round {r}", "timer": "Seconds per round", "start_timer": "Start timer",
        "stop_timer": "Stop timer", "end_game": "End game", "next_in": "next round in {s} s",
        "players_decided": "players: {n} · decided for round {r}: {d}", "students_join": "Students join at",
        "game_over": "The game is over.", "debrief": "Debrief", "open_debrief": "Open the debrief",
        "waiting": "Waiting for the teacher to start round {r}.", "new": "New", "lost": "Lost",
        "decided": "Changed", "share": "Acquisition", "policy_short": "Policy", "teacher_key": "This page needs the teacher's key (printed in the terminal).",
        "stage_journey": "Relationships through the stages", "reached": "reached",
        "lost_by": "Trading relationships ended", "in_stage": "ended in", "best": "The class's best decisions",
        "worst": "The class's worst decisions", "winners": "What the winners had in common", "facts": "What the market shows",
        "story": "{player}, round {round}: {share} % on new customers, {policy}. Won {new} customers (class median {m_new}), "
                 "lost {lost} ({lost_expl} still in exploration), kept {ret} of the customers they had (median {m_ret}), "
                 "mean trust {trust} (median {m_trust}): profit {profit} against a median of {m_profit}.",
        "winners_text": "The top third of exporters (mean profit {top_profit}) spent {top_share} % on finding customers, most often "
                        "with “{top_policy}”; they kept {top_ret} of their customers per round, lost {top_expl} in exploration "
                        "and ended with {top_commit} committed customers. The bottom third (mean profit {bot_profit}): "
                        "{bot_share} %, “{bot_policy}”, kept {bot_ret}, lost {bot_expl} in exploration, {bot_commit} committed.",
        "fact_exploration": "{share} of the {n} trading relationships that ended were still in exploration: the fragile stage, "
                            "little invested on either side.",
        "fact_trust": "Mean trust of relationships that reached commitment: {c}; of those lost in exploration: {x}.",
        "fact_switching": "{n} relationships reached commitment; {b} of them were lost to a better alternative. Mean switching "
                          "cost of committed relationships {c} against {x} for those that ended.",
        "none": "—", "error": "Error",
    },
    "ko": {
        "lang_name": "한국어",
        "dash_title": "relsim 교실", "tick": "틱", "exporters": "수출업체", "buyers": "바이어",
        "policy": "정책", "running": "현재 시장(마지막 재설정 값)", "seed": "시드",
        "next_reset": "⟳ 다음 재설정", "press_reset": "재설정(Reset)을 누르면 적용됩니다",
        "press_step": "Step 또는 ▶를 눌러 시장을 시작하세요.", "dissolved_so_far": "누적 해지",
        "mean_trust": "평균 신뢰", "mean_commitment": "평균 몰입", "mean_satisfaction": "평균 만족",
        "retention_tick": "이번 틱 유지율", "chart_stages": "단계별 관계 수",
        "chart_trust": "신뢰와 몰입(거래 중인 관계)",
        "chart_dissolutions": "원인별 해지 누적 (거래 없이 소멸한 인식 {n}건)",
        "chart_network": "틱 {t}: 거래 중인 관계 {n}개", "partnership_buyers": "파트너십형 바이어",
        "transactional_buyers": "거래형 바이어", "tick_axis": "틱",
        "n_exporters": "수출업체 수", "n_buyers": "바이어 수", "contact_budget": "수출업체당 관계 예산 (틱당 금액)",
        "values_spread": "공유된 가치의 차이", "switching_cost_strength": "전환 비용의 강도",
        "opportunism_mean": "기회주의(평균)", "partnership_share": "파트너십형 바이어 비율",
        "beta": "선택의 강도(beta)", "retention_policy": "고객 유지 정책", "rng": "시드",
        "game_title": "관계 경영 게임", "join": "게임 참가", "your_name": "이름",
        "join_code": "참가 코드", "join_button": "참가", "you_run": "수출업체 {e}번을 운영합니다",
        "round": "라운드", "of": "/", "decisions": "나의 결정", "acquisition": "신규 고객 확보 예산",
        "retention_part": "나머지({p} %)는 기존 고객 유지에", "retention_policy_q": "유지 예산을 고객에게 나누는 방법",
        "save": "{r}라운드 결정 저장", "saved": "{r}라운드 결정이 저장되었습니다. 바꿀 때까지 유지됩니다.",
        "not_saved": "{r}라운드 결정을 바꾸지 않았습니다: 이전 결정이 유지됩니다.",
        "your_results": "나의 결과", "leaderboard": "순위표", "rank": "#", "player": "참가자",
        "profit": "이익", "customers": "고객", "retention": "유지율", "trust": "신뢰",
        "computer": "컴퓨터 ({p})", "market": "시장: 단계별 관계 수",
        "play_round": "{r}라운드 진행", "timer": "라운드당 초", "start_timer": "타이머 시작",
        "stop_timer": "타이머 정지", "end_game": "게임 종료", "next_in": "다음 라운드까지 {s}초",
        "players_decided": "참가자 {n}명 · {r}라운드 결정 {d}명", "students_join": "학생 참가 주소",
        "game_over": "게임이 끝났습니다.", "debrief": "정리(디브리핑)", "open_debrief": "정리 화면 열기",
        "waiting": "교사가 {r}라운드를 시작하기를 기다리는 중입니다.", "new": "신규", "lost": "이탈",
        "decided": "변경", "share": "확보 예산", "policy_short": "정책", "teacher_key": "이 화면은 교사 키가 필요합니다(터미널에 표시됨).",
        "stage_journey": "단계별 관계의 흐름", "reached": "도달",
        "lost_by": "종료된 거래 관계", "in_stage": "종료 단계", "best": "우리 반 최고의 결정",
        "worst": "우리 반 최악의 결정", "winners": "상위 팀의 공통점", "facts": "시장이 보여 준 것",
        "story": "{player}, {round}라운드: 신규 고객에 {share} %, “{policy}”. 신규 고객 {new}명(반 중앙값 {m_new}), "
                 "이탈 {lost}명(그중 탐색 단계 {lost_expl}명), 기존 고객 유지율 {ret}(중앙값 {m_ret}), "
                 "평균 신뢰 {trust}(중앙값 {m_trust}): 이익 {profit}, 중앙값 {m_profit}.",
        "winners_text": "이익 상위 1/3 수출업체(평균 이익 {top_profit})는 신규 고객 확보에 {top_share} %를 쓰고 주로 “{top_policy}”를 "
                        "택했으며, 라운드마다 고객의 {top_ret}를 유지하고 탐색 단계에서 {top_expl}명을 잃었고, 몰입 고객 {top_commit}명으로 "
                        "마쳤습니다. 하위 1/3(평균 이익 {bot_profit}): {bot_share} %, “{bot_policy}”, 유지율 {bot_ret}, "
                        "탐색 단계 이탈 {bot_expl}명, 몰입 고객 {bot_commit}명.",
        "fact_exploration": "종료된 거래 관계 {n}개 중 {share}가 아직 탐색 단계였습니다: 양쪽 모두 투자가 적은 취약한 단계입니다.",
        "fact_trust": "몰입 단계에 도달한 관계의 평균 신뢰: {c}; 탐색 단계에서 잃은 관계: {x}.",
        "fact_switching": "몰입 단계에 도달한 관계 {n}개 중 {b}개가 더 나은 대안 때문에 끝났습니다. 몰입한 관계의 평균 전환 비용 {c}, "
                          "종료된 관계 {x}.",
        "none": "—", "error": "오류",
    },
}


def word(lang: str, key: str, **values) -> str:
    """The text ``key`` in ``lang`` (English for an unknown language), with ``{name}`` fields filled."""
    text = UI.get(lang, UI["en"])[key]
    return text.format(**values) if values else text


def texts(lang: str) -> dict:
    """Everything a page needs in ``lang``: the UI words, stage, cause and policy names."""
    lang = lang if lang in LANGS else "en"
    return {"ui": UI[lang], "stages": STAGES[lang], "causes": CAUSES[lang],
            "policies": policy_texts(lang), "lang": lang}


def policy_texts(lang: str) -> dict[str, list[str]]:
    """Every registered retention policy (sim.policies), in registration order: [name, what it does] in
    ``lang``; a policy registered without a translation shows its own name and description."""
    from .policies import POLICIES as REGISTERED

    table = POLICIES[lang if lang in LANGS else "en"]
    return {k: list(table.get(k, (k.replace("_", " "), cls.description))) for k, cls in REGISTERED.items()}
