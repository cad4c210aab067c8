"""A self-contained HTML report of a results folder (figures embedded as base64 PNG), and the
text of the tables the report and the command line share.

Made from the folder's written files alone: manifest.json, summary.csv,
compare.csv and figures/*.png (figures are made first if missing). It opens with
the scenario's question and what answers it (``sim.answer``, figures/answer.png).
"""

from __future__ import annotations

import base64
import html
import os
from pathlib import Path

import pandas as pd

from . import results as R
from .answer import spec as answer_spec
from .stats import (COMPARE_OUTCOMES, DISSOLVED_KINDS, INTERVAL_METHOD, STAGE_NAMES, few_replications_note,
                    outcome_ci, stage_summary)

FIGURE_TITLES = {
    "answer": "The answer",
    "compare": "Outcomes by policy",
    "compare_diff": "Paired differences from the first policy",
    "sweep": "Sweep",
    "stage_counts": "Relationships by stage over time",
    "trust_commitment": "Trust and commitment by stage",
    "survival": "Survival and dissolution hazard",
    "dissolutions": "Dissolutions by cause and stage",
    "exporters": "Revenue per exporter and concentration",
    "forecast": "Forecast error and fill rate",
    "loyalty": "Loyalty and retention per tick",
}

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1150px;color:#222}
h1{margin-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em;margin:.6em 0} td,th{border:1px solid #ddd;padding:3px 7px;text-align:right}
th{background:#f3f5f8} td:first-child,th:first-child{text-align:left} img{max-width:100%;border:1px solid #eee}
.meta{color:#555;font-size:.9em} code{background:#f3f3f3;padding:1px 4px}
.few{color:#b30000;font-weight:bold} .question{font-size:1.15em}
"""


def _fmt(x) -> str:
    if isinstance(x, float):
        if x != x:
            return "–"
        return f"{x:,.4g}" if abs(x) < 1e5 else f"{x:,.0f}"
    return html.escape(str(x))


def _table(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{_fmt(v)}</td>" for v in row) + "</tr>" for row in df.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def num(x, digits: int = 4) -> str:
    """A number for a table: ``digits`` significant digits, thousands separated, no exponent below 10^9."""
    if x != x:
        return "–"
    if abs(x) >= 1e9:
        return f"{x:.3g}"
    if abs(x) >= 10 ** digits:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def interval(m, lo, hi) -> str:
    """``mean [low, high]``, the bounds to 3 significant digits (the mean alone when there is no interval)."""
    return num(m) + (f" [{num(lo, 3)}, {num(hi, 3)}]" if lo == lo else "")


def summary_table(summary: pd.DataFrame, outcomes=None) -> pd.DataFrame:
    """Per policy (and sweep point, with its swept values): mean [95% CI] of the outcomes, as strings.

    Each interval stays in its outcome's range (``sim.stats.outcome_ci``).
    """
    outcomes = [o for o in (outcomes or COMPARE_OUTCOMES) if o in summary.columns]
    swept = [c for c in summary.columns if "." in c]
    rows = []
    for (point, pol), g in summary.groupby(["point", "policy"], sort=False):
        row = {"policy": pol, "point": point, **{c: g[c].iloc[0] for c in swept}, "runs": len(g)}
        for o in outcomes:
            row[o] = interval(*outcome_ci(g[o], o))
        rows.append(row)
    return pd.DataFrame(rows)


def fewest_runs(summary: pd.DataFrame) -> int:
    """The fewest replications behind one group's mean (policy x sweep point)."""
    return int(summary.groupby(["point", "policy"]).size().min()) if len(summary) else 0


#: what the stage table counts (the report and the command line say it)
STAGE_NOTE = ("Mean over replications: live relationships per stage at the last tick; dissolved: every relationship "
              "dissolved during the run, of which trading: those that had reached exploration (the outcome "
              "'dissolutions'), of which awareness: those that never traded (lapsed, or ended by their exporter's exit); "
              "then both kinds by cause.")


def stage_table(root: Path, summary: pd.DataFrame) -> pd.DataFrame:
    """Per policy (and sweep point, with its swept values): mean stage counts at the end and dissolutions by cause."""
    ts = pd.read_parquet(root / "timeseries.parquet", columns=["run", "point", "policy", "tick",
                                                                *(f"n_{s}" for s in STAGE_NAMES)])
    ev = pd.read_parquet(root / "events.parquet", columns=["run", "from_stage", "to_stage", "cause"],
                         filters=[("to_stage", "==", "dissolved")])
    df = stage_summary(ts, ev, by=("point", "policy"))
    swept = [c for c in summary.columns if "." in c]
    values = summary.drop_duplicates("point").set_index("point")[swept]
    df = df.join(values, on="point")
    cols = ["policy", "point", *swept, "runs", *STAGE_NAMES, *DISSOLVED_KINDS,
            *(c for c in df.columns if c.startswith("dissolved: "))]
    if df["point"].nunique() == 1:
        cols = [c for c in cols if c != "point"]
    return df[cols]


def compare_text(table: pd.DataFrame) -> pd.DataFrame:
    """The compare table with mean [CI] and diff [CI] as strings."""
    rows = []
    for r in table.itertuples(index=False):
        pct = "" if r.diff_pct != r.diff_pct or r.verdict == "reference" else f" ({r.diff_pct:+.1f}%)"
        rows.append({"outcome": r.outcome, "policy": r.policy, "n": r.n,
                     "mean [95% CI]": interval(r.mean, r.ci_low, r.ci_high),
                     "difference from first [95% CI]": interval(r.diff, r.diff_low, r.diff_high) + pct,
                     "verdict": f"#{r.rank} {r.verdict}"})
    return pd.DataFrame(rows)


def _img(figs: Path, name: str) -> str:
    data = base64.b64encode((figs / f"{name}.png").read_bytes()).decode("ascii")
    return (f"<h2>{html.escape(FIGURE_TITLES.get(name, name))}</h2><img alt='{html.escape(name)}' "
            f"src='data:image/png;base64,{data}'>")


def render(folder: str | os.PathLike) -> str:
    """The report of ``folder`` as one HTML string."""
    root = Path(folder)
    m = R.read_manifest(root)
    summary = pd.read_csv(root / "summary.csv")
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>relsim: {html.escape(m.get('scenario_name', ''))}"
             f"</title><style>{CSS}</style></head><body>"]
    sc = m.get("scenario", {}) or {}
    parts.append(f"<h1>relsim {html.escape(m.get('kind', ''))}: {html.escape(m.get('scenario_name', ''))}</h1>")
    if sc.get("description"):
        parts.append(f"<p>{html.escape(str(sc['description']))}</p>")
    v = m.get("versions", {})
    parts.append(
        "<p class='meta'>"
        f"runs: {len(m.get('runs', []))} · policies: {html.escape(', '.join(m.get('policies', [])))} · "
        f"replications: {m.get('replications')} · scenario seed: {m.get('seed')} · ticks: {sc.get('ticks', '')}<br>"
        f"started {html.escape(str(m.get('start')))} · ended {html.escape(str(m.get('end')))} · status {html.escape(str(m.get('status')))}<br>"
        f"command: <code>{html.escape(' '.join(map(str, m.get('command', []))))}</code><br>"
        f"relsim {html.escape(str(v.get('relsim')))}, Python {html.escape(str(v.get('python')))}, "
        f"mesa {html.escape(str(v.get('mesa')))}, numpy {html.escape(str(v.get('numpy')))}</p>"
    )
    few = few_replications_note(fewest_runs(summary))
    few_html = f"<p class='few'>{html.escape(few)}</p>" if few else ""
    figs = root / "figures"
    A = answer_spec(m)
    parts.append(f"<h2>The question</h2><p class='question'>{html.escape(A.question)}</p>")
    parts.append(f"<p>What answers it, mean over replications [{html.escape(INTERVAL_METHOD)}]:</p>{few_html}")
    parts.append(_table(summary_table(summary, A.outcomes)))
    if (figs / "answer.png").is_file():
        parts.append(_img(figs, "answer"))
    cmp_path = root / "compare.csv"
    if cmp_path.is_file():
        parts.append("<h2>Policy comparison (common random numbers)</h2>")
        parts.append("<p>Mean of each outcome with its 95% confidence interval over replications, and the paired "
                     f"difference from the first policy with a 95% t-interval on the paired differences "
                     f"({html.escape(INTERVAL_METHOD)}).</p>{few_html}")
        parts.append(_table(compare_text(pd.read_csv(cmp_path))))
    parts.append(f"<h2>Summary by policy</h2><p>Mean over replications [95% CI].</p>{few_html}")
    parts.append(_table(summary_table(summary)))
    parts.append(f"<h2>Stages at the end</h2><p>{html.escape(STAGE_NOTE)}</p>{few_html}")
    parts.append(_table(stage_table(root, summary)))
    names = sorted(p.stem for p in figs.glob("*.png")) if figs.is_dir() else []
    order = [n for n in FIGURE_TITLES if n in names and n != "answer"] + [n for n in names if n not in FIGURE_TITLES]
    for n in order:
        parts.append(_img(figs, n))
    outs = m.get("outcomes") or {}
    if outs:
        parts.append("<h2>Outcome definitions</h2>")
        parts.append(_table(pd.DataFrame({"outcome": list(outs), "definition": list(outs.values())})))
    parts.append("<h2>Runs</h2>")
    id_cols = [c for c in summary.columns if c in ("policy", "point", "replication", "run", "seed")]
    parts.append(_table(summary[id_cols + [c for c in COMPARE_OUTCOMES if c in summary.columns]]))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(folder: str | os.PathLike) -> Path:
    """Write ``folder/report.html`` (making the figures first if there are none)."""
    root = Path(folder)
    R.read_manifest(root)
    if not (root / "figures").is_dir() or not any((root / "figures").glob("*.png")):
        from .plots import make_figures

        make_figures(root)
    return R.atomic_write_text(root / "report.html", render(root))
