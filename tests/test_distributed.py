"""Sweeps on Dask: same bytes on every engine, nothing lost or doubled when workers die,
failures reported and the rest kept, resume after the client is killed, and
``sim.run_once`` driven by EMA Workbench and SALib.

One LocalCluster (2 single-threaded worker processes) serves every in-process
test through its scheduler address, exactly as ``--scheduler`` would; it is
shut down at the end of the module. The CLI tests start their own clusters in
subprocesses, as a user's ``relsim sweep --workers 2`` does.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import sim
from sim import experiments as E
from sim import results as R
from sim.distributed import DaskEngine
from sim.policies import POLICIES, Policy, register_policy
from sim.scenarios import load_scenario

ROOT = Path(__file__).resolve().parents[1]
CLASSROOM = ROOT / "scenarios" / "classroom.yaml"
pytestmark = pytest.mark.timeout(300)


# ---- a policy that raises, registered in this process and on the workers ---------------
class Explode(Policy):
    name = "explode_test"
    description = "Raises at tick 3 (tests only)."

    def priority(self, view):
        if view.tick >= 3:
            raise RuntimeError("explode_test policy raised on purpose")
        return np.ones(view.stage.size)


def _register() -> None:
    register_policy(Explode)


def _unregister() -> None:
    POLICIES.pop(Explode.name, None)


@pytest.fixture(scope="module")
def client():
    """A LocalCluster of 2 worker processes (one thread each), used via its scheduler address."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                           silence_logs=50)
    try:
        c = Client(cluster.scheduler_address)
        try:
            yield c
        finally:
            c.close()
    finally:
        cluster.close()


