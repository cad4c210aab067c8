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

Exporters in one market may run different policies (``MarketModel(policy_mix=...)``):
``assign_policies`` decides which exporter runs which, from the run's seed alone,
and ``effects`` gives the engine each exporter's declarative effects as arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np

from .draws import ASSIGNMENT, stream_key, uniform
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


# ---- which exporter runs which policy ---------------------------------------------------------------
class Assignment(NamedTuple):
    """The policies of a market: ``policies[code[e]]`` is exporter ``e``'s policy (in the mix's order)."""

    policies: tuple[Policy, ...]
    code: np.ndarray  # int8, one per exporter

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.policies)


def _known(name, where: str) -> str:
    if not isinstance(name, str) or name not in POLICIES:
        import difflib

        near = difflib.get_close_matches(str(name), POLICIES, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise ValueError(f"{where}={name!r} is not allowed{hint}: expected one of {', '.join(sorted(POLICIES))}")
    return name


def mix_counts(shares: Sequence[float], n: int) -> np.ndarray:
    """How many of ``n`` exporters run each policy of a mix with these ``shares`` (summing to 1).

    Largest remainders (Hamilton): each policy gets ``floor(share n)``, and the exporters left over go to the
    largest fractional parts, ties to the policy listed first.
    """
    exact = np.asarray(shares, dtype=np.float64) * n
    counts = np.floor(exact + 1e-9).astype(np.int64)
    left = n - int(counts.sum())
    order = sorted(range(len(exact)), key=lambda j: (-(exact[j] - counts[j]), j))
    for j in order[:left]:
        counts[j] += 1
    return counts


def exporter_ranks(n_exporters: int, seed: int) -> list[int]:
    """The exporters in the order a policy mix hands out policies: by one order-free draw each,
    ``uniform(stream_key(seed, ASSIGNMENT, 0), e, 0)`` (ties by id). Depends on the seed alone."""
    key = stream_key(seed, ASSIGNMENT, 0)
    return sorted(range(n_exporters), key=lambda e: (uniform(key, e, 0), e))


def assign_policies(mix: Mapping[str, float] | Sequence[str] | None, default: str, n_exporters: int,
                    seed: int) -> Assignment:
    """Which exporter runs which retention policy.

    ``mix`` is None (every exporter runs ``default``), a mapping ``{policy: share}`` with shares >= 0 that sum
    to 1, or a sequence of ``n_exporters`` policy names (exporter ``e`` runs ``mix[e]``). With shares, the
    counts follow ``mix_counts`` and exporters are ranked by one order-free draw each
    (``uniform(stream_key(seed, ASSIGNMENT, 0), e, 0)``): the first policy of the mix goes to the lowest
    ranks, and so on. The ranks depend on the seed alone, so the exporters playing the first policy are the
    same whatever the policies are called (a tournament's focal exporters, on common random numbers).
    Raises ValueError naming the field, the value and what is allowed.
    """
    if mix is None:
        return Assignment((get_policy(_known(default, "policy")),), np.zeros(n_exporters, np.int8))
    if isinstance(mix, Mapping):
        if not mix:
            raise ValueError("policy_mix={} is not allowed: expected at least one policy with a share")
        names = [_known(k, "policy_mix") for k in mix]
        shares = []
        for k, v in mix.items():
            if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)) or not (0 <= v <= 1):
                raise ValueError(f"policy_mix.{k}={v!r} is not allowed: expected a share in [0, 1]")
            shares.append(float(v))
        if abs(sum(shares) - 1.0) > 1e-6:
            raise ValueError(f"policy_mix shares sum to {sum(shares):g}: expected shares that sum to 1")
        ranked = exporter_ranks(n_exporters, seed)
        code = np.empty(n_exporters, np.int8)
        start = 0
        for j, count in enumerate(mix_counts(shares, n_exporters)):
            code[ranked[start:start + count]] = j
            start += count
        return Assignment(tuple(get_policy(n) for n in names), code)
    if isinstance(mix, (str, bytes)) or not isinstance(mix, Sequence):
        raise ValueError(f"policy_mix={mix!r} is not allowed: expected a mapping of policy names to shares, "
                         "or one policy name per exporter")
    if len(mix) != n_exporters:
        raise ValueError(f"policy_mix has {len(mix)} names: expected one policy name per exporter ({n_exporters})")
    names = list(dict.fromkeys(_known(k, "policy_mix") for k in mix))
    code = np.array([names.index(k) for k in mix], dtype=np.int8)
    return Assignment(tuple(get_policy(n) for n in names), code)


def check_mix(mix) -> None:
    """Raise ValueError (field, value, what is allowed) unless ``mix`` is a valid ``policy_mix`` (its length
    against the number of exporters is checked when the market is built)."""
    if isinstance(mix, Mapping):
        assign_policies(mix, "uniform", 0, 0)
    elif isinstance(mix, (str, bytes)) or not isinstance(mix, Sequence) or not mix:
        raise ValueError(f"policy_mix={mix!r} is not allowed: expected a mapping of policy names to shares, "
                         "or one policy name per exporter")
    else:
        assign_policies(mix, "uniform", len(mix), 0)


def mix_label(mix) -> str:
    """A policy mix as runs and tables name it: ``key_accounts 25% + uniform 75%`` (shares), or the
    distinct names with their counts (one name per exporter)."""
    if isinstance(mix, Mapping):
        return " + ".join(f"{k} {100 * float(v):g}%" for k, v in mix.items())
    counts = dict.fromkeys(mix, 0)
    for k in mix:
        counts[k] += 1
    return " + ".join(f"{k} x{n}" for k, n in counts.items())


class Effects(NamedTuple):
    """Each exporter's declarative policy effects (``Policy``'s class attributes), as arrays the kernels read."""

    survey: np.ndarray  # bool
    database: np.ndarray  # bool
    fit_bonus: np.ndarray  # float64
    value_alignment: np.ndarray  # float64


def effects(assignment: Assignment) -> Effects:
    """The effects of every exporter's policy, one entry per exporter."""
    pol, code = assignment.policies, assignment.code
    return Effects(
        survey=np.array([p.survey for p in pol], dtype=np.bool_)[code],
        database=np.array([p.database for p in pol], dtype=np.bool_)[code],
        fit_bonus=np.array([float(p.fit_bonus) for p in pol], dtype=np.float64)[code],
        value_alignment=np.array([float(p.value_alignment or 0.0) for p in pol], dtype=np.float64)[code],
    )
