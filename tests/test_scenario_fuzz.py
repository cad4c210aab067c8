"""Property-based: malformed scenarios always give one ScenarioError line naming file and field.

Random mutations of a valid scenario (classroom.yaml): unknown keys, wrong
types, out-of-range numbers, bad YAML, Python tags, duplicate keys, bad policy
names, bad ``--set`` strings. Whatever the mutation, ``load_scenario`` raises
exactly ``ScenarioError`` (never another exception), its message is one line,
and it names the file and the offending field (or, for broken YAML, the line).
"""

from __future__ import annotations

import copy
import os
import itertools
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import sim
from sim.parameters import PARAMS
from sim.scenarios import PARAM_PATHS, Scenario, ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASE_TEXT = (ROOT / "scenarios" / "classroom.yaml").read_text()
BASE = yaml.safe_load(BASE_TEXT)

# RELSIM_FUZZ_EXAMPLES=5000 runs a deeper, randomised search (CI: 150 examples per test, derandomised).
_DEEP = int(os.environ.get("RELSIM_FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=_DEEP or 150, deadline=None, derandomize=not _DEEP,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

ENGINE = [p for p in PARAMS if p.name != "policy"]
NUMERIC = [p for p in ENGINE if p.kind in (int, float) and p.choices is None]
BOUNDED = [p for p in NUMERIC if p.low is not None or p.high is not None]
_counter = itertools.count()


def _section_fields() -> dict[str, list[str]]:
    """Dotted path of every mapping section -> its field names ('' is the top level)."""
    out = {}

    def walk(model, prefix):
        out[prefix] = list(model.model_fields)
        for name, f in model.model_fields.items():
            ann = f.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel) and name != "sweep":
                walk(ann, f"{prefix}.{name}" if prefix else name)

    walk(Scenario, "")
    return out


SECTIONS = _section_fields()
KEY = st.from_regex(r"[a-z][a-z0-9_]{0,14}", fullmatch=True)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def write(folder: Path, text: str) -> Path:
    p = folder / f"case{next(_counter)}.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def put(data: dict, path: str, value) -> None:
    node = data
    parts = path.split(".")
    for part in parts[:-1]:
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            nxt = node[part] = {}
        node = nxt
    node[parts[-1]] = value


def check(path: Path, overrides=(), names=()) -> str:
    """Load must raise exactly ScenarioError, one line, naming the file and one of ``names``."""
    with pytest.raises(Exception) as info:
        load_scenario(path, overrides)
    assert type(info.value) is ScenarioError, repr(info.value)
    msg = str(info.value)
    assert msg and "\n" not in msg and "\r" not in msg, msg
    assert msg.startswith(str(path)), msg
    assert "Traceback" not in msg
    if names:
        assert any(n in msg for n in names), (names, msg)
    return msg


# ---------------------------------------------------------------------------------
# mutations of the data
# ---------------------------------------------------------------------------------
@st.composite
def unknown_key(draw):
    section = draw(st.sampled_from(sorted(SECTIONS)))
    key = draw(KEY.filter(lambda k: k not in SECTIONS[section]))
    path = f"{section}.{key}" if section else key
    value = draw(st.one_of(st.integers(), st.text(max_size=5), st.booleans()))
    return path, value, [path]


def wrong_value_for(p):
    """Values of the wrong type for parameter ``p``."""
    junk = st.one_of(st.lists(st.integers(), max_size=2), st.dictionaries(KEY, st.integers(), max_size=2), st.none())
    if p.choices is not None:
        return st.one_of(junk, st.integers(), st.floats(allow_nan=False), st.text(max_size=8).filter(lambda s: s not in p.choices))
    if p.kind is bool:
        return st.one_of(junk, st.integers(), st.floats(allow_nan=False), st.text(max_size=8))
    if p.kind is int:
        return st.one_of(junk, st.booleans(), st.text(max_size=8), st.floats(allow_nan=False).filter(lambda x: not float(x).is_integer()))
    return st.one_of(junk, st.booleans(), st.text(max_size=8), st.just(float("nan")), st.just(float("inf")))


@st.composite
def wrong_type(draw):
    p = draw(st.sampled_from(ENGINE))
    return PARAM_PATHS[p.name], draw(wrong_value_for(p)), [PARAM_PATHS[p.name]]


@st.composite
def out_of_range(draw):
    p = draw(st.sampled_from(BOUNDED))
    above = p.low is None or (p.high is not None and draw(st.booleans()))
    if p.kind is int:
        delta = draw(st.integers(1, 10**6))
    else:
        scale = 1e-3 * (1 + abs(p.high if above else p.low))
        delta = draw(st.floats(scale, 1e6, allow_nan=False))
    value = p.high + delta if above else p.low - delta
    return PARAM_PATHS[p.name], p.kind(value), [PARAM_PATHS[p.name]]


@st.composite
def bad_top(draw):
    field, value = draw(st.sampled_from([
        ("ticks", 0), ("ticks", -5), ("replications", 0), ("seed", -1), ("ticks", "many"), ("name", 3),
        ("description", [1]), ("market", 5), ("choice", "logit"), ("outputs", [1]), ("sweep", 3),
        ("market.exporters.quality", 0.5), ("outputs.report", ["nope"]), ("outputs.figures", "yes please"),
    ]))
    return field, value, [field]


@st.composite
def bad_policy(draw):
    name = draw(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=12)
                .filter(lambda s: s not in sim.POLICIES))
    assume(yaml.safe_load(yaml.safe_dump(name)) == name)
    value = draw(st.sampled_from(["alone", "list", "first"]))
    value = name if value == "alone" else ["uniform", name] if value == "list" else [name, "uniform"]
    return "policy", value, ["policy"]


