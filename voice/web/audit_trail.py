"""Recording a change made through the web or the API in the audit log.

:func:`audit` is what views call after (or, with ``session``, inside the transaction of) a
change: the actor is the signed-in user (``flask.g.user``, set by
:func:`voice.web.access.require_role`), the door ``web`` for the pages' session cookie and
``api`` for an API key or HTTP Basic (``flask.g.auth_method``, set by
:func:`voice.web.access.authenticate`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import g
from sqlalchemy.orm import Session

from voice.web import services


def audit(action: str, entity_type: str, entity_id: str, summary: str,
          details: Mapping[str, Any] | None = None, session: Session | None = None) -> None:
    """Log ``action`` on ``entity_type``/``entity_id`` by the current user."""
    log = services().audit
    if log is None:
        return
    user = g.get("user")
    log.record(actor=user.username if user else "anonymous",
               actor_role=user.role if user else None,
               via="web" if g.get("auth_method") == "session" else "api",
               action=action, entity_type=entity_type, entity_id=entity_id,
               summary=summary, details=details, session=session)
