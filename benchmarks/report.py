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


def _threads(r: dict) -> list[str]:
    th = r.get("threads")
    if not th:
        return []
    out = [f"numba threads (`numba.set_num_threads`), the largest market, {th['repeats']} run(s) each, the fastest "
           "(wall) counts:", "",
           "| numba threads | live (mean) | CPU s/tick | wall s/tick | relationship-ticks/s (CPU) | relationship-ticks/s (wall) |",
           "|---:|---:|---:|---:|---:|---:|"]
    for k, x in sorted(th["by_threads"].items(), key=lambda kv: int(kv[0])):
        out.append(f"| {k} | {x['live_mean']:,.0f} | {x['seconds_per_tick']:.4f} | {x['wall_seconds_per_tick']:.4f} | "
                   f"{x['relationship_ticks_per_s']:.3g} | {x['relationship_ticks_per_s_wall']:.3g} |")
    if "wall_speedup_2_over_1" in th:
        out += ["", f"Wall time per tick, 1 thread over 2 threads: **{th['wall_speedup_2_over_1']:.2f}x**."]
    return out + [""]


def _compile(r: dict) -> list[str]:
    out = []
    c = r.get("compile", {})
    if c.get("cold_s") is not None:
        out += [f"numba compile time (kept out of every timing; `sim.model.warm_up`, each in a fresh process): "
                f"**{c['cold_s']:.1f} s** from an empty `NUMBA_CACHE_DIR`, **{c['cached_s']:.2f} s** loading the "
                f"cached kernels ({c.get('cache_files', 0)} cache files, {c.get('cache_bytes', 0)/1e6:.1f} MB); importing "
                f"`sim.model` took {c['cold_import_s']:.2f} s / {c['cached_import_s']:.2f} s.", ""]
    dm = r.get("default_market")
    if dm:
        out += [f"The default market (20 exporters x 500 buyers, {dm['ticks']} ticks), {dm['runs']} runs in one fresh process:", "",
                "| numba cache | import sim (s) | first run (s) | of which loading/compiling kernels (s) | later runs (s/run) | ms/tick | process wall (s) |",
                "|---|---:|---:|---:|---:|---:|---:|"]
        for label, name in (("cached", "cached"), ("cold", "empty (compiles)")):
            x = dm.get(label)
            if x:
                out.append(f"| {name} | {x['import_s']:.2f} | {x['first_run_wall_s']:.2f} | {x['kernel_load_s']:.2f} | "
                           f"{x['per_run_wall_s']:.3f} | {x['per_run_seconds_per_tick']*1e3:.2f} | {x['process']['wall_s']:.2f} |")
        cli = dm.get("cli")
        if cli:
            out += ["", f"`{cli['command']}` ({cli.get('replications')} replications, figures and report): "
                    f"**{cli['wall_s']:.1f} s** wall ({cli['cpu_s']:.1f} s CPU, peak RSS {cli['max_rss_bytes']/1e6:.0f} MB)."]
        out.append("")
    return out


