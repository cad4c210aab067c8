"""The classroom dashboard: a Mesa SolaraViz app over ``MarketModel``.

Start it with ``relsim dashboard [FILE]`` or ``solara run sim/dashboard.py``.
With a scenario FILE (environment variable ``RELSIM_DASHBOARD_SCENARIO`` when
started by ``solara run``) the market starts from that scenario's parameters;
the sliders then start at the scenario's values.

Controls: Mesa's sliders, each labelled with its current position; they take
effect on Reset, and the summary lists what the next Reset will change.

Charts (ECharts, drawn in the browser): stage counts over time, mean trust and
commitment, dissolutions by cause; a network of exporters (inner ring) and
buyers (outer ring) whose edges are the live trading relationships coloured by
stage. Node positions are computed once per market, from the agents'
shared-values vectors (a radial edge joins partners whose values are close).
The chart builders (``*_chart``) are pure functions of the model; each chart is
sent as a static option (once per Reset) plus a per-step update (the series'
data) that the browser merges in place.

Per Step, relsim's components re-render together in one render pass (see
``Session``); Mesa's own step counter adds one more.

The engine never imports this module.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import warnings
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import solara
import traitlets
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter
from solara.components.echarts import EchartsWidget

from sim import i18n
from sim.model import MarketModel
from sim.policies import POLICIES
from sim.vocab import AWARENESS, DISSOLVED
from sim.parameters import BY_NAME, DEFAULTS
from sim.vocab import CAUSES, DISSOLUTION_CAUSES, STAGES

SCENARIO_ENV = "RELSIM_DASHBOARD_SCENARIO"
LANG_ENV = "RELSIM_DASHBOARD_LANG"
#: the language of the words shown (``relsim dashboard --lang``; sim.i18n)
LANG = os.environ.get(LANG_ENV, "en") if os.environ.get(LANG_ENV, "en") in i18n.LANGS else "en"


def W(key: str, **values) -> str:
    """The dashboard's text ``key`` in its language."""
    return i18n.word(LANG, key, **values)


def _stage(s: str) -> str:
    return i18n.STAGES[LANG][s]

# solara warns at every page load served on an address other than "localhost" (127.0.0.1, a classroom's
# network) that its session cookie falls back to samesite=lax: expected over plain http, and a dozen
# lines per browser connection in the teacher's terminal
warnings.filterwarnings("ignore", message="Cookies with samesite=none require https", category=UserWarning)

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
        # Mesa's Reset passes the controls' values; a control never moved arrives as its reactive
        kwargs = {k: (v.value if isinstance(v, solara.Reactive) else v) for k, v in kwargs.items()}
        #: the seed the market was built with (the Seed control)
        self.seed = kwargs.get("rng")
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

    @property
    def timeseries(self):
        """``MarketModel.timeseries``, built once per tick (the summary and two charts read it)."""
        if getattr(self, "_ts_tick", None) != self.steps:
            self._ts, self._ts_tick = super().timeseries, self.steps
        return self._ts

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
        "xAxis": {"type": "value", "name": W("tick_axis"), "nameLocation": "middle", "nameGap": 22, "minInterval": 1},
        "yAxis": {"type": "value", "min": y_range[0], "max": y_range[1]},
        "series": series,
    }


def stage_chart(model: MarketModel) -> dict:
    """Relationships in each stage over time."""
    ts = model.timeseries
    series = [
        {"name": _stage(s), "type": "line", "showSymbol": False, "color": STAGE_COLORS[s],
         "lineStyle": {"type": "dashed" if s == "awareness" else "solid"},
         "data": _series_xy(ts["tick"], ts[f"n_{s}"])}
        for s in STAGES[:4]
    ]
    return _time_chart(W("chart_stages"), series)


def trust_chart(model: MarketModel) -> dict:
    """Mean trust, commitment and satisfaction of trading relationships over time."""
    ts = model.timeseries
    lines = ((W("mean_trust"), "mean_trust", "#1f77b4"), (W("mean_commitment"), "mean_commitment", "#2ca02c"),
             (W("mean_satisfaction"), "mean_satisfaction", "#7f7f7f"))
    series = [{"name": name, "type": "line", "showSymbol": False, "color": color,
               "data": _series_xy(ts["tick"], ts[col])} for name, col, color in lines]
    return _time_chart(W("chart_trust"), series, (-0.5, 1.0))


