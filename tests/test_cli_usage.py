"""The command line as people use it (#17): resume with the exact command, tables at 80 columns, --version,
help texts, a sweep file under `relsim run`, resources checked before a run."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim import experiments as X
from sim import resources as Q
from sim.cli import app

ROOT = Path(__file__).resolve().parent.parent
CLASSROOM = str(ROOT / "scenarios" / "classroom.yaml")
QUICK = ["--set", "ticks=20", "--set", "outputs.figures=false", "--set", "outputs.report=false"]


def invoke(*args, env=None):
    return CliRunner().invoke(app, [str(a) for a in args], env=env)


def one_error_line(res) -> str:
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.output, res.stderr
    return lines[0]


def test_version_and_help_texts():
    from sim.version import __version__

    res = invoke("--version")
    assert res.exit_code == 0 and res.stdout.strip() == f"relsim {__version__}"
    for cmd in ("run", "compare", "sweep", "plot", "report", "validate", "new"):
        text = invoke(cmd, "--help").stdout
        assert "<bool>" not in text and "<list[str]>" not in text and f" {cmd} [OPTIONS]" in text, cmd
    assert "--resume [DIR]" in invoke("compare", "--help").stdout


def test_validate_counts_in_words(tmp_path):
    one = tmp_path / "one.yaml"
    one.write_text("name: one\npolicy: uniform\nreplications: 1\n")
    out = invoke("validate", one).stdout
    assert "1 policy x 1 replication," in out and "policies" not in out


def _interrupt_after(monkeypatch, n: int) -> None:
    """Make the (n+1)-th run of this process raise KeyboardInterrupt, as Ctrl-C would."""
    real, calls = X.execute_run, {"n": 0}

    def run(params, seed, root):
        calls["n"] += 1
        if calls["n"] > n:
            raise KeyboardInterrupt
        return real(params, seed, root)

    monkeypatch.setattr(X, "execute_run", run)


def test_an_interrupted_compare_names_the_command_that_resumes_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "cmp"
    _interrupt_after(monkeypatch, 2)
    res = invoke("compare", CLASSROOM, *QUICK, "--replications", "2", "--out", out)
    assert res.exit_code == 130
    line = res.stderr.strip().splitlines()[-1]
    assert line.startswith("interrupted: 2 of 4 runs complete in ") and str(out) in line
    command = line.split("resume with: ", 1)[1]
    args = shlex.split(command)
    assert args[:3] == ["relsim", "compare", CLASSROOM] and args[-2:] == ["--resume", str(out)]
    monkeypatch.undo()
    done = invoke(*args[1:])
    assert done.exit_code == 0, done.output
    runs = json.loads((out / "manifest.json").read_text())["runs"]
    assert sorted(r["status"] for r in runs) == ["done", "done", "resumed", "resumed"]
    assert len(pd.read_csv(out / "summary.csv")) == 4 and (out / "compare.csv").is_file()


def test_resume_without_a_folder_says_which_it_picked_or_that_none_was_found(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = invoke("run", CLASSROOM, *QUICK, "--replications", "1", "--resume")
    assert first.exit_code == 0, first.output
    assert "no results folder of 'classroom' found under results/; starting a new one: results/classroom-" in first.stderr
    folder = next((tmp_path / "results").iterdir())
    again = invoke("run", CLASSROOM, *QUICK, "--replications", "1", "--resume")
    assert again.exit_code == 0, again.output
    assert f"picked results/{folder.name}, the newest results folder of 'classroom'" in again.stderr
    assert [p.name for p in (tmp_path / "results").iterdir()] == [folder.name]  # no second folder
    line = one_error_line(invoke("run", CLASSROOM, *QUICK, "--resume", tmp_path / "nowhere"))
    assert "no such results folder" in line


def test_a_sweep_file_under_run_says_up_front_which_values_it_uses(tmp_path):
    res = invoke("run", CLASSROOM, *QUICK, "--replications", "1", "--set", "sweep.grid.choice.beta=[1, 4]",
                 "--set", "choice.beta=2.5", "--out", tmp_path / "r")
    assert res.exit_code == 0, res.output
    first = res.stderr.strip().splitlines()[0]
    assert first.startswith("note: ") and "sweep over choice.beta" in first and "choice.beta=2.5" in first
    m = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert {r["params"]["beta"] for r in m["runs"]} == {2.5}


def _cells(text: str) -> list[str]:
    return [c.strip() for ln in text.splitlines() for c in re.split(r"[│┃]", ln) if c.strip()]


@pytest.mark.parametrize("columns", [80, 150])
def test_tables_fit_the_width_and_never_cut_a_name(tmp_path, columns):
    out = tmp_path / "s"
    res = invoke("sweep", CLASSROOM, *QUICK, "--replications", "2", "--set",
                 "sweep.grid.market.buyers.partnership_share=[0.2, 0.8]", "--set",
                 "policy=[uniform, new_customers_first]", "--out", out, env={"COLUMNS": str(columns)})
    assert res.exit_code == 0, res.output
    assert max(len(ln) for ln in res.stdout.splitlines()) <= columns
    assert "…" not in res.stdout
    # the varying field is named in full: as a column, or in the legend of its abbreviation
    assert "market.buyers.partnership_share" in res.stdout
    if "where " in res.stdout:
        assert "ncf = new_customers_first" in res.stdout
    else:
        assert "new_customers_first" in _cells(res.stdout)


def test_stage_table_dissolutions_by_kind_agree_with_the_outcome(tmp_path):
    out = tmp_path / "r"
    res = invoke("run", CLASSROOM, *QUICK, "--replications", "2", "--out", out, env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    rows = {}
    for ln in res.stdout.splitlines():
        cells = [c.strip() for c in ln.strip("│┃ ").split("│")]
        if len(cells) == 3:
            rows[cells[0]] = [float(c.replace(",", "")) for c in cells[1:]] if cells[1][:1].isdigit() else cells[1:]
    summary = pd.read_csv(out / "summary.csv")
    want = summary.groupby("policy", sort=False)["dissolutions"].mean()
    assert rows["of which trading"] == [pytest.approx(want[p], abs=0.051) for p in ("uniform", "at_risk")]
    total = [a + b for a, b in zip(rows["of which trading"], rows["of which awareness"])]
    assert total == [pytest.approx(v, abs=0.11) for v in rows["dissolved"]]
    assert "of which trading: those that had reached exploration (the outcome 'dissolutions')" in " ".join(
        res.stdout.split())


def test_a_market_too_big_for_the_memory_is_refused_up_front(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(Q, "available_bytes", lambda: 2e9)
    line = one_error_line(invoke("run", CLASSROOM, "--set", "market.buyers.count=10000000", "--replications", "1"))
    assert "estimated memory" in line and "10,000,000 buyers" in line and "--force" in line and "2.0 GB" in line
    assert not (tmp_path / "results").exists()


def test_workers_that_would_be_slower_than_one_process_are_named_up_front(tmp_path):
    res = invoke("run", CLASSROOM, *QUICK, "--replications", "1", "--workers", "2", "--out", tmp_path / "r")
    assert res.exit_code == 0, res.output
    first = res.stderr.strip().splitlines()[0]
    assert first.startswith("note: --workers 2 is likely slower than one process here (2 runs")
    assert "--workers 1 would finish sooner" in first
    big = Q.estimate([{"n_buyers": 50_000, "ticks": 200}] * 20, 2)
    assert Q.worth_workers(big.seconds, 2) and not Q.worth_workers(Q.estimate([{"n_buyers": 120, "ticks": 60}] * 6).seconds, 2)
