"""Test support shipped with the package: the plain-Mesa oracle of the engine (``plain_mesa``)."""

from .plain_mesa import PlainMarket

__all__ = ["PlainMarket"]
