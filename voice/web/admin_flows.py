"""Admin flow pages: ``GET /admin/flows`` (the list) and ``GET /admin/flows/<id>`` (the editor).

Owns the HTML (``templates/admin_flows.html``, ``templates/admin_flow_editor.html`` with
``static/flow_editor.js`` and ``static/flow_simulator.js``); the editor's actions go through
the JSON API of :mod:`voice.web.api_flow_editor`. Admins only: other roles get the 403 page,
visitors the sign-in form. The editor opens the draft if there is one, else the live
version, else the flow file (a flow never published), and ``/admin/flows/new?id=x`` starts a
new flow from a small starter text.
"""

from __future__ import annotations

from datetime import UTC

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from voice.flows.editing import check_flow_id
from voice.flows.errors import InvalidFlowIdError
from voice.flows.layout import layout_flow
from voice.flows.replay import demo_directory
from voice.flows.simulator import DEFAULT_FROM
from voice.web import services
from voice.web.access import require_page_role
from voice.web.flow_workspace import (
    editor_state,
    flow_editor,
    flow_rows,
    problem_json,
    version_json,
)
from voice.web.sessions import error_page
from voice.web.vendor import CODEMIRROR_SCRIPTS, CODEMIRROR_STYLES

bp = Blueprint("admin_flows", __name__)


@bp.get("/admin/flows")
@require_page_role("admin")
def flow_list() -> ResponseReturnValue:
    """Every flow: id, name, numbers, live version, last change and by whom, file status."""
    error = None
    wanted = request.args.get("id")
    if wanted is not None:
        try:
            check_flow_id(wanted.strip())
        except InvalidFlowIdError as exc:
            error = str(exc)
    return render_template("admin_flows.html", rows=flow_rows(), error=error,
                           flows_dir=flow_editor().flows_dir)


@bp.get("/admin/flows/new")
@require_page_role("admin")
def new_flow() -> ResponseReturnValue:
    """Start a new flow named ``?id=``: its editor with a starter text (nothing is saved)."""
    flow_id = (request.args.get("id") or "").strip()
    try:
        check_flow_id(flow_id)
    except InvalidFlowIdError:
        return redirect(url_for("admin_flows.flow_list", id=flow_id), code=303)
    return redirect(url_for("admin_flows.flow_page", flow_id=flow_id, new=1), code=303)


@bp.get("/admin/flows/<flow_id>")
@require_page_role("admin")
def flow_page(flow_id: str) -> ResponseReturnValue:
    """The editor: YAML with lint markers, problems, graph, simulate panel, versions, diff."""
    try:
        check_flow_id(flow_id)
    except InvalidFlowIdError as exc:
        return error_page(404, "No such flow", str(exc))
    state = editor_state(flow_id, new=request.args.get("new") == "1")
    if state is None:
        return error_page(404, "No such flow", f"There is no flow '{flow_id}': it was never "
                          "published, has no draft and no file in the flows folder. Start "
                          "it from the flow list with 'New flow'.")
    checked = flow_editor().check(flow_id, state.text)
    graph = layout_flow(checked.flow).to_json() if checked.flow else None
    live_version = state.live.version if state.live else None
    editor = {
        "flow_id": flow_id, "source": state.source, "base_version": state.base_version,
        "revision": state.draft.revision if state.draft else None,
        "live_version": live_version, "file": state.file,
        "api": url_for("api_flow_editor.check", flow_id=flow_id).rsplit("/", 1)[0],
        "problems": [problem_json(p) for p in checked.problems],
        "elsewhere": checked.elsewhere, "graph": graph,
        "versions": [version_json(v, v.version == live_version) for v in state.versions],
        "has_draft": state.draft is not None,
    }
    customers = [{"account": c.account, "name": f"{c.first_name} {c.last_name}",
                  "phone": c.phones[0] if c.phones else ""}
                 for c in demo_directory().customers]
    now = services().clock().astimezone(UTC)
    return render_template(
        "admin_flow_editor.html", state=state, editor=editor, checked=checked, graph=graph,
        customers=customers, default_from=DEFAULT_FROM,
        sim_at=now.replace(microsecond=0).isoformat(),
        codemirror_scripts=CODEMIRROR_SCRIPTS, codemirror_styles=CODEMIRROR_STYLES)
