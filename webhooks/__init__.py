"""Outbound webhooks: signing, payloads and durable, at-least-once delivery with retries.

Owns the integrator-facing contract of the Standard Webhooks spec (``webhook-id``,
``webhook-timestamp``, ``webhook-signature: v1,<base64 HMAC-SHA256>``) and its machinery:

- ``endpoints``: receivers, their sealed secrets and event/queue filters;
- ``outbox``: events become ``pending`` delivery rows inside the producer's transaction;
- ``delivery``: claim (lease), sign, POST and record one attempt;
- ``schedule``: when a failed delivery is retried, and when it is dead;
- ``log``: listing and replaying deliveries;
- ``sender``: the fast path, first attempts right after commit.

It must not depend on the voice service's web layer (flask, ``voice.web``): services hand it
events, it stores, signs and delivers them. The task queue (``voice.tasks.queue``) drives
retries; ``voice.compose`` wires it all.
"""

from __future__ import annotations

from webhooks.signing import sign, verify

__all__ = ["sign", "verify"]
