"""Build the validation report: run every experiment, write its data, draw figures from the data, write markdown.

``build(quick=False)`` regenerates ``docs/validation.md`` with its figures in
``docs/figures/validation/`` and the data behind them in ``results/validation/``.
With ``out`` (or ``quick`` without ``out``: ``results/validation-quick``) all
three go under that folder instead (``data/``, ``figures/``, ``validation.md``).
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from . import commitment_trust as ct
from . import figures as fg
from . import lifecycle_stats as lc
from . import retention_economics as rec
from . import sensitivity as sa
from . import wkh
from .runs import ROOT, default_workers, scenario_kwargs
from .settings import FULL, QUICK, Settings


class Paths:
    """Where the report's data, figures and markdown go."""

    def __init__(self, quick: bool, out: str | Path | None):
        if out is None and not quick:
            self.data = ROOT / "results" / "validation"
            self.figures = ROOT / "docs" / "figures" / "validation"
            self.doc = ROOT / "docs" / "validation.md"
        else:
            base = Path(out) if out is not None else ROOT / "results" / "validation-quick"
            self.data, self.figures, self.doc = base / "data", base / "figures", base / "validation.md"
        for p in (self.data, self.figures, self.doc.parent):
            p.mkdir(parents=True, exist_ok=True)

    def fig(self, name: str) -> str:
        """Path of a figure relative to the markdown file."""
        import os

        return os.path.relpath(self.figures / name, self.doc.parent).replace(os.sep, "/")


# ---- markdown helpers ---------------------------------------------------------------------


def md_table(df: pd.DataFrame, floatfmt: str = ".3g") -> str:
    """A GitHub markdown table of ``df`` (no extra dependency)."""

    def cell(v):
        if isinstance(v, (float, np.floating)):
            return "" if not np.isfinite(v) else format(float(v), floatfmt)
        return str(v)

    head = "| " + " | ".join(map(str, df.columns)) + " |"
    sep = "|" + "|".join("---" for _ in df.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, sep, *body])


def _g3(x: float) -> str:
    return format(float(x), ".3g")


def _pct(x: float) -> str:
    return f"{100 * x:+.1f} %"


# ---- sections -----------------------------------------------------------------------------


