"""Every parameter of the market model: name, default, allowed range, meaning.

This table is the one source of truth. ``MarketModel``'s keyword arguments,
its signature and docstring, the scenario schema and the ODD's parameter table
are all built from it, so a parameter is documented exactly once.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
from numba.extending import typeof_impl

from .policies import POLICIES
from .vocab import CHANNEL_COST, CHANNEL_EFFECT, CHANNELS, CHOICE_RULES, FORECAST_METHODS, INITIAL_AWARENESS, PROSPECT_TARGETING


@dataclass(frozen=True)
class Param:
    """One model parameter.

    ``choices`` is set for categorical parameters; ``low``/``high`` (inclusive)
    for numeric ones. ``section`` groups parameters as the scenario file does.
    """

    name: str
    default: Any
    doc: str
    section: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    kind: type = float
    unit: str = ""

    def allowed(self) -> str:
        """Human-readable description of the allowed values."""
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind is bool:
            return "true or false"
        if self.kind is str:
            return "a string"
        lo = "-inf" if self.low is None else _fmt(self.low)
        hi = "inf" if self.high is None else _fmt(self.high)
        what = "an integer" if self.kind is int else "a number"
        return f"{what} in [{lo}, {hi}]"

    def check(self, value: Any) -> Any:
        """Return ``value`` coerced to this parameter's type, or raise ValueError."""
        if value is None and self.kind is not bool and self.default is None:
            return None
        if self.choices is not None:
            if value not in self.choices:
                raise ValueError(self._bad(value))
            return value
        if self.kind is str:
            if not isinstance(value, str):
                raise ValueError(self._bad(value))
            return value
        if self.kind is bool:
            if not isinstance(value, (bool,)) and value not in (0, 1):
                raise ValueError(self._bad(value))
            return bool(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            try:
                import numpy as np

                if isinstance(value, np.generic):
                    value = value.item()
                else:
                    raise TypeError
            except TypeError:
                raise ValueError(self._bad(value)) from None
        if self.kind is int:
            if float(value) != int(value):
                raise ValueError(self._bad(value))
            value = int(value)
        else:
            value = float(value)
        if value != value or (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        ):
            raise ValueError(self._bad(value))
        return value

    def _bad(self, value: Any) -> str:
        return f"{self.name}={value!r} is not allowed: expected {self.allowed()}"


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def _p(name, default, doc, section, low=None, high=None, unit="", kind=None, choices=None):
    if kind is None:
        kind = (
            str
            if choices or isinstance(default, str)
            else bool
            if isinstance(default, bool)
            else int
            if isinstance(default, int)
            else float
        )
    return Param(name, default, doc, section, low, high, choices, kind, unit)


PARAMS: tuple[Param, ...] = (
    # --- market: exporters ---------------------------------------------------
    _p("n_exporters", 20, "number of exporters (sellers)", "exporters", 1, 100_000),
    _p("quality_mean", 0.65, "mean product quality q", "exporters", 0.0, 1.0),
    _p("quality_sd", 0.12, "spread (sd) of product quality across exporters", "exporters", 0.0, 0.5),
    _p("price_mean", 1.0, "mean unit price", "exporters", 0.01, 100.0, "money/unit"),
    _p("price_sd", 0.1, "spread (sd) of unit price", "exporters", 0.0, 10.0, "money/unit"),
    _p("unit_cost_ratio", 0.65, "unit cost as a share of price", "exporters", 0.0, 1.0),
    _p("opportunism_mean", 0.05, "mean chance of an opportunistic act per delivery", "exporters", 0.0, 1.0, "1/delivery"),
    _p("opportunism_sd", 0.03, "spread (sd) of opportunism across exporters", "exporters", 0.0, 0.5),
    _p("shading", 0.3, "share of value lost to the buyer in an opportunistic act", "exporters", 0.0, 1.0),
    _p("contact_budget", 0.8, "relationship budget per exporter per tick: money for contact with customers and prospects",
       "exporters", 0.0, 1e6, "money/tick"),
    _p("contact_cost", 0.02, "price of a standard contact (a channel's contact costs 0.3-1.5 of it, sim.vocab.CHANNEL_COST)",
       "exporters", 1e-6, 100.0, "money/contact"),
    _p("channel", "mixed", "communication channel mix used by every exporter", "exporters",
       choices=("mixed",) + CHANNELS),
    _p("capacity_ratio", 1.5, "capacity as a multiple of the exporter's fair share of market demand", "exporters", 0.01, 100.0),
    _p("forecast_method", "exponential_smoothing", "how exporters forecast each customer's orders", "exporters",
       choices=FORECAST_METHODS),
    _p("forecast_window", 4, "window of the moving-average forecast", "exporters", 1, 8, "ticks"),
    _p("forecast_alpha", 0.3, "smoothing constant of exponential smoothing and seasonal index", "exporters", 0.01, 1.0),
    _p("safety_stock", 0.2, "safety stock as a share of forecast orders", "exporters", 0.0, 5.0),
    _p("holding_cost", 0.05, "cost of holding one unit of unsold stock for a tick", "exporters", 0.0, 10.0, "money/unit"),
    _p("stockout_cost", 0.3, "penalty per unit ordered but not delivered", "exporters", 0.0, 10.0, "money/unit"),
    _p("exit_rate", 0.0005, "exogenous hazard that an exporter leaves the market", "exporters", 0.0, 1.0, "1/tick"),
    _p("exit_patience", 30, "ticks of negative smoothed profit after which an exporter exits", "exporters", 1, 10_000, "ticks"),
    # --- market: buyers ------------------------------------------------------
    _p("n_buyers", 500, "number of buyers (importers)", "buyers", 1, 10_000_000),
    _p("partnership_share", 0.5, "share of buyers with a partnership (vs transactional) orientation", "buyers", 0.0, 1.0),
    _p("values_dim", 4, "dimensions of the shared-values vectors", "buyers", 1, 16),
    _p("values_spread", 0.6, "spread of value vectors around a common culture (0: all alike)", "buyers", 0.0, 5.0),
    _p("monitoring", 0.7, "chance that a buyer detects an opportunistic act", "buyers", 0.0, 1.0),
    _p("price_sensitivity", 1.0, "weight of price in a transactional buyer's attractiveness", "buyers", 0.0, 20.0),
    _p("importance_mean", 0.5, "mean importance of the product to the buyer (conversion risk)", "buyers", 0.0, 1.0),
    _p("suppliers_transactional", 4, "suppliers a transactional buyer wants at once", "buyers", 1, 50),
    _p("suppliers_partnership", 2, "suppliers a partnership buyer wants at once", "buyers", 1, 50),
    # --- choice --------------------------------------------------------------
    _p("choice_rule", "logit", "how buyers order: logit split over attractiveness, or WKH reinforcement", "choice",
       choices=CHOICE_RULES),
    _p("beta", 4.0, "intensity of choice (logit/softmax)", "choice", 0.0, 1000.0),
    _p("gamma", 0.1, "forgetting rate of reinforcement preferences J", "choice", 0.0, 1.0, "1/tick"),
    _p("profit", 1.0, "buyer's profit from a served visit in the reinforcement rule", "choice", 0.0, 1000.0),
    _p("initial_preference", 0.0, "initial preference J of every known seller", "choice", 0.0, 1e6),
    _p("initial_loyal", 0.0, "extra initial preference for one seller per buyer (hysteresis runs)", "choice", 0.0, 1e6),
    # --- dynamics ------------------------------------------------------------
    _p("trust_gain", 0.08, "rate at which knowledge-based trust rises", "dynamics", 0.0, 1.0, "1/tick"),
    _p("trust_loss", 0.25, "rate at which knowledge-based trust falls on bad outcomes", "dynamics", 0.0, 1.0, "1/tick"),
    _p("opportunism_penalty", 0.5, "share of trust destroyed by one detected opportunistic act", "dynamics", 0.0, 1.0),
    _p("opportunism_commitment_loss", 0.25, "share of commitment destroyed by one detected opportunistic act", "dynamics", 0.0, 1.0),
    _p("calculus_trust", 0.35, "initial calculus-based trust (contracts, guarantees) of a new relationship", "dynamics", 0.0, 1.0),
    _p("calculus_decay", 0.05, "rate at which calculus-based trust wears off", "dynamics", 0.0, 1.0, "1/tick"),
    _p("identification_gain", 0.04, "rate of identification-based trust in committed relationships", "dynamics", 0.0, 1.0, "1/tick"),
    _p("communication_effect", 1.0, "strength of communication in building trust", "dynamics", 0.0, 10.0),
    _p("shared_values_effect", 1.0, "strength of shared values in trust and commitment", "dynamics", 0.0, 10.0),
    _p("commitment_gain", 0.06, "rate at which commitment rises with its drivers", "dynamics", 0.0, 1.0, "1/tick"),
    _p("commitment_decay", 0.02, "rate at which commitment decays without reinforcement", "dynamics", 0.0, 1.0, "1/tick"),
    _p("switching_cost_strength", 1.0, "scale of switching costs (input investment + conversion risk)", "dynamics", 0.0, 10.0),
    _p("investment_rate", 0.02, "relationship-specific investment per unit of volume", "dynamics", 0.0, 1.0),
    _p("investment_depreciation", 0.02, "depreciation of relationship-specific investment", "dynamics", 0.0, 1.0, "1/tick"),
    _p("satisfaction_smoothing", 0.3, "weight of the newest outcome in smoothed outcome", "dynamics", 0.0, 1.0),
    _p("expectation_adaptation", 0.05, "rate at which expectations adapt to outcomes", "dynamics", 0.0, 1.0, "1/tick"),
    _p("information_sharing", True, "committed buyers share their demand forecast with the exporter", "dynamics"),
    _p("excessive_trust", False, "very high trust lowers the buyer's monitoring", "dynamics"),
    _p("excessive_trust_threshold", 0.75, "trust above which monitoring starts to fall", "dynamics", 0.0, 1.0),
    _p("excessive_trust_strength", 0.9, "share of monitoring lost at full trust", "dynamics", 0.0, 1.0),
    # --- lifecycle -----------------------------------------------------------
    _p("trial_rate", 0.15, "chance per tick that an aware buyer in need places a trial order", "lifecycle", 0.0, 1.0, "1/tick"),
    _p("min_trials", 3, "orders before exploration can become expansion", "lifecycle", 0, 1000),
    _p("expansion_trust", 0.55, "trust needed to move from exploration to expansion", "lifecycle", 0.0, 1.0),
    _p("commitment_threshold", 0.55, "commitment needed to move from expansion to commitment", "lifecycle", 0.0, 1.0),
    _p("hysteresis", 0.15, "margin below the threshold before commitment falls back to expansion", "lifecycle", 0.0, 1.0),
    _p("breakdown_trust", 0.15, "trust below which the relationship breaks down", "lifecycle", 0.0, 1.0),
    _p("dissatisfaction_level", -0.15, "satisfaction below which the buyer is dissatisfied", "lifecycle", -1.0, 0.0),
    _p("patience", 6, "consecutive dissatisfied ticks before the buyer leaves", "lifecycle", 1, 1000, "ticks"),
    _p("review_rate", 0.1, "chance per tick a transactional buyer reviews alternatives", "lifecycle", 0.0, 1.0, "1/tick"),
    _p("switch_margin", 0.05, "attractiveness gain (beyond switching cost) needed to switch", "lifecycle", 0.0, 10.0),
    _p("awareness_lapse", 20, "ticks after which unused awareness lapses", "lifecycle", 1, 10_000, "ticks"),
    _p("cooldown", 24, "ticks after dissolution before the pair can meet again", "lifecycle", 0, 100_000, "ticks"),
    _p("dissolution", True, "relationships can dissolve (off for pure WKH runs)", "lifecycle"),
    # --- awareness -----------------------------------------------------------
    _p("fair_every", 12, "ticks between trade fairs", "awareness", 1, 10_000, "ticks"),
    _p("fair_contacts", 15, "buyers each exporter meets at a trade fair", "awareness", 0, 1_000_000),
    _p("media_reach", 0.5, "buyers reached by media per tick per exporter", "awareness", 0.0, 1_000_000.0, "1/tick"),
    _p("matching_rate", 0.01, "chance per tick that a buyer short of suppliers is matched with an exporter", "awareness", 0.0, 1.0, "1/tick"),
    _p("referral_rate", 0.02, "chance per tick that a committed buyer refers its exporter to another buyer", "awareness", 0.0, 1.0, "1/tick"),
    _p("prospect_targeting", "random", "how exporters pick prospects: at random, by buyer size, or by orientation", "awareness",
       choices=PROSPECT_TARGETING),
    _p("initial_relationships", 0.0, "relationships per buyer created at awareness before tick 1", "awareness", 0.0, 1000.0),
    _p("initial_awareness", "none", "'all': every buyer starts trading with every exporter (WKH set-up)", "awareness",
       choices=INITIAL_AWARENESS),
    # --- demand --------------------------------------------------------------
    _p("demand_level", 10.0, "mean demand per buyer per tick", "demand", 0.0, 1e6, "units/tick"),
    _p("demand_size_sd", 0.5, "log-normal spread of buyer size", "demand", 0.0, 3.0),
    _p("demand_trend", 0.0, "relative demand growth per tick", "demand", -0.01, 0.05, "1/tick"),
    _p("season_amplitude", 0.2, "relative amplitude of the seasonal cycle", "demand", 0.0, 0.95),
    _p("season_period", 12, "length of the seasonal cycle", "demand", 2, 365, "ticks"),
    _p("season_phase_spread", 0.2, "spread of buyers' seasonal phases around the market's season (1: unrelated seasons)", "demand", 0.0, 1.0, "cycles"),
    _p("demand_noise", 0.15, "relative sd of demand noise", "demand", 0.0, 2.0),
    # --- policy --------------------------------------------------------------
    _p("policy", "uniform", "retention policy used by every exporter (see sim.policies)", "policy"),
    _p("acquisition_share", 0.2, "share of the contact budget spent on prospects (awareness stage)", "policy", 0.0, 1.0),
    _p("survey_every", 6, "ticks between satisfaction surveys", "policy", 1, 10_000, "ticks"),
    _p("imitation_every", 0, "ticks between rounds in which exporters may copy a more profitable peer's policy (0: never)",
       "policy", 0, 1_000_000, "ticks"),
    _p("imitation_strength", 0.5, "chance of copying a peer's policy at the largest profit gap of the round "
       "(proportional imitation)", "policy", 0.0, 1.0),
    _p("shock_tick", -1, "tick at which every exporter loses its key account (-1: never)", "policy", -1, 1_000_000),
    # --- costs of retention and acquisition (seed 002; sim.dynamics.programme_cost, acquisition_spend) ---
    _p("survey_cost", 0.05, "cost of surveying one customer (satisfaction survey policies)", "costs", 0.0, 1e6, "money/customer"),
    _p("database_cost", 0.2, "fixed cost of running a customer database", "costs", 0.0, 1e6, "money/tick"),
    _p("database_cost_per_customer", 0.005, "cost of keeping one customer in the database", "costs", 0.0, 1e6,
       "money/customer/tick"),
    _p("values_program_cost", 0.01, "cost of the shared-values programme per customer in it", "costs", 0.0, 1e6,
       "money/customer/tick"),
    _p("fair_cost", 2.0, "cost of attending one trade fair (acquisition)", "costs", 0.0, 1e6, "money/fair"),
    _p("discount_rate", 0.01, "discount rate of customer lifetime value", "costs", 0.0, 1.0, "1/tick"),
    # --- results -------------------------------------------------------------
    _p("snapshot_every", 0, "ticks between per-relationship snapshots (0: none)", "outputs", 0, 1_000_000, "ticks"),
)

BY_NAME: dict[str, Param] = {p.name: p for p in PARAMS}
DEFAULTS: dict[str, Any] = {p.name: p.default for p in PARAMS}


def validate(params: dict[str, Any]) -> dict[str, Any]:
    """Return a full, checked parameter dict: defaults overlaid with ``params``.

    Raises ValueError naming the parameter, the value and what is allowed.
    """
    unknown = sorted(set(params) - set(BY_NAME))
    if unknown:
        import difflib

        name = unknown[0]
        near = difflib.get_close_matches(name, BY_NAME, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise ValueError(f"unknown parameter {name!r}{hint}")
    out = dict(DEFAULTS)
    for name, value in params.items():
        out[name] = BY_NAME[name].check(value)
    if out["policy"] not in POLICIES:
        raise ValueError(
            f"policy={out['policy']!r} is not allowed: expected one of "
            + ", ".join(repr(k) for k in sorted(POLICIES))
        )
    return out


def signature(extra: list[inspect.Parameter]) -> inspect.Signature:
    """Keyword-only signature listing every parameter with its default."""
    kw = [
        inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, default=p.default)
        for p in PARAMS
    ]
    return inspect.Signature([inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)] + kw + extra)


