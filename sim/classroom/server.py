"""The classroom game over HTTP: the teacher's page, the students' pages and a JSON API (Starlette).

Pages: ``/`` (students: join, decide, see their results), ``/teacher?key=KEY`` (rounds, timer,
leaderboard, the market's stage chart), ``/debrief`` (once the game is over). Each page is one HTML file
and ``static/app.js``; nothing is loaded from outside this server.

API (JSON bodies of at most ``MAX_BODY`` bytes; every field checked; a refusal is HTTP 400/403 with
``{"error": "one line naming field, value and what is allowed"}``):

    GET  /api/state?since=V&token=T | key=K   the game as that page sees it, as soon as its version
                                              differs from V (long poll, at most ``POLL_SECONDS``)
    POST /api/join     {"name", "code"}                       -> {"token", "exporter"}
    POST /api/decide   {"token", "acquisition_share", "policy"}
    POST /api/teacher  {"key", "action": "next" | "end" | "timer", "seconds"}
    GET  /api/debrief  the debrief (debrief.json) once the game is over

A page that vanishes mid-poll costs nothing: its waiting request is dropped.
"""

from __future__ import annotations

import asyncio
import json
import math
import secrets
import time
from pathlib import Path
from typing import Any

import numpy as np
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from .. import i18n
from .game import Game, GameError

STATIC = Path(__file__).with_name("static")
MAX_BODY = 4096
POLL_SECONDS = 20.0
TIMER_MAX = 3600


class Hub:
    """The game, the teacher's key, the round timer and the waiting polls of one server."""

    def __init__(self, game: Game, lang: str = "en", key: str | None = None):
        self.game, self.lang = game, lang
        self.key = key or secrets.token_urlsafe(9)
        self.timer = 0  # seconds per round, 0: the teacher clicks
        self._timer_changes = 0
        self.deadline: float | None = None
        self._changed = asyncio.Event()
        self._cache: tuple[int, dict] | None = None
        self._busy = asyncio.Lock()
        self._timer_task: asyncio.Task | None = None

    def bump(self) -> None:
        """Wake every waiting poll."""
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def wait(self, since: int) -> None:
        event = self._changed
        if self.version != since:
            return
        try:
            await asyncio.wait_for(event.wait(), POLL_SECONDS)
        except TimeoutError:
            pass

    @property
    def version(self) -> int:
        """Moves whenever a page would show something new (the game's version plus the timer's changes)."""
        return self.game.version + self._timer_changes

    async def play_round(self) -> None:
        async with self._busy:
            if not self.game.over:
                self.game.play_round()
            self._rearm()
        self.bump()

    def _rearm(self) -> None:
        self._timer_changes += 1
        self.deadline = time.time() + self.timer if self.timer and not self.game.over else None

    def set_timer(self, seconds: int) -> None:
        self.timer = seconds
        self._rearm()
        if self._timer_task is None:
            self._timer_task = asyncio.get_running_loop().create_task(self._tick())

    async def _tick(self) -> None:
        while not self.game.over:
            await asyncio.sleep(0.2)
            if self.deadline is not None and time.time() >= self.deadline:
                await self.play_round()

    # ---- what the pages see -----------------------------------------------------
    def shared(self) -> dict:
        """The part every page shares, built once per version."""
        if self._cache and self._cache[0] == self.version:
            return self._cache[1]
        g = self.game
        m = g.model
        by_exporter = {p.exporter: p for p in g.players.values()}
        rows = [r for r in g._rounds if r["round"] == g.round]
        board = []
        for r in sorted(rows, key=lambda r: (-r["profit_total"], r["exporter"])):
            p = by_exporter.get(r["exporter"])
            board.append({"exporter": r["exporter"], "player": p.name if p else "", "policy": r["policy"],
                          "profit_total": _num(r["profit_total"]), "customers": r["customers"],
                          "retention": _num(r["retention"]), "mean_trust": _num(r["mean_trust"]),
                          "commitment": r["commitment"]})
        ts = m.timeseries if m.steps else None
        stages = {"tick": [] if ts is None else ts.tick.tolist()}
        for s in ("awareness", "exploration", "expansion", "commitment"):
            stages[s] = [] if ts is None else ts[f"n_{s}"].astype(int).tolist()
        nxt = g.round + 1
        state = {
            "version": self.version, "round": g.round, "rounds": g.rounds, "over": g.over,
            "ticks_per_round": g.ticks_per_round, "timer": self.timer,
            "deadline_in": None if self.deadline is None else max(0.0, round(self.deadline - time.time(), 1)),
            "players": [{"name": p.name, "exporter": p.exporter, "decided": p.decided_round == nxt}
                        for p in sorted(g.players.values(), key=lambda p: p.exporter)],
            "n_exporters": int(m.exporters.n), "leaderboard": board, "stages": stages,
        }
        self._cache = (self.version, state)
        return state

    def for_student(self, token: Any) -> dict:
        p = self.game.player(token)
        share, policy = self.game.decisions_of(p.exporter)
        mine = [{k: _num(v) for k, v in r.items()} for r in self.game._rounds if r["exporter"] == p.exporter]
        return {**self.shared(), "me": {"name": p.name, "exporter": p.exporter, "acquisition_share": share,
                                        "policy": policy, "decided": p.decided_round == self.game.round + 1,
                                        "rows": mine}}


