"""Supervisor reports and the IVR funnel: date-range pages with CSV downloads.

Owns ``GET /supervisor/reports`` (the queue KPIs of :mod:`voice.reports.kpis` per queue, per
agent and per hour of the day, over a range of local days, optionally one queue's callers),
``GET /supervisor/reports.csv?by=queue|agent|hour&from=&to=&queue=``, ``GET
/supervisor/funnel`` (a flow's per-node funnel, :mod:`voice.reports.funnel`) and ``GET
/supervisor/funnel.csv?flow=&from=&to=``. Supervisors and admins only: visitors are sent to
sign in, other roles get 403. Days are those of ``VOICE_WALLBOARD_TIMEZONE``; empty dates mean
the last seven days up to today. A bad range is a 400 that says what to fix (the page shows
it above the form). These pages only read: nothing here changes configuration.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for

from voice.acd.records import QueueConfig
from voice.flows.errors import FlowsError
from voice.moments import clock_text
from voice.reports.breakdowns import BREAKDOWNS, Report, build_report
from voice.reports.csv_export import funnel_csv, report_csv
from voice.reports.errors import MissingFlowError, ReportError, UnknownBreakdownError
from voice.reports.funnel import Funnel, flow_choices, funnel, node_order
from voice.reports.kpis import local_today
from voice.reports.ranges import DateRange, parse_range
from voice.web import services
from voice.web.access import require_page_role

bp = Blueprint("supervisor_reports", __name__)
ROLES = ("supervisor", "admin")
TITLES = {"queue": "Per queue", "agent": "Per agent", "hour": "Per hour of the day"}


def _today() -> date:
    built = services()
    return local_today(built.clock(), built.settings.wallboard_timezone)


def _range() -> DateRange:
    """The request's ``from``/``to`` as a range (raises ReportError)."""
    return parse_range(request.args.get("from"), request.args.get("to"), today=_today(),
                       timezone=services().settings.wallboard_timezone)


def _thresholds() -> tuple[dict[str, int], int]:
    """Configured queues' service-level thresholds, and that of the others."""
    acd = services().acd
    assert acd is not None
    return ({q.name: q.service_level for q in acd.queues.list()},
            QueueConfig(name="default").service_level)


def _report(by: str, days: DateRange, queue: str | None,
            thresholds: tuple[dict[str, int], int] | None = None) -> Report:
    thresholds, default = thresholds or _thresholds()
    built = services()
    with built.session_factory() as session:
        return build_report(session, by, days, thresholds=thresholds,
                            default_threshold=default, now=built.clock(), queue=queue)


def _queue_choices(thresholds: dict[str, int]) -> list[str]:
    acd = services().acd
    assert acd is not None  # build_services always sets it
    return sorted(set(thresholds) | set(acd.queues.names()))


def _bad_request(message: str) -> Response:
    return Response(f"{message}\n", status=400, mimetype="text/plain")


def _csv(body: str, name: str) -> Response:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{safe}"', "Cache-Control": "no-store"})


def duration(seconds: float | None) -> str:
    """``m:ss`` (``h:mm:ss`` from an hour); an en dash for no value."""
    if seconds is None:
        return "\u2013"
    return clock_text(round(seconds))


def percent(value: float | None) -> str:
    """``12.5%``; an en dash for no value."""
    return "\u2013" if value is None else f"{value:g}%"


def share(part: int, whole: int) -> float:
    """``part`` as a percentage of ``whole`` (0 when ``whole`` is 0), for the funnel's bars."""
    return 100.0 * part / whole if whole else 0.0


FORMATS: dict[str, Any] = {"duration": duration, "percent": percent, "share": share}


