"""Errors of the outbound webhooks package."""

from __future__ import annotations


class WebhookError(Exception):
    """Base class of webhook errors."""


class WebhookSecretError(WebhookError, ValueError):
    """The signing secret is empty or not in the ``whsec_<base64>`` form."""


class SignatureVerificationError(WebhookError):
    """A payload's signature, id or timestamp did not verify."""


class InvalidWebhookEndpointError(WebhookError, ValueError):
    """An endpoint's URL, events or queues are not acceptable; ``problems`` lists each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid webhook endpoint: " + "; ".join(self.problems))


class UnknownEventTypeError(WebhookError, ValueError):
    """A producer emitted an event type the webhooks package does not know."""

    def __init__(self, event_type: str, known: tuple[str, ...]) -> None:
        self.event_type = event_type
        super().__init__(f"unknown webhook event type {event_type!r}; use one of "
                         f"{', '.join(known)} (or add it to webhooks.payloads.EVENT_TYPES)")


class WebhookEndpointNotFoundError(WebhookError, LookupError):
    """No webhook endpoint has the id asked for."""

    def __init__(self, endpoint_id: int) -> None:
        self.endpoint_id = endpoint_id
        super().__init__(f"no webhook endpoint {endpoint_id}; list them with "
                         "'voice webhooks list' or GET /api/webhooks")


class WebhookDeliveryNotFoundError(WebhookError, LookupError):
    """No webhook delivery has the id asked for."""

    def __init__(self, delivery_id: int) -> None:
        self.delivery_id = delivery_id
        super().__init__(f"no webhook delivery {delivery_id}; list them with "
                         "'voice webhooks deliveries' or GET /api/webhook-deliveries")


class DeliveryNotReplayableError(WebhookError):
    """A delivery cannot be replayed now (being sent, or its endpoint is disabled)."""


class InvalidDeliveryFilterError(WebhookError, ValueError):
    """A delivery list was asked for with a status that does not exist."""
