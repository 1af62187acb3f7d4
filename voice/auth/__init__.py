"""Caller verification services: the answer to the engine's ``VerifyCaller`` action."""

from __future__ import annotations

from voice.auth.verifier import DirectoryVerifier, VerificationResult, Verifier, load_directory

__all__ = ["DirectoryVerifier", "VerificationResult", "Verifier", "load_directory"]
