"""QA evaluations on the web: ``/qa/evaluations`` (recent scores and rollups), the CSV, and
the JSON API the call page's evaluation panel uses.

Page and CSV (``GET /qa/evaluations[.csv]?from=YYYY-MM-DD&to=YYYY-MM-DD&scorecard=<id>``):
evaluations made in the range (default: the last 30 days, UTC), rolled up per agent and
per queue (:mod:`voice.evaluations.rollups`). API (JSON errors as ``voice.web.errors``):

- ``GET /api/scorecards`` active scorecards with their current questions (``?all=1``
  inactive too); ``GET /api/scorecards/<id>[?version=N]``;
- ``GET /api/calls/<call-id>/evaluations`` a call's evaluations, each with its version's
  sections and whether the caller may change it; ``POST`` the same path with
  ``{scorecard_id, answers: {key: "yes"|"no"|n|"na"}, comments: [{at_seconds, text}]}``
  creates one (201; 409 ``evaluation-exists`` when this user already scored the call with
  that scorecard);
- ``GET``/``PUT /api/evaluations/<id>`` reads or replaces answers and comments (QA their
  own, supervisors and admins any);
- ``GET /api/evaluations`` (the newest in a range, ``limit`` up to 500) and
  ``GET /api/evaluations/rollups``.

QA, supervisors and admins may use all of it; agents get 403.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue

from voice.evaluations import errors
from voice.evaluations.export import export_csv
from voice.evaluations.periods import DateRange, date_range
from voice.evaluations.rollups import rollups
from voice.evaluations.store import EvaluationStore, EvaluationView
from voice.web import services
from voice.web.access import current_user, require_page_role, require_role
from voice.web.errors import ApiError

bp = Blueprint("qa_evaluations", __name__)
ROLES = ("qa", "supervisor", "admin")
#: roles that may change evaluations other users made
REVIEWERS = ("supervisor", "admin")
MAX_LIMIT = 500

#: evaluation errors -> (HTTP status, error_id)
API_ERRORS: dict[type[errors.EvaluationError], tuple[int, str]] = {
    errors.InvalidEvaluationError: (422, "invalid-evaluation"),
    errors.ScorecardNotFoundError: (404, "scorecard-not-found"),
    errors.InactiveScorecardError: (409, "scorecard-inactive"),
    errors.EvaluationNotFoundError: (404, "evaluation-not-found"),
    errors.CallToEvaluateNotFoundError: (404, "call-not-found"),
    errors.EvaluationExistsError: (409, "evaluation-exists"),
    errors.NotYourEvaluationError: (403, "not-your-evaluation"),
    errors.InvalidDateRangeError: (400, "invalid-date-range"),
}


class EvaluationApiError(ApiError):
    """An evaluation error answered as JSON with the status and id of :data:`API_ERRORS`."""

    def __init__(self, exc: errors.EvaluationError) -> None:
        details: dict[str, Any] = {}
        for name in ("problems", "evaluation_id", "call_id", "scorecard_id"):
            if hasattr(exc, name):
                details[name] = getattr(exc, name)
        super().__init__(str(exc), **details)
        self.status, self.error_id = API_ERRORS.get(type(exc), (400, "bad-request"))


@contextmanager
def as_api_errors() -> Iterator[None]:
    """Turn evaluation errors raised inside into JSON API errors."""
    try:
        yield
    except errors.EvaluationError as exc:
        raise EvaluationApiError(exc) from None


def store() -> EvaluationStore:
    """The process's evaluation store."""
    built = services().evaluations
    assert built is not None  # build_services always sets it
    return built


def requested_range() -> DateRange:
    """``?from=&to=`` as a range (defaults in :func:`voice.evaluations.periods.date_range`)."""
    return date_range(request.args.get("from") or None, request.args.get("to") or None,
                      services().clock().date())


