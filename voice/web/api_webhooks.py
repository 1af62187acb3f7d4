"""REST API of outbound webhooks, for admins: ``/api/webhooks`` and ``/api/webhook-deliveries``.

``GET /api/webhooks`` lists endpoints; ``POST /api/webhooks`` adds one (JSON ``url``,
optional ``events``, ``queues``, ``description``; 201 with ``id`` and the ``secret``, shown
this once); ``GET/PATCH/DELETE /api/webhooks/<id>`` show, change (the fields given, plus
``enabled`` true/false) and remove one; ``POST /api/webhooks/<id>/rotate`` gives it a new
secret; ``GET /api/webhooks/<id>/deliveries`` and ``GET /api/webhook-deliveries?status=
&endpoint=&limit=`` list deliveries, newest first; ``POST /api/webhook-deliveries/<id>/
replay`` sends one again (same ``webhook-id``; 202, the attempt runs in the background).
Every route needs the admin role. Responses never carry a secret except the two above.
Changes and replays are audited (``webhook.add``, ``.update``, ``.remove``, ``.rotate``,
``.replay``), never with a secret.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from voice.audit.log import changed_fields
from voice.web import services
from voice.web.access import require_role
from voice.web.audit_trail import audit
from voice.web.errors import ApiError, error_response
from webhooks.delivery import Deliverer
from webhooks.endpoints import EndpointRepository
from webhooks.errors import (
    DeliveryNotReplayableError,
    InvalidDeliveryFilterError,
    InvalidWebhookEndpointError,
    WebhookDeliveryNotFoundError,
    WebhookEndpointNotFoundError,
)

bp = Blueprint("api_webhooks", __name__, url_prefix="/api")
FIELDS = ("url", "events", "queues", "description", "enabled")
MAX_LIMIT = 1000


class WebhookApiError(ApiError):
    """An endpoint request with bad JSON or fields."""

    status = 422
    error_id = "invalid-webhook"


class WebhookMissingError(ApiError):
    """No endpoint has the id in the address."""

    status = 404
    error_id = "webhook-not-found"


class DeliveryMissingError(ApiError):
    """No delivery has the id in the address."""

    status = 404
    error_id = "webhook-delivery-not-found"


class DeliveryConflictError(ApiError):
    """The delivery cannot be replayed now."""

    status = 409
    error_id = "delivery-not-replayable"


def endpoints() -> EndpointRepository:
    """The process's webhook endpoints."""
    repository = services().webhook_endpoints
    assert repository is not None  # build_services always sets it
    return repository


def deliverer() -> Deliverer:
    """The process's webhook deliverer."""
    service = services().webhook_deliverer
    assert service is not None  # build_services always sets it
    return service


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise WebhookApiError("send a JSON object, e.g. {\"url\": \"https://crm.example.com/"
                              "hook\", \"events\": [\"call.offered\"]}")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise WebhookApiError(f"unknown field(s) {', '.join(unknown)}; use {', '.join(FIELDS)}",
                              unknown=unknown)
    return body


def _names(body: dict[str, Any], field: str) -> list[str] | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise WebhookApiError(f"{field} must be a list of names ([] means all)", field=field)
    return value


