"""The classroom game in a real browser: the teacher's page and three students' pages at once (Debian's
Chromium driven by playwright), started with ``relsim classroom`` as a teacher would.

Joins (one late, after round 1), two rounds of different decisions, the leaderboard changing, a student
reloading mid-game, the debrief page, every page in English and Korean with its text inside the layout,
and no request leaving loopback. Screenshots go to ``results/classroom-browser/``. Without Chromium or
playwright the test skips on a developer's machine and FAILS in CI (CI=true).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_dashboard_browser import CHROMIUM_ARGS, _free_port, _stop, _wait_for, chromium  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "results" / "classroom-browser"


@pytest.fixture(scope="module")
def game(tmp_path_factory):
    port = _free_port()
    tmp = tmp_path_factory.mktemp("classroom")
    log_path, out = tmp / "terminal.log", tmp / "results"
    relsim = Path(sys.executable).with_name("relsim")
    with open(log_path, "w") as log:
        proc = subprocess.Popen([str(relsim), "classroom", "--port", str(port), "--rounds", "3", "--out", str(out)],
                                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base + "/", proc, log_path)
        text = log_path.read_text()
        key = re.search(r"/teacher\?key=(\S+)", text).group(1)
        code = re.search(r"join with code (\d{4})", text).group(1)
        yield base, key, code, out, log_path
    finally:
        _stop(proc)


def _offline(page, base, outside):
    def route(r):
        if r.request.url.startswith(base) or r.request.url.startswith(("blob:", "data:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()
    page.route("**/*", route)


def _fits(page) -> list[str]:
    """Elements whose text overflows their box (nothing may stick out of the page or a button)."""
    return page.evaluate("""() => {
        const bad = [];
        if (document.documentElement.scrollWidth > window.innerWidth + 1) bad.push('page ' + document.documentElement.scrollWidth);
        for (const e of document.querySelectorAll('button, h1, h2, label, .big, p')) {
            if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'auto') bad.push(e.tagName + ': ' + e.innerText.slice(0, 40));
        }
        return bad; }""")


def _join(page, base, name, code, lang="en"):
    page.goto(f"{base}/?lang={lang}")
    page.fill("#name", name)
    page.fill("#code", code)
    page.click("#join")
    page.wait_for_selector("#save")


def _decide(page, share: int, policy: str):
    page.evaluate(f"() => {{ const s = document.querySelector('#share'); s.value = {share}; "
                  "s.dispatchEvent(new Event('input')); }")
    page.locator(f"input[name=policy][value={policy}]").check()
    page.click("#save")


def _leaderboard(page) -> list[list[str]]:
    return page.eval_on_selector_all("#board tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText))")


def test_a_class_plays_the_game(chromium, game):
    from playwright.sync_api import sync_playwright

    base, key, code, out, log_path = game
    SHOTS.mkdir(parents=True, exist_ok=True)
    outside, errors = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            pages = []

            def new_page(width, height):
                page = browser.new_context(viewport={"width": width, "height": height}).new_page()
                _offline(page, base, outside)
                page.on("pageerror", lambda e: errors.append(str(e)))
                pages.append(page)
                return page

            teacher = new_page(1300, 1000)
            teacher.goto(f"{base}/teacher?key={key}")
            teacher.wait_for_selector("#next")
            assert teacher.locator("#code").inner_text() == code
            ana, bo, cy = new_page(420, 900), new_page(420, 900), new_page(420, 900)
            _join(ana, base, "Ana", code)
            _join(bo, base, "Bo", code)
            assert "exporter 0" in ana.inner_text("#status") and "exporter 1" in bo.inner_text("#status")
            teacher.wait_for_function("() => document.querySelector('#decided').innerText.includes('players: 2')")

            # every retention policy the engine has is offered, the programmes with what they cost
            choices = ana.eval_on_selector_all("label.choice", "ls => ls.map(l => [l.querySelector('b').innerText, "
                                                                "l.querySelector('small').innerText])")
            assert [c[0] for c in choices] == [
                "Even attention", "New customers first", "Key accounts", "Customers at risk", "Satisfaction survey",
                "Customer database", "Shared-values programme"], choices
            assert "Costs money every month" in choices[5][1]

            # round 1: Ana spends on finding customers, Bo keeps the computer's decisions (submits nothing)
            _decide(ana, 70, "new_customers_first")
            ana.wait_for_selector("#saved.ok")
            teacher.wait_for_function("() => document.querySelector('#decided').innerText.includes('round 1: 1')")
            teacher.click("#next")
            teacher.wait_for_function("() => document.querySelector('#round-status').innerText.startsWith('Round 1 of 3')")
            for student in (ana, bo):  # the round's results reach every student's page
                student.wait_for_selector("#results tbody tr")
            board1 = _leaderboard(teacher)
            assert len(board1) == 36 and any(r[1] == "Ana" for r in board1) and any(r[1] == "Bo" for r in board1)
            teacher.screenshot(path=str(SHOTS / "1-teacher-round1.png"), full_page=True)

            # a late joiner, and a student who reloads mid-game
            _join(cy, base, "Cy", code)
            assert "exporter 2" in cy.inner_text("#status")
            ana.reload()
            ana.wait_for_selector("#results tbody tr")
            assert "Ana · You run exporter 0" in ana.inner_text("#status")
            assert ana.locator("input[name=policy][value=new_customers_first]").is_checked()

            # round 2: different decisions
            _decide(ana, 20, "at_risk")
            _decide(bo, 50, "customer_database")
            _decide(cy, 30, "shared_values_program")
            teacher.wait_for_function("() => document.querySelector('#decided').innerText.includes('round 2: 3')")
            teacher.click("#next")
            teacher.wait_for_function("() => document.querySelector('#round-status').innerText.startsWith('Round 2 of 3')")
            board2 = _leaderboard(teacher)
            assert board2 != board1, "the leaderboard did not change"
            ana.wait_for_function("() => document.querySelectorAll('#results tbody tr').length === 2")
            rows = ana.eval_on_selector_all("#results tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.innerText))")
            assert rows[0][1:3] == ["70 %", "New customers first"] and rows[1][1:3] == ["20 %", "Customers at risk"], rows
            bo.wait_for_function("() => document.querySelectorAll('#results tbody tr').length === 2")
            rows = bo.eval_on_selector_all("#results tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.innerText))")
            assert rows[1][1:3] == ["50 %", "Customer database"], rows
            for name, page in (("teacher", teacher), ("ana", ana), ("bo", bo), ("cy", cy)):
                page.screenshot(path=str(SHOTS / f"2-{name}-round2.png"), full_page=True)
                assert not _fits(page), (name, _fits(page))

            # round 3 is the last: the debrief
            teacher.click("#next")
            teacher.wait_for_selector("#debrief-link")
            ana.wait_for_selector("a[href^='/debrief']")
            ana.click("a[href^='/debrief']")
            ana.wait_for_selector(".player")
            text = ana.inner_text("main")
            for words in ("What the market shows", "The class's best decisions", "What the winners had in common",
                          "Ana · Profit", "Relationships through the stages: exploration"):
                assert words in text, words
            ana.screenshot(path=str(SHOTS / "3-debrief.png"), full_page=True)

            # every page in both languages, its text inside the layout
            for lang, words in (("en", ("Leaderboard", "exploration")), ("ko", ("순위표", "탐색"))):
                for name, url in (("teacher", f"/teacher?key={key}&lang={lang}"), ("student", f"/?lang={lang}"),
                                  ("debrief", f"/debrief?lang={lang}")):
                    page = cy if name == "student" else teacher
                    page.goto(base + url)
                    page.wait_for_selector("#board, .player", timeout=30_000)
                    body = page.inner_text("body")
                    assert words[0] in body or name == "debrief", (lang, name)
                    if name == "debrief":
                        assert words[1] in body, (lang, name)
                        if lang == "ko":
                            assert all(s in body for s in ("탐색", "확장", "몰입")), body[:300]
                    assert not _fits(page), (lang, name, _fits(page))
                    page.screenshot(path=str(SHOTS / f"4-{name}-{lang}.png"), full_page=True)
        finally:
            browser.close()

    assert not outside, f"a page tried to leave the machine: {outside[:5]}"
    assert not errors, errors[:5]
    # everything went to the results folder, decisions included
    decisions = (out / "decisions.csv").read_text().splitlines()
    assert decisions[0] == "round,exporter,player,acquisition_share,policy,decided"
    assert "1,0,Ana,0.7,new_customers_first,True" in decisions and "2,1,Bo,0.5,customer_database,True" in decisions
    assert "2,2,Cy,0.3,shared_values_program,True" in decisions
    assert "1,1,Bo,0.2,new_customers_first,False" in decisions  # Bo sent nothing in round 1: the computer's stood
    debrief = json.loads((out / "debrief.json").read_text())
    assert [p["name"] for p in debrief["players"]] == ["Ana", "Bo", "Cy"]
    assert "Traceback" not in log_path.read_text()
