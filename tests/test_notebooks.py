"""The teaching notebooks run top to bottom without error, and are stored without outputs.

Notebook 01 runs with its default settings; notebook 02 with RELSIM_NOTEBOOK_SMALL=1
(fewer, shorter replications; the default is timed in docs/teaching.md).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = {
    "01_relationship_lifecycle.ipynb": {},
    "02_retention_policies.ipynb": {"RELSIM_NOTEBOOK_SMALL": "1"},
}


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_notebook_is_stored_without_outputs(name):
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a notebook without code"
    assert all(not c.outputs and c.execution_count is None for c in code), "strip outputs before committing"


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_notebook_runs_top_to_bottom(name, monkeypatch, tmp_path):
    for key, value in NOTEBOOKS[name].items():
        monkeypatch.setenv(key, value)
    out = tmp_path / "results"
    monkeypatch.setenv("RELSIM_NOTEBOOK_RESULTS", str(out))  # nothing is written into the repository
    before = _repo_results()
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT / "notebooks")}})
    client.execute()  # raises CellExecutionError on the first failing cell
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    # the notebook showed what it promises: figures and tables
    kinds = {k for c in nb.cells if c.cell_type == "code" for o in c.outputs for k in o.get("data", {})}
    assert "image/png" in kinds and "text/html" in kinds
    nbformat.write(nb, tmp_path / name)  # executed copy, for inspection
    assert _repo_results() == before, "the notebook wrote into the repository's results/"
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    if name.startswith("02"):
        assert (out / "manifest.json").is_file()  # its results went to RELSIM_NOTEBOOK_RESULTS
        # the description states the replications actually run (3 with RELSIM_NOTEBOOK_SMALL=1), not the file's
        assert "paired over 3 replications of 80 ticks" in text, text[:500]
        assert "paired over 10 replications" not in text


def _repo_results() -> dict[str, float]:
    """Files under the repository's results/notebook_* folders, with their modification times."""
    return {str(f): f.stat().st_mtime for f in (ROOT / "results").glob("notebook_*/**/*") if f.is_file()}
