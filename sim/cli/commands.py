"""The commands: one function each (``relsim COMMAND --help`` shows its docstring)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from .base import (ForceOpt, OutOpt, ReplicationsOpt, ResumeOpt, SeedOpt, SetOpt, WorkersOpt, app, click, console,
                   fail, note, plural, scenario_or_fail)
from .running import Invocation, describe, experiment
from .tables import show


# ---- what the commands print ------------------------------------------------------------------
def _few(con, summary) -> None:
    from ..report import fewest_runs
    from ..stats import few_replications_note

    if text := few_replications_note(fewest_runs(summary)):
        con.print(f"[bold red]{text}[/]")


def _answer_table(con, res, sc) -> None:
    """The scenario's question, and per policy (and sweep point) the outcomes that answer it, mean [95% CI]."""
    from ..experiments import answer_outcomes
    from ..outcomes import label
    from ..report import summary_table

    df = summary_table(res.summary, answer_outcomes(sc)).drop(columns="point")  # the swept values say which point
    swept = [c for c in df.columns if "." in c]
    keys = ["policy", *swept]
    header = [*keys, "runs", *(label(c) for c in df.columns if c not in (*keys, "runs"))]
    rows = [[str(r[c]) for c in [*keys, "runs", *(c for c in df.columns if c not in (*keys, "runs"))]]
            for _, r in df.iterrows()]
    question = sc.answer.question or sc.description or sc.name
    show(con, f"{sc.name}: {' '.join(question.split())}\nmean over replications [95% CI]", header, rows,
         keys=len(keys), names=[*df["policy"].astype(str)])
    _few(con, res.summary)


def _stage_table(con, res, sc) -> None:
    """Stages at the end and dissolutions by kind and cause, per policy (mean over replications): policies are columns."""
    import pandas as pd

    from ..report import STAGE_NOTE
    from ..stats import DISSOLVED_KINDS, STAGE_NAMES, stage_summary

    # the dissolutions only, and only the columns counted (the event log can hold millions of rows)
    dissolved = pd.read_parquet(res.path / "events.parquet", columns=["run", "from_stage", "to_stage", "cause"],
                                filters=[("to_stage", "==", "dissolved")])
    df = stage_summary(res.timeseries, dissolved, by=("policy",))
    reps = int(df["runs"].min()) if len(df) else 0
    causes = [c for c in df.columns if c.startswith("dissolved: ")]
    rows, sections = [], []
    for col in STAGE_NAMES:
        rows.append([col, *(f"{v:,.1f}" for v in df[col])])
    for col in DISSOLVED_KINDS:
        rows.append(["  " + col, *(f"{v:,.1f}" for v in df[col])])
    sections.append(len(rows) - 1)
    for col in causes:
        cause = col.removeprefix("dissolved: ")
        rows.append(["  " + ("lapsed (no trial order)" if cause == "lapsed" else "by " + cause.replace("_", " ")),
                     *(f"{v:,.1f}" for v in df[col])])
    pols = [str(p) for p in df["policy"]]
    show(con, f"STAGES at tick {sc.ticks} (mean over {plural(reps, 'replication')})",
         ["live at the end / dissolved during the run", *pols], rows, names=pols, sections=sections)
    con.print(STAGE_NOTE)


def _sweep_note(sc) -> None:
    """`relsim run` on a file with a sweep: say up front which values it runs."""
    from ..plots import fmt_value

    paths = list(dict.fromkeys(k for p in sc.sweep_points() for k in p))
    values = ", ".join(f"{p}={fmt_value(sc.get(p))}" for p in paths)
    note(f"{sc.source} has a sweep over {', '.join(paths)}; `relsim run` runs the file's own values ({values}); "
         f"`relsim sweep {sc.source}` runs the sweep")


def _finish(con, res) -> None:
    answer = res.path / "figures" / "answer.png"
    if answer.is_file():
        con.print(f"answer: {answer}")
    if (res.path / "report.html").is_file():
        con.print(f"report: {res.path / 'report.html'}")
    con.print(f"results: {res.path}")


