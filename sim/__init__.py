"""relsim: an agent-based simulation of exporter-buyer relationships on Mesa.

The public names are imported on first use (``sim.MarketModel`` loads the engine), so that ``import sim``
is quick: the command line starts at once and handles Ctrl-C from its first moment.
"""

from .version import __version__

#: public name -> the module that defines it
_PUBLIC = {
    "MarketModel": "model", "Exporter": "agents", "Buyer": "agents", "PARAMS": "parameters",
    "POLICIES": "policies", "Policy": "policies", "PolicyView": "policies", "register_policy": "policies",
    "get_policy": "policies", "run_once": "experiments",
}

__all__ = ["MarketModel", "Exporter", "Buyer", "PARAMS", "POLICIES", "Policy", "PolicyView", "register_policy",
           "get_policy", "run_once", "__version__"]


def __getattr__(name: str):
    if name in _PUBLIC:
        from . import agents, experiments, model, parameters, policies  # noqa: F401  (the engine, on first use)

        value = getattr(locals()[_PUBLIC[name]], name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