def requested_scorecard() -> int | None:
    """``?scorecard=<id>`` (empty or missing: every scorecard)."""
    value = (request.args.get("scorecard") or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise errors.ScorecardNotFoundError(value)
    return int(value)


def may_change(evaluation: EvaluationView) -> bool:
    """True when the current user may change ``evaluation``."""
    user = current_user()
    return evaluation.evaluator == user.username or user.role in REVIEWERS


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise EvaluationApiError(errors.InvalidEvaluationError(
            ["send a JSON object with scorecard_id, answers and comments"]))
    return body


# --- pages -----------------------------------------------------------------------------------


@bp.get("/qa/evaluations")
@require_page_role(*ROLES)
def evaluations_page() -> ResponseReturnValue:
    """Recent evaluations and rollups per agent and per queue in a date range."""
    cards = store().list_scorecards()
    try:
        period, scorecard = requested_range(), requested_scorecard()
    except errors.EvaluationError as exc:
        today = services().clock().date()
        return render_template("qa_evaluations.html", problem=str(exc), cards=cards,
                               period=date_range(None, None, today), scorecard=None,
                               recent=[], summary=None, args=request.args), 400
    with services().session_factory() as session:
        summary = rollups(session, period, scorecard)
    return render_template("qa_evaluations.html", problem=None, cards=cards, period=period,
                           scorecard=scorecard, summary=summary, args=request.args,
                           recent=store().recent(period, scorecard_id=scorecard))


@bp.get("/qa/evaluations.csv")
@require_page_role(*ROLES)
def evaluations_csv() -> ResponseReturnValue:
    """The evaluations of the range as CSV (columns: :mod:`voice.evaluations.export`)."""
    with as_api_errors():
        period, scorecard = requested_range(), requested_scorecard()
    name = f"evaluations-{period.first}-to-{period.last}.csv"
    return Response(stream_with_context(export_csv(services().session_factory, period,
                                                   scorecard)),
                    mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- JSON API --------------------------------------------------------------------------------


@bp.get("/api/scorecards")
@require_role(*ROLES)
def list_scorecards() -> Response:
    """Active scorecards with their current questions (``?all=1``: inactive ones too)."""
    everything = request.args.get("all") == "1"
    return jsonify([c.to_dict() for c in store().list_scorecards(active_only=not everything)])


@bp.get("/api/scorecards/<int:scorecard_id>")
@require_role(*ROLES)
def get_scorecard(scorecard_id: int) -> Response:
    """One scorecard with the questions of ``?version=`` (default: the current one)."""
    version = request.args.get("version", type=int)
    with as_api_errors():
        return jsonify(store().get_scorecard(scorecard_id, version).to_dict())


@bp.get("/api/calls/<path:call_id>/evaluations")
@require_role(*ROLES)
def call_evaluations(call_id: str) -> Response:
    """A call's evaluations with their versions' sections and ``editable``."""
    found = []
    for evaluation in store().evaluations_of_call(call_id):
        with as_api_errors():
            card = store().get_scorecard(evaluation.scorecard_id, evaluation.scorecard_version)
        found.append({**evaluation.to_dict(), "editable": may_change(evaluation),
                      "sections": [s.to_dict() for s in card.sections]})
    return jsonify({"call_id": call_id, "me": current_user().username, "evaluations": found})


@bp.post("/api/calls/<path:call_id>/evaluations")
@require_role(*ROLES)
def create_evaluation(call_id: str) -> ResponseReturnValue:
    """Score a call with a scorecard's current version (201 with the evaluation)."""
    body = _body()
    with as_api_errors():
        scorecard_id = body.get("scorecard_id")
        if not isinstance(scorecard_id, int) or isinstance(scorecard_id, bool):
            raise errors.InvalidEvaluationError(["send scorecard_id, the id of a scorecard "
                                                 "(GET /api/scorecards lists them)"])
        made = store().create_evaluation(call_id, scorecard_id, answers=body.get("answers"),
                                         comments=body.get("comments"),
                                         evaluator=current_user().username)
    return jsonify({**made.to_dict(), "editable": True}), 201


@bp.get("/api/evaluations/<int:evaluation_id>")
@require_role(*ROLES)
def get_evaluation(evaluation_id: int) -> Response:
    """One evaluation."""
    with as_api_errors():
        found = store().get_evaluation(evaluation_id)
    return jsonify({**found.to_dict(), "editable": may_change(found)})


@bp.put("/api/evaluations/<int:evaluation_id>")
@require_role(*ROLES)
def update_evaluation(evaluation_id: int) -> Response:
    """Replace an evaluation's answers and comments (scored with its own version)."""
    body = _body()
    user = current_user()
    with as_api_errors():
        changed = store().update_evaluation(
            evaluation_id, answers=body.get("answers"), comments=body.get("comments"),
            actor=user.username, may_change_others=user.role in REVIEWERS)
    return jsonify({**changed.to_dict(), "editable": True})


@bp.get("/api/evaluations")
@require_role(*ROLES)
def list_evaluations() -> Response:
    """The newest evaluations made in ``?from=&to=`` (``?scorecard=``, ``?limit=``)."""
    limit = max(1, min(request.args.get("limit", 50, type=int) or 50, MAX_LIMIT))
    with as_api_errors():
        period, scorecard = requested_range(), requested_scorecard()
    found = store().recent(period, scorecard_id=scorecard, limit=limit)
    return jsonify({**period.query(), "evaluations": [e.to_dict() for e in found]})


@bp.get("/api/evaluations/rollups")
@require_role(*ROLES)
def evaluation_rollups() -> Response:
    """Count, average, min and max per agent and per queue in ``?from=&to=``."""
    with as_api_errors():
        period, scorecard = requested_range(), requested_scorecard()
    with services().session_factory() as session:
        return jsonify(rollups(session, period, scorecard).to_dict())
