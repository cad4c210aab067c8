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

from . import commands  # noqa: F401  (registers the commands on the app)
from .base import app, fail, scenario_or_fail

__all__ = ["app", "fail", "scenario_or_fail"]
