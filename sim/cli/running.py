"""Running an experiment from the command line: everything checked before a folder is made, then run.

Before anything is written: the runs are planned (bad sweep points exit 2), the results
folder is chosen (``--out``, ``--resume [DIR]``, or a new one, saying which folder a bare
``--resume`` picked), it is checked (exists, resumable, writable: a path under a file or in
``/proc`` is one line), the memory estimate is held against the available memory, and the
worker count against what workers would save (a note when they would not). Then the runs go, with a progress bar; an
interruption, a full disk or a folder that cannot be written names the exact command that
resumes it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import typer

from .base import RESUME_NEWEST, click, fail, note, plural


@dataclass
class Invocation:
    """What the user typed that matters to resume it: the command, the file and the options."""

    kind: str
    file: Optional[Path]
    sets: list[str] = field(default_factory=list)
    replications: Optional[int] = None
    seed: Optional[int] = None
    workers: int = 1
    scheduler: Optional[str] = None
    extra: list[str] = field(default_factory=list)  # the command's own options, e.g. --focal-share 0.5

    def resume_command(self, root: Path) -> str:
        """The exact command line that finishes this experiment in ``root``."""
        args = ["relsim", self.kind, *([str(self.file)] if self.file is not None else [])]
        for s in self.sets:
            args += ["--set", s]
        if self.replications is not None:
            args += ["--replications", str(self.replications)]
        if self.seed is not None:
            args += ["--seed", str(self.seed)]
        if self.workers > 1:
            args += ["--workers", str(self.workers)]
        if self.scheduler:
            args += ["--scheduler", self.scheduler]
        return shlex.join([*args, *self.extra, "--resume", str(root)])


def _from_interrupt(e: BaseException) -> bool:
    """Whether ``e`` was raised while handling a KeyboardInterrupt (anywhere down its chain)."""
    seen = set()
    while e is not None and id(e) not in seen:
        if isinstance(e, KeyboardInterrupt):
            return True
        seen.add(id(e))
        e = e.__cause__ or e.__context__
    return False


def describe(e: BaseException) -> str:
    """An exception as a short phrase: ``<file>: No space left on device`` or ``<type>: <first line>``."""
    if isinstance(e, OSError) and e.strerror:
        return f"{e.filename}: {e.strerror}" if e.filename else e.strerror
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0][:200]}" if text else type(e).__name__


def _folder(sc, out: Optional[Path], resume: Optional[str]) -> Path:
    """The results folder: ``--out``, the one ``--resume`` names or picks, or a new default one."""
    from .. import results as R

    if resume is None:
        return Path(out) if out is not None else R.default_dir(sc.name)
    if resume != RESUME_NEWEST:
        if out is not None and Path(out) != Path(resume):
            fail(f"--resume {resume} and --out {out} name two folders; allowed: one of them")
        if not Path(resume).is_dir():
            fail(f"--resume {resume}: no such results folder; allowed: a folder written by relsim run, compare or "
                 "sweep, or --resume alone for the newest folder of this scenario")
        return Path(resume)
    if out is not None:
        return Path(out)
    found = R.latest_dir(sc.name)
    if found is None:
        root = R.default_dir(sc.name)
        note(f"--resume: no results folder of {sc.name!r} found under results/; starting a new one: {root}")
        return root
    note(f"--resume: picked {found}, the newest results folder of {sc.name!r} under results/")
    return found


def _check_path(root: Path) -> None:
    """Exit 2 unless ``root`` is, or can be made, a folder this process can write in (made if new)."""
    for parent in [root, *root.parents]:
        if parent.exists():
            if not parent.is_dir():
                fail(f"--out {root}: {parent} is a file, not a folder; allowed: a path in a folder you can write to")
            break
    made = not root.exists()
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = root / f".relsim-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        if made:
            shutil.rmtree(root, ignore_errors=True)
        fail(f"--out {root}: cannot write there ({e.strerror or type(e).__name__}); allowed: a folder you can write to")


def _resources(specs, workers: int, force: bool, distributed: bool) -> int:
    """Exit 2 when the memory estimate exceeds the available memory (unless ``force``); a note when the
    workers asked for would be slower than one process. Returns the worker count (as asked)."""
    from .. import resources as Q

    params = [s.params for s in specs]
    est = Q.estimate(params, workers)
    avail = Q.available_bytes()
    if est.memory > avail:
        biggest = max(params, key=Q.run_bytes)
        msg = (f"estimated memory {Q.human(est.memory)} ({plural(est.workers, 'run')} at once of up to "
               f"{biggest['n_buyers']:,} buyers x {biggest['ticks']} ticks) exceeds the available "
               f"{Q.human(avail)}")
        if not force:
            fail(f"{msg}; allowed: a smaller market.buyers.count or fewer ticks, fewer --workers, or --force to run anyway")
        note(msg + "; running anyway (--force)")
    if workers > 1 and not distributed and not Q.worth_workers(est.seconds, workers):
        note(f"--workers {workers} is likely slower than one process here ({plural(est.runs, 'run')}, about "
             f"{est.seconds:.0f} s in one process; starting workers takes about {Q.WORKER_START_SECONDS:.0f} s): "
             "--workers 1 would finish sooner")
    return workers


def _progress(description: str):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("runs"),
                   TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                   console=Console(stderr=True), transient=False)
    task = bar.add_task(description, total=None)
    state = {"done": 0, "total": 0}

    def update(done: int, total: int) -> None:
        state.update(done=done, total=total)
        bar.update(task, completed=done, total=total)

    return bar, update, state


def experiment(inv: Invocation, sc, out: Optional[Path], force: bool, resume: Optional[str] = None,
               engine_factory=None, focal_share: Optional[float] = None):
    """Check everything, then run ``inv.kind`` of ``sc``; bad input exits 2 before any folder is made.

    ``engine_factory(workers)`` makes a distributed engine (``sweep --workers N`` / ``--scheduler``), or None.
    Returns the ``Results`` and the engine used (or None).
    """
    from .. import experiments as X
    from .. import jit
    from .. import results as R

    if inv.workers < 1:
        fail(f"--workers {inv.workers} is not allowed; allowed: an integer >= 1")
    if resume is not None and force:
        fail("--resume and --force are not allowed together; allowed: one of them")
    from .. import tournament as T

    try:
        if inv.kind == "tournament":
            specs = [s for _, s in T.plan_scenario(sc, focal_share)]
        else:
            specs = X.plan(sc, sweep=(inv.kind == "sweep"))
    except ValueError as e:
        fail(f"{sc.source}: {e}" if not str(e).startswith(str(sc.source)) else str(e))
    root = _folder(sc, out, resume)
    try:
        R.check_writable(root, force=force, resume=resume is not None)
        if resume is not None and (root / R.MANIFEST).is_file() and not isinstance(R.read_manifest(root), dict):
            raise ValueError("not a mapping")
    except (R.ResultsExistError, R.NotResultsError) as e:
        fail(str(e))
    except (OSError, ValueError) as e:
        fail(f"{root}: cannot resume: its {R.MANIFEST} cannot be read ({describe(e)}); allowed: a results folder "
             "as relsim wrote it, or another --out")
    workers = _resources(specs, inv.workers, force, distributed=inv.scheduler is not None)
    _check_path(root)
    engine = engine_factory(workers) if engine_factory is not None and (workers > 1 or inv.scheduler) else None
    bar, update, state = _progress(f"{inv.kind} {sc.name}")
    if engine is not None:  # a sim.distributed.DaskEngine shows its own bar (done/total, failures, ETA)
        bar, update = contextlib.nullcontext(), None
    if not jit.is_compiled():
        click.echo("compiling the engine for this machine first (once after an install or an edit of sim/; "
                   "about half a minute)", err=True)
    if inv.kind == "tournament":
        def fn(sc, out, force, resume, workers, progress, command, executor):
            T.tournament(sc, out, focal_share=focal_share, force=force, resume=resume, workers=workers,
                         progress=progress, command=command, executor=executor)
            return out
    else:
        fn = {"run": X.run, "compare": X.compare, "sweep": X.sweep}[inv.kind]
    again = inv.resume_command(root)
    try:
        with bar:
            res = fn(sc, out=root, force=force, resume=resume is not None, workers=workers, progress=update,
                     command=["relsim", *sys.argv[1:]], executor=engine)
    except (R.ResultsExistError, R.NotResultsError) as e:
        fail(str(e))
    except (KeyboardInterrupt, SystemError) as e:
        # a Ctrl-C that lands inside compiled code comes back as a SystemError raised from the interrupt
        if isinstance(e, SystemError) and not _from_interrupt(e):
            raise
        done = sum(R.is_complete(root, s.hash) for s in {s.hash: s for s in specs}.values())
        click.echo(f"interrupted: {done} of {plural(len({s.hash for s in specs}), 'run')} complete in {root}; "
                   f"resume with: {again}", err=True)
        raise typer.Exit(130)
    except OSError as e:
        full = e.errno in (errno.ENOSPC, errno.EDQUOT)
        fail(f"{root}: cannot write results ({describe(e)}); the complete runs are kept; "
             f"{'free some space' if full else 'fix the folder'} and resume with: {again}")
    except (ValueError, RuntimeError) as e:  # a results folder edited by hand, read back on resume
        if resume is None:
            raise
        fail(f"{root}: cannot resume ({describe(e)}); allowed: a results folder as relsim wrote it, or another --out")
    jit.mark_compiled()
    return res, engine
