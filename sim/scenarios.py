"""Scenario files: YAML read with ``yaml.safe_load``, validated by pydantic v2.

A scenario is one typed, fully-defaulted configuration of a study::

    name, description, seed, ticks, replications,
    market: {exporters: {...}, buyers: {...}}, choice, dynamics, lifecycle,
    demand, policy (a name or a list of names), sweep (optional), outputs

The engine fields are *generated* from ``sim.parameters.PARAMS`` (default,
range, choices, description), so the schema and the engine cannot drift:
``PARAM_PATHS`` maps every engine parameter to its dotted path in the file.

Every problem with a scenario (bad YAML, unknown key, wrong type, value out of
range, missing file, unknown policy, malformed ``--set``) raises
``ScenarioError``, whose ``str`` is one line naming the file, the field, the
value and what is allowed.
"""

from __future__ import annotations

import difflib
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, TypeAdapter, ValidationError, create_model, field_validator
from pydantic_core import PydanticCustomError

from .parameters import PARAMS, Param
from .sampling import sample_points

__all__ = [
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "validate_files",
    "schema_rows",
    "starter_text",
    "schema_markdown",
    "update_doc",
    "parse_override",
    "apply_overrides",
    "PARAM_PATHS",
    "SWEEPABLE",
]


# ---------------------------------------------------------------------------------
# The error
# ---------------------------------------------------------------------------------
class ScenarioError(ValueError):
    """A scenario problem, as one line: ``file[:line]: field = value is not allowed: expected ...``.

    Attributes ``file``, ``field``, ``value``, ``allowed`` and ``line`` hold the parts.
    """

    def __init__(self, file: str, field: str, problem: str, *, value: Any = None, allowed: str = "", line: int | None = None):
        self.file = str(file)
        self.field = field
        self.value = value
        self.allowed = allowed
        self.line = line
        self.problem = problem
        where = self.file if line is None else f"{self.file}:{line}"
        msg = f"{where}: {field}: {problem}" if field else f"{where}: {problem}"
        if allowed:
            msg += f"; allowed: {allowed}"
        super().__init__(_one_line(msg))


def _one_line(s: str) -> str:
    return " ".join(str(s).split())


def _show(value: Any, limit: int = 60) -> str:
    """A short one-line repr of a value for error messages (YAML spelling of null/true/false)."""
    s = {None: "null", True: "true", False: "false"}.get(value, None) if isinstance(value, (bool, type(None))) else None
    s = s or _one_line(repr(value))
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _near(name: str, options: Iterable[str]) -> str:
    near = difflib.get_close_matches(str(name), list(options), n=1, cutoff=0.6)
    return f" (did you mean {near[0]!r}?)" if near else ""


# ---------------------------------------------------------------------------------
# Engine parameters -> dotted paths
# ---------------------------------------------------------------------------------
#: where each PARAMS section lives in the file
_SECTION_PREFIX = {
    "exporters": "market.exporters",
    "buyers": "market.buyers",
    "choice": "choice",
    "dynamics": "dynamics",
    "lifecycle": "lifecycle",
    "awareness": "lifecycle",  # awareness is the first stage of the life cycle
    "demand": "demand",
    "costs": "market.exporters.costs",
    "outputs": "outputs",
}
#: parameters whose path is not ``prefix.name``
_RENAMED = {
    "n_exporters": "market.exporters.count",
    "quality_mean": "market.exporters.quality.mean",
    "quality_sd": "market.exporters.quality.sd",
    "price_mean": "market.exporters.price.mean",
    "price_sd": "market.exporters.price.sd",
    "opportunism_mean": "market.exporters.opportunism.mean",
    "opportunism_sd": "market.exporters.opportunism.sd",
    "acquisition_share": "market.exporters.acquisition_share",
    "survey_every": "market.exporters.survey_every",
    "imitation_every": "market.exporters.imitation_every",
    "imitation_strength": "market.exporters.imitation_strength",
    "n_buyers": "market.buyers.count",
    "importance_mean": "market.buyers.importance.mean",
    "choice_rule": "choice.rule",
    "demand_level": "demand.level",
    "demand_size_sd": "demand.size_sd",
    "demand_trend": "demand.trend",
    "demand_noise": "demand.noise",
    "shock_tick": "lifecycle.shock_tick",
    "policy": "policy",  # top level: one name or a list of names
}


def _param_path(p: Param) -> str:
    if p.name in _RENAMED:
        return _RENAMED[p.name]
    if p.section not in _SECTION_PREFIX:
        raise RuntimeError(
            f"engine parameter {p.name!r} has section {p.section!r}, which sim/scenarios.py does not map: "
            "add it to _SECTION_PREFIX or _RENAMED"
        )
    return f"{_SECTION_PREFIX[p.section]}.{p.name}"


#: engine parameter name -> dotted path in a scenario file
PARAM_PATHS: dict[str, str] = {p.name: _param_path(p) for p in PARAMS}
_PATH_PARAM: dict[str, Param] = {path: next(p for p in PARAMS if p.name == n) for n, path in PARAM_PATHS.items()}


