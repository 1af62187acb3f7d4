"""Encryption of secrets kept between webhooks (digits of a sensitive gather still in flight).

A ``SecretBox`` seals a small JSON mapping with Fernet (AES-128-CBC + HMAC-SHA256, from the
``cryptography`` package) under the key from ``VOICE_SECRET_KEY``, or a key created once in
the data folder (mode 0600) for the embedded default. The database only ever sees tokens.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from voice.errors import VoiceError

KEY_FILE = "secret.key"


class SecretBoxError(VoiceError):
    """A sealed value cannot be opened (wrong or changed key, or tampered data)."""


class SecretBox:
    """Seals and opens JSON-able mappings."""

    def __init__(self, key: str | bytes) -> None:
        self._fernet = Fernet(key)

    def seal(self, values: dict[str, Any]) -> str | None:
        """A token for ``values`` (None for an empty mapping)."""
        if not values:
            return None
        return self._fernet.encrypt(json.dumps(values).encode()).decode()

    def open(self, token: str | None) -> dict[str, Any]:
        """The mapping sealed in ``token`` ({} for None)."""
        if not token:
            return {}
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise SecretBoxError("cannot decrypt saved call secrets: VOICE_SECRET_KEY changed "
                                 "while calls were in progress") from None


def new_key() -> str:
    """A fresh key for VOICE_SECRET_KEY."""
    return Fernet.generate_key().decode()


def load_or_create_key(configured: str, data_dir: Path) -> str:
    """The configured key, else the data folder's key file (created on first use)."""
    if configured:
        return configured
    path = data_dir / KEY_FILE
    if path.exists():
        return path.read_text().strip()
    key = new_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it a moment ago
        return path.read_text().strip()
    try:
        os.write(fd, key.encode())
    finally:
        os.close(fd)
    return key
