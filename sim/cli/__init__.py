"""The ``relsim`` command line.

Commands: run, validate, compare, sweep, plot, report, new, schema, version, dashboard,
validate-model; ``relsim --version``.

Modules: ``base`` (the typer app, one-line errors, the options shared by commands), ``commands``
(one function a command), ``running`` (running an experiment: output folder checks, resume,
resources, interruption), ``tables`` (terminal tables that fit the width).

Adding a command takes one function in ``commands``: decorate it with ``@app.command()``, give it
a docstring (its ``--help``), report bad input with ``fail("one line naming file, field, value and
what is allowed")`` (exit code 2, no traceback) and load scenarios with ``scenario_or_fail``. Click
usage errors (unknown option, bad integer, missing argument) are also reported as one line with
exit code 2 by ``RelsimGroup``.
"""

import os
import sys

__all__ = ["app", "fail", "scenario_or_fail", "main"]


def __getattr__(name: str):
    """``app`` (with every command registered), ``fail`` and ``scenario_or_fail``, imported on first use: the
    package itself imports nothing, so that a Ctrl-C at once after ``relsim`` is typed is already ``main``'s."""
    if name in ("app", "fail", "scenario_or_fail"):
        from . import base, commands  # noqa: F401  (importing commands registers them on the app)

        return getattr(base, name)
    raise AttributeError(f"module 'sim.cli' has no attribute {name!r}")


def main() -> None:
    """The ``relsim`` command: the typer app, with a Ctrl-C that lands outside a command's own handling
    (while Python starts, or inside compiled code) reported as one line and exit code 130."""
    try:
        from . import base, commands  # noqa: F401

        base.app(prog_name="relsim")
    except KeyboardInterrupt:
        os.write(2, b"relsim: interrupted\n")
        raise SystemExit(130) from None