@st.composite
def bad_sweep(draw):
    path = draw(st.sampled_from([PARAM_PATHS[p.name] for p in NUMERIC]))
    kind = draw(st.sampled_from(["unknown", "value", "empty", "bounds", "method"]))
    if kind == "unknown":
        bad = draw(KEY.map(lambda k: f"choice.{k}").filter(lambda k: k not in PARAM_PATHS.values()))
        return "sweep", {"grid": {bad: [1]}}, [f"sweep.grid.{bad}"]
    if kind == "value":
        p = next(q for q in NUMERIC if PARAM_PATHS[q.name] == path)
        wrong = draw(wrong_value_for(p))
        return "sweep", {"grid": {path: [p.default, wrong]}}, [f"sweep.grid.{path}"]
    if kind == "empty":
        return "sweep", {"grid": {path: []}}, [f"sweep.grid.{path}"]
    if kind == "bounds":
        return "sweep", {"sample": {"n": 4, "bounds": {path: [1e9, -1e9]}}}, [f"sweep.sample.bounds.{path}"]
    return "sweep", {"sample": {"method": draw(KEY.filter(lambda m: m not in ("lhs", "sobol", "random"))), "n": 4,
                                "bounds": {path: [0, 0]}}}, ["sweep.sample.method"]


MUTATION = st.one_of(unknown_key(), wrong_type(), out_of_range(), bad_top(), bad_policy(), bad_sweep())


@FUZZ
@given(mutations=st.lists(MUTATION, min_size=1, max_size=3))
def test_mutated_data_gives_one_line_naming_file_and_field(folder, mutations):
    data = copy.deepcopy(BASE)
    names = []
    for path, value, expect in mutations:
        put(data, path, value)
        names += expect
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    check(write(folder, text), names=names)


# ---------------------------------------------------------------------------------
# mutations of the text
# ---------------------------------------------------------------------------------
BAD_SNIPPETS = [
    "  beta: [1, 2", "choice: {beta: 1", "\tticks: 3", "market:\n   exporters: 1\n  buyers: 2",
    "name: 'unterminated", "- item\nkey: value", "ticks: 1\n  seed: 2", "@at: start", "`backtick: 1",
    "key: value: other", "? [complex\n", "*undefined_alias", "&anchor", "%YAML 1.1", "] stray",
]
TAGS = ["!!python/object/apply:os.system ['echo no']", "!!python/name:os.system", "!!python/object:collections.OrderedDict {}",
        "!!python/object/new:builtins.list [[1]]", "!!python/module:os", "!!python/tuple [1, 2]"]


