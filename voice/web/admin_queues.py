"""``/admin/queues``: the ACD's queues with live figures and their settings, for admins.

Lists the configured queues and any queue an agent answers (those run on the defaults until
configured), each with callers waiting, the longest wait and agents by state
(:meth:`voice.acd.distributor.Distributor.status`), and forms that add a queue or change one's
strategy, ring timeout, wrap-up, max wait and overflow, service level, skills and
description through :class:`voice.acd.queues.QueueRepository` (the rules of
``queue_problems``). Changes are audited as ``queue.add`` / ``queue.update`` with the fields
that changed.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from voice.acd.errors import InvalidQueueError
from voice.acd.queues import FIELDS
from voice.acd.strategies import STRATEGIES
from voice.audit.log import changed_fields
from voice.web.access import require_page_role
from voice.web.admin_common import ROLE, bp, done, form_values, listed, number, page, text
from voice.web.admin_errors import AdminFormError
from voice.web.api_agents import acd as process_acd
from voice.web.audit_trail import audit

PAGE = "/admin/queues"


def _rows() -> list[dict[str, Any]]:
    acd = process_acd()
    acd.reconciler.settle()
    configs = {q.name: q for q in acd.queues.list()}
    return [{"config": configs.get(name) or acd.queues.get(name),
             "live": acd.distributor.status(name)}
            for name in acd.queues.names()]


def _show(status: int = 200, problems: list[str] | None = None,
          failed: str | None = None) -> tuple[str, int]:
    return page("admin_queues.html", status, queues=_rows(), strategies=STRATEGIES,
                problems=problems or [], form=form_values() if problems else {},
                failed=failed)


def _fields() -> dict[str, Any]:
    """The settings typed in a queue form; AdminFormError lists what is not a number."""
    problems: list[str] = []
    fields: dict[str, Any] = {
        "description": text("description") or None,
        "strategy": text("strategy") or "longest_idle",
        "ring_timeout": number("ring_timeout", "ring timeout", problems),
        "wrap_up": number("wrap_up", "wrap-up", problems),
        "max_wait": number("max_wait", "max wait", problems, optional=True),
        "overflow": text("overflow") or None,
        "service_level": number("service_level", "service level", problems),
        "skills": listed("skills"),
    }
    if fields["overflow"] and fields["max_wait"] is None:
        problems.append("overflow: give a max wait too (callers move to the overflow queue "
                        "after that many seconds)")
    if problems:
        raise AdminFormError(problems)
    return fields


def _save(name: str, *, adding: bool) -> Response | tuple[str, int]:
    acd = process_acd()
    try:
        if not name:
            raise AdminFormError("name: give the queue a name (letters, digits, . _ -)")
        before = acd.queues.get(name)
        if adding and before.configured:
            raise AdminFormError(f"queue '{name}' exists already; change it in its own form")
        after = acd.queues.put(name, _fields(), replace=True)
    except InvalidQueueError as exc:
        return _show(422, exc.problems, "new" if adding else name)
    except AdminFormError as exc:
        return _show(exc.status, exc.problems, "new" if adding else name)
    changes = changed_fields(before.to_dict(), after.to_dict(), FIELDS)
    if not before.configured:
        audit("queue.add", "queue", name, f"Added queue {name} ({after.strategy})",
              {"settings": after.to_dict()})
        return done(f"Added queue {name}.", PAGE)
    if changes:
        audit("queue.update", "queue", name,
              f"Changed queue {name}: {', '.join(changes)}", {"changes": changes})
        return done(f"Saved queue {name} ({', '.join(changes)}).", PAGE)
    return done(f"Queue {name} already had these settings.", PAGE)


@bp.get("/queues")
@require_page_role(ROLE)
def queues_page() -> tuple[str, int]:
    """Every queue with its live figures and settings."""
    return _show()


@bp.post("/queues")
@require_page_role(ROLE)
def add_queue() -> Response | tuple[str, int]:
    """Add a queue."""
    return _save(text("name"), adding=True)


@bp.post("/queues/<name>")
@require_page_role(ROLE)
def update_queue(name: str) -> Response | tuple[str, int]:
    """Replace a queue's settings with the form's."""
    return _save(name, adding=False)