def _text(body: dict[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is not None and not isinstance(value, str):
        raise WebhookApiError(f"{field} must be text", field=field)
    return value


def _limit() -> int:
    return min(max(request.args.get("limit", 100, type=int) or 100, 1), MAX_LIMIT)


def _deliveries(status: str | None, endpoint: int | None) -> Response:
    try:
        views = deliverer().list_deliveries(status, endpoint, _limit())
    except InvalidDeliveryFilterError as exc:
        raise WebhookApiError(str(exc), field="status") from None
    return jsonify(deliveries=[view.to_dict() for view in views])


@bp.errorhandler(InvalidWebhookEndpointError)
def _invalid(exc: InvalidWebhookEndpointError) -> Response:
    return _as_json(WebhookApiError(str(exc), problems=exc.problems))


@bp.errorhandler(WebhookEndpointNotFoundError)
def _missing_endpoint(exc: WebhookEndpointNotFoundError) -> Response:
    return _as_json(WebhookMissingError(str(exc), endpoint_id=exc.endpoint_id))


@bp.errorhandler(WebhookDeliveryNotFoundError)
def _missing_delivery(exc: WebhookDeliveryNotFoundError) -> Response:
    return _as_json(DeliveryMissingError(str(exc), delivery_id=exc.delivery_id))


@bp.errorhandler(DeliveryNotReplayableError)
def _conflict(exc: DeliveryNotReplayableError) -> Response:
    return _as_json(DeliveryConflictError(str(exc)))


def _as_json(error: ApiError) -> Response:
    return error_response(error.status, error.error_id, error.message, error.details)


@bp.get("/webhooks")
@require_role("admin")
def list_endpoints() -> Response:
    """Every endpoint (without secrets)."""
    return jsonify(webhooks=[view.to_dict() for view in endpoints().list()])


@bp.post("/webhooks")
@require_role("admin")
def add_endpoint() -> tuple[Response, int]:
    """Add an endpoint; the answer carries its secret, this once."""
    body = _body()
    if not isinstance(body.get("url"), str):
        raise WebhookApiError("url is required: the http(s) address to POST events to",
                              field="url")
    endpoint_id, secret = endpoints().add(body["url"], _names(body, "events") or [],
                                           _names(body, "queues") or [],
                                           _text(body, "description"))
    if body.get("enabled") is False:
        endpoints().disable(endpoint_id)
    view = endpoints().get(endpoint_id)
    audit("webhook.add", "webhook", str(endpoint_id), f"Added webhook {endpoint_id} → {view.url}",
          {"url": view.url, "events": list(view.events) or ["*"], "queues": list(view.queues),
           "description": view.description, "enabled": view.enabled})
    return jsonify({**view.to_dict(), "secret": secret}), 201


@bp.get("/webhooks/<int:endpoint_id>")
@require_role("admin")
def show_endpoint(endpoint_id: int) -> Response:
    """One endpoint."""
    return jsonify(endpoints().get(endpoint_id).to_dict())


@bp.patch("/webhooks/<int:endpoint_id>")
@require_role("admin")
def update_endpoint(endpoint_id: int) -> Response:
    """Change the fields given; ``enabled`` false disables (cancelling pending deliveries)."""
    body = _body()
    enabled = body.get("enabled")
    if enabled is not None and not isinstance(enabled, bool):
        raise WebhookApiError("enabled must be true or false", field="enabled")
    url = _text(body, "url")
    before = endpoints().get(endpoint_id).to_dict()
    view = endpoints().update(endpoint_id, url=url, events=_names(body, "events"),
                               queues=_names(body, "queues"),
                               description=_text(body, "description"))
    if enabled is True and not view.enabled:
        view = endpoints().enable(endpoint_id)
    elif enabled is False and view.enabled:
        endpoints().disable(endpoint_id)
        view = endpoints().get(endpoint_id)
    after = view.to_dict()
    changes = changed_fields(before, after, FIELDS)
    if changes:
        audit("webhook.update", "webhook", str(endpoint_id),
              f"Changed webhook {endpoint_id}: {', '.join(changes)}", {"changes": changes})
    return jsonify(after)


@bp.delete("/webhooks/<int:endpoint_id>")
@require_role("admin")
def remove_endpoint(endpoint_id: int) -> tuple[str, int]:
    """Delete the endpoint and its delivery log."""
    url = endpoints().get(endpoint_id).url
    endpoints().remove(endpoint_id)
    audit("webhook.remove", "webhook", str(endpoint_id), f"Deleted webhook {endpoint_id} ({url})",
          {"url": url})
    return "", 204


@bp.post("/webhooks/<int:endpoint_id>/rotate")
@require_role("admin")
def rotate_secret(endpoint_id: int) -> Response:
    """A new secret for the endpoint (the old one stops working now), shown this once."""
    secret = endpoints().rotate(endpoint_id)
    audit("webhook.rotate", "webhook", str(endpoint_id),
          f"Rotated the secret of webhook {endpoint_id}", {"secret_rotated": True})
    return jsonify(id=endpoint_id, secret=secret)


@bp.get("/webhooks/<int:endpoint_id>/deliveries")
@require_role("admin")
def endpoint_deliveries(endpoint_id: int) -> Response:
    """The endpoint's deliveries, newest first (``?status=&limit=``)."""
    endpoints().get(endpoint_id)  # 404 for an unknown endpoint
    return _deliveries(request.args.get("status") or None, endpoint_id)


@bp.get("/webhook-deliveries")
@require_role("admin")
def list_deliveries() -> Response:
    """Deliveries, newest first (``?status=&endpoint=&limit=``)."""
    return _deliveries(request.args.get("status") or None,
                       request.args.get("endpoint", type=int))


@bp.post("/webhook-deliveries/<int:delivery_id>/replay")
@require_role("admin")
def replay_delivery(delivery_id: int) -> tuple[Response, int]:
    """Send the delivery again (same webhook-id and body); the attempt runs in the
    background, follow it with ``GET /api/webhook-deliveries``."""
    view = deliverer().replay(delivery_id)
    audit("webhook.replay", "webhook", str(view.endpoint_id),
          f"Replayed delivery {delivery_id} ({view.event_type}) to webhook {view.endpoint_id}",
          {"delivery_id": delivery_id, "msg_id": view.msg_id})
    queue = services().task_queue
    assert queue is not None
    queue.webhook_queued([delivery_id])
    return jsonify(view.to_dict()), 202
