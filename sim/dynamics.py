"""How a relationship changes in one tick: small pure functions over arrays.

Every function takes arrays (one entry per relationship) and returns new
arrays; none reads or writes model state. The equations are the model's
submodels as documented in docs/ODD.md.
"""

from __future__ import annotations

import numpy as np


def communication(budget: np.ndarray, efficiency: float) -> np.ndarray:
    """Communication received from the contact budget spent on a relationship.

    ``c = 1 - exp(-efficiency * budget)``, in [0, 1): diminishing returns on
    contact; ``efficiency`` is the channel's trust effect per unit of budget.
    """
    return 1.0 - np.exp(-efficiency * budget)


def shared_values(v_exporter: np.ndarray, v_buyer: np.ndarray) -> np.ndarray:
    """Similarity of two unit value vectors mapped to [0, 1]: ``(1 + v_e . v_b) / 2``."""
    return 0.5 * (1.0 + np.einsum("ij,ij->i", v_exporter, v_buyer))


def monitoring(base: np.ndarray, trust: np.ndarray, excessive: bool, threshold: float, strength: float) -> np.ndarray:
    """Chance that the buyer detects an opportunistic act.

    With excessive trust switched on, monitoring falls once trust passes
    ``threshold``: ``m = base * (1 - strength * clip((T - threshold) / (1 - threshold), 0, 1))``.
    """
    if not excessive:
        return base
    over = np.clip((trust - threshold) / max(1.0 - threshold, 1e-9), 0.0, 1.0)
    return base * (1.0 - strength * over)


