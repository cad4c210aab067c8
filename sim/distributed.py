"""Run a sweep's runs on Dask: a local cluster of processes or an existing cluster.

The unit of work is one run (resolved parameters + replication, seeded from the
scenario seed and the run's identity), so a run's files are the same whichever
engine, worker or order ran it. This module only schedules: the function that
runs one run and writes its files (atomically, keyed by the run hash) comes from
``sim.experiments``.

- ``dask_client(workers=N)`` starts a ``LocalCluster`` of N processes with one
  thread each; ``dask_client(scheduler="tcp://host:8786")`` connects to a
  running cluster (``dask scheduler`` / ``dask worker``, dask-jobqueue, ...).
- ``run_tasks`` streams runs through the cluster: it submits a bounded window
  of runs, handles each as it finishes (``as_completed``) and forgets it, so the
  client holds a few runs at a time, never the whole sweep. A run whose worker
  dies is rescheduled by Dask; a run that raises is retried ``retries`` times,
  then reported (with its parameters and seed) while the rest continue.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: how many runs may be submitted per worker thread before the client waits for one to finish
WINDOW_PER_THREAD = 4
#: how many times the scheduler may lose a run with its worker before it gives up (KilledWorker)
ALLOWED_FAILURES = 5


@dataclass
class Failure:
    """A run that raised (or whose workers kept dying): who it was and what went wrong.

    ``info`` names the run: policy, sweep point (the parameters it sets), replication
    and seed; its full parameters are in manifest.json under its ``key`` (run hash).
    """

    key: str
    info: dict
    error: str
    traceback: str = ""

    def line(self) -> str:
        """One line: the run, its parameters and seed, the error."""
        desc = ", ".join(f"{k}={v!r}" for k, v in self.info.items())
        return f"run {self.key} failed ({desc}): {self.error}"


@dataclass
class Outcome:
    """What ``run_tasks`` did: keys done, failures, seconds taken."""

    done: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    seconds: float = 0.0


def describe_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip()


def failure_summary(failures: list[Failure]) -> str:
    """The lines listing failed runs (for the end of a sweep)."""
    lines = [f"{len(failures)} run(s) failed; rerun them with --resume once fixed:"]
    lines += [f"  {f.line()}" for f in failures]
    return "\n".join(lines)


@contextlib.contextmanager
def dask_client(
    workers: int | None = None,
    scheduler: str | None = None,
    dashboard_address: str | None = ":8787",
    quiet: bool = True,
) -> Iterator[Any]:
    """A ``distributed.Client``: on ``scheduler`` if given, else on a new LocalCluster.

    The local cluster has ``workers`` processes (default: one per core) with one
    thread each, since a run is single-threaded numpy work. Everything started
    here is shut down on exit, also on KeyboardInterrupt.
    """
    import dask
    from distributed import Client, LocalCluster

    level = logging.CRITICAL if quiet else logging.WARNING
    if scheduler:
        client = Client(scheduler, timeout="30s")
        try:
            yield client
        finally:
            client.close()
        return
    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=dashboard_address,
            silence_logs=level,
        )
    try:
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def check_scheduler(address: str, timeout: float = 10.0) -> str | None:
    """None if a Dask scheduler answers at ``address``, else one line saying what is wrong."""
    from distributed import Client

    try:
        Client(address, timeout=f"{timeout}s").close()
    except Exception as exc:  # noqa: BLE001 - any failure to connect is reported the same way
        why = " ".join(str(exc).split()) or type(exc).__name__
        return (f"--scheduler {address}: no Dask scheduler answered ({why[:160]}); allowed: the address "
                "printed by `dask scheduler`, e.g. tcp://host:8786")
    return None


def dashboard_link(client) -> str | None:
    """The cluster's dashboard address, or None when it serves none."""
    try:
        info = client.scheduler_info()
        if "dashboard" not in info.get("services", {}):
            return None
        return client.dashboard_link
    except Exception:  # noqa: BLE001 - a missing dashboard is not an error
        return None


def worker_threads(client) -> int:
    """Total worker threads of the cluster (at least 1)."""
    try:
        return max(1, sum(client.nthreads().values()))
    except Exception:  # noqa: BLE001
        return 1


