"""What answers a scenario's question, read back from a results folder: the question and the outcomes and
per-tick columns its ``answer`` section names (``sim.plots.answer_fig`` draws them, the report and the
command line open with them).
"""

from __future__ import annotations

from dataclasses import dataclass

from .outcomes import OUTCOMES
from .stats import COMPARE_OUTCOMES


@dataclass(frozen=True)
class Spec:
    """A folder's question and what answers it."""

    question: str
    outcomes: list[str]
    over_time: list[str]
    shock_tick: int


def spec(manifest: dict) -> Spec:
    """The answer section of the folder's scenario (defaults: the description, the compared outcomes)."""
    sc = manifest.get("scenario") or {}
    ans = sc.get("answer") or {}
    outcomes = [o for o in (ans.get("outcomes") or COMPARE_OUTCOMES) if o in OUTCOMES]
    question = str(ans.get("question") or sc.get("description") or manifest.get("scenario_name", ""))
    shock = int(((sc.get("lifecycle") or {}).get("shock_tick", -1)))
    return Spec(" ".join(question.split()), outcomes, list(ans.get("over_time") or []), shock)