def section_wkh(s: Settings, P: Paths, workers: int) -> tuple[str, dict]:
    two = wkh.sweep(2, s.wkh2_b, ("uniform", "loyal"), s.wkh_reps, workers, **s.wkh_point)
    pt3 = s.wkh3_point or s.wkh_point
    three = wkh.sweep(3, s.wkh3_b, ("uniform", "loyal"), s.wkh_reps, workers, **pt3)
    pd.concat([two, three], ignore_index=True).to_csv(P.data / "wkh_sweep.csv", index=False)
    mf = pd.concat([wkh.mean_field_curve(2, 5.5), wkh.mean_field_curve(3, 5.5)], ignore_index=True)
    mf.to_csv(P.data / "wkh_mean_field.csv", index=False)
    stock = wkh.limited_stock(s.stock_b, 0.0, 3, s.stock_reps, workers, **s.stock_point)
    stock.to_csv(P.data / "wkh_limited_stock.csv", index=False)

    fg.wkh_loyalty(P.data, P.figures / "wkh_two_sellers.png", 2)
    fg.wkh_loyalty(P.data, P.figures / "wkh_three_sellers.png", 3)
    fg.wkh_stock(P.data, P.figures / "wkh_limited_stock.png")

    sweep_ = pd.read_csv(P.data / "wkh_sweep.csv")
    sweep_["abs_dev"] = (sweep_.loyalty_y - sweep_.mean_field_y).abs()
    t2 = sweep_[sweep_.n_sellers == 2]
    far = t2[(t2.b <= 1.5) | (t2.b >= 2.5)]
    near = t2[(t2.b > 1.5) & (t2.b < 2.5)]
    # for two sellers the loyal branch is the only stable state above b = 2: started-loyal runs
    # reach it fast, started-uniform runs need ~ 1 / (gamma (b/2 - 1)) ticks to break symmetry
    dev2 = far.groupby("start").abs_dev.max()
    near_text = (f"; near b = 2 ({len(near)} runs) critical slowing down and finite-gamma fluctuations "
                 f"make it larger (max {near.abs_dev.max():.3f})") if len(near) else ""
    t3 = sweep_[sweep_.n_sellers == 3].groupby(["b", "start"]).loyalty_y.mean().unstack()
    gap = (t3.get("loyal") - t3.get("uniform")) if {"loyal", "uniform"} <= set(t3.columns) else pd.Series(dtype=float)
    hyst = gap[gap > 0.1]
    st = pd.read_csv(P.data / "wkh_limited_stock.csv")
    lo = st[st.b <= 2.0]
    hi = st[st.b >= 4.0]
    lo_m, hi_m = lo[["loyalty_y", "buyer_payoff", "seller_profit", "fill_rate"]].mean(), hi[["loyalty_y", "buyer_payoff", "seller_profit", "fill_rate"]].mean()
    g_seller = wkh.paired_gain(st, "seller_profit", 2.0, 4.0)
    g_buyer = wkh.paired_gain(st, "buyer_payoff", 2.0, 4.0)
    pd.DataFrame([{"quantity": q, **{k: v for k, v in g.items() if k != "gains"}, "per_replication": " ".join(f"{x:.4f}" for x in g["gains"])}
                  for q, g in (("seller_profit", g_seller), ("buyer_payoff", g_buyer))]).to_csv(P.data / "wkh_limited_stock_gains.csv", index=False)
    gains = pd.read_csv(P.data / "wkh_limited_stock_gains.csv").set_index("quantity")
    gs, gb = gains.loc["seller_profit"], gains.loc["buyer_payoff"]
    both = gs.ci_low > 0 and gb.ci_low > 0
    no_inv = bool((st.inventory_cost == 0).all())
    inv_text = "both zero in `wkh2000.yaml`" if no_inv else f"mean inventory cost {st.inventory_cost.mean():.3g} per seller per tick"
    same_text = ("With no inventory costs a seller's profit is the profit of the visits it serves, and every buyer "
                 "visits once a tick whatever b, so the sellers' gain and the buyers' gain are the same number: the "
                 "fill-rate gain. WKH's sellers also waste less unsold stock in the loyal regime; that channel is "
                 "switched off here by the scenario's zero holding cost." if no_inv else
                 "Sellers' profit also counts holding and stock-out costs, so its gain differs from the buyers'.")
    stock_tab = pd.DataFrame({"regime": ["b <= 2 (disorganised)", "b >= 4 (loyal)"],
                              "loyalty y": [lo_m.loyalty_y, hi_m.loyalty_y],
                              "fill rate": [lo_m.fill_rate, hi_m.fill_rate],
                              "buyer payoff / visit": [lo_m.buyer_payoff, hi_m.buyer_payoff],
                              "seller profit / tick": [lo_m.seller_profit, hi_m.seller_profit]})
    mf_tab = pd.DataFrame({"b": [1.0, 2.5, 3.0, 4.0]})
    mf_tab["y, 2 sellers"] = [wkh.mean_field_y(2, b) for b in mf_tab.b]
    mf_tab["y, 3 sellers from uniform"] = [wkh.mean_field_y(3, b, "uniform") for b in mf_tab.b]
    mf_tab["y, 3 sellers from loyal"] = [wkh.mean_field_y(3, b, "loyal") for b in mf_tab.b]
    base_src = scenario_kwargs("wkh2000")[1]
    pt = s.wkh_point
    gamma = float(sweep_.gamma.iloc[0])
    text = f"""## 1. Loyalty as a phase transition (Weisbuch, Kirman & Herreiner 2000)

**Set-up.** Base parameters from `{base_src}`, then the pure WKH market of the paper's
mean-field analysis: `choice_rule=reinforcement` (each buyer visits one seller per tick by
logit on its preferences J, and reinforces `J <- (1 - gamma) J + profit x served`),
`initial_awareness=all`, no dissolution, no opportunism, no exits, ample stock (every visit
served), gamma = {gamma:g}, profit = 1. Two sellers: {pt.get('n_buyers')} buyers, {pt.get('ticks')} ticks, y averaged
over the last {pt.get('window')}; three sellers: {pt3.get('n_buyers')} buyers, {pt3.get('ticks')} ticks, the last
{pt3.get('window')}; {s.wkh_reps} replication(s) per point.
`beta = b gamma / profit`. Runs *started uniform* begin at the uniform fixed point
(J = profit / (gamma n) for every seller); runs *started loyal* give one random seller 90 %
of the equilibrium preference mass (`initial_preference`, `initial_loyal`).

**Mean field.** Preference shares x = gamma J / profit solve x = softmax(b x); y = sum x^2.
Fixed points with one distinguished seller solve ln(x1/x2) = b (x1 - x2), found with
`scipy.optimize.brentq`; stability from the Jacobian b (diag x - x x^T) - I.
Two sellers: pitchfork at b = 2 (continuous). Three sellers: a loyal branch appears at
b = {wkh.saddle_node_b(3):.3f} (saddle-node) while the uniform state stays stable up to b = 3:
bistability in between, a discontinuous transition with hysteresis.

{md_table(mf_tab)}

![two sellers]({P.fig('wkh_two_sellers.png')})

**Two sellers.** Away from the critical region (b <= 1.5 or b >= 2.5) the largest deviation of
simulated y from the mean field is {dev2.get('uniform', np.nan):.3f} for runs started uniform and
{dev2.get('loyal', np.nan):.3f} for runs started loyal{near_text}.
Started uniform, the symmetric state is unstable above b = 2 but leaves it only at rate
gamma (b/2 - 1): slow close to the threshold, so finite runs lag the mean field there.
Below b = 2 simulated y sits slightly above 1/2 (fluctuations of J of order sqrt(gamma)).

![three sellers]({P.fig('wkh_three_sellers.png')})

**Three sellers.** Runs started loyal stay loyal at b values where runs started uniform stay
disorganised: the started-loyal minus started-uniform gap of y exceeds 0.1 at
b = {', '.join(f'{b:g}' for b in hyst.index) or 'none'}. Inside the mean-field bistable window
({wkh.saddle_node_b(3):.2f} < b < 3) that is true hysteresis: both states are stable
({', '.join(f'{b:g}' for b in hyst.index if wkh.saddle_node_b(3) < b < 3) or 'no simulated b there'}).
Above b = 3 the uniform state is unstable but leaves only at rate gamma (b/3 - 1), about
{1 / (gamma * (3.5 / 3 - 1)):.0f} ticks per e-fold at b = 3.5: a gap there
({', '.join(f'{b:g}' for b in hyst.index if b >= 3) or 'none'}) is slow escape within {pt3.get('ticks')} ticks, not bistability.
Below the saddle-node a gap ({', '.join(f'{b:g}' for b in hyst.index if b <= wkh.saddle_node_b(3)) or 'none'}) means
the started-loyal runs had not yet relaxed (decay rate also proportional to gamma).
The jump of y at the transition is what makes it discontinuous: the mean-field loyal branch starts at y = {wkh.mean_field_y(3, wkh.saddle_node_b(3) + 1e-3, 'loyal'):.2f}, not at 1/3.

**Limited stock: both sides gain from loyalty.** Sellers now stock only what they forecast
(safety stock 0, per-customer exponential smoothing, the scenario's demand noise and
seasonality; the holding and stock-out costs of the scenario: {inv_text}). Buyers are paid only
for served demand, so their payoff per visit is profit x fill rate.

{md_table(stock_tab)}

![limited stock]({P.fig('wkh_limited_stock.png')})

{s.stock_reps} replications; replication r uses the same seed at every b (common random numbers:
the same buyers and the same demand draws), so the loyal-versus-disorganised gain is paired within
a replication: gain_r = mean over b >= 4 / mean over b <= 2 - 1, with a t interval over replications.

| gain in the loyal regime (b >= 4 vs b <= 2) | mean | 95 % CI (paired, t) | per replication |
|---|---|---|---|
| seller profit / tick | {_pct(gs['mean'])} | [{_pct(gs.ci_low)}, {_pct(gs.ci_high)}] | {gs.per_replication} |
| buyer payoff / visit | {_pct(gb['mean'])} | [{_pct(gb.ci_low)}, {_pct(gb.ci_high)}] | {gb.per_replication} |

In the loyal regime the fill rate is {'higher' if hi_m.fill_rate > lo_m.fill_rate else 'NOT higher'}, buyers'
payoff per visit is {'higher' if gb.ci_low > 0 else 'NOT clearly higher'} ({_pct(gb['mean'])}), and sellers' profit is
{'higher' if gs.ci_low > 0 else 'NOT clearly higher'} ({_pct(gs['mean'])}); {'both CIs exclude zero: the paper' + chr(39) + 's finding is reproduced' if both else 'the paper' + chr(39) + 's finding is not reproduced (a CI includes zero)'}.
{same_text}
The mechanism is the one WKH describe: a loyal clientele makes each seller's demand predictable,
so forecasts carry less error, fewer visits go unserved and less stock is left over.
"""
    summary = dict(
        wkh_two_sellers_max_dev_uniform=float(dev2.get("uniform", np.nan)),
        wkh_two_sellers_max_dev_loyal=float(dev2.get("loyal", np.nan)),
        wkh_three_sellers_hysteresis_b=[float(b) for b in hyst.index],
        wkh_limited_stock_buyer_gain=float(gb["mean"]),
        wkh_limited_stock_seller_gain=float(gs["mean"]),
        wkh_limited_stock_seller_gain_ci=[float(gs.ci_low), float(gs.ci_high)],
    )
    return text, summary