# ---- commands ------------------------------------------------------------------------------------
@app.command()
def run(
    file: Optional[Path] = typer.Argument(None, help="scenario YAML file (default: scenarios/baseline.yaml)",
                                          show_default=False, metavar="FILE"),
    set_: SetOpt = [],
    out: OutOpt = None,
    replications: ReplicationsOpt = None,
    seed: SeedOpt = None,
    force: ForceOpt = False,
    workers: WorkersOpt = 1,
    resume: ResumeOpt = None,
) -> None:
    """Run a scenario (every policy it lists x its replications), write a results folder, print a summary.

    The summary, per policy and mean over replications: the scenario's question and the outcomes that answer it
    (95% CIs), then the stages at the end (live relationships per stage, dissolutions by kind and cause).
    A sweep in the file is not run (`relsim sweep` runs it): the file's own values are used, as said up front.
    """
    sc = scenario_or_fail(file, set_, replications, seed)
    if sc.sweep is not None:
        _sweep_note(sc)
    inv = Invocation("run", file, list(set_), replications, seed, workers)
    res, _ = experiment(inv, sc, out, force, resume)
    con = console()
    _answer_table(con, res, sc)
    _stage_table(con, res, sc)
    _finish(con, res)


@app.command()
def validate(files: list[Path] = typer.Argument(..., help="scenario YAML files", metavar="FILE...")) -> None:
    """Check scenario files without running them (one error line per bad file; exit 2 if any)."""
    from .. import experiments as X
    from ..scenarios import ScenarioError, load_scenario

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
        click.echo(f"ok  {f}  ({sc.name}: {plural(len(sc.policies), 'policy', 'policies')} x "
                   f"{plural(sc.replications, 'replication')}, {sc.ticks} ticks"
                   + (f", sweep of {plural(pts, 'point')})" if pts else ")"))
    if bad:
        raise typer.Exit(2)


@app.command()
def compare(
    file: Path = typer.Argument(..., help="scenario YAML file listing two or more policies", metavar="FILE"),
    set_: SetOpt = [],
    out: OutOpt = None,
    replications: ReplicationsOpt = None,
    seed: SeedOpt = None,
    force: ForceOpt = False,
    workers: WorkersOpt = 1,
    resume: ResumeOpt = None,
) -> None:
    """Compare the listed policies over the same replications (common random numbers), with 95% CIs.

    An interrupted compare is finished with --resume [DIR] (the message on interruption gives the command).
    """
    from ..outcomes import label
    from ..report import compare_text

    sc = scenario_or_fail(file, set_, replications, seed)
    if len(sc.policies) < 2:
        fail(f"{sc.source}: policy: {sc.policies[0]!r} is one policy; allowed: a list of two or more policies to "
             "compare, e.g. --set 'policy=[uniform, at_risk]'")
    inv = Invocation("compare", file, list(set_), replications, seed, workers)
    res, _ = experiment(inv, sc, out, force, resume)
    rows, sections, prev = [], [], None
    text = compare_text(res.table)
    for i, r in enumerate(text.itertuples(index=False)):
        if prev is not None and r.outcome != prev:
            sections.append(i - 1)
        rows.append([label(r.outcome) if r.outcome != prev else "", r.policy, r[3], r[4], r[5]])
        prev = r.outcome
    con = console()
    question = sc.answer.question or sc.description or sc.name
    show(con, f"{sc.name}: {' '.join(question.split())}\n{plural(sc.replications, 'replication')} per policy, "
         f"common random numbers; differences are paired, vs {sc.policies[0]!r}",
         ["outcome", "policy", "mean [95% CI]", "difference from first [95% CI]", "rank, verdict"], rows, keys=2,
         names=sc.policies, sections=sections)
    from ..stats import disagreements

    for line in disagreements(res.table):
        con.print(f"note: {line}")
    _few(con, res.summary)
    con.print(f"table: {res.path / 'compare.csv'}")
    _finish(con, res)


