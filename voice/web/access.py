"""Who may call a view: staff users by role, with an API key, a password or a session cookie.

Owns :func:`require_role`, the decorator of every API view, and :func:`require_page_role`,
its twin for HTML pages. A request proves who it is with ``Authorization: Bearer <API
key>`` (keys from ``voice users api-key``; one SHA-256 and one indexed lookup, the cheap
choice for tools), HTTP Basic ``username:password`` (one argon2 verification, counted by the
login lockout of :mod:`voice.web.login_throttle`), or, without an ``Authorization`` header,
the browser's session cookie from ``/login`` (:mod:`voice.web.sessions`; state-changing
requests must then carry the CSRF token). API failures answer in the API's JSON error shape
(``voice.web.errors``): 401 when the credentials are missing or wrong (the answer never
says which part was wrong; with ``WWW-Authenticate`` unless a page's script asked, so
browsers do not pop up a password dialog), 429 while the username is locked, 403 naming the
roles needed when the user is known but not allowed. Pages instead redirect to
``/login?next=...`` and show a 403 page. The user is stored in ``flask.g.user``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import ParamSpec
from urllib.parse import urlencode

from flask import Response, current_app, g, redirect, request
from flask.typing import ResponseReturnValue

from voice.users.errors import InvalidUserError, UnknownRoleError
from voice.users.service import ROLES, UserService, UserView
from voice.web import services
from voice.web.errors import error_response
from voice.web.login_throttle import LoginThrottle
from voice.web.sessions import (
    SAFE_METHODS,
    csrf_failure,
    csrf_ok,
    error_page,
    session_user,
)

P = ParamSpec("P")
View = Callable[P, ResponseReturnValue]
CHALLENGE = 'Basic realm="voice", Bearer'

log = logging.getLogger(__name__)


def require_role(*roles: str) -> Callable[[View[P]], View[P]]:
    """Let an API view run only for an enabled user whose role is one of ``roles``.

    Raises :class:`~voice.users.errors.UnknownRoleError` at import time when a role is not
    one of :data:`~voice.users.service.ROLES` (a typo must not lock everyone out).
    """
    _check_roles(roles)

    def decorate(view: View[P]) -> View[P]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            user = authenticate()
            if user is None:
                return unauthorized()
            refused = _refuse_forged(user)
            if refused is not None:
                return refused
            if user.role not in roles:
                return forbidden(user, roles)
            g.user = user
            return view(*args, **kwargs)

        return wrapper

    return decorate


def require_page_role(*roles: str) -> Callable[[View[P]], View[P]]:
    """Like :func:`require_role`, for HTML pages: a visitor who is not signed in is sent to
    ``/login?next=<this page>``, a signed-in user with another role gets a 403 page."""
    _check_roles(roles)

    def decorate(view: View[P]) -> View[P]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            user = authenticate()
            if user is None:
                return redirect(login_url(), code=303)
            refused = _refuse_forged(user)
            if refused is not None:
                return refused
            if user.role not in roles:
                return error_page(403, "Not allowed", f"You are signed in as "
                                  f"{user.username} ({user.role}); this page is for "
                                  f"{' or '.join(roles)} users. Sign out and sign in as "
                                  "one, or go back to your own start page.")
            g.user = user
            return view(*args, **kwargs)

        return wrapper

    return decorate


def login_url() -> str:
    """``/login?next=<the current page>`` (the login view checks ``next`` again)."""
    target = request.path
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    return "/login?" + urlencode({"next": target})


def current_user() -> UserView:
    """The user :func:`require_role` let through for the current request."""
    user: UserView = g.user
    return user


def authenticate() -> UserView | None:
    """The enabled user the request's ``Authorization`` header proves, or without that header
    the user signed in by the session cookie; None when neither holds."""
    g.auth_method = None
    if "Authorization" not in request.headers:
        user = session_user()
        g.auth_method = "session" if user is not None else None
        return user
    auth = request.authorization
    if auth is None:
        return None
    service = _user_service()
    if auth.type == "bearer" and auth.token:
        user = service.check_api_key(auth.token)
    elif auth.type == "basic" and auth.username is not None:
        username, password = auth.username, auth.password or ""
        outcome, user = login_throttle().attempt(
            username, lambda: service.check_password(username, password), request.remote_addr,
            quiet=True)
        g.login_refused = outcome == "refused"
    else:
        user = None
    if user is None:
        log.warning("rejected %s credentials for %s %s from %s", auth.type, request.method,
                    request.path, request.remote_addr)
    else:
        g.auth_method = auth.type
    return user


def login_throttle() -> LoginThrottle:
    """The app's login lockout (one per app, over the process's database)."""
    throttle = current_app.extensions.get("voice_login_throttle")
    if throttle is None:
        built = services()
        throttle = LoginThrottle(built.session_factory, built.clock)
        current_app.extensions["voice_login_throttle"] = throttle
    return throttle


def unauthorized() -> Response:
    """401: missing or wrong credentials, with the challenge clients need to retry (429
    while the username is locked after too many failed logins)."""
    if g.get("login_refused"):
        minutes = int(login_throttle().lock_time.total_seconds() // 60)
        response = error_response(
            429, "too-many-failed-logins",
            f"too many failed logins for this username; try again in {minutes} minutes",
            {"path": request.path})
        response.headers["Retry-After"] = str(minutes * 60)
        return response
    if "Authorization" not in request.headers:
        error_id = "authentication-required"
        message = ("this endpoint needs a staff user: send 'Authorization: Bearer <API key>' "
                   "(make one with 'voice users api-key NAME') or HTTP Basic with a "
                   "username and password, or sign in at /login in a browser")
    else:
        error_id = "invalid-credentials"
        message = ("the API key or username/password is wrong, or the user is disabled; "
                   "check them with 'voice users list' or make a new key with "
                   "'voice users api-key NAME'")
    response = error_response(401, error_id, message, {"path": request.path})
    if request.headers.get("Sec-Fetch-Dest") != "empty":
        # fetch() and EventSource from a page send Sec-Fetch-Dest: empty; a challenge would
        # make the browser pop up a password dialog over the page instead of its own login
        response.headers["WWW-Authenticate"] = CHALLENGE
    return response


def forbidden(user: UserView, roles: tuple[str, ...]) -> Response:
    """403: the user is known but their role may not use this endpoint."""
    needed = " or ".join(roles)
    return error_response(
        403,
        "forbidden",
        f"user '{user.username}' has role '{user.role}', but this endpoint needs role "
        f"{needed}; call it as a user with that role",
        {"path": request.path, "roles_required": list(roles), "role": user.role},
    )


def _check_roles(roles: tuple[str, ...]) -> None:
    if not roles:
        raise InvalidUserError([f"require_role() needs at least one of {', '.join(ROLES)}"])
    for role in roles:
        if role not in ROLES:
            raise UnknownRoleError(role, ROLES)


def _refuse_forged(user: UserView) -> ResponseReturnValue | None:
    """A state-changing request a browser may have sent on another site's behalf: by the
    session cookie without the CSRF token, or with Basic credentials the browser cached
    (``Sec-Fetch-Site: cross-site``). None when the request may go on."""
    if request.method in SAFE_METHODS:
        return None
    method = g.get("auth_method")
    if method == "session" and not csrf_ok():
        return csrf_failure()
    if method == "basic" and request.headers.get("Sec-Fetch-Site") == "cross-site":
        return error_response(
            403, "cross-site-request",
            f"user '{user.username}': a browser sent this change from another site with "
            "saved credentials; call the API from a script, or sign in at /login and use "
            "the pages", {"path": request.path})
    return None


def _user_service() -> UserService:
    service = services().user_service
    assert service is not None  # build_services always sets it
    return service
