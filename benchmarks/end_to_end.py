"""``relsim run`` end to end on a benchmark market: marginal throughput, and where its time goes.

``marginal(kw, ticks)`` writes a scenario YAML holding the MarketModel keyword arguments ``kw`` (the
benchmark market, ``benchmarks.run.market(N)``; one policy, one replication, figures and report on,
as ``relsim run`` does by default) and runs ``relsim run FILE --out DIR`` in a fresh process for each
tick count (e.g. 20 and 60). Every fixed cost (interpreter and imports, loading the compiled kernels,
building the market, the figures' and report's set-up) is the same for both tick counts, so the
*marginal* rate, extra relationship-ticks over extra seconds, is what a longer run costs per
relationship-tick: simulation plus everything that grows with the run (tables, parquet, figures).
The run's seed does not depend on its length, so the shorter run's timeseries is a prefix of the
longer one's (checked: ``prefix_matches``).

``breakdown`` and ``profile`` run the same command in a fresh process under this module
(``python -m benchmarks.end_to_end {breakdown,profile} FILE OUT JSON TICKS TOP``): ``breakdown`` wraps
the functions a run goes through with wall and CPU clocks (inclusive seconds, as listed in ``STAGES``);
``profile`` samples the main thread's Python stack every 5 ms (``Sampler``) and keeps the functions with
the most inclusive and own wall time (and a text listing). cProfile is not used: on this command its
accounting breaks down (its total came to 2.5 times the run's wall time, and it put a third of the time
that the events table takes, measured by the clock, there).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


# ---- the scenario --------------------------------------------------------------------------
def scenario_data(kw: dict, ticks: int, name: str = "bench", seed: int = 1, replications: int = 1) -> dict:
    """A scenario (as the YAML's data) with the MarketModel keyword arguments ``kw``: every one at its dotted path."""
    from sim.scenarios import PARAM_PATHS

    data: dict = {"name": name, "description": "benchmarks.end_to_end: the benchmark market", "seed": int(seed),
                  "ticks": int(ticks), "replications": int(replications)}
    for key, value in kw.items():
        if key not in PARAM_PATHS:
            raise KeyError(f"{key!r} is not an engine parameter with a scenario path (sim.scenarios.PARAM_PATHS)")
        node = data
        *parents, leaf = PARAM_PATHS[key].split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value.item() if hasattr(value, "item") else value
    return data


def write_scenario(path: Path, kw: dict, ticks: int, **extra) -> bool:
    """Write the scenario file; True when it loads back to exactly ``kw`` (``Scenario.model_kwargs``)."""
    from sim.scenarios import load_scenario

    path.write_text(yaml.safe_dump(scenario_data(kw, ticks, **extra), sort_keys=False))
    got = load_scenario(path).model_kwargs()
    return all(got[k] == v for k, v in kw.items() if k != "policy")


def relsim_command() -> list[str]:
    """The ``relsim`` console script of this interpreter's environment (else ``python -m sim.cli``)."""
    exe = Path(sys.executable).parent / "relsim"
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "sim.cli"]


def spawn(cmd: list[str], log: Path, env: dict | None = None, cwd: Path = ROOT) -> dict:
    """Run ``cmd`` to the end (output to ``log``): wall seconds, the child's CPU seconds and peak resident memory."""
    with open(log, "wb") as f:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)  # the child's own rusage (not every child's, as getrusage gives)
        wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        tail = log.read_text(errors="replace").strip().splitlines()[-15:]
        raise RuntimeError(f"{' '.join(cmd)} exited with {p.returncode}:\n" + "\n".join(tail))
    return {"wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "user_s": ru.ru_utime, "system_s": ru.ru_stime,
            "max_rss_bytes": ru.ru_maxrss * 1024}


