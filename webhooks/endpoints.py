"""Webhook endpoints: where events go, signed with which secret, filtered how.

Owns adding, listing, changing, rotating, enabling/disabling and removing the rows of
``webhook_endpoints``. A secret is ``whsec_`` + base64 of 32 random bytes, returned once
(when added or rotated) and stored only sealed with the process's ``SecretBox``
(``VOICE_SECRET_KEY``): deliveries must sign with it, so it cannot be hashed. Rotation takes
effect at once: attempts made afterwards, including retries of older events, are signed with
the new secret. Disabling an endpoint cancels its pending deliveries; enabling it again
does not bring them back (replay them one by one).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from voice.secretbox import SecretBox
from voice.store.models import WebhookDelivery, WebhookEndpoint
from webhooks.errors import InvalidWebhookEndpointError, WebhookEndpointNotFoundError
from webhooks.payloads import ALL_EVENTS, EVENT_TYPES, iso_utc
from webhooks.signing import new_secret

MAX_URL = 2000
MAX_TEXT = 500
MAX_QUEUE = 100


@dataclass(frozen=True)
class EndpointView:
    """One endpoint as shown to admins (never its secret). Empty filters mean all."""

    id: int
    url: str
    events: tuple[str, ...]
    queues: tuple[str, ...]
    enabled: bool
    disabled_reason: str | None
    description: str | None
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the CLI and the API."""
        return {"id": self.id, "url": self.url, "events": list(self.events),
                "queues": list(self.queues), "enabled": self.enabled,
                "disabled_reason": self.disabled_reason, "description": self.description,
                "created_at": iso_utc(self.created_at), "updated_at": iso_utc(self.updated_at)}


def normalize_events(events: Iterable[str]) -> list[str]:
    """Known event names, de-duplicated in order; ``*`` (or nothing) is stored as [] = all.
    Raises InvalidWebhookEndpointError naming every unknown one."""
    names = [name.strip() for name in events if name.strip()]
    unknown = [name for name in names if name not in EVENT_TYPES and name != ALL_EVENTS]
    if unknown:
        raise InvalidWebhookEndpointError([
            f"unknown event(s) {', '.join(unknown)}; use {', '.join(EVENT_TYPES)} "
            f"or {ALL_EVENTS} for all"])
    if ALL_EVENTS in names:
        return []
    return list(dict.fromkeys(names))


def normalize_queues(queues: Iterable[str]) -> list[str]:
    """Queue names, de-duplicated in order ([] = every queue)."""
    names = list(dict.fromkeys(name.strip() for name in queues if name.strip()))
    long = [name for name in names if len(name) > MAX_QUEUE]
    if long:
        raise InvalidWebhookEndpointError(
            [f"queue name {long[0][:20]!r}... is longer than {MAX_QUEUE} characters"])
    return names