def section_ct(s: Settings, P: Paths, workers: int) -> tuple[str, dict]:
    d, cross, panel, changes = ct.simulate(s.ct_runs, workers, **s.ct_size)
    d.to_csv(P.data / "ct_design.csv", index=False)
    cross.to_parquet(P.data / "ct_relationships.parquet", index=False)
    panel.to_parquet(P.data / "ct_panel.parquet", index=False)
    changes.to_parquet(P.data / "ct_commitment_changes.parquet", index=False)
    cross, panel, changes = (pd.read_parquet(P.data / f) for f in ("ct_relationships.parquet", "ct_panel.parquet", "ct_commitment_changes.parquet"))
    paths = ct.fit_paths(cross, panel, changes)
    paths.to_csv(P.data / "ct_paths.csv", index=False)
    ct.commitment_methods(cross, changes).to_csv(P.data / "ct_commitment_methods.csv", index=False)
    fg.ct_paths(P.data, P.figures / "ct_paths.png")
    t = pd.read_csv(P.data / "ct_paths.csv")
    meth = pd.read_csv(P.data / "ct_commitment_methods.csv")
    show = pd.DataFrame({
        "path": [f"{ct.LABELS[p]} -> {ct.LABELS[o]}" for o, p in zip(t.outcome, t.predictor)],
        "theory": np.where(t.theory_sign > 0, "+", "-"),
        "model": np.where(t.std_coef > 0, "+", "-"),
        "std. coef": t.std_coef,
        "95 % CI": [f"[{a:.3f}, {b:.3f}]" for a, b in zip(t.ci_low, t.ci_high)],
        "R^2": t.r2,
        "n": t.n,
        "data": t.data,
    })
    mtab = meth.assign(cell=[f"{c:+.3f} [{a:+.3f}, {b:+.3f}]" for c, a, b in zip(meth.std_coef, meth.ci_low, meth.ci_high)]).pivot(
        index="method", columns="predictor", values="cell")[list(ct.PATHS["commitment"])].reset_index()
    mtab.columns = ["estimator", *(ct.LABELS[c] for c in ct.PATHS["commitment"])]
    nobs = meth.groupby("method").n.first()
    mtab.insert(1, "n", [int(nobs[m]) for m in mtab.estimator])
    agree = int(t.agrees.sum())
    sig_agree = int((t.agrees & t.significant).sum())
    bad = t[~t.agrees]
    orr = float(t.odds_ratio_per_sd.dropna().iloc[0])
    sweep = ", ".join(f"`{k}` in [{lo:g}, {hi:g}]" for k, (lo, hi) in ct.SWEEP.items())
    z = s.ct_size
    betr = float(changes.betrayal.mean())
    m4 = meth[meth.method.str.startswith("4")].set_index("predictor")
    m1 = meth[meth.method.str.startswith("1")].set_index("predictor")
    m2 = meth[meth.method.str.startswith("2")].set_index("predictor")
    m3 = meth[meth.method.str.startswith("3")].set_index("predictor")
    from ..parameters import PARAMS

    cdecay = scenario_kwargs("baseline")[0].get("calculus_decay", next(q.default for q in PARAMS if q.name == "calculus_decay"))
    text = f"""## 2. Commitment-trust theory (Morgan & Hunt 1994)

**Set-up.** {s.ct_runs} runs of the baseline scenario ({z.get('n_exporters')} exporters,
{z.get('n_buyers')} buyers, {z.get('ticks')} ticks) on a Latin hypercube over {sweep}.
Communication is the contact a relationship received in the last tick, shared values its value
similarity, opportunism its exporter's trait, termination costs its switching cost, benefits the
buyer's smoothed value received. All variables z-scored: coefficients are standardized; CIs use
standard errors clustered by run. Each equation is fitted where its mechanism acts:

* **trust** on the trading relationships alive at the end of each run ({int(t[t.outcome == 'trust'].n.iloc[0])} relationships);
* **commitment** on a per-tick panel of the last {z.get('window')} ticks of each run: the change of a
  relationship's commitment in a tick on that tick's trust, shared values, termination costs and
  benefits, controlling for last tick's commitment (decay, and the saturation 1 - C), the buyer's
  orientation (partnership or transactional) and the stage. The ticks with a detected opportunistic
  act are left out ({100 * betr:.1f} % of relationship-ticks; see below), leaving {int(t[t.outcome == 'commitment'].n.iloc[0])} relationship-ticks;
* **dissolution**: whether a relationship trading at tick {z.get('snapshot')} dissolved by the end of the
  run ({int(t[t.outcome == 'dissolved'].n.iloc[0])} relationships).

{md_table(show)}

![paths]({P.fig('ct_paths.png')})

**Verdict.** {agree} of {len(t)} paths carry the theory's sign ({sig_agree} of them with a 95 % CI
excluding zero). {'Paths against the theory: ' + '; '.join(f'{ct.LABELS[p]} -> {ct.LABELS[o]} ({c:+.3f})' for o, p, c in zip(bad.outcome, bad.predictor, bad.std_coef)) + '.' if len(bad) else 'No path contradicts the theory.'}
As a logit, one standard deviation more commitment multiplies the odds of dissolution by {orr:.2f}.

**Why commitment is fitted on its changes.** In the engine (`dynamics.commitment_update`) commitment
is a stock built by `C <- C + gain x orientation x drive x (1 - C) - decay x C` with
`drive = 0.4 trust + 0.2 shared values + 0.2 benefits + 0.2 SC/(1+SC)`, and a detected opportunistic
act cuts it by a share at once (`opportunism_commitment_loss`). All four drivers are positive by
construction, so a method that cannot find them is a wrong method. The same data by four estimators:

{md_table(mtab)}

(1) The end-of-run cross-section, the earlier version of this report, gives shared values
{m1.std_coef['shared_values']:+.3f} and benefits {m1.std_coef['benefits']:+.3f}: with trust held fixed, the level of a
slowly built stock mostly reflects the relationship's age, stage, orientation and its last betrayal,
not this tick's drivers, and trust (itself raised by shared values) takes their share. (2) Controlling
for orientation and stage in the levels gives shared values {m2.std_coef['shared_values']:+.3f} and benefits
{m2.std_coef['benefits']:+.3f}: {'not enough' if min(m2.std_coef['shared_values'], m2.std_coef['benefits']) <= 0 or min(m2.ci_low['shared_values'], m2.ci_low['benefits']) <= 0 else 'closer'}. (3) On per-tick changes the betrayal
cuts, large shocks that are none of the theory's commitment drivers (opportunism acts on commitment
through trust in Morgan & Hunt), dominate the variance of the change and blur the small direct
terms (shared values {m3.std_coef['shared_values']:+.3f}, benefits {m3.std_coef['benefits']:+.3f}); being cut at the same tick as
trust, they also inflate the trust coefficient ({m3.std_coef['trust']:+.3f}). (4) Leaving those ticks out (they are visible in the public relationship table: a detected
act also cuts every form of trust by a share at once, while calculus trust otherwise only wears off
by `calculus_decay` = {100 * cdecay:g} % a tick and identification trust never falls) recovers all four engine terms with the
theory's sign: shared values {m4.std_coef['shared_values']:+.3f}, benefits {m4.std_coef['benefits']:+.3f}.
As a check that the estimator finds what is there and not just positive numbers,
`tests/test_validation.py` also runs the sweep with `shared_values_effect = 0` (no shared-values
term in the engine) and finds the shared-values coefficient near zero.

Caveats: trust is read on relationships that survived to the end of the run, and the coefficients
describe the simulated population, not a causal decomposition; the standardized sizes depend on the
swept ranges.
"""
    return text, dict(ct_paths_agree=agree, ct_paths_total=int(len(t)))


