"""The classroom dashboard: a Mesa SolaraViz app over ``MarketModel``.

Start it with ``relsim dashboard [FILE]`` or ``solara run sim/dashboard.py``.
With a scenario FILE (environment variable ``RELSIM_DASHBOARD_SCENARIO`` when
started by ``solara run``) the market starts from that scenario's parameters;
the sliders then start at the scenario's values.

Charts (ECharts, drawn in the browser from one JSON option per chart and step):
stage counts over time, mean trust and commitment, dissolutions by cause; a
network of exporters (inner ring) and buyers (outer ring) whose edges are the
live trading relationships coloured by stage. Node positions are computed once
per market, from the agents' shared-values vectors (a radial edge joins
partners whose values are close); each step only redraws the edges. The chart
builders (``*_chart``) are pure functions of the model.

The engine never imports this module.
"""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import solara
import traitlets
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter
from solara.components.echarts import EchartsWidget

from sim import POLICIES, MarketModel
from sim.ledger import AWARENESS, DISSOLVED
from sim.parameters import BY_NAME, DEFAULTS, DISSOLUTION_CAUSES, STAGES, CAUSES

SCENARIO_ENV = "RELSIM_DASHBOARD_SCENARIO"

#: stage -> colour, shared by the stage chart and the network's edges
STAGE_COLORS = {
    "awareness": "#b0b0b0",
    "exploration": "#4c9be8",
    "expansion": "#f28e2b",
    "commitment": "#2ca02c",
    "dissolved": "#d62728",
}
#: trading-relationship dissolution causes shown in the dissolution chart
TRADING_CAUSES = tuple(c for c in DISSOLUTION_CAUSES if c != "lapsed")
CAUSE_COLORS = dict(zip(TRADING_CAUSES, ("#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")))
INNER, OUTER = 0.45, 1.0  # ring radii of exporters and buyers


# ---- the market as the dashboard sees it ------------------------------------------
class ClassroomMarket(MarketModel):
    """``MarketModel`` plus what the dashboard draws: a fixed layout and a dissolution tally.

    Construction arguments are exactly ``MarketModel``'s.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.layout_exporters, self.layout_buyers = ring_layout(
            self.exporters.values, self.buyers.values
        )
        #: cumulative dissolutions of trading relationships, one row per tick, one column per cause
        self.dissolved_by_cause = np.zeros((1, len(TRADING_CAUSES)), dtype=np.int64)
        #: cumulative dissolutions of awareness that never led to a trial order
        self.lapsed_awareness = 0

    def step(self) -> None:
        n_archived = len(self.ledger.archive)
        super().step()
        self._tally(n_archived)

    def _tally(self, n_archived: int) -> None:
        """Count the rows dissolved this tick, by cause, split into trading and awareness-only."""
        L, t = self.ledger, self.steps
        ended = [(L.stage, L.ended, L.peak, L.cause)]
        # rows dissolved this tick may already have been archived (cooldown 0)
        ended += [(a["stage"], a["ended"], a["peak"], a["cause"]) for a in L.archive[n_archived:]]
        counts = np.zeros(len(CAUSES), dtype=np.int64)
        for stage, end, peak, cause in ended:
            now = (stage == DISSOLVED) & (end == t)
            counts += np.bincount(cause[now & (peak > AWARENESS)], minlength=len(CAUSES))
            self.lapsed_awareness += int(np.count_nonzero(now & (peak == AWARENESS)))
        row = self.dissolved_by_cause[-1] + counts[[CAUSES.index(c) for c in TRADING_CAUSES]]
        self.dissolved_by_cause = np.vstack([self.dissolved_by_cause, row])

    def live_edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(exporter, buyer, stage) of every trading relationship (exploration to commitment)."""
        L = self.ledger
        live = (L.stage > AWARENESS) & (L.stage < DISSOLVED)
        return L.exporter[live], L.buyer[live], L.stage[live]


# Mesa's Reset passes a ``scenario`` to models that take **kwargs; ours takes exactly the parameters.
ClassroomMarket.__init__.__signature__ = inspect.signature(MarketModel.__init__)


