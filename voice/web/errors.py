"""API errors of the web process and the handlers that render them as JSON.

Owns the error contract of ``/api/*``: every error is JSON ``{error_id, message, details}``
with a stable kebab-case ``error_id`` clients can branch on, a human ``message`` saying what
to do, and ``details`` with the specifics. Non-API pages keep Flask's default error pages.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from voice.errors import VoiceError
from voice.store.db import describe_db_error


class ApiError(VoiceError):
    """An error answered as JSON; subclasses fix ``status`` and ``error_id``."""

    status = 400
    error_id = "bad-request"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class FlowNotFoundError(ApiError):
    """No version of the requested flow was ever published."""

    status = 404
    error_id = "flow-not-found"

    def __init__(self, flow_id: str) -> None:
        super().__init__(
            f"flow '{flow_id}' has never been published; see GET /api/flows for published "
            "flows, or publish it with 'voice flows publish'",
            flow_id=flow_id,
        )


class FlowTextRequiredError(ApiError):
    """A flow editor request without the flow's YAML text."""

    status = 400
    error_id = "text-required"

    def __init__(self, path: str) -> None:
        super().__init__("send the flow's YAML as JSON {\"text\": \"...\"}", path=path)


class FlowTooLargeError(ApiError):
    """A flow text longer than the editor accepts."""

    status = 413
    error_id = "flow-too-large"

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"a flow text may have at most {limit} characters; this one has "
                         f"{length}", length=length)


def error_response(status: int, error_id: str, message: str, details: dict[str, Any]) -> Response:
    """Build the JSON error body shared by every API error."""
    response = jsonify(error_id=error_id, message=message, details=details)
    response.status_code = status
    return response


def register_error_handlers(app: Flask) -> None:
    """Render ApiError, HTTP errors under /api/ and database failures as JSON."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return error_response(exc.status, exc.error_id, exc.message, exc.details)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response | HTTPException:
        if not request.path.startswith("/api/"):
            return exc
        error_id = (exc.name or "error").lower().replace(" ", "-").replace("'", "")
        return error_response(
            exc.code or 500, error_id, exc.description or exc.name, {"path": request.path}
        )

    @app.errorhandler(SQLAlchemyError)
    def _database_error(exc: SQLAlchemyError) -> Response:
        from voice.web import services

        app.logger.error("database error on %s: %s", request.path, exc)
        return error_response(
            503,
            "database-unavailable",
            "the database is not answering; check GET /healthz and the database server",
            {"error": describe_db_error(services().engine, exc)},
        )