# ---------------------------------------------------------------------------------
# Leaves: every settable field with its type, default, allowed values, description
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Leaf:
    path: str
    annotation: Any
    default: Any
    type_name: str
    allowed: str
    doc: str
    param: str | None = None  # engine parameter it feeds
    numeric: bool = False
    integer: bool = False
    low: float | None = None
    high: float | None = None

    def field(self) -> Any:
        return (self.annotation, Field(default=self.default, description=self.doc))

    def check(self, value: Any) -> Any:
        return _adapter(self.path).validate_python(value)


def _param_leaf(p: Param, path: str) -> _Leaf:
    unit = f" [{p.unit}]" if p.unit else ""
    doc = f"{p.doc}{unit} (engine: {p.name})"
    if p.choices is not None:
        return _Leaf(path, Literal[p.choices], p.default, "choice", p.allowed(), doc, p.name)
    if p.kind is bool:
        return _Leaf(path, StrictBool, p.default, "boolean", p.allowed(), doc, p.name)
    if p.kind is int:
        ann = Annotated[StrictInt, Field(ge=p.low, le=p.high)]
        return _Leaf(path, ann, p.default, "integer", p.allowed(), doc, p.name, True, True, p.low, p.high)
    if p.kind is float:
        ann = Annotated[float, Field(ge=p.low, le=p.high, strict=True, allow_inf_nan=False)]
        return _Leaf(path, ann, p.default, "number", p.allowed(), doc, p.name, True, False, p.low, p.high)
    return _Leaf(path, StrictStr, p.default, "string", "a string", doc, p.name)


_EXTRA_LEAVES = [
    _Leaf("name", StrictStr, "scenario", "string", "a string", "short name of the scenario, used in results"),
    _Leaf("description", StrictStr, "", "string", "a string", "what the scenario is for (free text)"),
    _Leaf("seed", Annotated[StrictInt, Field(ge=0, le=2**63 - 1)], 0, "integer", "an integer in [0, 2^63-1]",
          "master seed; every run's seed is derived from it (common random numbers)", None, True, True, 0, 2**63 - 1),
    _Leaf("ticks", Annotated[StrictInt, Field(ge=1, le=1_000_000)], 200, "integer", "an integer in [1, 1000000]",
          "ticks simulated per run [ticks]", None, True, True, 1, 1_000_000),
    _Leaf("replications", Annotated[StrictInt, Field(ge=1, le=100_000)], 5, "integer", "an integer in [1, 100000]",
          "independent runs per policy and sweep point", None, True, True, 1, 100_000),
    _Leaf("outputs.figures", StrictBool, True, "boolean", "true or false", "write figures/*.png"),
    _Leaf("outputs.report", StrictBool, True, "boolean", "true or false", "write report.html"),
]

_POLICY_ALLOWED = "a registered policy name (see sim.POLICIES), or a non-empty list of distinct names"
_POLICY_MIX_ALLOWED = "null, a mapping of policy names to shares summing to 1, or one policy name per exporter"
_POLICY_MIX_DOC = ("exporters running different policies in one market, e.g. {key_accounts: 0.25, uniform: 0.75} "
                   "(which exporters run which follows the seed); replaces policy")
_LEAVES: dict[str, _Leaf] = {}
for _l in _EXTRA_LEAVES[:5]:
    _LEAVES[_l.path] = _l
for _p in PARAMS:
    _path = PARAM_PATHS[_p.name]
    if _p.name == "policy":
        _LEAVES[_path] = _Leaf(_path, str | list[str], _p.default, "string | list[string]", _POLICY_ALLOWED,
                               f"{_p.doc}; a list of names compares them (the first is the reference) (engine: policy)", _p.name)
    else:
        _LEAVES[_path] = _param_leaf(_p, _path)
for _l in _EXTRA_LEAVES[5:]:  # outputs.figures, outputs.report
    _LEAVES[_l.path] = _l

#: dotted paths a sweep may vary: every engine parameter except the policy
SWEEPABLE: tuple[str, ...] = tuple(path for path, leaf in _LEAVES.items() if leaf.param and leaf.param != "policy")
_SAMPLEABLE = tuple(p for p in SWEEPABLE if _LEAVES[p].numeric)

_ADAPTERS: dict[str, TypeAdapter] = {}


def _adapter(path: str) -> TypeAdapter:
    if path not in _ADAPTERS:
        _ADAPTERS[path] = TypeAdapter(_LEAVES[path].annotation)
    return _ADAPTERS[path]


# ---------------------------------------------------------------------------------
# The pydantic models, built from the leaves
# ---------------------------------------------------------------------------------
_STRICT = ConfigDict(extra="forbid", validate_default=False)