def ring_layout(exporter_values: np.ndarray, buyer_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exporters on an inner ring, buyers on an outer one, placed by the angle of their values.

    The values vectors of everyone are projected on their two main axes (PCA,
    computed once); an agent's angle on its ring is the angle of its projection,
    so partners with similar values sit at similar angles.
    """
    v = np.vstack([exporter_values, buyer_values]).astype(np.float64)
    v = v - v.mean(axis=0)
    if v.shape[1] >= 2 and np.any(v):
        _, _, vt = np.linalg.svd(v, full_matrices=False)
        xy = v @ vt[:2].T
        angle = np.arctan2(xy[:, 1], xy[:, 0])
    else:  # one dimension or all alike: spread evenly, exporters and buyers each
        angle = np.r_[
            np.linspace(0, 2 * np.pi, len(exporter_values), endpoint=False),
            np.linspace(0, 2 * np.pi, len(buyer_values), endpoint=False),
        ]
    unit = np.c_[np.cos(angle), np.sin(angle)]
    n_e = len(exporter_values)
    return INNER * unit[:n_e], OUTER * unit[n_e:]


# ---- charts (pure functions of the model -> ECharts options; drawn in the browser) ---
def _series_xy(x, y) -> list[list[float]]:
    """[[x, y], ...] with NaN as None (a gap), rounded for a small payload."""
    y = np.round(np.asarray(y, dtype=np.float64), 4)
    return [[int(a), (None if b != b else float(b))] for a, b in zip(np.asarray(x), y)]


def _time_chart(title: str, series: list[dict], y_range=(None, None)) -> dict:
    return {
        "animation": False,
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 13}},
        "legend": {"top": 24, "type": "scroll", "textStyle": {"fontSize": 11}},
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 56, "right": 16, "top": 64, "bottom": 36},
        "xAxis": {"type": "value", "name": "tick", "nameLocation": "middle", "nameGap": 22, "minInterval": 1},
        "yAxis": {"type": "value", "min": y_range[0], "max": y_range[1]},
        "series": series,
    }


def stage_chart(model: MarketModel) -> dict:
    """Relationships in each stage over time."""
    ts = model.timeseries
    series = [
        {"name": s, "type": "line", "showSymbol": False, "color": STAGE_COLORS[s],
         "lineStyle": {"type": "dashed" if s == "awareness" else "solid"},
         "data": _series_xy(ts["tick"], ts[f"n_{s}"])}
        for s in STAGES[:4]
    ]
    return _time_chart("Relationships by stage", series)


def trust_chart(model: MarketModel) -> dict:
    """Mean trust, commitment and satisfaction of trading relationships over time."""
    ts = model.timeseries
    lines = (("mean trust", "mean_trust", "#1f77b4"), ("mean commitment", "mean_commitment", "#2ca02c"),
             ("mean satisfaction", "mean_satisfaction", "#7f7f7f"))
    series = [{"name": name, "type": "line", "showSymbol": False, "color": color,
               "data": _series_xy(ts["tick"], ts[col])} for name, col, color in lines]
    return _time_chart("Trust and commitment (trading relationships)", series, (-0.5, 1.0))


def dissolution_chart(model: ClassroomMarket) -> dict:
    """Cumulative dissolutions of trading relationships, stacked by cause."""
    counts = model.dissolved_by_cause
    ticks = np.arange(counts.shape[0])
    series = [{"name": c.replace("_", " "), "type": "line", "stack": "causes", "areaStyle": {},
               "showSymbol": False, "color": CAUSE_COLORS[c], "data": counts[:, i].tolist()}
              for i, c in enumerate(TRADING_CAUSES)]
    option = _time_chart(f"Dissolutions by cause, cumulative ({model.lapsed_awareness} unused awareness lapsed)",
                         series, (0, None))
    # stacking needs a category x axis (on two value axes ECharts would stack along x)
    option["xAxis"] = {**option["xAxis"], "type": "category", "boundaryGap": False, "data": ticks.tolist()}
    return option


def network_chart(model: ClassroomMarket) -> dict:
    """Exporters (inner ring) and buyers (outer ring); edges are trading relationships by stage."""
    e, b, stage = model.live_edges()
    pe = np.round(model.layout_exporters, 3)
    pb = np.round(model.layout_buyers, 3)
    series = []
    for code, s in enumerate(STAGES[:4]):
        if s == "awareness":
            continue
        pick = stage == code
        segs = np.stack([pe[e[pick]], pb[b[pick]]], axis=1).tolist()
        series.append({"name": s, "type": "lines", "coordinateSystem": "cartesian2d", "silent": True,
                       "lineStyle": {"color": STAGE_COLORS[s], "width": 0.8, "opacity": 0.75},
                       "data": [{"coords": c} for c in segs]})
    partner = model.buyers.partnership
    for name, mask, color in (("partnership buyers", partner, "#444444"),
                              ("transactional buyers", ~partner, "#bbbbbb")):
        series.append({"name": name, "type": "scatter", "symbolSize": 3, "color": color,
                       "data": pb[mask].tolist()})
    active = model.exporters.active
    series.append({"name": "exporters", "type": "scatter", "symbolSize": 10, "color": "#000000", "z": 5,
                   "data": [{"value": xy, "itemStyle": {"color": "#000000" if a else "#ffffff",
                                                        "borderColor": "#000000"}}
                            for xy, a in zip(pe.tolist(), active.tolist())]})
    axis = {"type": "value", "min": -1.08, "max": 1.08, "show": False}
    return {
        "animation": False,
        "title": {"text": f"Tick {model.steps}: {int(e.size)} trading relationships", "left": "center",
                  "textStyle": {"fontSize": 13}},
        "legend": {"top": 22, "textStyle": {"fontSize": 11},
                   "itemWidth": 16, "data": ["exploration", "expansion", "commitment", "exporters"]},
        "grid": {"left": 5, "right": 5, "top": 46, "bottom": 4},  # in the 350 x 390 box: a square plot
        "xAxis": axis,
        "yAxis": dict(axis),
        "series": series,
    }


def summary_lines(model: ClassroomMarket) -> list[str]:
    """Plain lines: tick, the market's settings (the sliders' values at the last Reset), counts."""
    p = model.p
    lines = [
        f"Tick {model.steps} · {p['n_exporters']} exporters × {p['n_buyers']} buyers · policy {p['policy']}",
        " · ".join(f"{CONTROLS[k][0].lower()} {p[k]:g}" for k in CONTROLS if k not in ("n_exporters", "n_buyers")),
        "Moved a slider? Press Reset to start a new market with it.",
    ]
    if not model.steps:
        return lines + ["Press Step or ▶ to start the market."]
    last = model.timeseries.iloc[-1]
    return lines + [
        f"exploration {int(last.n_exploration)} · expansion {int(last.n_expansion)} · "
        f"commitment {int(last.n_commitment)} · dissolved so far {int(last.n_dissolved)}",
        f"mean trust {last.mean_trust:.2f} · mean commitment {last.mean_commitment:.2f} · "
        f"retention this tick {last.retention_rate:.3f}",
    ]


# ---- solara components ---------------------------------------------------------------
def _echarts_template() -> str:
    """Solara's ECharts template, reading the option from a JSON string."""
    text = Path(inspect.getfile(EchartsWidget)).with_name("echarts.vue").read_text()
    patched = text.replace("setOption(this.option, true)", "setOption(JSON.parse(this.option_json), true)")
    patched = patched.replace("    option() {", "    option_json() {")
    if patched.count("JSON.parse(this.option_json)") != 2 or "option_json() {" not in patched:
        raise RuntimeError("solara's echarts.vue changed; update sim/dashboard.py")
    return patched