def docstring_table() -> str:
    """The parameter list as numpydoc-style lines, for MarketModel's docstring."""
    lines = []
    for p in PARAMS:
        unit = f" [{p.unit}]" if p.unit else ""
        lines.append(f"    {p.name} : default {p.default!r}; {p.allowed()}{unit}\n        {p.doc}.")
    return "\n".join(lines)


# ---- the record the engine reads ----------------------------------------------------------------
#: values derived once, at construction, from the parameters; they follow the table's parameters in the
#: record. (A retention policy's declarative effects are per exporter: ``sim.policies.effects``.)
DERIVED = (
    ("channel_efficiency", "trust effect per unit of contact budget of the channel (mix)"),
)
#: the record's fields: every parameter of the table but ``policy`` (a name), then the derived values
RECORD_FIELDS = tuple(p.name for p in PARAMS if p.name != "policy") + tuple(name for name, _ in DERIVED)


def _dtype() -> np.dtype:
    kinds = {prm.name: prm for prm in PARAMS}
    fields = []
    for name in RECORD_FIELDS:
        prm = kinds.get(name)
        if prm is None:  # derived
            kind = float
        else:
            kind = int if prm.choices is not None else prm.kind
        fields.append((name, {bool: np.bool_, int: np.int64, float: np.float64}[kind]))
    return np.dtype(fields, align=True)