_SECTION_DOCS = {
    "market": "who is in the market: exporters and buyers with the distributions of their traits",
    "market.exporters": "exporters (sellers): count, trait distributions, contact budget, capacity, forecasting, exit",
    "market.buyers": "buyers (importers): count, orientation, values, monitoring, supplier needs",
    "market.exporters.costs": "what retention programmes, trade fairs and acquisition cost; the discount rate of CLV",
    "market.exporters.quality": "distribution of product quality across exporters",
    "market.exporters.price": "distribution of unit price across exporters",
    "market.exporters.opportunism": "distribution of the chance of an opportunistic act across exporters",
    "market.buyers.importance": "distribution of the product's importance to buyers",
    "choice": "how buyers order: logit over attractiveness, or WKH reinforcement",
    "dynamics": "trust, commitment, switching costs, satisfaction, information sharing",
    "lifecycle": "awareness (fairs, media, matching, referrals), stage thresholds, dissolution, key-account shock",
    "demand": "buyers' demand: level, size spread, trend, season, noise",
    "outputs": "what to record and write",
}


def _tree() -> dict:
    tree: dict = {}
    for path in _LEAVES:
        node = tree
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = path
    return tree


def _model_name(prefix: str) -> str:
    return "".join(part.title().replace("_", "") for part in prefix.split(".")) or "Scenario"


def _build(node: dict, prefix: str) -> type[BaseModel]:
    fields = {}
    for key, sub in node.items():
        if isinstance(sub, str):
            fields[key] = _LEAVES[sub].field()
        else:
            path = f"{prefix}.{key}" if prefix else key
            model = _build(sub, path)
            fields[key] = (model, Field(default_factory=model, description=_SECTION_DOCS.get(path, "")))
    doc = _SECTION_DOCS.get(prefix, "")
    model = create_model(_model_name(prefix), __config__=_STRICT, __doc__=doc, __module__=__name__, **fields)
    globals()[model.__name__] = model  # importable by name, so scenarios pickle (process pools)
    return model


_TREE = _tree()
_SECTIONS: dict[str, type[BaseModel]] = {
    key: _build(sub, key) for key, sub in _TREE.items() if isinstance(sub, dict)
}
Market = _SECTIONS["market"]
Choice = _SECTIONS["choice"]
Dynamics = _SECTIONS["dynamics"]
Lifecycle = _SECTIONS["lifecycle"]
Demand = _SECTIONS["demand"]
Outputs = _SECTIONS["outputs"]


class Sample(BaseModel):
    """A space-filling sample of the parameter space."""

    model_config = ConfigDict(extra="forbid")
    method: Literal["lhs", "sobol", "random"] = Field("lhs", description="sampling design: Latin hypercube, scrambled Sobol, or uniform random")
    n: Annotated[StrictInt, Field(ge=1, le=1_000_000)] = Field(16, description="number of sample points (a power of 2 for sobol)")
    bounds: dict[str, Annotated[list[Annotated[float, Field(strict=True, allow_inf_nan=False)]], Field(min_length=2, max_length=2)]] = Field(
        default_factory=dict, description="dotted path of a numeric engine parameter -> [low, high]"
    )


class Sweep(BaseModel):
    """Either a ``grid`` (cartesian product) or a ``sample`` design."""

    model_config = ConfigDict(extra="forbid")
    grid: dict[str, Annotated[list[Any], Field(min_length=1)]] | None = Field(
        None, description="dotted path of an engine parameter -> list of values; points are the cartesian product"
    )
    sample: Sample | None = Field(None, description="lhs | sobol | random sample of n points within bounds")


_SWEEP_ROWS = [
    ("sweep", "mapping | null", None, "null, or a mapping with exactly one of grid, sample", "optional parameter sweep"),
    ("sweep.grid", "mapping", None, "dotted path -> non-empty list of values", Sweep.model_fields["grid"].description),
    ("sweep.sample.method", "choice", "lhs", "one of 'lhs', 'sobol', 'random'", Sample.model_fields["method"].description),
    ("sweep.sample.n", "integer", 16, "an integer in [1, 1000000]", Sample.model_fields["n"].description),
    ("sweep.sample.bounds", "mapping", {}, "dotted path of a numeric engine parameter -> [low, high] within its range",
     Sample.model_fields["bounds"].description),
]

_ScenarioBase = create_model(
    "_ScenarioBase",
    __config__=_STRICT,
    __module__=__name__,
    **{k: _LEAVES[k].field() for k in ("name", "description", "seed", "ticks", "replications")},
    market=(Market, Field(default_factory=Market, description=_SECTION_DOCS["market"])),
    choice=(Choice, Field(default_factory=Choice, description=_SECTION_DOCS["choice"])),
    dynamics=(Dynamics, Field(default_factory=Dynamics, description=_SECTION_DOCS["dynamics"])),
    lifecycle=(Lifecycle, Field(default_factory=Lifecycle, description=_SECTION_DOCS["lifecycle"])),
    demand=(Demand, Field(default_factory=Demand, description=_SECTION_DOCS["demand"])),
    policy=(Any, Field(default=_LEAVES["policy"].default, description=_LEAVES["policy"].doc)),
    policy_mix=(Any, Field(default=None, description=_POLICY_MIX_DOC)),
    sweep=(Sweep | None, Field(default=None, description="optional parameter sweep: grid or sample")),
    outputs=(Outputs, Field(default_factory=Outputs, description=_SECTION_DOCS["outputs"])),
)