def _folder_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def results_of(out: Path) -> dict:
    """What a ``relsim run`` results folder holds: relationship-ticks, tables' rows and bytes, figures, report."""
    import pandas as pd

    ts = pd.read_parquet(out / "timeseries.parquet", columns=["tick", "n_live"])
    rows = {t: int(pd.read_parquet(out / f"{t}.parquet", columns=[]).shape[0])
            for t in ("timeseries", "events", "relationships", "exporters")}
    figs = sorted((out / "figures").glob("*.png")) if (out / "figures").is_dir() else []
    return {
        "ticks": int(ts["tick"].max()),
        "n_live": ts.sort_values("tick")["n_live"].astype(int).tolist(),
        "relationship_ticks": int(ts["n_live"].sum()),
        "rows": rows,
        "table_bytes": {t: (out / f"{t}.parquet").stat().st_size for t in rows},
        "folder_bytes": _folder_bytes(out),
        "figures": {p.name: p.stat().st_size for p in figs},
        "report_bytes": (out / "report.html").stat().st_size if (out / "report.html").is_file() else 0,
    }


def run_cli(scenario: Path, out: Path, ticks: int) -> dict:
    """``relsim run SCENARIO --set ticks=T --out OUT --force`` in a fresh process: its clocks and its results."""
    cmd = [*relsim_command(), "run", str(scenario), "--set", f"ticks={ticks}", "--out", str(out), "--force"]
    r = spawn(cmd, out.with_suffix(".log"))
    r.update(results_of(out), command=" ".join(cmd[-8:]))
    return r


def marginal(kw: dict, ticks: tuple[int, int], workdir: Path, repeats: int = 2) -> dict:
    """``relsim run`` on the market ``kw`` for ``ticks = (lo, hi)`` ticks, ``repeats`` times each (interleaved);
    the fastest run of each counts. Returns both runs and the marginal rate between them."""
    lo, hi = ticks
    workdir.mkdir(parents=True, exist_ok=True)
    scenario = workdir / "bench_market.yaml"
    same = write_scenario(scenario, kw, hi)
    best: dict[int, dict] = {}
    for rep in range(repeats):
        for t in (lo, hi):
            r = run_cli(scenario, workdir / f"run_{t}_ticks", t)
            print(f"  relsim run, {t} ticks: {r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU, "
                  f"{r['relationship_ticks']:,} relationship-ticks, peak RSS {r['max_rss_bytes']/1e9:.2f} GB", flush=True)
            if t not in best or r["wall_s"] < best[t]["wall_s"]:
                r["cpu_s_min"] = min(r["cpu_s"], best.get(t, {}).get("cpu_s_min", r["cpu_s"]))
                best[t] = r
            else:
                best[t]["cpu_s_min"] = min(best[t]["cpu_s_min"], r["cpu_s"])
    a, b = best[lo], best[hi]
    extra = b["relationship_ticks"] - a["relationship_ticks"]
    dwall, dcpu = b["wall_s"] - a["wall_s"], b["cpu_s_min"] - a["cpu_s_min"]
    return {
        "scenario": str(scenario),
        "scenario_loads_to_market": same,
        "ticks": [lo, hi],
        "repeats": repeats,
        "runs": {str(lo): a, str(hi): b},
        "prefix_matches": b["n_live"][:lo] == a["n_live"],
        "extra_relationship_ticks": extra,
        "extra_wall_s": dwall,
        "extra_cpu_s": dcpu,
        "marginal_wall_seconds_per_tick": dwall / (hi - lo),
        "marginal_relationship_ticks_per_s_wall": extra / dwall if dwall > 0 else float("nan"),
        "marginal_relationship_ticks_per_s_cpu": extra / dcpu if dcpu > 0 else float("nan"),
        # what the run costs before its first tick's share: interpreter, imports, kernels, building, figures' set-up
        "fixed_wall_s": a["wall_s"] - lo * dwall / (hi - lo),
        "live_mean_extra_ticks": extra / (hi - lo),
    }


