"""Browser sessions of staff users and the CSRF tokens that guard them.

Owns what the session cookie holds and when it stops being trusted. The cookie is Flask's
signed session (key derived from ``VOICE_SECRET_KEY`` / the data folder's key, HttpOnly,
SameSite=Lax, Secure when ``VOICE_PUBLIC_URL`` is https) holding the user id, a
per-session CSRF token, the sign-in time and a fingerprint of the user's password hash. On
every request the user is read again from the database: a disabled or deleted user, a new
password (``voice users passwd``) or a sign-in older than :data:`SESSION_LIFETIME` ends the
session.

CSRF (synchronizer token): every state-changing request authenticated by the cookie must
carry the session's token in the ``X-CSRF-Token`` header (page ``fetch`` calls; pages have
it in ``<meta name="csrf-token">``) or the ``csrf_token`` form field, else 403.
Requests with an ``Authorization`` header (scripts, softphones) and requests without a
signed-in session (Twilio webhooks) are not cookie-authenticated and need no token. The
token is replaced at sign-in, so a token planted before sign-in is useless.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from flask import Response, current_app, g, render_template, request, session

from voice.secretbox import load_or_create_key
from voice.settings import Settings
from voice.store.models import User
from voice.users.service import UserView
from voice.web import services
from voice.web.errors import error_response

#: a sign-in lasts one long shift, whatever the activity; then the user signs in again
SESSION_LIFETIME = timedelta(hours=12)
SESSION_COOKIE_NAME = "voice_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_KEY_LABEL = b"voice web session cookie v1"


def flask_config(settings: Settings) -> dict[str, Any]:
    """The Flask settings of the session cookie for ``settings`` (``app.config.update``)."""
    key = load_or_create_key(settings.secret_key, settings.data_dir)
    return {
        # a key of its own, derived from the service key, so the cookie's signature never
        # uses the key that seals secrets
        "SECRET_KEY": hmac.new(key.encode(), _KEY_LABEL, hashlib.sha256).digest(),
        "SESSION_COOKIE_NAME": SESSION_COOKIE_NAME,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": settings.public_url.startswith("https://"),
        "PERMANENT_SESSION_LIFETIME": SESSION_LIFETIME,
    }


def csrf_token() -> str:
    """The session's CSRF token (made on first use: the login form's session has one too)."""
    token = session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_ok() -> bool:
    """True when the request carries the session's CSRF token (header or form field)."""
    expected = session.get("csrf")
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD)
    if not isinstance(expected, str) or not isinstance(sent, str):
        return False
    return secrets.compare_digest(expected.encode(), sent.encode())


def start_session(user: UserView) -> None:
    """Sign ``user`` in: a fresh session (new CSRF token) that lasts SESSION_LIFETIME."""
    with services().session_factory() as db:
        row = db.get(User, user.id)
        password_hash = row.password_hash if row is not None else ""
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["login_at"] = services().clock().timestamp()
    session["pwv"] = _fingerprint(password_hash)
    session["csrf"] = secrets.token_urlsafe(32)
    g.voice_session_user = user


def end_session() -> None:
    """Sign out: forget everything the cookie held."""
    session.clear()
    g.voice_session_user = None


def session_user() -> UserView | None:
    """The enabled user the session cookie signs in, or None (read once per request)."""
    if "voice_session_user" not in g:
        g.voice_session_user = _load_user()
    user: UserView | None = g.voice_session_user
    return user


def uses_session() -> bool:
    """True when the request is authenticated by the cookie (no Authorization header)."""
    return "Authorization" not in request.headers and session_user() is not None


def csrf_guard() -> Response | tuple[str, int] | None:
    """``before_request``: refuse a cookie-authenticated change without the CSRF token."""
    if request.method in SAFE_METHODS or not uses_session() or csrf_ok():
        return None
    return csrf_failure()


def csrf_failure() -> Response | tuple[str, int]:
    """403 for a missing or wrong CSRF token: JSON for the API, a page otherwise."""
    message = ("this request came from a signed-in browser session without its CSRF token: "
               f"send the token in the {CSRF_HEADER} header (pages have it in "
               "<meta name=\"csrf-token\">) or the csrf_token form field; if you see this in "
               "the browser, reload the page and try again")
    if wants_json():
        return error_response(403, "csrf-token-invalid", message, {"path": request.path})
    return error_page(403, "Request refused", "The form you sent was missing its security "
                      "token or it has expired. Reload the page and try again.")


def wants_json() -> bool:
    """True for API requests and script calls, which get JSON errors instead of pages."""
    return request.path.startswith("/api/") or request.is_json


def error_page(status: int, title: str, message: str) -> tuple[str, int]:
    """An HTML error page in the site's layout."""
    return render_template("error.html", title=title, message=message, status=status), status


def _load_user() -> UserView | None:
    uid = session.get("uid")
    if not isinstance(uid, int):
        return None
    login_at = session.get("login_at")
    now = services().clock().timestamp()
    if not isinstance(login_at, int | float) \
            or now - login_at > SESSION_LIFETIME.total_seconds():
        session.clear()
        return None
    with services().session_factory() as db:
        row = db.get(User, uid)
        if row is None or row.disabled or not secrets.compare_digest(
                str(session.get("pwv", "")), _fingerprint(row.password_hash)):
            session.clear()
            return None
        return UserView(id=row.id, username=row.username, role=row.role,
                        disabled=row.disabled, created_at=row.created_at,
                        has_api_key=row.api_key_hash is not None)


def _fingerprint(password_hash: str) -> str:
    """A keyed digest of the password hash: a new password ends older sessions."""
    key = current_app.secret_key
    key_bytes = key if isinstance(key, bytes) else str(key).encode()
    return hmac.new(key_bytes, password_hash.encode(), hashlib.sha256).hexdigest()[:32]
