"""Markdown tables and the scaling plot of a benchmark result: ``python -m benchmarks.report [bench.json]``.

docs/performance.md quotes these tables; re-run this after ``python -m benchmarks``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .phases import PHASES
from .run import OUT, plot


def tables(r: dict) -> str:
    m = r["machine"]
    out = [f"Measured {m['date']} on {m['cpu']} ({m['cores']} cores), Python {m['python']}, numpy {m['numpy']}, "
           f"Mesa {m['mesa']}; OPENBLAS_CORETYPE={m['OPENBLAS_CORETYPE']}; load average at start "
           f"{', '.join(f'{x:.1f}' for x in m['load_average_at_start'])}.", ""]
    out += ["| target live | live (mean) | buyers | exporters | CPU s/tick | wall s/tick | relationship-ticks/s | built in (CPU s) | peak bytes/live rel |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in r["scaling"]:
        p = s["params"]
        out.append(f"| {s['target_live']:,} | {s['live_mean']:,.0f} | {p['n_buyers']:,} | {p['n_exporters']:,} | "
                   f"{s['seconds_per_tick']:.4f} | {s['wall_seconds_per_tick']:.4f} | {s['relationship_ticks_per_s']:.3g} | "
                   f"{s['construction_s']:.2f} | {s['bytes_per_live_relationship']:.0f} |")
    out += ["", f"Fitted exponent of CPU seconds per tick on live relationships: **{r['fitted_exponent']:.2f}**", ""]
    out += ["| target live | ticks run | relationships formed | events | peak (MB) | ledger incl. archive (MB) | event log (MB) | peak B/live | ledger B/live | events B/live |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in r["scaling"]:
        x = s["memory"]
        out.append(f"| {s['target_live']:,} | {x['ticks']} | {x['relationships_formed']:,} | {x['events']:,} | "
                   f"{x['peak_bytes']/1e6:.1f} | {x['ledger_bytes']/1e6:.1f} | {x['event_log_bytes']/1e6:.2f} | "
                   f"{x['peak_bytes_per_live_relationship']:.0f} | {x['ledger_bytes_per_live_relationship']:.0f} | "
                   f"{x['event_log_bytes_per_live_relationship']:.0f} |")
    c = r["construction"]
    out += ["", f"Construction of {c['exporters']:,} exporters x {c['buyers']:,} buyers with {c['relationships']:,} "
            f"initial relationships: **{c['total']:.2f} s** CPU (traits {c['traits']:.2f} s, initial relationships "
            f"{c['initial_relationships']:.2f} s, Mesa agents {c['mesa_agents']:.2f} s, rest {c['other']:.2f} s). "
            f"Memory of the built market: {c['bytes_per_relationship']:.0f} bytes per relationship "
            f"(peak while building {c['peak_bytes_per_relationship']:.0f}), of which Mesa agents "
            f"{c['mesa_agent_bytes_per_relationship']:.0f}.", ""]
    ph = r["phases"]["seconds_per_tick"]
    total = ph["total"]
    out += [f"Phases of a tick at {r['phases']['live']:,.0f} live relationships (CPU ms per tick, mean of {r['phases']['ticks']} ticks):", "",
            "| phase | ms/tick | share |", "|---|---:|---:|"]
    for name in [*PHASES, "other"]:
        out.append(f"| {name} | {ph[name]*1e3:.1f} | {ph[name]/total:.0%} |")
    out.append(f"| **total** | **{total*1e3:.1f}** | |")
    sn = r["snapshots"]
    out += ["", f"Snapshots every {sn['snapshot_every']} ticks at {sn['n_live']:,} live relationships: "
            f"{sn['seconds_per_tick_without']*1e3:.1f} ms/tick without, {sn['seconds_per_tick_with']*1e3:.1f} ms/tick with "
            f"({sn['overhead']:+.0%}).", ""]
    sp = r["speedup"]
    out += [f"Plain Mesa vs engine at {sp['live_mean']:,.0f} live relationships ({sp['ticks']} ticks, same seed, "
            f"same trajectory: {sp['same_trajectory']}): plain {sp['plain_mesa_seconds_per_tick']*1e3:.1f} ms/tick, "
            f"engine {sp['engine_seconds_per_tick']*1e3:.2f} ms/tick: **{sp['speedup']:.0f}x**."]
    return "\n".join(out)


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT / "bench.json"
    results = json.loads(path.read_text())
    plot(results, path.parent / "scaling.png")  # the figure is redrawn from the JSON alone
    print(tables(results))