def fresh(mode: str, scenario: Path, out: Path, ticks: int, top: int = 40) -> dict:
    """``breakdown`` or ``profile`` of ``relsim run`` in a fresh process (see the module docstring)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    js = out.with_name(out.name + f".{mode}.json")
    cmd = [sys.executable, "-m", "benchmarks.end_to_end", mode, str(scenario), str(out), str(js), str(ticks), str(top)]
    clocks = spawn(cmd, out.with_name(out.name + f".{mode}.log"))
    r = json.loads(js.read_text())
    r["process"] = clocks
    r["ticks"] = ticks
    if mode == "breakdown":
        inside = r["process_start_to_exit_wall_s"]
        r["interpreter_start_wall_s"] = clocks["wall_s"] - inside  # before this module's first line ran
    return r


# ---- inside the fresh process ------------------------------------------------------------
#: (label, module, attribute): a function (or ``Class.method``, or ``Class.property``) a run goes through;
#: indentation shows what is inside what. Seconds are inclusive.
STAGES = [
    ("load and check the scenario", "sim.cli.commands", "scenario_or_fail"),
    ("experiment: run, write, figures, report", "sim.cli.commands", "experiment"),
    ("  plan the runs", "sim.experiments", "plan"),
    ("  write manifest.json", "sim.results", "write_manifest"),
    ("  one run: simulate, tables, outcomes, write", "sim.experiments", "execute_run"),
    ("    build the market", "sim.model", "MarketModel.__init__"),
    ("    ticks", "sim.model", "MarketModel.run_for"),
    ("    table: timeseries", "sim.model", "MarketModel.timeseries"),
    ("    table: events", "sim.model", "MarketModel.events"),
    ("    table: relationships", "sim.model", "MarketModel.relationships"),
    ("    table: exporters", "sim.model", "MarketModel.exporter_table"),
    ("    outcomes", "sim.experiments", "outcomes"),
    ("      trading spells (in outcomes)", "sim.experiments", "trading_spells"),
    ("    write the run's tables", "sim.results", "write_run"),
    ("  combine the runs into the folder", "sim.results", "combine"),
    ("  figures", "sim.plots", "make_figures"),
    ("    figure: stage counts", "sim.plots", "stage_counts"),
    ("    figure: trust and commitment", "sim.plots", "trust_commitment"),
    ("    trading spells (for survival)", "sim.plots", "_spells"),
    ("    figure: survival", "sim.plots", "survival"),
    ("    figure: dissolutions", "sim.plots", "dissolutions"),
    ("    figure: exporters", "sim.plots", "exporters"),
    ("    figures: forecast, loyalty", "sim.plots", "_over_time"),
    ("    save PNGs (in the figures)", "sim.plots", "_save"),
    ("  report.html", "sim.report", "write_report"),
    ("CLI: stage table (printed)", "sim.cli.commands", "_stage_table"),
    ("CLI: answer table (printed)", "sim.cli.commands", "_answer_table"),
    ("all parquet writes", "sim.results", "write_parquet"),
    ("all parquet reads", "pandas", "read_parquet"),
]


def _patch(spent: dict, label: str, module: str, attr: str) -> tuple:
    import importlib

    owner = importlib.import_module(module)
    if "." in attr:
        cls, attr = attr.split(".")
        owner = getattr(owner, cls)
    if isinstance(owner, type):  # the class's own attribute, or the one it inherits (then shadowed while patched)
        original = next(vars(k)[attr] for k in owner.__mro__ if attr in vars(k))
    else:
        original = getattr(owner, attr)
    depth = [0]
    row = spent.setdefault(label.strip(), {"calls": 0, "wall_s": 0.0, "cpu_s": 0.0})

    def timer(fn):
        def timed(*a, **k):
            if depth[0]:
                return fn(*a, **k)
            depth[0] += 1
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                return fn(*a, **k)
            finally:
                row["wall_s"] += time.perf_counter() - t0
                row["cpu_s"] += time.process_time() - c0
                row["calls"] += 1
                depth[0] -= 1

        return timed

    setattr(owner, attr, property(timer(original.fget)) if isinstance(original, property) else timer(original))
    return owner, attr, original


class Sampler:
    """A wall-clock sampling profiler of one thread: every ``interval`` seconds a helper thread reads the
    thread's Python stack (``sys._current_frames``) and charges the seconds since its last look to it.

    Time in compiled code (numba kernels, pandas, Arrow, Agg) goes to the Python function that called
    it. While such code holds the GIL the helper waits; its next look, when the code returns to that
    function, charges the whole wait there. Per function: ``own`` seconds (it was the innermost frame)
    and ``inclusive`` seconds (it was anywhere on the stack).
    """

    def __init__(self, interval: float = 0.005):
        import threading

        self.interval, self.target = interval, threading.get_ident()
        self.stacks: dict[tuple, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        last = time.perf_counter()
        while not self._stop.wait(self.interval):
            frame = sys._current_frames().get(self.target)
            now = time.perf_counter()
            stack = []
            while frame is not None:
                code = frame.f_code
                stack.append((code.co_filename, code.co_firstlineno, code.co_qualname))
                frame = frame.f_back
            key = tuple(stack)
            self.stacks[key] = self.stacks.get(key, 0.0) + (now - last)
            last = now

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @staticmethod
    def name(fn: tuple) -> str:
        file, line, qual = fn
        parts = Path(file).parts
        short = "/".join(parts[parts.index("site-packages") + 1:]) if "site-packages" in parts else (
            "/".join(parts[-2:]) if len(parts) > 1 else file)
        return f"{short}:{line}({qual})"

    def table(self, top: int) -> dict:
        own: dict[tuple, float] = {}
        incl: dict[tuple, float] = {}
        for stack, sec in self.stacks.items():
            if stack:
                own[stack[0]] = own.get(stack[0], 0.0) + sec
            for fn in set(stack):
                incl[fn] = incl.get(fn, 0.0) + sec

        def rows(d, n):
            return [{"function": self.name(fn), "seconds": sec, "own_s": own.get(fn, 0.0), "inclusive_s": incl.get(fn, 0.0)}
                    for fn, sec in sorted(d.items(), key=lambda kv: -kv[1])[:n]]

        sim_incl = {fn: sec for fn, sec in incl.items() if "/sim/" in fn[0].replace("\\", "/")}
        return {"sampled_s": sum(self.stacks.values()), "interval_s": self.interval,
                "top_own": rows(own, top), "top_inclusive": rows(incl, top), "sim_inclusive": rows(sim_incl, top)}


def _child(mode: str, scenario: str, out: str, js: str, ticks: str, top: str) -> None:
    t_start = time.perf_counter()
    import sim.cli  # what the relsim script imports

    spent: dict = {}
    t_imp = time.perf_counter()
    import pandas  # noqa: F401  # the modules the run imports later, so that they can be wrapped
    import sim.experiments, sim.plots, sim.report, sim.results  # noqa: E401,F401

    imports = {"sim.cli": t_imp - t_start, "experiments, plots, report (imported later by the run)": time.perf_counter() - t_imp}
    argv = ["run", scenario, "--set", f"ticks={ticks}", "--out", out, "--force"]
    sys.argv = ["relsim", *argv]
    if mode == "breakdown":
        patched = [_patch(spent, *s) for s in STAGES]
    sampler = Sampler() if mode == "profile" else None
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        if sampler:
            sampler.__enter__()
        sim.cli.app(argv, prog_name="relsim")
    except SystemExit as e:
        if e.code not in (0, None):
            raise
    finally:
        if sampler:
            sampler.__exit__()
    res = {"imports_wall_s": imports, "command_wall_s": time.perf_counter() - t0, "command_cpu_s": time.process_time() - c0}
    if mode == "breakdown":
        for owner, attr, original in patched:
            setattr(owner, attr, original)  # (the process ends here; nothing runs after)
        res["stages"] = [dict(stage=label.strip(), indent=(len(label) - len(label.lstrip())) // 2, **spent[label.strip()])
                         for label, *_ in STAGES]
    else:
        res.update(sampler.table(int(top)))
        text = Path(out).with_name(Path(out).name + ".profile.txt")
        lines = [f"relsim run, {ticks} ticks: wall-clock samples every {sampler.interval * 1e3:.0f} ms of the main thread, "
                 f"{res['sampled_s']:.1f} s sampled (benchmarks.end_to_end.Sampler)", ""]
        for key, title in (("top_inclusive", "inclusive seconds (anywhere on the stack)"),
                           ("top_own", "own seconds (innermost Python frame)"),
                           ("sim_inclusive", "inclusive seconds, functions of sim/")):
            lines += [title, f"{'inclusive':>10} {'own':>8}  function"]
            lines += [f"{r['inclusive_s']:10.2f} {r['own_s']:8.2f}  {r['function']}" for r in res[key]]
            lines.append("")
        text.write_text("\n".join(lines))
        res["listing"] = str(text)
    res["process_start_to_exit_wall_s"] = time.perf_counter() - t_start
    Path(js).write_text(json.dumps(res, indent=1, default=float))


if __name__ == "__main__":
    _child(*sys.argv[1:7])
