"""HTTP adapter of the web process: one Flask blueprint per area.

Owns translating HTTP requests into calls on the process's services and their results into
JSON or HTML. Blueprints reach the services built by ``voice.app.create_app`` through
:func:`services`; they never create engines or read settings themselves.
"""

from __future__ import annotations

from flask import Flask, current_app

from voice.compose import Services


def services() -> Services:
    """The :class:`~voice.compose.Services` of the app handling the current request."""
    return current_app.extensions["voice"]


def register_blueprints(app: Flask) -> None:
    """Attach every area's blueprint and the JSON error handlers to ``app``."""
    from voice.twilio import blueprint as twilio
    from voice.web import (
        api_agents,
        api_customers,
        api_flows,
        api_recordings,
        api_transcripts,
        api_webhooks,
        errors,
        health,
        home,
    )

    errors.register_error_handlers(app)
    app.register_blueprint(home.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(api_flows.bp)
    app.register_blueprint(api_customers.bp)
    app.register_blueprint(api_agents.bp)
    app.register_blueprint(api_recordings.bp)
    app.register_blueprint(api_transcripts.bp)
    app.register_blueprint(api_webhooks.bp)
    app.register_blueprint(twilio.bp)
    from voice.twilio import agent_routes  # the Twilio agent hand-off's webhooks
    from voice.web import api_twilio  # the browser softphone's Twilio token
    app.register_blueprint(agent_routes.bp)
    app.register_blueprint(api_twilio.bp)
    from voice.web import agent_page, login  # pages: sign-in, agent desktop
    app.register_blueprint(login.bp)
    app.register_blueprint(agent_page.bp)
