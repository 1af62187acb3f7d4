"""What the admin configuration pages share: their blueprint, role, form reading and answers.

Every admin page is server-rendered and changes things only through POSTed forms that carry
the session's CSRF token (checked by :func:`voice.web.access.require_page_role`). A change
that worked is answered with a redirect back to the page (303, so a reload does not post
again) and a one-line notice; a refused form shows the page again with status 422 (409 for
a conflict), the problems listed and nothing changed. Secrets made by a change (a webhook's
signing secret, an API key) are shown in that one answer only, never in the notice cookie.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request

from voice.compose import Services
from voice.web import services
from voice.web.access import current_user

bp = Blueprint("admin_config", __name__, url_prefix="/admin")
ROLE = "admin"


def built() -> Services:
    """The process's services (every admin service is set by ``build_services``)."""
    return services()


def actor() -> str:
    """The signed-in admin's username."""
    return current_user().username


def text(name: str, default: str = "") -> str:
    """The form field ``name`` stripped ('' when missing)."""
    value = request.form.get(name, default)
    return value.strip() if isinstance(value, str) else default


def listed(name: str) -> list[str]:
    """A comma- or line-separated form field as a list of names."""
    return [part.strip() for part in text(name).replace("\n", ",").split(",") if part.strip()]


def number(name: str, label: str, problems: list[str], *, optional: bool = False
           ) -> int | None:
    """The whole number in field ``name``; a problem naming ``label`` when it is not one
    (empty is None when ``optional``)."""
    raw = text(name)
    if not raw:
        if not optional:
            problems.append(f"{label}: give a whole number of seconds")
        return None
    try:
        return int(raw)
    except ValueError:
        problems.append(f"{label}: '{raw}' is not a whole number")
        return None


def problems_of(exc: Exception) -> list[str]:
    """What a refused change shows: the error's ``problems`` if it lists them, else its
    message."""
    return list(getattr(exc, "problems", None) or [str(exc)])


def done(message: str, target: str) -> Response:
    """A change worked: a notice on the next page and a 303 back to ``target``."""
    flash(message)
    return redirect(target, code=303)


def page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """Render an admin page (``problems`` and ``form`` default to none)."""
    context.setdefault("problems", [])
    context.setdefault("form", {})
    return render_template(template, **context), status


def form_values() -> Mapping[str, str]:
    """What was typed in the form, to show it again after a refusal (never secrets)."""
    hidden = ("csrf_token", "password", "secret", "pin")
    return {key: value for key, value in request.form.items()
            if not any(word in key for word in hidden)}
