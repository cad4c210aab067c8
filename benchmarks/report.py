"""Markdown tables and the scaling plot of a benchmark result: ``python -m benchmarks.report [bench.json]``.

docs/performance.md quotes these tables; re-run this after ``python -m benchmarks``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .phases import PHASES
from .run import OUT, plot


def _scaling_table(rows) -> list[str]:
    out = ["| target live | live (mean) | live min-max | buyers | exporters | CPU s/tick | wall s/tick | relationship-ticks/s | built in (CPU s) | peak bytes/live rel |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in rows:
        p = s["params"]
        peak = f"{s['bytes_per_live_relationship']:.0f}" if s.get("bytes_per_live_relationship") else "-"
        out.append(f"| {s['target_live']:,} | {s['live_mean']:,.0f} | {s['live_min']:,}-{s['live_max']:,} | {p['n_buyers']:,} | "
                   f"{p['n_exporters']:,} | {s['seconds_per_tick']:.4f} | {s['wall_seconds_per_tick']:.4f} | "
                   f"{s['relationship_ticks_per_s']:.3g} | {s['construction_s']:.2f} | {peak} |")
    return out


def tables(r: dict) -> str:
    m = r["machine"]
    out = [f"Measured {m['date']} on {m['cpu']} ({m['cores']} cores), Python {m['python']}, numpy {m['numpy']}, "
           f"numba {m.get('numba')}, Mesa {m['mesa']}; OPENBLAS_CORETYPE={m['OPENBLAS_CORETYPE']}; load average at start "
           f"{', '.join(f'{x:.1f}' for x in m['load_average_at_start'])}"
           + (f", at end {', '.join(f'{x:.1f}' for x in m['load_average_at_end'])}" if "load_average_at_end" in m else "")
           + f"; malloc tuned: {r['settings'].get('malloc_tuned')}.", ""]
    out += ["**numba kernels** (the default engine path):", ""] + _scaling_table(r["scaling"])
    out += ["", f"Fitted exponent of CPU seconds per tick on live relationships: **{r['fitted_exponent']:.2f}**", ""]
    if r.get("scaling_numpy"):
        out += ["**numpy reference path** (`RELSIM_ENGINE=numpy`):", ""] + _scaling_table(r["scaling_numpy"])
        out += ["", f"Fitted exponent (numpy path): **{r['fitted_exponent_numpy']:.2f}**", ""]
    dm = r.get("default_malloc")
    if dm:
        out += [f"With glibc's default malloc settings (before `tune_malloc`), at {dm['live_mean']:,.0f} live relationships: "
                f"{dm['seconds_per_tick']:.4f} CPU s/tick, {dm['relationship_ticks_per_s']:.3g} relationship-ticks/s.", ""]
    c = r.get("compile", {})
    if c.get("cold_s") is not None:
        out += [f"numba compile time (kept out of every timing): **{c['cold_s']:.1f} s** from scratch, "
                f"**{c['cached_s']:.2f} s** loading the cached kernels (each in a fresh process, `sim.kernels.warm_up`).", ""]
    out += ["| target live | ticks run | relationships formed | archived | events | peak (MB) | ledger incl. archive (MB) | event log (MB) | peak B/live | ledger B/live | events B/live |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in r["scaling"]:
        x = s["memory"]
        if not x:
            continue
        out.append(f"| {s['target_live']:,} | {x['ticks']} | {x['relationships_formed']:,} | {x.get('archived_relationships', 0):,} | "
                   f"{x['events']:,} | {x['peak_bytes']/1e6:.1f} | {x['ledger_bytes']/1e6:.1f} | {x['event_log_bytes']/1e6:.2f} | "
                   f"{x['peak_bytes_per_live_relationship']:.0f} | {x['ledger_bytes_per_live_relationship']:.0f} | "
                   f"{x['event_log_bytes_per_live_relationship']:.0f} |")
    big = r["scaling"][-1]["memory"]
    if big and "parts_bytes" in big:
        out += ["", f"Where the peak goes at {big['live_end']:,} live relationships after {big['ticks']} ticks "
                f"(ledger row {big['ledger_row_bytes']} bytes):", "", "| part | MB | bytes per live relationship |", "|---|---:|---:|"]
        for k, v in big["parts_bytes"].items():
            out.append(f"| {k.replace('_', ' ')} | {v/1e6:.1f} | {big['parts_bytes_per_live_relationship'][k]:.0f} |")
        out.append(f"| **peak** | **{big['peak_bytes']/1e6:.1f}** | **{big['peak_bytes_per_live_relationship']:.0f}** |")
    c = r["construction"]
    out += ["", f"Construction of {c['exporters']:,} exporters x {c['buyers']:,} buyers with {c['relationships']:,} "
            f"initial relationships: **{c['total']:.2f} s** CPU (traits {c['traits']:.2f} s, initial relationships "
            f"{c['initial_relationships']:.2f} s, Mesa agents {c['mesa_agents']:.2f} s, rest {c['other']:.2f} s). "
            f"Memory of the built market: {c['bytes_per_relationship']:.0f} bytes per relationship "
            f"(peak while building {c['peak_bytes_per_relationship']:.0f}), of which Mesa agents "
            f"{c['mesa_agent_bytes_per_relationship']:.0f}.", ""]
    ph = r["phases"]["seconds_per_tick"]
    pn = r.get("phases_numpy", {}).get("seconds_per_tick")
    out += [f"Phases of a tick at {r['phases']['live']:,.0f} live relationships (CPU ms per tick, mean of {r['phases']['ticks']} ticks):", "",
            "| phase | numba ms/tick | share | numpy ms/tick | share |", "|---|---:|---:|---:|---:|"]
    for name in [*PHASES, "other"]:
        right = f"{pn[name]*1e3:.1f} | {pn[name]/pn['total']:.0%}" if pn else "- | -"
        out.append(f"| {name} | {ph[name]*1e3:.1f} | {ph[name]/ph['total']:.0%} | {right} |")
    out.append(f"| **total** | **{ph['total']*1e3:.1f}** | | **{pn['total']*1e3:.1f}** | |" if pn else f"| **total** | **{ph['total']*1e3:.1f}** | | | |")
    sn = r["snapshots"]
    out += ["", f"Snapshots every {sn['snapshot_every']} ticks at {sn['n_live']:,} live relationships: "
            f"{sn['seconds_per_tick_without']*1e3:.1f} ms/tick without, {sn['seconds_per_tick_with']*1e3:.1f} ms/tick with "
            f"({sn['overhead']:+.0%}).", ""]
    out += ["| market | live (mean) | ticks | plain Mesa ms/tick | engine (numba) ms/tick | speedup | engine (numpy) ms/tick | speedup | same trajectory |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for key, name in (("speedup", "benchmark market (5 per buyer)"), ("speedup_default_market", "default market (1.6 per buyer)")):
        sp = r.get(key)
        if sp:
            out.append(f"| {name} | {sp['live_mean']:,.0f} | {sp['ticks']} | {sp['plain_mesa_seconds_per_tick']*1e3:.1f} | "
                       f"{sp['engine_seconds_per_tick']*1e3:.2f} | **{sp['speedup']:.0f}x** | "
                       f"{sp['engine_numpy_seconds_per_tick']*1e3:.2f} | {sp['speedup_numpy_path']:.0f}x | {sp['same_trajectory']} |")
    return "\n".join(out)


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT / "bench.json"
    results = json.loads(path.read_text())
    plot(results, path.parent / "scaling.png")  # the figure is redrawn from the JSON alone
    print(tables(results))
