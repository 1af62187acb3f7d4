"""What the admin flow pages and the editor's API share: the flow list and an editor's state.

Owns building :class:`~voice.flows.editing.FlowEditor` and
:class:`~voice.flows.drafts.DraftStore` over the app's services, the rows of the flow list
(published flows, drafts and flow files not published yet), which text the editor opens
(the draft if there is one, else the live version, else the file, else a starter flow) and
the JSON of problems and versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from voice.flows.drafts import DraftInfo, DraftStore
from voice.flows.editing import FlowEditor, flow_path
from voice.flows.errors import FlowFileError
from voice.flows.repository import FlowVersionInfo
from voice.flows.sources import display_path, flow_files
from voice.ivr.errors import Problem
from voice.web import services

STARTER = """\
# {flow_id}: a new flow. Publishing writes it to {file}.
id: {flow_id}
name: {flow_id}
start: welcome
numbers: []
nodes:
  welcome:
    type: say
    text: "Thanks for calling."
    next: bye

  bye:
    type: hangup
    text: "Goodbye."
"""


def flow_editor() -> FlowEditor:
    """The flow editor over this app's catalog."""
    return FlowEditor(services().flow_catalog)


def draft_store() -> DraftStore:
    """The drafts table of this app's database."""
    built = services()
    return DraftStore(built.session_factory, built.clock)


@dataclass(frozen=True)
class EditorState:
    """What the editor opens: ``text`` and where it came from (draft, live, file, new)."""

    flow_id: str
    text: str
    source: str
    base_version: int | None
    draft: DraftInfo | None
    live: FlowVersionInfo | None
    file: str
    file_differs: bool
    versions: list[FlowVersionInfo]


def editor_state(flow_id: str, *, new: bool = False) -> EditorState | None:
    """The editor's starting point for ``flow_id``; None when nothing knows the flow (and
    ``new`` is not asked)."""
    editor = flow_editor()
    versions = editor.catalog.repository.versions(flow_id)
    live = versions[-1] if versions else None
    draft = draft_store().get(flow_id)
    on_disk = editor.file_text(flow_id)
    file = display_path(flow_path(editor.flows_dir, flow_id))
    if draft is not None:
        text, source, base = draft.content, "draft", draft.base_version
    elif live is not None:
        text, source, base = live.content, "live", live.version
    elif on_disk is not None:
        text, source, base = on_disk, "file", None
    elif new:
        text, source, base = STARTER.format(flow_id=flow_id, file=file), "new", None
    else:
        return None
    differs = live is not None and on_disk is not None and on_disk != live.content
    return EditorState(flow_id, text, source, base, draft, live, file, differs, versions)


def flow_rows() -> list[dict[str, Any]]:
    """The flow list: every published flow, draft and flow file, by id."""
    editor = flow_editor()
    current = {v.flow_id: v for v in editor.catalog.repository.list_current()}
    drafts = {d.flow_id: d for d in draft_store().list()}
    files = {p.stem: p for p in flow_files(editor.flows_dir)}
    rows = []
    for flow_id in sorted(set(current) | set(drafts) | set(files)):
        live, draft, path = current.get(flow_id), drafts.get(flow_id), files.get(flow_id)
        name, numbers = (live.name, live.numbers) if live else _file_summary(path)
        changes: list[tuple[datetime, str, str]] = []
        if live is not None:
            changes.append((live.published_at, live.published_by,
                            f"published version {live.version}"))
        if draft is not None:
            changes.append((draft.saved_at, draft.saved_by, "saved a draft"))
        last = max(changes, default=None)
        rows.append({
            "id": flow_id, "name": name, "numbers": numbers,
            "version": live.version if live else None,
            "published_at": live.published_at if live else None,
            "published_by": live.published_by if live else None,
            "draft": draft, "last_at": last[0] if last else None,
            "last_by": last[1] if last else None, "last_what": last[2] if last else None,
            "file": display_path(path) if path else None,
            "file_status": _file_status(editor, flow_id, live, path),
        })
    return rows


def _file_summary(path: Path | None) -> tuple[str, list[str]]:
    """Name and numbers of a flow file never published (best effort: it may be invalid)."""
    if path is None:
        return "", []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return "", []
    if not isinstance(data, dict):
        return "", []
    numbers = data.get("numbers")
    return str(data.get("name") or ""), [str(n) for n in numbers] \
        if isinstance(numbers, list) else []


def _file_status(editor: FlowEditor, flow_id: str, live: FlowVersionInfo | None,
                 path: Path | None) -> str:
    if path is None:
        return "no file"
    if live is None:
        return "not published"
    try:
        same = editor.file_text(flow_id) == live.content
    except FlowFileError:
        return "file unreadable"
    return "file matches live" if same else "file differs from live"


def problem_json(problem: Problem) -> dict[str, Any]:
    """One problem for the editor: where, and the CLI's one-line text."""
    return {"file": problem.file, "line": problem.line, "node": problem.node,
            "field": problem.field, "message": problem.message, "text": str(problem)}


def version_json(info: FlowVersionInfo, live: bool) -> dict[str, Any]:
    """One published version for the version list."""
    return {"version": info.version, "sha256": info.sha256, "name": info.name,
            "published_at": info.published_at.isoformat(), "published_by": info.published_by,
            "note": info.note, "live": live}
