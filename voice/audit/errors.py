"""Errors of the audit log."""

from __future__ import annotations

from voice.errors import VoiceError


class AuditError(VoiceError):
    """Base class of the audit log's errors."""


class SecretInAuditError(AuditError):
    """Audit details named a field that holds a secret (it must never be stored)."""

    def __init__(self, field: str) -> None:
        super().__init__(
            f"audit details must not carry the secret field {field!r}: record that it "
            "changed (for example 'password_changed': true), never its value")
        self.field = field
