"""Judgement: after trading, buyers judge their suppliers.

Satisfaction against adaptive expectations, the exporter's perception of it,
trust (three forms), commitment, and the reinforcement preferences J, for every
trading relationship at once. The equations are in ``dynamics``.
"""

from __future__ import annotations

import numpy as np

from . import dynamics, kernels
from .ledger import COMMITMENT


def judge(model, t: int) -> None:
    """Update satisfaction, perceived satisfaction, trust, commitment and J of trading rows."""
    if kernels.ENABLED:
        return kernels.judge(model, t)
    p, L, by, now, policy = model.p, model.ledger, model.buyers, model.now, model.policy
    tr = now.rows
    b = L.buyer[tr]
    stage = L.stage[tr]

    outcome, expectation, sat = dynamics.satisfaction_update(
        L.outcome[tr],
        L.expectation[tr],
        now.value,
        now.ordered,
        smoothing=p["satisfaction_smoothing"],
        adaptation=p["expectation_adaptation"],
    )
    L.outcome[tr], L.expectation[tr], L.satisfaction[tr] = outcome, expectation, sat
    L.low_sat[tr] = np.where(sat < p["dissatisfaction_level"], L.low_sat[tr] + 1, 0)

    # what the exporter believes: order changes against its forecast, unless it knows better
    fc = L.forecast[tr]
    proxy = np.clip(np.where(fc > 0, now.order / np.maximum(fc, 1e-12) - 1.0, 0.0), -1, 1) * 0.5
    perceived = 0.8 * L.perceived[tr] + 0.2 * proxy
    if policy.database:
        perceived = 0.5 * perceived + 0.5 * sat
    if policy.survey and t % p["survey_every"] == 0:
        perceived = sat
    L.perceived[tr] = perceived

    if policy.value_alignment:
        sv = L.shared_values[tr]
        L.shared_values[tr] = sv + policy.value_alignment * L.communication[tr] * (1.0 - sv)

    tc, tk, ti, trust = dynamics.trust_update(
        L.trust_calculus[tr],
        L.trust_knowledge[tr],
        L.trust_identification[tr],
        L.communication[tr],
        L.shared_values[tr],
        sat,
        now.detected,
        stage == COMMITMENT,
        gain=p["trust_gain"],
        loss=p["trust_loss"],
        penalty=p["opportunism_penalty"],
        calculus_decay=p["calculus_decay"],
        identification_gain=p["identification_gain"],
        communication_effect=p["communication_effect"],
        shared_values_effect=p["shared_values_effect"],
    )
    L.trust_calculus[tr], L.trust_knowledge[tr], L.trust_identification[tr], L.trust[tr] = tc, tk, ti, trust

    L.commitment[tr] = dynamics.commitment_update(
        L.commitment[tr],
        trust,
        L.shared_values[tr],
        outcome,
        L.switching_cost[tr],
        np.where(by.partnership[b], 1.0, 0.5),
        gain=p["commitment_gain"],
        decay=p["commitment_decay"],
        shared_values_effect=p["shared_values_effect"],
        detected=now.detected,
        betrayal_loss=p["opportunism_commitment_loss"],
    )
    L.preference[tr] = dynamics.preference_update(L.preference[tr], now.payoff, gamma=p["gamma"])
