"""QA pages: the recordings list ``/qa/recordings`` and the call page ``/qa/calls/<id>``.

Owns both server-rendered pages (``templates/qa_recordings.html``, ``templates/qa_call.html``
with ``static/qa_player.js``) and ``GET /api/qa/recordings/<id>/waveform``, the peaks the
player draws (:mod:`voice.qa.waveform`). Roles qa, supervisor and admin; agents get the 403
page, visitors the login. The audio itself comes from the recordings API
(``/api/recordings/<id>/audio``, same roles, with HTTP range requests so the player seeks
without downloading the whole file first).

The list's query and filters are :mod:`voice.qa.archive`; a filter that cannot be used
shows the form again with the problem (400). The call page's content is
:mod:`voice.qa.call_view`; ``?recording=<id>`` picks another recording of the call and
``?t=<seconds>`` where the player starts (links from search hits use it).

The call page answers with its own Content-Security-Policy: the site's policy plus a
per-response nonce for styles, which wavesurfer.js needs for the ``<style>`` it puts into
its shadow DOM (``cspNonce``). Scripts stay ``'self'`` only.
"""

from __future__ import annotations

import math
import secrets
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, make_response, render_template, request, url_for
from sqlalchemy import select

from voice.moments import clock_text, parse_moment
from voice.qa.archive import (
    DEFAULT_PAGE_SIZE,
    PAGE_SIZES,
    ArchiveFilters,
    ArchivePage,
    Cursor,
    list_recordings,
)
from voice.qa.call_view import CallView, load_call_view
from voice.qa.errors import (
    ArchiveFilterError,
    QaCallNotFoundError,
    QaRecordingNotFoundError,
    WaveformError,
)
from voice.qa.waveform import waveform
from voice.store.models import Agent, Flow
from voice.web import services
from voice.web.access import require_page_role, require_role
from voice.web.api_recordings import (
    RecordingAudioMissingError,
    RecordingUnreadableError,
    clear_audio,
    recording_service,
)
from voice.web.errors import ApiError
from voice.web.login import policy_header
from voice.web.sessions import error_page
from voice.web.vendor import WAVESURFER_SCRIPTS

bp = Blueprint("qa_pages", __name__)
ROLES = ("qa", "supervisor", "admin")
#: how the transcript names its speakers
SPEAKER_LABELS = {"caller": "Caller", "ivr": "IVR", "agent": "Agent"}


class WaveformUnavailableError(ApiError):
    """The recording's audio cannot be drawn: missing, unreadable or not a PCM WAV."""

    status = 404
    error_id = "waveform-unavailable"


def duration_text(seconds: float | None) -> str:
    """``m:ss`` (``h:mm:ss`` from an hour) of a length in seconds; empty for None."""
    if seconds is None:
        return ""
    return clock_text(seconds)


def when_text(moment: datetime | None) -> str:
    """A UTC time as ``YYYY-MM-DD HH:MM:SS``; empty for None."""
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else ""


def _number(args: dict[str, str], name: str, label: str) -> float | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not math.isfinite(value) or value < 0:
        raise ArchiveFilterError(name, f"{label} '{raw}' must be a number of seconds, 0 or more")
    return value


def _moment(args: dict[str, str], name: str, label: str, *, end: bool = False) -> datetime | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        return parse_moment(raw, end=end)
    except ValueError as exc:
        raise ArchiveFilterError(name, f"{label} {exc}") from None


def filters_from(args: dict[str, str]) -> ArchiveFilters:
    """The list's filters from the query string; raises :class:`ArchiveFilterError`."""
    verified = args.get("verified", "").strip()
    if verified not in ("", "yes", "no"):
        raise ArchiveFilterError("verified", "verified must be yes, no or empty (either)")
    since = _moment(args, "since", "From")
    until = _moment(args, "until", "To", end=True)
    if since is not None and until is not None and until <= since:
        raise ArchiveFilterError("until", "the To date must be on or after the From date")
    low = _number(args, "min_duration", "Shortest length")
    high = _number(args, "max_duration", "Longest length")
    if low is not None and high is not None and high < low:
        raise ArchiveFilterError("max_duration", "the longest length must not be shorter "
                                 "than the shortest")

    def text(name: str) -> str | None:
        return args.get(name, "").strip()[:200] or None

    return ArchiveFilters(since=since, until=until, flow=text("flow"), queue=text("queue"),
                          agent=text("agent"), caller=text("caller"), min_duration=low,
                          max_duration=high, verified={"yes": True, "no": False}.get(verified),
                          query=text("q"))


def _page_size(args: dict[str, str]) -> int:
    raw = args.get("size", "").strip()
    if not raw:
        return DEFAULT_PAGE_SIZE
    if not raw.isdigit() or int(raw) not in PAGE_SIZES:
        raise ArchiveFilterError("size", f"rows per page must be one of "
                                 f"{', '.join(map(str, PAGE_SIZES))}")
    return int(raw)