def trust_update(
    calculus: np.ndarray,
    knowledge: np.ndarray,
    identification: np.ndarray,
    comm: np.ndarray,
    values: np.ndarray,
    satisfaction: np.ndarray,
    detected: np.ndarray,
    committed: np.ndarray,
    *,
    gain: float,
    loss: float,
    penalty: float,
    calculus_decay: float,
    identification_gain: float,
    communication_effect: float,
    shared_values_effect: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Calculus-, knowledge- and identification-based trust, and their combination.

    Calculus trust wears off:      ``Tc <- Tc (1 - calculus_decay)``
    Knowledge trust builds with communication, shared values and good outcomes,
    and falls with bad outcomes, faster than it rises (``loss > gain``)::

        up   = communication_effect * c + shared_values_effect * s / 2 + 2 max(S, 0)
        down = 2 max(-S, 0)
        Tk  <- Tk + gain * up * (1 - Tk) - min(loss * down, Tk)

    Gains saturate (``1 - Tk``: the more trust, the less there is left to
    win); losses do not (a bad outcome costs ``loss * down`` whatever trust
    there is, until none is left). So a satisfaction shock ``-x`` lowers trust
    by ``loss / (gain (1 - Tk))`` times what ``+x`` would raise it, at every
    level of trust that has something to lose (a loss proportional to ``Tk``
    would make trust rise faster than it falls below ``gain / (gain + loss)``).

    Identification trust grows with shared values in committed relationships:
    ``Ti <- Ti + identification_gain * shared_values_effect * s * (1 - Ti)``.
    A detected opportunistic act destroys a share ``penalty`` of every component.
    Trust is their noisy-or: ``T = 1 - (1 - Tc)(1 - Tk)(1 - Ti)``; all stay in [0, 1].
    """
    tc = calculus * (1.0 - calculus_decay)
    up = communication_effect * comm + 0.5 * shared_values_effect * values + 2.0 * np.maximum(satisfaction, 0.0)
    down = 2.0 * np.maximum(-satisfaction, 0.0)
    tk = knowledge + np.minimum(gain * up, 1.0) * (1.0 - knowledge) - np.minimum(loss * down, knowledge)
    ti = identification + np.where(
        committed, np.minimum(identification_gain * shared_values_effect * values, 1.0) * (1.0 - identification), 0.0
    )
    keep = np.where(detected, 1.0 - penalty, 1.0)
    tc, tk, ti = np.clip(tc * keep, 0, 1), np.clip(tk * keep, 0, 1), np.clip(ti * keep, 0, 1)
    return tc, tk, ti, combine_trust(tc, tk, ti)


def combine_trust(calculus: np.ndarray, knowledge: np.ndarray, identification: np.ndarray) -> np.ndarray:
    """Overall trust as the noisy-or of its three forms: ``1 - (1-Tc)(1-Tk)(1-Ti)``."""
    return 1.0 - (1.0 - calculus) * (1.0 - knowledge) * (1.0 - identification)


def commitment_update(
    commitment: np.ndarray,
    trust: np.ndarray,
    values: np.ndarray,
    benefit: np.ndarray,
    switching_cost: np.ndarray,
    orientation: np.ndarray,
    *,
    gain: float,
    decay: float,
    shared_values_effect: float,
    detected: np.ndarray | None = None,
    betrayal_loss: float = 0.0,
) -> np.ndarray:
    """Commitment rises with trust, shared values, benefits and switching costs; it decays.

    ``drive = 0.4 T + 0.2 min(1, shared_values_effect * s) + 0.2 clip(benefit, 0, 1) + 0.2 SC / (1 + SC)``
    ``C <- C + gain * orientation * drive * (1 - C) - decay * C``

    ``orientation`` is 1 for partnership buyers and 0.5 for transactional ones.
    Where an opportunistic act was ``detected`` this tick, the promise of
    continuity is broken: ``C <- C (1 - betrayal_loss)`` (after the update).
    Without it, the trust-free part of ``drive`` keeps a committed partnership
    above the fall-back level for ever, so commitment could never decay back
    to expansion.
    """
    drive = (
        0.4 * trust
        + 0.2 * np.minimum(1.0, shared_values_effect * values)
        + 0.2 * np.clip(benefit, 0.0, 1.0)
        + 0.2 * switching_cost / (1.0 + switching_cost)
    )
    c = commitment + gain * orientation * drive * (1.0 - commitment) - decay * commitment
    if detected is not None and betrayal_loss > 0:
        c = np.where(detected, c * (1.0 - betrayal_loss), c)
    return np.clip(c, 0.0, 1.0)


def investment_update(investment: np.ndarray, volume_share: np.ndarray, invests: np.ndarray, *, rate: float, depreciation: float) -> np.ndarray:
    """Relationship-specific input investment: ``I <- I (1 - depreciation) + rate * share`` while ``invests``.

    ``share`` is the buyer's volume with this exporter relative to its mean
    demand; investment accumulates only in expansion and commitment.
    """
    return investment * (1.0 - depreciation) + np.where(invests, rate * volume_share, 0.0)


def switching_cost(investment: np.ndarray, importance: np.ndarray, alternatives: np.ndarray, *, strength: float) -> np.ndarray:
    """Switching cost = input investment + conversion risk (seed 002).

    Conversion risk is the product's importance to the buyer, discounted when
    the buyer already trades with alternatives: ``R = importance * exp(-alternatives / 2)``.
    ``SC = strength * (I + R)``.
    """
    return strength * (investment + importance * np.exp(-0.5 * alternatives))


def satisfaction_update(
    outcome: np.ndarray, expectation: np.ndarray, value: np.ndarray, observed: np.ndarray, *, smoothing: float, adaptation: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Satisfaction = smoothed outcome minus an adaptive expectation.

    Where the buyer ``observed`` a delivery of ``value`` this tick:
    ``O <- (1 - smoothing) O + smoothing * value`` and
    ``E <- (1 - adaptation) E + adaptation * value``. Satisfaction ``S = O - E``.
    """
    o = np.where(observed, (1.0 - smoothing) * outcome + smoothing * value, outcome)
    e = np.where(observed, (1.0 - adaptation) * expectation + adaptation * value, expectation)
    return o, e, o - e


def preference_update(preference: np.ndarray, payoff: np.ndarray, *, gamma: float) -> np.ndarray:
    """Weisbuch-Kirman-Herreiner reinforcement: ``J <- (1 - gamma) J + payoff``."""
    return (1.0 - gamma) * preference + payoff


def attractiveness(quality: np.ndarray, price: np.ndarray, price_sensitivity: np.ndarray, trust: np.ndarray, commitment: np.ndarray) -> np.ndarray:
    """A supplier's attractiveness to a buyer: ``A = q - ps (p - 1) + T + C``."""
    return quality - price_sensitivity * (price - 1.0) + trust + commitment