def _scenario(tmp: Path, **extra) -> Path:
    """classroom.yaml with a 2-point sweep (and overrides): 2 points x policies x replications."""
    import yaml

    data = yaml.safe_load(CLASSROOM.read_text())
    data["replications"] = 2
    data["sweep"] = {"grid": {"choice.beta": [2.0, 4.0]}}
    data.update(extra)
    path = tmp / "sweep.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _digests(root: Path) -> dict[str, str]:
    """sha256 of every file under runs/ (relative path -> digest)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / "runs").rglob("*")) if p.is_file()}


def _execute(specs, root: Path, **kw) -> dict:
    R.prepare(root)
    return E.execute(specs, root, **kw)


@pytest.fixture(scope="module")
def sweep_specs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scen")
    return E.plan(load_scenario(_scenario(tmp)), sweep=True)


@pytest.fixture(scope="module")
def serial_reference(tmp_path_factory, sweep_specs):
    root = tmp_path_factory.mktemp("serial") / "out"
    _execute(sweep_specs, root, workers=1)
    return _digests(root)


# ---- 2. same results everywhere -------------------------------------------------------------
def test_serial_processes_and_dask_write_identical_bytes(tmp_path, client, sweep_specs, serial_reference):
    assert len(sweep_specs) == 8 and len({s.hash for s in sweep_specs}) == 8
    procs = tmp_path / "procs"
    _execute(sweep_specs, procs, workers=2)
    dask_root = tmp_path / "dask"
    R.prepare(dask_root)
    with DaskEngine(scheduler=client.scheduler.address) as engine:
        assert engine.dashboard and engine.dashboard.startswith("http")
        status = engine.run_specs(list(reversed(sweep_specs)), dask_root, {}, len(sweep_specs))
    assert set(status.values()) == {"done"} and not engine.failures
    # every run folder holds its 4 tables + outcomes, no temporaries, and the bytes match
    assert len(serial_reference) == 8 * 5
    assert _digests(procs) == serial_reference
    assert _digests(dask_root) == serial_reference


# ---- 4. a worker killed mid-sweep -------------------------------------------------------------
def test_worker_killed_mid_sweep_every_run_exactly_once(tmp_path, client, sweep_specs):
    # slower runs (more buyers and ticks) so the kill lands while runs are executing
    slow = [type(s)(s.scenario, s.policy, s.point, s.point_values, s.replication, s.seed,
                    {**s.params, "n_buyers": 400, "ticks": 120}) for s in sweep_specs]
    by_hash = {s.hash: s for s in slow}
    pids = client.run(os.getpid)
    root = tmp_path / "killed"
    R.prepare(root)
    R.write_manifest(root, {"runs": [s.entry() for s in slow]})
    killed, recorded = {}, []

    def progress(done: int, total: int) -> None:
        manifest = R.read_manifest(root)  # streamed: each finished run is recorded before the next is handled
        recorded.append((done, sum(r["status"] == "done" for r in manifest["runs"])))
        if done == 2 and not killed:
            busy = {w: ts for w, ts in client.processing().items() if ts}
            victim = next(iter(busy or pids))
            killed[victim] = [k.removeprefix("relsim-run-") for k in busy.get(victim, ())]
            os.kill(pids[victim], signal.SIGKILL)

    with DaskEngine(client=client, manifest_every=0) as engine:
        status = engine.run_specs(slow, root, {}, len(slow), progress=progress)
    assert killed, "the worker was never killed"
    lost = next(iter(killed.values()))
    assert lost, "the killed worker was not running a run"
    assert set(status) == set(by_hash) and set(status.values()) == {"done"}
    assert not engine.failures
    assert recorded == [(k, k) for k in range(1, len(slow) + 1)]
    runs = sorted(p.name for p in (root / "runs").iterdir())
    assert runs == sorted(by_hash)  # each run once, no leftovers
    assert not list((root / "runs").rglob("*.tmp"))
    assert all(R.is_complete(root, h) for h in runs)
    # the nanny restarted the killed worker: a new process took its place
    assert set(client.run(os.getpid).values()) != set(pids.values())
    # the runs that were on the killed worker, re-run elsewhere, are exactly what a serial run writes
    ref = tmp_path / "ref"
    _execute([by_hash[h] for h in lost], ref, workers=1)
    mine, theirs = _digests(root), _digests(ref)
    assert len(theirs) == 5 * len(lost) and all(mine[k] == v for k, v in theirs.items())


# ---- 4. a run that raises -----------------------------------------------------------------------
@pytest.fixture
def explode_policy(client):
    _register()
    client.run(_register)
    try:
        yield Explode.name
    finally:
        client.run(_unregister)
        _unregister()


def test_failing_runs_reported_with_params_and_seed_rest_continue(tmp_path, client, explode_policy):
    specs = E.plan(load_scenario(_scenario(tmp_path, policy=["uniform", explode_policy])), sweep=True)
    root = tmp_path / "out"
    R.prepare(root)
    R.write_manifest(root, {"runs": [s.entry() for s in specs]})
    with DaskEngine(client=client, retries=0) as engine:
        status = engine.run_specs(specs, root, {}, len(specs))
    bad = {s.hash: s for s in specs if s.policy == explode_policy}
    good = {s.hash for s in specs if s.policy == "uniform"}
    assert len(bad) == 4 and len(good) == 4
    assert {h for h, v in status.items() if v == "failed"} == set(bad)
    assert {h for h, v in status.items() if v == "done"} == good
    assert all(R.is_complete(root, h) for h in good) and not any(R.is_complete(root, h) for h in bad)
    assert sorted(f.key for f in engine.failures) == sorted(bad)
    for f in engine.failures:
        line = f.line()
        assert "explode_test policy raised on purpose" in line and "RuntimeError" in line
        assert f"seed={bad[f.key].seed}" in line and "choice.beta" in line
    # the manifest says which runs completed and which failed, with the error
    entries = {r["hash"]: r for r in R.read_manifest(root)["runs"]}
    assert {h for h, r in entries.items() if r["status"] == "done"} == good
    assert all("explode_test" in entries[h]["error"] for h in bad)


# ---- 6. one function for other tools --------------------------------------------------------------
TINY = {"n_exporters": 4, "n_buyers": 60, "ticks": 30}


def relsim_model(seed: int = 0, **uncertain) -> dict[str, float]:
    """EMA Workbench / SALib model function: a tiny market driven through ``sim.run_once``."""
    return sim.run_once({**TINY, **uncertain}, seed)


def test_run_once_is_deterministic_and_picklable():
    import pickle

    f = pickle.loads(pickle.dumps(sim.run_once))
    a, b = f(TINY, 7), sim.run_once(dict(TINY), 7)
    from sim.outcomes import SHOCK_OUTCOMES

    assert a == b and set(E.OUTCOMES) - set(SHOCK_OUTCOMES) <= set(a)  # (TINY has no key-account shock)
    assert all(isinstance(v, float) for v in a.values())
    assert sim.run_once(TINY, 8) != a


def test_ema_workbench_replicator_model():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench import RealParameter, ReplicatorModel, ScalarOutcome, SequentialEvaluator

    model = ReplicatorModel("relsim", function=relsim_model)
    model.replications = [{"seed": s} for s in (1, 2)]
    model.uncertainties = [RealParameter("trust_gain", 0.01, 0.2), RealParameter("monitoring", 0.2, 0.9)]
    model.outcomes = [ScalarOutcome("retention_rate", function=np.mean), ScalarOutcome("profit", function=np.mean)]
    with SequentialEvaluator(model) as ev:
        experiments, outcomes = ev.perform_experiments(scenarios=4, log_progress=False)
    assert len(experiments) == 4 and outcomes["profit"].shape == (4,)
    # each outcome is the mean over the replications of run_once at that point
    row = experiments.iloc[0]
    point = {"trust_gain": float(row["trust_gain"]), "monitoring": float(row["monitoring"])}
    expect = np.mean([relsim_model(seed=s, **point)["profit"] for s in (1, 2)])
    assert outcomes["profit"][0] == pytest.approx(expect, rel=1e-12)


def test_salib_sobol_on_run_once():
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    problem = {"num_vars": 2, "names": ["demand_level", "monitoring"], "bounds": [[5.0, 20.0], [0.6, 0.7]]}
    X = sobol_sample.sample(problem, 16, calc_second_order=False, seed=3)
    Y = np.array([relsim_model(seed=11, **dict(zip(problem["names"], x)))["revenue"] for x in X])
    Si = sobol_analyze.analyze(problem, Y, calc_second_order=False, seed=3)
    # revenue scales with demand; a narrow band of monitoring barely matters
    assert Si["ST"][0] > 0.5 and Si["ST"][0] > 3 * abs(Si["ST"][1])


# ---- the CLI: client interrupted, then --resume; failing runs exit non-zero -------------------------
def _slow_scenario(tmp: Path) -> Path:
    """18 runs of about half a second each, so an interruption lands mid-sweep."""
    import yaml

    data = yaml.safe_load(CLASSROOM.read_text())
    data.update(replications=3, ticks=100, sweep={"grid": {"choice.beta": [2.0, 3.0, 4.0]}})
    data["market"]["buyers"]["count"] = 300
    path = tmp / "slow.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _relsim(*args: str) -> list[str]:
    return [sys.executable, "-m", "sim.cli", *map(str, args)]


def _complete(root: Path) -> dict[str, tuple[int, int]]:
    """Complete runs -> (inode, mtime_ns) of their completion marker."""
    out = {}
    for d in (root / "runs").iterdir() if (root / "runs").is_dir() else ():
        if R.is_complete(root, d.name):
            st = (d / R.OUTCOMES_FILE).stat()
            out[d.name] = (st.st_ino, st.st_mtime_ns)
    return out


def _interrupt(cmd: list[str], root: Path, sig: int, at_least: int = 2, timeout: float = 120) -> subprocess.CompletedProcess:
    """Start ``cmd``, wait until ``at_least`` runs are complete under ``root``, send ``sig``; return its result."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            start_new_session=True)
    try:
        t0 = time.monotonic()
        while len(_complete(root)) < at_least:
            assert proc.poll() is None, f"sweep ended before it could be interrupted: {proc.communicate()}"
            assert time.monotonic() - t0 < timeout, "no run completed in time"
            time.sleep(0.1)
        os.kill(proc.pid, sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        assert _group_gone(proc.pid), "processes of the interrupted sweep were left running"
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _group_gone(pgid: int, timeout: float = 20) -> bool:
    """Wait for every process of the group to end; kill any left after ``timeout`` (and say so)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    os.killpg(pgid, signal.SIGKILL)
    return False


def _executing(dask_worker) -> int:
    return len(dask_worker.state.executing)


def _idle(client, timeout: float = 30) -> None:
    """Wait until no worker executes anything: runs of a killed client finish (and write) on their own."""
    t0 = time.monotonic()
    while any(client.run(_executing).values()) and time.monotonic() - t0 < timeout:
        time.sleep(0.2)


def test_cli_interrupted_then_resume_runs_only_missing(tmp_path, client):
    scen, root = _slow_scenario(tmp_path), tmp_path / "out"
    total = len(E.plan(load_scenario(scen), sweep=True))
    # 1. Ctrl-C on a local Dask cluster: exit 130, the manifest says which runs completed
    first = _interrupt(_relsim("sweep", scen, "--workers", 2, "--out", root), root, signal.SIGINT)
    assert first.returncode == 130, first.stderr
    assert "dashboard: http" in first.stderr and "--resume" in first.stderr
    manifest = R.read_manifest(root)
    done1 = _complete(root)
    assert manifest["status"] == "interrupted" and 2 <= len(done1) < total
    assert {r["hash"] for r in manifest["runs"] if r["status"] == "done"} == set(done1)
    # 2. resumed on a running cluster (--scheduler), then SIGKILLed: only missing runs ran
    second = _interrupt(_relsim("sweep", scen, "--scheduler", client.scheduler.address, "--out", root, "--resume"),
                        root, signal.SIGKILL, at_least=len(done1) + 2)
    assert second.returncode == -signal.SIGKILL
    _idle(client)
    done2 = _complete(root)
    assert all(done2[h] == v for h, v in done1.items()), "a complete run was run again"
    recorded = {r["hash"] for r in R.read_manifest(root)["runs"] if r["status"] in ("done", "resumed")}
    assert set(done1) <= recorded <= set(done2)  # (the manifest is rewritten at most every 2 s)
    # 3. resume again: runs only what is missing, and the sweep completes
    third = subprocess.run(_relsim("sweep", scen, "--scheduler", client.scheduler.address, "--out", root, "--resume"),
                           capture_output=True, text=True, cwd=ROOT, timeout=240)
    assert third.returncode == 0, third.stderr
    assert f"{total} runs ({len(done2)} already complete)" in third.stdout
    done3 = _complete(root)
    assert len(done3) == total and all(done3[h] == v for h, v in done2.items())
    manifest = R.read_manifest(root)
    assert manifest["status"] == "complete"
    assert sum(r["status"] == "resumed" for r in manifest["runs"]) == len(done2)
    assert sum(r["status"] == "done" for r in manifest["runs"]) == total - len(done2)
    assert not list(root.rglob("*.tmp"))


def test_cli_failing_runs_listed_exit_nonzero(tmp_path, client, explode_policy):
    from typer.testing import CliRunner

    from sim.cli import app

    scen = _scenario(tmp_path, policy=["uniform", explode_policy])
    root = tmp_path / "out"
    res = CliRunner().invoke(app, ["sweep", str(scen), "--scheduler", client.scheduler.address, "--out", str(root)])
    assert res.exit_code == 1, res.output
    err = res.stderr if hasattr(res, "stderr") else res.output
    specs = {s.hash: s for s in E.plan(load_scenario(scen), sweep=True)}
    bad = [s for s in specs.values() if s.policy == explode_policy]
    assert "4 run(s) failed" in err
    summary_lines = err.split("4 run(s) failed")[1].splitlines()
    for s in bad:  # each failed run listed at the end: its hash, policy, point, replication, seed and the error
        line = next(l for l in summary_lines if s.hash in l)
        assert f"seed={s.seed}" in line and f"replication={s.replication}" in line and "choice.beta" in line
        assert "RuntimeError: explode_test policy raised on purpose" in line
    manifest = R.read_manifest(root)
    assert manifest["status"] == "incomplete"
    failed = [r for r in manifest["runs"] if r["status"] == "failed"]
    assert sorted(r["hash"] for r in failed) == sorted(s.hash for s in bad)
    assert all("explode_test" in r["error"] for r in failed)
    import pandas as pd

    summary = pd.read_csv(root / "summary.csv")
    assert sorted(summary["run"]) == sorted(h for h, s in specs.items() if s.policy == "uniform")


# ---- 5. feedback -------------------------------------------------------------------------------------
def test_progress_counts_failures_and_eta_ignores_resumed_runs():
    from io import StringIO

    from rich.console import Console

    from sim.distributed import SweepProgress

    out = StringIO()
    bar = SweepProgress(10, "sweep t", console=Console(file=out, force_terminal=False), already=5, every=0)
    with bar:
        bar.t0 -= 10.0  # this session has run for 10 s ...
        bar.advance(True)
        bar.advance(False)  # ... and finished 2 runs (1 failed): 3 left at 5 s each
        assert bar.eta() == pytest.approx(15.0, abs=0.5)
    lines = out.getvalue().splitlines()
    assert lines[-1].startswith("sweep t: 7/10 runs, 1 failed, 00:00:1") and lines[-1].endswith("ETA 00:00:15")


def test_cli_bad_scheduler_is_one_line_exit_2_nothing_written(tmp_path):
    address = "tcp://127.0.0.1:1"  # nothing listens on port 1
    from typer.testing import CliRunner

    from sim.cli import app

    root = tmp_path / "out"
    res = CliRunner().invoke(app, ["sweep", str(_scenario(tmp_path)), "--scheduler", address, "--out", str(root)])
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and f"--scheduler {address}" in lines[0] and "tcp://host:8786" in lines[0]
    assert not root.exists()