def run_tasks(
    client,
    tasks: Iterable[Any],
    work: Callable[[Any], Any],
    *,
    key: Callable[[Any], str],
    info: Callable[[Any], dict],
    on_done: Callable[[Any, Any], None] | None = None,
    on_fail: Callable[[Failure], None] | None = None,
    retries: int = 1,
    window: int | None = None,
) -> Outcome:
    """Run ``work(task)`` for every task on ``client``, handling each result as it arrives.

    ``key(task)`` names the run (its hash; also the Dask key, so one run is one
    task); ``info(task)`` gives the parameters and seed reported if it fails.
    At most ``window`` runs are in flight (default: 4 per worker thread); the
    task iterator is consumed lazily. ``on_done(task, result)`` is called in the
    client as each run finishes; ``on_fail(failure)`` for each run that raised
    after its retries or lost too many workers. The sweep goes on either way.
    """
    from distributed import as_completed

    t0 = time.perf_counter()
    out = Outcome()
    window = window or WINDOW_PER_THREAD * worker_threads(client)
    it = iter(tasks)
    in_flight: dict[str, Any] = {}

    def submit(task) -> Any:
        k = key(task)
        in_flight[k] = task
        return client.submit(work, task, key=f"relsim-run-{k}", pure=False, retries=retries)

    def fail(k: str, task, exc: BaseException, tb: str) -> None:
        failure = Failure(k, info(task), describe_error(exc), tb)
        out.failed.append(failure)
        if on_fail:
            on_fail(failure)

    def refill(pending) -> None:
        for task in it:
            if key(task) not in in_flight:  # the same run twice in flight would be one Dask task
                pending.add(submit(task))
                return

    pending = as_completed([], with_results=False)
    for _ in range(window):
        refill(pending)
    for fut in pending:
        k = fut.key.removeprefix("relsim-run-")
        task = in_flight.pop(k)
        try:
            result = fut.result()  # raises the run's exception, KilledWorker or CancelledError
        except Exception as exc:  # noqa: BLE001 - every failure is reported, the sweep goes on
            fail(k, task, exc, "".join(traceback.format_exception(exc)))
        else:
            out.done.append(k)
            if on_done:
                on_done(task, result)
        fut.release()
        del fut
        refill(pending)
    out.seconds = time.perf_counter() - t0
    return out


class SweepProgress:
    """Progress of a sweep: runs done/total, failed runs, elapsed time and ETA.

    On a terminal it is a rich progress bar; otherwise (a log file, a batch job)
    it prints one plain line every ``every`` seconds and one at the end;
    ``enabled=False`` prints nothing. ``already`` runs (found complete on
    --resume) count as done but not towards the speed behind the ETA.
    ``advance(ok)`` after each run; use as a context manager.
    """

    def __init__(self, total: int, description: str = "sweep", console=None, enabled: bool | None = None,
                 already: int = 0, every: float = 30.0):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.console = console or Console(stderr=True)
        self.description = description
        self.total, self.already, self.done, self.failed = total, already, already, 0
        self.bar = self.console.is_terminal if enabled is None else enabled
        self.plain = enabled is None and not self.bar
        self.every, self.t0 = every, time.monotonic()
        self._last_line = self.t0
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("runs  [red]{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            disable=not self.bar,
        )
        self._task = self._progress.add_task(description, total=total, completed=already, failed=0)

    def __enter__(self) -> "SweepProgress":
        self._progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._progress.__exit__(*exc)
        if self.plain:
            self.log(self.line())

    def eta(self) -> float | None:
        """Seconds left at the speed of this session's runs (None before the first)."""
        ran, elapsed = self.done - self.already, time.monotonic() - self.t0
        return (self.total - self.done) * elapsed / ran if ran > 0 else None

    def line(self) -> str:
        eta = self.eta()
        fmt = lambda sec: time.strftime("%H:%M:%S", time.gmtime(sec))  # noqa: E731
        return (f"{self.description}: {self.done}/{self.total} runs, {self.failed} failed, "
                f"{fmt(time.monotonic() - self.t0)} elapsed, ETA {'?' if eta is None else fmt(eta)}")

    def advance(self, ok: bool = True) -> None:
        self.done += 1
        self.failed += not ok
        self._progress.update(self._task, advance=1, failed=self.failed)
        if self.plain and time.monotonic() - self._last_line >= self.every and self.done < self.total:
            self._last_line = time.monotonic()
            self.log(self.line())

    def log(self, message: str) -> None:
        """Print a line (above the bar, if there is one), e.g. a failed run."""
        self._progress.console.print(message, markup=False, highlight=False, soft_wrap=True)


def _run_spec(spec, root: str):
    """Worker side: run one planned run and write its files (``sim.experiments.execute_run``)."""
    from .experiments import execute_run

    return execute_run(spec.params, spec.seed, root)