class Scenario(_ScenarioBase):
    """One validated scenario. Build it with ``load_scenario`` (or ``Scenario.from_dict``)."""

    _source: str = "<scenario>"

    @field_validator("policy", mode="before")
    @classmethod
    def _check_policy(cls, v: Any) -> Any:
        from .policies import POLICIES

        known = ", ".join(repr(k) for k in POLICIES)
        names = v if isinstance(v, list) else [v]
        if not names or not all(isinstance(n, str) for n in names):
            raise PydanticCustomError("policy_type", "expected " + _POLICY_ALLOWED)
        for n in names:
            if n not in POLICIES:
                raise PydanticCustomError("policy_unknown", "unknown policy {name}{hint}; expected one of {known}",
                                          {"name": repr(n), "hint": _near(n, POLICIES), "known": known})
        if len(set(names)) != len(names):
            raise PydanticCustomError("policy_dup", "policies listed twice; expected distinct names")
        return v

    @field_validator("policy_mix", mode="before")
    @classmethod
    def _check_policy_mix(cls, v: Any) -> Any:
        from .policies import check_mix

        if v is None:
            return v
        try:
            check_mix(v)
        except ValueError as err:
            raise PydanticCustomError("policy_mix", "{problem}; expected " + _POLICY_MIX_ALLOWED,
                                      {"problem": str(err).split(": expected")[0]}) from None
        return v

    # ---- reading --------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Any, source: str = "<scenario>") -> "Scenario":
        """Validate a plain dict (as read from YAML); raises ScenarioError."""
        return _validate(data, source)

    @property
    def source(self) -> str:
        """The file this scenario was read from (or ``<scenario>``)."""
        return self._source

    @property
    def policies(self) -> list[str]:
        """The policies to run, the reference (first) one first; with a ``policy_mix``, its label (one market)."""
        if self.policy_mix is not None:
            from .policies import mix_label

            return [mix_label(self.policy_mix)]
        return list(self.policy) if isinstance(self.policy, list) else [self.policy]

    def get(self, path: str) -> Any:
        """The value at a dotted path, e.g. ``scenario.get("choice.beta")``."""
        node: Any = self
        for part in path.split("."):
            if isinstance(node, BaseModel) and part in type(node).model_fields:
                node = getattr(node, part)
            else:
                raise ScenarioError(self._source, path, "unknown field" + _near(path, _LEAVES),
                                    allowed="a dotted path listed by `relsim schema`")
        return node

    # ---- what the engine takes ------------------------------------------------
    def model_kwargs(self, policy: str | None = None) -> dict[str, Any]:
        """Flat ``MarketModel`` keyword arguments (every name in ``sim.parameters.PARAMS``).

        ``policy`` defaults to the first listed policy; any registered policy is accepted.
        """
        from .policies import POLICIES

        kw = {name: self.get(path) for name, path in PARAM_PATHS.items() if name != "policy"}
        if self.policy_mix is not None and (policy is None or policy == self.policies[0]):
            mix = self.policy_mix
            if not isinstance(mix, dict) and len(mix) != kw["n_exporters"]:
                raise ScenarioError(self._source, "policy_mix", f"{len(mix)} names is not allowed", value=mix,
                                    allowed=f"one policy name per exporter ({kw['n_exporters']})")
            kw["policy"] = next(iter(mix))
            kw["policy_mix"] = mix
            return kw
        chosen = self.policies[0] if policy is None else policy
        if chosen not in POLICIES:
            raise ScenarioError(self._source, "policy", f"{_show(chosen)} is not allowed" + _near(chosen, POLICIES),
                                value=chosen, allowed="one of " + ", ".join(repr(k) for k in POLICIES))
        kw["policy"] = chosen
        return kw

    def resolved(self) -> dict[str, Any]:
        """The fully-resolved scenario as a plain JSON-able dict (for manifests and hashing)."""
        return self.model_dump(mode="json")

    # ---- sweeps ---------------------------------------------------------------
    def sweep_points(self) -> list[dict[str, Any]]:
        """The sweep's points, each a dict of dotted path -> value; ``[{}]`` without a sweep.

        A grid gives the cartesian product in the order written (last path varies
        fastest). A sample gives ``n`` points within ``bounds``, drawn from a
        generator seeded by the scenario seed (the same points every time).
        """
        sw = self.sweep
        if sw is None:
            return [{}]
        if sw.grid is not None:
            keys = list(sw.grid)
            return [dict(zip(keys, combo)) for combo in itertools.product(*(sw.grid[k] for k in keys))]
        s = sw.sample
        return sample_points(s.method, s.n, s.bounds, self.seed, integers={p for p in s.bounds if _LEAVES[p].integer})

    def with_overrides(self, point: dict[str, Any]) -> "Scenario":
        """A new scenario with each dotted path in ``point`` set to its value (validated)."""
        data = self.resolved()
        point = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in point.items()}
        for path, value in point.items():
            _set_path(data, path, value, self._source, f"{path}={_show(value)}")
        return _validate(data, self._source, {p: f"{p}={_show(v)}" for p, v in point.items()})


