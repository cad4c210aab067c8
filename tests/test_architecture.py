"""The package's shape: imports form no circle, the engine knows nothing of the layers above it, and every
equation of the model is written once, in sim.dynamics, where the compiled kernels call it.

The import graph is built from the source (every ``import`` statement anywhere in a module, inside
functions too: an import moved into a function still counts), not from what Python happens to load.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import numpy as np

import sim
from sim import dynamics

PACKAGE = Path(sim.__file__).parent
#: the layers above the engine: the engine (MarketModel and what it imports) must not import them
ABOVE = {"sim.cli", "sim.dashboard", "sim.classroom", "sim.classroom.game", "sim.classroom.market", "sim.classroom.debrief", "sim.classroom.server", "sim.serving", "sim.i18n", "sim.experiments", "sim.results", "sim.plots", "sim.report", "sim.scenarios",
         "sim.distributed", "sim.stats", "sim.validation", "sim.testing", "sim.customers"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, name: str, modules: set[str]) -> set[str]:
    """The sim modules ``path`` imports, anywhere in the file."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module or ""
            # `from . import x` names a module x; `from .m import f` names m
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in modules else mod for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in modules:  # a.b.c -> the closest module of the package it names
                t = t.rpartition(".")[0]
            if t and t != name:
                out.add(t)
    return out


def import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: _imports(path, name, set(files)) for name, path in files.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state and (c := visit(m)):
                return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state and (c := visit(n)):
            return c
    return None


def test_the_graph_sees_imports_inside_functions():
    graph = import_graph()
    assert "sim.model" in graph["sim"] and "sim.dynamics" in graph["sim.trade"]
    fake = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert _cycle(fake) == ["a", "b", "c", "a"]


def test_no_import_circle_in_the_package():
    cycle = _cycle(import_graph())
    assert cycle is None, " -> ".join(cycle)


def engine_modules() -> set[str]:
    """sim.model and every sim module it imports, directly or not."""
    graph = import_graph()
    seen, todo = set(), ["sim.model"]
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo.extend(graph[n])
    return seen


def test_the_engine_knows_nothing_of_the_layers_above_it():
    seen = engine_modules()
    assert "sim.trade" in seen and "sim.dynamics" in seen
    assert not {n for n in seen if any(n == a or n.startswith(a + ".") for a in ABOVE)}


def test_vocabularies_import_nothing_from_the_package():
    assert import_graph()["sim.vocab"] == set()


# ---- one equation, one place -----------------------------------------------------------------
EQUATIONS = [f for _, f in inspect.getmembers(dynamics) if hasattr(f, "py_func") and f.__module__ == dynamics.__name__]


def test_every_equation_has_its_equation_in_the_docstring():
    assert len(EQUATIONS) >= 25
    for f in EQUATIONS:
        doc = inspect.getdoc(f.py_func) or ""
        assert len(doc) > 40, f.__name__


def test_kernels_contain_no_model_coefficient_of_their_own():
    """The phase modules read every parameter from the record ``P`` and call sim.dynamics for every
    equation: no model parameter name appears as a string key in them."""
    from sim.parameters import PARAMS

    for mod in ("trade", "lifecycle", "communication", "awareness", "records"):
        src = (PACKAGE / f"{mod}.py").read_text()
        for p in PARAMS:
            assert f'p["{p.name}"]' not in src, (mod, p.name)


def test_the_engine_runs_as_plain_python_with_the_jit_off(tmp_path):
    """``NUMBA_DISABLE_JIT=1`` runs the same code as plain Python, with the same results (to float rounding),
    and a change to one equation then reaches the run."""
    import os
    import subprocess
    import sys

    code = """
import json, sys
import numpy as np
import sim
from sim import dynamics
m = sim.MarketModel(rng=5, n_exporters=4, n_buyers=60, initial_relationships=2.0)
m.run_for(12)
out = {"trust": m.timeseries["mean_trust"].tolist(), "events": len(m.events)}
orig = dynamics.trust_update
def stronger(*a):
    tc, tk, ti, T = orig(*a)
    return tc, tk, ti, min(1.0, T * 1.1)
from sim import trade
trade.eq.trust_update = stronger
m = sim.MarketModel(rng=5, n_exporters=4, n_buyers=60, initial_relationships=2.0)
m.run_for(12)
out["trust_changed"] = m.timeseries["mean_trust"].tolist()
print(json.dumps(out))
"""
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    import json

    plain = json.loads(res.stdout.strip().splitlines()[-1])
    m = sim.MarketModel(rng=5, n_exporters=4, n_buyers=60, initial_relationships=2.0)
    m.run_for(12)
    assert plain["events"] == len(m.events)
    np.testing.assert_allclose(plain["trust"], m.timeseries["mean_trust"], rtol=1e-5)
    assert not np.allclose(plain["trust_changed"], plain["trust"], rtol=1e-4)


STALE_PROBE = """
import json
import numpy as np
from sim import lifecycle
from sim.parameters import record, validate
P = record(validate({}))
n = 40
i32 = lambda v: np.full(n, v, np.int32)
cause, to, reviewing = np.zeros(n, np.int8), np.zeros(n, np.int8), np.zeros(n, np.bool_)
lifecycle._endings_and_moves(0, n, np.arange(n, dtype=np.int32), np.uint64(1), P, np.full(n, 1, np.int8),
                             np.full(n, 0.5, np.float32), np.full(n, 0.2, np.float32), i32(0), np.zeros(n, np.int16),
                             np.zeros(50, np.float32), i32(0), i32(0), i32(0), cause, to, reviewing)
print(json.dumps(cause.tolist()))
"""


def test_an_edited_equation_reaches_cached_kernels(tmp_path):
    """numba checks a cached kernel against its own file only; the engine's cache locators (sim/jit.py) also
    check every engine module, so editing an equation in sim/dynamics.py recompiles the kernels elsewhere
    that inline it (here: lifecycle's, with the numba cache of the package copied along)."""
    import os
    import shutil
    import subprocess
    import sys

    copy = tmp_path / "sim"
    shutil.copytree(PACKAGE, copy)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    env.pop("NUMBA_DISABLE_JIT", None)
    env.pop("NUMBA_CACHE_DIR", None)

    def causes():
        res = subprocess.run([sys.executable, "-c", STALE_PROBE], env=env, capture_output=True, text=True,
                             timeout=600, cwd=tmp_path)
        assert res.returncode == 0, res.stderr[-3000:]
        return json.loads(res.stdout.strip().splitlines()[-1])

    import json

    assert set(causes()) == {0}  # trust 0.5 does not break down
    src = (copy / "dynamics.py").read_text()
    rule = "    if trust < P.breakdown_trust:\n"
    assert src.count(rule) == 1
    (copy / "dynamics.py").write_text(src.replace(rule, "    if trust < P.breakdown_trust + 1.0:\n"))
    assert set(causes()) == {1}  # now it does: the edit reached the compiled kernel


def test_the_engine_modules_cover_what_the_model_imports():
    from sim.jit import ENGINE_MODULES

    assert {n.removeprefix("sim.") for n in engine_modules()} <= set(ENGINE_MODULES)
