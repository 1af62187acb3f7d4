"""Who may call a view: staff users by role, with an API key or a username and password.

Owns :func:`require_role`, the decorator of every admin-only view. A request proves who it is
with ``Authorization: Bearer <API key>`` (keys from ``voice users api-key``; one SHA-256 and
one indexed lookup, the cheap choice for tools) or HTTP Basic ``username:password`` (one
argon2 verification, about as slow as a login should be). Failures answer in the API's JSON
error shape (``voice.web.errors``): 401 with ``WWW-Authenticate`` when the credentials are
missing or wrong (the answer never says which part was wrong), 403 naming the roles needed
when the user is known but not allowed. The user is stored in ``flask.g.user``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import ParamSpec

from flask import Response, g, request
from flask.typing import ResponseReturnValue

from voice.users.errors import InvalidUserError, UnknownRoleError
from voice.users.service import ROLES, UserService, UserView
from voice.web import services
from voice.web.errors import error_response

P = ParamSpec("P")
View = Callable[P, ResponseReturnValue]
CHALLENGE = 'Basic realm="voice", Bearer'

log = logging.getLogger(__name__)


def require_role(*roles: str) -> Callable[[View[P]], View[P]]:
    """Let a view run only for an enabled user whose role is one of ``roles``.

    Raises :class:`~voice.users.errors.UnknownRoleError` at import time when a role is not
    one of :data:`~voice.users.service.ROLES` (a typo must not lock everyone out).
    """
    if not roles:
        raise InvalidUserError([f"require_role() needs at least one of {', '.join(ROLES)}"])
    for role in roles:
        if role not in ROLES:
            raise UnknownRoleError(role, ROLES)

    def decorate(view: View[P]) -> View[P]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            user = authenticate()
            if user is None:
                return unauthorized()
            if user.role not in roles:
                return forbidden(user, roles)
            g.user = user
            return view(*args, **kwargs)

        return wrapper

    return decorate


def current_user() -> UserView:
    """The user :func:`require_role` let through for the current request."""
    user: UserView = g.user
    return user


def authenticate() -> UserView | None:
    """The enabled user the request's ``Authorization`` header proves, or None."""
    auth = request.authorization
    if auth is None:
        return None
    service = _user_service()
    if auth.type == "bearer" and auth.token:
        user = service.check_api_key(auth.token)
    elif auth.type == "basic" and auth.username is not None:
        user = service.check_password(auth.username, auth.password or "")
    else:
        user = None
    if user is None:
        log.warning("rejected %s credentials for %s %s from %s", auth.type, request.method,
                    request.path, request.remote_addr)
    return user


def unauthorized() -> Response:
    """401: missing or wrong credentials, with the challenge clients need to retry."""
    if request.authorization is None:
        error_id = "authentication-required"
        message = ("this endpoint needs a staff user: send 'Authorization: Bearer <API key>' "
                   "(make one with 'voice users api-key NAME') or HTTP Basic with a "
                   "username and password")
    else:
        error_id = "invalid-credentials"
        message = ("the API key or username/password is wrong, or the user is disabled; "
                   "check them with 'voice users list' or make a new key with "
                   "'voice users api-key NAME'")
    response = error_response(401, error_id, message, {"path": request.path})
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


def _user_service() -> UserService:
    service = services().user_service
    assert service is not None  # build_services always sets it
    return service