class JsonEcharts(EchartsWidget):
    """An ECharts widget whose option travels as one JSON string.

    A large option passed as a nested dict would make reacton walk every nested
    list on each render (several renders per step); a string is compared once.
    """

    template_file = None
    template = traitlets.Unicode(_echarts_template()).tag(sync=True)
    option_json = traitlets.Unicode("{}").tag(sync=True)


def _chart(option: dict, css_class: str, height: int = 340, width: int | None = None):
    size = f"height: {height}px; width: {width}px; margin: 0 auto;" if width else f"height: {height}px; width: 100%;"
    with solara.Column(classes=[css_class], style={"width": "100%"}) as col:
        JsonEcharts.element(option_json=json.dumps(option, allow_nan=False), attributes={"style": size},
                            responsive=True)
    return col


# Solara components (not plain functions): SolaraViz keeps them mounted across renders,
# and each re-renders when SolaraViz's update counter moves (a step or a reset).
@solara.component
def NetworkView(model):
    update_counter.get()
    return _chart(network_chart(model), "relsim-network", 390, 350)


@solara.component
def StageChart(model):
    update_counter.get()
    return _chart(stage_chart(model), "relsim-stages")


@solara.component
def TrustChart(model):
    update_counter.get()
    return _chart(trust_chart(model), "relsim-trust")


