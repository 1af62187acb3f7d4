"""REST API of the ACD's queues: settings for admins, live figures for supervisors.

``GET /api/queues`` lists configured queues (admin, supervisor); ``GET /api/queues/<name>``
shows one (the defaults when only a flow names it) with ``status``: callers waiting, the
longest wait and agents by state. ``PUT /api/queues/<name>`` creates or replaces a queue's
settings (admin; fields: description, skills, strategy, ring_timeout, wrap_up, max_wait,
overflow, service_level), ``PATCH`` changes the fields given, ``DELETE`` forgets them (the
queue falls back to the defaults). Every change is audited (``queue.add``, ``queue.update``
with the fields that changed, ``queue.remove``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from voice.acd.errors import InvalidQueueError
from voice.acd.queues import FIELDS
from voice.audit.log import changed_fields
from voice.web.access import require_role
from voice.web.api_agents import acd
from voice.web.audit_trail import audit
from voice.web.errors import ApiError

bp = Blueprint("api_queues", __name__, url_prefix="/api/queues")


class QueueApiError(ApiError):
    """Queue settings that cannot be stored; ``details.problems`` lists each."""

    status = 422
    error_id = "invalid-queue"


class QueueMissingError(ApiError):
    """No queue of that name is configured."""

    status = 404
    error_id = "queue-not-found"


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise QueueApiError(f"send a JSON object with any of {', '.join(FIELDS)}")
    return body


def _put(name: str, *, replace: bool) -> Response:
    before = acd().queues.get(name)
    try:
        after = acd().queues.put(name, _body(), replace=replace)
    except InvalidQueueError as exc:
        raise QueueApiError(str(exc), problems=exc.problems) from None
    old, new = before.to_dict(), after.to_dict()
    changes = changed_fields(old, new, FIELDS)
    if not before.configured:
        audit("queue.add", "queue", name, f"Added queue {name} ({after.strategy})",
              {"settings": new})
    elif changes:
        audit("queue.update", "queue", name, f"Changed queue {name}: {', '.join(changes)}",
              {"changes": changes})
    return jsonify(new)


@bp.get("")
@require_role("admin", "supervisor")
def list_queues() -> Response:
    """Every configured queue."""
    return jsonify([q.to_dict() for q in acd().queues.list()])


@bp.get("/<name>")
@require_role("admin", "supervisor")
def show_queue(name: str) -> Response:
    """One queue's settings and its live status."""
    service = acd()
    service.reconciler.settle()
    return jsonify({**service.queues.get(name).to_dict(),
                    "status": service.distributor.status(name)})


@bp.put("/<name>")
@require_role("admin")
def put_queue(name: str) -> Response:
    """Create or replace a queue's settings (fields left out take the defaults)."""
    return _put(name, replace=True)


@bp.patch("/<name>")
@require_role("admin")
def patch_queue(name: str) -> Response:
    """Change the fields given."""
    return _put(name, replace=False)


@bp.delete("/<name>")
@require_role("admin")
def delete_queue(name: str) -> tuple[str, int]:
    """Forget a queue's settings."""
    if not acd().queues.remove(name):
        raise QueueMissingError(f"queue '{name}' is not configured; see GET /api/queues")
    audit("queue.remove", "queue", name, f"Removed the settings of queue {name} (it runs "
          "on the defaults)")
    return "", 204
