"""The notebooks as a teacher opens them: installed by ``make install-notebooks`` into a fresh virtual
environment, executed there by Jupyter's own ``jupyter nbconvert --execute``, every figure drawn.

Each cell that is meant to plot carries the tag ``figure``; the executed notebook must show an image in
every such cell, and in no other (so the tags stay honest). The fresh environment reuses pip's cache;
notebook 02 runs with RELSIM_NOTEBOOK_SMALL=1 (fewer, shorter replications; the default is timed in
docs/teaching.md), 03 and 04 with their own small settings.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))


def test_every_notebook_is_listed():
    assert {"01_relationship_lifecycle.ipynb", "02_retention_policies.ipynb",
            "03_loyalty_wkh2000.ipynb", "04_sensitivity.ipynb"} <= set(NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_stored_without_outputs(name):
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a notebook without code"
    assert all(not c.outputs and c.execution_count is None for c in code), "strip outputs before committing"
    assert any("figure" in c.metadata.get("tags", []) for c in code), "no cell is tagged as drawing a figure"


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory) -> Path:
    """``jupyter`` of a fresh virtual environment made by the documented command (make install-notebooks)."""
    if not shutil.which("make"):
        pytest.fail("make is needed (the README's install command)")
    venv = tmp_path_factory.mktemp("notebooks") / "venv"
    proc = subprocess.run(["make", "-C", str(ROOT), "install-notebooks", f"VENV={venv}"], capture_output=True,
                          text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return venv / "bin" / "jupyter"


@pytest.mark.timeout(1800)
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_and_draws_in_a_fresh_install(name, jupyter, tmp_path):
    out = tmp_path / "results"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MPLBACKEND", "JUPYTER", "VIRTUAL_ENV"))}
    env.update(PATH=f"{jupyter.parent}{os.pathsep}{env.get('PATH', '')}", RELSIM_NOTEBOOK_SMALL="1",
               RELSIM_NOTEBOOK_RESULTS=str(out))  # nothing is written into the repository
    before = _repo_results()
    proc = subprocess.run(
        [str(jupyter), "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=900",
         "--output-dir", str(tmp_path), str(ROOT / "notebooks" / name)],
        cwd=ROOT / "notebooks", env=env, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stderr[-4000:]
    nb = nbformat.read(tmp_path / name, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, errors[:1]
    for i, cell in enumerate(code):
        images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
        if "figure" in cell.metadata.get("tags", []):
            assert images, f"code cell {i} should draw a figure but shows none:\n{cell.source[:300]}"
        else:
            assert not images, f"code cell {i} draws a figure but is not tagged 'figure':\n{cell.source[:300]}"
    assert _repo_results() == before, "the notebook wrote into the repository's results/"
    text = "".join(o.get("text", "") for c in code for o in c.outputs)
    if name.startswith("02"):
        assert (out / "manifest.json").is_file()  # its results went to RELSIM_NOTEBOOK_RESULTS
        # the description states the replications actually run (3 with RELSIM_NOTEBOOK_SMALL=1), not the file's
        assert "paired over 3 replications of 80 ticks" in text, text[:500]
        assert "paired over 10 replications" not in text


def _repo_results() -> dict[str, float]:
    """Files under the repository's results/notebook_* folders, with their modification times."""
    return {str(f): f.stat().st_mtime for f in (ROOT / "results").glob("notebook_*/**/*") if f.is_file()}
