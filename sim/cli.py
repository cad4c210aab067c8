"""The ``relsim`` command line.

Commands: run, validate, compare, sweep, plot, report, new, schema, version.

Adding a command takes one function in this file: decorate it with
``@app.command()``, give it a docstring (its ``--help``), report bad input with
``fail("one line naming file, field, value and what is allowed")`` (exit code 2,
no traceback) and load scenarios with ``scenario_or_fail``. Click usage errors
(unknown option, bad integer, missing argument) are also reported as one line
with exit code 2 by ``RelsimGroup``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer

try:  # recent typer vendors click as typer._click; older ones use the click package
    from typer import _click as click
except ImportError:  # pragma: no cover
    import click
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

try:  # typer's vendored click has no exceptions.Abort; typer raises its own
    from typer.exceptions import Abort as _Abort
except ImportError:  # pragma: no cover
    _Abort = click.exceptions.Abort

DEFAULT_SCENARIO = Path("scenarios") / "baseline.yaml"
_SET_HELP = "override a field: dotted.path=value (repeatable), e.g. --set choice.beta=0.03"

# Options shared by run, compare and sweep: defined once here, used as ``name: Alias = default``.
SetOpt = Annotated[list[str], typer.Option("--set", help=_SET_HELP)]
OutOpt = Annotated[Optional[Path], typer.Option("--out", help="results folder (default: results/<name>-<timestamp>)")]
ReplicationsOpt = Annotated[Optional[int], typer.Option("--replications", help="replications per policy (and sweep "
                                                        "point); overrides the file")]
SeedOpt = Annotated[Optional[int], typer.Option("--seed", help="scenario seed (overrides the file)")]
ForceOpt = Annotated[bool, typer.Option("--force", help="overwrite an existing results folder")]
WorkersOpt = Annotated[int, typer.Option("--workers", help="local worker processes")]


class RelsimGroup(TyperGroup):
    """A typer group whose usage errors are one line on stderr with exit code 2, never a traceback."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                                standalone_mode=False, **extra)
        try:
            rv = super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                              standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as e:
            click.echo(e.ctx.get_help() if e.ctx else str(e))
            sys.exit(0)
        except click.ClickException as e:
            cmd = f" {e.ctx.info_name}" if getattr(e, "ctx", None) is not None and e.ctx.parent is not None else ""
            click.echo(f"error: relsim{cmd}: " + " ".join(e.format_message().split()), err=True)
            sys.exit(2)
        except _Abort:
            click.echo("error: aborted", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(
    cls=RelsimGroup,
    help="relsim: agent-based simulation of exporter-buyer relationships. Scenario files in, tidy results out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _out() -> Console:
    return Console(highlight=False, width=None if sys.stdout.isatty() else 140)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``message`` as one line on stderr and exit with ``code`` (2: bad input)."""
    click.echo("error: " + " ".join(str(message).split()), err=True)
    raise typer.Exit(code)


def _default_scenario() -> Path:
    if DEFAULT_SCENARIO.is_file():
        return DEFAULT_SCENARIO
    shipped = Path(__file__).resolve().parent.parent / DEFAULT_SCENARIO
    return shipped if shipped.is_file() else DEFAULT_SCENARIO


def scenario_or_fail(file: Optional[Path], overrides: list[str] = (), replications: Optional[int] = None,
                     seed: Optional[int] = None):
    """Load and validate a scenario with its overrides, or exit 2 with one line."""
    from .scenarios import ScenarioError, load_scenario

    over = list(overrides or [])
    if replications is not None:
        over.append(f"replications={replications}")
    if seed is not None:
        over.append(f"seed={seed}")
    try:
        return load_scenario(file if file is not None else _default_scenario(), over)
    except ScenarioError as e:
        fail(str(e))


def _progress(description: str):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("runs"),
                   TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                   console=Console(stderr=True), transient=False)
    task = bar.add_task(description, total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return bar, update


def _experiment(kind: str, sc, out: Optional[Path], force: bool, resume: bool = False, workers: int = 1,
                executor=None):
    """Validate everything, then run; bad input exits 2 before any folder is created."""
    from . import experiments as X
    from . import results as R

    if workers < 1:
        fail(f"--workers {workers} is not allowed; allowed: an integer >= 1")
    try:
        X.plan(sc, sweep=(kind == "sweep"))
    except ValueError as e:
        fail(f"{sc.source}: {e}" if not str(e).startswith(str(sc.source)) else str(e))
    root = X.resolve_out(sc, out, resume)
    try:
        R.check_writable(root, force=force, resume=resume)
    except (R.ResultsExistError, R.NotResultsError) as e:
        fail(str(e))
    bar, update = _progress(f"{kind} {sc.name}")
    if executor is not None:  # a sim.distributed.DaskEngine shows its own bar (done/total, failures, ETA)
        import contextlib

        bar, update = contextlib.nullcontext(), None
    fn = {"run": X.run, "compare": X.compare, "sweep": X.sweep}[kind]
    kw = dict(resume=resume) if kind == "sweep" else {}
    from . import jit

    if not jit.is_compiled():
        click.echo("compiling the engine for this machine first (once after an install or an edit of sim/; "
                   "about half a minute)", err=True)
    try:
        with bar:
            res = fn(sc, out=root, force=force, workers=workers, progress=update, command=["relsim", *sys.argv[1:]],
                     executor=executor, **kw)
    except (R.ResultsExistError, R.NotResultsError) as e:
        fail(str(e))
    except KeyboardInterrupt:
        hint = "; finish it with --resume" if kind == "sweep" else ""
        click.echo(f"interrupted: runs completed so far are in {root}{hint}", err=True)
        raise typer.Exit(130)
    jit.mark_compiled()
    return res


def _summary_table(res, title: str, sc=None) -> Table:
    from .report import summary_table
    from .stats import COMPARE_OUTCOMES, SHORT_LABELS

    extra = ["loyalty_y"] if sc is not None and sc.choice.rule == "reinforcement" else []
    df = summary_table(res.summary, [*COMPARE_OUTCOMES, *extra])
    if "point" in df and df["point"].nunique() == 1:
        df = df.drop(columns="point")
    t = Table(title=title, title_justify="left")
    for c in df.columns:
        t.add_column(SHORT_LABELS.get(c, c) + (" ± 95% CI" if c in SHORT_LABELS else ""),
                     justify="left" if c == "policy" else "right")
    for row in df.itertuples(index=False):
        t.add_row(*(str(v) for v in row))
    return t


# ---- commands: one function each ------------------------------------------------------
def _stage_table(res, sc) -> Table:
    """Stages at the end and dissolutions by cause, per policy (mean over replications): policies are columns."""
    import pandas as pd

    from .stats import STAGE_NAMES, stage_summary

    # the dissolutions only, and only the columns counted (the event log can hold millions of rows)
    dissolved = pd.read_parquet(res.path / "events.parquet", columns=["run", "to_stage", "cause"],
                                filters=[("to_stage", "==", "dissolved")])
    df = stage_summary(res.timeseries, dissolved, by=("policy",))
    reps = int(df["runs"].max()) if len(df) else 0
    t = Table(title=f"STAGES at tick {sc.ticks} (mean over {reps} replications)", title_justify="left")
    t.add_column("live at the end / dissolved during the run", justify="left")
    for pol in df["policy"]:
        t.add_column(str(pol), justify="right")
    causes = [c for c in df.columns if c.startswith("dissolved: ")]
    for col in STAGE_NAMES:
        t.add_row(col, *(f"{v:,.1f}" for v in df[col]), end_section=col == STAGE_NAMES[-1])
    for col in causes:
        cause = col.removeprefix("dissolved: ")
        label = "lapsed (no trial order)" if cause == "lapsed" else "by " + cause.replace("_", " ")
        t.add_row(f"  {label}", *(f"{v:,.1f}" for v in df[col]))
    return t


@app.command()
def run(
    file: Optional[Path] = typer.Argument(None, help="scenario YAML file (default: scenarios/baseline.yaml)", show_default=False),
    set_: SetOpt = [],
    out: OutOpt = None,
    replications: ReplicationsOpt = None,
    seed: SeedOpt = None,
    force: ForceOpt = False,
    workers: WorkersOpt = 1,
) -> None:
    """Run a scenario (every policy it lists x its replications), write a results folder, print a summary.

    The summary, per policy and mean over replications: the stages at the end (live relationships per stage, dissolutions by cause) and the outcomes with 95% CIs.
    """
    sc = scenario_or_fail(file, set_, replications, seed)
    res = _experiment("run", sc, out, force, workers=workers)
    con = _out()
    con.print(_stage_table(res, sc))
    con.print(_summary_table(res, f"{sc.name}: {len(res.summary)} runs, {sc.ticks} ticks (mean over replications ± 95% CI)", sc))
    if sc.sweep is not None:
        con.print("note: this scenario has a sweep; `relsim run` ignores it, `relsim sweep` runs it")
    con.print(f"results: {res.path}")


@app.command()
def validate(files: list[Path] = typer.Argument(..., help="scenario YAML files")) -> None:
    """Check scenario files without running them (one error line per bad file; exit 2 if any)."""
    from . import experiments as X
    from .scenarios import ScenarioError, load_scenario

    bad = 0
    for f in files:
        try:
            sc = load_scenario(f)
            X.plan(sc)
        except (ScenarioError, ValueError) as e:
            bad += 1
            msg = str(e) if str(e).startswith(str(f)) else f"{f}: {e}"
            click.echo("error: " + " ".join(msg.split()), err=True)
            continue
        pts = len(sc.sweep_points()) if sc.sweep is not None else 0
        click.echo(f"ok  {f}  ({sc.name}: {len(sc.policies)} policies x {sc.replications} replications, "
                   f"{sc.ticks} ticks" + (f", sweep of {pts} points)" if pts else ")"))
    if bad:
        raise typer.Exit(2)


@app.command()
def compare(
    file: Path = typer.Argument(..., help="scenario YAML file listing two or more policies"),
    set_: SetOpt = [],
    out: OutOpt = None,
    replications: ReplicationsOpt = None,
    seed: SeedOpt = None,
    force: ForceOpt = False,
    workers: WorkersOpt = 1,
) -> None:
    """Compare the listed policies over the same replications (common random numbers), with 95% CIs."""
    sc = scenario_or_fail(file, set_, replications, seed)
    if len(sc.policies) < 2:
        fail(f"{sc.source}: policy: {sc.policies[0]!r} is one policy; allowed: a list of two or more policies to "
             "compare, e.g. --set 'policy=[uniform, at_risk]'")
    res = _experiment("compare", sc, out, force, workers=workers)
    from .report import compare_text
    from .stats import SHORT_LABELS

    t = Table(title=f"{sc.name}: {sc.replications} replications per policy, common random numbers; "
              f"differences are paired, vs {sc.policies[0]!r}", title_justify="left")
    for c in ("outcome", "policy", "n", "mean [95% CI]", "difference from first [95% CI]"):
        t.add_column(c, justify="left" if c in ("outcome", "policy") else "right")
    prev = None
    for r in compare_text(res.table).itertuples(index=False):
        t.add_row(SHORT_LABELS.get(r[0], r[0]) if r[0] != prev else "", *(str(x) for x in r[1:]),
                  end_section=False)
        prev = r[0]
    con = _out()
    con.print(t)
    if sc.replications < 2:
        con.print("note: with 1 replication there are no confidence intervals; use --replications N")
    con.print(f"table: {res.path / 'compare.csv'}   figure: {res.path / 'figures' / 'compare.png'}")
    con.print(f"results: {res.path}")


@app.command()
def sweep(
    file: Path = typer.Argument(..., help="scenario YAML file with a sweep section"),
    set_: SetOpt = [],
    out: OutOpt = None,
    workers: int = typer.Option(1, "--workers", help="worker processes; more than 1 runs on a local Dask cluster "
                                "(one thread each)"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="address of a running Dask scheduler, e.g. "
                                            "tcp://host:8786: the runs go to its workers (see docs/distributed.md)"),
    resume: bool = typer.Option(False, "--resume", help="skip runs already complete in the results folder (without "
                                "--out: the newest results folder of this scenario)"),
    replications: ReplicationsOpt = None,
    seed: SeedOpt = None,
    force: ForceOpt = False,
) -> None:
    """Run sweep points x policies x replications (on Dask with --workers N or --scheduler), with a progress bar.

    A run that fails is reported with its parameters and seed; the others go on,
    the failed runs are listed at the end and the exit code is 1.
    """
    sc = scenario_or_fail(file, set_, replications, seed)
    if sc.sweep is None:
        fail(f"{sc.source}: sweep: null is not allowed for `relsim sweep`; allowed: a sweep with a grid or a "
             "sample (see `relsim schema`), or use `relsim run`")
    if resume and force:
        fail("--resume and --force are not allowed together; allowed: one of them")
    engine = None
    if scheduler or workers > 1:
        from .distributed import DaskEngine, check_scheduler, failure_summary

        if scheduler and (problem := check_scheduler(scheduler)):
            fail(problem)
        engine = DaskEngine(workers=workers, scheduler=scheduler, echo=lambda m: click.echo(m, err=True))
    try:
        res = _experiment("sweep", sc, out, force, resume=resume, workers=workers, executor=engine)
    except typer.Exit:  # (a RuntimeError too)
        raise
    except RuntimeError as e:  # no run completed
        click.echo(failure_summary(engine.failures) if engine else str(e), err=True)
        raise typer.Exit(1)
    runs = res.manifest["runs"]
    resumed = sum(r["status"] == "resumed" for r in runs)
    con = _out()
    con.print(_summary_table(res, f"{sc.name}: {len(sc.sweep_points())} points, {len(runs)} runs "
                             f"({resumed} already complete)", sc))
    con.print(f"results: {res.path}")
    if engine is not None and engine.failures:
        click.echo(failure_summary(engine.failures), err=True)
        raise typer.Exit(1)


def _results_or_fail(results_dir: Path):
    from . import results as R

    try:
        R.read_manifest(results_dir)
    except R.NotResultsError as e:
        fail(f"{e}; allowed: a folder written by relsim run, compare or sweep")
    missing = [f for f in ("summary.csv", *(f"{t}.parquet" for t in R.TABLES)) if not (results_dir / f).is_file()]
    if missing:
        fail(f"{results_dir}: {missing[0]}: missing; allowed: a complete results folder (rerun, or sweep --resume)")


@app.command()
def plot(results_dir: Path = typer.Argument(..., help="a results folder")) -> None:
    """Make figures/*.png from the files of a results folder alone."""
    from .plots import make_figures

    _results_or_fail(results_dir)
    paths = make_figures(results_dir)
    con = _out()
    for p in paths:
        con.print(str(p))


@app.command()
def report(results_dir: Path = typer.Argument(..., help="a results folder")) -> None:
    """Write a self-contained report.html (figures embedded) from the files of a results folder alone.

    Figures already in figures/ are used; when there are none they are made first (as `relsim plot` does).
    """
    from .report import write_report

    _results_or_fail(results_dir)
    _out().print(str(write_report(results_dir)))


@app.command()
def new(
    file: Path = typer.Argument(..., help="where to write the starter scenario (.yaml)"),
    force: bool = typer.Option(False, "--force", help="overwrite an existing file"),
) -> None:
    """Write a commented starter scenario that validates as is."""
    from .results import atomic_write_text
    from .scenarios import starter_text

    if file.exists() and not force:
        fail(f"{file}: exists; allowed: a new path, or --force to overwrite it")
    if file.suffix not in (".yaml", ".yml"):
        fail(f"{file}: suffix {file.suffix!r} is not allowed; allowed: .yaml or .yml")
    name = "".join(c if c.isalnum() or c in "_-" else "_" for c in file.stem) or "my_scenario"
    atomic_write_text(file, starter_text(name))
    scenario_or_fail(file)
    _out().print(f"wrote {file}; edit it, check it with `relsim validate {file}`, run it with `relsim run {file}`")


@app.command()
def schema() -> None:
    """Print every scenario field: dotted path, type, default, allowed values, description."""
    from .scenarios import schema_rows

    t = Table(title="scenario fields (set in the file or with --set path=value)", title_justify="left")
    t.add_column("path", no_wrap=True)
    t.add_column("type", no_wrap=True)
    t.add_column("default", overflow="fold")
    t.add_column("allowed", overflow="fold")
    t.add_column("description", overflow="fold")
    for path, typ, default, allowed, doc in schema_rows():
        t.add_row(path, typ, "null" if default is None else str(default), allowed, doc)
    Console(highlight=False, width=None if sys.stdout.isatty() else 220).print(t)


@app.command()
def version() -> None:
    """Print the version."""
    from .version import __version__

    print(__version__)


# New commands (e.g. `dashboard`, `validate-model`) go here: one @app.command() function each.


@app.command()
def dashboard(
    file: Optional[Path] = typer.Argument(None, help="scenario YAML to start from (default: the default market)"),
    port: int = typer.Option(8765, "--port", help="port to listen on (0: any free port)"),
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on (127.0.0.1: this computer only)"),
    lang: str = typer.Option("en", "--lang", help="language of the page: en or ko (the page has a switch too)"),
) -> None:
    """Start the classroom dashboard (Mesa SolaraViz) in the browser; works offline."""
    import os

    from .serving import LANGS, check_port

    if lang not in LANGS:
        fail(f"--lang={lang!r} is not allowed: expected one of {', '.join(LANGS)}")
    problem = check_port(host, port)
    if problem:
        fail(problem)
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "RELSIM_DASHBOARD_LANG": lang}
    if file is not None:
        scenario_or_fail(file)  # a bad file is one line and exit 2 before the server starts
        env["RELSIM_DASHBOARD_SCENARIO"] = str(file.resolve())
    app_file = Path(__file__).with_name("dashboard.py")
    print(f"relsim dashboard: http://{host}:{port}/ (Ctrl-C stops it)" if port else
          "relsim dashboard: solara prints the address below (Ctrl-C stops it)", flush=True)
    cmd = [sys.executable, "-m", "solara", "run", str(app_file), "--host", host, "--port", str(port),
           "--production", "--no-open", "--no-check-version"]
    os.execve(sys.executable, cmd, env)  # the server replaces this process: Ctrl-C and kill reach it


@app.command()
def classroom(
    file: Optional[Path] = typer.Argument(None, help="scenario YAML of the market (default: scenarios/classroom_game.yaml)"),
    port: int = typer.Option(8766, "--port", help="port to listen on"),
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on (0.0.0.0: students on this network)"),
    lang: str = typer.Option("en", "--lang", help="language of the pages: en or ko (each page has a switch too)"),
    rounds: int = typer.Option(8, "--rounds", help="rounds in the game"),
    ticks_per_round: int = typer.Option(6, "--ticks-per-round", help="ticks (months) the market runs per round"),
    out: OutOpt = None,
) -> None:
    """Start the classroom game: each student runs an exporter from their own browser (docs/teaching.md)."""
    from .serving import LANGS, check_port

    if lang not in LANGS:
        fail(f"--lang={lang!r} is not allowed: expected one of {', '.join(LANGS)}")
    if not 1 <= rounds <= 100:
        fail(f"--rounds={rounds!r} is not allowed: expected an integer in [1, 100]")
    if not 1 <= ticks_per_round <= 120:
        fail(f"--ticks-per-round={ticks_per_round!r} is not allowed: expected an integer in [1, 120]")
    if port == 0:
        fail("--port=0 is not allowed: expected an integer in [1, 65535] (students need to know the port)")
    problem = check_port(host, port)
    if problem:
        fail(problem)
    if file is not None:
        scenario_or_fail(file)
    from .classroom.game import Game, GameError
    from .classroom.server import serve
    from .results import ResultsExistError, check_writable

    if out is not None:
        try:
            check_writable(out)
        except (ResultsExistError, ValueError) as e:
            fail(str(e))
    try:
        game = Game(file, rounds=rounds, ticks_per_round=ticks_per_round, out=out)
    except (GameError, ValueError) as e:
        fail(f"{file}: {e}")
    serve(game, host, port, lang)


@app.command("validate-model")
def validate_model(
    quick: bool = typer.Option(False, "--quick", help="small settings (minutes); written to results/validation-quick unless --out"),
    out: Optional[Path] = typer.Option(None, "--out", help="folder for data/, figures/ and validation.md (default: docs/validation.md, docs/figures/validation/, results/validation/)"),
    workers: Optional[int] = typer.Option(None, "--workers", help="worker processes (default: up to 2)"),
) -> None:
    """Regenerate the validation report (WKH 2000, Morgan & Hunt, lifecycle, retention economics, sensitivity)."""
    if workers is not None and workers < 1:
        fail(f"--workers={workers!r} is not allowed: expected an integer >= 1")
    from .validation.report import build

    print(f"wrote {build(quick=quick, out=out, workers=workers)}")


@app.command()
def customers(
    file: Path = typer.Argument(..., help="customer file (CSV or parquet): one row per purchase, or per customer "
                                "per subscribed period"),
    out: OutOpt = None,
    force: ForceOpt = False,
    period: str = typer.Option("month", "--period", help="period length for dates: day, week, month, quarter, year"),
    kind: str = typer.Option("auto", "--kind", help="auto (contractual when every customer has one row per period "
                             "with no gap), transactions or contractual"),
    until: Optional[str] = typer.Option(None, "--until", help="fit the baseline on periods up to this one (a period "
                                        "number or a date); the rest is held out (default: the last period)"),
    horizon: Optional[int] = typer.Option(None, "--horizon", help="periods forecast after --until (default: to the "
                                          "end of the file, or 12 when nothing is held out)"),
    customer_col: str = typer.Option("customer_id", "--customer-id-col", help="column with the customer id"),
    date_col: Optional[str] = typer.Option(None, "--date-col", help="column with the purchase date (default: a "
                                           "column named date)"),
    period_col: Optional[str] = typer.Option(None, "--period-col", help="column with an integer period, instead "
                                             "of dates (default: a column named period)"),
    revenue_col: str = typer.Option("revenue", "--revenue-col", help="column with the revenue (>= 0)"),
    quantity_col: Optional[str] = typer.Option(None, "--quantity-col", help="column with the quantity (default: "
                                               "a column named quantity)"),
    segment_col: Optional[str] = typer.Option(None, "--segment-col", help="column with the segment (default: a "
                                              "column named segment)"),
    channel_col: Optional[str] = typer.Option(None, "--channel-col", help="column with the channel (default: a "
                                              "column named channel)"),
    sep: Optional[str] = typer.Option(None, "--sep", help="CSV separator (default: detected; 'whitespace' for "
                                      "space-aligned files)"),
    date_format: Optional[str] = typer.Option(None, "--date-format", help="strftime format of the dates, e.g. "
                                              "%d/%m/%Y (default: YYYY-MM-DD or YYYYMMDD)"),
) -> None:
    """Statistics of a customer file and its buy-till-you-die baseline (BG/NBD or sBG), written to a folder.

    Cohorts, cohort retention curves, purchase frequency, revenue per customer by age, revenue
    concentration (top-20% share, HHI), tenure; the baseline fitted up to --until and forecast after it.
    A bad file is one error line and exit 2, with nothing written. See docs/own_market.md.
    """
    from .customers.reader import CustomerFileError, read_customers
    from .customers.run import analyse, default_out, print_report, write
    from .results import NotResultsError, ResultsExistError, check_writable

    mapping = {"customer_id": customer_col, "revenue": revenue_col}
    for name, val in (("date", date_col), ("period", period_col), ("quantity", quantity_col),
                      ("segment", segment_col), ("channel", channel_col)):
        if val is not None:
            mapping[name] = val
    try:
        data = read_customers(file, columns=mapping, period=period, kind=kind, sep=sep, date_format=date_format)
        an = analyse(data, until=until, horizon=horizon)
        root = out if out is not None else default_out(str(file))
        check_writable(root, force=force)
    except (CustomerFileError, ResultsExistError, NotResultsError) as e:
        fail(str(e))
    path = write(an, root, force=force, command=["relsim", *sys.argv[1:]])
    print_report(an, path, _out())


if __name__ == "__main__":  # pragma: no cover
    app()