def _choices() -> dict[str, list[str]]:
    """Suggestions for the flow, queue and agent fields (small tables only)."""
    with services().session_factory() as session:
        flows = session.scalars(select(Flow.id).order_by(Flow.id)).all()
        agents = session.scalars(select(Agent.name).order_by(Agent.name)).all()
    acd = services().acd
    assert acd is not None  # build_services always sets it
    return {"flows": list(flows), "queues": acd.queues.names(), "agents": list(agents)}


def _link(args: dict[str, str], **changes: str | None) -> str:
    """This list's URL with ``changes`` (None removes a parameter)."""
    wanted = {k: v for k, v in args.items() if v and k not in ("before", "after", "page")}
    for key, value in changes.items():
        if value is None:
            wanted.pop(key, None)
        else:
            wanted[key] = value
    return url_for("qa_pages.recordings_page", **wanted)


@bp.get("/qa/recordings")
@require_page_role(*ROLES)
def recordings_page() -> tuple[str, int]:
    """The recordings list (see module docstring)."""
    args = {key: request.args.get(key, "") for key in request.args}
    page: ArchivePage | None = None
    problem: ArchiveFilterError | None = None
    filters = ArchiveFilters()
    size = DEFAULT_PAGE_SIZE
    try:
        filters = filters_from(args)
        size = _page_size(args)
        before = Cursor.decode(args["before"], "before") if args.get("before") else None
        after = Cursor.decode(args["after"], "after") if args.get("after") else None
        with services().session_factory() as session:
            page = list_recordings(session, filters, before=before, after=after, size=size)
    except ArchiveFilterError as exc:
        problem = exc
    number = int(args["page"]) if args.get("page", "").isdigit() else 1
    links: dict[str, str | None] = {"first": None, "older": None, "newer": None}
    if page is not None:
        if page.older is not None:
            links["older"] = _link(args, before=page.older.encode(), page=str(number + 1))
        if page.newer is not None:
            links["newer"] = _link(args, after=page.newer.encode(),
                                   page=str(max(1, number - 1)))
            links["first"] = _link(args)
    return render_template(
        "qa_recordings.html", args=args, page=page, problem=problem, filters=filters,
        words=filters.words(), size=size, page_sizes=PAGE_SIZES, page_number=number,
        links=links, choices=_choices(), duration_text=duration_text, when_text=when_text,
    ), 400 if problem is not None else 200


@bp.get("/qa/calls/<path:call_id>")  # SIP Call-IDs may contain "/"
@require_page_role(*ROLES)
def call_page(call_id: str) -> Response | tuple[str, int]:
    """One call: player, transcript, IVR path and facts (see module docstring)."""
    try:
        view = load_call_view(services().session_factory, recording_service(), call_id,
                              request.args.get("recording") or None)
    except (QaCallNotFoundError, QaRecordingNotFoundError) as exc:
        return error_page(404, "Call not found", str(exc))
    start = request.args.get("t", type=float)
    if start is None or not math.isfinite(start) or start < 0:
        start = 0.0
    nonce = secrets.token_urlsafe(16)
    html = render_template(
        "qa_call.html", view=view, call_id=view.call.id, player=_player(view, start),
        nonce=nonce, scripts=WAVESURFER_SCRIPTS, duration_text=duration_text,
        when_text=when_text, speakers=SPEAKER_LABELS)
    response = make_response(html)
    response.headers["Content-Security-Policy"] = policy_header({"style-src": f"'nonce-{nonce}'"})
    return response


def _player(view: CallView, start: float) -> dict[str, Any]:
    recording = view.recording
    audio = peaks = None
    if recording is not None:
        audio = url_for("api_recordings.recording_audio", recording_id=str(recording.id))
        peaks = url_for("qa_pages.recording_waveform", recording_id=recording.id)
    return {**view.player_data(audio, peaks), "start": start}


@bp.get("/api/qa/recordings/<int:recording_id>/waveform")
@require_role(*ROLES)
def recording_waveform(recording_id: int) -> Response:
    """Peaks of each channel of the recording (JSON), for the player's waveform."""
    service = recording_service()
    info = service.repository.get(recording_id)
    if info is None:
        raise WaveformUnavailableError(f"there is no recording {recording_id}",
                                       recording_id=recording_id)
    try:
        drawn = waveform(info.id, clear_audio(info))
    except RecordingAudioMissingError:
        raise WaveformUnavailableError(
            f"recording {recording_id}: audio not available (the file is missing)",
            recording_id=recording_id) from None
    except RecordingUnreadableError:
        raise WaveformUnavailableError(
            f"recording {recording_id}: audio not available (it cannot be decrypted; an "
            "admin should check VOICE_RECORDINGS_KEY and the server log)",
            recording_id=recording_id) from None
    except WaveformError as exc:
        raise WaveformUnavailableError(str(exc), recording_id=recording_id) from None
    response = jsonify(drawn.as_json())
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
