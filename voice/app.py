"""Flask application factory of the web process (``voice web``, gunicorn's ``wsgi_app``).

Owns turning :class:`~voice.settings.Settings` into a ready Flask app: it builds the
process's :class:`~voice.compose.Services` once (stored in ``app.extensions['voice']``) and
registers the blueprints, with the session cookie's settings (``voice.web.sessions``) and the
pages' templates and static files from ``voice/web/``. Gunicorn calls :func:`create_app` in
each worker after forking, so each worker has its own database engine; nothing is shared
across processes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from flask import Flask

from voice.compose import build_services
from voice.settings import Settings, load_settings
from voice.web import register_blueprints
from voice.web.sessions import flask_config


def create_app(settings: Settings | None = None,
               clock: Callable[[], datetime] | None = None) -> Flask:
    """Build the web app for ``settings`` (loaded from the environment when omitted).

    Raises :class:`~voice.errors.SettingsError` when the environment's settings are invalid.
    Call ``app.extensions['voice'].close()`` when an app is discarded (tests do).
    """
    settings = settings or load_settings()
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.json.sort_keys = False  # type: ignore[attr-defined]
    logging.getLogger("voice").setLevel(settings.log_level)
    app.logger.setLevel(settings.log_level)
    app.extensions["voice"] = build_services(settings, clock)
    app.config.update(flask_config(settings))
    register_blueprints(app)
    return app
