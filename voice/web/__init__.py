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
    from voice.twilio import agent_routes
    from voice.twilio import blueprint as twilio
    from voice.web import (
        admin_flows,
        admin_pages,
        admin_scorecards,
        agent_page,
        api_agents,
        api_customers,
        api_flow_editor,
        api_flows,
        api_queues,
        api_recordings,
        api_transcripts,
        api_twilio,
        api_webhooks,
        errors,
        health,
        home,
        login,
        navigation,
        qa_evaluations,
        qa_pages,
        supervisor_page,
        supervisor_reports,
    )

    errors.register_error_handlers(app)
    for blueprint in (
        home.bp, health.bp, login.bp, navigation.bp,  # pages: landing, sign-in, menu
        agent_page.bp,  # the agent desktop
        supervisor_page.bp,  # the supervisor wallboard
        qa_pages.bp,  # QA: the recordings list and the call page with its player
        supervisor_reports.bp,  # supervisor reports, CSV downloads, the IVR funnel
        admin_flows.bp, api_flow_editor.bp,  # admin flow list and editor, its JSON API
        admin_pages.bp,  # admin configuration: schedules, queues, agents, users, webhooks, ...
        api_flows.bp, api_customers.bp, api_agents.bp, api_queues.bp, api_recordings.bp,
        api_transcripts.bp, api_webhooks.bp,
        api_twilio.bp,  # the browser softphone's Twilio token
        twilio.bp, agent_routes.bp,  # Twilio webhooks: the IVR, the agent hand-off
        admin_scorecards.bp, qa_evaluations.bp,  # QA scorecards, evaluations, rollups, CSV
    ):
        app.register_blueprint(blueprint)