@bp.get("/supervisor/reports")
@require_page_role(*ROLES)
def reports_page() -> tuple[str, int]:
    """The three breakdowns over the asked range, with their CSV links."""
    queue = (request.args.get("queue") or "").strip() or None
    known = _thresholds()
    values = {"from": request.args.get("from", ""), "to": request.args.get("to", ""),
              "queue": queue or ""}
    context: dict[str, Any] = {"queues": _queue_choices(known[0]), "values": values,
                               "titles": TITLES, "error": None, "reports": [], **FORMATS}
    try:
        days = _range()
    except ReportError as exc:
        context["error"] = str(exc)
        return render_template("supervisor_reports.html", **context), 400
    query = {**days.query(), **({"queue": queue} if queue else {})}
    context["values"] = {**days.query(), "queue": queue or ""}
    context["days"] = days
    context["reports"] = [_report(by, days, queue, known) for by in BREAKDOWNS]
    context["csv_links"] = {by: url_for("supervisor_reports.reports_csv", by=by, **query)
                            for by in BREAKDOWNS}
    context["funnel_link"] = url_for("supervisor_reports.funnel_page", **days.query())
    return render_template("supervisor_reports.html", **context), 200


@bp.get("/supervisor/reports.csv")
@require_page_role(*ROLES)
def reports_csv() -> Response:
    """One breakdown as a CSV download (``by``: queue, agent or hour)."""
    by = (request.args.get("by") or "").strip()
    queue = (request.args.get("queue") or "").strip() or None
    try:
        if by not in BREAKDOWNS:
            raise UnknownBreakdownError(by, BREAKDOWNS)
        days = _range()
    except ReportError as exc:
        return _bad_request(str(exc))
    report = _report(by, days, queue)
    suffix = f"-{queue}" if queue else ""
    return _csv(report_csv(report), f"report-by-{by}-{days.first}-to-{days.last}{suffix}.csv")


def _published() -> list[str]:
    return [info.flow_id for info in services().flow_repository.list_current()]


def _funnel(flow_id: str, days: DateRange) -> Funnel:
    built = services()
    try:
        nodes = node_order(built.flow_catalog.published(flow_id).flows[flow_id])
    except FlowsError:
        nodes = []  # not published (or no longer loadable): order by the calls' paths
    with built.session_factory() as session:
        return funnel(session, flow_id, days.start, days.end, nodes=nodes)


@bp.get("/supervisor/funnel")
@require_page_role(*ROLES)
def funnel_page() -> tuple[str, int]:
    """A flow's funnel over the asked range: a table per node in path order, with bars."""
    flow_id = (request.args.get("flow") or "").strip()
    values = {"from": request.args.get("from", ""), "to": request.args.get("to", ""),
              "flow": flow_id}
    context: dict[str, Any] = {"flows": [], "values": values, "error": None,
                               "funnel": None, **FORMATS}
    try:
        days = _range()
    except ReportError as exc:
        context["flows"] = _published()
        context["error"] = str(exc)
        return render_template("supervisor_funnel.html", **context), 400
    with services().session_factory() as session:
        flows = flow_choices(session, days.start, days.end, _published())
    flow_id = flow_id or ("main" if "main" in flows else flows[0] if flows else "")
    context.update(flows=sorted(set(flows) | ({flow_id} if flow_id else set())), days=days,
                   values={**days.query(), "flow": flow_id})
    if flow_id:
        context["funnel"] = _funnel(flow_id, days)
        context["csv_link"] = url_for("supervisor_reports.funnel_download", flow=flow_id,
                                      **days.query())
    context["reports_link"] = url_for("supervisor_reports.reports_page", **days.query())
    return render_template("supervisor_funnel.html", **context), 200


@bp.get("/supervisor/funnel.csv")
@require_page_role(*ROLES)
def funnel_download() -> Response:
    """A flow's funnel as a CSV download."""
    flow_id = (request.args.get("flow") or "").strip()
    try:
        if not flow_id:
            raise MissingFlowError()
        days = _range()
    except ReportError as exc:
        return _bad_request(str(exc))
    result = _funnel(flow_id, days)
    return _csv(funnel_csv(result), f"funnel-{flow_id}-{days.first}-to-{days.last}.csv")