@solara.component
def DissolutionChart(model):
    update_counter.get()
    return _chart(dissolution_chart(model), "relsim-dissolutions")


@solara.component
def Summary(model):
    update_counter.get()
    lines = summary_lines(model)
    with solara.Column(classes=["relsim-summary"], gap="6px") as col:
        solara.Text(lines[0], style={"font-weight": "bold", "font-size": "1.1em"})
        for line in lines[1:]:
            solara.Text(line)
    return col


COMPONENTS = [Summary, NetworkView, StageChart, TrustChart, DissolutionChart]


# ---- controls ------------------------------------------------------------------------
#: control name -> (label, widget, min, max, step); min/max within the parameter's allowed range
CONTROLS: dict[str, tuple[str, str, float, float, float]] = {
    "n_exporters": ("Exporters", "SliderInt", 2, 100, 1),
    "n_buyers": ("Buyers", "SliderInt", 50, 2000, 50),
    "contact_budget": ("Contact budget per exporter", "SliderFloat", 0.0, 200.0, 5.0),
    "values_spread": ("Spread of shared values", "SliderFloat", 0.0, 3.0, 0.1),
    "switching_cost_strength": ("Switching-cost strength", "SliderFloat", 0.0, 5.0, 0.1),
    "opportunism_mean": ("Opportunism (mean)", "SliderFloat", 0.0, 0.5, 0.01),
    "partnership_share": ("Share of partnership buyers", "SliderFloat", 0.0, 1.0, 0.05),
    "beta": ("Intensity of choice (beta)", "SliderFloat", 0.0, 20.0, 0.5),
}
SEED_MAX = 999


def model_params(base: dict[str, Any] | None = None, seed: int = 1) -> dict[str, Any]:
    """SolaraViz ``model_params``: the classroom controls plus every other kwarg of ``base`` fixed.

    Sliders start at ``base``'s values (the defaults without a scenario); a slider's
    range widens to include a scenario value outside it.
    """
    base = dict(DEFAULTS if base is None else {**DEFAULTS, **base})
    params: dict[str, Any] = {}
    for name, (label, widget, lo, hi, step) in CONTROLS.items():
        value = base[name]
        params[name] = {"type": widget, "label": label, "value": value,
                        "min": min(lo, value), "max": max(hi, value), "step": step}
    params["policy"] = {"type": "Select", "label": "Retention policy", "value": base["policy"],
                        "values": sorted(POLICIES)}
    params["rng"] = {"type": "SliderInt", "label": "Seed", "value": int(seed) % (SEED_MAX + 1),
                     "min": 0, "max": SEED_MAX, "step": 1}
    for name, value in base.items():
        if name not in params and value != DEFAULTS[name]:
            params[name] = value  # fixed: from the scenario file
    return params


def scenario_kwargs(path: str | os.PathLike | None) -> tuple[dict[str, Any], int]:
    """Flat MarketModel kwargs and seed of a scenario file (defaults when ``path`` is None)."""
    if not path:
        return {}, 1
    from sim.scenarios import load_scenario  # the scenario layer; optional for the dashboard

    scenario = load_scenario(path)
    kwargs = scenario.model_kwargs()
    kwargs = {k: v for k, v in kwargs.items() if k in BY_NAME}
    return kwargs, int(scenario.seed)


def make_model(params: dict[str, Any]) -> ClassroomMarket:
    """The market SolaraViz starts with: the controls' values and the fixed parameters."""
    kwargs = {k: (v["value"] if isinstance(v, dict) else v) for k, v in params.items()}
    return ClassroomMarket(**kwargs)


_BASE, _SEED = scenario_kwargs(os.environ.get(SCENARIO_ENV))
PARAMS_UI = model_params(_BASE, _SEED)
TITLE = "relsim classroom" + (f": {os.path.basename(os.environ[SCENARIO_ENV])}" if os.environ.get(SCENARIO_ENV) else "")


@solara.component
def Page():
    """One market per browser session, built from the controls' starting values."""
    model = solara.use_memo(lambda: make_model(PARAMS_UI), [])
    return SolaraViz(model, components=list(COMPONENTS), model_params=PARAMS_UI, name=TITLE,
                     play_interval=50)


page = Page