@app.command()
def tournament(
    file: Path = typer.Argument(..., help="scenario YAML file listing two or more policies", metavar="FILE"),
    set_: SetOpt = [],
    out: OutOpt = None,
    replications: ReplicationsOpt = None,
    seed: SeedOpt = None,
    force: ForceOpt = False,
    workers: WorkersOpt = 1,
    resume: ResumeOpt = None,
    focal_share: float = typer.Option(0.25, "--focal-share", metavar="SHARE", help="share of the exporters that "
                                      "run the focal policy in each match (the rest run the field's)"),
) -> None:
    """Every listed policy as the focal policy among every listed policy as the field (Axelrod-style), on common
    random numbers: what a firm gains by switching policy while its competitors keep theirs.

    Writes matches.csv, payoffs.csv and figures/tournament.png. An interrupted tournament is finished with
    --resume [DIR].
    """
    import pandas as pd

    from ..outcomes import label

    sc = scenario_or_fail(file, set_, replications, seed)
    if len(sc.policies) < 2 or sc.policy_mix is not None:
        fail(f"{sc.source}: policy: {sc.policies[0]!r} is not allowed; allowed: a list of two or more policies "
             "(and no policy_mix), e.g. --set 'policy=[uniform, key_accounts]'")
    if not 0.0 < focal_share < 1.0:
        fail(f"--focal-share {focal_share:g} is not allowed; allowed: a share in (0, 1)")
    inv = Invocation("tournament", file, list(set_), replications, seed, workers,
                     extra=["--focal-share", f"{focal_share:g}"] if focal_share != 0.25 else [])
    root, _ = experiment(inv, sc, out, force, resume, focal_share=focal_share)
    pay = pd.read_csv(Path(root) / "payoffs.csv")
    gain = pay[(pay["payoff"] == "switching_gain") & (pay["focal"] != pay["field"])]
    rows = []
    for (x, y), g in gain.groupby(["focal", "field"], sort=False):
        cells = []
        for out_name in ("profit", "retention_rate"):
            r = g[g["outcome"] == out_name].iloc[0]
            cells.append(f"{r['diff_pct']:+.1f}% [{r['low_pct']:+.1f}, {r['high_pct']:+.1f}] {r['verdict']}")
        rows.append([x, y, *cells])
    con = console()
    show(con, f"{sc.name}: gain from switching to the focal policy while the field keeps its own\n"
         f"{plural(sc.replications, 'replication')} per match, {focal_share:.0%} of the exporters focal, common "
         "random numbers; % of the same exporters' outcome under the field's policy, mean [95% CI]",
         ["focal", "field", label("profit"), label("retention_rate")], rows, keys=2, names=sc.policies)
    from ..stats import few_replications_note

    if text := few_replications_note(int(sc.replications)):
        con.print(f"[bold red]{text}[/]")
    con.print(f"tables: {Path(root) / 'payoffs.csv'}, {Path(root) / 'matches.csv'}; figure: "
              f"{Path(root) / 'figures' / 'tournament.png'}")