def section_lifecycle(s: Settings, P: Paths, workers: int) -> tuple[str, dict]:
    ev, ts = lc.simulate(s.lc_reps, workers=workers, **s.lc_size)
    ev.to_parquet(P.data / "lifecycle_events.parquet", index=False)
    ts.to_parquet(P.data / "lifecycle_timeseries.parquet", index=False)
    ev, ts = pd.read_parquet(P.data / "lifecycle_events.parquet"), pd.read_parquet(P.data / "lifecycle_timeseries.parquet")
    end = ts.groupby("replication").tick.max().to_dict()
    dur = lc.stage_durations(lc.spells(ev, end))
    counts, shares = lc.transition_matrix(ev)
    rates = lc.dissolution_rates(ev, ts)
    by_rep = lc.rates_by_replication(ev, ts)
    dur.to_csv(P.data / "lifecycle_durations.csv", index=False)
    counts.to_csv(P.data / "lifecycle_transition_counts.csv")
    shares.to_csv(P.data / "lifecycle_transition_shares.csv")
    rates.to_csv(P.data / "lifecycle_rates.csv", index=False)
    by_rep.to_csv(P.data / "lifecycle_rates_by_replication.csv", index=False)
    fg.lifecycle_rates(P.data, P.figures / "lifecycle_rates.png")

    rates = pd.read_csv(P.data / "lifecycle_rates.csv")
    by_rep = pd.read_csv(P.data / "lifecycle_rates_by_replication.csv")
    fragile = lc.most_fragile_trading_stage(rates)
    per_rep = by_rep[by_rep.stage.isin(lc.TRADING)].pivot(index="replication", columns="stage", values="rate_excl_lapse")
    always = int((per_rep.idxmax(axis=1) == "exploration").sum())
    sh = pd.read_csv(P.data / "lifecycle_transition_shares.csv", index_col=0).reset_index().rename(columns={"index": "from"})
    rate_tab = rates[["stage", "dissolutions", "relationship_ticks", "rate", "rate_excl_lapse"]]
    kw, src = scenario_kwargs("baseline")
    text = f"""## 3. The relationship lifecycle (Dwyer, Schurr & Oh 1987)

**Set-up.** {s.lc_reps} runs of `{src}` ({s.lc_size.get('ticks')} ticks{', ' + str(s.lc_size.get('n_buyers')) + ' buyers' if s.lc_size.get('n_buyers') else ''}),
read from the event log (one row per stage transition).

**Stage durations** (completed spells; censored spells are those still running at the end):

{md_table(dur)}

**Transition matrix** (share of the transitions out of each stage; 'none' are new pairs):

{md_table(sh)}

**Where dissolutions happen.** Rate = dissolutions out of a stage per relationship-tick spent in
it (per-tick stage counts summed over ticks). Awareness is not yet a trading relationship: its
endings are almost all *lapses* (the buyer never tried the exporter within `awareness_lapse`
ticks), so `rate_excl_lapse` leaves those out, and fragility is compared among trading stages.

{md_table(rate_tab, '.4g')}

![lifecycle]({P.fig('lifecycle_rates.png')})

**Verdict.** The most fragile trading stage is **{fragile}** (in {always} of {len(per_rep)}
replications exploration has the highest hazard). Exploration relationships end mostly because
the buyer finds a better alternative net of (still small) switching costs; committed ones almost
only when their exporter leaves the market. Counting awareness lapses as dissolutions, awareness
would have rate {rates.set_index('stage').rate['awareness']:.4f}, exploration {rates.set_index('stage').rate['exploration']:.4f}.
"""
    return text, dict(lifecycle_most_fragile=fragile)


