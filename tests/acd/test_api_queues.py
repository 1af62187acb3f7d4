"""The queues REST API: admins configure queues, supervisors see their live status."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator

import pytest
from acd_clock import Clock
from flask.testing import FlaskClient

from voice.acd.service import Acd
from voice.app import create_app
from voice.compose import Services


def _basic(name: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{name}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def client(services: Services, clock: Clock) -> Iterator[FlaskClient]:
    """The web app over the test database, on the test's clock."""
    app = create_app(services.settings, clock)
    try:
        yield app.test_client()
    finally:
        app.extensions["voice"].close()


@pytest.fixture
def admin(services: Services) -> dict[str, str]:
    assert services.user_service is not None
    services.user_service.add("root", "admin", "admin-password-1")
    return _basic("root", "admin-password-1")


@pytest.fixture
def supervisor(services: Services) -> dict[str, str]:
    assert services.user_service is not None
    services.user_service.add("sue", "supervisor", "super-password-1")
    return _basic("sue", "super-password-1")


def test_admin_configures_a_queue(client: FlaskClient, admin: dict[str, str],
                                  acd: Acd) -> None:
    reply = client.put("/api/queues/billing", headers=admin,
                       json={"strategy": "round_robin", "ring_timeout": 15, "wrap_up": 45,
                             "skills": ["billing:2"], "max_wait": 600, "overflow": "general"})
    assert reply.status_code == 200, reply.json
    assert reply.json["strategy"] == "round_robin" and reply.json["configured"] is True
    config = acd.queues.get("billing")
    assert (config.ring_timeout, config.wrap_up, config.skills) == (15, 45, ["billing:2"])
    patched = client.patch("/api/queues/billing", headers=admin, json={"wrap_up": 10})
    assert patched.json["wrap_up"] == 10 and patched.json["strategy"] == "round_robin"
    assert [q["name"] for q in client.get("/api/queues", headers=admin).json] == ["billing"]
    assert client.delete("/api/queues/billing", headers=admin).status_code == 204
    assert client.delete("/api/queues/billing", headers=admin).status_code == 404
    assert acd.queues.get("billing").configured is False


def test_bad_settings_are_refused_with_every_problem(client: FlaskClient,
                                                     admin: dict[str, str]) -> None:
    reply = client.put("/api/queues/billing", headers=admin,
                       json={"strategy": "random", "ring_timeout": 1, "colour": "red"})
    assert reply.status_code == 422
    problems = reply.json["details"]["problems"]
    assert any("strategy 'random' is unknown" in p for p in problems)
    assert any("ring_timeout must be a whole number of seconds 5-300" in p for p in problems)
    assert any("unknown field 'colour'" in p for p in problems)


def test_supervisor_sees_status_but_cannot_change(client: FlaskClient, admin: dict[str, str],
                                                  supervisor: dict[str, str], acd: Acd,
                                                  add_agent: Callable, add_call: Callable,
                                                  clock) -> None:
    add_agent("ann")
    add_agent("bob", available=False)
    add_call("c1")
    clock.advance(5)
    add_call("c2")
    clock.advance(10)
    reply = client.get("/api/queues/support", headers=supervisor)
    assert reply.status_code == 200
    status = reply.json["status"]
    assert status["waiting"] == 1 and status["longest_wait_seconds"] == 10
    assert status["agents"] == {"reserved": 1, "offline": 1}
    assert client.put("/api/queues/support", headers=supervisor,
                      json={"wrap_up": 5}).status_code == 403
    assert client.get("/api/queues/support").status_code == 401


def test_queue_names_are_the_configured_and_the_staffed_ones(acd: Acd) -> None:
    acd.queues.put("billing", {"wrap_up": 30})
    acd.agents.add("ann", "ann-password-1", queues=["support", "billing"])
    assert acd.queues.names() == ["billing", "support"]
    acd.queues.remove("billing")
    assert acd.queues.names() == ["billing", "support"]  # ann still answers billing
