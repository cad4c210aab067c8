"""The typer app, one-line errors, the console and the options the commands share."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer

try:  # recent typer vendors click as typer._click; older ones use the click package
    from typer import _click as click
except ImportError:  # pragma: no cover
    import click
from rich.console import Console
from typer.core import TyperGroup

try:  # typer's vendored click has no exceptions.Abort; typer raises its own
    from typer.exceptions import Abort as _Abort
except ImportError:  # pragma: no cover
    _Abort = click.exceptions.Abort

DEFAULT_SCENARIO = Path("scenarios") / "baseline.yaml"
_SET_HELP = "override a field: dotted.path=value (repeatable), e.g. --set choice.beta=0.03"

# Options shared by run, compare and sweep: defined once here, used as ``name: Alias = default``.
SetOpt = Annotated[list[str], typer.Option("--set", help=_SET_HELP, metavar="PATH=VALUE")]
OutOpt = Annotated[Optional[Path], typer.Option("--out", help="results folder (default: results/<name>-<timestamp>)",
                                                metavar="DIR")]
ReplicationsOpt = Annotated[Optional[int], typer.Option("--replications", help="replications per policy (and sweep "
                                                        "point); overrides the file", metavar="N")]
SeedOpt = Annotated[Optional[int], typer.Option("--seed", help="scenario seed (overrides the file)", metavar="N")]
ForceOpt = Annotated[bool, typer.Option("--force", help="overwrite an existing results folder; run even when the "
                                        "memory estimate exceeds the available memory")]
WorkersOpt = Annotated[int, typer.Option("--workers", help="local worker processes (fewer when more would be slower)",
                                         metavar="N")]
ResumeOpt = Annotated[Optional[str], typer.Option("--resume", metavar="[DIR]", help="finish an interrupted run in DIR "
                                                  "(or --out DIR), skipping its complete runs; without DIR: the newest "
                                                  "results folder of this scenario")]
#: ``--resume`` given without a folder (``RelsimGroup`` passes it on as this value)
RESUME_NEWEST = ""


def _resume_without_folder(args: list[str]) -> list[str]:
    """``--resume`` takes an optional folder: given alone (last, or before an option or a scenario file), it is
    passed on as ``--resume=`` (the newest folder)."""
    out = []
    for i, a in enumerate(args):
        nxt = args[i + 1] if i + 1 < len(args) else None
        alone = nxt is None or nxt.startswith("-") or nxt.endswith((".yaml", ".yml"))
        out.append("--resume=" if a == "--resume" and alone else a)
    return out


class RelsimGroup(TyperGroup):
    """A typer group whose usage errors are one line on stderr with exit code 2, never a traceback."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        args = _resume_without_folder(list(sys.argv[1:] if args is None else args))
        if not standalone_mode:
            return super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                                standalone_mode=False, **extra)
        try:
            rv = super().main(args=args, prog_name=prog_name or "relsim", complete_var=complete_var,
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
    rich_markup_mode=None,  # plain click help: flags without <bool> placeholders
)


def _print_version(value: bool) -> None:
    if value:
        from ..version import __version__

        click.echo(f"relsim {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", help="print the version and exit", is_eager=True,
                                                callback=_print_version)] = False) -> None:
    """relsim: agent-based simulation of exporter-buyer relationships. Scenario files in, tidy results out."""


def console() -> Console:
    """The console for tables: the terminal's width, or $COLUMNS, or 140 columns when the output is not a terminal."""
    wide = sys.stdout.isatty() or "COLUMNS" in os.environ
    return Console(highlight=False, width=None if wide else 140)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``message`` as one line on stderr and exit with ``code`` (2: bad input)."""
    click.echo("error: " + " ".join(str(message).split()), err=True)
    raise typer.Exit(code)


def note(message: str) -> None:
    """One line on stderr that is not an error (what was chosen, what was skipped)."""
    click.echo("note: " + " ".join(str(message).split()), err=True)


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 policy``, ``2 policies``."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def _default_scenario() -> Path:
    if DEFAULT_SCENARIO.is_file():
        return DEFAULT_SCENARIO
    shipped = Path(__file__).resolve().parent.parent.parent / DEFAULT_SCENARIO
    return shipped if shipped.is_file() else DEFAULT_SCENARIO


def scenario_or_fail(file: Optional[Path], overrides: list[str] = (), replications: Optional[int] = None,
                     seed: Optional[int] = None):
    """Load and validate a scenario with its overrides, or exit 2 with one line."""
    from ..scenarios import ScenarioError, load_scenario

    over = list(overrides or [])
    if replications is not None:
        over.append(f"replications={replications}")
    if seed is not None:
        over.append(f"seed={seed}")
    try:
        return load_scenario(file if file is not None else _default_scenario(), over)
    except ScenarioError as e:
        fail(str(e))
