"""relsim: an agent-based simulation of exporter-buyer relationships on Mesa."""

from .agents import Buyer, Exporter
from .model import MarketModel
from .parameters import PARAMS
from .policies import POLICIES, Policy, PolicyView, get_policy, register_policy
from .experiments import run_once
from .version import __version__

__all__ = ["MarketModel", "Exporter", "Buyer", "PARAMS", "POLICIES", "Policy", "PolicyView", "register_policy", "get_policy", "run_once"]