class DaskEngine:
    """Runs a sweep's runs on Dask; plugs into ``sim.experiments.execute`` as its ``executor``.

    ``DaskEngine(workers=N)`` starts a LocalCluster of N single-threaded worker
    processes; ``DaskEngine(scheduler="tcp://host:8786")`` uses a running cluster;
    ``DaskEngine(client=c)`` uses a client you already have. Use it as a context
    manager (the cluster it started is shut down on exit). ``run_specs`` streams
    the runs through the cluster, records each finished run in manifest.json
    (at most every ``manifest_every`` seconds, and at the end), and collects the
    runs that failed in ``failures`` (each with its parameters and seed).
    """

    def __init__(self, workers: int | None = None, scheduler: str | None = None, client=None, retries: int = 1,
                 dashboard_address: str | None = ":8787", manifest_every: float = 2.0,
                 echo: Callable[[str], None] | None = None, show_progress: bool | None = None):
        self.workers, self.scheduler, self.client = workers, scheduler, client
        self.retries, self.dashboard_address = retries, dashboard_address
        self.manifest_every = manifest_every
        self.echo = echo
        self.show_progress = show_progress
        self.failures: list[Failure] = []
        self.dashboard: str | None = None
        self._stack = contextlib.ExitStack()

    # ---- lifecycle ------------------------------------------------------------------
    def __enter__(self) -> "DaskEngine":
        if self.client is None:
            self.client = self._stack.enter_context(
                dask_client(self.workers, self.scheduler, dashboard_address=self.dashboard_address)
            )
        self.dashboard = dashboard_link(self.client)
        if self.echo:
            where = self.scheduler or f"local cluster of {worker_threads(self.client)} worker processes"
            self.echo(f"dask: {where}; dashboard: {self.dashboard or 'not served'}")
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:  # Executor-like
        self.__exit__(None, None, None)

    # ---- running --------------------------------------------------------------------
    def run_specs(self, todo: list, root, status: dict[str, str], total: int,
                  progress: Callable[[int, int], None] | None = None) -> dict[str, str]:
        """Run ``todo`` (``RunSpec``s) writing under ``root``; set ``status[hash]`` to "done" or "failed"."""
        if self.client is None:
            with self:
                return self.run_specs(todo, root, status, total, progress)
        root = Path(root)
        journal = _ManifestJournal(root, self.manifest_every)
        for h, state in status.items():  # runs found complete on --resume
            journal.marks[h] = (state, None)
        journal.flush()
        done0 = sum(1 for v in status.values() if v in ("done", "resumed"))
        bar = SweepProgress(total, description=f"sweep {root.name}", enabled=self.show_progress, already=done0)

        def on_done(spec, result) -> None:
            status[spec.hash] = "done"
            journal.mark(spec.hash, "done")
            bar.advance(True)
            if progress:
                progress(bar.done, total)

        def on_fail(f: Failure) -> None:
            status[f.key] = "failed"
            journal.mark(f.key, "failed", f.error)
            self.failures.append(f)
            bar.advance(False)
            bar.log(f.line())
            if progress:
                progress(bar.done, total)

        with bar:
            try:
                run_tasks(
                    self.client, todo, functools.partial(_run_spec, root=str(root.resolve())),
                    key=lambda s: s.hash,
                    info=lambda s: {"policy": s.policy, "point": s.point_values, "replication": s.replication,
                                    "seed": s.seed},
                    on_done=on_done, on_fail=on_fail, retries=self.retries,
                )
            finally:
                journal.flush()
        _clean_temporaries(root / "runs")
        return status


class _ManifestJournal:
    """Marks runs done/failed in manifest.json as they finish.

    The first mark is written at once; after that the manifest is rewritten at
    most every ``every`` seconds (or every 10x the time one rewrite takes, for
    very large manifests), and on ``flush``. A run's own completion marker
    (``outcomes.json``, written last) stays the ground truth for ``--resume``.
    """

    def __init__(self, root: Path, every: float):
        self.root, self.every = root, every
        self.marks: dict[str, tuple[str, str | None]] = {}
        self.last = float("-inf")
        self.cost = 0.0

    def mark(self, h: str, state: str, error: str | None = None) -> None:
        self.marks[h] = (state, error)
        interval = max(self.every, 10 * self.cost) if self.every > 0 else 0.0
        if time.monotonic() - self.last >= interval:
            self.flush()

    def flush(self) -> None:
        from . import results as R

        t0 = self.last = time.monotonic()
        if not self.marks or not (self.root / R.MANIFEST).is_file():
            return
        manifest = R.read_manifest(self.root)
        for entry in manifest.get("runs", []):
            mark = self.marks.get(entry.get("hash"))
            if mark is not None:
                entry["status"] = mark[0]
                if mark[1]:
                    entry["error"] = mark[1]
        R.write_manifest(self.root, manifest)
        self.marks.clear()
        self.cost = time.monotonic() - t0


def _clean_temporaries(folder: Path) -> None:
    """Remove temporary files left by runs whose worker was killed mid-write."""
    for tmp in Path(folder).glob("*/.*.tmp"):
        with contextlib.suppress(OSError):
            tmp.unlink()
