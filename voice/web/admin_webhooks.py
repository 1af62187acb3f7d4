"""``/admin/webhooks``: webhook endpoints and their delivery log, for admins.

Adds endpoints (URL, events, queue filter, description; the signing secret is shown in that
one answer), rotates a secret (shown once too), disables, enables and deletes endpoints
through :class:`webhooks.endpoints.EndpointRepository`; lists each endpoint's latest
deliveries (status, attempts, last answer or error, next attempt) from
:class:`webhooks.delivery.Deliverer` and replays a dead, cancelled or failing delivery at once
(same ``webhook-id`` and body; the answer says how the attempt went, a failure is retried
on the usual schedule). Changes are audited as ``webhook.*``, never with a secret.
"""

from __future__ import annotations

from flask import Response, request

from voice.web.access import require_page_role
from voice.web.admin_common import (
    ROLE,
    bp,
    built,
    done,
    form_values,
    listed,
    page,
    problems_of,
    text,
)
from voice.web.api_webhooks import deliverer, endpoints
from voice.web.audit_trail import audit
from webhooks.errors import WebhookError
from webhooks.log import STATUSES, DeliveryView
from webhooks.payloads import EVENT_TYPES

PAGE = "/admin/webhooks"
DELIVERIES_SHOWN = 25


def replayable(view: DeliveryView) -> bool:
    """Dead and cancelled deliveries, and pending ones whose last attempt failed."""
    return view.status in ("dead", "cancelled") or (
        view.status == "pending" and view.attempts > 0 and view.last_error is not None)


def _show(status: int = 200, problems: list[str] | None = None, failed: str | None = None,
          secret: tuple[int, str, str] | None = None) -> tuple[str, int]:
    wanted = request.args.get("status") or None
    if wanted not in STATUSES:
        wanted = None
    listed_endpoints = endpoints().list()
    deliveries = {e.id: deliverer().list_deliveries(wanted, e.id, DELIVERIES_SHOWN)
                  for e in listed_endpoints}
    return page("admin_webhooks.html", status, endpoints=listed_endpoints,
                deliveries=deliveries,
                events=EVENT_TYPES, statuses=STATUSES, wanted=wanted, replayable=replayable,
                problems=problems or [], form=form_values() if problems else {},
                failed=failed, secret=secret,
                chosen=request.form.getlist("events") if problems else [])


@bp.get("/webhooks")
@require_page_role(ROLE)
def webhooks_page() -> tuple[str, int]:
    """Every endpoint with its latest deliveries (``?status=`` filters them)."""
    return _show()


@bp.post("/webhooks")
@require_page_role(ROLE)
def add_webhook() -> tuple[str, int]:
    """Add an endpoint and show its secret this once."""
    url = text("url")
    events = request.form.getlist("events")
    queues = listed("queues")
    try:
        endpoint_id, secret = endpoints().add(url, events, queues, text("description"))
    except WebhookError as exc:
        return _show(422, problems_of(exc), "new")
    view = endpoints().get(endpoint_id)
    audit_change("webhook.add", endpoint_id, f"Added webhook {endpoint_id} → {view.url}",
                 {"url": view.url, "events": list(view.events) or ["*"],
                  "queues": list(view.queues), "description": view.description})
    return _show(201, secret=(endpoint_id, view.url, secret))


@bp.post("/webhooks/<int:endpoint_id>/rotate")
@require_page_role(ROLE)
def rotate_webhook(endpoint_id: int) -> tuple[str, int]:
    """Give an endpoint a new secret and show it this once."""
    try:
        secret = endpoints().rotate(endpoint_id)
        view = endpoints().get(endpoint_id)
    except WebhookError as exc:
        return _show(404, problems_of(exc))
    audit_change("webhook.rotate", endpoint_id, f"Rotated the secret of webhook {endpoint_id}",
                 {"secret_rotated": True})
    return _show(200, secret=(endpoint_id, view.url, secret))


@bp.post("/webhooks/<int:endpoint_id>/disable")
@require_page_role(ROLE)
def disable_webhook(endpoint_id: int) -> Response | tuple[str, int]:
    """Stop sending to an endpoint (its pending deliveries are cancelled)."""
    try:
        cancelled = endpoints().disable(endpoint_id)
    except WebhookError as exc:
        return _show(404, problems_of(exc))
    audit_change("webhook.disable", endpoint_id, f"Disabled webhook {endpoint_id}",
                 {"cancelled_deliveries": cancelled})
    return done(f"Disabled webhook {endpoint_id} ({cancelled} pending deliveries "
                "cancelled).", PAGE)


@bp.post("/webhooks/<int:endpoint_id>/enable")
@require_page_role(ROLE)
def enable_webhook(endpoint_id: int) -> Response | tuple[str, int]:
    """Send new events to an endpoint again."""
    try:
        endpoints().enable(endpoint_id)
    except WebhookError as exc:
        return _show(404, problems_of(exc))
    audit_change("webhook.enable", endpoint_id, f"Enabled webhook {endpoint_id}")
    return done(f"Enabled webhook {endpoint_id}.", PAGE)


@bp.post("/webhooks/<int:endpoint_id>/delete")
@require_page_role(ROLE)
def delete_webhook(endpoint_id: int) -> Response | tuple[str, int]:
    """Delete an endpoint and its delivery log."""
    try:
        url = endpoints().get(endpoint_id).url
        endpoints().remove(endpoint_id)
    except WebhookError as exc:
        return _show(404, problems_of(exc))
    audit_change("webhook.remove", endpoint_id, f"Deleted webhook {endpoint_id} ({url})",
                 {"url": url})
    return done(f"Deleted webhook {endpoint_id} and its delivery log.", PAGE)


@bp.post("/webhook-deliveries/<int:delivery_id>/replay")
@require_page_role(ROLE)
def replay_delivery(delivery_id: int) -> Response | tuple[str, int]:
    """Send a delivery again now (same webhook-id and body) and say how it went."""
    queue = built().task_queue
    assert queue is not None
    try:
        view = deliverer().replay(delivery_id)
    except WebhookError as exc:
        return _show(409, problems_of(exc))
    audit_change("webhook.replay", view.endpoint_id,
                 f"Replayed delivery {delivery_id} ({view.event_type}) to webhook "
                 f"{view.endpoint_id}", {"delivery_id": delivery_id, "msg_id": view.msg_id})
    outcome = queue.deliver_now(delivery_id, owner="web")
    if outcome is None:
        return done(f"Replayed delivery {delivery_id}; it is being sent.", PAGE)
    answer = f"HTTP {outcome.http_status}" if outcome.http_status else outcome.error
    if outcome.status == "delivered":
        return done(f"Replayed delivery {delivery_id}: delivered ({answer}).", PAGE)
    return done(f"Replayed delivery {delivery_id}: failed ({answer}); now {outcome.status}"
                + (", retried automatically" if outcome.next_attempt_at else "") + ".", PAGE)


def audit_change(action: str, endpoint_id: int, summary: str,
                 details: dict[str, object] | None = None) -> None:
    """Audit a change of webhook ``endpoint_id``."""
    audit(action, "webhook", str(endpoint_id), summary, details)
