"""Errors of the outbound webhooks package."""

from __future__ import annotations


class WebhookError(Exception):
    """Base class of webhook errors."""


class WebhookSecretError(WebhookError, ValueError):
    """The signing secret is empty or not in the ``whsec_<base64>`` form."""


class SignatureVerificationError(WebhookError):
    """A payload's signature, id or timestamp did not verify."""
