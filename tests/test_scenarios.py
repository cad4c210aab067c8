"""Scenario files: schema generated from PARAMS, loading, overrides, sweeps, errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

import sim
from sim.parameters import DEFAULTS, PARAMS
from sim.scenarios import (
    PARAM_PATHS,
    SWEEPABLE,
    Scenario,
    ScenarioError,
    load_scenario,
    schema_rows,
    starter_text,
    validate_files,
)

ROOT = Path(__file__).resolve().parents[1]
SCEN = ROOT / "scenarios"
SHIPPED = sorted(SCEN.glob("*.yaml"))
EXPECTED = {"baseline", "retention_policies", "transactional_vs_partnership", "information_sharing",
            "dependence_risk", "excessive_trust", "classroom", "wkh2000"}


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def nested(path: str, value) -> dict:
    out: dict = {}
    node = out
    parts = path.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


def other_value(p):
    """A valid value of parameter ``p`` different from its default."""
    if p.choices is not None:
        return next(c for c in p.choices if c != p.default)
    if p.kind is bool:
        return not p.default
    if p.kind is str:
        return "at_risk"
    lo = p.low if p.low is not None else p.default - 1
    hi = p.high if p.high is not None else p.default + 1
    v = (p.default + hi) / 2 if hi > p.default else (p.default + lo) / 2
    if p.kind is int:
        v = int(hi) if int(v) == p.default else int(v)
    assert v != p.default and lo <= v <= hi
    return v


def error_of(fn, *args, **kw) -> str:
    with pytest.raises(ScenarioError) as info:
        fn(*args, **kw)
    msg = str(info.value)
    assert "\n" not in msg and msg.strip() == msg
    return msg


# ---------------------------------------------------------------------------------
# schema <-> engine
# ---------------------------------------------------------------------------------
def test_every_engine_parameter_is_mapped_to_a_unique_path():
    assert set(PARAM_PATHS) == {p.name for p in PARAMS}
    assert len(set(PARAM_PATHS.values())) == len(PARAM_PATHS)
    top = set(Scenario.model_fields)
    assert top == {"name", "description", "seed", "ticks", "replications", "market", "choice", "dynamics",
                   "lifecycle", "demand", "policy", "policy_mix", "sweep", "outputs"}
    for path in PARAM_PATHS.values():
        assert path.split(".")[0] in top


def test_defaults_give_exactly_the_engine_defaults():
    kw = Scenario.from_dict({}).model_kwargs()
    assert kw == DEFAULTS


@pytest.mark.parametrize("p", PARAMS, ids=lambda p: p.name)
def test_each_parameter_reaches_the_engine_through_its_path(p):
    value = other_value(p)
    sc = Scenario.from_dict(nested(PARAM_PATHS[p.name], value))
    kw = sc.model_kwargs()
    assert kw[p.name] == value
    changed = {k for k in kw if kw[k] != DEFAULTS[k]}
    assert changed == {p.name}


@pytest.mark.parametrize("p", [p for p in PARAMS if p.kind in (int, float)], ids=lambda p: p.name)
def test_ranges_come_from_params(p):
    path = PARAM_PATHS[p.name]
    for edge in (p.low, p.high):
        if edge is not None and abs(edge) < 2**62:
            assert Scenario.from_dict(nested(path, p.kind(edge))).get(path) == edge
    step = 1 if p.kind is int else max(1e-6, 1e-6 * max(abs(p.low or 0), abs(p.high or 0)))
    if p.low is not None:
        msg = error_of(Scenario.from_dict, nested(path, p.kind(p.low - step)), "f.yaml")
        assert path in msg and p.allowed() in msg
    if p.high is not None:
        msg = error_of(Scenario.from_dict, nested(path, p.kind(p.high + step)), "f.yaml")
        assert path in msg and p.allowed() in msg


def test_schema_rows_cover_every_field_with_type_default_range_and_description():
    rows = schema_rows()
    paths = [r[0] for r in rows]
    assert len(paths) == len(set(paths))
    for name, path in PARAM_PATHS.items():
        assert path in paths, name
    by_path = {r[0]: r for r in rows}
    for p in PARAMS:
        _, typ, default, allowed, doc = by_path[PARAM_PATHS[p.name]]
        assert default == p.default
        assert p.doc in doc and typ
        if p.name != "policy":
            assert allowed == p.allowed()
    for r in rows:
        assert len(r) == 5 and r[1] and r[3] and r[4], r
    for extra in ("name", "seed", "ticks", "replications", "sweep.grid", "sweep.sample.method", "outputs.snapshot_every"):
        assert extra in by_path
    # the pydantic fields carry the same descriptions
    exp = Scenario.model_fields["market"].annotation.model_fields["exporters"].annotation
    assert PARAMS[0].doc in exp.model_fields["count"].description


def test_choices_are_literals_and_bools_are_strict():
    msg = error_of(Scenario.from_dict, {"choice": {"rule": "softmax"}}, "f.yaml")
    assert "choice.rule" in msg and "'logit'" in msg and "'reinforcement'" in msg and "'softmax'" in msg
    msg = error_of(Scenario.from_dict, {"lifecycle": {"dissolution": "maybe"}}, "f.yaml")
    assert "lifecycle.dissolution" in msg and "true or false" in msg
    msg = error_of(Scenario.from_dict, {"choice": {"beta": True}}, "f.yaml")
    assert "choice.beta" in msg and "true" in msg
    msg = error_of(Scenario.from_dict, {"market": {"exporters": {"count": 2.5}}}, "f.yaml")
    assert "market.exporters.count" in msg and "an integer" in msg


# ---------------------------------------------------------------------------------
# shipped scenarios
# ---------------------------------------------------------------------------------
def test_all_named_scenarios_are_shipped():
    assert {p.stem for p in SHIPPED} >= EXPECTED


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenario_loads_and_builds_a_model_for_each_point_and_policy(path):
    sc = load_scenario(path)
    assert sc.name == path.stem
    head = path.read_text().split("\n\n", 1)[0]
    assert all(line.startswith("#") for line in head.splitlines()), "explained in comments at its top"
    for word in ("Question", "Look at", "Override"):
        assert word in head, word
    for point in sc.sweep_points():
        sp = sc.with_overrides(point)
        for policy in sp.policies:
            kw = sp.model_kwargs(policy)
            model = sim.MarketModel(**kw, rng=sc.seed)
            assert model.p == {**kw}
            for k, v in point.items():
                assert model.p[[n for n, pth in PARAM_PATHS.items() if pth == k][0]] == v


def test_validate_files_on_shipped_and_broken(tmp_path):
    bad = write(tmp_path, "ticks: -1\n")
    out = validate_files([*SHIPPED, bad])
    assert [p for p, e in out if e is None] == [str(p) for p in SHIPPED]
    assert out[-1][0] == str(bad) and isinstance(out[-1][1], ScenarioError) and "ticks" in str(out[-1][1])


def test_retention_policies_compares_all_seven_uniform_first():
    sc = load_scenario(SCEN / "retention_policies.yaml")
    assert sc.policies[0] == "uniform"
    assert set(sc.policies) == {"uniform", "new_customers_first", "key_accounts", "at_risk", "satisfaction_survey",
                                "customer_database", "shared_values_program"}
    assert sc.replications >= 5


def test_classroom_is_small():
    sc = load_scenario(SCEN / "classroom.yaml")
    m = sc.market
    assert m.exporters.count * m.buyers.count * sc.ticks * sc.replications * len(sc.policies) <= 8 * 120 * 60 * 3 * 2
    assert len(sc.policies) == 2 and sc.sweep is None


def test_study_scenarios_vary_what_they_study():
    assert load_scenario(SCEN / "information_sharing.yaml").sweep_points() == [
        {"dynamics.information_sharing": False}, {"dynamics.information_sharing": True}]
    assert load_scenario(SCEN / "excessive_trust.yaml").sweep_points() == [
        {"dynamics.excessive_trust": False}, {"dynamics.excessive_trust": True}]
    shares = [p["market.buyers.partnership_share"] for p in load_scenario(SCEN / "transactional_vs_partnership.yaml").sweep_points()]
    assert shares == sorted(shares) and shares[0] == 0 and shares[-1] == 1
    dep = load_scenario(SCEN / "dependence_risk.yaml")
    assert 0 < dep.model_kwargs()["shock_tick"] < dep.ticks and "key_accounts" in dep.policies


def test_wkh2000_is_the_pure_reinforcement_market():
    sc = load_scenario(SCEN / "wkh2000.yaml")
    kw = sc.model_kwargs()
    assert kw["choice_rule"] == "reinforcement" and kw["n_exporters"] == 2 and 50 <= kw["n_buyers"] <= 200
    assert kw["initial_awareness"] == "all" and kw["dissolution"] is False
    assert kw["opportunism_mean"] == 0 and kw["opportunism_sd"] == 0 and kw["exit_rate"] == 0
    for path in ("choice.beta", "choice.gamma", "choice.profit", "market.exporters.count", "market.buyers.count", "ticks"):
        assert path in SWEEPABLE or path == "ticks"
    over = load_scenario(SCEN / "wkh2000.yaml", ["choice.beta=0.03", "choice.gamma=0.2", "choice.profit=2",
                                                  "market.exporters.count=3", "market.buyers.count=50", "ticks=40"])
    kw = over.model_kwargs()
    assert (kw["beta"], kw["gamma"], kw["profit"], kw["n_exporters"], kw["n_buyers"], over.ticks) == (0.03, 0.2, 2, 3, 50, 40)


def test_wkh2000_buyers_turn_loyal_above_the_critical_beta():
    """Below beta_c = 2 gamma / profit (0.2 here) buyers split visits; well above it they are loyal."""
    ys = {}
    for beta in (0.05, 0.6):
        sc = load_scenario(SCEN / "wkh2000.yaml", [f"choice.beta={beta}", "ticks=300"])
        m = sim.MarketModel(**sc.model_kwargs(), rng=sc.seed)
        m.run_for(sc.ticks)
        ts = m.timeseries
        assert int(ts["n_dissolved"].iloc[-1]) == 0 and m.exporter_table["active"].all()
        assert (ts["fill_rate"] == 1.0).all()  # every visit is served
        ys[beta] = float(ts["loyalty_y"].iloc[-50:].mean())
    assert ys[0.05] < 0.6 and ys[0.6] > 0.9


# ---------------------------------------------------------------------------------
# overrides
# ---------------------------------------------------------------------------------
def test_overrides_set_any_field_and_later_wins():
    base = SCEN / "classroom.yaml"
    sc = load_scenario(base, ["choice.beta=0.03", "market.exporters.count=3", "policy=[uniform,at_risk,key_accounts]",
                              "market.exporters.quality={mean: 0.5, sd: 0.01}", "dynamics.information_sharing=false",
                              "choice.rule=reinforcement", "ticks=10", "ticks=11", "name=renamed"])
    kw = sc.model_kwargs()
    assert kw["beta"] == 0.03 and kw["n_exporters"] == 3 and kw["quality_mean"] == 0.5 and kw["quality_sd"] == 0.01
    assert kw["information_sharing"] is False and kw["choice_rule"] == "reinforcement"
    assert sc.policies == ["uniform", "at_risk", "key_accounts"] and sc.ticks == 11 and sc.name == "renamed"
    # what was not overridden keeps the file's values
    plain = load_scenario(base)
    assert sc.market.buyers.count == plain.market.buyers.count == 120
    assert plain.choice.beta == DEFAULTS["beta"]


def test_overrides_on_sweep_paths(tmp_path):
    base = SCEN / "transactional_vs_partnership.yaml"
    sc = load_scenario(base, ["sweep.grid.market.buyers.partnership_share=[0.1,0.9]"])
    assert sc.sweep_points() == [{"market.buyers.partnership_share": 0.1}, {"market.buyers.partnership_share": 0.9}]
    sc = load_scenario(base, ["sweep.grid.choice.beta=[1,2]"])
    assert len(sc.sweep_points()) == 10 and sc.sweep_points()[1] == {"market.buyers.partnership_share": 0.0, "choice.beta": 2}
    # a swept path can also be --set: the base value changes, the sweep still varies it
    sc = load_scenario(base, ["market.buyers.partnership_share=0.3"])
    assert sc.market.buyers.partnership_share == 0.3
    assert sc.with_overrides(sc.sweep_points()[-1]).market.buyers.partnership_share == 1.0
    # the sweep can be switched off or replaced by a sample
    assert load_scenario(base, ["sweep=null"]).sweep_points() == [{}]
    sc = load_scenario(SCEN / "classroom.yaml", ["sweep.sample.n=5", "sweep.sample.bounds.choice.beta=[1,3]"])
    pts = sc.sweep_points()
    assert len(pts) == 5 and all(1 <= p["choice.beta"] <= 3 for p in pts)


def test_with_overrides_validates_and_does_not_mutate():
    sc = load_scenario(SCEN / "classroom.yaml")
    other = sc.with_overrides({"choice.beta": 2.0, "market.buyers.count": 10, "replications": 7})
    assert (other.choice.beta, other.market.buyers.count, other.replications) == (2.0, 10, 7)
    assert sc.choice.beta == DEFAULTS["beta"] and sc.replications == 3
    msg = error_of(sc.with_overrides, {"choice.beta": -1})
    assert "classroom.yaml" in msg and "choice.beta" in msg and "-1" in msg
    msg = error_of(sc.with_overrides, {"choice.bta": 1})
    assert "choice.bta" in msg and "did you mean 'choice.beta'" in msg


def test_resolved_is_plain_json_and_round_trips():
    sc = load_scenario(SCEN / "dependence_risk.yaml", ["choice.beta=2"])
    r = sc.resolved()
    assert json.loads(json.dumps(r)) == r
    again = Scenario.from_dict(r)
    assert again.resolved() == r and again.model_kwargs() == sc.model_kwargs()
    assert r["choice"]["beta"] == 2 and r["market"]["exporters"]["count"] == 20
    assert r["dynamics"]["trust_gain"] == DEFAULTS["trust_gain"]  # fully resolved: defaults filled in


def test_model_kwargs_policy_argument():
    sc = load_scenario(SCEN / "classroom.yaml")
    assert sc.model_kwargs()["policy"] == "uniform"
    assert sc.model_kwargs("key_accounts")["policy"] == "key_accounts"
    msg = error_of(sc.model_kwargs, "nope")
    assert "policy" in msg and "'nope'" in msg and "'uniform'" in msg


def test_user_registered_policy_is_accepted(tmp_path):
    @sim.register_policy
    class Loyalists(sim.Policy):
        name = "test_loyalists"

        def priority(self, view):
            return 1.0 + view.age

    try:
        sc = load_scenario(write(tmp_path, "policy: [uniform, test_loyalists]\n"))
        assert sc.policies == ["uniform", "test_loyalists"]
        assert sim.MarketModel(**sc.model_kwargs("test_loyalists"), rng=1).policy.name == "test_loyalists"
    finally:
        sim.POLICIES.pop("test_loyalists", None)
    msg = error_of(load_scenario, write(tmp_path, "policy: [uniform, test_loyalists]\n"))
    assert "test_loyalists" in msg


# ---------------------------------------------------------------------------------
# sweeps
# ---------------------------------------------------------------------------------
def test_grid_is_the_ordered_cartesian_product(tmp_path):
    p = write(tmp_path, "sweep:\n  grid:\n    choice.beta: [1, 2, 3]\n    lifecycle.dissolution: [true, false]\n"
                        "    market.exporters.channel: [email, web]\n")
    pts = load_scenario(p).sweep_points()
    assert len(pts) == 12
    assert pts[0] == {"choice.beta": 1, "lifecycle.dissolution": True, "market.exporters.channel": "email"}
    assert pts[1] == {"choice.beta": 1, "lifecycle.dissolution": True, "market.exporters.channel": "web"}
    assert pts[-1] == {"choice.beta": 3, "lifecycle.dissolution": False, "market.exporters.channel": "web"}
    assert len({tuple(d.values()) for d in pts}) == 12


def test_no_sweep_is_one_empty_point():
    assert load_scenario(SCEN / "baseline.yaml").sweep_points() == [{}]


@pytest.mark.parametrize("method", ["lhs", "sobol", "random"])
def test_sample_points_are_n_within_bounds_and_seeded(tmp_path, method):
    text = (f"seed: 5\nsweep:\n  sample:\n    method: {method}\n    n: 16\n    bounds:\n"
            "      dynamics.trust_gain: [0.02, 0.2]\n      market.exporters.count: [2, 9]\n")
    p = write(tmp_path, text)
    pts = load_scenario(p).sweep_points()
    assert len(pts) == 16
    x = np.array([p["dynamics.trust_gain"] for p in pts])
    k = np.array([p["market.exporters.count"] for p in pts])
    assert ((0.02 <= x) & (x <= 0.2)).all() and ((2 <= k) & (k <= 9)).all()
    assert all(isinstance(v, int) for v in k.tolist()) and all(isinstance(p["market.exporters.count"], int) for p in pts)
    assert len(set(x.tolist())) == 16  # continuous coordinate: no repeats
    assert load_scenario(p).sweep_points() == pts  # deterministic from the seed
    assert load_scenario(p, ["seed=6"]).sweep_points() != pts
    for pt in pts:  # every point is a valid scenario
        assert load_scenario(p).with_overrides(pt).model_kwargs()["n_exporters"] == pt["market.exporters.count"]


def test_lhs_is_stratified(tmp_path):
    p = write(tmp_path, "sweep:\n  sample:\n    method: lhs\n    n: 20\n    bounds:\n      choice.beta: [0, 10]\n"
                        "      dynamics.trust_gain: [0, 1]\n")
    pts = load_scenario(p).sweep_points()
    for key, hi in (("choice.beta", 10), ("dynamics.trust_gain", 1)):
        bins = np.floor(np.array([q[key] for q in pts]) / hi * 20).astype(int)
        assert sorted(bins.tolist()) == list(range(20))  # one point in each of the 20 strata


def test_sobol_power_of_two_is_balanced(tmp_path):
    p = write(tmp_path, "sweep:\n  sample:\n    method: sobol\n    n: 32\n    bounds:\n      choice.beta: [0, 1]\n")
    x = np.array([q["choice.beta"] for q in load_scenario(p).sweep_points()])
    counts = np.bincount(np.floor(x * 8).astype(int), minlength=8)
    assert (counts == 4).all()


# ---------------------------------------------------------------------------------
# errors: one line naming file, field, value and what is allowed
# ---------------------------------------------------------------------------------
def test_yaml_syntax_error_has_line_and_column(tmp_path):
    p = write(tmp_path, "name: x\nchoice:\n  beta: [1, 2\n  gamma: 0.1\n")
    msg = error_of(load_scenario, p)
    assert str(p) in msg and "YAML syntax error at line 4, column" in msg and "choice" in msg and "valid YAML" in msg


def test_unknown_key_suggests(tmp_path):
    p = write(tmp_path, "market:\n  exporters:\n    qualty: {mean: 0.5}\n")
    msg = error_of(load_scenario, p)
    assert msg.startswith(f"{p}:3: market.exporters.qualty:") and "did you mean 'quality'" in msg and "count" in msg
    msg = error_of(load_scenario, write(tmp_path, "choice:\n  trust_gain: 0.1\n"))
    assert "choice.trust_gain" in msg and "dynamics.trust_gain" in msg
    msg = error_of(load_scenario, write(tmp_path, "polcy: uniform\n"))
    assert "polcy" in msg and "did you mean 'policy'" in msg


def test_wrong_type(tmp_path):
    p = write(tmp_path, "ticks: lots\n")
    msg = error_of(load_scenario, p)
    assert msg == f"{p}:1: ticks: 'lots' is not allowed; allowed: an integer in [1, 1000000]"
    msg = error_of(load_scenario, write(tmp_path, "market: 5\n"))
    assert "market" in msg and "5" in msg and "exporters, buyers" in msg
    msg = error_of(load_scenario, write(tmp_path, "- a\n- b\n"))
    assert "top level" in msg and "['a', 'b']" in msg and "mapping" in msg


def test_out_of_range(tmp_path):
    p = write(tmp_path, "name: x\nmarket:\n  buyers:\n    partnership_share: 1.5\n")
    msg = error_of(load_scenario, p)
    assert msg == f"{p}:4: market.buyers.partnership_share: 1.5 is not allowed; allowed: a number in [0, 1]"
    msg = error_of(load_scenario, write(tmp_path, "choice:\n  beta: .nan\n"))
    assert "choice.beta" in msg and "nan" in msg


def test_missing_file(tmp_path):
    p = tmp_path / "nope.yaml"
    msg = error_of(load_scenario, p)
    assert str(p) in msg and "no such file" in msg and "YAML scenario file" in msg
    assert "is a directory" in error_of(load_scenario, tmp_path)


def test_unknown_policy(tmp_path):
    p = write(tmp_path, "policy: [uniform, at_rsk]\n")
    msg = error_of(load_scenario, p)
    assert str(p) in msg and "policy" in msg and "'at_rsk'" in msg and "did you mean 'at_risk'" in msg
    assert "'key_accounts'" in msg
    for text in ("policy: []\n", "policy: 3\n", "policy: [uniform, uniform]\n"):
        msg = error_of(load_scenario, write(tmp_path, text))
        assert "policy" in msg and ("allowed" in msg or "expected" in msg)


@pytest.mark.parametrize(
    "override, field, allowed",
    [
        ("choice.beta", "--set", "dotted.path=value"),
        ("choice.bta=1", "choice.bta", "did you mean 'choice.beta'"),
        ("choice.beta=[1,2", "choice.beta", "YAML scalar or list"),
        ("choice.beta=-1", "choice.beta", "a number in [0, 1000]"),
        ("=3", "--set", "dotted.path=value"),
        ("a..b=1", "a..b", "dotted.path=value"),
        ("choice.beta=!!python/object/apply:os.system [x]", "choice.beta", "YAML scalar or list"),
        ("market.exporters.count=3.5", "market.exporters.count", "an integer"),
        ("policy=[uniform,nope]", "policy", "'at_risk'"),
        ("sweep.grid.choice.bta=[1]", "sweep.grid.choice.bta", "dotted path of an engine parameter"),
    ],
)
def test_malformed_set(override, field, allowed):
    path = SCEN / "classroom.yaml"
    msg = error_of(load_scenario, path, [override])
    assert msg.startswith(f"{path}: ") and field in msg and allowed in msg
    assert override.split("=", 1)[-1][:5] in msg  # the value is named


def test_python_tags_are_refused_and_never_constructed(tmp_path):
    marker = tmp_path / "pwned"
    for tag in (f'!!python/object/apply:os.system ["touch {marker}"]', "!!python/name:os.system",
                "!!python/object:collections.OrderedDict {}", f'!!python/object/new:os.system ["touch {marker}"]'):
        p = write(tmp_path, f"name: x\nchoice:\n  beta: {tag}\n")
        msg = error_of(load_scenario, p)
        assert f"{p}:3: choice.beta:" in msg and "refused" in msg and "python/" in msg
    assert not marker.exists()


def test_duplicate_key_refused(tmp_path):
    p = write(tmp_path, "choice:\n  beta: 1\n  beta: 2\n")
    msg = error_of(load_scenario, p)
    assert msg.startswith(f"{p}:3: choice.beta:") and "twice" in msg


def test_sweep_errors(tmp_path):
    cases = {
        "sweep:\n  grid: {choice.beta: [1, -2]}\n": ("sweep.grid.choice.beta[1]", "-2", "a number in [0, 1000]"),
        "sweep:\n  grid: {choice.bta: [1]}\n": ("sweep.grid.choice.bta", "did you mean 'choice.beta'", "engine parameter"),
        "sweep:\n  grid: {choice.beta: []}\n": ("sweep.grid.choice.beta", "[]", "allowed"),
        "sweep: {}\n": ("sweep", "{}", "exactly one of grid, sample"),
        "sweep:\n  grid: {choice.beta: [1]}\n  sample: {n: 3, bounds: {choice.beta: [0, 1]}}\n": ("sweep", "grid", "exactly one"),
        "sweep:\n  sample: {n: 3, bounds: {choice.rule: [0, 1]}}\n": ("sweep.sample.bounds.choice.rule", "choice.rule", "numeric"),
        "sweep:\n  sample: {n: 3, bounds: {choice.beta: [2, 1]}}\n": ("sweep.sample.bounds.choice.beta", "[2.0, 1.0]", "low <= high"),
        "sweep:\n  sample: {n: 3, bounds: {choice.beta: [0, 5000]}}\n": ("sweep.sample.bounds.choice.beta", "5000", "[0, 1000]"),
        "sweep:\n  sample: {method: halton, n: 3, bounds: {choice.beta: [0, 1]}}\n": ("sweep.sample.method", "halton", "'sobol'"),
        "sweep:\n  sample: {n: 0, bounds: {choice.beta: [0, 1]}}\n": ("sweep.sample.n", "0", "[1, 1000000]"),
    }
    for text, parts in cases.items():
        p = write(tmp_path, text)
        msg = error_of(load_scenario, p)
        assert str(p) in msg, msg
        for part in parts:
            assert part in msg, (text, msg)


def test_error_attributes_are_structured(tmp_path):
    p = write(tmp_path, "market:\n  exporters:\n    count: 0\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    e = info.value
    assert (e.file, e.field, e.value, e.line) == (str(p), "market.exporters.count", 0, 3)
    assert e.allowed == "an integer in [1, 100000]" and isinstance(e, ValueError)


# ---------------------------------------------------------------------------------
# starter
# ---------------------------------------------------------------------------------
def test_starter_text_loads_and_uses_engine_defaults(tmp_path):
    text = starter_text("demo")
    assert text.startswith("#")
    sc = load_scenario(write(tmp_path, text, "demo.yaml"))
    assert sc.name == "demo" and sc.policies == ["uniform", "at_risk"]
    kw = sc.model_kwargs()
    for name in ("n_exporters", "quality_mean", "beta", "gamma", "trust_gain", "shock_tick", "demand_level"):
        assert kw[name] == DEFAULTS[name]
    data = yaml.safe_load(text)
    assert set(data) <= set(Scenario.model_fields)


def test_starter_sweep_examples_are_valid(tmp_path):
    text = starter_text()
    blocks, cur = [], None
    for line in text.splitlines():
        if line == "# sweep:":
            cur = ["sweep:"]
            blocks.append(cur)
        elif cur is not None and line.startswith("#   "):
            cur.append(line[2:])
        else:
            cur = None
    assert len(blocks) == 2
    kinds = set()
    for block in blocks:
        sc = load_scenario(write(tmp_path, "\n".join(block) + "\n"))
        assert len(sc.sweep_points()) > 1
        kinds.add("grid" if sc.sweep.grid else "sample")
    assert kinds == {"grid", "sample"}



def test_starter_quotes_names_that_yaml_would_retype(tmp_path):
    for name in ("123", "true", "null", "my-study"):
        assert load_scenario(write(tmp_path, starter_text(name), "n.yaml")).name == name


# ---------------------------------------------------------------------------------
# docs
# ---------------------------------------------------------------------------------
def test_docs_field_table_is_generated_from_the_schema():
    from sim.scenarios import schema_markdown

    doc = (ROOT / "docs" / "scenarios.md").read_text()
    assert schema_markdown() in doc, "regenerate with: python -m sim.scenarios docs/scenarios.md"
    for path in PARAM_PATHS.values():
        assert f"| `{path}` |" in doc


def test_scenarios_pickle_and_take_numpy_values():
    import pickle

    sc = load_scenario(SCEN / "transactional_vs_partnership.yaml", ["choice.beta=2"])
    back = pickle.loads(pickle.dumps(sc))
    assert back.resolved() == sc.resolved() and back.source == sc.source
    assert back.sweep_points() == sc.sweep_points()
    other = sc.with_overrides({"market.exporters.count": np.int64(7), "choice.beta": np.float32(0.5)})
    assert other.model_kwargs()["n_exporters"] == 7 and other.model_kwargs()["beta"] == 0.5