# ---------------------------------------------------------------------------------
# Validation and errors
# ---------------------------------------------------------------------------------
def _fields_at(parts: Sequence[str]) -> list[str] | None:
    """Field names of the model at a path of field names, or None."""
    model: Any = Scenario
    for part in parts:
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or part not in model.model_fields:
            return None
        ann = model.model_fields[part].annotation
        if part == "sweep":
            ann = Sweep
        model = ann
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return None


def _format_loc(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _allowed_at(path: str, loc: Sequence[Any]) -> str:
    bare = _format_loc([p for p in loc if not isinstance(p, int)])
    if bare in _LEAVES:
        return _LEAVES[bare].allowed
    names = [str(p) for p in loc if not isinstance(p, int)]
    fields = _fields_at(names)
    if fields is not None:
        return "a mapping with keys " + ", ".join(fields)
    for row in _SWEEP_ROWS:
        if row[0] == path:
            return row[3]
    return ""


def _unknown_key(source: str, loc: Sequence[Any], value: Any, line: int | None) -> ScenarioError:
    parts = [str(p) for p in loc]
    key = parts[-1]
    parent = parts[:-1]
    fields = _fields_at(parent) or []
    hint = _near(key, fields)
    if not hint:
        elsewhere = [p for p in _LEAVES if p.rsplit(".", 1)[-1] == key]
        if key in PARAM_PATHS:
            hint = f" (engine parameter {key!r} is set as {PARAM_PATHS[key]!r})"
        elif elsewhere:
            hint = f" (did you mean {elsewhere[0]!r}?)"
    where = ".".join(parent) or "top level"
    return ScenarioError(source, _format_loc(loc), f"unknown key {key!r} in {where}{hint}", value=value,
                         allowed=("keys " + ", ".join(fields)) if fields else "", line=line)


def _from_validation(err: ValidationError, source: str, lines: dict | None, origin: dict[str, str]) -> ScenarioError:
    e = err.errors(include_url=False)[0]
    loc = list(e["loc"])
    path = _format_loc(loc)
    value = e.get("input")
    via = _via(path, origin)
    line = None if via else _line_of(lines, loc)
    if e["type"] == "extra_forbidden":
        out = _unknown_key(source, loc, value, line)
        if via:
            out = ScenarioError(source, out.field, f"{out.problem} {via}", value=value, allowed=out.allowed, line=line)
        return out
    if e["type"].startswith("policy"):
        problem = f"{_show(value)} is not allowed: {e['msg']}"
        return ScenarioError(source, path, problem + (f" {via}" if via else ""), value=value, line=line)
    allowed = _allowed_at(path, loc) or e["msg"]
    problem = f"{_show(value)} is not allowed" + (f" {via}" if via else "")
    return ScenarioError(source, path, problem, value=value, allowed=allowed, line=line)


def _via(path: str, origin: dict[str, str]) -> str:
    for p, text in origin.items():
        if path == p or path.startswith(p + ".") or path.startswith(p + "[") or p.startswith(path + "."):
            return f"(from --set {text})"
    return ""


def _validate(data: Any, source: str, origin: dict[str, str] | None = None, lines: dict | None = None) -> Scenario:
    origin = origin or {}
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(source, "top level", f"{_show(data)} is not allowed",
                            value=data, allowed="a mapping of sections: " + ", ".join(Scenario.model_fields))
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as err:
        raise _from_validation(err, source, lines, origin) from None
    sc._source = source
    _check_sweep(sc, source, lines, origin)
    return sc


def _check_sweep(sc: Scenario, source: str, lines: dict | None, origin: dict[str, str]) -> None:
    sw = sc.sweep
    if sw is None:
        return

    def fail(field: str, problem: str, value: Any, allowed: str, loc: Sequence[Any]) -> ScenarioError:
        via = _via(field, origin)
        return ScenarioError(source, field, problem + (f" {via}" if via else ""), value=value, allowed=allowed,
                             line=None if via else _line_of(lines, loc))

    if (sw.grid is None) == (sw.sample is None):
        raise fail("sweep", f"{_show(sw.model_dump(exclude_none=True))} is not allowed", sw.model_dump(),
                   "a mapping with exactly one of grid, sample", ["sweep"])
    if sw.grid is not None:
        if not sw.grid:
            raise fail("sweep.grid", "{} is not allowed", {}, "at least one dotted path -> list of values", ["sweep", "grid"])
        for path, values in sw.grid.items():
            loc = ["sweep", "grid", path]
            if path not in SWEEPABLE:
                raise fail(f"sweep.grid.{path}", f"unknown or unsweepable path {path!r}" + _near(path, SWEEPABLE), path,
                           "the dotted path of an engine parameter (see `relsim schema`)", loc)
            for i, v in enumerate(values):
                try:
                    _LEAVES[path].check(v)
                except ValidationError:
                    raise fail(f"sweep.grid.{path}[{i}]", f"{_show(v)} is not allowed", v, _LEAVES[path].allowed, loc) from None
        return
    s = sw.sample
    if not s.bounds:
        raise fail("sweep.sample.bounds", "{} is not allowed", {}, "at least one dotted path -> [low, high]",
                   ["sweep", "sample", "bounds"])
    for path, (lo, hi) in s.bounds.items():
        loc = ["sweep", "sample", "bounds", path]
        field = f"sweep.sample.bounds.{path}"
        if path not in _SAMPLEABLE:
            raise fail(field, f"unknown or non-numeric path {path!r}" + _near(path, _SAMPLEABLE), path,
                       "the dotted path of a numeric engine parameter (see `relsim schema`)", loc)
        leaf = _LEAVES[path]
        ok = lo <= hi and all((leaf.low is None or x >= leaf.low) and (leaf.high is None or x <= leaf.high) for x in (lo, hi))
        if leaf.integer and ok:
            ok = math.ceil(lo) <= math.floor(hi)
        if not ok:
            raise fail(field, f"{_show([lo, hi])} is not allowed", [lo, hi], f"[low, high] with low <= high, each {leaf.allowed}", loc)


# ---------------------------------------------------------------------------------
# Reading files and --set overrides
# ---------------------------------------------------------------------------------
def _key_path_at(text: str, line_no: int) -> str:
    """Best guess of the dotted key path at a (1-based) line, from indentation alone."""
    stack: list[tuple[int, str]] = []
    for raw in text.splitlines()[:line_no]:
        stripped = raw.lstrip(" ")
        if not stripped or stripped.startswith("#") or ":" not in stripped:
            continue
        key = stripped.split(":", 1)[0].strip().lstrip("- ").strip("'\"")
        if not key or " " in key:
            continue
        indent = len(raw) - len(stripped)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, key))
    return ".".join(k for _, k in stack)


