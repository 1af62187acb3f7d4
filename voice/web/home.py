"""The landing page ``GET /``: what this server is and where to go next.

Owns only the human entry point printed by ``voice up``: a signed-in user sees the pages their
role may open (:mod:`voice.web.navigation`) and, for the roles that may read flows, the
published flows; a visitor sees a link to sign in and nothing about the flows.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from voice import __version__
from voice.web import services
from voice.web.api_flows import READERS
from voice.web.sessions import session_user

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    """The landing page: the user's pages, the health check and, for staff who may read
    them, the published flows."""
    user = session_user()
    readable = user is not None and user.role in READERS
    flows = services().flow_repository.list_current() if readable else None
    return render_template("home.html", version=__version__, flows=flows,
                           flow_admin=user is not None and user.role == "admin")
