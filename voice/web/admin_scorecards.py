"""Admins define QA scorecards: ``/admin/scorecards`` (list), ``/new`` and ``/<id>`` (edit).

The form needs no code and no JavaScript: a scorecard's name, description and active flag,
then its sections, each with question rows (text, kind yes/no or scale, scale ends, weight,
N/A allowed). "Add a question" and "Add a section" show the form again with one more empty
row (nothing is saved); on save, rows whose text is empty or whose Remove box is ticked are
left out. Each question row carries its key in a hidden field, so a question keeps its key
(and its CSV column) across versions. Saving questions that evaluations already use makes a
new version (:mod:`voice.evaluations.store`); every save is in the audit log. Admins only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from voice.evaluations.errors import InvalidScorecardError, ScorecardNotFoundError
from voice.evaluations.scorecards import KIND_LABELS, Section
from voice.evaluations.store import ScorecardView
from voice.web.access import require_page_role
from voice.web.admin_common import actor, done
from voice.web.audit_trail import audit
from voice.web.qa_evaluations import store
from voice.web.sessions import error_page

bp = Blueprint("admin_scorecards", __name__, url_prefix="/admin/scorecards")
SECTION_FIELD = re.compile(r"^s(\d{1,3})-(title|remove)$")
QUESTION_FIELD = re.compile(r"^s(\d{1,3})-q(\d{1,3})-(key|text|kind|min|max|weight|na|remove)$")
NEW_ROWS = 2


def blank_question() -> dict[str, Any]:
    """An empty question row with the usual defaults (yes/no, weight 1, scale 1-5)."""
    return {"key": "", "text": "", "kind": "yes_no", "min": "1", "max": "5", "weight": "1",
            "allow_na": False, "remove": False}


def blank_section() -> dict[str, Any]:
    """An empty section with :data:`NEW_ROWS` empty question rows."""
    return {"title": "", "remove": False, "questions": [blank_question()
                                                        for _ in range(NEW_ROWS)]}


def draft_of(sections: tuple[Section, ...]) -> list[dict[str, Any]]:
    """The form rows of stored sections."""
    return [{"title": s.title, "remove": False, "questions": [
        {"key": q.key, "text": q.text, "kind": q.kind,
         "min": "" if q.min is None else str(q.min), "max": "" if q.max is None else str(q.max),
         "weight": f"{q.weight:g}", "allow_na": q.allow_na, "remove": False}
        for q in s.questions]} for s in sections]


def draft_from_form(form: MultiDict[str, str]) -> list[dict[str, Any]]:
    """The section and question rows as posted, in the order of their indexes."""
    sections: dict[int, dict[str, Any]] = {}
    questions: dict[tuple[int, int], dict[str, Any]] = {}
    for name, value in form.items():
        if found := SECTION_FIELD.match(name):
            section = sections.setdefault(int(found.group(1)), blank_section() | {
                "questions": []})
            section[found.group(2)] = value.strip() if found.group(2) == "title" else True
        elif found := QUESTION_FIELD.match(name):
            index = (int(found.group(1)), int(found.group(2)))
            sections.setdefault(index[0], blank_section() | {"questions": []})
            row = questions.setdefault(index, blank_question())
            field = {"na": "allow_na"}.get(found.group(3), found.group(3))
            row[field] = True if field in ("allow_na", "remove") else value.strip()
    for (s_index, _), row in sorted(questions.items()):
        sections[s_index]["questions"].append(row)
    return [sections[i] for i in sorted(sections)]


def definition(draft: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What to save: removed and empty rows left out (an untitled section without questions
    too), the rest as :func:`voice.evaluations.scorecards.parse_sections` reads it."""
    kept = []
    for section in draft:
        if section.get("remove"):
            continue
        questions = [{k: v for k, v in q.items() if k != "remove"}
                     for q in section["questions"] if not q.get("remove") and q["text"]]
        for question in questions:
            if question["kind"] != "scale":
                question.pop("min"), question.pop("max")
            question["key"] = question["key"] or None
        if section["title"] or questions:
            kept.append({"title": section["title"], "questions": questions})
    return kept


