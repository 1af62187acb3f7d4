"""Gunicorn configuration of the web process (``voice up``, Procfile, docker-compose).

Owns how gunicorn serves ``voice.app:create_app()``: where it binds and how many workers, all
from the same validated settings as the rest of the service (VOICE_WEB_HOST, VOICE_WEB_PORT,
VOICE_WEB_WORKERS, VOICE_LOG_LEVEL). Invalid settings stop gunicorn before it binds, listing
every problem. The app is not preloaded: each worker builds its own database engine after
the fork, because database connections must not be shared between processes.
"""

from __future__ import annotations

import sys

from voice.errors import SettingsError
from voice.settings import load_settings

try:
    _settings = load_settings()
except SettingsError as _exc:
    sys.stderr.write(f"{_exc}\n")
    raise SystemExit(2) from None

_host = f"[{_settings.web_host}]" if ":" in _settings.web_host else _settings.web_host
bind = [f"{_host}:{_settings.web_port}"]
workers = _settings.web_workers
# Threads per worker: each agent desktop keeps one live stream (Server-Sent Events) open, so a
# sync worker per request would be used up by two agents. Sixteen threads per worker serve
# the desktops of a small team plus the webhooks and pages around them.
worker_class = "gthread"
threads = 16
wsgi_app = "voice.app:create_app()"
preload_app = False
loglevel = _settings.log_level.lower()
accesslog = "-"
errorlog = "-"
graceful_timeout = 10
proc_name = "voice-web"
# Gunicorn >= 24 opens a control socket in ~/.gunicorn by default; a second instance on the
# same machine (tests, another checkout) would fight over it and nothing here uses it.
# Older gunicorn versions ignore this name.
control_socket_disable = True


def post_worker_init(worker: object) -> None:
    """Move everything loaded at start-up out of the collector's reach.

    Full collections otherwise rescan the whole imported service (twilio, SQLAlchemy, ...)
    and pause a worker for 50-150 ms under load; frozen objects are never scanned again.
    """
    import gc

    gc.collect()
    gc.freeze()