class Params(np.void):
    """The record of one model's parameters (see ``record``): a numpy structured scalar that numba passes by
    reference, with attribute access for Python (``P.trust_gain``)."""

    __slots__ = ()

    def __getattr__(self, name: str):  # reached only for the fields (dtype, item, ... are found first)
        try:
            return self[name]
        except (KeyError, ValueError, IndexError):
            raise AttributeError(name) from None


#: the record's type: one field per parameter (categorical ones as codes), then the derived values
PARAMS_DTYPE = np.dtype((Params, _dtype()))
_NUMBA_TYPE = numba.from_dtype(PARAMS_DTYPE)


@typeof_impl.register(Params)
def _typeof_params(value, context):
    """numba's type of a record: known once (numba would otherwise rebuild it from the dtype at every call)."""
    return _NUMBA_TYPE


def channel_efficiency(channel: str) -> float:
    """Trust effect per unit of contact budget: ``effect / cost`` of the channel, or of the even mix."""
    if channel == "mixed":
        return sum(CHANNEL_EFFECT) / sum(CHANNEL_COST)
    i = CHANNELS.index(channel)
    return CHANNEL_EFFECT[i] / CHANNEL_COST[i]


def record(p: dict[str, Any]) -> Params:
    """The parameters as the compiled engine reads them: ``P.trust_gain``, ``P.beta``, ...

    One typed record (a numpy structured scalar, which numba passes by reference), built once per model
    from the validated parameters ``p`` (see ``validate``): numbers and flags as validated, a categorical
    parameter as the index of its value in its choices (``sim.vocab``: ``P.choice_rule == LOGIT``), then
    the values derived from them (``DERIVED``).
    """
    values = {}
    for prm in PARAMS:
        if prm.name == "policy":
            continue
        v = p[prm.name]
        if prm.choices is not None:
            v = prm.choices.index(v)
        elif prm.kind is float:
            v = float(v)
        values[prm.name] = v
    values.update(channel_efficiency=float(channel_efficiency(p["channel"])))
    out = np.zeros(1, PARAMS_DTYPE)
    for name, value in values.items():
        out[name] = value
    return out[0]
