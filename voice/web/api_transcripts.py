"""``GET /api/transcripts?q=...``: find calls by what was said (QA, supervisors, admins).

Query parameters: ``q`` (every word must occur in one segment), ``since``/``until`` (ISO
dates of the call's start), ``flow``, ``queue``, ``agent``, ``speaker`` (caller, ivr,
agent), ``limit``. Each hit points at the recording and the second in it.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, jsonify, request

from voice.moments import parse_moment
from voice.transcripts.store import SPEAKERS, SearchFilters
from voice.web import services
from voice.web.access import require_role
from voice.web.errors import ApiError

bp = Blueprint("api_transcripts", __name__, url_prefix="/api/transcripts")


class SearchRequestError(ApiError):
    """A search request that cannot be answered as asked."""

    status = 400
    error_id = "invalid-search"


def _when(name: str, *, end: bool = False) -> datetime | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return parse_moment(value, end=end)
    except ValueError as exc:
        raise SearchRequestError(f"{name} {exc}", parameter=name) from None


@bp.get("")
@require_role("qa", "supervisor", "admin")
def search_transcripts() -> Response:
    """Segments matching ``q`` with the call and recording they belong to."""
    query = (request.args.get("q") or "").strip()
    if not query:
        raise SearchRequestError("give the words to find as ?q=...", parameter="q")
    speaker = request.args.get("speaker") or None
    if speaker is not None and speaker not in SPEAKERS:
        raise SearchRequestError(f"speaker must be one of {', '.join(SPEAKERS)}",
                                 parameter="speaker")
    limit = min(max(request.args.get("limit", 50, type=int), 1), 1000)
    filters = SearchFilters(since=_when("since"), until=_when("until", end=True),
                            flow=request.args.get("flow") or None,
                            queue=request.args.get("queue") or None,
                            agent=request.args.get("agent") or None, speaker=speaker)
    store = services().transcript_store
    assert store is not None
    hits = store.search(query, filters, limit=limit)
    return jsonify(query=query, hits=[hit.as_json() for hit in hits])