def dissolution_chart(model: ClassroomMarket) -> dict:
    """Cumulative dissolutions of trading relationships, stacked by cause."""
    counts = model.dissolved_by_cause
    ticks = np.arange(counts.shape[0])
    series = [{"name": i18n.CAUSES[LANG][c], "type": "line", "stack": "causes", "areaStyle": {},
               "showSymbol": False, "color": CAUSE_COLORS[c], "data": counts[:, i].tolist()}
              for i, c in enumerate(TRADING_CAUSES)]
    option = _time_chart(W("chart_dissolutions", n=model.lapsed_awareness),
                         series, (0, None))
    # every cause in the legend: a plain legend wraps onto a second row (a scrolling one hides causes)
    option["legend"] = {**option["legend"], "type": "plain", "left": 8, "right": 8, "itemGap": 8}
    option["grid"] = {**option["grid"], "top": 84}
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
        segs = np.stack([pe[e[pick]], pb[b[pick]]], axis=1).tolist()  # [[x0, y0], [x1, y1]] per edge
        series.append({"name": _stage(s), "type": "lines", "coordinateSystem": "cartesian2d", "silent": True,
                       "lineStyle": {"color": STAGE_COLORS[s], "width": 0.8, "opacity": 0.75}, "data": segs})
    partner = model.buyers.partnership
    for name, mask, color in ((W("partnership_buyers"), partner, "#444444"),
                              (W("transactional_buyers"), ~partner, "#bbbbbb")):
        series.append({"name": name, "type": "scatter", "symbolSize": 3, "color": color, "silent": True,
                       "large": True, "largeThreshold": 0, "data": pb[mask].tolist()})
    active = model.exporters.active
    series.append({"name": W("exporters"), "type": "scatter", "symbolSize": 10, "color": "#000000", "z": 5, "silent": True,
                   "data": [{"value": xy, "itemStyle": {"color": "#000000" if a else "#ffffff",
                                                        "borderColor": "#000000"}}
                            for xy, a in zip(pe.tolist(), active.tolist())]})
    axis = {"type": "value", "min": -1.08, "max": 1.08, "show": False}
    return {
        "animation": False,
        "title": {"text": W("chart_network", t=model.steps, n=int(e.size)), "left": "center",
                  "textStyle": {"fontSize": 13}},
        "legend": {"top": 22, "textStyle": {"fontSize": 11},
                   "itemWidth": 16, "data": [*map(_stage, ("exploration", "expansion", "commitment")), W("exporters")]},
        "grid": {"left": 5, "right": 5, "top": 46, "bottom": 4},  # in the 350 x 390 box: a square plot
        "xAxis": axis,
        "yAxis": dict(axis),
        "series": series,
    }


def _fmt(name: str, value: Any) -> str:
    """A control's value as shown to the class: as many decimals as the slider's step."""
    if name not in CONTROLS or isinstance(value, str):
        return str(value)
    step = CONTROLS[name][4]
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0
    text = f"{value:.{decimals}f}"
    return text if float(text) == value else f"{value:g}"


def market_settings(model: ClassroomMarket) -> dict[str, Any]:
    """The controls' values the market was built with (at its last Reset): control name -> value."""
    return {**{k: model.p[k] for k in CONTROLS}, "policy": model.p["policy"], "rng": model.seed}