def _yaml_error(source: str, text: str, exc: yaml.YAMLError) -> ScenarioError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = col = None
    if mark is not None:
        line, col = mark.line + 1, mark.column + 1
    problem = getattr(exc, "problem", None) or str(exc)
    field = _key_path_at(text, line) if line else ""
    if isinstance(exc, yaml.constructor.ConstructorError) and "tag" in str(problem):
        tag = str(problem).split("tag", 1)[-1].strip(" '")
        what = f"YAML tag {tag!r} is refused (tags that construct Python objects are never loaded)"
        allowed = "plain YAML: mappings, lists, strings, numbers, true/false, null"
    else:
        what = f"YAML syntax error at line {line}, column {col}: {problem}" if line else f"YAML syntax error: {problem}"
        allowed = "valid YAML"
    return ScenarioError(source, field or "(file)", what, allowed=allowed, line=line)


def _read(path: Path) -> tuple[Any, str]:
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(source, "(file)", "no such file", allowed="the path of a readable YAML scenario file") from None
    except IsADirectoryError:
        raise ScenarioError(source, "(file)", "is a directory", allowed="the path of a YAML scenario file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(source, "(file)", f"cannot be read ({type(exc).__name__})",
                            allowed="a readable UTF-8 YAML scenario file") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _yaml_error(source, text, exc) from None
    if data is None:  # empty, only comments, or a bare null: almost surely a mistake, not "all defaults"
        raise ScenarioError(source, "(file)", "file is empty",
                            allowed="a mapping of scenario sections, e.g. `name: my_study`; `{}` takes every default")
    return data, text


