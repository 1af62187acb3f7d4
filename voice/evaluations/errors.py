"""Errors of QA evaluations; each message says what to fix."""

from __future__ import annotations

from collections.abc import Iterable

from voice.errors import VoiceError


class EvaluationError(VoiceError):
    """Base class of the evaluation package's errors."""


class InvalidScorecardError(EvaluationError):
    """A scorecard definition that cannot be saved; ``problems`` lists every problem."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("the scorecard cannot be saved: " + "; ".join(self.problems))


class ScorecardNotFoundError(EvaluationError):
    """No scorecard (or scorecard version) with that id."""

    def __init__(self, scorecard_id: object, version: int | None = None) -> None:
        what = f"scorecard {scorecard_id}" + (f" version {version}" if version else "")
        super().__init__(f"{what} does not exist; see /admin/scorecards or GET /api/scorecards "
                         "for the scorecards there are")
        self.scorecard_id = scorecard_id


class InactiveScorecardError(EvaluationError):
    """New evaluations cannot use a scorecard an admin switched off."""

    def __init__(self, name: str) -> None:
        super().__init__(f"scorecard '{name}' is inactive; pick an active one, or ask an admin "
                         "to activate it at /admin/scorecards")


class InvalidEvaluationError(EvaluationError):
    """Answers or comments that do not fit the scorecard; ``problems`` lists every one."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("the evaluation cannot be saved: " + "; ".join(self.problems))


class EvaluationNotFoundError(EvaluationError):
    """No evaluation with that id."""

    def __init__(self, evaluation_id: int) -> None:
        super().__init__(f"evaluation {evaluation_id} does not exist; list a call's "
                         "evaluations with GET /api/calls/<call-id>/evaluations")
        self.evaluation_id = evaluation_id


class CallToEvaluateNotFoundError(EvaluationError):
    """The call to score is not in the call log."""

    def __init__(self, call_id: str) -> None:
        super().__init__(f"call '{call_id}' is not in the call log; check the call id "
                         "(the recordings page lists calls)")
        self.call_id = call_id


class EvaluationExistsError(EvaluationError):
    """The evaluator already scored this call with this scorecard: update that one."""

    def __init__(self, evaluation_id: int, evaluator: str) -> None:
        super().__init__(f"{evaluator} already scored this call with this scorecard "
                         f"(evaluation {evaluation_id}); update it with PUT "
                         f"/api/evaluations/{evaluation_id} instead of creating another")
        self.evaluation_id = evaluation_id


class NotYourEvaluationError(EvaluationError):
    """QA may change only their own evaluations (supervisors and admins any)."""

    def __init__(self, evaluation_id: int, evaluator: str) -> None:
        super().__init__(f"evaluation {evaluation_id} belongs to {evaluator}; QA users may "
                         "change only their own evaluations (ask a supervisor or admin)")
        self.evaluation_id = evaluation_id


class InvalidDateRangeError(EvaluationError):
    """A date range that cannot be read or is backwards."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