def section_retention(s: Settings, P: Paths, workers: int) -> tuple[str, dict]:
    runs, ex = rec.simulate(s.re_policies, s.re_markets, s.re_reps, workers, **s.re_size)
    runs.to_csv(P.data / "retention_runs.csv", index=False)
    ex.to_csv(P.data / "retention_exporters.csv", index=False)
    runs, ex = pd.read_csv(P.data / "retention_runs.csv"), pd.read_csv(P.data / "retention_exporters.csv")
    el = rec.elasticities(runs, ex)
    el.to_csv(P.data / "retention_elasticities.csv", index=False)
    pol = rec.policy_table(runs)
    pol.to_csv(P.data / "retention_policies.csv", index=False)
    fg.retention_profit(P.data, P.figures / "retention_profit.png")
    show = pd.DataFrame({
        "level": el.level,
        "elasticity": el.elasticity,
        "95 % CI": [f"[{a:.2f}, {b:.2f}]" for a, b in zip(el.ci_low, el.ci_high)],
        "n": el.n,
        "dropped (profit <= 0)": el.dropped,
        "mean annual retention": el.mean_retention,
        "profit change for +5 pts": [f"{_pct(a)} [{_pct(lo)}, {_pct(hi)}]" for a, lo, hi in zip(el.profit_change_plus5pts, el.profit_change_plus5pts_low, el.profit_change_plus5pts_high)],
    })
    r0, r1, r2 = el.iloc[0], el.iloc[1], el.iloc[2]
    text = f"""## 4. Retention economics (Reichheld & Sasser 1990)

**Set-up.** Every policy in {', '.join(sorted(set(runs.policy)))} x markets
{', '.join(sorted(set(runs.market)))} ({', '.join(f'{k}: {v}' for k, v in rec.MARKETS.items() if k in set(runs.market)) }),
{s.re_reps} replication(s) with common random numbers across policies, {s.re_size.get('ticks')} ticks
(profit after a burn-in of {s.re_size.get('burn_in')}). Retention = 1 - hazard of a trading
relationship ending (an exporter's own exit excluded), compounded over 12 ticks (a tick is a month).
Elasticity = slope of log profit on log annual retention.

Policy means (annual retention, profit per tick of all exporters):

{md_table(pol)}

{md_table(show)}

![retention and profit]({P.fig('retention_profit.png')})

**What the model says.** Reichheld & Sasser claim +5 retention points bring +25 % to +85 % profit.
Across policies (market fixed effects), retention differences are small (sd of log retention
{r0.sd_log_retention:.3f}) and the elasticity is {r0.elasticity:.2f} [{r0.ci_low:.2f}, {r0.ci_high:.2f}]:
the policies that keep more customers do {'not ' if r0.ci_low <= 0 else ''}earn measurably more, because retention
effort costs contact budget and moves few relationships. Across exporters within a run, those that
retain more earn much more (elasticity {r1.elasticity:.2f}, implied {_pct(r1.profit_change_plus5pts)} for +5 points),
but that is mostly selection on quality and price: controlling for both it is {r2.elasticity:.2f}
(implied {_pct(r2.profit_change_plus5pts)}). The claim's size is
{'within' if 0.25 <= r2.profit_change_plus5pts <= 0.85 else 'outside'} the range for the cross-sectional
association between exporters, and {'within' if 0.25 <= r0.profit_change_plus5pts <= 0.85 else 'outside'} it for what a
retention *policy* buys: in this model retention is a symptom of a good offer more than a lever.
"""
    return text, dict(
        retention_elasticity_policies=float(r0.elasticity),
        retention_elasticity_exporters=float(r1.elasticity),
        retention_elasticity_exporters_controlled=float(r2.elasticity),
    )


