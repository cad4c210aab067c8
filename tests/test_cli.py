"""Every relsim command end to end on scenarios/classroom.yaml (small and quick)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim import results as R
from sim.cli import app
from sim.scenarios import PARAM_PATHS, load_scenario, schema_rows

ROOT = Path(__file__).resolve().parent.parent
CLASSROOM = str(ROOT / "scenarios" / "classroom.yaml")
NO_FIGS = ["--set", "outputs.figures=false", "--set", "outputs.report=false"]
FIGURES = {"stage_counts", "trust_commitment", "survival", "dissolutions", "exporters", "forecast", "loyalty"}


def invoke(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def one_error_line(res) -> str:
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.output
    return lines[0]


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> Path:
    """One `relsim compare classroom.yaml` results folder, shared by the tests that only read it."""
    out = tmp_path_factory.mktemp("cmp") / "cmp"
    res = invoke("compare", CLASSROOM, "--out", out)
    assert res.exit_code == 0, res.output
    return out


# ---- help -----------------------------------------------------------------------------------
@pytest.mark.parametrize("cmd", ["run", "validate", "compare", "sweep", "plot", "report", "new", "schema"])
def test_every_command_has_help(cmd):
    res = invoke(cmd, "--help")
    assert res.exit_code == 0 and "Usage" in res.output


# ---- run --------------------------------------------------------------------------------------
def test_run_writes_every_file_refuses_to_overwrite_and_force_overwrites(tmp_path):
    out = tmp_path / "r"
    res = invoke("run", CLASSROOM, "--out", out, "--replications", "2")
    assert res.exit_code == 0, res.output
    assert "retention rate" in res.stdout and "uniform" in res.stdout and "at_risk" in res.stdout
    for f in ("manifest.json", "timeseries.parquet", "events.parquet", "relationships.parquet", "exporters.parquet",
              "summary.csv", "report.html"):
        assert (out / f).is_file() and (out / f).stat().st_size > 0, f
    assert FIGURES <= {p.stem for p in (out / "figures").glob("*.png")}
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "complete" and m["scenario"]["name"] == "classroom" and m["scenario"]["replications"] == 2
    assert {"python", "relsim", "mesa", "numpy", "pandas"} <= set(m["versions"])
    assert m["start"] <= m["end"] and m["command"][:2] == ["relsim", *sys.argv[1:2]] or m["command"][0] == "relsim"
    assert len(m["runs"]) == 4 and all({"hash", "params", "seed", "status"} <= set(r) for r in m["runs"])
    for r in m["runs"]:
        assert (out / "runs" / r["hash"] / "outcomes.json").is_file()
        assert r["hash"] == R.run_hash({k: v for k, v in r["params"].items() if k != "ticks"}, r["seed"], r["params"]["ticks"])
    for t in ("timeseries", "events", "relationships", "exporters"):
        df = pd.read_parquet(out / f"{t}.parquet")
        assert {"scenario", "policy", "point", "replication", "run"} <= set(df.columns), t
        assert set(df["run"]) == {r["hash"] for r in m["runs"]}
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 4 and {"retention_rate", "profit", "clv", "mean_duration", "dissolutions"} <= set(summary)
    # the report shows the manifest's final status and end time (it is written after the manifest is final)
    html = (out / "report.html").read_text()
    assert f"ended {m['end']} · status complete" in html and "ended None" not in html
    check_stage_table(res.stdout, out)
    before = snapshot(out)

    again = invoke("run", CLASSROOM, "--out", out, "--replications", "2")
    line = one_error_line(again)
    assert str(out) in line and "--force" in line
    assert snapshot(out) == before  # bytes and mtimes untouched

    (out / "stale.txt").write_text("from an older run")
    forced = invoke("run", CLASSROOM, "--out", out, "--replications", "1", "--force", *NO_FIGS)
    assert forced.exit_code == 0, forced.output
    assert not (out / "stale.txt").exists()
    assert len(pd.read_csv(out / "summary.csv")) == 2
    assert json.loads((out / "manifest.json").read_text())["start"] >= m["start"]


def table_rows(text: str, header_start: str) -> tuple[list[str], dict[str, list[str]]]:
    """(column names, first cell -> other cells) of the rich table whose header starts with ``header_start``."""
    lines = text.splitlines()
    i = next(k for k, ln in enumerate(lines) if ln.startswith("┃ " + header_start))
    cols = [c.strip() for c in lines[i].strip("┃").split("┃")]
    rows = {}
    for ln in lines[i + 2:]:
        if ln.startswith("└"):
            break
        if ln.startswith("│"):
            cells = [c.strip() for c in ln.strip("│").split("│")]
            rows[cells[0]] = cells[1:]
    return cols, rows


def check_stage_table(stdout: str, out: Path) -> None:
    """The STAGES table of `relsim run` agrees with the written tables: per policy, mean over replications."""
    assert "STAGES at tick" in stdout
    cols, rows = table_rows(stdout, "live at the end")
    ts = pd.read_parquet(out / "timeseries.parquet")
    ev = pd.read_parquet(out / "events.parquet")
    last = ts[ts["tick"] == ts.groupby("run")["tick"].transform("max")]
    dis = ev[ev["to_stage"].astype(str) == "dissolved"]
    runs = last.groupby("policy")["run"].nunique()
    assert cols[1:] == list(dict.fromkeys(ts["policy"]))
    for stage in ("awareness", "exploration", "expansion", "commitment", "dissolved"):
        want = last.groupby("policy")[f"n_{stage}"].mean()
        assert rows[stage] == [f"{want[p]:,.1f}" for p in cols[1:]], stage
    assert {"trust_breakdown", "better_alternative", "lapsed"} <= set(dis["cause"].astype(str))  # classroom has these
    for cause in dis["cause"].astype(str).unique():
        label = "lapsed (no trial order)" if cause == "lapsed" else "by " + cause.replace("_", " ")
        n = dis[dis["cause"].astype(str) == cause].groupby("policy").size()
        assert rows[label] == [f"{n.get(p, 0) / runs[p]:,.1f}" for p in cols[1:]], cause
    # every dissolution has one cause: the cause rows add up to the dissolved row
    total = np.array([float(v.replace(",", "")) for v in rows["dissolved"]])
    parts = sum(np.array([float(v.replace(",", "")) for v in r]) for k, r in rows.items() if k.startswith(("by ", "lapsed")))
    np.testing.assert_allclose(parts, total, atol=0.11 * len(rows))


def test_run_is_deterministic_and_set_overrides_reach_the_model(tmp_path):
    args = [CLASSROOM, "--replications", "1", "--set", "market.exporters.count=3", "--set", "choice.beta=2", *NO_FIGS]
    assert invoke("run", *args, "--out", tmp_path / "a").exit_code == 0
    assert invoke("run", *args, "--out", tmp_path / "b").exit_code == 0
    for t in ("timeseries", "events", "relationships", "exporters"):
        a = pd.read_parquet(tmp_path / "a" / f"{t}.parquet")
        b = pd.read_parquet(tmp_path / "b" / f"{t}.parquet")
        pd.testing.assert_frame_equal(a, b)
    ex = pd.read_parquet(tmp_path / "a" / "exporters.parquet")
    assert ex.groupby("run").size().eq(3).all()
    m = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert all(r["params"]["beta"] == 2.0 and r["params"]["n_exporters"] == 3 for r in m["runs"])
    other = invoke("run", *args, "--seed", "99", "--out", tmp_path / "c")
    assert other.exit_code == 0
    c = pd.read_parquet(tmp_path / "c" / "timeseries.parquet")
    a = pd.read_parquet(tmp_path / "a" / "timeseries.parquet")
    assert not np.array_equal(a["n_commitment"].to_numpy(), c["n_commitment"].to_numpy())


def test_run_without_file_runs_baseline(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "b"
    res = invoke("run", "--out", out, "--replications", "1", "--set", "ticks=10", "--set", "market.buyers.count=40",
                 *NO_FIGS)
    assert res.exit_code == 0, res.output
    m = json.loads((out / "manifest.json").read_text())
    assert m["scenario_name"] == "baseline" and m["scenario"]["ticks"] == 10


def test_bad_input_is_one_line_exit_2_and_no_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nchoice:\n  beta: [1, 2\n")
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    comments = tmp_path / "comments.yaml"
    comments.write_text("# a scenario, some day\n\n")
    cases = [
        (["run", "missing.yaml"], "missing.yaml"),
        (["run", bad], "bad.yaml"),
        (["run", CLASSROOM, "--set", "choice.beta=-1"], "choice.beta"),
        (["run", CLASSROOM, "--set", "choice.betta=1"], "choice.betta"),
        (["run", CLASSROOM, "--set", "policy=nonsense"], "nonsense"),
        (["run", CLASSROOM, "--set", "nodots"], "nodots"),
        (["run", CLASSROOM, "--replications", "0"], "replications"),
        (["compare", CLASSROOM, "--set", "policy=uniform"], "policy"),
        (["sweep", CLASSROOM], "sweep"),
        (["sweep", CLASSROOM, "--set", "sweep.grid.choice.beta=[1, -3]"], "choice.beta"),
        (["validate", bad], "bad.yaml"),
        (["run", empty], "file is empty"),
        (["run", comments], "file is empty"),
        (["validate", comments], "comments.yaml"),
        (["plot", tmp_path], "manifest"),
        (["report", tmp_path / "nowhere"], "manifest"),
    ]
    for args, needle in cases:
        res = invoke(*args)
        line = one_error_line(res)
        assert needle in line, (args, line)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "comments.yaml", "empty.yaml"]  # no results folder
    explicit = tmp_path / "defaults.yaml"
    explicit.write_text("{}  # every default, on purpose\n")
    assert invoke("validate", explicit).exit_code == 0


def test_subprocess_bad_input_has_no_traceback(tmp_path):
    res = subprocess.run([sys.executable, "-m", "sim.cli", "run", CLASSROOM, "--set", "lifecycle.patience=1.5"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert len(res.stderr.strip().splitlines()) == 1 and "lifecycle.patience" in res.stderr
    assert "Traceback" not in res.stderr and not any(tmp_path.iterdir())


# ---- compare -------------------------------------------------------------------------------------
def test_compare_table_crn_and_figure(compared):
    table = pd.read_csv(compared / "compare.csv")
    outcomes = ["retention_rate", "profit", "clv", "cost_per_acquired_customer", "cost_per_retained_customer",
                "dissolutions", "mean_duration"]
    assert list(dict.fromkeys(table["outcome"])) == outcomes
    m = json.loads((compared / "manifest.json").read_text())
    policies = m["policies"]
    assert policies == load_scenario(CLASSROOM).policies and len(policies) >= 2
    # common random numbers: every policy ran the same seeds on the same (point, replication)
    seeds = {}
    for r in m["runs"]:
        seeds.setdefault(r["policy"], {})[(r["point"], r["replication"])] = r["seed"]
    assert all(seeds[p] == seeds[policies[0]] for p in policies)
    assert len(set(seeds[policies[0]].values())) == m["replications"]
    # paired differences recomputed from summary.csv
    s = pd.read_csv(compared / "summary.csv")
    for out in outcomes:
        piv = s.pivot(index="replication", columns="policy", values=out)
        d = piv[policies[1]] - piv[policies[0]]
        row = table[(table["outcome"] == out) & (table["policy"] == policies[1])].iloc[0]
        assert row["diff"] == pytest.approx(d.mean())
        half = 4.302652729911275 * d.std(ddof=1) / np.sqrt(3)  # t(0.975, 2) for 3 replications
        assert row["diff_high"] - row["diff"] == pytest.approx(half, rel=1e-6, abs=1e-9)
        assert row["ci_low"] <= row["mean"] <= row["ci_high"]
    assert (compared / "figures" / "compare.png").stat().st_size > 10_000
    assert (compared / "figures" / "compare_diff.png").is_file()


def test_compare_prints_the_ci_table(tmp_path):
    res = invoke("compare", CLASSROOM, "--out", tmp_path / "c", "--replications", "2", "--set", "ticks=20", *NO_FIGS)
    assert res.exit_code == 0, res.output
    for word in ("retention rate", "profit", "CLV", "dissolutions", "mean duration", "95% CI", "difference from first",
                 "uniform", "at_risk"):
        assert word in res.stdout, word
    assert (tmp_path / "c" / "compare.csv").is_file()


# ---- sweep ---------------------------------------------------------------------------------------------
def test_sweep_workers_agree_and_resume_reruns_only_missing_runs(tmp_path):
    grid = ["--set", "sweep.grid.choice.beta=[1, 4]", "--set", "ticks=25", "--replications", "2", *NO_FIGS]
    one, two = tmp_path / "w1", tmp_path / "w2"
    r1 = invoke("sweep", CLASSROOM, *grid, "--workers", "1", "--out", one)
    assert r1.exit_code == 0, r1.output
    r2 = invoke("sweep", CLASSROOM, *grid, "--workers", "2", "--out", two)
    assert r2.exit_code == 0, r2.output
    runs1 = sorted(p.name for p in (one / "runs").iterdir())
    assert runs1 == sorted(p.name for p in (two / "runs").iterdir()) and len(runs1) == 2 * 2 * 2
    for h in runs1:
        for f in ("timeseries", "events", "relationships", "exporters"):
            assert (one / "runs" / h / f"{f}.parquet").read_bytes() == (two / "runs" / h / f"{f}.parquet").read_bytes()
    pd.testing.assert_frame_equal(pd.read_parquet(one / "timeseries.parquet"), pd.read_parquet(two / "timeseries.parquet"))
    s = pd.read_csv(one / "summary.csv")
    assert sorted(s["choice.beta"].unique()) == [1, 4]

    victim = runs1[3]
    kept = {h: snapshot(one / "runs" / h) for h in runs1 if h != victim}
    old = (one / "runs" / victim / "events.parquet").read_bytes()
    shutil.rmtree(one / "runs" / victim)
    again = invoke("sweep", CLASSROOM, *grid, "--out", one, "--resume")
    assert again.exit_code == 0, again.output
    m = json.loads((one / "manifest.json").read_text())
    status = {r["hash"]: r["status"] for r in m["runs"]}
    assert status[victim] == "done" and all(v == "resumed" for h, v in status.items() if h != victim)
    assert {h: snapshot(one / "runs" / h) for h in kept} == kept  # the other runs were not touched
    assert (one / "runs" / victim / "events.parquet").read_bytes() == old


# ---- plot and report from the folder alone -----------------------------------------------------------------
def test_plot_and_report_from_a_copied_folder(compared, tmp_path, monkeypatch):
    copy = tmp_path / "elsewhere" / "copy"
    shutil.copytree(compared, copy)
    shutil.rmtree(copy / "figures")
    (copy / "report.html").unlink()
    shutil.rmtree(copy / "runs")  # figures and report need only the combined files
    monkeypatch.chdir(tmp_path)
    res = invoke("plot", copy)
    assert res.exit_code == 0, res.output
    figs = {p.stem for p in (copy / "figures").glob("*.png")}
    assert FIGURES | {"compare", "compare_diff"} <= figs
    res = invoke("report", copy)
    assert res.exit_code == 0, res.output
    html = (copy / "report.html").read_text()
    assert html.count("data:image/png;base64,") == len(figs)
    assert "src='http" not in html and 'src="http' not in html and "<link" not in html
    assert "Policy comparison" in html and "retention_rate" in html


# ---- new, validate, schema ------------------------------------------------------------------------------------
def test_run_compare_and_sweep_share_their_option_definitions():
    """--set/--out/--replications/--seed/--force are defined once (typer Annotated aliases) and behave alike."""
    from typer.main import get_command

    group = get_command(app)

    def spec(cmd: str, name: str):
        p = next(p for p in group.commands[cmd].params if name in p.opts)
        return (p.name, tuple(p.opts), p.help, repr(p.default), p.multiple, str(p.type_descriptor.annotation), p.is_flag)

    for name in ("--set", "--out", "--replications", "--seed", "--force"):
        specs = {cmd: spec(cmd, name) for cmd in ("run", "compare", "sweep")}
        assert len(set(specs.values())) == 1, (name, specs)
    assert spec("run", "--workers") == spec("compare", "--workers")
    assert spec("run", "--set")[4] and spec("run", "--force")[6]  # --set repeats, --force is a flag
    assert invoke("compare", CLASSROOM, "--force", "yes").exit_code == 2  # a flag takes no value, in every command


def test_new_writes_a_scenario_that_validates(tmp_path):
    f = tmp_path / "mine.yaml"
    res = invoke("new", f)
    assert res.exit_code == 0, res.output
    text = f.read_text()
    assert text.startswith("#") and "name: mine" in text
    assert invoke("validate", f).exit_code == 0
    sc = load_scenario(f)
    assert sc.name == "mine"
    before = f.read_bytes()
    line = one_error_line(invoke("new", f))
    assert "exists" in line and f.read_bytes() == before


def test_validate_shipped_scenarios():
    files = sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml"))
    res = invoke("validate", *files)
    assert res.exit_code == 0, res.output
    assert res.stdout.count("ok ") == len(files)


def test_schema_lists_every_field():
    res = invoke("schema")
    assert res.exit_code == 0
    rows = schema_rows()
    for path, *_ in rows:
        assert path in res.stdout, path
    for path in PARAM_PATHS.values():
        assert path in res.stdout, path
    assert "allowed" in res.stdout and "description" in res.stdout
