"""The ``relsim`` command line (placeholder until scenario files land: runs the default market)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from .model import MarketModel

app = typer.Typer(help="relsim: exporter-buyer relationship simulation", no_args_is_help=True)


@app.command()
def run(ticks: int = typer.Option(200, help="ticks to run"), seed: int = typer.Option(0, help="seed")) -> None:
    """Run the default market and print a stage summary."""
    model = MarketModel(rng=seed)
    model.run_for(ticks)
    ts = model.timeseries
    table = Table(title=f"default market, {ticks} ticks, seed {seed}")
    for col in ("tick", "n_awareness", "n_exploration", "n_expansion", "n_commitment", "n_dissolved", "mean_trust"):
        table.add_column(col, justify="right")
    for _, r in ts.iloc[:: max(1, ticks // 10)].iterrows():
        table.add_row(*(f"{r[c]:.3f}" if c == "mean_trust" else str(int(r[c])) for c in table.columns and [c.header for c in table.columns]))
    Console().print(table)


@app.command()
def version() -> None:
    """Print the version."""
    from . import __version__

    print(__version__)