def section_tournament(s: Settings, P: Paths, workers: int) -> tuple[str, dict]:
    from ..scenarios import load_scenario
    from ..tournament import tournament

    sc = load_scenario(ROOT / "scenarios" / "policy_tournament.yaml", list(s.tournament_overrides))
    root = P.data / "tournament"
    res = tournament(sc, root, force=True, workers=workers, figures=True, command=["relsim", "validate-model"])
    fig = P.figures / "tournament.png"
    fig.write_bytes((root / "figures" / "tournament.png").read_bytes())
    pay = res["payoffs"]
    gain = pay[(pay["payoff"] == "switching_gain") & (pay["focal"] != pay["field"])]
    pay.to_csv(P.data / "tournament_payoffs.csv", index=False)
    rows = []
    for (x, y), g in gain.groupby(["focal", "field"], sort=False):
        row = {"switch to": x, "while the field runs": y}
        for out in ("profit", "retention_rate", "clv"):
            r = g[g["outcome"] == out].iloc[0]
            row[out] = f"{r['diff_pct']:+.1f} % [{r['low_pct']:+.1f}, {r['high_pct']:+.1f}] {r['verdict']}"
        rows.append(row)
    policies = list(sc.policies)

    def verdicts(out: str) -> dict[str, set]:
        sub = gain[gain["outcome"] == out]
        return {x: set(sub.loc[sub["focal"] == x, "verdict"]) for x in policies}

    prof = verdicts("profit")
    always_better = [x for x, v in prof.items() if v == {"better"}]
    always_worse = [x for x, v in prof.items() if v == {"worse"}]
    undecided = [x for x in policies if x not in always_better and x not in always_worse]
    ret = verdicts("retention_rate")
    ret_not_profit = [x for x in policies if "better" in ret[x] and "better" not in prof[x]]

    profit_gain = gain.loc[gain["outcome"] == "profit", "diff_pct"]
    med, top = float(profit_gain.abs().median()), float(profit_gain.loc[profit_gain.abs().idxmax()])

    def names(xs):
        return ", ".join(f"`{x}`" for x in xs) if xs else "none"

    text = f"""## 5. Competing policies: the tournament (Axelrod 1984; seed 002)

**Set-up.** `relsim tournament scenarios/policy_tournament.yaml`{' with ' + ', '.join(f'`--set {o}`' for o in s.tournament_overrides) if s.tournament_overrides else ''}:
{len(policies)} policies; in every match a quarter of the {sc.model_kwargs()['n_exporters']} exporters (the same firms in
every match of a replication) run the focal policy and the rest the field's, {sc.replications} replications on
common random numbers, {sc.ticks} ticks, every cost at its default (ODD §7.3). The gain from switching is the focal
firms' outcome when they run the focal policy minus theirs when they run the field's policy like everyone else,
in % of the latter, mean and paired 95 % CI (`sim.tournament`).

{md_table(pd.DataFrame(rows))}

![tournament]({P.fig('tournament.png')})

**What the model says.** Switching pays in profit whatever the field runs for: {names(always_better)};
it costs profit whatever the field runs for: {names(always_worse)}; it depends on the field, or no difference is
detectable, for: {names(undecided)}. Policies whose switch raises retention somewhere without raising profit
there: {names(ret_not_profit)}. The gains in profit are {med:.1f} % in the median pair (the largest
{top:+.1f} %); the policies re-route a relationship budget of about 1 % of revenue at the defaults, so the
quality and price of what a firm sells weigh more in its profit (section 4).
"""
    return text, dict(tournament_matches=int(len(res["matches"]) // 2),
                      tournament_always_better=always_better, tournament_always_worse=always_worse)


def section_sensitivity(s: Settings, P: Paths, workers: int) -> tuple[str, dict]:
    prob = sa.problem()
    t0 = time.time()
    ms_, _ = sa.morris(s.morris_trajectories, s.sa_size, workers)
    t_m = time.time() - t0
    ms_.to_parquet(P.data / "morris_samples.parquet", index=False)
    t0 = time.time()
    ss_, _ = sa.sobol(s.sobol_n, s.sa_size, workers)
    t_s = time.time() - t0
    ss_.to_parquet(P.data / "sobol_samples.parquet", index=False)
    mi = sa.morris_indices(prob, pd.read_parquet(P.data / "morris_samples.parquet"))
    si = sa.sobol_indices(prob, pd.read_parquet(P.data / "sobol_samples.parquet"))
    mi.to_csv(P.data / "morris_indices.csv", index=False)
    si.to_csv(P.data / "sobol_indices.csv", index=False)
    fg.morris_plot(P.data, P.figures / "morris.png")
    fg.sobol_plot(P.data, P.figures / "sobol.png")
    mi, si = pd.read_csv(P.data / "morris_indices.csv"), pd.read_csv(P.data / "sobol_indices.csv")
    top = []
    for out in sa.OUTPUTS:
        g = si[si.output == out].sort_values("ST", ascending=False).head(3)
        top.append(f"*{out}*: " + ", ".join(f"{r.parameter} (ST {r.ST:.2f} +- {r.ST_conf:.2f})" for r in g.itertuples()))
    bounds = ", ".join(f"`{k}` [{lo:g}, {hi:g}]" for k, (lo, hi) in sa.PROBLEM_BOUNDS.items())
    z = s.sa_size
    mtab = mi.assign(cell=[f"{_g3(a)} +- {_g3(c)}" for a, c in zip(mi.mu_star, mi.mu_star_conf)]).pivot(
        index="parameter", columns="output", values="cell").reindex(list(sa.PROBLEM_BOUNDS))[list(sa.OUTPUTS)].reset_index()
    stab = si.assign(cell=[f"{a:.2f} +- {ac:.2f} / {b:.2f} +- {bc:.2f}" for a, ac, b, bc in zip(si.S1, si.S1_conf, si.ST, si.ST_conf)]).pivot(
        index="parameter", columns="output", values="cell").reindex(list(sa.PROBLEM_BOUNDS))[list(sa.OUTPUTS)].reset_index()
    text = f"""## 6. Sensitivity analysis (Morris screening, Sobol indices; SALib)

**Set-up.** {len(sa.PROBLEM_BOUNDS)} parameters over {bounds}; the baseline scenario on a market of
{z.n_exporters} exporters and {z.n_buyers} buyers, {z.ticks} ticks, outputs averaged after a burn-in of
{z.burn_in}. Outputs: annual retention of trading relationships, profit per tick of all exporters,
mean duration of relationships that traded (censored at the end). Every run uses the same seed
(common random numbers), so indices measure parameter effects, not sampling noise.
Morris: {s.morris_trajectories} trajectories, 4 levels, {len(ms_)} runs ({t_m:.0f} s); mu* CIs by bootstrap.
Sobol: Saltelli design on a Sobol sequence, N = {s.sobol_n}, first-order and total indices,
{len(ss_)} runs ({t_s:.0f} s); 95 % bootstrap CIs.

Morris mu* (mean absolute elementary effect, in output units) +- the half-width of its 95 %
bootstrap CI:

{md_table(mtab)}

![morris]({P.fig('morris.png')})

Sobol indices, S1 +- CI / ST +- CI (half-widths of the 95 % bootstrap CIs):

{md_table(stab)}

![sobol]({P.fig('sobol.png')})

**Most influential (total index):** {'; '.join(top)}. With N = {s.sobol_n} the CIs are wide for small
indices: rank the large ones, not the small ones. ST much larger than S1 signals interactions.
"""
    return text, dict(morris_runs=len(ms_), sobol_runs=len(ss_))


# ---- the whole report ---------------------------------------------------------------------------

SECTIONS = (
    ("wkh", section_wkh),
    ("commitment_trust", section_ct),
    ("lifecycle", section_lifecycle),
    ("retention", section_retention),
    ("tournament", section_tournament),
    ("sensitivity", section_sensitivity),
)


#: what the results depend on: the engine (and this package) and the scenario files it reads
WATCHED = ("sim", "scenarios")


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished child processes (the worker pools)."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _load() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in __import__("os").getloadavg())
    except OSError:  # pragma: no cover
        return "n/a"


def _git(*args: str) -> str:
    try:
        r = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)
        return r.stdout.rstrip() if r.returncode == 0 else ""
    except Exception:  # pragma: no cover - no git
        return ""