def check_url(url: str) -> str:
    """``url`` if it is an absolute http(s) URL with a host; raises otherwise."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidWebhookEndpointError(
            [f"url {url!r} must be an absolute http:// or https:// URL with a host, "
             "e.g. https://crm.example.com/hooks/voice"])
    if len(url) > MAX_URL:
        raise InvalidWebhookEndpointError([f"url is longer than {MAX_URL} characters"])
    return url


def _description(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    if len(text) > MAX_TEXT:
        raise InvalidWebhookEndpointError([f"description is longer than {MAX_TEXT} characters"])
    return text.strip()


class EndpointRepository:
    """The webhook endpoints table, with secrets sealed by ``box``."""

    def __init__(self, session_factory: sessionmaker[Session], box: SecretBox,
                 clock: Callable[[], datetime]) -> None:
        self._sessions = session_factory
        self._box = box
        self._clock = clock

    def add(self, url: str, events: Iterable[str] = (), queues: Iterable[str] = (),
            description: str | None = None) -> tuple[int, str]:
        """Add an enabled endpoint; returns its id and its secret (shown this once)."""
        row_values = {"url": check_url(url), "events": normalize_events(events),
                      "queues": normalize_queues(queues),
                      "description": _description(description)}
        secret = _new_secret()
        now = self._clock()
        with self._sessions.begin() as session:
            row = WebhookEndpoint(**row_values, secret_sealed=self._seal(secret), enabled=True,
                                  disabled_reason=None, created_at=now, updated_at=now)
            session.add(row)
            session.flush()
            return row.id, secret

    def list(self) -> list[EndpointView]:
        """Every endpoint, by id."""
        with self._sessions() as session:
            rows = session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id))
            return [_view(row) for row in rows]

    def get(self, endpoint_id: int) -> EndpointView:
        """One endpoint; raises WebhookEndpointNotFoundError."""
        with self._sessions() as session:
            return _view(_row(session, endpoint_id))

    def update(self, endpoint_id: int, *, url: str | None = None,
               events: Iterable[str] | None = None, queues: Iterable[str] | None = None,
               description: str | None = None) -> EndpointView:
        """Change the fields given (None: keep); the secret is kept."""
        changes: dict[str, Any] = {}
        if url is not None:
            changes["url"] = check_url(url)
        if events is not None:
            changes["events"] = normalize_events(events)
        if queues is not None:
            changes["queues"] = normalize_queues(queues)
        if description is not None:
            changes["description"] = _description(description)
        with self._sessions.begin() as session:
            row = _row(session, endpoint_id)
            for name, value in changes.items():
                setattr(row, name, value)
            row.updated_at = self._clock()
            return _view(row)

    def rotate(self, endpoint_id: int) -> str:
        """Replace the endpoint's secret; returns the new one (shown this once)."""
        secret = _new_secret()
        with self._sessions.begin() as session:
            row = _row(session, endpoint_id)
            row.secret_sealed = self._seal(secret)
            row.updated_at = self._clock()
        return secret

    def enable(self, endpoint_id: int) -> EndpointView:
        """Deliver new events to the endpoint again."""
        with self._sessions.begin() as session:
            row = _row(session, endpoint_id)
            row.enabled, row.disabled_reason, row.updated_at = True, None, self._clock()
            return _view(row)

    def disable(self, endpoint_id: int, reason: str = "disabled by an admin") -> int:
        """Stop deliveries to the endpoint and cancel its pending ones; returns how many
        were cancelled."""
        with self._sessions.begin() as session:
            _row(session, endpoint_id)
            return disable_endpoint(session, endpoint_id, reason, self._clock())

    def remove(self, endpoint_id: int) -> None:
        """Delete the endpoint and its delivery log."""
        with self._sessions.begin() as session:
            row = _row(session, endpoint_id)
            session.execute(delete(WebhookDelivery)
                            .where(WebhookDelivery.endpoint_id == endpoint_id))
            session.delete(row)

    def secret(self, endpoint_id: int) -> str:
        """The endpoint's signing secret (for delivery and tests; never shown in lists)."""
        with self._sessions() as session:
            return open_secret(self._box, _row(session, endpoint_id).secret_sealed)

    def _seal(self, secret: str) -> str:
        sealed = self._box.seal({"secret": secret})
        assert sealed is not None  # a non-empty mapping always seals
        return sealed


def disable_endpoint(session: Session, endpoint_id: int, reason: str, now: datetime) -> int:
    """In ``session``: mark the endpoint disabled with ``reason`` and cancel its pending
    deliveries (an attempt already on the wire finishes, but it is not retried); returns
    how many were cancelled."""
    session.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
                    .values(enabled=False, disabled_reason=reason[:MAX_TEXT], updated_at=now))
    result = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == "pending")
        .values(status="cancelled", lease_until=None,
                last_error=f"cancelled: endpoint disabled ({reason})"[:2000]))
    return int(result.rowcount or 0)


def open_secret(box: SecretBox, sealed: str) -> str:
    """The ``whsec_`` secret sealed in an endpoint row."""
    return str(box.open(sealed)["secret"])


def _new_secret() -> str:
    return new_secret(secrets.token_bytes(32))


def _row(session: Session, endpoint_id: int) -> WebhookEndpoint:
    row = session.get(WebhookEndpoint, endpoint_id)
    if row is None:
        raise WebhookEndpointNotFoundError(endpoint_id)
    return row


def _view(row: WebhookEndpoint) -> EndpointView:
    return EndpointView(id=row.id, url=row.url, events=tuple(row.events),
                        queues=tuple(row.queues), enabled=row.enabled,
                        disabled_reason=row.disabled_reason, description=row.description,
                        created_at=row.created_at, updated_at=row.updated_at)
