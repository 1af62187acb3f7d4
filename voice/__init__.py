"""Self-hosted contact-center voice service.

This package holds the whole service: the sans-I/O IVR engine (``voice.ivr``), the flow
tooling (``voice.flows``), persistence (``voice.store``), services such as the call log
(``voice.calls``), the web process (``voice.app``, ``voice.web``) and the ``voice`` CLI
(``voice.cli``). Importing it must stay cheap and free of side effects: no engines, clients
or settings are created at import time; each process builds them once in ``voice.compose``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("voice")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