def _node_lines(text: str, source: str = "<scenario>") -> dict | None:
    """Map tuple(key path) -> 1-based line of each mapping key, for error messages.

    Also refuses a key written twice in one mapping (``safe_load`` would keep the last silently).
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    out: dict = {}

    def walk(node, prefix):
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = (*prefix, k.value)
                if key in out and k.value != "<<":
                    raise ScenarioError(source, _format_loc(key), f"key {k.value!r} is written twice (lines {out[key]} and "
                                        f"{k.start_mark.line + 1})", allowed="each key once per mapping", line=k.start_mark.line + 1)
                out[key] = k.start_mark.line + 1
                walk(v, key)
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                out[(*prefix, i)] = v.start_mark.line + 1
                walk(v, (*prefix, i))

    if root is not None:
        walk(root, ())
    return out


def _line_of(lines: dict | None, loc: Sequence[Any]) -> int | None:
    if not lines:
        return None
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return None


def _known_path(path: str) -> bool:
    if path in _LEAVES or _fields_at(path.split(".")) is not None or path == "sweep":
        return True
    for prefix in ("sweep.grid.", "sweep.sample.bounds."):
        if path.startswith(prefix) and len(path) > len(prefix):
            return True
    return path in ("sweep.grid", "sweep.sample", "sweep.sample.method", "sweep.sample.n", "sweep.sample.bounds")


def _set_path(data: dict, path: str, value: Any, source: str, text: str) -> None:
    if not _known_path(path):
        options = list(_LEAVES) + ["sweep.grid", "sweep.sample.method", "sweep.sample.n", "sweep.sample.bounds"]
        raise ScenarioError(source, path, f"--set {text}: unknown field {path!r}" + _near(path, options),
                            value=value, allowed="a dotted path listed by `relsim schema`")
    parts = path.split(".")
    for prefix in ("sweep.grid.", "sweep.sample.bounds."):
        if path.startswith(prefix):
            parts = prefix.rstrip(".").split(".") + [path[len(prefix):]]
    node = data
    for i, part in enumerate(parts[:-1]):
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            if nxt is not None and i > 0:
                raise ScenarioError(source, ".".join(parts[: i + 1]), f"--set {text}: cannot set inside {_show(nxt)}",
                                    value=nxt, allowed="a mapping")
            nxt = {}
            node[part] = nxt
        node = nxt
    node[parts[-1]] = value


def parse_override(text: str, source: str = "<scenario>") -> tuple[str, Any]:
    """Split ``dotted.path=value`` into the path and the value parsed as a YAML scalar or list."""
    if not isinstance(text, str) or "=" not in text:
        raise ScenarioError(source, "--set", f"{_show(text)} is malformed", value=text, allowed="dotted.path=value")
    path, raw = text.split("=", 1)
    path = path.strip()
    if not path or any(not part for part in path.split(".")) or any(c.isspace() for c in path):
        raise ScenarioError(source, path or "--set", f"--set {_show(text)} is malformed: bad path {path!r}",
                            value=text, allowed="dotted.path=value, e.g. choice.beta=0.03")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as exc:
        problem = _one_line(getattr(exc, "problem", None) or exc)
        raise ScenarioError(source, path, f"--set {_show(text)}: value {raw!r} cannot be parsed ({problem})",
                            value=raw, allowed="a YAML scalar or list, e.g. 0.03, true, uniform, [a, b]") from None
    return path, value


def apply_overrides(data: Any, overrides: Sequence[str], source: str) -> tuple[dict, dict[str, str]]:
    """Return a copy of the raw scenario dict with the ``--set`` overrides applied, and their origin."""
    import copy

    data = {} if data is None else copy.deepcopy(data)
    if not isinstance(data, dict):
        raise ScenarioError(source, "top level", f"{_show(data)} is not allowed", value=data,
                            allowed="a mapping of sections: " + ", ".join(Scenario.model_fields))
    origin: dict[str, str] = {}
    for text in overrides:
        path, value = parse_override(text, source)
        _set_path(data, path, value, source, text)
        origin[path] = text
    return data, origin


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Read, override and validate a scenario file; raises ScenarioError (one line)."""
    if overrides is None:
        overrides = ()
    elif isinstance(overrides, str):
        overrides = [overrides]
    p = Path(path)
    data, text = _read(p)
    lines = _node_lines(text, str(p))
    data, origin = apply_overrides(data, overrides, str(p))
    return _validate(data, str(p), origin, lines)


def validate_files(paths: Iterable[str | Path]) -> list[tuple[str, ScenarioError | None]]:
    """Load each file; return ``(path, None)`` when valid or ``(path, error)``."""
    out = []
    for p in paths:
        try:
            load_scenario(p)
            out.append((str(p), None))
        except ScenarioError as err:
            out.append((str(p), err))
    return out


# ---------------------------------------------------------------------------------
# Schema table and starter file
# ---------------------------------------------------------------------------------
def schema_rows() -> list[tuple[str, str, Any, str, str]]:
    """Every field: (dotted path, type, default, allowed values, description), in file order."""
    rows = []
    for path, leaf in _LEAVES.items():
        if path.startswith("outputs.") or path == "policy":
            continue
        rows.append((path, leaf.type_name, leaf.default, leaf.allowed, leaf.doc))
    rows.append(("policy", _LEAVES["policy"].type_name, _LEAVES["policy"].default, _POLICY_ALLOWED, _LEAVES["policy"].doc))
    rows.append(("policy_mix", "mapping | list[string] | null", None, _POLICY_MIX_ALLOWED, _POLICY_MIX_DOC))
    rows.extend(_SWEEP_ROWS)
    rows.extend((path, leaf.type_name, leaf.default, leaf.allowed, leaf.doc) for path, leaf in _LEAVES.items() if path.startswith("outputs."))
    return rows


