"""Read-only REST API of published flows: ``GET /api/flows`` and ``GET /api/flows/<id>``.

Owns the JSON shape of published flows for admin tools and integrators (staff roles admin,
supervisor and qa: a flow names CRM addresses and business rules, so it is not public).
Reads the flow repository on every request, so a version published by ``voice flows
publish`` (from any process) shows up immediately without restarting the web process.
Editing, publishing and rollback from the web are :mod:`voice.web.api_flow_editor`'s.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from voice.flows.repository import FlowVersionInfo
from voice.web import services
from voice.web.access import require_role
from voice.web.errors import FlowNotFoundError

bp = Blueprint("api_flows", __name__, url_prefix="/api/flows")


def flow_summary(info: FlowVersionInfo) -> dict[str, Any]:
    """The JSON fields describing one published version (without its YAML text)."""
    return {
        "id": info.flow_id,
        "name": info.name,
        "version": info.version,
        "numbers": info.numbers,
        "sha256": info.sha256,
        "published_at": info.published_at.isoformat(),
        "published_by": info.published_by,
    }


#: who may read published flows
READERS = ("admin", "supervisor", "qa")


@bp.get("")
@require_role(*READERS)
def list_flows() -> Response:
    """Every published flow at its newest version, sorted by id."""
    return jsonify(flows=[flow_summary(info) for info in services().flow_repository.list_current()])


@bp.get("/<flow_id>")
@require_role(*READERS)
def show_flow(flow_id: str) -> Response:
    """The newest version of one flow with its YAML and the list of all its versions."""
    versions = services().flow_repository.versions(flow_id)
    if not versions:
        raise FlowNotFoundError(flow_id)
    current = versions[-1]
    body = flow_summary(current)
    body["note"] = current.note
    body["content"] = current.content
    body["versions"] = [
        {
            "version": info.version,
            "sha256": info.sha256,
            "published_at": info.published_at.isoformat(),
            "published_by": info.published_by,
            "note": info.note,
        }
        for info in versions
    ]
    return jsonify(body)
