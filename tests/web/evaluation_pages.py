"""What the evaluation web tests share: staff users, an answered call, and the sample
scorecard of the evaluation tests (``tests/evaluations/scorecard_samples.py``)."""

from __future__ import annotations

from datetime import UTC, datetime

from evaluations.scorecard_samples import add_call
from staff_login import PASSWORD

from voice.compose import Services

STARTED = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)


def add_staff(services: Services) -> None:
    """ada (admin), quinn and vic (qa), sue (supervisor), and ann (agent, queue billing)."""
    users = services.user_service
    assert users is not None and services.acd is not None
    for name, role in (("ada", "admin"), ("quinn", "qa"), ("vic", "qa"), ("sue", "supervisor")):
        users.add(name, role, PASSWORD)
    services.acd.agents.add("ann", PASSWORD, queues=["billing"])


def add_answered_call(services: Services, call_id: str, agent: str = "ann",
                      queue: str = "billing", started_at: datetime = STARTED) -> None:
    """A finished call ``agent`` answered in ``queue``."""
    add_call(services, call_id, agent=agent, queue=queue, started_at=started_at)
