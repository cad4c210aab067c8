"""Validation of the model against published results, and its sensitivity analysis.

Modules: ``wkh`` (Weisbuch, Kirman & Herreiner 2000: loyalty transition and mean field),
``commitment_trust`` (Morgan & Hunt 1994 paths), ``lifecycle_stats`` (Dwyer, Schurr & Oh 1987
stage statistics), ``retention_economics`` (Reichheld & Sasser's retention-profit claim),
``sensitivity`` (Morris and Sobol with SALib), ``report`` (builds docs/validation.md).
Run everything with ``relsim validate-model`` or ``python -m sim.validation``.
"""

from .report import build

__all__ = ["build"]
