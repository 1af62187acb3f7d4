"""Standard Webhooks signatures for outbound events (screen pops, call and recording events).

Owns producing and checking the three headers of the Standard Webhooks spec: ``webhook-id``,
``webhook-timestamp`` (Unix seconds) and ``webhook-signature`` (``v1,`` + base64 of the
HMAC-SHA256 of ``id.timestamp.body`` keyed with the secret). The HMAC itself is done by the
``standardwebhooks`` reference library so receivers using any official SDK agree with us.
Secrets are ``whsec_`` + base64 of the key bytes, as the spec recommends.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import UTC, datetime

from standardwebhooks import Webhook
from standardwebhooks.webhooks import EmptyWebhookSecretError, WebhookVerificationError

from webhooks.errors import SignatureVerificationError, WebhookSecretError


def sign(
    secret: str | bytes, msg_id: str, timestamp: datetime | int, body: str | bytes
) -> dict[str, str]:
    """The headers to send with ``body``: webhook-id, webhook-timestamp, webhook-signature.

    ``timestamp`` is an aware datetime or Unix seconds; ``body`` must be sent byte for byte.
    """
    when = _as_utc(timestamp)
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    signature = _webhook(secret).sign(msg_id=msg_id, timestamp=when, data=text)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
    }


def verify(secret: str | bytes, headers: Mapping[str, str], body: str | bytes) -> None:
    """Check the signature headers of a received ``body``; raise if they do not match.

    Rejects timestamps more than five minutes from now (replay protection, per the spec).
    Raises :class:`~webhooks.errors.SignatureVerificationError`.
    """
    try:
        _webhook(secret).verify(body, dict(headers), json_parse=False)
    except WebhookVerificationError as exc:
        raise SignatureVerificationError(f"webhook signature did not verify: {exc}") from None


def _as_utc(timestamp: datetime | int) -> datetime:
    if isinstance(timestamp, datetime):
        if timestamp.tzinfo is None:
            raise ValueError(f"timestamp {timestamp!r} has no time zone; pass an aware datetime")
        # The library replaces (not converts) the zone with UTC, so convert first.
        return timestamp.astimezone(UTC)
    return datetime.fromtimestamp(int(timestamp), tz=UTC)


def _webhook(secret: str | bytes) -> Webhook:
    if isinstance(secret, str) and not secret.startswith("whsec_"):
        raise WebhookSecretError("webhook secret must look like 'whsec_<base64 key>'")
    try:
        return Webhook(secret)
    except (EmptyWebhookSecretError, binascii.Error, ValueError) as exc:
        raise WebhookSecretError(
            f"webhook secret is not usable ({exc}); generate one with "
            "'whsec_' + base64 of 24-64 random bytes"
        ) from None


def new_secret(key: bytes) -> str:
    """The ``whsec_`` form of raw key bytes (for storing with a webhook endpoint)."""
    if not key:
        raise WebhookSecretError("webhook key must not be empty")
    return "whsec_" + base64.b64encode(key).decode("ascii")
