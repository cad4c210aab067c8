"""Retention policies: where an exporter's contact budget goes.

A policy is one class with one decision method, ``priority``, plus declarative
metadata that the engine reads (like Axelrod's strategies)::

    @register_policy
    class Loyalists(Policy):
        name = "loyalists"
        description = "Talk most to the oldest customers."
        def priority(self, view):
            return 1.0 + view.age

Each exporter's retention budget is shared among its trading relationships in
proportion to ``priority``; nothing else in the engine needs to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .sums import mean
from .vocab import EXPLORATION

POLICIES: dict[str, type["Policy"]] = {}


@dataclass(frozen=True)
class PolicyView:
    """What an exporter knows about its trading relationships (one entry per row).

    Exporters do not see their customers' true satisfaction: ``perceived`` is
    their estimate (refreshed to the truth by surveys, sharpened by a customer
    database).
    """

    tick: int
    exporter: np.ndarray
    stage: np.ndarray
    age: np.ndarray  # ticks since the pair met
    revenue: np.ndarray  # cumulative revenue from the customer
    last_order: np.ndarray  # units ordered this tick
    perceived: np.ndarray  # perceived satisfaction
    buyer_size: np.ndarray  # the customer's mean demand (its size)
    rng: np.random.Generator


#: the columns of a PolicyView the engine gathers only when a policy reads them
LAZY_FIELDS = ("stage", "age", "revenue", "last_order", "perceived", "buyer_size")


class LazyPolicyView(PolicyView):
    """A ``PolicyView`` whose columns are gathered on first use by ``load(name)``.

    The engine hands one of these to ``Policy.priority``, so that a policy pays
    only for the columns it reads (``uniform`` reads none but ``stage``'s size);
    to a policy it is an ordinary ``PolicyView``.
    """

    def __init__(self, *, tick: int, exporter: np.ndarray, rng: np.random.Generator, load):
        object.__setattr__(self, "tick", tick)
        object.__setattr__(self, "exporter", exporter)
        object.__setattr__(self, "rng", rng)
        object.__setattr__(self, "_load", load)

    def __getattr__(self, name: str):  # called only for columns not gathered yet
        if name in LAZY_FIELDS:
            value = self._load(name)
            object.__setattr__(self, name, value)
            return value
        raise AttributeError(name)


class Policy:
    """Base class of retention policies.

    Declarative effects (class attributes) read by the engine:

    ``survey``
        every ``survey_every`` ticks the exporter learns each customer's true
        satisfaction (seed 000's regular satisfaction surveys).
    ``database``
        the exporter tracks purchase patterns: its perceived satisfaction
        follows the truth closely and its offering fits better, raising the
        value a contacted customer receives by up to ``fit_bonus``.
    ``value_alignment``
        per tick, contacted relationships' shared values move this share of
        the way towards 1 (a shared-values programme).
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    reference: ClassVar[str] = ""
    survey: ClassVar[bool] = False
    database: ClassVar[bool] = False
    fit_bonus: ClassVar[float] = 0.0
    value_alignment: ClassVar[float] = 0.0

    def priority(self, view: PolicyView) -> np.ndarray:
        """Non-negative weight of each relationship in the exporter's retention budget."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))


def register_policy(cls: type[Policy]) -> type[Policy]:
    """Class decorator: make ``cls`` selectable by ``cls.name`` in models and scenarios."""
    if not cls.name:
        raise ValueError(f"policy class {cls.__name__} has no name")
    POLICIES[cls.name] = cls
    return cls


def get_policy(name: str) -> Policy:
    """A fresh instance of the policy registered as ``name``."""
    try:
        return POLICIES[name]()
    except KeyError:
        raise ValueError(
            f"policy={name!r} is not allowed: expected one of {', '.join(sorted(POLICIES))}"
        ) from None


@register_policy
class Uniform(Policy):
    name = "uniform"
    description = "Every customer gets the same share of the contact budget."

    def priority(self, view):
        return np.ones(view.exporter.size)


@register_policy
class NewCustomersFirst(Policy):
    name = "new_customers_first"
    description = "Nurse exploration: new customers get four times the attention, fading with age."
    reference = "Dwyer, Schurr & Oh (1987): exploration is the fragile stage"

    def priority(self, view):
        return 1.0 + 3.0 * (view.stage == EXPLORATION) + 2.0 / (1.0 + view.age / 10.0)


@register_policy
class KeyAccounts(Policy):
    name = "key_accounts"
    description = "Attention in proportion to each customer's revenue so far (largest accounts first)."

    def priority(self, view):
        return 0.05 + view.revenue / max(mean(view.revenue) if view.revenue.size else 1.0, 1e-9)


@register_policy
class AtRisk(Policy):
    name = "at_risk"
    description = "Attention to the customers the exporter believes least satisfied."

    def priority(self, view):
        return 1.0 + 10.0 * np.maximum(0.0, 0.05 - view.perceived)


@register_policy
class SatisfactionSurvey(AtRisk):
    name = "satisfaction_survey"
    description = "Regular surveys reveal true satisfaction; attention goes to the least satisfied."
    reference = "seed 000: regular customer satisfaction surveys"
    survey = True


@register_policy
class CustomerDatabase(AtRisk):
    name = "customer_database"
    description = "A customer database tracks purchase patterns: truer view of satisfaction and a better-fitting offer."
    reference = "seed 000: systematic management of the buyer database"
    database = True
    fit_bonus = 0.05


@register_policy
class SharedValuesProgram(Policy):
    name = "shared_values_program"
    description = "Even attention, and every contact slowly aligns the partners' values."
    reference = "Morgan & Hunt (1994): shared values drive trust and commitment"
    value_alignment = 0.01

    def priority(self, view):
        return np.ones(view.exporter.size)
