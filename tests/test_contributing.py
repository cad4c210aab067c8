"""Adding a parameter to a submodel is one edit to the parameter table plus its use in the equation.

The worked example of docs/contributing.md, done for real on a copy of the package: add ``trust_decay``
to ``sim/parameters.py``'s table and use it in ``dynamics.trust_update``; then the model takes it as a
keyword argument, the scenario schema knows ``dynamics.trust_decay``, and it changes the run in the
direction the equation says. Nothing else is edited (the record, the kernels and the oracle follow).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import sim

TABLE_LINE = '''    _p("trust_loss", 0.25, "rate at which knowledge-based trust falls on bad outcomes", "dynamics", 0.0, 1.0, "1/tick"),
'''
NEW_LINE = '''    _p("trust_decay", 0.0, "rate at which knowledge-based trust wears off", "dynamics", 0.0, 1.0, "1/tick"),
'''
EQUATION = "    tk = knowledge + min(P.trust_gain * up, 1.0) * (1.0 - knowledge) - min(P.trust_loss * down, knowledge)\n"
NEW_EQUATION = EQUATION + "    tk = tk * (1.0 - P.trust_decay)\n"

PROBE = """
import json
import sim
from sim.scenarios import schema_rows
out = {}
for decay in (0.0, 0.2):
    m = sim.MarketModel(rng=2, n_exporters=4, n_buyers=60, initial_relationships=2.0, trust_decay=decay)
    m.run_for(15)
    out[str(decay)] = float(m.timeseries["mean_trust"].iloc[5:].mean())
out["schema"] = any(r[0] == "dynamics.trust_decay" for r in schema_rows())
out["record"] = "trust_decay" in sim.parameters.PARAMS_DTYPE.names
print(json.dumps(out))
"""


def test_a_new_parameter_is_one_table_line_and_its_use(tmp_path):
    pkg = Path(sim.__file__).parent
    copy = tmp_path / "sim"
    shutil.copytree(pkg, copy, ignore=shutil.ignore_patterns("__pycache__"))
    params = (copy / "parameters.py").read_text()
    dynamics = (copy / "dynamics.py").read_text()
    assert params.count(TABLE_LINE) == 1 and dynamics.count(EQUATION) == 1  # the example still fits the code
    (copy / "parameters.py").write_text(params.replace(TABLE_LINE, TABLE_LINE + NEW_LINE))
    (copy / "dynamics.py").write_text(dynamics.replace(EQUATION, NEW_EQUATION))
    # plain Python (NUMBA_DISABLE_JIT): the same code, without compiling a second copy of the engine
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "NUMBA_DISABLE_JIT": "1"}
    res = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=600,
                         cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["record"] and out["schema"]
    assert out["0.2"] < out["0.0"] - 0.05  # trust wears off: lower trust, by a margin
