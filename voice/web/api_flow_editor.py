"""The flow editor's JSON API (admins only): check, simulate, draft, publish, diff, rollback.

Under ``/api/admin/flows/<id>``. Every endpoint takes the text being edited, so the editor
checks and simulates what is on screen, not what was saved. Invalid text answers 422
``flow-invalid`` with every problem (``file:line: node 'x': field 'y': message``, the CLI's
lines); a publish or save that would overwrite someone else's work answers 409 and changes
nothing. Publishing writes the flow file as well as the new version (see
:mod:`voice.flows.editing`), so ``voice up`` keeps serving it. Changes are audited as
``flow.draft.save``, ``flow.draft.discard``, ``flow.publish`` and ``flow.rollback``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from voice.flows.diff import FlowDiff, diff_texts
from voice.flows.drafts import DraftInfo
from voice.flows.editing import flow_path
from voice.flows.errors import (
    DraftConflictError,
    FlowChangedError,
    FlowDiffError,
    FlowFileError,
    FlowNotFoundError,
    FlowValidationError,
    InvalidFlowIdError,
    SimulationInputError,
    VersionNotFoundError,
)
from voice.flows.layout import layout_flow
from voice.flows.replay import parse_request, replay
from voice.flows.repository import content_sha256
from voice.flows.sources import display_path
from voice.web.access import current_user, require_role
from voice.web.audit_trail import audit
from voice.web.errors import FlowTextRequiredError, FlowTooLargeError, error_response
from voice.web.flow_workspace import (
    draft_store,
    flow_editor,
    problem_json,
    version_json,
)

bp = Blueprint("api_flow_editor", __name__, url_prefix="/api/admin/flows")
MAX_TEXT = 1_000_000


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _text(body: dict[str, Any]) -> str:
    """The flow text of the request body (else a 400 or 413 JSON error)."""
    text = body.get("text")
    if not isinstance(text, str):
        raise FlowTextRequiredError(request.path)
    if len(text) > MAX_TEXT:
        raise FlowTooLargeError(len(text), MAX_TEXT)
    return text


def _int_or_none(value: Any, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise SimulationInputError(f"'{field}' must be a version number")
    try:
        return int(value)
    except ValueError:
        raise SimulationInputError(f"'{field}' must be a version number, got "
                                   f"'{value}'") from None


def _problems(file: str, problems: list[Any]) -> Response:
    items = [problem_json(p) if not isinstance(p, str) else {"text": p, "line": None}
             for p in problems]
    return error_response(422, "flow-invalid", f"{len(items)} problem(s) in {file}; nothing "
                          "was published and the live version keeps serving",
                          {"file": file, "problems": items})


def _invalid(exc: FlowValidationError) -> Response:
    """422 with the problems the flow service found in the text, with their lines."""
    file = display_path(flow_path(flow_editor().flows_dir, _flow_id()))
    return _problems(file, exc.located)


def _flow_id() -> str:
    return str((request.view_args or {}).get("flow_id", ""))


def _failure(exc: Exception) -> Response:
    """The JSON error for an exception of the flow services (every endpoint's)."""
    flow_id = _flow_id()
    if isinstance(exc, InvalidFlowIdError):
        return error_response(400, "invalid-flow-id", str(exc), {"flow_id": flow_id})
    if isinstance(exc, SimulationInputError):
        return error_response(400, "bad-request", str(exc), {"flow_id": flow_id})
    if isinstance(exc, DraftConflictError):
        return error_response(409, "draft-conflict", str(exc),
                              {"flow_id": flow_id, "revision": exc.revision,
                               "saved_by": exc.saved_by})
    if isinstance(exc, FlowChangedError):
        return error_response(409, "flow-changed", str(exc),
                              {"flow_id": flow_id, "live_version": exc.live_version})
    if isinstance(exc, FlowFileError):
        return error_response(500, "flow-file-not-written", str(exc),
                              {"flow_id": flow_id, "file": exc.path})
    if isinstance(exc, FlowNotFoundError | VersionNotFoundError):
        return error_response(404, "flow-version-not-found", str(exc), {"flow_id": flow_id})
    if isinstance(exc, FlowDiffError):
        return error_response(422, "flow-not-comparable", str(exc), {"flow_id": flow_id})
    raise exc


for _error in (InvalidFlowIdError, SimulationInputError, DraftConflictError, FlowChangedError,
               FlowFileError, FlowNotFoundError, VersionNotFoundError, FlowDiffError):
    bp.register_error_handler(_error, _failure)
bp.register_error_handler(FlowValidationError, _invalid)


def _draft_json(draft: DraftInfo) -> dict[str, Any]:
    return {"revision": draft.revision, "base_version": draft.base_version,
            "saved_at": draft.saved_at.isoformat(), "saved_by": draft.saved_by}


@bp.post("/<flow_id>/check")
@require_role("admin")
def check(flow_id: str) -> Response:
    """Validate the text as it would be published: problems (with lines) and the graph."""
    checked = flow_editor().check(flow_id, _text(_body()))
    return jsonify(file=checked.file, ok=not checked.problems,
                   problems=[problem_json(p) for p in checked.problems],
                   elsewhere=checked.elsewhere,
                   graph=layout_flow(checked.flow).to_json() if checked.flow else None)


@bp.post("/<flow_id>/simulate")
@require_role("admin")
def simulate(flow_id: str) -> Response:
    """Replay the caller's inputs so far through the text; dialogue, path, what it waits for."""
    body = _body()
    return jsonify(replay(flow_editor(), flow_id, _text(body), parse_request(body)))


@bp.put("/<flow_id>/draft")
@require_role("admin")
def save_draft(flow_id: str) -> Response:
    """Save the text as the flow's draft (invalid text too: drafts are work in progress)."""
    body = _body()
    text = _text(body)
    checked = flow_editor().check(flow_id, text)
    draft = draft_store().save(
        flow_id, text, saved_by=current_user().username,
        base_version=_int_or_none(body.get("base_version"), "base_version"),
        expected_revision=_int_or_none(body.get("revision"), "revision"),
        overwrite=body.get("overwrite") is True)
    audit("flow.draft.save", "flow", flow_id,
          f"saved a draft of flow {flow_id} (revision {draft.revision}"
          f"{', with problems' if checked.problems else ''})",
          {"revision": draft.revision, "base_version": draft.base_version,
           "sha256": content_sha256(text), "problems": len(checked.problems)})
    return jsonify(draft=_draft_json(draft), problems=[problem_json(p) for p in checked.problems])


@bp.delete("/<flow_id>/draft")
@require_role("admin")
def discard_draft(flow_id: str) -> Response:
    """Forget the flow's draft (the live version and the file are untouched)."""
    deleted = draft_store().delete(flow_id)
    if deleted:
        audit("flow.draft.discard", "flow", flow_id, f"discarded the draft of flow {flow_id}")
    return jsonify(deleted=deleted)


@bp.post("/<flow_id>/publish")
@require_role("admin")
def publish(flow_id: str) -> Response:
    """Publish the text as the next version (and write the flow file); the draft goes."""
    body = _body()
    text = _text(body)
    editor = flow_editor()
    user = current_user().username
    note = body.get("note") if isinstance(body.get("note"), str) else None
    base = _int_or_none(body.get("base_version"), "base_version")
    outcome = editor.publish(flow_id, text, base_version=base, published_by=user,
                             note=note or "published from the web editor",
                             force=body.get("force") is True)
    draft_store().delete(flow_id)
    info, before = outcome.info, outcome.previous
    if outcome.published:
        changes = _changes(before.content if before else None, text)
        audit("flow.publish", "flow", flow_id,
              f"published flow {flow_id} version {info.version}",
              {"version": info.version, "sha256": info.sha256, "base_version": base,
               "previous_version": before.version if before else None,
               "forced": body.get("force") is True, "nodes": changes})
    return jsonify(published=outcome.published, version=version_json(info, True),
                   file=display_path(flow_path(editor.flows_dir, flow_id)))


@bp.post("/<flow_id>/rollback")
@require_role("admin")
def rollback(flow_id: str) -> Response:
    """Publish an older version's text again as the newest version (file included)."""
    body = _body()
    editor = flow_editor()
    to_version = _int_or_none(body.get("to_version"), "to_version")
    if to_version is None:
        raise SimulationInputError("send {\"to_version\": N}: the version to restore")
    try:
        outcome = editor.rollback(flow_id, to_version, published_by=current_user().username,
                                  force=body.get("force") is True)
    except FlowValidationError as exc:  # the old version no longer loads: name it
        return _problems(f"{flow_id}@v{to_version}", exc.problems)
    info, before = outcome.info, outcome.previous
    audit("flow.rollback", "flow", flow_id,
          f"rolled flow {flow_id} back to version {to_version} (now version {info.version})",
          {"to_version": to_version, "version": info.version, "sha256": info.sha256,
           "previous_version": before.version if before else None})
    return jsonify(version=version_json(info, True), restored=to_version,
                   content=info.content)


@bp.get("/<flow_id>/versions")
@require_role("admin")
def versions(flow_id: str) -> Response:
    """Every published version, oldest first, and the draft if there is one."""
    found = flow_editor().catalog.repository.versions(flow_id)
    draft = draft_store().get(flow_id)
    return jsonify(versions=[version_json(v, v is found[-1]) for v in found],
                   draft=None if draft is None else _draft_json(draft))


@bp.get("/<flow_id>/diff")
@require_role("admin")
def diff(flow_id: str) -> Response:
    """Per-node diff of ``?from=N&to=M`` (either may be ``draft``, the saved draft)."""
    old_label, old_text = _side(flow_id, request.args.get("from", ""))
    new_label, new_text = _side(flow_id, request.args.get("to", ""))
    return jsonify(diff_texts(old_text, new_text, old_label, new_label).to_json())


def _side(flow_id: str, which: str) -> tuple[str, str]:
    """A version's (or the draft's) label and text."""
    if which == "draft":
        draft = draft_store().get(flow_id)
        if draft is None:
            raise FlowNotFoundError(flow_id, "has a saved draft")
        return "draft", draft.content
    version = _int_or_none(which, "from/to")
    if version is None:
        raise SimulationInputError("give ?from=N&to=M: two version numbers (or 'draft')")
    return f"v{version}", flow_editor().catalog.version(flow_id, version).content


def _changes(old_text: str | None, new_text: str) -> dict[str, int] | None:
    """Nodes added, removed and changed by a publish (None for a first version)."""
    if old_text is None:
        return None
    try:
        result: FlowDiff = diff_texts(old_text, new_text)
    except FlowDiffError:
        return None
    return result.counts()
