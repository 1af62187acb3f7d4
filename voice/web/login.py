"""Signing in and out of the web pages: ``GET/POST /login``, ``POST /logout``.

Owns the login form and what every page shares: the CSRF guard that runs before each
request (:func:`voice.web.sessions.csrf_guard`), the template values ``csrf_token`` and
``signed_in``, and the security headers of HTML answers. A successful sign-in starts a new
session (new CSRF token) and goes to ``next`` when it is a path on this site, else to the
role's start page (:data:`ROLE_HOMES`). A wrong username or password gets one generic
message; after :data:`~voice.web.login_throttle.MAX_FAILURES` failures the username is
refused for a while (:mod:`voice.web.login_throttle`) with the same message plus "try again
later".
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, flash, redirect, render_template, request
from werkzeug.wrappers.response import Response as BaseResponse

from voice import __version__
from voice.web import services
from voice.web.access import login_throttle
from voice.web.sessions import (
    csrf_guard,
    csrf_ok,
    csrf_token,
    end_session,
    session_user,
    start_session,
)

bp = Blueprint("login", __name__)
log = logging.getLogger(__name__)

#: where each role lands after signing in without a ``next`` (pages of other roles add theirs)
ROLE_HOMES = {"agent": "/agent", "supervisor": "/supervisor", "qa": "/qa/recordings",
              "admin": "/admin/flows"}
DEFAULT_HOME = "/"
WRONG = "Wrong username or password."
LOCKED = "Wrong username or password. Too many failed attempts: try again later."
EXPIRED = ("This sign-in form had expired or your browser did not send its cookie, so it was "
           "refused. Try again; cookies must be allowed for this site.")
#: Content-Security-Policy of HTML answers: scripts and styles only from here; connections and
#: media from here and, for the agent desktop's browser phone (Twilio's Voice SDK, itself served
#: from here), Twilio: its signaling WebSocket, insights and ringtones (fetched, then played
#: from blob: URLs)
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self' https://*.twilio.com wss://*.twilio.com",
    "media-src": "'self' https://*.twilio.com https://sdk.twilio.com blob:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

bp.before_app_request(csrf_guard)


@bp.app_context_processor
def _template_values() -> dict[str, Any]:
    return {"csrf_token": csrf_token, "signed_in": session_user, "version": __version__}


def policy_header(extra: dict[str, str] | None = None) -> str:
    """The pages' Content-Security-Policy, with ``extra`` sources added to its directives
    (e.g. a per-response style nonce)."""
    policy = {key: f"{value} {extra[key]}" if extra and key in extra else value
              for key, value in CONTENT_SECURITY_POLICY.items()}
    return "; ".join(f"{key} {value}" for key, value in policy.items())


@bp.after_app_request
def _page_headers(response: Response) -> Response:
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", policy_header())
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def safe_next(value: str | None) -> str | None:
    """``value`` when it is a path on this site (``/agent?x=1``), else None.

    Refuses absolute and scheme-relative URLs (``//evil.example``), backslashes and control
    characters (browsers read ``/\\evil.example`` and ``/\\t/evil.example`` as another
    site), and the login and logout pages themselves.
    """
    if not value or len(value) > 2000 or not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path in ("/login", "/logout"):
        return None
    return value


def home_for(role: str) -> str:
    """The start page of ``role``."""
    return ROLE_HOMES.get(role, DEFAULT_HOME)


@bp.get("/login")
def login_form() -> BaseResponse | str:
    """The sign-in form (signed-in users go straight on to ``next`` or their start page)."""
    target = safe_next(request.args.get("next"))
    user = session_user()
    if user is not None:
        return redirect(target or home_for(user.role), code=303)
    return render_template("login.html", next=target or "", username="", message=None)


@bp.post("/login")
def login_submit() -> BaseResponse | tuple[str, int]:
    """Check the username and password (with the lockout) and start a session."""
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    target = safe_next(request.form.get("next"))
    if not csrf_ok():
        return _form(403, EXPIRED, username, target)
    if not username or not password:
        return _form(400, "Enter your username and password.", username, target)
    users = services().user_service
    assert users is not None
    outcome, user = login_throttle().attempt(
        username, lambda: users.check_password(username, password), request.remote_addr)
    if outcome == "refused":
        log.warning("refused login for locked username %r from %s", username,
                    request.remote_addr)
        return _form(429, LOCKED, username, target)
    if user is None:
        log.warning("failed login for %r from %s", username, request.remote_addr)
        return _form(401, WRONG, username, target)
    start_session(user)
    log.info("user %s (%s) signed in from %s", user.username, user.role, request.remote_addr)
    return redirect(target or home_for(user.role), code=303)


@bp.post("/logout")
def logout() -> BaseResponse:
    """End the session (the CSRF guard has checked the token of a signed-in session)."""
    user = session_user()
    end_session()
    if user is not None:
        log.info("user %s signed out", user.username)
    flash("You are signed out.")
    return redirect("/login", code=303)


def _form(status: int, message: str, username: str, target: str | None) -> tuple[str, int]:
    return render_template("login.html", next=target or "", username=username,
                           message=message), status