def _end_to_end(r: dict) -> list[str]:
    e = r.get("end_to_end")
    if not e:
        return []
    lo, hi = e["ticks"]
    out = [f"`relsim run` end to end on the largest market (fresh process each; results, figures and report written; "
           f"fastest of {e['repeats']}):", "",
           "| ticks | wall (s) | CPU (s) | relationship-ticks | peak RSS (GB) | events | relationships | results folder (MB) |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for t in (lo, hi):
        x = e["runs"][str(t)]
        out.append(f"| {t} | {x['wall_s']:.1f} | {x['cpu_s']:.1f} | {x['relationship_ticks']:,} | {x['max_rss_bytes']/1e9:.2f} | "
                   f"{x['rows']['events']:,} | {x['rows']['relationships']:,} | {x['folder_bytes']/1e6:.0f} |")
    w = e["engine_window"]
    out += ["", f"Marginal rate (ticks {lo + 1}-{hi}): **{e['marginal_relationship_ticks_per_s_wall']:.3g} relationship-ticks/s** "
            f"wall ({e['marginal_relationship_ticks_per_s_cpu']:.3g} CPU), {e['marginal_wall_seconds_per_tick']:.3f} s per extra "
            f"tick at {e['live_mean_extra_ticks']:,.0f} live; the engine over ticks {w['ticks'][0]}-{w['ticks'][1]}: "
            f"{w['relationship_ticks_per_s_wall']:.3g} (wall). Ratio **{e['ratio']:.2f}** (CPU {e['ratio_cpu']:.2f}"
            + (f"; {e['ratio_vs_default_malloc']:.2f} against the engine with glibc's default malloc settings, as the "
               "command runs" if "ratio_vs_default_malloc" in e else "")
            + f"). Fixed cost of a run: {e['fixed_wall_s']:.1f} s.", ""]
    b, low, mg = e.get("breakdown"), e.get("breakdown_low"), e.get("marginal_by_stage")
    if b:
        total = b["process"]["wall_s"]
        imp = sum(b["imports_wall_s"].values())
        head = f"| stage | calls | wall (s), {hi} ticks | share |"
        if low and mg:
            head += f" wall (s), {lo} ticks | ms per extra tick | share of the marginal |"
        out += [f"Where a run goes (wall seconds, inclusive: a stage called from inside another listed stage counts in both; "
                f"{hi} ticks: {total:.1f} s in all, interpreter start {b['interpreter_start_wall_s']:.1f} s, imports {imp:.1f} s"
                + (f"; per extra tick {mg['seconds_per_extra_tick']*1e3:.0f} ms in all" if mg else "") + "):", "",
                head, "|---|---:|---:|---:|" + ("---:|---:|---:|" if low and mg else "")]
        for i, st in enumerate(b["stages"]):
            row = f"| {'&emsp;' * 2 * st['indent']}{st['stage']} | {st['calls']} | {st['wall_s']:.2f} | {st['wall_s']/total:.0%} |"
            if low and mg:
                m = mg["stages"][i]
                row += f" {low['stages'][i]['wall_s']:.2f} | {m['seconds_per_extra_tick']*1e3:.0f} | {m['share']:.0%} |"
            out.append(row)
        out.append("")
    p = e.get("profile")
    if p:
        out += [f"Sampling profile of the {hi}-tick run (wall time of the main thread, {p['sampled_s']:.1f} s sampled), "
                "functions of `sim/` with the most inclusive time:", "",
                "| function | inclusive (s) | own (s) |", "|---|---:|---:|"]
        for x in p["sim_inclusive"][:20]:
            out.append(f"| `{x['function']}` | {x['inclusive_s']:.2f} | {x['own_s']:.2f} |")
        out += ["", "Most own time (innermost Python frame; compiled code counts for the function that called it):", "",
                "| function | own (s) | inclusive (s) |", "|---|---:|---:|"]
        for x in p["top_own"][:15]:
            out.append(f"| `{x['function']}` | {x['own_s']:.2f} | {x['inclusive_s']:.2f} |")
        out.append("")
    return out


def tables(r: dict) -> str:
    m = r["machine"]
    out = [f"Measured {m['date']} on {m['cpu']} ({m['cores']} cores), Python {m['python']}, numpy {m['numpy']}, "
           f"numba {m.get('numba')} (up to {m.get('numba_threads_max')} threads), Mesa {m['mesa']}; "
           f"OPENBLAS_CORETYPE={m['OPENBLAS_CORETYPE']}; load average at start "
           f"{', '.join(f'{x:.1f}' for x in m['load_average_at_start'])}"
           + (f", at end {', '.join(f'{x:.1f}' for x in m['load_average_at_end'])}" if "load_average_at_end" in m else "")
           + f"; malloc tuned: {r['settings'].get('malloc_tuned')}.", ""]
    out += _scaling_table(r["scaling"])
    out += ["", f"Fitted exponent of CPU seconds per tick on live relationships: **{r['fitted_exponent']:.2f}**", ""]
    dm = r.get("default_malloc")
    if dm:
        out += [f"With glibc's default malloc settings (before `tune_malloc`), at {dm['live_mean']:,.0f} live relationships: "
                f"{dm['seconds_per_tick']:.4f} CPU s/tick, {dm['relationship_ticks_per_s']:.3g} relationship-ticks/s.", ""]
    out += _threads(r)
    out += _compile(r)
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
    calls = r["phases"].get("calls", {})
    first = r["phases"].get("first_tick")
    span = f", ticks {first}-{first + r['phases']['ticks'] - 1}" if first else ""
    out += [f"Phases of a tick at {r['phases']['live']:,.0f} live relationships (CPU ms per tick, mean of "
            f"{r['phases']['ticks']} ticks{span}):", "", "| phase | ms/tick | share | calls |", "|---|---:|---:|---:|"]
    for name in [*PHASES, "other"]:
        out.append(f"| {name} | {ph[name]*1e3:.1f} | {ph[name]/ph['total']:.0%} | {calls.get(name, '')} |")
    out.append(f"| **total** | **{ph['total']*1e3:.1f}** | | |")
    sn = r["snapshots"]
    out += ["", f"Snapshots every {sn['snapshot_every']} ticks at {sn['n_live']:,} live relationships: "
            f"{sn['seconds_per_tick_without']*1e3:.1f} ms/tick without, {sn['seconds_per_tick_with']*1e3:.1f} ms/tick with "
            f"({sn['overhead']:+.0%}).", ""]
    out += ["| market | live (mean) | ticks | plain Mesa ms/tick | engine ms/tick | speedup | same trajectory |",
            "|---|---:|---:|---:|---:|---:|---|"]
    for key, name in (("speedup", "benchmark market (5 per buyer)"), ("speedup_default_market", "default market (1.6 per buyer)")):
        sp = r.get(key)
        if sp:
            out.append(f"| {name} | {sp['live_mean']:,.0f} | {sp['ticks']} | {sp['plain_mesa_seconds_per_tick']*1e3:.1f} | "
                       f"{sp['engine_seconds_per_tick']*1e3:.2f} | **{sp['speedup']:.0f}x** | {sp['same_trajectory']} |")
    out += [""] + _end_to_end(r)
    return "\n".join(out)


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT / "bench.json"
    results = json.loads(path.read_text())
    plot(results, path.parent / "scaling.png")  # the figure is redrawn from the JSON alone
    print(tables(results))
