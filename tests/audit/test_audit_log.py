"""The audit log keeps who changed what, newest first, filtered and paged, in the caller's
transaction when asked, and refuses details that would store a secret."""

from __future__ import annotations

import pytest

from voice.audit.errors import SecretInAuditError
from voice.compose import Services


def test_records_are_listed_newest_first_with_filters_and_paging(services: Services) -> None:
    log = services.audit
    assert log is not None
    log.record(actor="ada", actor_role="admin", action="flow.publish", entity_type="flow",
               entity_id="main", summary="Published main v3", details={"version": 3})
    log.record(actor="ada", actor_role="admin", via="api", action="queue.update",
               entity_type="queue", entity_id="billing", summary="billing: wrap-up 30 s")
    log.record(actor="root", via="cli", action="user.add", entity_type="user",
               entity_id="sue", summary="Added sue (supervisor)",
               details={"role": "supervisor", "password_set": True})

    newest = log.entries()
    assert [e.action for e in newest] == ["user.add", "queue.update", "flow.publish"]
    assert newest[2].details == {"version": 3} and newest[2].at.tzinfo is not None
    assert [e.entity_id for e in log.entries(entity_type="flow")] == ["main"]
    assert [e.action for e in log.entries(actor="ada")] == ["queue.update", "flow.publish"]
    older = log.entries(before_id=newest[0].id, limit=1)
    assert [e.action for e in older] == ["queue.update"]


def test_secrets_are_refused(services: Services) -> None:
    log = services.audit
    assert log is not None
    for details in ({"password": "hunter2"}, {"customer": {"pin": "1234"}},
                    {"signing_secret": "whsec_x"}, {"api_key": "k"}):
        with pytest.raises(SecretInAuditError, match="never its value"):
            log.record(actor="ada", action="user.passwd", entity_type="user", entity_id="x",
                       summary="changed", details=details)
    assert log.entries() == []


def test_recorded_inside_the_callers_transaction(services: Services) -> None:
    log = services.audit
    assert log is not None
    with pytest.raises(RuntimeError), services.session_factory.begin() as session:
        log.record(actor="ada", action="queue.add", entity_type="queue",
                   entity_id="rolled-back", summary="added", session=session)
        raise RuntimeError("the change failed")
    assert log.entries() == []
    log.record(actor="ada", action="queue.add", entity_type="queue", entity_id="kept",
               summary="added", session=None)
    assert [e.entity_id for e in log.entries()] == ["kept"]