@app.command()
def sweep(
    file: Path = typer.Argument(..., help="scenario YAML file with a sweep section", metavar="FILE"),
    set_: SetOpt = [],
    out: OutOpt = None,
    workers: int = typer.Option(1, "--workers", metavar="N", help="worker processes; more than 1 runs on a local "
                                "Dask cluster (one thread each) when that is faster than one process"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", metavar="ADDRESS", help="address of a running Dask "
                                            "scheduler, e.g. tcp://host:8786: the runs go to its workers (see "
                                            "docs/distributed.md)"),
    resume: ResumeOpt = None,
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
    from ..distributed import DaskEngine, check_scheduler, failure_summary

    if scheduler and (problem := check_scheduler(scheduler)):
        fail(problem)

    def engine(n: int):
        return DaskEngine(workers=n, scheduler=scheduler, echo=lambda m: click.echo(m, err=True))

    inv = Invocation("sweep", file, list(set_), replications, seed, workers, scheduler)
    try:
        res, used = experiment(inv, sc, out, force, resume, engine_factory=engine)
    except typer.Exit:
        raise
    except RuntimeError as e:  # no run completed
        click.echo(str(e), err=True)
        raise typer.Exit(1)
    runs = res.manifest["runs"]
    resumed = sum(r["status"] == "resumed" for r in runs)
    con = console()
    con.print(f"{sc.name}: {plural(len(sc.sweep_points()), 'point')}, {plural(len(runs), 'run')} "
              f"({resumed} already complete)")
    _answer_table(con, res, sc)
    _finish(con, res)
    if used is not None and used.failures:
        click.echo(failure_summary(used.failures), err=True)
        raise typer.Exit(1)


# ---- reading a results folder -----------------------------------------------------------------------
def _results_or_fail(results_dir: Path) -> None:
    from .. import results as R

    try:
        m = R.read_manifest(results_dir)
    except R.NotResultsError as e:
        fail(f"{e}; allowed: a folder written by relsim run, compare or sweep")
    except (OSError, ValueError) as e:
        fail(f"{results_dir}: {R.MANIFEST} cannot be read ({describe(e)}); allowed: a results folder as relsim wrote it")
    if not isinstance(m, dict) or not isinstance(m.get("runs"), list):
        fail(f"{results_dir}: {R.MANIFEST} is not a relsim manifest (no list of runs); allowed: a results folder as "
             "relsim wrote it")
    needed = ("payoffs.csv",) if m.get("kind") == "tournament" else ("summary.csv", *(f"{t}.parquet" for t in R.TABLES))
    missing = [f for f in needed if not (results_dir / f).is_file()]
    if missing:
        fail(f"{results_dir}: {missing[0]}: missing; allowed: a complete results folder (rerun, or --resume it)")


def _from_folder(results_dir: Path, make):
    """Run ``make(results_dir)`` on a checked folder; a folder edited by hand or unwritable is one line, exit 2."""
    import pyarrow as pa

    _results_or_fail(results_dir)
    try:
        return make(results_dir)
    except OSError as e:
        fail(f"{results_dir}: cannot write ({describe(e)}); allowed: a results folder you can write to, with free space")
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, pa.ArrowException, json.JSONDecodeError) as e:
        fail(f"{results_dir}: cannot be read as a results folder ({describe(e)}); allowed: a folder as relsim run, "
             "compare or sweep wrote it (edited files: rerun, or --resume it)")


@app.command()
def plot(results_dir: Path = typer.Argument(..., help="a results folder", metavar="DIR")) -> None:
    """Make figures/*.png from the files of a results folder alone (a tournament's: figures/tournament.png)."""
    from .. import results as R
    from ..plots import make_figures, tournament_figure

    con = console()
    _results_or_fail(results_dir)
    if R.read_manifest(results_dir).get("kind") == "tournament":
        con.print(str(_from_folder(results_dir, tournament_figure)))
        return
    for p in _from_folder(results_dir, make_figures):
        con.print(str(p))


@app.command()
def report(results_dir: Path = typer.Argument(..., help="a results folder", metavar="DIR")) -> None:
    """Write a self-contained report.html (figures embedded) from the files of a results folder alone.

    It opens with the scenario's question and what answers it. Figures already in figures/ are used; when there
    are none they are made first (as `relsim plot` does).
    """
    from .. import results as R
    from ..report import write_report

    _results_or_fail(results_dir)
    if R.read_manifest(results_dir).get("kind") == "tournament":
        fail(f"{results_dir}: a tournament has no report.html yet; allowed: a folder written by relsim run, compare or "
             "sweep (a tournament's results are payoffs.csv, matches.csv and figures/tournament.png; relsim plot "
             "redraws the figure)")
    console().print(str(_from_folder(results_dir, write_report)))