@FUZZ
@given(line=st.integers(0, 60), snippet=st.sampled_from(BAD_SNIPPETS))
def test_broken_yaml_names_file_and_line(folder, line, snippet):
    lines = BASE_TEXT.splitlines()
    line = min(line, len(lines))
    text = "\n".join(lines[:line] + snippet.split("\n") + lines[line:]) + "\n"
    try:
        yaml.safe_load(text)
    except yaml.YAMLError:
        pass
    else:
        assume(False)
    msg = check(write(folder, text))
    assert "YAML" in msg and "line" in msg


@FUZZ
@given(p=st.sampled_from(ENGINE), tag=st.sampled_from(TAGS))
def test_python_tags_refused_at_any_field(folder, p, tag):
    data = copy.deepcopy(BASE)
    put(data, PARAM_PATHS[p.name], "__TAG__")
    text = yaml.safe_dump(data, sort_keys=False).replace("__TAG__", tag)
    msg = check(write(folder, text), names=[PARAM_PATHS[p.name]])
    assert "refused" in msg


@FUZZ
@given(p=st.sampled_from(ENGINE))
def test_duplicate_keys_refused_at_any_field(folder, p):
    path = PARAM_PATHS[p.name]
    data = copy.deepcopy(BASE)
    put(data, path, "__DUP__")
    text = yaml.safe_dump(data, sort_keys=False)
    key = path.rsplit(".", 1)[-1]
    line = next(l for l in text.splitlines() if "__DUP__" in l)
    indent = line[: len(line) - len(line.lstrip())]
    default = yaml.safe_dump(p.default, default_flow_style=True).strip().removesuffix("...").strip()
    text = text.replace(line, f"{indent}{key}: {default}\n{indent}{key}: {default}")
    msg = check(write(folder, text), names=[path])
    assert "twice" in msg


# ---------------------------------------------------------------------------------
# bad --set strings
# ---------------------------------------------------------------------------------
@st.composite
def bad_set(draw):
    kind = draw(st.sampled_from(["no_equals", "unknown_path", "unparseable", "out_of_range", "wrong_type", "bad_path"]))
    if kind == "no_equals":
        s = draw(st.text(max_size=20).filter(lambda s: "=" not in s))
        return s, ["--set"]
    if kind == "bad_path":
        s = draw(st.sampled_from(["", ".", "a..b", "choice.", ".beta", "a b", " "]))
        return f"{s}=1", ["--set", s.strip() or "--set"]
    if kind == "unknown_path":
        parts = draw(st.lists(KEY, min_size=1, max_size=4))
        assume(parts[0] not in Scenario.model_fields)
        path = ".".join(parts)
        return f"{path}=1", [path]
    p = draw(st.sampled_from(ENGINE))
    path = PARAM_PATHS[p.name]
    if kind == "unparseable":
        raw = draw(st.sampled_from(["[1,2", "{a: 1", "'abc", '"abc', "a: b: c", "!!python/object:os.system x",
                                    "[1, {", "*alias", "&a", "{", "}", "]"]))
        return f"{path}={raw}", [path]
    if kind == "wrong_type":
        value = draw(wrong_value_for(p))
        return f"{path}={yaml.safe_dump(value, default_flow_style=True).strip().removesuffix('...').strip()}", [path]
    q = draw(st.sampled_from(BOUNDED))
    path = PARAM_PATHS[q.name]
    value = (q.high + 1) if q.high is not None else (q.low - 1)
    return f"{path}={value}", [path]


@FUZZ
@given(sets=st.lists(bad_set(), min_size=1, max_size=2), good=st.sampled_from([[], ["choice.beta=2"], ["ticks=5"]]))
def test_bad_set_gives_one_line_naming_file_and_field(folder, sets, good):
    path = write(folder, BASE_TEXT)
    overrides = list(good) + [s for s, _ in sets]
    names = [n for _, ns in sets for n in ns]
    msg = check(path, overrides, names=names)
    assert "allowed" in msg


# ---------------------------------------------------------------------------------
# the base is valid (so every failure above is the mutation's)
# ---------------------------------------------------------------------------------
def test_base_and_its_dump_are_valid(folder):
    assert load_scenario(write(folder, BASE_TEXT)).name == "classroom"
    assert load_scenario(write(folder, yaml.safe_dump(BASE, sort_keys=False))).name == "classroom"
