"""Recordings encrypted at rest: AES-256-GCM per file, file keys wrapped with a master key.

Owns the on-disk form of an encrypted recording and of its key. Every file gets its own
random 32-byte key; the file holds ``nonce (12 bytes) + ciphertext + GCM tag (16 bytes)``,
which is exactly ``nonce + AESGCM.encrypt(...)``, so any AES-GCM implementation can read it.
The file key is itself encrypted with AES-256-GCM under the master key
(``VOICE_RECORDINGS_KEY``) and kept, base64-encoded, in the row's ``wrapped_key`` column; the
master key never touches disk here. GCM authenticates both layers, so a wrong master key
(:class:`RecordingKeyError`) and a changed or truncated file (:class:`RecordingTamperedError`)
are told apart and never yield garbage audio. Files are encrypted in streaming fashion (long
calls need not fit in memory twice); decryption returns the clear bytes only once the whole
file has been authenticated.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from voice.recordings.errors import RecordingKeyError, RecordingTamperedError

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
#: bound into each layer's authentication, so a wrapped key cannot pass for a file or back
_FILE_AAD = b"voice recording file v1"
_KEY_AAD = b"voice recording file key v1"
_CHUNK = 1024 * 1024

__all__ = ["RecordingCipher"]


class RecordingCipher:
    """Encrypts recording files and decrypts them with the master key ``master_key_b64``.

    ``master_key_b64`` is the base64 of 32 random bytes (``voice secret-key --recordings``);
    anything else raises :class:`RecordingKeyError`.
    """

    def __init__(self, master_key_b64: str) -> None:
        try:
            master = base64.b64decode(master_key_b64.strip(), validate=True)
        except (binascii.Error, ValueError):
            master = b""
        if len(master) != KEY_BYTES:
            raise RecordingKeyError(
                "VOICE_RECORDINGS_KEY is not the base64 of 32 bytes; make one with "
                "'voice secret-key --recordings'"
            )
        self._master = AESGCM(master)

    def encrypt_file(self, source: Path, target: Path) -> str:
        """Write ``source`` encrypted to ``target`` (created or replaced).

        Returns the file key wrapped with the master key, for the row's ``wrapped_key``.
        """
        key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        nonce = os.urandom(NONCE_BYTES)
        encryptor = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(_FILE_AAD)
        with source.open("rb") as clear, target.open("wb") as out:
            out.write(nonce)
            while chunk := clear.read(_CHUNK):
                out.write(encryptor.update(chunk))
            out.write(encryptor.finalize())
            out.write(encryptor.tag)
            out.flush()
            os.fsync(out.fileno())
        return self._wrap(key)

    def encrypt(self, data: bytes) -> tuple[bytes, str]:
        """``data`` as the bytes of an encrypted file, and its wrapped key."""
        key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        nonce = os.urandom(NONCE_BYTES)
        return nonce + AESGCM(key).encrypt(nonce, data, _FILE_AAD), self._wrap(key)

    def decrypt(self, path: Path, wrapped_key: str, recording_id: int | None = None) -> bytes:
        """The clear audio of the encrypted file ``path``.

        Raises :class:`RecordingKeyError` when ``wrapped_key`` was not made with this master
        key, :class:`RecordingTamperedError` when the file was changed or truncated.
        """
        key = self._unwrap(wrapped_key, recording_id)
        size = path.stat().st_size
        if size < NONCE_BYTES + TAG_BYTES:
            raise RecordingTamperedError(recording_id, str(path))
        with path.open("rb") as sealed:
            nonce = sealed.read(NONCE_BYTES)
            sealed.seek(size - TAG_BYTES)
            tag = sealed.read(TAG_BYTES)
            sealed.seek(NONCE_BYTES)
            decryptor = Cipher(algorithms.AES(key), modes.GCM(nonce, tag)).decryptor()
            decryptor.authenticate_additional_data(_FILE_AAD)
            parts = []
            left = size - NONCE_BYTES - TAG_BYTES
            while left > 0:
                chunk = sealed.read(min(_CHUNK, left))
                if not chunk:  # pragma: no cover - the file shrank while being read
                    raise RecordingTamperedError(recording_id, str(path))
                left -= len(chunk)
                parts.append(decryptor.update(chunk))
        try:
            parts.append(decryptor.finalize())
        except InvalidTag:
            raise RecordingTamperedError(recording_id, str(path)) from None
        return b"".join(parts)

    def _wrap(self, key: bytes) -> str:
        nonce = os.urandom(NONCE_BYTES)
        return base64.b64encode(nonce + self._master.encrypt(nonce, key, _KEY_AAD)).decode()

    def _unwrap(self, wrapped_key: str, recording_id: int | None) -> bytes:
        which = f"recording {recording_id}" if recording_id is not None else "this recording"
        try:
            blob = base64.b64decode(wrapped_key, validate=True)
            key = self._master.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], _KEY_AAD)
        except (binascii.Error, ValueError, InvalidTag):
            raise RecordingKeyError(
                f"the key of {which} cannot be unwrapped with VOICE_RECORDINGS_KEY: it was "
                "encrypted under another master key (or its wrapped_key was changed); set "
                "VOICE_RECORDINGS_KEY to the key that was in use when it was stored"
            ) from None
        if len(key) != KEY_BYTES:  # pragma: no cover - only this class wraps keys
            raise RecordingKeyError(f"the key of {which} is not a 32-byte key")
        return key