@app.command()
def new(
    file: Path = typer.Argument(..., help="where to write the starter scenario (.yaml)", metavar="FILE"),
    force: bool = typer.Option(False, "--force", help="overwrite an existing file"),
) -> None:
    """Write a commented starter scenario that validates as is."""
    from ..results import atomic_write_text
    from ..scenarios import starter_text

    if file.exists() and not force:
        fail(f"{file}: exists; allowed: a new path, or --force to overwrite it")
    if file.suffix not in (".yaml", ".yml"):
        fail(f"{file}: suffix {file.suffix!r} is not allowed; allowed: .yaml or .yml")
    name = "".join(c if c.isalnum() or c in "_-" else "_" for c in file.stem) or "my_scenario"
    try:
        atomic_write_text(file, starter_text(name))
    except OSError as e:
        fail(f"{file}: cannot write it ({describe(e)}); allowed: a path in a folder you can write to")
    scenario_or_fail(file)
    console().print(f"wrote {file}; edit it, check it with `relsim validate {file}`, run it with `relsim run {file}`")


@app.command()
def schema() -> None:
    """Print every scenario field: dotted path, type, default, allowed values, description."""
    from rich.console import Console
    from rich.table import Table

    from ..scenarios import schema_rows

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
    """Print the version (as `relsim --version`)."""
    from ..version import __version__

    print(__version__)


# New commands (e.g. `dashboard`, `validate-model`) go here: one @app.command() function each.


@app.command()
def dashboard(
    file: Optional[Path] = typer.Argument(None, help="scenario YAML to start from (default: the default market)",
                                          metavar="FILE"),
    port: int = typer.Option(8765, "--port", help="port to listen on (0: any free port)"),
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on (127.0.0.1: this computer only)"),
    lang: str = typer.Option("en", "--lang", help="language of the page: en or ko (the page has a switch too)"),
) -> None:
    """Start the classroom dashboard (Mesa SolaraViz) in the browser; works offline."""
    import os

    from ..serving import LANGS, check_port

    if lang not in LANGS:
        fail(f"--lang={lang!r} is not allowed: expected one of {', '.join(LANGS)}")
    problem = check_port(host, port)
    if problem:
        fail(problem)
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "RELSIM_DASHBOARD_LANG": lang}
    if file is not None:
        scenario_or_fail(file)  # a bad file is one line and exit 2 before the server starts
        env["RELSIM_DASHBOARD_SCENARIO"] = str(file.resolve())
    app_file = Path(__file__).resolve().parent.parent / "dashboard.py"
    print(f"relsim dashboard: http://{host}:{port}/ (Ctrl-C stops it)" if port else
          "relsim dashboard: solara prints the address below (Ctrl-C stops it)", flush=True)
    cmd = [sys.executable, "-m", "solara", "run", str(app_file), "--host", host, "--port", str(port),
           "--production", "--no-open", "--no-check-version"]
    os.execve(sys.executable, cmd, env)  # the server replaces this process: Ctrl-C and kill reach it


@app.command()
def classroom(
    file: Optional[Path] = typer.Argument(None, help="scenario YAML of the market (default: scenarios/classroom_game.yaml)",
                                          metavar="FILE"),
    port: int = typer.Option(8766, "--port", help="port to listen on"),
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on (0.0.0.0: students on this network)"),
    lang: str = typer.Option("en", "--lang", help="language of the pages: en or ko (each page has a switch too)"),
    rounds: int = typer.Option(8, "--rounds", help="rounds in the game"),
    ticks_per_round: int = typer.Option(6, "--ticks-per-round", help="ticks (months) the market runs per round"),
    out: OutOpt = None,
) -> None:
    """Start the classroom game: each student runs an exporter from their own browser (docs/teaching.md)."""
    from ..serving import LANGS, check_port

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
    from ..classroom.game import Game, GameError
    from ..classroom.server import serve
    from ..results import ResultsExistError, check_writable

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
    from ..validation.report import build

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
    from ..customers.reader import CustomerFileError, read_customers
    from ..customers.run import analyse, default_out, print_report, write
    from ..results import NotResultsError, ResultsExistError, check_writable

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
    print_report(an, path, console())
