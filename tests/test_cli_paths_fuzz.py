"""Property tests: unusable output paths, a full disk and results folders edited by hand, thrown at the CLI.

Every one must give exit code 2, exactly one line on stderr, no traceback, and no results
written where the path was unusable (joins the input fuzzing of test_cli_fuzz.py).
"""

from __future__ import annotations

import errno
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sim import results as R
from sim.cli import app

ROOT = Path(__file__).resolve().parent.parent
CLASSROOM = str(ROOT / "scenarios" / "classroom.yaml")
QUICK = ["--set", "ticks=15", "--replications", "1", "--set", "outputs.figures=false", "--set", "outputs.report=false"]
FUZZ = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def one_line(res) -> str:
    assert res.exit_code == 2, (res.exit_code, res.output)
    lines = [ln for ln in res.stderr.strip().splitlines() if "━" not in ln]  # a progress bar drawn before the error
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in res.output, res.output
    return lines[0]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A complete compare folder (its figures and report made by `relsim report`), copied for each folder state."""
    out = tmp_path_factory.mktemp("f") / "cmp"
    res = invoke("compare", CLASSROOM, *QUICK, "--out", out)
    assert res.exit_code == 0, res.output
    assert invoke("report", out).exit_code == 0
    return out


# ---- unusable output paths -------------------------------------------------------------------
def _path(kind: str, tmp: Path) -> Path:
    (tmp / "a_file").write_text("x")
    return {"proc": Path("/proc/relsim-nope/x"), "sys": Path("/sys/relsim-nope"), "under_file": tmp / "a_file" / "sub",
            "deep_under_file": tmp / "a_file" / "a" / "b", "is_file": tmp / "a_file",
            "dev_null_dir": Path("/dev/null/x")}[kind]


@FUZZ
@given(kind=st.sampled_from(["proc", "sys", "under_file", "deep_under_file", "is_file", "dev_null_dir"]),
       cmd=st.sampled_from(["run", "compare", "sweep"]), resume=st.booleans())
def test_unusable_out_paths_are_one_line(tmp_path, kind, cmd, resume):
    out = _path(kind, tmp_path)
    extra = ["--set", "sweep.grid.choice.beta=[1, 2]"] if cmd == "sweep" else []
    res = invoke(cmd, CLASSROOM, *QUICK, *extra, "--out", out, *(["--resume"] if resume else []))
    line = one_line(res)
    assert str(out) in line or "a_file" in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"] and (tmp_path / "a_file").read_text() == "x"


# ---- results folders edited by hand ---------------------------------------------------------------------
def _edit(root: Path, how: str) -> None:
    if how == "manifest_garbage":
        (root / "manifest.json").write_text("{not json")
    elif how == "manifest_list":
        (root / "manifest.json").write_text("[1, 2]")
    elif how == "manifest_no_runs":
        m = json.loads((root / "manifest.json").read_text())
        del m["runs"]
        (root / "manifest.json").write_text(json.dumps(m))
    elif how == "manifest_runs_garbage":
        m = json.loads((root / "manifest.json").read_text())
        m["runs"] = [{"point": "x"}]
        (root / "manifest.json").write_text(json.dumps(m))
    elif how == "summary_empty":
        (root / "summary.csv").write_text("")
    elif how == "summary_garbage":
        (root / "summary.csv").write_text("a,b\n1,2\n")
    elif how == "summary_missing":
        (root / "summary.csv").unlink()
    elif how == "parquet_truncated":
        data = (root / "timeseries.parquet").read_bytes()
        (root / "timeseries.parquet").write_bytes(data[: len(data) // 3])
    elif how == "parquet_column_dropped":
        pd.read_parquet(root / "timeseries.parquet").drop(columns=["tick"]).to_parquet(root / "timeseries.parquet")
    elif how == "events_not_parquet":
        (root / "events.parquet").write_text("hello")
    elif how == "figures_is_a_file":
        shutil.rmtree(root / "figures")
        (root / "figures").write_text("not a folder")
    elif how == "compare_garbage":
        (root / "compare.csv").write_text("x\n1\n")


EDITS = ["manifest_garbage", "manifest_list", "manifest_no_runs", "manifest_runs_garbage", "summary_empty",
         "summary_garbage", "summary_missing", "parquet_truncated", "parquet_column_dropped", "events_not_parquet",
         "figures_is_a_file", "compare_garbage"]


@FUZZ
@given(how=st.sampled_from(EDITS), cmd=st.sampled_from(["plot", "report", "resume"]))
def test_results_folders_edited_by_hand_are_one_line(folder, tmp_path, how, cmd):
    root = tmp_path / "copy"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(folder, root)
    _edit(root, how)
    if cmd == "resume":
        res = invoke("compare", CLASSROOM, *QUICK, "--resume", root)
        if res.exit_code == 0:  # the edit touched only what a resume rewrites from the runs: repaired, not refused
            assert how in ("manifest_no_runs", "manifest_runs_garbage", "summary_empty", "summary_garbage",
                           "summary_missing", "parquet_truncated", "parquet_column_dropped", "events_not_parquet",
                           "compare_garbage", "figures_is_a_file"), how
            assert json.loads((root / "manifest.json").read_text())["status"] == "complete"
            return
    else:
        res = invoke(cmd, root)
        if res.exit_code == 0:  # the edit touched nothing the figures and report read (e.g. the runs' list)
            assert how in ("manifest_runs_garbage",) and "Traceback" not in res.output, how
            return
    line = one_line(res)
    assert str(root) in line, line


# ---- a full disk -----------------------------------------------------------------------------------------
def test_a_full_disk_is_one_line_that_names_the_resume_command(tmp_path, monkeypatch):
    real, calls = R.atomic_write_bytes, {"n": 0}

    def full(path, data):
        calls["n"] += 1
        if calls["n"] > 8:  # the manifest and a run's first files fit; then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, data)

    monkeypatch.setattr(R, "atomic_write_bytes", full)
    out = tmp_path / "out"
    line = one_line(invoke("compare", CLASSROOM, *QUICK, "--out", out))
    assert "No space left on device" in line and f"resume with: relsim compare {CLASSROOM}" in line
    assert line.endswith(f"--resume {out}")
    assert not list(out.rglob("*.tmp")) and not list(out.rglob(".*.tmp"))  # nothing half-written
    monkeypatch.undo()
    done = invoke("compare", CLASSROOM, *QUICK, "--resume", out)
    assert done.exit_code == 0, done.output
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
