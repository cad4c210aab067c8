"""The dashboard in a real browser: Debian's Chromium driven by playwright.

Starts ``solara run sim/dashboard.py`` on a free loopback port, loads the page
with the network cut off from everything but that port, changes controls,
presses Reset and Step, and checks that the step counter, the stage chart and
the network view changed. Screenshots go to ``results/dashboard-browser/``
(printed). Without Chromium or playwright the test skips on a developer's
machine and FAILS in CI (CI=true), where .ci/run installs Chromium.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "results" / "dashboard-browser"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _missing(what: str):
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{what} is required in CI (.ci/run installs Debian's chromium)")
    pytest.skip(f"{what} not available")


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        _missing("chromium on PATH")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("the playwright python package")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    log_path = tmp_path_factory.mktemp("dashboard") / "solara.log"
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    env.pop("RELSIM_DASHBOARD_SCENARIO", None)
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "solara", "run", str(ROOT / "sim" / "dashboard.py"), "--port", str(port),
             "--host", "127.0.0.1", "--production", "--no-open"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"solara exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"dashboard did not answer at {url} within 120 s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url, log_path
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


def _changed_share(a: bytes, b: bytes) -> float:
    """Share of pixels that differ between two same-size PNG screenshots."""
    import numpy as np
    from PIL import Image

    x = np.asarray(Image.open(io.BytesIO(a)).convert("RGB"), dtype=np.int16)
    y = np.asarray(Image.open(io.BytesIO(b)).convert("RGB"), dtype=np.int16)
    assert x.shape == y.shape, (x.shape, y.shape)
    return float((np.abs(x - y).sum(axis=2) > 30).mean())


def _ink(png: bytes) -> float:
    """Share of non-white pixels: a blank element has none."""
    import numpy as np
    from PIL import Image

    x = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    return float((x < 200).mean())


def test_dashboard_in_chromium(chromium, server):
    from playwright.sync_api import sync_playwright

    url, log_path = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {SHOTS}")
    outside, failed, page_errors = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})

            def route(r):  # offline: anything not served by the dashboard itself is refused
                if r.request.url.startswith(url) or r.request.url.startswith(("blob:", "data:")):
                    r.continue_()
                else:
                    outside.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
            page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.url} HTTP {r.status}"))

            page.goto(url, timeout=120_000)
            summary = page.locator(".relsim-summary")
            network = page.locator(".relsim-network")
            stages = page.locator(".relsim-stages")
            page.wait_for_selector(".relsim-network canvas", timeout=120_000)
            page.wait_for_selector(".relsim-stages canvas", timeout=60_000)
            expect_text(page, "Tick 0 · 20 exporters × 500 buyers · policy uniform")
            time.sleep(1.0)  # let ECharts paint
            page.screenshot(path=str(SHOTS / "0-loaded.png"))

            # change controls: the Exporters slider (keyboard) and the retention policy; then Reset
            # (the page is a view of the server's state: each change makes a round trip, and the browser applies
            # the widgets' updates one message at a time, so every check waits for the state a person then sees)
            page.locator(".v-input__slider", has_text="Exporters").locator("[role=slider]").focus()
            for n in range(19, 11, -1):  # 20 -> 12 exporters, one key press at a time
                page.keyboard.press("ArrowLeft")
                page.wait_for_selector(f".v-input__slider label:text-is('Exporters: {n}')", timeout=30_000)
            page.get_by_label("Retention policy").click(force=True)
            page.locator(".v-menu__content .v-list-item", has_text="key_accounts").click()
            # each slider shows its value at rest; the summary says what the next Reset changes
            page.keyboard.press("Escape")
            page.locator(".relsim-summary").click()  # focus away from the controls
            pending = "exporters 20 → 12 · retention policy uniform → key_accounts — press Reset to apply"
            summary_shows(page, f"⟳ Next Reset: {pending}", timeout=30_000)
            expect_text(page, "Tick 0 · 20 exporters × 500 buyers")  # not applied before Reset
            assert page.locator(".relsim-pending").inner_text() == f"⟳ Next Reset: {pending}"
            page.screenshot(path=str(SHOTS / "1-controls-moved.png"))
            page.get_by_role("button", name="Reset").click()
            # the new market, and no notice left: the controls are the running market's settings
            summary_shows(page, "Tick 0 · 12 exporters × 500 buyers · policy key_accounts", absent="Next Reset")
            assert page.locator(".relsim-pending").count() == 0
            time.sleep(1.0)
            net0, stages0 = network.screenshot(), stages.screenshot()
            (SHOTS / "1-network-tick0.png").write_bytes(net0)
            (SHOTS / "1-stages-tick0.png").write_bytes(stages0)

            latencies = []
            for k in range(1, 9):
                t0 = time.perf_counter()
                page.get_by_role("button", name="Step").click()
                expect_text(page, f"Tick {k} · 12 exporters")
                latencies.append(time.perf_counter() - t0)
            time.sleep(1.0)
            net8, stages8 = network.screenshot(), stages.screenshot()
            (SHOTS / "2-network-tick8.png").write_bytes(net8)
            (SHOTS / "2-stages-tick8.png").write_bytes(stages8)
            page.screenshot(path=str(SHOTS / "3-page-tick8.png"))
            print("click-to-update latency per Step (ms):", [round(x * 1e3) for x in latencies])

            # the step counter moved, and the stage chart and network view were redrawn
            assert "Tick 8 · 12 exporters × 500 buyers · policy key_accounts" in summary.inner_text()
            assert _ink(net8) > 0.02 and _ink(stages8) > 0.02, "a chart is blank"
            assert _changed_share(net0, net8) > 0.01, "network view did not change after 8 steps"
            assert _changed_share(stages0, stages8) > 0.01, "stage chart did not change after 8 steps"

            # play runs the market on its own; pause stops it
            page.get_by_role("button", name="▶").click()
            page.wait_for_function(
                "() => /Tick (1[2-9]|[2-9][0-9]|[0-9]{3,}) /.test(document.querySelector('.relsim-summary').innerText)",
                timeout=60_000)
            page.get_by_role("button", name="❚❚").click()
            time.sleep(1.0)
            paused = summary.inner_text().split(" · ")[0]
            time.sleep(1.5)
            assert summary.inner_text().split(" · ")[0] == paused, "the market kept running after pause"
        finally:
            browser.close()

    log = log_path.read_text()
    assert not outside, f"the page tried to leave the machine (not offline): {outside[:5]}"
    assert not failed, f"failed requests: {failed[:5]}"
    assert not page_errors, f"errors in the page: {page_errors[:5]}"
    assert "Could not load URL" not in log, "the server fetched assets from a CDN: " + log[-2000:]
    assert "Traceback" not in log, log[-3000:]


@pytest.fixture(scope="module")
def classroom_server(tmp_path_factory):
    """``relsim dashboard scenarios/classroom.yaml`` as a teacher starts it (the command, not solara run)."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("dashboard-file") / "terminal.log"
    env = {k: v for k, v in os.environ.items() if k != "RELSIM_DASHBOARD_SCENARIO"}
    relsim = Path(sys.executable).with_name("relsim")
    with open(log_path, "w") as log:
        proc = subprocess.Popen([str(relsim), "dashboard", "scenarios/classroom.yaml", "--port", str(port)],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for(url, proc, log_path)
        yield url, log_path
    finally:
        _stop(proc)


def _wait_for(url, proc, log_path):
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            pytest.fail(f"the server exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"no answer at {url} within 120 s:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.5)


def _stop(proc):
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


def test_dashboard_shows_the_scenario_file(chromium, classroom_server):
    """The file's market exactly: seed, counts, policy and slider values; no pending-Reset notice; Mesa's
    internal settings hidden; a quiet terminal."""
    from playwright.sync_api import sync_playwright

    from sim.scenarios import load_scenario

    url, log_path = classroom_server
    scenario = load_scenario(ROOT / "scenarios" / "classroom.yaml")
    kw = scenario.model_kwargs()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            for visit in range(2):  # two browser connections: the terminal stays quiet for each
                page = browser.new_page(viewport={"width": 1400, "height": 1100})
                page.goto(url, timeout=120_000)
                page.wait_for_selector(".relsim-stages canvas", timeout=120_000)
                expect_text(page, f"Tick 0 · {kw['n_exporters']} exporters × {kw['n_buyers']} buyers · "
                                  f"policy {kw['policy']}")
                summary = page.locator(".relsim-summary").inner_text()
                assert f"seed {scenario.seed}" in summary, summary
                assert "Next Reset" not in summary, summary  # nothing was changed
                for label in (f"Exporters: {kw['n_exporters']}", f"Buyers: {kw['n_buyers']}", f"Seed: {scenario.seed}",
                              f"Spread of shared values: {kw['values_spread']}"):
                    page.wait_for_selector(f".v-input__slider label:text-is('{label}')", timeout=30_000)
                    assert page.locator(f".v-input__slider label:text-is('{label}')").count() == 1, label
                sidebar = page.locator(".v-navigation-drawer").inner_text()
                for internal in ("Play Interval", "Render Interval", "Use Threads", "Information"):
                    assert internal not in sidebar, f"Mesa's {internal!r} is shown to the class"
                assert not page.get_by_text("Page 0").is_visible()
                time.sleep(1.0)
                page.screenshot(path=str(SHOTS / f"4-classroom-yaml-{visit}.png"))
                page.close()
        finally:
            browser.close()
    log = log_path.read_text()
    assert "New version of Solara" not in log and "upgrade" not in log.lower(), log
    assert "Cookies with samesite" not in log and "Warning" not in log, log
    assert log.splitlines()[0] == f"relsim dashboard: {url} (Ctrl-C stops it)", log


def summary_shows(page, text: str, absent: str | None = None, timeout: float = 60_000) -> None:
    """Wait until the summary panel shows ``text`` on one of its lines (the whole line, or its start) and,
    with ``absent``, no line containing that."""
    page.wait_for_function(
        """([t, a]) => { const e = document.querySelector('.relsim-summary'); if (!e) return false;
                         const lines = e.innerText.split('\\n');
                         return lines.some(l => l.startsWith(t)) && !(a && lines.some(l => l.includes(a))); }""",
        arg=[text, absent], timeout=timeout)


def expect_text(page, text: str, timeout: float = 60_000) -> None:
    """Wait until the summary panel contains ``text``."""
    page.wait_for_function(
        "t => { const e = document.querySelector('.relsim-summary'); return e && e.innerText.includes(t); }",
        arg=text, timeout=timeout)
