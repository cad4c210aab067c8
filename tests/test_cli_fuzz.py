"""Property tests: malformed scenarios and --set values thrown at the CLI.

Every one must give exit code 2, exactly one line on stderr naming the file
and the field, no traceback, and no results folder.
"""

from __future__ import annotations

import os
import string
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sim.cli import app
from sim.parameters import BY_NAME
from sim.scenarios import PARAM_PATHS, schema_rows

ROOT = Path(__file__).resolve().parent.parent
CLASSROOM = ROOT / "scenarios" / "classroom.yaml"
BASE = yaml.safe_load(CLASSROOM.read_text())
PATHS = {row[0] for row in schema_rows()}
NUMERIC = [(PARAM_PATHS[n], p) for n, p in BY_NAME.items() if p.kind in (int, float) and p.choices is None]
BOUNDED = [(path, p) for path, p in NUMERIC if p.high is not None and p.high < 1e6]
CHOICES = [(PARAM_PATHS[n], p) for n, p in BY_NAME.items() if p.choices]
BOOLS = [PARAM_PATHS[n] for n, p in BY_NAME.items() if p.kind is bool]
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

words = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=12)
junk = st.text(alphabet=string.ascii_letters + "!@%^&*()", min_size=1, max_size=10).filter(
    lambda s: s.lower() not in {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "nan", "inf"}
)


def check(args: list[str], tmp: Path, needle: str) -> None:
    out = tmp / "out"
    cwd = os.getcwd()
    os.chdir(tmp)
    try:
        res = CliRunner().invoke(app, [str(a) for a in args] + ["--out", str(out)])
    finally:
        os.chdir(cwd)
    assert res.exit_code == 2, (args, res.output)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, (args, res.stderr)
    assert "Traceback" not in res.output, res.output
    assert needle in lines[0], (needle, lines[0])
    assert not out.exists() and not (tmp / "results").exists()


# ---- malformed --set -----------------------------------------------------------------------------
@st.composite
def bad_set(draw) -> tuple[str, str]:
    """(--set text, a string the error line must contain); every one is invalid."""
    kind = draw(st.sampled_from(["no_equals", "unknown", "range", "type", "choice", "bool", "policy", "empty_path"]))
    if kind == "no_equals":
        text = draw(st.text(alphabet=string.ascii_letters + "._-", min_size=1, max_size=20))
        return text, "dotted.path=value"
    if kind == "unknown":
        section = draw(st.sampled_from(["choice", "dynamics", "lifecycle", "demand", "market.buyers", "bogus"]))
        path = f"{section}.{draw(words)}"
        if path in PATHS:
            path += "_zz"
        return f"{path}=1", path
    if kind == "range":
        path, p = draw(st.sampled_from(BOUNDED))
        above = draw(st.booleans()) or p.low is None
        v = p.high + draw(st.integers(1, 1000)) if above else p.low - draw(st.integers(1, 1000))
        return f"{path}={v}", path
    if kind == "type":
        path, p = draw(st.sampled_from(NUMERIC))
        return f"{path}={draw(junk)}", path
    if kind == "choice":
        path, p = draw(st.sampled_from(CHOICES))
        v = draw(words.filter(lambda w: w not in p.choices))
        return f"{path}={v}", path
    if kind == "bool":
        path = draw(st.sampled_from(BOOLS))
        return f"{path}={draw(st.sampled_from(['maybe', '2', '0.5', '[true]', 'sometimes']))}", path
    if kind == "policy":
        name = draw(words) + "_policy"
        return f"policy={name}", name
    return f"{draw(st.sampled_from(['', '.', 'a..b', '.x', 'x.']))}=1", "--set"


@FUZZ
@given(case=bad_set(), cmd=st.sampled_from(["run", "compare"]))
def test_malformed_set_values(tmp_path, case, cmd):
    text, needle = case
    check([cmd, CLASSROOM, "--set", text], tmp_path, needle)


# ---- malformed scenario files ------------------------------------------------------------------------------
def _set(d: dict, path: str, value) -> dict:
    import copy

    d = copy.deepcopy(d)
    node = d
    parts = path.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return d


@st.composite
def bad_file(draw) -> tuple[str, str]:
    """(YAML text, a string the error line must contain)."""
    kind = draw(st.sampled_from(["unknown_key", "range", "type", "choice", "syntax", "tag", "policy", "not_mapping"]))
    if kind == "unknown_key":
        section = draw(st.sampled_from(["", "choice", "dynamics", "market", "market.exporters", "demand"]))
        key = draw(words)
        path = f"{section}.{key}" if section else key
        if path in PATHS or path in {"market", "sweep", "outputs", "choice", "dynamics", "lifecycle", "demand",
                                     "policy", "name", "description", "seed", "ticks", "replications"} or \
                any(p.startswith(path + ".") for p in PATHS):
            path += "_zz"
            key += "_zz"
        return yaml.safe_dump(_set(BASE, path, 1)), key
    if kind == "range":
        path, p = draw(st.sampled_from(BOUNDED))
        return yaml.safe_dump(_set(BASE, path, p.high + draw(st.integers(1, 100)))), path
    if kind == "type":
        path, p = draw(st.sampled_from(NUMERIC))
        return yaml.safe_dump(_set(BASE, path, draw(st.sampled_from([[1, 2], {"a": 1}, "lots", True])))), path
    if kind == "choice":
        path, p = draw(st.sampled_from(CHOICES))
        return yaml.safe_dump(_set(BASE, path, draw(words.filter(lambda w: w not in p.choices)))), path
    if kind == "syntax":
        good = yaml.safe_dump(BASE).splitlines()
        i = draw(st.integers(1, len(good) - 1))
        broken = draw(st.sampled_from(["key: [unclosed", "  : bad", "x: {a: 1", "\tindent: tab", "- item\nk: v: w"]))
        return "\n".join(good[:i] + [broken] + good[i:]) + "\n", "line"
    if kind == "tag":
        return "name: x\nseed: !!python/object/apply:os.system ['echo pwned']\n", "tag"
    if kind == "policy":
        name = draw(words) + "_nope"
        return yaml.safe_dump(_set(BASE, "policy", ["uniform", name])), name
    return draw(st.sampled_from(["- a\n- b\n", "just a string\n", "42\n"])), "top level"


@FUZZ
@given(case=bad_file(), cmd=st.sampled_from(["run", "compare", "sweep", "validate"]))
def test_malformed_scenario_files(tmp_path, case, cmd):
    text, needle = case
    f = tmp_path / "scenario.yaml"
    f.write_text(text)
    if cmd == "validate":
        res = CliRunner().invoke(app, ["validate", str(f)])
        assert res.exit_code == 2 and len(res.stderr.strip().splitlines()) == 1, res.output
        assert "Traceback" not in res.output and "scenario.yaml" in res.stderr and needle in res.stderr
        return
    check([cmd, f], tmp_path, "scenario.yaml")
    check([cmd, f], tmp_path, needle)