def _render(draft: list[dict[str, Any]], fields: Mapping[str, Any],
            card: ScorecardView | None, problems: list[str] | None = None,
            status: int = 200) -> ResponseReturnValue:
    return render_template("admin_scorecards_form.html", draft=draft, fields=fields, card=card,
                           problems=problems or [], kinds=KIND_LABELS), status


def _posted_fields() -> dict[str, Any]:
    return {"name": request.form.get("name", "").strip(),
            "description": request.form.get("description", "").strip(),
            "active": request.form.get("active") == "on"}


def _grow(draft: list[dict[str, Any]], action: str) -> bool:
    """Add the empty row ``action`` asks for; False when it asks for none."""
    if action == "add-section":
        draft.append(blank_section())
        return True
    if found := re.fullmatch(r"add-question:(\d{1,3})", action):
        index = int(found.group(1))
        if index < len(draft):
            draft[index]["questions"].append(blank_question())
            return True
    return False


@bp.get("")
@require_page_role("admin")
def list_page() -> ResponseReturnValue:
    """Every scorecard: status, current version, questions, evaluations."""
    return render_template("admin_scorecards.html", cards=store().list_scorecards())


@bp.route("/new", methods=["GET", "POST"])
@require_page_role("admin")
def new_page() -> ResponseReturnValue:
    """The empty form; on save, the new scorecard (version 1)."""
    if request.method == "GET":
        return _render([blank_section()], {"name": "", "description": "", "active": True},
                       None)
    fields, draft = _posted_fields(), draft_from_form(request.form)
    if _grow(draft, request.form.get("action", "save")):
        return _render(draft, fields, None)
    try:
        card = store().create_scorecard(**fields, sections=definition(draft),
                                        actor=actor())
    except InvalidScorecardError as exc:
        return _render(draft, fields, None, exc.problems, 422)
    questions = sum(len(s.questions) for s in card.sections)
    audit("scorecard.create", "scorecard", str(card.id),
          f"created scorecard '{card.name}' with {questions} questions",
          {"name": card.name, "version": 1, "questions": questions, "active": card.active})
    return done(f"Scorecard '{card.name}' created.", f"/admin/scorecards/{card.id}")


@bp.route("/<int:scorecard_id>", methods=["GET", "POST"])
@require_page_role("admin")
def edit_page(scorecard_id: int) -> ResponseReturnValue:
    """One scorecard's form; saving changed questions that are in use makes a version."""
    try:
        card = store().get_scorecard(scorecard_id)
    except ScorecardNotFoundError as exc:
        return error_page(404, "No such scorecard", str(exc))
    if request.method == "GET":
        return _render(draft_of(card.sections), {"name": card.name, "description":
                       card.description or "", "active": card.active}, card)
    fields, draft = _posted_fields(), draft_from_form(request.form)
    if _grow(draft, request.form.get("action", "save")):
        return _render(draft, fields, card)
    try:
        saved, new_version = store().update_scorecard(
            scorecard_id, **fields, sections=definition(draft), actor=actor())
    except InvalidScorecardError as exc:
        return _render(draft, fields, card, exc.problems, 422)
    questions = sum(len(s.questions) for s in saved.sections)
    what = f"version {saved.version}" + (" (new)" if new_version else "")
    audit("scorecard.update", "scorecard", str(saved.id),
          f"saved scorecard '{saved.name}', {what}",
          {"name": saved.name, "version": saved.version, "new_version": new_version,
           "questions": questions, "active": saved.active})
    return done(f"Scorecard '{saved.name}' saved as {what}."
                + (" Past evaluations keep the version they were scored with." if new_version
                   else ""), f"/admin/scorecards/{saved.id}")
