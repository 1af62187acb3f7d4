"""The staff pages' navigation: which pages a signed-in user's role may open.

Owns :data:`PAGES` (label, path, roles) and the template global ``nav_links()`` that
``base.html`` renders in the header. A link is shown only when its path is a route of this
app, so a page appears in the menu as soon as its blueprint is registered, and only to the
roles its view lets in (the views check the role themselves; the menu is a convenience, not
the access control).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, current_app, request

from voice.web.sessions import session_user

bp = Blueprint("navigation", __name__)

ADMIN = ("admin",)
STAFF_QA = ("qa", "supervisor", "admin")
SUPERVISION = ("supervisor", "admin")


@dataclass(frozen=True)
class Page:
    """One menu entry: its label, its address, and the roles it is shown to."""

    label: str
    path: str
    roles: tuple[str, ...]


#: every staff page, in menu order
PAGES = (
    Page("Agent desktop", "/agent", ("agent",)),
    Page("Wallboard", "/supervisor", SUPERVISION),
    Page("Reports", "/supervisor/reports", SUPERVISION),
    Page("IVR funnel", "/supervisor/funnel", SUPERVISION),
    Page("Recordings", "/qa/recordings", STAFF_QA),
    Page("Evaluations", "/qa/evaluations", STAFF_QA),
    Page("Flows", "/admin/flows", ADMIN),
    Page("Schedules", "/admin/schedules", ADMIN),
    Page("Queues", "/admin/queues", ADMIN),
    Page("Agents", "/admin/agents", ADMIN),
    Page("Users", "/admin/users", ADMIN),
    Page("Webhooks", "/admin/webhooks", ADMIN),
    Page("Customers", "/admin/customers", ADMIN),
    Page("Scorecards", "/admin/scorecards", ADMIN),
    Page("Audit log", "/admin/audit", ADMIN),
)


def pages_for(role: str) -> list[Page]:
    """The pages ``role`` may open that this app serves, in menu order."""
    served = {rule.rule for rule in current_app.url_map.iter_rules()}
    return [page for page in PAGES if role in page.roles and page.path in served]


def nav_links() -> list[dict[str, object]]:
    """The header menu of the signed-in user: label, href, and whether it is this page (the
    longest matching path wins, so /supervisor/reports is not also the wallboard)."""
    user = session_user()
    if user is None:
        return []
    pages = pages_for(user.role)
    here = request.path
    matching = [page.path for page in pages
                if here == page.path or here.startswith(page.path + "/")]
    current = max(matching, key=len, default=None)
    return [{"label": page.label, "href": page.path, "current": page.path == current}
            for page in pages]


@bp.app_context_processor
def navigation_globals() -> dict[str, object]:
    """Make ``nav_links()`` available to every template."""
    return {"nav_links": nav_links}
