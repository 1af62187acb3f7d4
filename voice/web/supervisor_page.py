"""The supervisor wallboard: ``GET /supervisor``, its JSON and its live updates.

Owns the page (``templates/supervisor.html`` with ``static/supervisor.js``), ``GET
/api/supervisor/wallboard`` (every queue's live figures, today's KPIs and its agents) and
``GET /api/supervisor/events`` (Server-Sent Events: a ``wallboard`` event with the same JSON
whenever it changes, checked every :data:`STREAM_POLL_S`). Supervisors and admins only.

Live figures come from :meth:`voice.acd.distributor.Distributor.status`; today's KPIs from
one grouped query (:func:`voice.reports.aggregates.kpi_sums` by queue) over the day of the
services' clock in ``VOICE_WALLBOARD_TIMEZONE`` (default UTC). The queues shown are the
configured ones plus any queue an agent answers.

However many supervisors watch, a process computes the board at most once per
:data:`STREAM_POLL_S`: the JSON and every open stream read it from one :class:`BoardCache`
per app. A change (an agent's state, a caller joining) therefore reaches the browsers within
two poll intervals plus one computation.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
)
from sqlalchemy import select

from voice.acd.records import QueueConfig
from voice.reports.aggregates import kpi_sums
from voice.reports.kpis import KpiSums, QueueKpis, day_window
from voice.store.models import Agent, AgentQueue
from voice.web import services
from voice.web.access import require_page_role, require_role
from voice.web.event_stream import Snapshot, event_stream

bp = Blueprint("supervisor_page", __name__)
ROLES = ("supervisor", "admin")
#: how often a stream looks at the board, and how long one computed board is served
STREAM_POLL_S = 0.25
_CACHE_KEY = "supervisor_board_cache"
_CACHE_LOCK = threading.Lock()


class BoardCache:
    """The newest board, recomputed only when older than ``ttl`` seconds.

    One per app (process); threads asking while it is being computed wait for that result
    instead of computing their own. ``compute_seconds`` keeps the last 1,000 computation
    times (for ``bench/wallboard_latency.py``).
    """

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self.compute_seconds: deque[float] = deque(maxlen=1000)
        self._lock = threading.Lock()
        self._board: dict[str, Any] | None = None
        self._at = 0.0

    def get(self, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """The cached board, or a fresh one from ``compute()`` when the cached one is old."""
        with self._lock:
            began = time.monotonic()
            if self._board is None or began - self._at >= self.ttl:
                clock = time.perf_counter()
                self._board = compute()
                self.compute_seconds.append(time.perf_counter() - clock)
                self._at = began
            return self._board


def board_cache(app: Flask) -> BoardCache:
    """The app's :class:`BoardCache` (made on first use)."""
    with _CACHE_LOCK:
        cache = app.extensions.get(_CACHE_KEY)
        if cache is None:
            cache = app.extensions[_CACHE_KEY] = BoardCache(STREAM_POLL_S)
        return cache


def cached_wallboard() -> dict[str, Any]:
    """The board of this process, at most :data:`STREAM_POLL_S` old."""
    return board_cache(current_app).get(wallboard)


def wallboard(now: datetime | None = None) -> dict[str, Any]:
    """Every queue's live status, today's KPIs and its agents (state, seconds in state)."""
    built = services()
    acd = built.acd
    assert acd is not None
    now = now or built.clock()
    zone = built.settings.wallboard_timezone
    start, end = day_window(now, zone)
    configs = {q.name: q for q in acd.queues.list()}
    with built.session_factory() as session:
        members = session.execute(
            select(AgentQueue.queue, Agent.name, Agent.state, Agent.state_reason,
                   Agent.state_since)
            .join(Agent, Agent.id == AgentQueue.agent_id)
            .order_by(AgentQueue.queue, Agent.name)).all()
        names = sorted(set(configs) | {row.queue for row in members})
        for name in names:
            configs.setdefault(name, acd.queues.get(name))
        thresholds = {name: configs[name].service_level for name in names}
        today = kpi_sums(session, start, end, by="queue", thresholds=thresholds,
                         default_threshold=QueueConfig(name="default").service_level, now=now)
    queues = []
    for name in names:
        config = configs[name]
        kpis = QueueKpis.of(name, start, end, config.service_level,
                            today.get(name, KpiSums()))
        agents = [{"name": row.name, "state": row.state, "reason": row.state_reason,
                   "since": row.state_since.isoformat(),
                   "seconds_in_state": round((now - row.state_since).total_seconds())}
                  for row in members if row.queue == name]
        queues.append({"name": name, "description": config.description,
                       "live": acd.distributor.status(name),
                       "today": kpis.to_dict(), "agents": agents})
    return {"now": now.isoformat(), "timezone": zone, "queues": queues}


def _changes(board: dict[str, Any]) -> str:
    """The board without the figures that move with time alone (seconds in state, longest
    wait, today's AHT while a wrap-up is open, now), so the stream sends an event only when
    something happened; the page counts times up itself."""
    key = [(q["name"], q["live"]["waiting"], q["live"]["agents"],
            {k: v for k, v in q["today"].items() if k != "aht_seconds"},
            [(a["name"], a["state"], a["reason"], a["since"]) for a in q["agents"]])
           for q in board["queues"]]
    return json.dumps(key, sort_keys=True, default=str)


@bp.get("/supervisor")
@require_page_role(*ROLES)
def supervisor_page() -> str:
    """The wallboard page, with the current board embedded (the script keeps it live)."""
    return render_template("supervisor.html", board=cached_wallboard())


@bp.get("/api/supervisor/wallboard")
@require_role(*ROLES)
def wallboard_json() -> Response:
    """The current board as JSON."""
    return jsonify(cached_wallboard())


@bp.get("/api/supervisor/events")
@require_role(*ROLES)
def wallboard_events() -> Response:
    """Server-Sent Events: ``wallboard`` with the board on connecting and on every change,
    and a comment every 15 s to keep proxies open. ``?once=1``: one event, then end."""
    once = request.args.get("once") == "1"

    def snapshot() -> Snapshot:
        board = cached_wallboard()
        return _changes(board), [("wallboard", board)]

    return event_stream(snapshot, STREAM_POLL_S, once=once)