def schema_markdown() -> str:
    """The ``schema_rows`` as a Markdown table (docs/scenarios.md embeds it)."""

    def cell(v: Any) -> str:
        text = "null" if v is None else yaml.safe_dump(v, default_flow_style=True, width=10**6).strip().removesuffix("...").strip() \
            if not isinstance(v, str) else (v or '""')
        return text.replace("|", "\\|")

    out = ["| path | type | default | allowed | description |", "| --- | --- | --- | --- | --- |"]
    for path, typ, default, allowed, doc in schema_rows():
        out.append(f"| `{path}` | {cell(typ)} | `{cell(default)}` | {cell(allowed)} | {cell(doc)} |")
    return "\n".join(out) + "\n"


_DOC_BEGIN = "<!-- schema:begin (generated by `python -m sim.scenarios docs/scenarios.md`) -->"
_DOC_END = "<!-- schema:end -->"


def update_doc(path: str | Path) -> bool:
    """Rewrite the schema table between the markers in ``path``; True if it changed."""
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    head, rest = text.split(_DOC_BEGIN, 1)
    _, tail = rest.split(_DOC_END, 1)
    new = f"{head}{_DOC_BEGIN}\n{schema_markdown()}{_DOC_END}{tail}"
    if new != text:
        p.write_text(new, encoding="utf-8")
    return new != text


def starter_text(name: str = "my_scenario") -> str:
    """A commented starter scenario (loads as is; defaults filled from the engine's table)."""
    d = {p.name: p.default for p in PARAMS}

    def y(v):
        return yaml.safe_dump(v, default_flow_style=True).strip().removesuffix("...").strip()

    return f"""\
# relsim scenario: {name}
# Every field is optional and has a default; `relsim schema` lists them all
# (type, default, allowed range, meaning). Override any field from the command
# line without editing this file:
#   relsim run {name}.yaml --set choice.beta=3 --set market.exporters.count=10
# Check the file without running it:  relsim validate {name}.yaml

name: {y(name)}
description: >
  What question this scenario answers, and what to look at in the results.
seed: 1                  # master seed: every run's seed derives from it
ticks: 200               # ticks per run (a tick is about a month)
replications: 5          # runs per policy (and per sweep point)

market:
  exporters:
    count: {d['n_exporters']}            # number of exporters (sellers)
    quality: {{mean: {d['quality_mean']}, sd: {d['quality_sd']}}}     # product quality across exporters, in [0, 1]
    price: {{mean: {d['price_mean']}, sd: {d['price_sd']}}}
    opportunism: {{mean: {d['opportunism_mean']}, sd: {d['opportunism_sd']}}}  # chance of an opportunistic act per delivery
    contact_budget: {d['contact_budget']}    # contact budget per exporter per tick
    acquisition_share: {d['acquisition_share']}  # share of the budget spent on prospects
  buyers:
    count: {d['n_buyers']}
    partnership_share: {d['partnership_share']}  # share of buyers with a partnership orientation
    monitoring: {d['monitoring']}         # chance a buyer detects an opportunistic act

choice:
  rule: {d['choice_rule']}             # logit | reinforcement (Weisbuch, Kirman & Herreiner 2000)
  beta: {d['beta']}                # intensity of choice
  gamma: {d['gamma']}               # forgetting rate of reinforcement preferences
  profit: {d['profit']}              # buyer's profit from a served visit (reinforcement)

dynamics:
  trust_gain: {d['trust_gain']}
  commitment_gain: {d['commitment_gain']}
  information_sharing: {y(d['information_sharing'])}  # committed buyers share their demand forecast
  excessive_trust: {y(d['excessive_trust'])}     # very high trust lowers monitoring

lifecycle:
  trial_rate: {d['trial_rate']}
  patience: {d['patience']}               # dissatisfied ticks before a buyer leaves
  dissolution: {y(d['dissolution'])}
  shock_tick: {d['shock_tick']}             # tick at which every exporter loses its key account (-1: never)

demand:
  level: {d['demand_level']}
  season_amplitude: {d['season_amplitude']}

# One policy, or a list to compare (the first is the reference):
policy: [uniform, at_risk]

# Optional sweep: a grid (cartesian product) ...
# sweep:
#   grid:
#     choice.beta: [1, 2, 4, 8]
#     market.buyers.partnership_share: [0.2, 0.5, 0.8]
# ... or a sample (lhs | sobol | random) of n points within bounds:
# sweep:
#   sample:
#     method: lhs
#     n: 16
#     bounds:
#       dynamics.trust_gain: [0.02, 0.2]
#       market.buyers.partnership_share: [0.1, 0.9]

outputs:
  snapshot_every: 0      # ticks between per-relationship snapshots (0: none)
  figures: true
  report: true
"""


if __name__ == "__main__":  # python -m sim.scenarios docs/scenarios.md
    import sys

    for doc in sys.argv[1:]:
        print(f"{doc}: {'updated' if update_doc(doc) else 'up to date'}")
