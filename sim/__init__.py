"""relsim: an agent-based simulation of exporter-buyer relationships on Mesa."""

from .agents import Buyer, Exporter
from .model import MarketModel
from .parameters import PARAMS
from .policies import POLICIES, Policy, PolicyView, get_policy, register_policy

__all__ = ["MarketModel", "Exporter", "Buyer", "PARAMS", "POLICIES", "Policy", "PolicyView", "register_policy", "get_policy"]
__version__ = "0.1.0"