def provenance() -> dict:
    """Where the code stands: ``git describe --always --dirty``, uncommitted files under
    ``WATCHED``, and a fingerprint of their content (to see edits made and undone during a run)."""
    h = hashlib.sha256()
    for top in WATCHED:
        for f in sorted((ROOT / top).rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts and f.suffix not in (".pyc", ".pyo"):
                h.update(str(f.relative_to(ROOT)).encode())
                h.update(f.read_bytes())
    status = _git("status", "--porcelain", "--", *WATCHED)
    return dict(
        describe=_git("describe", "--always", "--dirty") or "unknown",
        head=_git("rev-parse", "HEAD"),
        dirty=[line[3:] for line in status.splitlines() if line.strip()],
        fingerprint=h.hexdigest(),
    )


def provenance_problems(start: dict, end: dict) -> list[str]:
    """Why a report may not be the product of the commit it names (empty: clean)."""
    problems = []
    if start["head"] != end["head"]:
        # other people's commits during the run matter only if they touch what the results depend on
        moved = _git("diff", "--name-only", start["head"], end["head"], "--", *WATCHED) if start["head"] and end["head"] else "?"
        if moved:
            problems.append(f"commits during the run changed {moved.replace(chr(10), ', ')} "
                            f"(git describe {start['describe']} -> {end['describe']})")
    if start["fingerprint"] != end["fingerprint"]:
        problems.append(f"files under {', '.join(w + '/' for w in WATCHED)} changed during the run")
    def files(d):
        return ", ".join(d[:8]) + (" ..." if len(d) > 8 else "")

    if start["dirty"] and start["dirty"] == end["dirty"]:
        problems.append(f"uncommitted changes at the start and the end: {files(start['dirty'])}")
    else:
        for when, pv in (("start", start), ("end", end)):
            if pv["dirty"]:
                problems.append(f"uncommitted changes at the {when}: {files(pv['dirty'])}")
    return problems


def build(quick: bool = False, out: str | Path | None = None, workers: int | None = None, only: tuple[str, ...] = ()) -> Path:
    """Run the experiments and write data, figures and the markdown report; return the report's path.

    The code's state is recorded at the start and at the end of the run; when it changed, or when
    ``sim/`` or ``scenarios/`` had uncommitted changes, a warning is printed and the report's header
    says "(engine changed during the run — regenerate)".
    """
    s = QUICK if quick else FULL
    workers = default_workers() if workers is None else workers
    P = Paths(quick, out)
    prov_start = provenance()
    if prov_start["dirty"]:
        print(f"WARNING: uncommitted changes under sim/ or scenarios/: {', '.join(prov_start['dirty'])}; "
              "the report will not be the product of a commit", file=sys.stderr)
    parts, summary, times = [], {}, {}
    t_all, cpu0 = time.time(), _cpu_seconds()
    for name, fn in SECTIONS:
        if only and name not in only:
            continue
        t0 = time.time()
        text, summ = fn(s, P, workers)
        times[name] = round(time.time() - t0, 1)
        parts.append(text)
        summary.update(summ)
    total = round(time.time() - t_all, 1)
    cpu = round(_cpu_seconds() - cpu0, 1)
    prov_end = provenance()
    problems = provenance_problems(prov_start, prov_end)
    for pr in problems:
        print(f"WARNING: {pr}", file=sys.stderr)
    manifest = dict(
        settings=s.name,
        commit=prov_start["describe"],
        git_start=prov_start,
        git_end=prov_end,
        clean=not problems,
        provenance_problems=problems,
        workers=workers,
        seconds=times,
        total_seconds=total,
        cpu_seconds=cpu,  # this process and its worker processes: independent of other load on the machine
        load_average=_load(),
        python=platform.python_version(),
        machine=platform.machine(),
        summary=summary,
    )
    (P.data / "manifest.json").write_text(json.dumps(manifest, indent=2, default=float))
    runtime = ", ".join(f"{k} {v:.0f} s" for k, v in times.items())
    if problems:
        state = ("**(engine changed during the run — regenerate)**: " + "; ".join(problems) + ".")
    else:
        state = ("clean: nothing uncommitted under `sim/` or `scenarios/` and no change there from start to end of the run"
                 + (" (`-dirty` refers to other files only)" if prov_start["describe"].endswith("-dirty") else "")
                 + (f"; HEAD moved to `{prov_end['describe']}` during the run with no change under `sim/` or `scenarios/`"
                    if prov_end["head"] != prov_start["head"] else "") + ".")
    head = f"""# Validation against published results

*Regenerated by `relsim validate-model{' --quick' if quick else ''}` (or `python -m sim.validation{' --quick' if quick else ''}`);
do not edit by hand.* Settings: **{s.name}**, commit `{prov_start['describe']}`, {state}
{workers} worker process(es), {total:.0f} s in all ({runtime}); {cpu:.0f} CPU-seconds (load average
{manifest['load_average']} at the end, with other programs on the machine). The data behind every table and figure are in
`{P.data.relative_to(ROOT) if P.data.is_relative_to(ROOT) else P.data}/` and every figure is drawn from those files.

Each section states the published result, how the model was set up to test it, what the model
does, and where it falls short.
"""
    P.doc.write_text(head + "\n" + "\n".join(parts))
    return P.doc
