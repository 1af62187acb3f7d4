"""AgentService.set_disabled: a disabled agent cannot sign in and goes offline (after the
call in progress); enabling lets them sign in again, still offline."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from voice.acd.errors import AgentNotFoundError
from voice.acd.service import Acd
from voice.compose import Services


def test_disable_puts_the_agent_offline_and_stops_the_login(
        acd: Acd, add_agent: Callable[..., object], services: Services) -> None:
    users = services.user_service
    assert users is not None
    add_agent("ann")
    assert acd.agents.get("ann").state == "available"

    view = acd.agents.set_disabled("ann", True)

    assert view.state == "offline"
    assert users.check_password("ann", "agent-password-1") is None
    assert [u.disabled for u in users.list() if u.username == "ann"] == [True]

    view = acd.agents.set_disabled("ann", False)
    assert view.state == "offline"
    assert users.check_password("ann", "agent-password-1") is not None


def test_disable_during_a_call_waits_for_the_call(acd: Acd,
                                                  add_agent: Callable[..., object]) -> None:
    add_agent("ann")
    acd.distributor.enqueue("c-1", "support", channel="sip", from_number="+15550100")
    assert acd.distributor.activate("c-1")
    assert acd.agents.get("ann").state == "reserved"

    view = acd.agents.set_disabled("ann", True)

    assert view.state == "reserved" and view.after_call == "offline"


def test_unknown_agent(acd: Acd) -> None:
    with pytest.raises(AgentNotFoundError):
        acd.agents.set_disabled("nobody", True)