def pending_changes(model: ClassroomMarket, controls: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Controls whose current position differs from the running market: name -> (now, next Reset)."""
    now = market_settings(model)
    return {k: (now[k], v) for k, v in controls.items() if k in now and v != now[k]}


def summary_lines(model: ClassroomMarket, controls: dict[str, Any] | None = None) -> list[str]:
    """Plain lines: tick and size; the running market's settings; what the next Reset changes; counts.

    ``controls`` are the controls' current positions (name -> value); the "next Reset" line
    appears only when one of them differs from the running market.
    """
    p = model.p
    lines = [
        f"{W('tick')} {model.steps} · {p['n_exporters']} {W('exporters')} × {p['n_buyers']} {W('buyers')} · "
        f"{W('policy')} {p['policy']}",
        W("running") + ": "
        + " · ".join(f"{LABELS[k].lower()} {_fmt(k, p[k])}" for k in CONTROLS
                     if k not in ("n_exporters", "n_buyers")) + f" · {W('seed')} {model.seed}",
    ]
    if controls is not None:
        changes = pending_changes(model, controls)
        if changes:
            lines.append(W("next_reset") + ": " + " · ".join(
                f"{LABELS[k].lower()} {_fmt(k, old)} → {_fmt(k, new)}" for k, (old, new) in changes.items())
                + " — " + W("press_reset"))
    if not model.steps:
        return lines + [W("press_step")]
    last = model.timeseries.iloc[-1]
    return lines + [
        f"{_stage('exploration')} {int(last.n_exploration)} · {_stage('expansion')} {int(last.n_expansion)} · "
        f"{_stage('commitment')} {int(last.n_commitment)} · {W('dissolved_so_far')} {int(last.n_dissolved)}",
        f"{W('mean_trust')} {last.mean_trust:.2f} · {W('mean_commitment')} {last.mean_commitment:.2f} · "
        f"{W('retention_tick')} {last.retention_rate:.3f}",
    ]


# ---- the chart widget ----------------------------------------------------------------
#: series whose data never change for a market (drawn once per Reset, never re-sent)
STATIC_SERIES = frozenset({W("partnership_buyers"), W("transactional_buyers")})


def split_option(option: dict) -> tuple[str, str]:
    """An ECharts option as (static JSON, per-step JSON).

    The static part (axes, legend, styles, fixed series) is the same on every step
    of a market, so reacton sends it only after a Reset; the per-step part holds
    the title, the series' data (matched by series name) and a category axis' ticks.
    In the browser the per-step part is merged into the chart (``setOption`` with
    ``notMerge=false``) instead of rebuilding the whole chart.
    """
    static = {**option, "title": {**option["title"], "text": ""}}
    update: dict[str, Any] = {"title": {"text": option["title"]["text"]}, "series": []}
    static["series"] = []
    for s in option["series"]:
        if s["name"] in STATIC_SERIES:
            static["series"].append(s)
        else:
            static["series"].append({**s, "data": []})
            update["series"].append({"name": s["name"], "data": s["data"]})
    if "data" in option.get("xAxis", {}):
        static["xAxis"] = {**option["xAxis"], "data": []}
        update["xAxis"] = {"data": option["xAxis"]["data"]}
    dump = lambda o: json.dumps(o, allow_nan=False, separators=(",", ":"))  # noqa: E731
    return dump(static), dump(update)


def _echarts_template() -> str:
    """Solara's ECharts template, reading a static option and merging a per-step one (JSON strings)."""
    text = Path(inspect.getfile(EchartsWidget)).with_name("echarts.vue").read_text()
    watch_start, watch_end = text.find("  watch: {"), text.find("  methods: {")
    create = "this.chart.setOption(this.option, true);"
    if watch_start < 0 or watch_end < watch_start or text.count(create) != 2:
        raise RuntimeError("solara's echarts.vue changed; update sim/dashboard.py")
    watch = """  watch: {
    option_json() { this.draw(true); },
    update_json() { this.draw(false); },
  },
"""
    draw = """    draw(full) {
      // chart is created asynchronously (after echarts.js loads); create() draws then
      if (!this.chart) return;
      if (full) this.chart.setOption(JSON.parse(this.option_json), true);
      this.chart.setOption(JSON.parse(this.update_json), false);
    },
"""
    text = text[:watch_start] + watch + text[watch_end:]
    text = text.replace("  methods: {\n", "  methods: {\n" + draw, 1)
    return text.replace(create, "this.draw(true);")


class JsonEcharts(EchartsWidget):
    """An ECharts widget drawn from two JSON strings: a static option and a per-step update.

    Strings keep reacton's comparison cheap (one string compare, not a walk of
    nested lists); the split keeps each step's message small and lets ECharts
    update the series in place.
    """

    template_file = None
    template = traitlets.Unicode(_echarts_template()).tag(sync=True)
    option_json = traitlets.Unicode("{}").tag(sync=True)
    update_json = traitlets.Unicode("{}").tag(sync=True)


def _chart(option: dict, css_class: str, height: int = 340, width: int | None = None):
    size = f"height: {height}px; width: {width}px; margin: 0 auto;" if width else f"height: {height}px; width: 100%;"
    static, update = split_option(option)
    with solara.Column(classes=[css_class], style={"width": "100%"}) as col:
        JsonEcharts.element(option_json=static, update_json=update, attributes={"style": size}, responsive=True)
    return col


# ---- solara components ---------------------------------------------------------------
class Session:
    """What one browser session's components share (provided by ``Page`` as a solara context).

    ``tick``: a reactive that moves once per step or reset. Mesa's SolaraViz bumps its
    global ``update_counter``, and every component reading it is re-rendered in a render
    pass of its own; relaying it through one subscription (``relay``) makes all of
    relsim's components re-render together, in one pass.
    ``controls``: one reactive per control, bound two-way to Mesa's sliders: their
    current positions, which the next Reset will use.
    """

    def __init__(self, controls: dict[str, solara.Reactive]):
        self.tick = solara.reactive(0)
        self.controls = controls

    def relay(self):
        """Subscribe ``tick`` to Mesa's update counter; returns the unsubscribe function (a use_effect)."""
        return update_counter.subscribe(lambda value: self.tick.set(value))

    def positions(self) -> dict[str, Any]:
        return {k: r.value for k, r in self.controls.items()}


session_context = solara.create_context(None)


def _tick() -> None:
    """Follow the session's step counter (Mesa's own, when rendered outside ``Page``)."""
    session = solara.use_context(session_context)
    (session.tick if session is not None else update_counter).get()


@solara.component
def NetworkView(model):
    _tick()
    return _chart(network_chart(model), "relsim-network", 390, 350)


@solara.component
def StageChart(model):
    _tick()
    return _chart(stage_chart(model), "relsim-stages")


@solara.component
def TrustChart(model):
    _tick()
    return _chart(trust_chart(model), "relsim-trust")


@solara.component
def DissolutionChart(model):
    _tick()
    return _chart(dissolution_chart(model), "relsim-dissolutions")


@solara.component
def Summary(model):
    _tick()
    session = solara.use_context(session_context)
    lines = summary_lines(model, session.positions() if session is not None else None)
    with solara.Column(classes=["relsim-summary"], gap="6px") as col:
        solara.Text(lines[0], style={"font-weight": "bold", "font-size": "1.1em"})
        for line in lines[1:]:
            if line.startswith(W("next_reset") + ":"):  # controls moved since the last Reset
                solara.Text(line, classes=["relsim-pending"], style={"color": "#b35900", "font-weight": "bold"})
            else:
                solara.Text(line)
    return col


COMPONENTS = [Summary, NetworkView, StageChart, TrustChart, DissolutionChart]

# ---- controls ------------------------------------------------------------------------
#: control name -> (label, widget, min, max, step); min/max within the parameter's allowed range
CONTROLS: dict[str, tuple[str, str, float, float, float]] = {
    "n_exporters": ("Exporters", "SliderInt", 2, 100, 1),
    "n_buyers": ("Buyers", "SliderInt", 50, 2000, 50),
    "contact_budget": ("Relationship budget per exporter (money/tick)", "SliderFloat", 0.0, 4.0, 0.1),
    "values_spread": ("Spread of shared values", "SliderFloat", 0.0, 3.0, 0.1),
    "switching_cost_strength": ("Switching-cost strength", "SliderFloat", 0.0, 5.0, 0.1),
    "opportunism_mean": ("Opportunism (mean)", "SliderFloat", 0.0, 0.5, 0.01),
    "partnership_share": ("Share of partnership buyers", "SliderFloat", 0.0, 1.0, 0.05),
    "beta": ("Intensity of choice (beta)", "SliderFloat", 0.0, 20.0, 0.5),
}
SEED_MAX = 999
LABELS = {**{k: W(k) for k in CONTROLS}, "policy": W("retention_policy"), "rng": W("rng")}


def representable(value: float, lo: float, hi: float, step: float) -> tuple[float, float, float]:
    """A slider's (min, max, step) widened and refined so that ``value`` is one of its positions.

    The range grows to include ``value``; the step becomes the largest divisor of the usual step that
    reaches ``value`` from ``min`` in whole steps (exact decimal arithmetic: 120 buyers on a 50-step
    slider from 50 give a step of 10; a spread of 0.65 on a 0.1-step slider gives 0.05).
    """
    lo, hi = min(lo, value), max(hi, value)
    scale = 10**9  # steps on a grid of 1e-9: the decimals a scenario file holds, not binary fractions
    units = math.gcd(round(step * scale), round((value - lo) * scale)) or round(step * scale)
    fine = Fraction(units, scale)
    return lo, hi, (int(fine) if fine.denominator == 1 else float(fine))


def model_params(base: dict[str, Any] | None = None, seed: int = 1) -> dict[str, Any]:
    """SolaraViz ``model_params``: the classroom controls plus every other kwarg of ``base`` fixed.

    Sliders start at ``base``'s values (the defaults without a scenario); a slider's range and step
    adapt so that a scenario's value is one of its positions (``representable``), the seed's too.
    """
    base = dict(DEFAULTS if base is None else {**DEFAULTS, **base})
    params: dict[str, Any] = {}
    for name, (label, widget, lo, hi, step) in CONTROLS.items():
        value = base[name]
        lo, hi, step = representable(value, lo, hi, step)
        params[name] = {"type": widget, "label": LABELS[name], "value": value, "min": lo, "max": hi, "step": step}
    params["policy"] = {"type": "Select", "label": LABELS["policy"], "value": base["policy"],
                        "values": sorted(POLICIES)}
    params["rng"] = {"type": "SliderInt", "label": LABELS["rng"], "value": int(seed), "min": 0,
                     "max": max(SEED_MAX, int(seed)), "step": 1}
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


def warm_up() -> None:
    """Run a tiny market for a few ticks, so the engine's compiled kernels load at start-up, not on the first Step."""
    ClassroomMarket(n_exporters=3, n_buyers=40, rng=0).run_for(15)


warm_up()
_BASE, _SEED = scenario_kwargs(os.environ.get(SCENARIO_ENV))
PARAMS_UI = model_params(_BASE, _SEED)
TITLE = W("dash_title") + (f": {os.path.basename(os.environ[SCENARIO_ENV])}" if os.environ.get(SCENARIO_ENV) else "")

#: the sidebar's sliders: label above a full-width track, so the value in the label never moves the track;
#: Mesa's own settings (play and render interval, threads), its "Information" card (model time; the summary
#: shows the tick) and its single "Page 0" tab are hidden: the class sees Reset, ▶ and Step, the market's
#: controls, and the charts
CSS = """
.v-input__slider .v-input__slot { flex-wrap: wrap; }
.v-input__slider .v-input__slot > .v-label { width: 100%; margin-bottom: -6px; }
.v-input__slider .v-input__slot > .v-slider { flex: 1 0 100%; }
.v-navigation-drawer .v-card:first-of-type .v-input__slider, .v-navigation-drawer .v-card:first-of-type .v-input--checkbox,
.v-navigation-drawer .v-card:first-of-type .v-input--selection-controls,
.v-navigation-drawer .v-card:last-of-type { display: none !important; }
.v-tabs { display: none !important; }
"""


def labelled(params: dict[str, Any], positions: dict[str, Any]) -> dict[str, Any]:
    """``params`` with each slider's label showing its current position ("Exporters: 12")."""
    out = dict(params)
    for name, value in positions.items():
        spec = params[name]
        if spec["type"].startswith("Slider"):
            out[name] = {**spec, "label": f"{spec['label']}: {_fmt(name, value)}"}
    return out


@solara.component
def Page():
    """One market per browser session, built from the controls' starting values."""
    model = solara.use_memo(lambda: make_model(PARAMS_UI), [])
    names = [k for k, v in PARAMS_UI.items() if isinstance(v, dict) and "type" in v]
    # one reactive per control, handed to Mesa's inputs as their value: they bind to it both ways
    controls = {k: solara.use_reactive(PARAMS_UI[k]["value"]) for k in names}  # noqa: SH103 (fixed order)
    session = solara.use_memo(lambda: Session(controls), [])
    solara.use_effect(session.relay, [])
    session_context.provide(session)
    params = {k: ({**v, "value": controls[k]} if k in controls else v) for k, v in PARAMS_UI.items()}
    solara.Style(CSS)
    SolaraViz(model, components=list(COMPONENTS), model_params=labelled(params, session.positions()),
                     name=TITLE, play_interval=50)


page = Page