def _num(x: Any) -> Any:
    if isinstance(x, (float, np.floating)):
        return None if math.isnan(x) else round(float(x), 4)
    if isinstance(x, np.integer):
        return int(x)
    return x


async def _body(request: Request) -> dict:
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise GameError("body", f"{len(raw)}+ bytes", f"at most {MAX_BODY} bytes of JSON")
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise GameError("body", raw[:40].decode("utf-8", "replace"), "a JSON object") from None
    if not isinstance(data, dict):
        raise GameError("body", data, "a JSON object")
    return data


def _fields(data: dict, allowed: tuple[str, ...]) -> None:
    extra = sorted(set(data) - set(allowed))
    if extra:
        raise GameError(extra[0], data[extra[0]], "no such field; allowed: " + ", ".join(allowed))


def _error(e: Exception, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": str(e)}, status_code=status)


def make_app(hub: Hub) -> Starlette:
    game = hub.game

    def page(name: str):
        async def endpoint(request: Request) -> Response:
            lang = request.query_params.get("lang", hub.lang)
            lang = lang if lang in i18n.LANGS else hub.lang
            html = (STATIC / name).read_text().replace("__TEXTS__", json.dumps(i18n.texts(lang), ensure_ascii=False))
            html = html.replace("__LANG__", lang)
            return HTMLResponse(html, headers={"Cache-Control": "no-store"})
        return endpoint

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ("app.js", "style.css"):
            return Response("not found", status_code=404)
        return FileResponse(STATIC / name, headers={"Cache-Control": "no-cache"})

    async def state(request: Request) -> Response:
        q = request.query_params
        try:
            since = int(q.get("since", "-1"))
        except ValueError:
            return _error(GameError("since", q.get("since"), "an integer"))
        try:
            if "key" in q:
                if not secrets.compare_digest(q["key"], hub.key):
                    return _error(GameError("key", q["key"], "the teacher's key printed in the terminal"), 403)
                await hub.wait(since)
                return JSONResponse({**hub.shared(), "code": game.code})
            hub.for_student(q.get("token"))  # an unknown token is refused at once
            await hub.wait(since)
            return JSONResponse(hub.for_student(q.get("token")))
        except GameError as e:
            return _error(e)

    async def join(request: Request) -> Response:
        try:
            data = await _body(request)
            _fields(data, ("name", "code"))
            p = game.join(data.get("name"), data.get("code"))
        except GameError as e:
            return _error(e)
        hub.bump()
        return JSONResponse({"token": p.token, "exporter": p.exporter, "name": p.name})

    async def decide(request: Request) -> Response:
        try:
            data = await _body(request)
            _fields(data, ("token", "acquisition_share", "policy"))
            game.decide(data.get("token"), data.get("acquisition_share"), data.get("policy"))
        except GameError as e:
            return _error(e)
        hub.bump()
        return JSONResponse({"ok": True})

    async def teacher(request: Request) -> Response:
        try:
            data = await _body(request)
            _fields(data, ("key", "action", "seconds"))
            if not isinstance(data.get("key"), str) or not secrets.compare_digest(data["key"], hub.key):
                return _error(GameError("key", data.get("key"), "the teacher's key printed in the terminal"), 403)
            action = data.get("action")
            if action == "next":
                if game.over:
                    raise GameError("action", action, "end or timer: the game is over")
                await hub.play_round()
            elif action == "end":
                async with hub._busy:
                    game.end()
                    hub._rearm()
                hub.bump()
            elif action == "timer":
                seconds = data.get("seconds")
                if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 <= seconds <= TIMER_MAX:
                    raise GameError("seconds", seconds, f"an integer from 0 (off) to {TIMER_MAX}")
                hub.set_timer(seconds)
                hub.bump()
            else:
                raise GameError("action", action, "one of next, end, timer")
        except GameError as e:
            return _error(e)
        return JSONResponse({"ok": True, "round": game.round, "over": game.over})

    async def debrief(request: Request) -> Response:
        path = game.folder / "debrief.json"
        if not game.over or not path.is_file():
            return _error(GameError("debrief", "not yet", "a game that is over"), 409)
        return Response(path.read_bytes(), media_type="application/json")

    return Starlette(routes=[
        Route("/", page("student.html")),
        Route("/teacher", page("teacher.html")),
        Route("/debrief", page("debrief.html")),
        Route("/static/{name}", static),
        Route("/api/state", state),
        Route("/api/join", join, methods=["POST"]),
        Route("/api/decide", decide, methods=["POST"]),
        Route("/api/teacher", teacher, methods=["POST"]),
        Route("/api/debrief", debrief),
    ])


def serve(game: Game, host: str, port: int, lang: str, key: str | None = None) -> None:
    """Serve ``game`` until interrupted (Ctrl-C): prints the addresses, the join code and the teacher's key."""
    import uvicorn

    from .market import warm_up

    warm_up()
    hub = Hub(game, lang, key)
    where = host if host not in ("0.0.0.0", "::") else "<this computer's address>"
    print(f"relsim classroom: teacher's page http://{host if host not in ('0.0.0.0', '::') else '127.0.0.1'}:{port}"
          f"/teacher?key={hub.key}", flush=True)
    print(f"relsim classroom: students open http://{where}:{port}/ and join with code {game.code}", flush=True)
    print(f"relsim classroom: results in {game.folder} (Ctrl-C stops it)", flush=True)
    uvicorn.run(make_app(hub), host=host, port=port, log_level="warning", access_log=False,
                timeout_graceful_shutdown=1)

