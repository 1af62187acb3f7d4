"""``/admin/audit``: the audit log of who changed what, newest first, for admins.

Reads :class:`voice.audit.log.AuditLog` (flows, queues, users, agents, schedules, webhooks,
customers; changes made on the pages, through the API and with the CLI), filtered by entity
type and actor, a page of :data:`PAGE_SIZE` at a time (``?before=<id>`` pages back).
"""

from __future__ import annotations

import json

from flask import request

from voice.audit.log import AuditLog
from voice.web.access import require_page_role
from voice.web.admin_common import ROLE, bp, built, page

PAGE_SIZE = 50
ENTITY_TYPES = ("flow", "queue", "agent", "user", "schedule", "webhook", "customer",
                "scorecard")


def _log() -> AuditLog:
    log = built().audit
    assert log is not None
    return log


@bp.get("/audit")
@require_page_role(ROLE)
def audit_page() -> tuple[str, int]:
    """The newest entries (``?entity_type=&actor=&before=``)."""
    entity_type = (request.args.get("entity_type") or "").strip()[:32] or None
    who = (request.args.get("actor") or "").strip()[:100] or None
    before = request.args.get("before", type=int)
    entries = _log().entries(entity_type=entity_type, actor=who, before_id=before,
                             limit=PAGE_SIZE + 1)
    older = entries[PAGE_SIZE - 1].id if len(entries) > PAGE_SIZE else None
    return page("admin_audit.html", entries=entries[:PAGE_SIZE], entity_types=ENTITY_TYPES,
                entity_type=entity_type, actor=who, before=before, older=older,
                as_json=lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True,
                                                 default=str))
