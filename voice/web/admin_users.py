"""``/admin/users``: staff users, their roles, passwords and API keys, for admins.

Adds users with a role and password, changes a role, resets a password (their open
sessions end), disables and enables, and creates or revokes API keys through
:class:`voice.users.service.UserService`. A new API key is shown in that one answer only
(only its hash is stored). An admin cannot change their own role or disable themselves
(the last admin would lock everyone out); agents get and lose the agent role on the Agents
page, because an agent is more than a role (queues, skills, contacts); disabling an agent
here also puts them offline, as on the Agents page. Changes are audited as ``user.*``, never
with a password or key.
"""

from __future__ import annotations

from flask import Response, request

from voice.acd.errors import AgentNotFoundError
from voice.users.errors import UserError
from voice.users.service import ROLES, UserService
from voice.web.access import require_page_role
from voice.web.admin_common import (
    ROLE,
    actor,
    bp,
    built,
    done,
    form_values,
    page,
    problems_of,
    text,
)
from voice.web.admin_errors import AdminFormError
from voice.web.audit_trail import audit

PAGE = "/admin/users"


def _users() -> UserService:
    service = built().user_service
    assert service is not None
    return service


def _show(status: int = 200, problems: list[str] | None = None, failed: str | None = None,
          new_key: tuple[str, str] | None = None) -> tuple[str, int]:
    return page("admin_users.html", status, users=_users().list(), roles=ROLES,
                me=actor(), problems=problems or [],
                form=form_values() if problems else {}, failed=failed, new_key=new_key)


def _is_agent(username: str) -> bool:
    acd = built().acd
    assert acd is not None
    try:
        acd.agents.get(username)
    except AgentNotFoundError:
        return False
    return True


def _not_me(username: str, what: str) -> None:
    if username == actor():
        raise AdminFormError(f"you cannot {what} yourself; ask another admin to do it")


@bp.get("/users")
@require_page_role(ROLE)
def users_page() -> tuple[str, int]:
    """Every staff user with role, status and whether they have an API key."""
    return _show()


@bp.post("/users")
@require_page_role(ROLE)
def add_user() -> Response | tuple[str, int]:
    """Add a staff user with a role and password."""
    username, role = text("username"), text("role")
    try:
        if role == "agent":
            raise AdminFormError("agents are added on the Agents page (they need queues "
                                 "and skills too)")
        user = _users().add(username, role, request.form.get("password", ""))
    except UserError as exc:
        return _show(422, problems_of(exc), "new")
    except AdminFormError as exc:
        return _show(exc.status, exc.problems, "new")
    audit("user.add", "user", user.username, f"Added user {user.username} ({user.role})",
          {"role": user.role, "password_set": True})
    return done(f"Added {user.username} ({user.role}).", PAGE)


@bp.post("/users/<username>/role")
@require_page_role(ROLE)
def change_role(username: str) -> Response | tuple[str, int]:
    """Give a user another role."""
    role = text("role")
    try:
        _not_me(username, "change the role of")
        before = _users().get(username).role
        if role == "agent" or _is_agent(username):
            raise AdminFormError(f"'{username}': agents get and lose the agent role on the "
                                 "Agents page; add a separate user for other roles")
        _users().set_role(username, role)
    except UserError as exc:
        return _show(422, problems_of(exc), username)
    except AdminFormError as exc:
        return _show(exc.status, exc.problems, username)
    if before == role:
        return done(f"{username} already has the role {role}.", PAGE)
    audit("user.role", "user", username, f"Changed the role of {username}: {before} → {role}",
          {"role": [before, role]})
    return done(f"{username} is now {role}.", PAGE)


@bp.post("/users/<username>/password")
@require_page_role(ROLE)
def reset_password(username: str) -> Response | tuple[str, int]:
    """Give a user a new password; their signed-in sessions end."""
    try:
        _users().passwd(username, request.form.get("password", ""))
    except UserError as exc:
        return _show(422, problems_of(exc), username)
    audit("user.passwd", "user", username, f"Reset the password of {username}",
          {"password_changed": True})
    return done(f"Set a new password for {username}; their open sessions have ended.", PAGE)


def _set_disabled(username: str, disabled: bool) -> Response | tuple[str, int]:
    verb = "disable" if disabled else "enable"
    try:
        _not_me(username, verb)
        acd = built().acd
        if acd is not None and _is_agent(username):
            acd.agents.set_disabled(username, disabled)  # offline too, after a call
        else:
            _users().set_disabled(username, disabled)
    except UserError as exc:
        return _show(404, [str(exc)], username)
    except AdminFormError as exc:
        return _show(exc.status, exc.problems, username)
    audit(f"user.{verb}", "user", username, f"{verb.capitalize()}d user {username}")
    return done(f"{verb.capitalize()}d {username}.", PAGE)


@bp.post("/users/<username>/disable")
@require_page_role(ROLE)
def disable_user(username: str) -> Response | tuple[str, int]:
    """Stop a user's password, sessions and API key from working."""
    return _set_disabled(username, True)


@bp.post("/users/<username>/enable")
@require_page_role(ROLE)
def enable_user(username: str) -> Response | tuple[str, int]:
    """Let a disabled user sign in again."""
    return _set_disabled(username, False)


@bp.post("/users/<username>/api-key")
@require_page_role(ROLE)
def create_api_key(username: str) -> Response | tuple[str, int]:
    """Make a new API key (replacing the old one) and show it this once."""
    try:
        key = _users().new_api_key(username)
    except UserError as exc:
        return _show(404, [str(exc)], username)
    audit("user.api_key", "user", username, f"Made a new API key for {username}",
          {"api_key_replaced": True})
    return _show(200, new_key=(username, key))


@bp.post("/users/<username>/api-key/revoke")
@require_page_role(ROLE)
def revoke_api_key(username: str) -> Response | tuple[str, int]:
    """Remove a user's API key."""
    try:
        had_key = _users().get(username).has_api_key
        _users().revoke_api_key(username)
    except UserError as exc:
        return _show(404, [str(exc)], username)
    if not had_key:
        return done(f"{username} had no API key.", PAGE)
    audit("user.api_key_revoke", "user", username, f"Revoked the API key of {username}")
    return done(f"Revoked the API key of {username}; it stops working now.", PAGE)
