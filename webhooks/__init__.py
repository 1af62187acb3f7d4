"""Outbound webhooks: signing today; payloads and durable delivery with retries later.

Owns the integrator-facing contract of the Standard Webhooks spec (``webhook-id``,
``webhook-timestamp``, ``webhook-signature: v1,<base64 HMAC-SHA256>``). It must not depend on
the voice service's web layer: services hand it payloads, it signs and (later) delivers them.
"""

from __future__ import annotations

from webhooks.signing import sign, verify

__all__ = ["sign", "verify"]
